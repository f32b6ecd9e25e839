"""The multi-label labels table: routing near thresholds, reviewed rows, abstention, counts, CSV lists."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.models import MultiLabelMajority
from weaksup.multilabel.outputs import (chunk_table, count_labels, decision_confidence, labels_from_cell,
                                       multilabel_columns, sets_at)
from weaksup.multilabel.task import as_votes
from weaksup.pipeline.outputs import joined_lists

SPACE = MultiLabelSpace(["joy", "anger", "neutral"], none_label="neutral")
NAMES = ["a@1::joy", "b@1::joy", "c@1::anger"]


def _table(L, reviewed=None, margin=0.1, no_votes="abstain"):
    L = np.asarray(L, dtype=np.int8)
    model = MultiLabelMajority().fit(as_votes(L, NAMES, SPACE))
    return chunk_table(model, L, reviewed or {}, margin=margin, space=SPACE, lf_names=NAMES, rule_version="r1",
                       no_votes=no_votes), model


def test_decision_confidence_is_half_at_the_threshold_and_one_at_the_ends():
    """(a row needs review when some label's 2 * confidence - 1 is under the margin: near its threshold)"""
    conf = decision_confidence(np.array([[0.2, 0.2, 0.0, 1.0, 0.6]]), np.array([0.2, 0.4, 0.4, 0.4, 0.4]))
    assert conf.tolist()[0] == pytest.approx([0.5, 0.75, 1.0, 1.0, 0.5 + 0.5 * 0.2 / 0.6])


def test_rows_are_routed_when_a_label_sits_near_its_threshold():
    L = [[1, 1, -1], [1, 0, -1], [-1, -1, 1], [-1, -1, -1]]
    table, model = _table(L)
    rows = table.to_pylist()
    assert [r["labels"] for r in rows] == [["joy"], rows[1]["labels"], ["anger"], None]
    assert rows[0]["review_status"] == "auto" and rows[0]["conflict"] is False
    assert rows[1]["conflict"] is True and rows[1]["review_status"] == "needs_review"  # 1 yes vs 1 no: p = 0.5
    assert rows[3]["review_status"] == "needs_review" and rows[3]["label_source"] is None and rows[3]["n_votes"] == 0
    assert rows[0]["sources"] == "joy: a, b" and rows[0]["label_model"] == "MultiLabelMajority"
    assert table.column_names == multilabel_columns(SPACE)[1:]
    # no margin: only the rows without votes need review
    assert _table(L, margin=0.0)[0].column("review_status").to_pylist() == ["auto", "auto", "auto", "needs_review"]


def test_reviewed_rows_keep_their_human_label_sets_and_predict_fills_silent_rows():
    L = [[1, -1, -1], [1, -1, -1], [-1, -1, -1]]
    table, _ = _table(L, reviewed={1: np.array([False, True, False])}, no_votes="predict")
    rows = table.to_pylist()
    assert rows[0]["labels"] == ["joy"] and rows[1]["labels"] == ["anger"]
    assert rows[1]["review_status"] == "reviewed" and rows[1]["label_source"] == "human"
    assert rows[1]["prob_anger"] == 1.0 and rows[1]["confidence"] == 1.0
    assert rows[2]["labels"] == ["neutral"] and rows[2]["label_source"] == "label_model"


def test_counts_sets_and_csv_lists():
    table = pa.table({"labels": pa.array([["joy", "anger"], [], None, ["joy"]], type=pa.list_(pa.string())),
                      **{f"prob_{x}": [0.1, 0.2, 0.3, 0.4] for x in SPACE.labels}})
    assert count_labels(table, SPACE) == {"joy": 2, "anger": 1, "neutral": 0, "(none)": 1, "(abstain)": 1}
    Y, proba = sets_at(table, np.array([0, 2]), SPACE)
    assert Y.tolist() == [[True, True, False], [False, False, False]] and proba.shape == (2, 3)
    assert joined_lists(table).column("labels").to_pylist() == ["joy;anger", "[]", None, "joy"]


def test_a_csv_labels_cell_reads_back_as_its_set_the_empty_set_or_an_abstain():
    assert [labels_from_cell(x) for x in ["joy;anger", "[]", "", None, float("nan"), ["joy"]]] == [
        ["joy", "anger"], [], None, None, None, ["joy"]]


def test_rows_where_the_exclusivity_rule_drops_a_label_above_its_threshold_go_to_review(caplog):
    space = MultiLabelSpace(["joy", "anger", "calm"], exclusive=[["joy", "anger"]])
    names = ["a@1::joy", "b@1::anger", "c@1::calm"]
    L = np.array([[1, 1, -1], [1, -1, -1], [-1, 1, 1], [1, 0, -1]], dtype=np.int8)
    model = MultiLabelMajority().fit(as_votes(L, names, space))
    with caplog.at_level("WARNING", logger="weaksup.multilabel.outputs"):
        table = chunk_table(model, L, {}, margin=0.0, space=space, lf_names=names, rule_version="r1")
    rows = table.to_pylist()
    assert rows[0]["labels"] in (["joy"], ["anger"])  # both at 1: the rule kept one
    assert [r["review_status"] for r in rows] == ["needs_review", "auto", "auto", "auto"]
    assert any("two labels of the exclusive group ['joy', 'anger']" in r.getMessage() for r in caplog.records)
