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


def outcome_counts(votes: np.ndarray, k: int) -> np.ndarray:
    """``(m, k + 1)`` how often each LF had each outcome (``o = vote + 1``; 0 is abstain) over the rows.

    Examples
    --------
    >>> outcome_counts(np.array([[0, -1], [1, -1], [1, 0]]), 2).tolist()
    [[0, 1, 2], [2, 1, 0]]
    """
    return np.stack([np.count_nonzero(votes == o - 1, axis=0) for o in range(k + 1)], axis=1)


def several_classes(*votes: np.ndarray) -> np.ndarray:
    """``(m,)`` whether each LF votes for two classes or more over the rows of ``votes``.

    Examples
    --------
    >>> several_classes(np.array([[0, 1], [1, 1]]), np.array([[-1, 1]])).tolist()
    [True, False]
    """
    both = np.concatenate(votes)
    return np.array([np.unique(column[column >= 0]).size >= 2 for column in both.T], dtype=bool)
