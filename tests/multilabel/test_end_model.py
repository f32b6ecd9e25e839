"""The multi-label end model: one-vs-rest logistic regression on TF-IDF, hard or soft targets, cross-fitted so a
row's probabilities never come from a classifier that saw its target."""

import numpy as np
import pytest

from weaksup.errors import ParameterError
from weaksup.multilabel.end_model import cross_fitted_proba, ovr_proba, text_features

TEXTS = [f"{w} {x} comment {i}" for i, (w, x) in enumerate(
    [("thanks", "great"), ("thanks", "lol"), ("sorry", "sad"), ("lol", "funny"), ("sad", "sorry")] * 40)]


def targets():
    words = [t.split()[:2] for t in TEXTS]
    return np.array([["thanks" in w, "lol" in w, "sad" in w] for w in words], dtype=np.float64)


def test_the_classifier_learns_each_label_from_the_text():
    X, T = text_features(TEXTS), targets()
    P = cross_fitted_proba(X, T)
    assert P.shape == T.shape and ((P > 0.5) == T.astype(bool)).mean() > 0.95


def test_no_row_is_predicted_by_a_classifier_that_saw_its_target():
    X, T = text_features(TEXTS), targets()
    flipped = T.copy()
    flipped[0] = 1 - flipped[0]  # change row 0's targets only: its own out-of-fold probabilities cannot move
    a, b = cross_fitted_proba(X, T, seed=1), cross_fitted_proba(X, flipped, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a, b)  # ...while the rows that trained on it do


def test_soft_targets_and_rows_left_out_of_training():
    X, T = text_features(TEXTS), targets()
    soft = np.clip(T * 0.8 + 0.1, 0, 1)  # probabilities, learned as weighted positive and negative rows
    P = ovr_proba(X, soft, X)
    assert ((P > 0.5) == T.astype(bool)).mean() > 0.95
    train = np.arange(len(TEXTS)) % 2 == 0
    wrong = T.copy()
    wrong[~train] = 1 - wrong[~train]  # targets of rows outside `train` are never learned from
    np.testing.assert_array_equal(cross_fitted_proba(X, T, train=train), cross_fitted_proba(X, wrong, train=train))
    constant = np.zeros((len(TEXTS), 1))
    assert (ovr_proba(X, constant, X) == 0).all()


def test_bad_targets_and_folds_are_parameter_errors():
    X = text_features(TEXTS)
    with pytest.raises(ParameterError, match=r"values in \[0, 1\]"):
        ovr_proba(X, np.full((len(TEXTS), 2), 2.0), X)
    with pytest.raises(ParameterError, match="n_folds >= 2"):
        cross_fitted_proba(X, targets(), n_folds=1)
