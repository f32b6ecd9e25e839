"""MLflow holds one name per meaning: ``coverage_all_rows`` (every row), ``test/coverage`` (the gold test rows) and
``reference/n_dev_gold`` (the dev gold rows the supervised reference learned from), never a bare ``coverage`` or
``reference/n_gold``."""

from __future__ import annotations

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
