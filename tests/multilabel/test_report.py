"""The multi-label quality report: scores on the gold split beside majority vote, LF summary per label."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.gold import write_multilabel_gold
from weaksup.multilabel.models import MultiLabelMajority
from weaksup.multilabel.report import build_multilabel_report
from weaksup.multilabel.task import as_votes
from weaksup.votes import VoteMatrix

SPACE = MultiLabelSpace(["joy", "anger"])
NAMES = ["a@1::joy", "b@1::anger", "c@1::anger"]
L = np.array([[1, -1, -1], [-1, 1, 1], [1, 1, 0], [-1, -1, -1], [1, -1, -1], [-1, 0, -1]], dtype=np.int8)
GOLD = pd.DataFrame({"row_id": ["0", "1", "2", "3", "4", "5"],
                     "labels": ["joy", "anger", "joy", "anger", "joy;anger", ""],
                     "split": ["dev", "dev", "test", "test", "test", "test"]})


@pytest.fixture
def report(tmp_path):
    gold = write_multilabel_gold(GOLD, tmp_path / "gold", task="t", space=SPACE)
    gold = dataclasses.replace(gold, frame=gold.frame.assign(row_id=gold.frame["row_id"].astype(int)))  # positions
    vm = VoteMatrix(L, lf_names=NAMES, row_ids=np.arange(len(L)))
    model = MultiLabelMajority().fit(as_votes(L, NAMES, SPACE))
    return build_multilabel_report(vm, model=model, gold=gold, split="test", title="t")


def test_the_report_scores_the_model_and_majority_vote_on_the_gold_split(report):
    # test rows 2..5: gold {joy}, {anger}, {joy, anger}, {}; majority: {joy} (anger 1 yes 1 no: tie), {}, {joy}, {}
    # row 3 has no vote: the empty set (no_votes="abstain")
    mv = report.scores["majority_vote"]
    assert mv["subset_acc"] == pytest.approx(2 / 4)
    assert mv["hamming"] == pytest.approx(2 / 8)
    per_label = report.per_label()
    assert per_label.loc["joy", "f1"] == pytest.approx(1.0) and per_label.loc["anger", "support"] == 2
    assert report.set_sizes().loc[1, "gold"] == 2 and report.set_sizes().loc[0, "majority_vote"] == 2
    metrics = report.metrics()
    assert metrics["macro_f1"] == report.scores["label_model"]["macro_f1"]
    assert "majority_vote.macro_f1" in metrics and "label_model/label/joy/f1" in metrics
    assert metrics["lf/c/anger/conflicts"] == pytest.approx(1 / 6)
    import re

    assert all(re.fullmatch(r"[\w\-. /]+", key) for key in metrics)  # names MLflow accepts
    assert metrics["coverage_all_rows"] == pytest.approx(5 / 6) and metrics["conflict"] == pytest.approx(1 / 6)
    assert "coverage" not in metrics  # (one name per number: coverage_all_rows, as in a classification run)
    assert report.run_metrics().keys() >= {"micro_f1", "subset_acc", "majority_vote.hamming"}


def test_the_lf_summary_is_per_lf_and_label_with_dev_precision(report):
    summary = report.summary.set_index(["lf", "label"])
    assert list(summary.index) == [("a@1", "joy"), ("b@1", "anger"), ("c@1", "anger")]
    assert summary.loc[("a@1", "joy"), "precision"] == 1.0  # dev row 0: gold joy, a says yes
    assert summary.loc[("c@1", "anger"), "conflicts"] == pytest.approx(1 / 6)


def test_html_and_markdown_show_the_tables(report):
    page = report.to_html()
    assert "Per label" in page and "Label-set sizes" in page and "majority vote" in page
    assert "<img" in page  # the per-label F1 figure
    text = report.to_markdown()
    assert "| label |" in text and "| micro_f1 |" in text or "micro_f1" in text
    report.close()
    assert report.figures == {}


@pytest.mark.slow
def test_the_report_logs_to_mlflow_like_a_classification_report(report, tmp_path):
    import mlflow

    from weaksup.tracking import log_report

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    try:
        run_id = log_report(report, strict=True)
        logged = mlflow.get_run(run_id)
        artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run_id)}
    finally:
        mlflow.set_tracking_uri(previous)
    assert logged.data.metrics["macro_f1"] == pytest.approx(report.scores["label_model"]["macro_f1"])
    assert "majority_vote.subset_acc" in logged.data.metrics and "lf/a/joy/coverage" in logged.data.metrics
    assert {"report.html", "lf_summary.json", "metrics.json"} <= artifacts
