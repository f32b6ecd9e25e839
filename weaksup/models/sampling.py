"""Seeded samples of a vote matrix's rows that depend on the rows, not on their order: :func:`multiset_sample`.

The streaming run fits a label model on the votes in the order it read them; the engines (Dask, Spark, local)
fit it on the distinct vote patterns expanded in pattern order. A sample drawn by row position would pick other
rows from the two, so every sample of ``L`` a label model draws goes through :func:`multiset_sample`.
"""

from __future__ import annotations

import numpy as np

from weaksup.vote_patterns import distinct_rows

__all__ = ["multiset_sample"]


def multiset_sample(L: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample of ``size`` rows of ``L`` drawn without replacement, the same whatever the order of the rows.

    The rows are put in a canonical order first (:func:`weaksup.vote_patterns.distinct_rows`: sorted by pattern,
    first LF first), then ``size`` positions of that order are drawn uniformly with ``seed``, so the sample depends
    only on the multiset of rows; it comes back in pattern order. ``L`` itself is returned (in its own order) when it
    has at most ``size`` rows. (A multivariate hypergeometric draw over the pattern counts has the same distribution,
    but numpy's caps the number of rows at 10**9.)

    Parameters
    ----------
    L : ndarray of int, shape (n, m)
        The votes (``-1`` = abstain).
    size : int
        How many rows to keep (at least 1).
    seed : int
        Seeds the draw.

    Returns
    -------
    ndarray, shape (min(n, size), m)
        The sampled rows, sorted by pattern (``L`` when ``n <= size``).

    Examples
    --------
    >>> L = np.array([[1, -1], [0, 0], [1, -1], [0, 1], [0, 0], [1, -1]])
    >>> multiset_sample(L, 3, seed=5).tolist()  # positions 0, 2, 4 of [0, 0] [0, 0] [0, 1] [1, -1] [1, -1] [1, -1]
    [[0, 0], [0, 1], [1, -1]]
    >>> bool(np.array_equal(multiset_sample(L[::-1], 3, seed=5), multiset_sample(L, 3, seed=5)))
    True
    >>> multiset_sample(L, 6, seed=0) is L
    True
    """
    if len(L) <= size:
        return L
    patterns, inverse = distinct_rows(L)
    ends = np.cumsum(np.bincount(inverse, minlength=len(patterns)))  # row positions of each pattern, sorted
    positions = np.sort(np.random.default_rng(seed).choice(len(L), size, replace=False))
    sample: np.ndarray = patterns[np.searchsorted(ends, positions, side="right")]
    return sample
