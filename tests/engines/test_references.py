"""An engine run measures the references the plain run measures on the gold test rows -- majority vote, the label
model, ``supervised_on_dev`` (a classifier trained on the dev gold rows alone) and the final labels side by side --
with the verdict, the coverage split, the ECE and the no-LF-votes warnings: the same ``reference/*`` and
``final/gain_over_supervised`` (one name per number in both runs) in its ``manifest.json``, its metrics and MLflow
(with ``references.txt``), and the verdict in its summary. Before, an engine run had none of them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.engines.engine_data import REPO, youtube_config
from weaksup.engines.config import EngineConfig
from weaksup.engines.driver import run_engine
from weaksup.gold import load_gold

#: The names the references add, beside the final labels' (``final/*``) that the engine already wrote.
REFERENCE_NAMES = ("reference/", "final/gain_over_supervised")


def references_of(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if k.startswith(REFERENCE_NAMES)}


@pytest.fixture(scope="module", params=[False, True], ids=["end_model_off", "end_model_on"])
def both_runs(request, tmp_path_factory):
    """The shipped example (Parquet parts, a gold set with dev and test rows, MLflow in a SQLite file in the folder) on the
    local engine and as the plain run, the end model off or on: both results, their stored metrics and the MLflow
    client."""
    import mlflow

    from weaksup.pipeline import run

    folder = tmp_path_factory.mktemp("references")
    uri = f"sqlite:///{folder / 'mlflow.db'}"  # (MLflow 3 refuses a file store: a SQLite file in the folder)
    config = youtube_config(folder, end_model={"enabled": request.param},
                            mlflow={"enabled": True, "tracking_uri": uri, "experiment": "references"})
    engine = run_engine(config, engine="local")
    plain = run(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(folder / "plain" / "labels.parquet"))), progress=False)
    stored = {"engine": json.loads((engine.run_dir / "manifest.json").read_text(encoding="utf-8"))["metrics"],
              "plain": json.loads((plain.run_dir / "run.json").read_text(encoding="utf-8"))["metrics"]}
    return engine, plain, stored, mlflow.MlflowClient(uri)


@pytest.mark.slow  # the shipped example (1,956 rows) on the engine and as the plain run, twice
@pytest.mark.mlflow
def test_the_engine_stores_the_plain_runs_references_under_the_same_names(both_runs):
    engine, plain, stored, _ = both_runs
    ours, theirs = references_of(stored["engine"]), references_of(stored["plain"])
    assert {"reference/supervised_on_dev/accuracy", "reference/majority_vote/accuracy",
            "reference/label_model/accuracy", "reference/coverage", "reference/n_dev_gold",
            "final/gain_over_supervised"} <= set(theirs)
    assert set(ours) == set(theirs)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert references_of(engine.metrics) == ours  # EngineResult.metrics is what the manifest holds
    counts = load_gold(REPO / "gold_sets" / "youtube_spam").counts()
    assert ours["reference/n_dev_gold"] == counts["dev"] == 286 and ours["reference/n_rows"] == counts["test"] == 290
    # the final labels' figures both runs name alike are still one number each
    shared = {k for k in stored["plain"] if k.startswith("final/")}
    assert {k: stored["engine"][k] for k in shared} == pytest.approx({k: stored["plain"][k] for k in shared},
                                                                     rel=1e-9, abs=1e-12)
    assert not any(k.startswith(REFERENCE_NAMES) for k in set(stored["plain"]) - set(stored["engine"]))


@pytest.mark.slow
@pytest.mark.mlflow
def test_the_engines_summary_has_the_plain_runs_verdict_coverage_line_and_table(both_runs):
    engine, plain, _, _ = both_runs
    assert engine.references is not None and plain.references is not None
    assert engine.references.verdict == plain.references.verdict
    assert engine.references.verdict.startswith("weak supervision ")
    assert engine.references_note == plain.references_note
    lines = engine.summary().splitlines()
    expected = plain.reference_lines()
    assert expected[0] == f"on the gold test split: {plain.references.verdict}"
    start = lines.index(expected[0])  # the verdict, the coverage line, the note and the table, as the plain run's
    assert lines[start:start + len(expected)] == expected
    assert any("have at least one LF vote (test/coverage " in line for line in expected)


@pytest.mark.slow
@pytest.mark.mlflow
def test_mlflow_gets_the_references_text_and_metrics(both_runs):
    engine, plain, stored, client = both_runs
    logged, plain_logged = (client.get_run(r.mlflow_run_id).data.metrics for r in (engine, plain))
    assert logged["reference/supervised_on_dev/accuracy"] == pytest.approx(
        stored["engine"]["reference/supervised_on_dev/accuracy"])
    assert references_of(logged) == pytest.approx(references_of(plain_logged), rel=1e-9, abs=1e-12)
    assert set(references_of(logged)) == set(references_of(plain_logged))

    def text(run_id: str) -> str:
        path = client.download_artifacts(run_id, "references.txt")
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    ours = text(engine.mlflow_run_id)
    assert ours == text(plain.mlflow_run_id) == engine.references.text()
    assert engine.references.verdict in ours


@pytest.mark.slow  # the shipped example through the driver on a new LocalCluster (2 worker processes) and locally
def test_a_dask_run_measures_the_same_references_as_the_local_engine(tmp_path):
    pytest.importorskip("distributed")
    config = youtube_config(tmp_path)
    local = run_engine(config, engine="local")
    dask = run_engine(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(tmp_path / "dask" / "labels.parquet")), engine=EngineConfig(name="dask", workers=2)))
    assert dask.engine == "dask"
    assert "reference/supervised_on_dev/accuracy" in dask.metrics
    assert references_of(dask.metrics) == references_of(local.metrics)
    assert dask.references.verdict == local.references.verdict and dask.references.verdict in dask.summary()
