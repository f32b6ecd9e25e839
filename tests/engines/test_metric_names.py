"""An engine run names its gold metrics as the plain run does, so one name is one number in both: bare
``accuracy``, ``macro_f1``, ``brier``, ``ece``, ... are the label model's on the ``gold.split`` rows, ``final/<metric>``
the final (written) labels' on the gold test rows, ``majority_vote.<metric>`` the baseline's; in
``EngineResult.metrics``, the run folder's ``manifest.json`` (the plain run's ``run.json``), MLflow and the summary.
With the end model on, the final labels are not the label model's, so a bare ``accuracy`` meaning the written labels'
(as the engine had it) was the plain run's ``final/accuracy``."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.engines.engine_data import REPO, youtube_config
from weaksup.engines.driver import run_engine
from weaksup.gold import load_gold

@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The shipped example (Parquet parts, end model on, MLflow in a temporary SQLite store) on the local engine and
    as the plain run: the engine result, the plain result and both runs' metrics as stored and as logged."""
    import mlflow

    from weaksup.pipeline import run

    folder = tmp_path_factory.mktemp("names")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = youtube_config(folder, end_model={"enabled": True}, mlflow={"enabled": True, "tracking_uri": uri})
    engine = run_engine(config, engine="local")
    plain = run(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(folder / "plain" / "labels.parquet"))), progress=False)
    client = mlflow.MlflowClient(uri)
    stored = {"engine": json.loads((engine.run_dir / "manifest.json").read_text(encoding="utf-8"))["metrics"],
              "plain": json.loads((plain.run_dir / "run.json").read_text(encoding="utf-8"))["metrics"]}
    logged = {"engine": client.get_run(engine.mlflow_run_id).data.metrics,
              "plain": client.get_run(plain.mlflow_run_id).data.metrics}
    return engine, plain, stored, logged


@pytest.mark.slow  # the shipped example (1,956 rows) twice, with the end model
@pytest.mark.mlflow
def test_the_engine_and_the_plain_run_store_the_same_number_under_each_name(both_runs):
    engine, _, stored, _ = both_runs
    ours, plain = stored["engine"], stored["plain"]
    assert ours == engine.metrics
    assert not any(k.startswith("label_model.") for k in ours)  # (the engine's old name of the label model's)
    # the end model changed the test labels: the label model's and the final labels' accuracy are two numbers
    assert plain["final/accuracy"] > plain["accuracy"] + 0.01
    shared = set(ours) & set(plain)
    assert {"accuracy", "macro_f1", "brier", "ece", "test/coverage", "test/n_gold", "majority_vote.accuracy",
            "final/accuracy", "final/accuracy_voted", "final/accuracy_no_votes", "final/labelled",
            "final/macro_recall", "final/ece"} <= shared
    # both fit DevNaiveBayes on the same votes (the engine on the vote patterns with their counts): the same model,
    # so the label model's figures agree too, not only the final labels'
    assert {k: ours[k] for k in shared} == pytest.approx({k: plain[k] for k in shared}, rel=1e-9, abs=1e-12)
    from weaksup.engines.summary import FINAL_ONLY

    assert set(ours) - set(plain) == {f"final/{k}" for k in FINAL_ONLY}  # the final labels' figures it adds
    # the references beside the final labels too (tests/engines/test_references.py): the engine has every name the
    # plain run has, reference/* and final/gain_over_supervised with them (before, those were the plain run's only)
    assert set(plain) <= set(ours) and "reference/supervised_on_dev/accuracy" in shared


@pytest.mark.slow
@pytest.mark.mlflow
def test_mlflow_holds_the_final_labels_figures_under_the_plain_runs_names(both_runs):
    _, _, stored, logged = both_runs
    ours, plain = logged["engine"], logged["plain"]
    for bare in ("accuracy", "macro_f1", "brier", "ece"):  # the plain run logs the label model's as test/label_model/*
        assert bare not in ours and bare not in plain and f"test/label_model/{bare}" in ours
    final = {k for k in plain if k.startswith(("final/", "reference/"))}  # (the references' too: logged alike)
    assert "final/gain_over_supervised" in final and "reference/supervised_on_dev/accuracy" in final
    assert {k: ours[k] for k in final} == pytest.approx({k: plain[k] for k in final}, rel=1e-9)
    assert ours["final/accuracy"] == pytest.approx(stored["engine"]["final/accuracy"])
    label_model = {k for k in plain if k.startswith("test/label_model/")}
    assert {k: ours[k] for k in label_model} == pytest.approx({k: plain[k] for k in label_model}, rel=1e-9)
    assert ours["test/label_model/accuracy"] == pytest.approx(stored["engine"]["accuracy"])


@pytest.mark.slow
@pytest.mark.mlflow
def test_the_summary_says_which_line_is_the_label_models_and_which_the_written_labels(both_runs):
    engine, _, _, _ = both_runs
    m = engine.metrics
    lines = engine.summary().splitlines()
    assert ("label model on the gold test split: "
            f"accuracy {m['accuracy']:.3f}, test/coverage {m['test/coverage']:.3f}, macro_f1 {m['macro_f1']:.3f}, "
            f"brier {m['brier']:.3f}, ece {m['ece']:.3f}") in lines
    assert ("final labels (the written ones) on the gold test split: "
            f"final/accuracy {m['final/accuracy']:.3f}, final/macro_f1 {m['final/macro_f1']:.3f}, "
            f"final/brier {m['final/brier']:.3f}, final/ece {m['final/ece']:.3f}") in lines
    assert not any(line.startswith("gold (") for line in lines)  # (the old line, which did not say whose)


def test_final_figures_need_what_the_plain_runs_references_need(tmp_path):
    """The plain run writes ``final/*`` when it compares the final labels with the references: a gold set with dev
    and test rows (end model on or off; without a text column the references read the rows' columns); the engine
    follows the same rule."""
    from weaksup.engines.driver import final_split

    gold = load_gold(REPO / "gold_sets" / "youtube_spam")
    config = youtube_config(tmp_path)
    assert final_split(config, gold) == "test"
    assert final_split(config, None) is None
    assert final_split(dataclasses.replace(config, input=dataclasses.replace(config.input, text_column="")),
                       gold) == "test"
    test_only = dataclasses.replace(gold, frame=gold.frame[gold.frame["split"] == "test"])
    assert test_only.counts() == {"test": 290} and final_split(config, test_only) is None
