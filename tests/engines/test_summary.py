"""The engine run's summary, its ``manifest.json`` and MLflow name majority vote's figures as the plain run does
(``majority_vote.<metric>``; never ``label_model.``), the label model's by the bare names and the final labels' as
``final/<metric>`` (tests/engines/test_metric_names.py compares them with the plain run's), and its timings are
phases that follow one another and add up to ``total``: the end model's fit and the engine's start and close each
have their own."""

from __future__ import annotations

import json
import re

import pytest

from tests.engines.engine_data import synthetic_config, write_part, youtube_config
from weaksup.engines.driver import run_engine
from weaksup.engines.summary import PHASES


def manifest_metrics(result):
    return json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))["metrics"]


def summary_line(result, start: str) -> str:
    return next(line for line in result.summary().splitlines() if line.startswith(start))


def phases_of(result) -> list[str]:
    """The phases the summary's seconds line lists, in its order."""
    line = summary_line(result, "seconds (the phases add up to total): ")
    return [re.sub(r" [0-9.]+$", "", item) for item in line.split(": ", 1)[1].split(", ")]


def assert_phases_add_up(result, expected: list[str]) -> None:
    assert list(result.timings) == [*expected, "total"]
    assert sum(v for k, v in result.timings.items() if k != "total") == pytest.approx(result.timings["total"],
                                                                                      rel=1e-9)
    assert set(result.timings) <= set(PHASES)  # each one described
    assert phases_of(result) == list(result.timings)


@pytest.mark.slow  # the shipped example (1,956 rows) with its report
def test_majority_vote_has_the_plain_runs_names_in_the_summary_and_the_manifest(tmp_path):
    result = run_engine(youtube_config(tmp_path, output={"report": True}), engine="local")
    metrics = manifest_metrics(result)
    assert metrics == result.metrics
    majority = {k for k in metrics if "majority_vote" in k and not k.startswith("reference/")}
    assert {"majority_vote.accuracy", "majority_vote.macro_f1"} <= majority
    assert all(k.startswith("majority_vote.") for k in majority)  # no label_model.majority_vote.*
    # (the references' majority vote on the test rows, as the plain run's: tests/engines/test_references.py)
    assert "reference/majority_vote/accuracy" in metrics
    assert not any(k.startswith("label_model.") for k in metrics)  # the label model's: the bare names
    # the end model is off: the final labels of the test rows are the label model's (as in the plain run)
    assert metrics["majority_vote.accuracy"] < metrics["accuracy"] == metrics["final/accuracy"]
    assert metrics["ece"] == pytest.approx(metrics["final/ece"])
    # the gold split's coverage and rows: one name each (as the plain run), not a bare coverage or a second copy
    assert "coverage" not in metrics and "n_gold" not in metrics and "final/coverage" not in metrics
    assert "final/n_gold" not in metrics and "final/n_voted" not in metrics
    assert 0.9 < metrics["test/coverage"] < 1 and metrics["test/n_gold"] == 290
    label_model = summary_line(result, "label model on ")
    assert label_model == ("label model on the gold test split: " + ", ".join(
        f"{k} {metrics[k]:.3f}" for k in ("accuracy", "test/coverage", "macro_f1", "brier", "ece")))
    assert summary_line(result, "final labels") == ("final labels (the written ones) on the gold test split: "
                                                    + ", ".join(f"{k} {metrics[k]:.3f}" for k in
                                                                ("final/accuracy", "final/macro_f1", "final/brier",
                                                                 "final/ece")))
    assert summary_line(result, "majority vote") == (
        "majority vote (the baseline) on the gold test split: "
        f"majority_vote.accuracy {metrics['majority_vote.accuracy']:.3f}, "
        f"majority_vote.macro_f1 {metrics['majority_vote.macro_f1']:.3f}")
    assert "label_model.majority_vote" not in result.summary()


