"""weaksup.multilabel.references: a multi-label run's label sets beside a classifier trained on the dev gold alone."""

from __future__ import annotations

import numpy as np

from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.references import FINAL, SUPERVISED, compare_multilabel_references

SPACE = MultiLabelSpace(["billing", "bug", "praise"])
WORDS = {"billing": ["refund", "invoice", "charged"], "bug": ["crash", "error", "freezes"],
         "praise": ["love", "great", "thanks"]}


def tickets(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts built from each label's words (one or two labels a row) and filler, with their label sets."""
    rng = np.random.default_rng(seed)
    texts, Y = [], np.zeros((n, 3), dtype=bool)
    for i in range(n):
        chosen = rng.choice(3, size=rng.integers(1, 3), replace=False)
        Y[i, chosen] = True
        words = [str(rng.choice(WORDS[SPACE.labels[c]])) for c in chosen] + ["the", "app", "today", "my"]
        texts.append(" ".join(rng.permutation(words)))
    return texts, Y


def test_the_verdict_says_which_side_wins_and_where_to_write_lfs():
    texts_dev, Y_dev = tickets(120, 0)
    texts_test, Y_test = tickets(80, 1)
    won = compare_multilabel_references(texts_dev, Y_dev, texts_test, Y_test, Y_test, SPACE)
    assert won.scores[FINAL].as_dict()["macro_f1"] == 1.0 and won.gain >= 0
    no_bug = Y_test & [True, False, True]  # the run never finds bug
    lost = compare_multilabel_references(texts_dev, Y_dev, texts_test, Y_test, no_bug, SPACE)
    assert lost.scores[SUPERVISED].as_dict()["macro_f1"] > 0.9  # the words give the labels away
    assert lost.gain < 0 and lost.verdict.startswith("weak supervision does not beat training on your 120 gold rows")
    assert lost.verdict.endswith("write LFs for bug, or label more")
    metrics = lost.as_metrics()
    assert metrics["final/gain_over_supervised"] == lost.gain and metrics["reference/n_dev_gold"] == 120
    assert {"final/macro_f1", "reference/supervised_on_dev/macro_f1", "reference/supervised_on_dev/hamming"} <= set(
        metrics)
    assert "supervised_on_dev" in lost.text() and "80 gold test rows" in lost.text()


def test_the_classifier_learns_from_the_dev_rows_only():
    """Scrambling the test rows' gold moves the scores, never what the classifier predicts: its thresholds come
    from its out-of-fold dev probabilities."""
    texts_dev, Y_dev = tickets(120, 0)
    texts_test, Y_test = tickets(80, 1)
    a = compare_multilabel_references(texts_dev, Y_dev, texts_test, Y_test, Y_test, SPACE)
    b = compare_multilabel_references(texts_dev, Y_dev, texts_test, ~Y_test, Y_test, SPACE)
    assert a.metrics[SUPERVISED]["set_sizes"]["pred"] == b.metrics[SUPERVISED]["set_sizes"]["pred"]
    assert a.metrics[SUPERVISED]["macro_f1"] != b.metrics[SUPERVISED]["macro_f1"]
