"""DevNaiveBayes on a thin dev split with three classes or more: one-coin centres, pseudo-votes, no EM tables."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.errors import LabelModelError
from weaksup.models import DevNaiveBayes
from weaksup.models.counts import outcome_counts, several_classes
from weaksup.models.naive_bayes import onecoin_table


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


def _rare_class_rules(seed=0, n=6000):
    """Claims: 7% fraud; three one-class "fraud" rules that fire on 40% of fraud and 30% of legit rows (12% right),
    one "legit" rule that is right; the first 600 rows are the dev gold."""
    gen = np.random.default_rng(seed)
    y = (gen.random(n) < 0.07).astype(int)
    fires = gen.random((n, 3)) < np.where(y[:, None] == 1, 0.4, 0.3)
    L = np.where(fires, 1, -1)
    legit = np.where((y == 0) & (gen.random(n) < 0.5), 0, -1)
    return np.column_stack([L, legit]), y


def test_rules_the_dev_gold_shows_mostly_wrong_force_their_class_only_when_trusted_is_not_asked(caplog):
    from weaksup.models.dev import trusted_lfs
    from weaksup.models.fitting import fit_label_model

    L, y = _rare_class_rules()
    names = ["late_report", "big_amount", "young", "known_customer"]
    with caplog.at_level("WARNING"):
        strict = fit_label_model(DevNaiveBayes(2), L, L_dev=L[:600], y_dev=y[:600], lf_names=names)
    said = [r.getMessage() for r in caplog.records if "wrong on most of their votes" in r.getMessage()]
    assert len(said) == 1 and "['late_report', 'big_amount', 'young']" in said[0] and 'restrict_to_voted = "trusted"' in said[0]
    assert strict.trusted_.tolist() == [False, False, False, True]
    trusted = DevNaiveBayes(2, restrict_to_voted="trusted").fit(L, L_dev=L[:600], y_dev=y[:600])
    only_fraud_rules = (L[:, :3] == 1).any(axis=1) & (L[:, 3] == -1)
    rows = np.flatnonzero(only_fraud_rules)[600:]  # (past the dev rows)
    assert (strict.predict(L[rows]) == 1).all()  # forced: most of these rows are legit
    assert y[rows].mean() < 0.3
    p_fraud = trusted.predict_proba(L[rows])[:, 1]
    assert (trusted.predict(L[rows]) == y[rows]).mean() > 0.7
    assert abs(p_fraud.mean() - y[rows].mean()) < 0.1  # the probability follows the evidence
    caplog.clear()
    with caplog.at_level("WARNING"):
        fit_label_model(DevNaiveBayes(2, restrict_to_voted="trusted"), L, L_dev=L[:600], y_dev=y[:600], lf_names=names)
    assert not [r for r in caplog.records if "wrong on most of their votes" in r.getMessage()]
    # thin evidence is no evidence: wrong on 3 of 3 dev votes stays trusted, 6 of 6 does not
    assert trusted_lfs(np.array([[1]] * 3), np.zeros(3, int)).tolist() == [True]
    assert trusted_lfs(np.array([[1]] * 6), np.zeros(6, int)).tolist() == [False]


def test_trusted_changes_nothing_where_every_lf_is_right_on_most_dev_votes():
    gen = np.random.default_rng(3)
    y = gen.integers(0, 3, 2000)
    L = np.where(gen.random((2000, 6)) < 0.4, np.where(gen.random((2000, 6)) < 0.8, y[:, None], (y[:, None] + 1) % 3), -1)
    a = DevNaiveBayes(3).fit(L, L_dev=L[:300], y_dev=y[:300])
    b = DevNaiveBayes(3, restrict_to_voted="trusted").fit(L, L_dev=L[:300], y_dev=y[:300])
    assert a.trusted_.all() and np.array_equal(a.predict_proba(L), b.predict_proba(L))
