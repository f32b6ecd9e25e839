"""fit_label_model on distinct vote rows, and scoring distinct vote patterns: the same as row by row."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.models import DawidSkene, default_label_model, fit_label_model
from weaksup.vote_patterns import distinct_rows


def _votes(n: int, m: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    right = rng.random((n, m)) < rng.uniform(0.55, 0.9, m)
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    fires = rng.random((n, m)) < rng.uniform(0.1, 0.5, m)
    return np.where(fires, np.where(right, y[:, None], wrong), -1).astype(np.int8), y


@pytest.mark.parametrize("k, m", [(2, 20), (3, 8), (5, 13)])
@pytest.mark.parametrize("sort", [True, False])
def test_the_probabilities_of_the_distinct_rows_taken_back_by_the_inverse_are_every_rows(k, m, sort):
    L, y = _votes(30000, m, k, seed=k * m)
    dev, y_dev = _votes(300, m, k, seed=k * m + 1)
    for model in (fit_label_model(DawidSkene(cardinality=k), L),
                  fit_label_model(default_label_model(k), L, L_dev=dev, y_dev=y_dev)):
        rows, inverse = distinct_rows(L, sort=sort)
        assert len(rows) < len(L)
        np.testing.assert_allclose(model.predict_proba(rows)[inverse], model.predict_proba(L), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(model.predict(rows)[inverse], model.predict(L))  # (ties abstain)


def test_a_fit_on_the_distinct_rows_unsorted_is_the_fit_on_every_row():
    L, _ = _votes(40000, 20, 2, seed=3)  # 3 ** 20 possible rows: hashed, in order of first occurrence
    weighted = fit_label_model(DawidSkene(cardinality=2), L)
    full = fit_label_model(DawidSkene(cardinality=2), L, distinct=False)
    assert weighted.n_iter_ == full.n_iter_
    np.testing.assert_allclose(weighted.confusion_, full.confusion_, rtol=1e-9)
    np.testing.assert_array_equal(weighted.predict(L), full.predict(L))


@pytest.mark.parametrize(("L", "message"), [
    (np.array([[0.0, 1.0], [1.0, -1.0]]), r"fit_label_model\(L\): votes must be integers"),
    (np.array([[0, -2], [1, 1]]), r"fit_label_model\(L\): vote -2 at row 0, column 1 is below -1"),
    (np.array([[0, 2], [1, 1]]), r"fit_label_model\(L\): vote 2 at row 0, column 1 is outside the label space"),
])
def test_bad_votes_are_named_before_the_distinct_rows_are_counted(L, message):
    from weaksup.errors import LabelModelError
    from weaksup.models import DawidSkene

    with pytest.raises(LabelModelError, match=message):
        fit_label_model(DawidSkene(cardinality=2), L)


def test_a_y_dev_class_above_the_votes_needs_a_cardinality():
    from weaksup.errors import LabelModelError

    L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, 1, 1]])
    # class 5 no LF can vote for made a 6-class model (predict_proba (n, 6)) without a word
    with pytest.raises(LabelModelError, match=r"y_dev holds class id\(s\) \[5\].*DevNaiveBayes\(cardinality=6\)"):
        fit_label_model(default_label_model(), L, L_dev=L[:2], y_dev=np.array([0, 5]))
    # given the cardinality, a class no LF votes for is the user's call
    fitted = fit_label_model(default_label_model(cardinality=3), L, L_dev=L[:2], y_dev=np.array([0, 2]))
    assert fitted.predict_proba(L).shape == (4, 3)
    with pytest.raises(LabelModelError, match=r"outside classes 0..2"):
        fit_label_model(default_label_model(cardinality=3), L, L_dev=L[:2], y_dev=np.array([0, 5]))
