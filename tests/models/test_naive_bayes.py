"""DevNaiveBayes on a thin dev split with three classes or more: one-coin centres, pseudo-votes, no EM tables."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.errors import LabelModelError
from weaksup.models import DevNaiveBayes
from weaksup.models.naive_bayes import onecoin_table, outcome_counts, several_classes


def crowd(n: int, seed: int, k: int = 4, workers: int = 30, coverage: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Crowd votes: sparse workers voting every class, right 75% of the time, else another class at random."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    fires = rng.random((n, workers)) < coverage
    wrong = (y[:, None] + rng.integers(1, k, (n, workers))) % k
    votes = np.where(rng.random((n, workers)) < 0.75, y[:, None], wrong)
    return np.where(fires, votes, -1).astype(np.int64), y


def test_onecoin_table_is_majority_votes_assumption():
    spread = np.array([[0.4, 0.2, 0.2, 0.2], [0.9, 0.05, 0.05, 0.0]])
    dev, y = np.array([[0, 1], [1, -1], [2, 2], [0, 0]]), np.array([0, 1, 2, 1])  # 4 of 7 votes right
    table = onecoin_table(spread, dev, y)
    accuracy = (4 + 1) / (7 + 2)
    assert table.shape == (2, 3, 4) and np.allclose(table.sum(axis=2), 1.0)
    assert np.allclose(table[:, :, 0], spread[:, :1])  # abstains alike on every class
    assert np.allclose(table[0, np.arange(3), np.arange(1, 4)], 0.6 * accuracy)  # right with the pooled accuracy
    assert np.allclose(table[1, 0, 2:], 0.1 * (1 - accuracy) / 2)  # wrong votes spread evenly
    # never below chance, so a vote always points at its class
    assert np.allclose(onecoin_table(spread, np.array([[1, 1]]), np.array([0]))[0, 0, 1], 0.6 / 3)


def test_several_classes_counts_every_row_given():
    assert several_classes(np.array([[0, 1, -1], [0, -1, 2]]), np.array([[1, 1, 2]])).tolist() == [True, False, False]


def test_thin_dev_split_with_many_classes_is_centred_on_one_coin_tables():
    L, y = crowd(3000, 0)
    dev, y_dev = L[:20], y[:20]  # 20 rows for 4 classes: thin (< thin_dev=10 per class)
    model = DevNaiveBayes(cardinality=4, calibrate=False).fit(L[20:], L_dev=dev, y_dev=y_dev)
    assert model.source_ == "dev+onecoin" and model.dev_brier_ is None  # EM tables not tried
    told = DevNaiveBayes(cardinality=4, calibrate=False, thin_toward="onecoin").fit(L[20:], L_dev=dev, y_dev=y_dev)
    also = DevNaiveBayes(cardinality=4, calibrate=False, shrink_toward="onecoin").fit(L[20:], L_dev=dev, y_dev=y_dev)
    assert np.allclose(told.log_conditional_, model.log_conditional_)
    assert np.allclose(also.log_conditional_, model.log_conditional_)
    em = DevNaiveBayes(cardinality=4, calibrate=False, thin_toward="unlabeled").fit(L[20:], L_dev=dev, y_dev=y_dev)
    assert em.source_ in ("dev+unlabeled", "unlabeled")
    # each worker's table: its dev counts plus smoothing pseudo-VOTES (3 / coverage pseudo-rows) of the one-coin centre
    seen = outcome_counts(L[20:], 4) + outcome_counts(dev, 4) + 0.5
    spread = seen / seen.sum(axis=1, keepdims=True)
    centre = onecoin_table(spread, dev, y_dev)
    strength = 3.0 / (1 - spread[:, :1])[:, None, :]
    counts = np.stack([outcome_counts(dev[y_dev == c], 4) for c in range(4)], axis=1)
    expected = (counts + strength * centre) / (counts.sum(axis=2, keepdims=True) + strength)
    assert np.allclose(np.exp(model.log_conditional_), expected)
    # on the rows it labels it is at least as good as majority vote here (every worker alike)
    from weaksup.models import MajorityVote

    right = (model.predict(L[20:], tie_break="hash") == y[20:]).mean()
    assert right >= (MajorityVote(4).fit(L[20:]).predict(L[20:], tie_break="hash") == y[20:]).mean() - 0.01


def test_two_classes_and_wide_dev_splits_keep_their_centres():
    L, y = crowd(3000, 1, k=2)
    thin = DevNaiveBayes(cardinality=2, calibrate=False).fit(L[20:], L_dev=L[:10], y_dev=y[:10])
    assert thin.source_ in ("dev+unlabeled", "unlabeled")  # two classes: the EM centre, as before
    L4, y4 = crowd(3000, 2)
    wide = DevNaiveBayes(cardinality=4, calibrate=False).fit(L4[200:], L_dev=L4[:200], y_dev=y4[:200])
    assert wide.source_ in ("dev", "unlabeled")  # 50 rows per class: not thin
    with pytest.raises(LabelModelError, match="thin_toward"):
        DevNaiveBayes(thin_toward="spread").fit(L, L_dev=L[:10], y_dev=y[:10])


@pytest.mark.parametrize("shrink_toward, unlabeled", [("spread", "ignore"), ("onecoin", "ignore"), ("spread", "auto")])
def test_the_unlabeled_sample_depends_on_the_rows_not_their_order(shrink_toward, unlabeled):
    # the engines fit on the distinct vote patterns expanded in pattern order, the streaming run on L as read: above
    # max_unlabeled rows both must smooth on the same sample, or their probabilities differ row for row
    L, _ = crowd(3000, seed=1, k=3, workers=8, coverage=0.4)
    dev, y = crowd(60, seed=2, k=3, workers=8, coverage=0.4)
    shuffled = L[np.random.default_rng(3).permutation(len(L))]
    params = {"cardinality": 3, "max_unlabeled": 500, "shrink_toward": shrink_toward, "unlabeled": unlabeled}
    a = DevNaiveBayes(**params).fit(L, L_dev=dev, y_dev=y)
    b = DevNaiveBayes(**params).fit(shuffled, L_dev=dev, y_dev=y)
    assert np.array_equal(a.log_conditional_, b.log_conditional_)
    assert np.array_equal(a.predict_proba(L), b.predict_proba(L))
    if unlabeled == "ignore":  # the sample still matters: another seed smooths on other rows
        c = DevNaiveBayes(**params, seed=5).fit(L, L_dev=dev, y_dev=y)
        assert not np.array_equal(a.log_conditional_, c.log_conditional_)


def test_the_sample_under_max_unlabeled_rows_is_every_row():
    L, _ = crowd(400, seed=1, k=3, workers=8, coverage=0.4)
    dev, y = crowd(60, seed=2, k=3, workers=8, coverage=0.4)
    small = DevNaiveBayes(cardinality=3, max_unlabeled=400).fit(L, L_dev=dev, y_dev=y)
    big = DevNaiveBayes(cardinality=3).fit(L, L_dev=dev, y_dev=y)
    assert np.array_equal(small.predict_proba(L), big.predict_proba(L))
