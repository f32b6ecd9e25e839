"""Distinct vote patterns: the distinct rows of a vote matrix and each row's pattern, without copying the votes.

A label model's fit depends on the votes only through the distinct rows and their counts, so
:func:`weaksup.models.fitting.fit_label_model` and the engines fit on those.
"""

from __future__ import annotations

import numpy as np

__all__ = ["distinct_rows", "row_keys"]


def distinct_rows(L: np.ndarray, *, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a vote matrix (in a fixed order) and, for each row, the index of its distinct row.

    Label models score a row from its votes alone, so scoring the distinct rows and taking
    ``scores[inverse]`` gives every row's scores: millions of rows have a few hundred patterns.

    The rows and the inverse are ``np.unique(L, axis=0, return_inverse=True)``'s (rows sorted by
    their votes, first LF first), found faster: each row is packed into one integer key (its votes
    as digits, base ``max vote + 2``) when the keys fit in 62 bits, and the keys are counted (few
    possible keys) or hashed (:func:`pandas.factorize`, then only the distinct keys are sorted).
    Wider rows are sorted by their bytes (``np.unique`` of the row bytes: another fixed order).
    ``sort=False`` (for callers the order does not matter to, such as a weighted fit) may leave the
    hashed rows in the order they first occur, which saves sorting them.

    Examples
    --------
    >>> rows, inverse = distinct_rows(np.array([[1, -1], [0, 0], [1, -1]]))
    >>> rows.tolist(), inverse.tolist()
    ([[0, 0], [1, -1]], [1, 0, 1])
    """
    n, m = L.shape
    if n == 0 or m == 0:
        return L[:min(n, 1)], np.zeros(n, dtype=np.int64)
    base = int(L.max()) + 2  # votes -1..max as digits 0..max+1
    if m * np.log2(base) >= 62:  # too many LFs for one integer key: sort the rows' bytes
        return _distinct_wide_rows(np.ascontiguousarray(L))
    keys = row_keys(L, base)
    if base ** m <= max(4 * n, 1 << 16):  # few possible keys: count them instead of sorting
        present = np.flatnonzero(np.bincount(keys, minlength=base ** m))
        slot = np.empty(base ** m, dtype=np.int64)
        slot[present] = np.arange(len(present))
        inverse = slot[keys]
    else:
        import pandas as pd

        codes, uniques = pd.factorize(keys, size_hint=n // 2)  # a hash table (it grows if need be): no sort of n keys
        if not sort:  # in order of first occurrence: each row's code is a new one or an earlier one
            new = np.empty(n, dtype=bool)
            new[0] = True
            np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=new[1:])
            return L[new], codes.astype(np.int64, copy=False)
        present = np.argsort(uniques)  # sort only the distinct keys
        slot = np.empty(len(present), dtype=np.int64)
        slot[present] = np.arange(len(present))
        inverse = slot[codes]
    first = np.empty(len(present), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each key
    return L[first], inverse


#: Rows packed at a time by :func:`row_keys` (its temporaries stay in the CPU cache).
_KEY_ROWS = 1 << 14


def row_keys(L: np.ndarray, base: int) -> np.ndarray:
    """One ``int64`` per row: its votes ``+ 1`` as the digits of a base-``base`` number, first LF most significant
    (so keys sort as the rows do). Needs ``base ** m < 2 ** 63`` and votes in ``-1 .. base - 2``.

    Examples
    --------
    >>> row_keys(np.array([[1, -1], [0, 0], [-1, 1]], dtype=np.int8), 3).tolist()
    [6, 4, 2]
    """
    n, m = L.shape
    keys = np.empty(n, dtype=np.int64)
    offset = sum(base ** j for j in range(m))  # the +1 of every digit
    for start in range(0, n, _KEY_ROWS):  # column by column within the block (integers: no BLAS threads)
        block, out = L[start:start + _KEY_ROWS], keys[start:start + _KEY_ROWS]
        out[:] = block[:, 0]
        for j in range(1, m):
            out *= base
            out += block[:, j]
    keys += offset
    return keys


#: Vote cells compared at a time when telling wide rows apart (a few MB of temporaries).
_COMPARE_CELLS = 1 << 22


def _distinct_wide_rows(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique`` of the rows' bytes (the same rows, order and inverse) without its copies of the votes:
    a stable argsort of the rows, then each row compared with the one before it block by block."""
    n, m = L.shape
    row_bytes = L.view(np.dtype((np.void, L.dtype.itemsize * m))).ravel()
    perm = np.argsort(row_bytes, kind="stable")
    new = np.empty(n, dtype=bool)
    new[0] = True
    step = max(1, _COMPARE_CELLS // m)
    for start in range(1, n, step):  # a block of sorted rows and the row before it
        block = row_bytes[perm[start - 1:min(start + step, n)]]
        new[start:start + len(block) - 1] = block[1:] != block[:-1]
    inverse = np.empty(n, dtype=np.int64)
    inverse[perm] = np.cumsum(new) - 1
    return L[perm[new]], inverse
