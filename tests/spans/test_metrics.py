"""span_metrics against hand-computed cases (the seqeval convention), token scores and span ECE."""

from __future__ import annotations

import math

import numpy as np
import pytest

from weaksup.errors import DataError, LabelSpaceError
from weaksup.spans.doc import ScoredSpan, Span
from weaksup.spans.metrics import span_metrics
from weaksup.spans.space import SpanSpace

TYPES = ["Chemical", "Disease"]


def test_exact_match_micro_and_per_type():
    gold = [[Span(0, 2, "Chemical"), Span(5, 7, "Disease")], [Span(1, 2, "Disease")], []]
    pred = [[Span(0, 2, "Chemical"), Span(5, 6, "Disease")],  # the second overlaps partly: wrong
            [Span(1, 2, "Chemical")],  # right range, wrong type: wrong
            [Span(0, 1, "Disease")]]  # nothing there: wrong
    s = span_metrics(gold, pred, types=TYPES)
    assert (s["n_gold"], s["n_pred"], s["n_correct"]) == (3, 4, 1)
    assert s["precision"] == pytest.approx(1 / 4) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))
    per = s["per_type"].set_index("type")
    assert per.loc["Chemical", ["support", "predicted"]].tolist() == [1, 2]
    assert per.loc["Chemical", "precision"] == 0.5 and per.loc["Chemical", "recall"] == 1.0
    assert per.loc["Disease", ["precision", "recall", "f1", "support", "predicted"]].tolist() == [0, 0, 0, 2, 2]
    assert math.isnan(s["ece"])  # plain spans have no confidence


def test_token_scores():
    gold = [[Span(0, 2, "Chemical"), Span(5, 7, "Disease")], [Span(1, 2, "Disease")], []]
    pred = [[Span(0, 2, "Chemical"), Span(5, 6, "Disease")], [Span(1, 2, "Chemical")], [Span(0, 1, "Disease")]]
    tok = span_metrics(gold, pred, types=TYPES)["token"]
    # gold tokens: 5 (d0: 0,1,5,6; d1: 1); predicted: 5 (d0: 0,1,5; d1: 1; d2: 0); right: d0 0,1,5
    assert tok["precision"] == pytest.approx(3 / 5) and tok["recall"] == pytest.approx(3 / 5)
    assert tok["f1"] == pytest.approx(3 / 5)


def test_empty_predictions_and_empty_gold_give_zeros_not_nan():
    gold = [[Span(0, 1, "Disease")]]
    s = span_metrics(gold, [[]], types=TYPES)
    assert (s["precision"], s["recall"], s["f1"], s["n_pred"]) == (0.0, 0.0, 0.0, 0)
    assert s["token"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    s = span_metrics([[]], [[Span(0, 1, "Disease")]], types=TYPES)
    assert (s["precision"], s["recall"], s["f1"]) == (0.0, 0.0, 0.0)
    s = span_metrics([], [], types=TYPES)
    assert (s["f1"], s["n_gold"]) == (0.0, 0)


def test_perfect_and_repeats_count_once():
    gold = [[Span(0, 1, "Disease"), Span(3, 5, "Chemical")]]
    pred = [[(3, 5, "Chemical"), (0, 1, "Disease"), (0, 1, "Disease")]]
    s = span_metrics(gold, pred, types=SpanSpace(TYPES))
    assert (s["precision"], s["recall"], s["f1"], s["n_pred"]) == (1.0, 1.0, 1.0, 2)


def test_ece_over_scored_spans():
    gold = [[Span(0, 1, "Disease"), Span(2, 3, "Disease")]]
    pred = [[ScoredSpan(0, 1, "Disease", 0.95), ScoredSpan(2, 4, "Disease", 0.25), ScoredSpan(5, 6, "Disease", 0.15)]]
    # bins of width 0.1: {0.95: right}, {0.25: wrong}, {0.15: wrong} -> (0.05 + 0.25 + 0.15) / 3
    assert span_metrics(gold, pred, types=TYPES)["ece"] == pytest.approx(0.45 / 3)
    assert span_metrics(gold, pred, types=TYPES, n_bins=1)["ece"] == pytest.approx(abs(np.mean([.95, .25, .15]) - 1 / 3))
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        span_metrics(gold, [[ScoredSpan(0, 1, "Disease", 1.5)]], types=TYPES)


def test_bad_inputs():
    with pytest.raises(DataError, match="1 gold and 2 predicted"):
        span_metrics([[]], [[], []], types=TYPES)
    with pytest.raises(LabelSpaceError, match="predictions: document 0.*'Gene'"):
        span_metrics([[]], [[Span(0, 1, "Gene")]], types=TYPES)
    with pytest.raises(DataError, match="gold: document 0"):
        span_metrics([[Span(2, 1, "Disease")]], [[]], types=TYPES)
