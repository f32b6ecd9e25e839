"""Seeded samples of a vote matrix's rows that depend on the rows, not on their order: :func:`multiset_sample`.

The streaming run fits a label model on the votes in the order it read them; the engines (Dask, Spark, local)
fit it on the distinct vote patterns expanded in pattern order. A sample drawn by row position would pick other
rows from the two, so every sample of ``L`` a label model draws goes through :func:`multiset_sample`.
"""

from __future__ import annotations

import numpy as np

from weaksup.vote_patterns import distinct_rows

__all__ = ["multiset_sample", "sampled_rows", "stratified_sample"]


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


def stratified_sample(patterns: np.ndarray, weights: np.ndarray, size: int, seed: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """A seeded sample of ``size`` rows drawn without replacement from the patterns' rows, stratified by the number
    of votes in a pattern (each stratum keeps its share of rows): the sampled patterns and their row counts.

    Examples
    --------
    >>> p = np.array([[0, -1], [1, 1], [-1, -1]], dtype=np.int8)
    >>> rows, counts = stratified_sample(p, np.array([50, 30, 20]), 10, seed=0)
    >>> int(counts.sum()), len(rows) <= 3
    (10, True)
    """
    rng = np.random.default_rng(seed)
    total = int(weights.sum())
    size = min(size, total)
    strata = (patterns != -1).sum(axis=1)
    drawn = np.zeros(len(weights), dtype=np.int64)
    levels = np.unique(strata)
    share = np.array([weights[strata == s].sum() for s in levels], dtype=np.float64) * size / max(total, 1)
    alloc = np.floor(share).astype(np.int64)
    for i in np.argsort(-(share - alloc), kind="stable")[: size - int(alloc.sum())]:
        alloc[i] += 1
    for level, n in zip(levels, alloc):
        members = np.flatnonzero(strata == level)
        drawn[members] = rng.multivariate_hypergeometric(weights[members], int(n), method="marginals")
    keep = drawn > 0
    return patterns[keep], drawn[keep]


def sampled_rows(L: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``label_model.sample_rows``: a seeded stratified sample of ``size`` rows of ``L`` (:func:`stratified_sample`
    over its distinct rows in pattern order, first LF first), expanded back to rows in pattern order.

    The engines draw the same sample from their merged pattern counts, so a run with ``sample_rows`` fits the same
    label model on every engine; like :func:`multiset_sample` it depends only on the multiset of rows.

    Examples
    --------
    >>> L = np.array([[1, -1], [0, 0], [1, -1], [0, 1], [0, 0], [1, -1]])
    >>> sampled_rows(L, 3, seed=0).shape
    (3, 2)
    >>> bool(np.array_equal(sampled_rows(L[::-1], 3, seed=0), sampled_rows(L, 3, seed=0)))
    True
    """
    patterns, inverse = distinct_rows(L)
    weights = np.bincount(inverse, minlength=len(patterns))
    order = np.lexsort(patterns.T[::-1])
    patterns, weights = stratified_sample(patterns[order], weights[order], size, seed)
    rows: np.ndarray = np.repeat(patterns, weights, axis=0)
    return rows