@pytest.mark.slow
@pytest.mark.mlflow
def test_majority_vote_has_one_name_per_store_the_plain_runs(tmp_path):
    import dataclasses

    import mlflow

    from weaksup.pipeline import run

    config = youtube_config(tmp_path, output={"report": True})
    config = dataclasses.replace(config, mlflow=dataclasses.replace(
        config.mlflow, enabled=True, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"))
    engine = run_engine(config, engine="local")
    out = tmp_path / "plain" / "labels.parquet"
    plain = run(dataclasses.replace(config, output=dataclasses.replace(config.output, path=str(out))),
                progress=False)
    plain_metrics = json.loads((plain.run_dir / "run.json").read_text(encoding="utf-8"))["metrics"]
    engine_metrics = manifest_metrics(engine)
    majority = {k: v for k, v in engine_metrics.items() if "majority_vote" in k and not k.startswith("reference/")}
    assert majority == pytest.approx({k: v for k, v in plain_metrics.items() if k.startswith("majority_vote.")})
    assert engine_metrics["test/coverage"] == pytest.approx(plain_metrics["test/coverage"])
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    logged = client.get_run(engine.mlflow_run_id).data.metrics
    plain_logged = client.get_run(plain.mlflow_run_id).data.metrics
    # the report's test/majority_vote/* and the references' reference/majority_vote/*, as the plain run logs them
    assert {k for k in logged if "majority_vote" in k} == {k for k in plain_logged if "majority_vote" in k}
    assert {k for k in logged if "majority_vote" in k} > {k for k in plain_logged if k.startswith("test/majority")}
    assert logged["test/majority_vote/accuracy"] == pytest.approx(majority["majority_vote.accuracy"])
    assert "coverage" not in logged and logged["test/coverage"] == pytest.approx(plain_logged["test/coverage"])
    assert "accuracy" not in logged and "accuracy" not in plain_logged  # the label model's: test/label_model/*
    assert logged["test/label_model/accuracy"] == pytest.approx(engine_metrics["accuracy"])
    assert logged["final/accuracy"] == pytest.approx(engine_metrics["final/accuracy"])  # the written labels'


def test_local_phases_add_up_and_the_end_model_fit_is_its_own(tmp_path):
    write_part(tmp_path / "input", 0, 2000)
    plain = run_engine(synthetic_config(tmp_path), engine="local")
    assert_phases_add_up(plain, ["setup", "read+clean+apply+count", "fit", "predict+route+write",
                                 "evaluate+report+commit"])
    config = synthetic_config(tmp_path, end_model={"enabled": True}, label_model={"tie_break": "abstain"})
    ended = run_engine(config, engine="local")
    assert ended.run_id != plain.run_id
    assert_phases_add_up(ended, ["setup", "read+clean+apply+count", "fit", "end model fit",
                                 "end model predict+route+write", "evaluate+report+commit"])


@pytest.mark.slow  # a LocalCluster of one worker process, started and closed by the engine
def test_dask_phases_count_the_clusters_start_and_close(tmp_path):
    pytest.importorskip("distributed")
    write_part(tmp_path / "input", 0, 1000)
    result = run_engine(synthetic_config(tmp_path, engine={"name": "dask", "workers": 1}))
    assert result.engine == "dask"
    assert_phases_add_up(result, ["setup", "engine start", "read+clean+apply+count", "fit", "predict+route+write",
                                  "engine close", "evaluate+report+commit"])
    assert result.timings["engine start"] > 0 and result.timings["engine close"] > 0


def test_the_label_model_line_says_when_it_is_no_better_than_the_most_common_class(tmp_path):
    from weaksup.engines.summary import EngineResult

    def result(accuracy: float) -> EngineResult:
        return EngineResult("local", "r", tmp_path, 300, 1, 1, 1, 0, 4, "DevNaiveBayes",
                            metrics={"accuracy": accuracy, "majority_vote.accuracy": 0.25},
                            gold_classes={"legit": 274, "fraud": 26})

    worse = summary_line(result(0.297), "label model on ")
    assert worse == ("label model on the gold test split: accuracy 0.297. NOT better than always predicting the "
                     "most common class, 'legit' (0.913 of these gold rows)")
    assert "most common class" not in result(0.95).summary()  # (the majority vote line never carries it)
