"""The shared contract: tie-break policies (Snorkel's hash exactly), input coercion, repr."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup import VoteMatrix
from weaksup.models import MajorityVote, break_ties
from weaksup.models.base import as_votes


@pytest.mark.snorkel
@pytest.mark.parametrize("k", [2, 3, 5])
def test_hash_tie_break_is_snorkels_random_policy(k):
    from snorkel.utils import probs_to_preds

    rng = np.random.default_rng(k)
    counts = rng.integers(0, 3, (3000, k)).astype(float)  # many ties, some all-zero rows
    counts[counts.sum(axis=1) == 0] = 1
    proba = counts / counts.sum(axis=1, keepdims=True)
    assert np.array_equal(break_ties(proba, "hash"), probs_to_preds(proba, tie_break_policy="random"))


def test_abstain_and_seeded_random_policies():
    proba = np.array([[0.5, 0.5, 0.0], [0.2, 0.7, 0.1], [1 / 3, 1 / 3, 1 / 3]] * 200)
    assert break_ties(proba[:3], "abstain").tolist() == [-1, 1, -1]
    a, b, c = (break_ties(proba, "seeded_random", seed) for seed in (4, 4, 5))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert set(a[0::3]) == {0, 1} and set(a[1::3]) == {1} and set(a[2::3]) == {0, 1, 2}  # only tied classes


def test_votes_keep_a_small_dtype_and_accept_vote_matrices():
    small = np.array([[0, -1], [1, 1]], dtype=np.int8)
    assert as_votes(small) is small  # no copy
    assert as_votes(np.array([[127, -1]], dtype=np.int8)).dtype == np.int16  # room for vote + 1 = 128
    assert as_votes(VoteMatrix([[0, 1]])).tolist() == [[0, 1]]
    assert repr(MajorityVote(2, seed=3)) == "MajorityVote(cardinality=2, seed=3)"
