"""MLflow holds one name per meaning: ``coverage_all_rows`` (every row), ``test/coverage`` (the gold test rows) and
``reference/n_dev_gold`` (the dev gold rows the supervised reference learned from), never a bare ``coverage`` or
``reference/n_gold``."""

from __future__ import annotations

import re

import pytest

from tests.report.helpers import youtube_references, youtube_report_inputs
from weaksup.report import build_report
from weaksup.tracking import log_report, tracking_scope

pytestmark = pytest.mark.mlflow


def test_logged_coverage_and_gold_counts_say_which_rows(youtube, youtube_registry, tmp_path, monkeypatch):
    import mlflow

    votes, gold, model, data = youtube_report_inputs(youtube, youtube_registry)
    report = build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data,
                          references=youtube_references(votes, gold, model, data))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with tracking_scope():  # pinned here (an earlier test may have pinned another URI), and put back afterwards
        mlflow.set_tracking_uri(uri)
        run_id = log_report(report, gold=gold, strict=True)
    logged = mlflow.MlflowClient(uri).get_run(run_id).data.metrics
    report.close()
    voted = (votes.values != -1).any(axis=1)
    y_test = gold.y(votes.row_ids, split="test")
    assert "coverage" not in logged and "reference/n_gold" not in logged
    assert logged["coverage_all_rows"] == pytest.approx(voted.mean())
    assert logged["test/coverage"] == pytest.approx(voted[y_test >= 0].mean())
    assert logged["reference/n_dev_gold"] == (gold.y(votes.row_ids, split="dev") >= 0).sum() == 286


@pytest.mark.parametrize("task", ["multilabel", "spans"])
def test_multilabel_and_span_runs_name_the_all_rows_coverage_coverage_all_rows(task, tmp_path, monkeypatch):
    """The share of all rows (documents) some LF voted on is ``coverage_all_rows`` in MLflow, ``run.json`` and the
    run summary of every task type; a bare ``coverage`` was logged beside it by the multi-label and span reports."""
    import json

    import mlflow
    import pandas as pd

    from tests.multilabel.ml_project import make_ml_project
    from tests.spans.conftest import make_span_project
    from weaksup.config import load_config
    from weaksup.pipeline import run

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path) if task == "multilabel" else make_span_project(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with tracking_scope():
        result = run(load_config(config, ["mlflow.enabled=true", f"mlflow.tracking_uri={uri}",
                                          "mlflow.require=true"]), progress=False)
    assert result.config.task.type == task
    logged = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id).data.metrics
    manifest = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    for where, metrics in (("run.json", {**manifest["counts"], **manifest["metrics"]}), ("MLflow", logged)):
        assert "coverage" not in metrics, where
        assert metrics["coverage_all_rows"] == pytest.approx(result.coverage), where
    assert 0 < result.coverage < 1  # (a number to name: not every row has a vote)
    if task == "multilabel":  # what the labels file says: its rows with at least one vote
        labels = pd.read_parquet(result.labels_path)
        assert result.coverage == pytest.approx(labels["n_votes"].gt(0).mean())
    summary = result.summary()
    assert f"rows with at least one vote: {result.coverage:.1%} of all {result.n_rows:,} rows (coverage_all_rows)" \
        in summary
    assert not re.search(r"(?<![\w/])coverage(?![\w/])", summary), summary
