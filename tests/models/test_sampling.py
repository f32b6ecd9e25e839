"""multiset_sample: a seeded sample of a vote matrix's rows that its row order does not change."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.models.sampling import multiset_sample


def votes(n: int, m: int, seed: int, k: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(-1, k, (n, m)).astype(np.int8)


@pytest.mark.parametrize("m", [4, 60])  # 60 LFs: rows too wide for one integer key (sorted by their bytes)
def test_a_permutation_of_the_rows_gives_the_same_sample(m):
    L = votes(5000, m, seed=0, k=2 if m == 4 else 3)
    sample = multiset_sample(L, 700, seed=3)
    for s in range(3):
        shuffled = L[np.random.default_rng(s).permutation(len(L))]
        assert np.array_equal(multiset_sample(shuffled, 700, seed=3), sample)
    assert sample.shape == (700, m) and sample.dtype == L.dtype
    assert not np.array_equal(multiset_sample(L, 700, seed=4), sample)


def test_the_sample_is_drawn_from_the_rows_without_replacement():
    L = np.repeat(np.array([[0, -1], [1, 1], [-1, -1], [0, 0]], dtype=np.int8), [500, 300, 150, 50], axis=0)
    keys = {tuple(row): i for i, row in enumerate(np.unique(L, axis=0).tolist())}
    counts = np.array([150, 500, 50, 300])  # np.unique's order: [-1, -1], [0, -1], [0, 0], [1, 1]
    drawn = np.zeros((200, 4))
    for seed in range(200):
        sample = multiset_sample(L, 400, seed)
        picks = np.bincount([keys[tuple(row)] for row in sample.tolist()], minlength=4)
        assert (picks <= counts).all() and picks.sum() == 400
        drawn[seed] = picks
    # each row is as likely to be kept: every pattern keeps its share of the sample (40% of its rows) on average
    assert np.allclose(drawn.mean(axis=0) / counts, 0.4, atol=0.02)
    # in pattern order (first LF first), not the rows' order
    sample = multiset_sample(L[::-1], 400, 0)
    assert np.array_equal(sample, sample[np.lexsort(sample.T[::-1])]) and len(np.unique(sample, axis=0)) == 4


def test_at_most_size_rows_are_returned_as_given():
    L = votes(300, 5, seed=1)
    assert multiset_sample(L, 300, seed=0) is L
    assert multiset_sample(L, 10_000, seed=0) is L
