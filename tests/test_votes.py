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


def test_take_by_position_mask_or_id_and_what_it_refuses():
    votes = VoteMatrix([[0], [1], [-1]], row_ids=["a", "b", "c"], lf_names=["f"])
    assert votes.take([2, 0]).row_ids.tolist() == ["c", "a"]
    assert votes.take(np.array([True, False, True])).row_ids.tolist() == ["a", "c"]
    assert votes.take_ids(["b", "a"]) == votes.take([1, 0])
    with pytest.raises(VoteMatrixError, match=r"to pick rows by id use votes.take_ids\(ids\)"):
        votes.take(["a"])
    with pytest.raises(VoteMatrixError, match="position 5 is outside the 3 rows"):
        votes.take([5])
    with pytest.raises(VoteMatrixError, match=r"a boolean mask needs one flag per row \(3\)"):
        votes.take(np.array([True, False]))
    with pytest.raises(VoteMatrixError, match=r"1 id\(s\) are not rows of the vote matrix, e.g. \['z'\]"):
        votes.take_ids(["a", "z"])
    repeated = VoteMatrix([[0], [1], [-1]], row_ids=["a", "b", "a"], lf_names=["f"])
    with pytest.raises(VoteMatrixError, match=r"row ids repeat \(e.g. \['a'\]\), so an id does not name one row"):
        repeated.take_ids(["a"])


@pytest.mark.slow  # eight interpreters
def test_loading_verified_parquet_bytes_never_aborts_the_interpreter_at_exit(tmp_path):
    # load_run(...).votes() reads each part's verified bytes: pq.read_table on an in-memory buffer made pyarrow 25
    # abort at interpreter exit ("terminate called without an active exception", status 134) in about half the runs
    import subprocess
    import sys

    path = tmp_path / "votes.parquet"
    VoteMatrix(np.zeros((50, 2), dtype=np.int8), row_ids=[f"r{i}" for i in range(50)], lf_names=["a", "b"]).save(path)
    code = ("import sys; from pathlib import Path; from weaksup import VoteMatrix; p = Path(sys.argv[1]); "
            "print(VoteMatrix.load(p, content=p.read_bytes()).values.shape)")
    statuses = [subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                               env={**os.environ, "OMP_NUM_THREADS": "1"}).returncode for _ in range(8)]
    assert statuses == [0] * 8


def test_a_frame_gives_its_columns_and_index_as_lf_names_and_row_ids():
    import pandas as pd

    frame = pd.DataFrame([[0, -1, 1], [1, 1, -1]], columns=["x", "y", "z"], index=["r1", "r2"])
    votes = VoteMatrix(frame)
    assert votes.lf_names == ["x", "y", "z"] and votes.row_ids.tolist() == ["r1", "r2"]
    assert VoteMatrix(votes.to_frame()) == votes
    assert VoteMatrix(frame, lf_names=["a", "b", "c"], row_ids=[5, 6]).lf_names == ["a", "b", "c"]
    plain = VoteMatrix(pd.DataFrame([[0, 1]]))  # pandas' default 0..m-1 columns name nothing: lf0, lf1
    assert plain.lf_names == ["lf0", "lf1"] and plain.row_ids.tolist() == [0]


def test_nullable_integer_votes_convert_and_missing_ones_are_named():
    import pandas as pd

    frame = pd.DataFrame([[0, -1, 1], [1, 1, -1]], columns=["x", "y", "z"]).astype("Int8")
    votes = VoteMatrix(frame)
    assert votes.values.dtype == np.int8 and votes.values.tolist() == [[0, -1, 1], [1, 1, -1]]
    with pytest.raises(VoteMatrixError, match=r"3 votes are missing \(NA\), e\.g\. at row 0 column 'z', row 1 "
                                              r"column 'x'.*fillna\(-1\)"):
        VoteMatrix(frame.mask(frame == 1))


def test_sparse_and_ragged_votes_are_refused_with_the_fix():
    import scipy.sparse as sp

    with pytest.raises(VoteMatrixError, match=r"csr_matrix.*\.toarray\(\).*implicit zeros .* class 0"):
        VoteMatrix(sp.csr_matrix(np.array([[0, -1], [1, 1]])))
    with pytest.raises(VoteMatrixError, match=r"rows of different lengths: row 0 has 2 votes, row 1 has 1"):
        VoteMatrix([[0, 1], [1]])


def test_a_label_space_may_be_a_list_of_class_names():
    votes = VoteMatrix([[0, 1]], label_space=["ham", "spam"])
    assert votes.label_space == LabelSpace(["ham", "spam"])
    with pytest.raises(VoteMatrixError, match="outside the label space"):
        VoteMatrix([[0, 2]], label_space=["ham", "spam"])


def test_ids_of_mixed_types_are_saved_as_text_with_a_warning(tmp_path, caplog):
    votes = VoteMatrix([[0], [1]], row_ids=np.array([1, "b"], dtype=object))
    with caplog.at_level("WARNING", logger="weaksup.votes"):
        back = VoteMatrix.load(votes.save(tmp_path / "v.npz"))
    assert back.row_ids.tolist() == ["1", "b"] and back != votes  # == compares ids with their types
    assert "saved as text" in caplog.text and "astype(str)" in caplog.text


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_tuple_row_ids_cannot_be_saved(tmp_path, suffix):
    ids = np.empty(2, dtype=object)
    ids[:] = [("a", 1), ("b", 1)]
    with pytest.raises(VoteMatrixError, match=r"row id \('a', 1\) at row 0 is a tuple.*one id"):
        VoteMatrix([[0], [1]], row_ids=ids).save(tmp_path / f"v{suffix}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("names", "versions", "clash"), [
    (["row_id", "y"], None, r"LF 'row_id' \(column 0\) would be saved as the Parquet column 'row_id', which holds "
                            r"the row ids"),
    (["a@1", "a"], ["", "1"], r"LFs 'a@1' \(column 0\) and 'a' at version '1' \(column 1\) would both be saved as "
                              r"the Parquet column 'a@1'"),
])
def test_parquet_refuses_column_names_that_clash(tmp_path, names, versions, clash):
    votes = VoteMatrix([[0, -1], [1, 1]], lf_names=names, lf_versions=versions)
    with pytest.raises(VoteMatrixError, match=clash + r".*rename the LF, or save as \.npz"):
        votes.save(tmp_path / "v.parquet")
    assert list(tmp_path.iterdir()) == []
    assert VoteMatrix.load(votes.save(tmp_path / "v.npz")) == votes
    renamed = VoteMatrix([[0, -1], [1, 1]], lf_names=["row_id", "y"], lf_versions=["2", ""])  # 'row_id@2': no clash
    assert VoteMatrix.load(renamed.save(tmp_path / "ok.parquet")) == renamed


def test_star_import_gives_only_the_public_names():
    import weaksup.labels
    import weaksup.votes

    assert {"VoteMatrix", "has_vote"} <= set(weaksup.votes.__all__)  # (sorted: tests/test_layout.py)
    assert {"ABSTAIN", "LabelSpace"} <= set(weaksup.labels.__all__)
    for module in (weaksup.votes, weaksup.labels):
        namespace: dict = {}
        exec(f"from {module.__name__} import *", namespace)
        assert not {"np", "json", "os", "Any"} & set(namespace), module.__name__
