"""Counting votes per class and row maxima, block by block: the arithmetic the label models share."""

from __future__ import annotations

import numpy as np

#: Vote cells compared at once by :func:`class_counts` (its ``L == c`` masks stay ~4 MB at any number of LFs).
COUNT_CELLS = 1 << 22


def class_counts(L: np.ndarray, k: int) -> np.ndarray:
    """``(n, k)`` number of votes for each class in each row, counted over blocks of rows.

    Examples
    --------
    >>> class_counts(np.array([[0, 1, 1], [-1, -1, 0]], dtype=np.int8), 2).tolist()
    [[1.0, 2.0], [1.0, 0.0]]
    """
    counts = np.zeros((len(L), k), dtype=np.float64)
    step = max(COUNT_CELLS // max(L.shape[1] if L.ndim == 2 else 1, 1), 1)
    for start in range(0, len(L), step):
        block = L[start:start + step]
        for c in range(k):
            counts[start:start + step, c] = np.count_nonzero(block == c, axis=1)
    return counts


def row_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=1)``, column by column (much faster for the few columns of a probability matrix)."""
    top = a[:, 0].copy()
    for c in range(1, a.shape[1]):
        np.maximum(top, a[:, c], out=top)
    return top
