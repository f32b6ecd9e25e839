"""Dawid-Skene: EM recovers the LF confusion matrices of a known model; abstaining is evidence."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.models import DawidSkene
from weaksup.models.dawid_skene import (
    confusion_counts, dawid_skene_em, naive_bayes_proba, naive_bayes_scores, outcome_matrix, softmax_rows, vote_confusion_counts,
    vote_matrix, vote_scores,
)


def test_confusion_counts_match_a_plain_loop():
    rng = np.random.default_rng(0)
    L, q = rng.integers(-1, 3, (300, 5)).astype(np.int8), rng.random((300, 3))
    expected = np.zeros((5, 3, 4))
    for j in range(5):
        for o in range(4):
            expected[j, :, o] = q[L[:, j] == o - 1].sum(axis=0)
    assert np.allclose(confusion_counts(outcome_matrix(L, 3), q, 5), expected)


def test_recovers_known_lf_accuracies_and_class_balance():
    rng = np.random.default_rng(1)
    n, accuracy = 20000, np.array([0.9, 0.8, 0.7, 0.65, 0.85])
    y = (rng.random(n) < 0.3).astype(int)  # 30% class 1
    fires = rng.random((n, 5)) < 0.6
    right = rng.random((n, 5)) < accuracy
    L = np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1)
    model = DawidSkene(cardinality=2, tol=1e-4).fit(L)
    assert abs(model.class_prior_[1] - 0.3) < 0.02
    learned = model.confusion_[:, [0, 1], [1, 2]] / model.confusion_[:, [0, 1], 1:].sum(axis=2)  # P(right | fired)
    assert np.abs(learned - accuracy[:, None]).max() < 0.03
    assert model.n_iter_ < model.n_iter  # converged


def test_an_lf_that_fires_more_on_one_class_is_evidence_even_when_it_abstains():
    # LF 2 only ever votes class 1 but fires on most class-1 rows: its abstaining points to class 0
    y = np.array([0, 1] * 200)
    L = np.stack([y, y, np.where((y == 1) & (np.arange(400) % 4 != 1), 1, -1)], axis=1)
    model = DawidSkene(cardinality=2).fit(L)
    assert model.predict_proba([[-1, -1, -1]])[0, 0] > 0.6


def test_a_fit_on_the_distinct_rows_weighted_by_their_counts_is_the_fit_on_every_row():
    rng = np.random.default_rng(2)
    L = rng.integers(-1, 3, (5000, 4)).astype(np.int8)  # 256 possible rows: many repeats
    distinct, inverse = np.unique(L, axis=0, return_inverse=True)
    full = DawidSkene(cardinality=3).fit(L)
    weighted = DawidSkene(cardinality=3).fit(distinct, sample_weight=np.bincount(inverse.ravel()))
    assert len(distinct) == 256 and full.n_iter_ == weighted.n_iter_
    assert np.allclose(full.confusion_, weighted.confusion_, atol=1e-10)
    assert np.allclose(full.predict_proba(L), weighted.predict_proba(L), atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_class_em_on_the_log_odds_is_the_general_em(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 4000)
    fires = rng.random((4000, 6)) < rng.uniform(0.1, 0.9, 6)
    right = rng.random((4000, 6)) < rng.uniform(0.5, 0.95, 6)
    L = np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1)
    weight, votes = rng.integers(1, 4, 4000).astype(float), vote_matrix(L, 2)
    start = rng.dirichlet([1.0, 1.0], 4000)
    general = dawid_skene_em(votes, weight, start.copy(), 6, binary=False)
    fast = dawid_skene_em(votes, weight, start.copy(), 6, binary=True)
    assert general[2] == fast[2] > 1  # the same iterations
    assert np.allclose(general[0], fast[0], atol=1e-12) and np.allclose(general[1], fast[1], atol=1e-12)
    # DawidSkene takes the fast path with two classes: its fit is the general EM's from majority vote
    model = DawidSkene(cardinality=2).fit(L, sample_weight=weight)
    counts = np.stack([(L == 0).sum(axis=1), (L == 1).sum(axis=1)], axis=1).astype(float)
    counts[counts.sum(axis=1) == 0] = 1.0
    reference = dawid_skene_em(votes, weight, counts / counts.sum(axis=1, keepdims=True), 6, binary=False)
    assert model.n_iter_ == reference[2] and np.allclose(model.confusion_, reference[1], atol=1e-12)


def test_sample_weight_must_fit_the_rows():
    import pytest

    from weaksup.errors import LabelModelError

    with pytest.raises(LabelModelError, match="one weight per row of L \\(2 rows\\); got shape \\(1,\\)"):
        DawidSkene(cardinality=2).fit([[0, 1], [1, 1]], sample_weight=[1.0])
    with pytest.raises(LabelModelError, match="finite and >= 0; row 1 has -2.0"):
        DawidSkene(cardinality=2).fit([[0, 1], [1, 1]], sample_weight=[1.0, -2.0])


def test_parameters_are_checked_in_fit_not_in_init():
    import pytest

    from weaksup.errors import LabelModelError

    model = DawidSkene(cardinality=2, n_iter=0)  # __init__ only stores it
    with pytest.raises(LabelModelError, match=r"DawidSkene: n_iter must be a whole number >= 1; got 0"):
        model.fit([[0, 1], [1, 1]])


def test_votes_only_give_the_numbers_of_every_outcome():
    # EM and prediction skip the abstain entries (most of a sparse matrix): the same scores and counts
    rng = np.random.default_rng(3)
    L = rng.integers(-1, 4, (500, 7))
    L[rng.random(L.shape) < 0.7] = -1
    L[0] = -1  # a row without any vote
    log_conf = np.log(rng.dirichlet(np.ones(5), (7, 4)))
    log_prior = np.log([0.1, 0.2, 0.3, 0.4])
    q = rng.dirichlet(np.ones(4), 500)
    outcomes, votes = outcome_matrix(L, 4), vote_matrix(L, 4)
    assert votes.nnz == (L >= 0).sum() < outcomes.nnz
    scores = naive_bayes_scores(outcomes, log_conf, log_prior)
    assert np.allclose(vote_scores(votes, log_conf, log_prior), scores)
    assert np.allclose(naive_bayes_proba(L, log_conf, log_prior), softmax_rows(scores))
    assert np.allclose(vote_confusion_counts(votes, q, 7), confusion_counts(outcomes, q, 7))


def test_vote_matrix_is_the_outcome_matrix_without_its_abstains():
    """Built from the flat positions of the votes: the same sparse matrix, for any shape (no LFs, no rows)."""
    rng = np.random.default_rng(5)
    for n, m, k in [(400, 9, 3), (50, 1, 2), (0, 4, 2), (6, 0, 2), (300, 25, 7)]:
        L = np.where(rng.random((n, m)) < 0.3, rng.integers(0, k, (n, m)), -1).astype(np.int8)
        dense = outcome_matrix(L, k).toarray()
        dense[:, ::k + 1] = 0.0  # outcome 0 of every LF: abstained
        votes = vote_matrix(L, k)
        assert votes.shape == dense.shape and votes.nnz == (L >= 0).sum()
        np.testing.assert_array_equal(votes.toarray(), dense)
        assert np.all(np.diff(votes.indptr) == (L >= 0).sum(axis=1))


@pytest.mark.parametrize("outcomes", [1, 25, 1024])
def test_naive_bayes_columns_restricted_to_the_voted_classes_block_by_block(monkeypatch, outcomes):
    """Scored a block of rows at a time (blocks of 1, 7 and all rows) and one LF at a time, or 2 or 5 LFs per
    look-up (``outcomes``): the same sums; with ``restrict_to_voted`` a row with votes scores -inf for every class
    nobody voted for, a row without votes keeps its scores."""
    from weaksup.models import dawid_skene

    monkeypatch.setattr(dawid_skene, "_GROUP_OUTCOMES", outcomes)
    assert dawid_skene._group_size(4) == {1: 1, 25: 2, 1024: 4}[outcomes]

    rng = np.random.default_rng(6)
    L = np.where(rng.random((200, 6)) < 0.3, rng.integers(0, 4, (200, 6)), -1).astype(np.int8)
    L[:3] = -1
    log_conf, log_prior = np.log(rng.dirichlet(np.ones(5), (6, 4))), np.log([0.1, 0.2, 0.3, 0.4])
    expected = naive_bayes_scores(outcome_matrix(L, 4), log_conf, log_prior).T
    voted = np.stack([(L == c).any(axis=1) for c in range(4)])
    for block in (1, 7, 1 << 14):
        monkeypatch.setattr(dawid_skene, "_SCORE_ROWS", block)
        assert np.allclose(dawid_skene.naive_bayes_columns(L, log_conf, log_prior), expected)
        restricted = dawid_skene.naive_bayes_columns(L, log_conf, log_prior, restrict_to_voted=True)
        impossible = voted.any(axis=0) & ~voted
        assert np.all(np.isneginf(restricted[impossible])) and impossible[:, 3:].sum() > 100
        assert np.allclose(restricted[~impossible], expected[~impossible])
        assert np.allclose(restricted[:, :3], expected[:, :3])  # no votes: nothing ruled out
