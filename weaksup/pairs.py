"""LF-by-LF pair counts in bounded memory: the rows block by block, each block dense (BLAS) or sparse.

:class:`weaksup.analysis.VoteStats` counts, for every pair of LFs, the rows where both vote and the
rows where both vote the same class. The temporaries of one block are a few MB whatever the number
of rows and LFs (:data:`BLOCK_CELLS`); a block with few votes per row (keyword LFs) is counted with
a sparse product, whose cost grows with the pairs of votes rather than with the pairs of LFs; and
:func:`pair_work` estimates the whole cost, so the caller can count on a sample beyond :data:`PAIR_WORK`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from weaksup.labels import ABSTAIN

__all__ = ["BLOCK_CELLS", "PAIR_BLOCK", "PAIR_WORK", "add_pair_counts", "pair_work", "row_blocks"]

PAIR_BLOCK = 1 << 18  # at most this many rows per BLAS block
#: Vote cells (rows x LFs) per block of the blockwise passes: a few float32 temporaries of 16 MB each.
BLOCK_CELLS = 1 << 22
#: Multiply-adds the pair matrices may take; beyond, they are counted on a uniform sample of the rows.
PAIR_WORK = 3 * 10**10
#: A sparse product costs about this many times a BLAS multiply-add per pair of votes in a row.
_SPARSE_COST = 16


def row_blocks(L: np.ndarray, max_rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, L[start:start + size])`` over the rows, blocks of at most :data:`BLOCK_CELLS` cells (and ``max_rows``).

    Examples
    --------
    >>> [(start, len(block)) for start, block in row_blocks(np.zeros((5, 2)), max_rows=2)]
    [(0, 2), (2, 2), (4, 1)]
    """
    n, m = L.shape
    size = max(1, min(BLOCK_CELLS // max(m, 1), max_rows or n, n))
    for start in range(0, n, size):
        yield start, L[start:start + size]


def pair_work(n_voting: np.ndarray, m: int) -> float:
    """Multiply-adds of the pair counts: per block of rows, a dense Gram product or a sparse one, the cheaper."""
    size = max(1, min(BLOCK_CELLS // max(m, 1), PAIR_BLOCK))
    squares = n_voting.astype(np.float64) ** 2
    sparse = np.add.reduceat(squares, np.arange(0, len(squares), size)) * _SPARSE_COST if len(squares) else squares
    dense = np.minimum(size, len(squares) - np.arange(0, len(squares), size)) * float(m) * m
    return float(np.minimum(sparse, dense).sum())


def add_pair_counts(block: np.ndarray, weights: np.ndarray, k: int, both: np.ndarray, agree: np.ndarray) -> None:
    """Add one block's weighted pair counts to ``both`` (both LFs vote) and ``agree`` (both vote the same class)."""
    b, m = block.shape
    voted = block != ABSTAIN
    pairs = float(np.square(voted.sum(axis=1), dtype=np.float64).sum())
    if pairs * _SPARSE_COST < float(b) * m * m:  # few votes per row: a sparse product, in exact integers
        from scipy import sparse

        rows, cols = np.nonzero(voted)
        values, counts = block[rows, cols], weights[rows].astype(np.int64)
        for target, keep in [(both, slice(None)), *((agree, values == c) for c in range(k))]:
            weighted = sparse.csr_matrix((counts[keep], (rows[keep], cols[keep])), shape=(b, m))
            ones = sparse.csr_matrix((np.ones(len(counts[keep]), dtype=np.int64), (rows[keep], cols[keep])), shape=(b, m))
            target += np.asarray((weighted.T @ ones).toarray(), dtype=np.int64)
        return
    # Gram matrices of 0/1 indicators weighted by pattern counts, in float32 BLAS while the block's counts
    # stay below 2**24 (exact), float64 beyond
    dtype = np.float32 if weights.sum() < 2**24 else np.float64
    w = weights.astype(dtype)[:, None]
    indicator = voted.astype(dtype)
    both += np.rint((indicator * w).T @ indicator).astype(np.int64)
    for c in range(k):
        indicator = (block == c).astype(dtype)
        agree += np.rint((indicator * w).T @ indicator).astype(np.int64)
