"""Inter-annotator agreement: Fleiss' kappa, Cohen's kappa, raw agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from tests.gold.helpers import YOUTUBE_GOLD
from weaksup.gold import agreement, load_gold


def test_fleiss_kappa_on_the_textbook_example():
    # Fleiss (1971) as on Wikipedia: 10 items, 14 raters, 5 categories; kappa = 0.210, P-bar = 0.378.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    rows = [{"row_id": i, "label": f"c{j}"} for i, counts in enumerate(table) for j, n in enumerate(counts)
            for _ in range(n)]
    frame = pd.DataFrame(rows)
    frame["annotator"] = "r" + frame.groupby("row_id").cumcount().astype(str)
    result = agreement(frame, label_space=[f"c{j}" for j in range(5)])
    assert result.n_items == 10 and result.n_annotators == 14
    assert round(result.fleiss_kappa, 3) == 0.210
    assert round(result.raw_agreement, 3) == 0.378


def test_cohen_kappa_and_raw_agreement_for_two_annotators():
    a = ["ham", "ham", "spam", "spam", "ham", "spam", "ham", "ham"]
    b = ["ham", "spam", "spam", "spam", "ham", "ham", "ham", "ham"]
    frame = pd.DataFrame({"row_id": list(range(8)) * 2, "annotator": ["a"] * 8 + ["b"] * 8, "label": a + b})
    result = agreement(frame, label_space=["ham", "spam"])
    assert result.raw_agreement == pytest.approx(6 / 8)
    assert result.cohen_kappa == pytest.approx(cohen_kappa_score(a, b))
    assert result.pairwise[["annotator_a", "annotator_b", "n_items"]].values.tolist() == [["a", "b", 8]]


def test_agreement_with_a_single_annotator_is_empty():
    gold = load_gold(YOUTUBE_GOLD)
    result = agreement(gold)
    assert result.n_items == 0 and np.isnan(result.fleiss_kappa) and np.isnan(result.cohen_kappa)
