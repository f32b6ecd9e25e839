"""VoteMatrix: dtypes, checks, and saving without pickle."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from weaksup import LabelSpace, VoteMatrix
from weaksup.errors import VoteMatrixError


def test_smallest_dtype_and_ids():
    votes = VoteMatrix(np.array([[0, -1], [1, 1]], dtype=np.int64))
    assert votes.values.dtype == np.int8 and votes.row_ids.tolist() == [0, 1]
    assert VoteMatrix([[40000, -1]]).values.dtype == np.int32
    assert votes.coverage().tolist() == [1.0, 0.5]


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
@pytest.mark.parametrize("ids", [["a", "b", "c"], [10, 20, 30]])
def test_save_load_round_trip(tmp_path, suffix, ids):
    votes = VoteMatrix([[0, -1], [1, 1], [-1, -1]], row_ids=ids, lf_names=["x", "y"], lf_versions=["v1", "v2"],
                       label_space=LabelSpace(["ham", "spam"]), faults={"x": 2})
    path = votes.save(tmp_path / f"votes{suffix}")
    back = VoteMatrix.load(path)
    assert back == votes and back.faults == {"x": 2, "y": 0}
    assert back.label_space == votes.label_space and back.values.dtype == np.int8
    assert back.row_ids.tolist() == ids
    assert [p.name for p in tmp_path.iterdir()] == [f"votes{suffix}"]  # no temporary left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600


def test_npz_holds_no_pickled_objects(tmp_path):
    path = VoteMatrix([[0]], row_ids=np.array(["a"], dtype=object)).save(tmp_path / "v.npz")
    with np.load(path, allow_pickle=False) as data:  # would raise on object arrays
        assert data["row_ids"].dtype.kind == "U"


def test_checks_name_the_problem():
    with pytest.raises(VoteMatrixError, match=r"vote -2 at row 0, column 1 is below -1"):
        VoteMatrix([[0, -2]])
    with pytest.raises(VoteMatrixError, match=r"vote 2 at row 1, column 0 is outside the label space"):
        VoteMatrix([[0], [2]], label_space=LabelSpace(["a", "b"]))
    with pytest.raises(VoteMatrixError, match="2-D"):
        VoteMatrix([0, 1])
    with pytest.raises(VoteMatrixError, match="unique"):
        VoteMatrix([[0, 1]], lf_names=["a", "a"])
    with pytest.raises(VoteMatrixError, match="integers"):
        VoteMatrix([[0.5]])


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(VoteMatrixError, match="does not exist"):
        VoteMatrix.load(tmp_path / "none.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip")
    with pytest.raises(VoteMatrixError, match="corrupt.npz: cannot read vote matrix"):
        VoteMatrix.load(corrupt)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(2))
    with pytest.raises(VoteMatrixError, match=r"missing arrays \['meta', 'row_ids', 'values'\]"):
        VoteMatrix.load(other)
    with pytest.raises(VoteMatrixError, match=r"use a \.npz or \.parquet"):
        VoteMatrix([[0]]).save(tmp_path / "v.csv")
    assert zipfile.is_zipfile(VoteMatrix([[0]]).save(tmp_path / "ok.npz"))


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        VoteMatrix([[0]]).save(tmp_path / "v.npz")
    assert list(tmp_path.iterdir()) == []


def test_select_and_take():
    votes = VoteMatrix([[0, 1, -1], [1, -1, 0]], row_ids=["a", "b"], lf_names=["x", "y", "z"])
    assert votes.select(["z", "x"]).values.tolist() == [[-1, 0], [0, 1]]
    assert votes.take([1]).row_ids.tolist() == ["b"]
    with pytest.raises(VoteMatrixError, match="no LF named 'w'"):
        votes.select(["w"])


@pytest.mark.parametrize("shape, high", [((20000, 6), 2), ((300, 12), 9), ((500, 40), 2), ((0, 4), 2), ((7, 0), 2)])
def test_distinct_rows_rebuild_the_matrix_from_each_rows_first_occurrence(shape, high):
    from weaksup.votes import distinct_rows

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
    import weaksup.votes as votes_module

    rng = np.random.default_rng(7)
    L = np.where(rng.random((3000, 70)) < 0.03, rng.integers(0, 3, (3000, 70)), -1).astype(np.int8)
    L[1500:] = L[rng.integers(0, 1500, 1500)]  # duplicates, out of order
    monkeypatch.setattr(votes_module, "_COMPARE_CELLS", cells)
    rows, inverse = votes_module.distinct_rows(L)
    _, first, expected = np.unique(L.view(np.dtype((np.void, 70))).ravel(), return_index=True, return_inverse=True)
    np.testing.assert_array_equal(rows, L[first])
    np.testing.assert_array_equal(inverse, expected.ravel())


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_a_saved_vote_out_of_range_names_the_file(tmp_path, suffix):
    """A file whose votes no longer fit its label space (edited, or the classes changed) names the file."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = VoteMatrix([[0, 1], [1, -1]], label_space=LabelSpace(["a", "b"])).save(tmp_path / f"votes{suffix}")
    bad = {"format": "weaksup.VoteMatrix", "format_version": 1, "lf_names": ["lf0", "lf1"], "lf_versions": ["", ""]}
    if suffix == ".npz":
        np.savez(path, values=np.array([[0, 1], [1, 7]], np.int8), row_ids=np.arange(2),
                 meta=np.array(json.dumps({**bad, "label_space": ["a", "b"]})))
    else:
        table = pa.table({"row_id": [0, 1], "lf0": pa.array([0, 1], pa.int8()), "lf1": pa.array([1, 7], pa.int8())})
        pq.write_table(table.replace_schema_metadata({"weaksup": json.dumps({**bad, "label_space": ["a", "b"]})}),
                       path)
    with pytest.raises(VoteMatrixError, match=rf"{path.name}.*vote 7 .* outside the label space"):
        VoteMatrix.load(path)


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
    from weaksup.votes import distinct_rows

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
    from weaksup.votes import row_keys

    rng = np.random.default_rng(m * base)
    L = rng.integers(-1, base - 1, (3000, m)).astype(np.int8)
    L[0], L[1] = -1, base - 2  # the smallest and largest keys
    keys = row_keys(L, base)
    assert keys[0] == 0 and keys[1] == base ** m - 1
    order = np.lexsort(L.T[::-1])  # rows sorted by the first LF, then the next ...
    assert np.all(np.diff(keys[order]) >= 0)
    assert len(np.unique(keys)) == len(np.unique(L, axis=0))


def test_distinct_rows_unsorted_are_the_same_rows_in_order_of_first_occurrence():
    from weaksup.votes import distinct_rows

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
