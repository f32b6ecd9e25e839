"""Distinct vote patterns: the distinct rows of a vote matrix, each row's pattern, and the row keys behind them."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("shape, high", [((20000, 6), 2), ((300, 12), 9), ((500, 40), 2), ((0, 4), 2), ((7, 0), 2)])
def test_distinct_rows_rebuild_the_matrix_from_each_rows_first_occurrence(shape, high):
    from weaksup.vote_patterns import distinct_rows

    L = np.random.default_rng(4).integers(-1, high, shape).astype(np.int8)
    rows, inverse = distinct_rows(L)
    np.testing.assert_array_equal(rows[inverse], L)
    assert len(rows) == len(np.unique(L, axis=0)) or L.shape[1] == 0
    if len(L):  # each distinct row is its first occurrence
        firsts = [int(np.flatnonzero(inverse == i)[0]) for i in range(len(rows))]
        np.testing.assert_array_equal(L[firsts], rows)


@pytest.mark.parametrize("cells", [1, 97, 1 << 22])
def test_distinct_wide_rows_are_np_unique_of_the_row_bytes_without_its_copies(monkeypatch, cells):
    """Rows too wide for one integer key: the same rows, order and inverse as ``np.unique`` of their bytes,
    the sorted rows compared block by block (blocks of one row, of a few rows, and all at once)."""
    import weaksup.vote_patterns as votes_module

    rng = np.random.default_rng(7)
    L = np.where(rng.random((3000, 70)) < 0.03, rng.integers(0, 3, (3000, 70)), -1).astype(np.int8)
    L[1500:] = L[rng.integers(0, 1500, 1500)]  # duplicates, out of order
    monkeypatch.setattr(votes_module, "_COMPARE_CELLS", cells)
    rows, inverse = votes_module.distinct_rows(L)
    _, first, expected = np.unique(L.view(np.dtype((np.void, 70))).ravel(), return_index=True, return_inverse=True)
    np.testing.assert_array_equal(rows, L[first])
    np.testing.assert_array_equal(inverse, expected.ravel())


@pytest.mark.parametrize("shape, k", [
    ((5000, 3), 2),      # few possible keys: counted
    ((20000, 20), 2),    # packed keys hashed
    ((3000, 16), 10),    # 12 ** 16 keys: near the 62-bit limit
    ((4000, 12), 6),
    ((2000, 40), 10),    # too wide for one key: the rows' bytes are sorted
    ((1, 5), 3), ((3, 1), 9),
])
def test_distinct_rows_are_np_uniques_rows_and_inverse(shape, k):
    """Packed rows (counted or hashed) give ``np.unique(L, axis=0)``'s rows, order and inverse; rows too wide to pack
    give the same set of rows, each row's inverse pointing at its own votes."""
    from weaksup.vote_patterns import distinct_rows

    rng = np.random.default_rng(shape[0] + k)
    n, m = shape
    L = np.where(rng.random(shape) < rng.uniform(0.1, 0.9, m), rng.integers(0, k, shape), -1).astype(np.int8)
    L[n // 2:] = L[rng.integers(0, max(n // 2, 1), n - n // 2)]  # repeats, out of order
    rows, inverse = distinct_rows(L)
    expected, expected_inverse = np.unique(L, axis=0, return_inverse=True)
    assert inverse.shape == (n,) and inverse.dtype == np.int64
    np.testing.assert_array_equal(rows[inverse], L)
    if m * np.log2(int(L.max()) + 2) < 62:
        np.testing.assert_array_equal(rows, expected)
        np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    else:
        assert len(rows) == len(expected) and len(np.unique(rows, axis=0)) == len(rows)


@pytest.mark.parametrize("m, base", [(6, 3), (20, 3), (16, 12), (17, 12)])
def test_row_keys_sort_and_tell_apart_as_the_rows_do(m, base):
    """Small and near-limit bases and widths alike: keys sort and tell rows apart as the rows do."""
    from weaksup.vote_patterns import row_keys

    rng = np.random.default_rng(m * base)
    L = rng.integers(-1, base - 1, (3000, m)).astype(np.int8)
    L[0], L[1] = -1, base - 2  # the smallest and largest keys
    keys = row_keys(L, base)
    assert keys[0] == 0 and keys[1] == base ** m - 1
    order = np.lexsort(L.T[::-1])  # rows sorted by the first LF, then the next ...
    assert np.all(np.diff(keys[order]) >= 0)
    assert len(np.unique(keys)) == len(np.unique(L, axis=0))


def test_distinct_rows_unsorted_are_the_same_rows_in_order_of_first_occurrence():
    from weaksup.vote_patterns import distinct_rows

    rng = np.random.default_rng(11)
    L = np.where(rng.random((30000, 20)) < 0.2, rng.integers(0, 2, (30000, 20)), -1).astype(np.int8)
    L[15000:] = L[rng.integers(0, 15000, 15000)]
    rows, inverse = distinct_rows(L, sort=False)
    sorted_rows, _ = distinct_rows(L)
    np.testing.assert_array_equal(rows[inverse], L)
    assert len(rows) == len(sorted_rows) and inverse.dtype == np.int64
    firsts = np.unique(inverse, return_index=True)[1]
    assert np.all(np.diff(firsts) > 0)  # distinct row i first occurs before distinct row i + 1
    np.testing.assert_array_equal(rows, L[firsts])
    small = np.array([[1, 0], [0, 0], [1, 0]])  # few possible rows: counted, so sorted anyway
    assert distinct_rows(small, sort=False)[0].tolist() == [[0, 0], [1, 0]]
