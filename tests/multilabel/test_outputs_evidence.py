"""A label no LF votes on (its probability the same on every row) sets no row's confidence or review status,
and the run names it (weaksup.multilabel.outputs: labels_with_evidence, row_confidence, evidence_note)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.models import MultiLabelMajority, VoteBlend
from weaksup.multilabel.outputs import chunk_table, decision_confidence, labels_with_evidence, row_confidence
from weaksup.multilabel.task import as_votes

SPACE = MultiLabelSpace(["joy", "anger", "caring", "neutral"], none_label="neutral")
NAMES = ["a@1::joy", "b@1::joy", "c@1::anger", "d@1::anger"]  # no LF votes on caring


def _synthetic(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Votes ``(n, 4)`` of two LFs on joy and two on anger (90% / 85% accurate), and the gold ``(n, 4)`` sets."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, SPACE.k), dtype=bool)
    Y[:, 0], Y[:, 1], Y[:, 2] = rng.random(n) < 0.3, rng.random(n) < 0.25, rng.random(n) < 0.08
    Y[:, 3] = ~Y[:, :3].any(axis=1)

    def lf(y: np.ndarray, accuracy: float, coverage: float) -> np.ndarray:
        v = np.where(rng.random(n) < accuracy, y, ~y).astype(np.int8)
        v[rng.random(n) > coverage] = -1
        return v

    L = np.column_stack([lf(Y[:, 0], 0.9, 0.6), lf(Y[:, 0], 0.85, 0.5), lf(Y[:, 1], 0.9, 0.6),
                         lf(Y[:, 1], 0.85, 0.5)])
    return L, Y


@pytest.fixture
def fitted() -> tuple[VoteBlend, np.ndarray]:
    """The default model with dev gold (a new one per test: the run warns once per model)."""
    L, Y = _synthetic()
    model = VoteBlend().fit(as_votes(L, NAMES, SPACE), dev=(as_votes(L[:200], NAMES, SPACE), Y[:200]), seed=0)
    return model, L


def test_the_label_without_lfs_sits_at_its_threshold_on_every_row(fitted):
    """(the situation of the finding: the label's prior is just under its tuned threshold, so by itself it would
    make every row's least sure decision 'at the threshold' and send every row to review)"""
    model, L = fitted
    proba = model.predict_proba(as_votes(L, NAMES, SPACE))
    assert np.ptp(proba[:, 2]) == 0.0
    per_label = decision_confidence(proba, model.thresholds_)
    assert (2 * per_label[:, 2] - 1 < 0.1).all()
    assert labels_with_evidence(model, NAMES, SPACE).tolist() == [True, True, False, True]


def test_rows_confidences_differ_and_clear_rows_are_auto(fitted, caplog):
    model, L = fitted
    with caplog.at_level(logging.WARNING, logger="weaksup.multilabel.outputs"):
        table = chunk_table(model, L, {}, space=SPACE, lf_names=NAMES, rule_version="r1")
    rows = table.to_pylist()
    voted = [r for r in rows if r["n_votes"]]
    assert len({round(r["confidence"], 9) for r in voted}) > 3
    status = [r["review_status"] for r in voted]
    assert status.count("auto") > len(voted) / 2 and "needs_review" in status
    # two agreeing yes votes on joy and nothing else: a clear joy row
    clear = [r for r, v in zip(rows, L) if v.tolist() == [1, 1, -1, -1]]
    assert clear and all(r["review_status"] == "auto" and r["labels"] == ["joy"] for r in clear)
    assert all(r["review_status"] == "needs_review" for r in rows if not r["n_votes"])  # no vote: still reviewed
    # the routing reads the confidence: needs review exactly when 2 * confidence - 1 is under the margin
    assert all((2 * r["confidence"] - 1 < 0.1) == (r["review_status"] == "needs_review") for r in voted)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 1 and "1 of 4 labels have no LF evidence" in messages[0]
    assert "on no row (prior below the threshold): caring." in messages[0]


def test_a_chunk_routes_its_rows_as_the_whole_run_does_and_warns_once(fitted, caplog):
    """Evidence is the model's, not the chunk's: a chunk where no LF votes on anger still counts anger."""
    model, L = fitted
    whole = chunk_table(model, L, {}, space=SPACE, lf_names=NAMES, rule_version="r1")
    joy_only = np.flatnonzero((L[:, 2] == -1) & (L[:, 3] == -1) & (L[:, :2] != -1).any(axis=1))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weaksup.multilabel.outputs"):
        part = chunk_table(model, L[joy_only], {}, space=SPACE, lf_names=NAMES, rule_version="r1")
        chunk_table(model, L[joy_only], {}, space=SPACE, lf_names=NAMES, rule_version="r1")
    assert part.column("confidence").to_pylist() == whole.take(joy_only).column("confidence").to_pylist()
    assert part.column("review_status").to_pylist() == whole.take(joy_only).column("review_status").to_pylist()
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]  # said once for this model already


def test_without_a_label_lacking_evidence_nothing_is_said(caplog):
    space = MultiLabelSpace(["joy", "anger"])
    names = ["a@1::joy", "c@1::anger"]
    L = np.array([[1, -1], [-1, 1], [0, 1], [-1, -1]], dtype=np.int8)
    model = MultiLabelMajority().fit(as_votes(L, names, space))
    with caplog.at_level(logging.WARNING, logger="weaksup.multilabel.outputs"):
        table = chunk_table(model, L, {}, space=space, lf_names=names, rule_version="r1")
    assert labels_with_evidence(model, names, space).all()
    assert not caplog.records
    assert table.column("review_status").to_pylist() == ["auto", "auto", "auto", "needs_review"]


def test_the_none_label_without_lfs_is_named_as_such(caplog):
    space = MultiLabelSpace(["joy", "neutral"], none_label="neutral")
    names = ["a@1::joy"]
    L = np.array([[1], [0], [-1]], dtype=np.int8)
    model = MultiLabelMajority().fit(as_votes(L, names, space))
    with caplog.at_level(logging.WARNING, logger="weaksup.multilabel.outputs"):
        table = chunk_table(model, L, {}, space=space, lf_names=names, rule_version="r1")
    assert table.column("labels").to_pylist() == [["joy"], ["neutral"], None]
    assert "the none label neutral: on where no other label is." in caplog.records[0].getMessage()


def test_row_confidence_is_over_the_labels_with_evidence_only():
    per_label = np.array([[0.9, 0.5, 0.7], [0.6, 0.5, 1.0]])
    assert row_confidence(per_label, np.array([True, False, True])).tolist() == [0.7, 0.6]
    assert row_confidence(per_label, np.array([True, True, True])).tolist() == [0.5, 0.5]
    assert row_confidence(per_label, np.zeros(3, dtype=bool)).tolist() == [1.0, 1.0]  # nothing differs between rows
