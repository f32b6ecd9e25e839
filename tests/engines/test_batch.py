"""Input parts, the picklable BatchSpec, vote_frame: votes equal the streaming run's, bad input named."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.engines.engine_data import synthetic_config, write_part
from weaksup.engines.batch import BatchSpec, list_input_parts, read_part, vote_frame
from weaksup.engines.driver import run_engine
from weaksup.errors import ConfigError, DataError, LFDefinitionError


def test_parts_are_listed_in_name_order_and_a_changed_file_is_a_new_part(tmp_path):
    for i in (1, 0):
        write_part(tmp_path / "input", i, 100, start=i * 100)
    config = synthetic_config(tmp_path)
    parts = list_input_parts(config)
    assert [os.path.basename(p.path) for p in parts] == ["part-0000.parquet", "part-0001.parquet"]
    assert [p.rows for p in parts] == [100, 100] and [p.index for p in parts] == [0, 1]
    write_part(tmp_path / "input", 1, 100, start=100, seed=5)
    os.utime(parts[1].path, ns=(1, 1))
    again = list_input_parts(config)
    assert again[0].key == parts[0].key and again[1].key != parts[1].key


def test_row_group_slices_cover_the_file_in_order(tmp_path):
    path = write_part(tmp_path / "input", 0, 1000)
    parts = list_input_parts(synthetic_config(tmp_path), partitions=2)
    assert len(parts) == 2 and sum(p.rows for p in parts) == 1000
    ids = pd.concat([read_part(p, ["row_id"], strings=["row_id"]) for p in parts], ignore_index=True)
    assert ids["row_id"].tolist() == pd.read_parquet(path)["row_id"].tolist()


def test_csv_input_is_refused_with_the_command_that_converts_it(tmp_path):
    (tmp_path / "input").mkdir()
    pd.DataFrame({"row_id": ["a"], "text": ["x"]}).to_csv(tmp_path / "input" / "a.csv", index=False)
    with pytest.raises(ConfigError, match="weaksup.engines.convert"):
        list_input_parts(synthetic_config(tmp_path))


def test_vote_frame_votes_like_the_lfs_in_row_order(tmp_path):
    spec = BatchSpec.from_config(synthetic_config(tmp_path))
    frame = pd.DataFrame({"row_id": [3, 1, 2], "text": ["please subscribe", "great song", "nothing"]})
    votes = vote_frame(spec, frame)
    assert list(votes.columns) == ["row_id", *spec.lf_ids] and votes["row_id"].tolist() == ["3", "1", "2"]
    assert all(votes[c].dtype == np.int8 for c in spec.lf_ids)
    by_name = dict(zip(spec.lf_names, spec.lf_ids))
    assert votes[by_name["kw_please"]].tolist() == [1, -1, -1] and votes[by_name["kw_song"]].tolist() == [-1, 0, -1]
    only = vote_frame(spec, frame, only=[by_name["kw_song"]])
    assert list(only.columns) == ["row_id", by_name["kw_song"]]


def test_a_part_with_a_repeated_id_names_the_part_and_the_id(tmp_path):
    write_part(tmp_path / "input", 0, 50)
    bad = pd.DataFrame({"row_id": ["x1", "x2", "x1"], "text": ["a", "b", "c"]})
    bad.to_parquet(tmp_path / "input" / "part-0001.parquet", index=False)
    with pytest.raises(DataError, match=r"part-0001\.parquet: id 'x1' is not unique \(rows \[0, 2\]"):
        run_engine(synthetic_config(tmp_path))


def test_a_parts_repeated_ids_are_told_as_the_run_tells_them_with_the_count_and_the_fix(tmp_path):
    # the engines' message said neither how many other ids repeat nor make_row_ids, which the run's message says
    write_part(tmp_path / "input", 0, 50)
    bad = pd.DataFrame({"row_id": ["x1", "x2", "x1", "x2", "x3", "x3"], "text": list("abcdef")})
    bad.to_parquet(tmp_path / "input" / "part-0001.parquet", index=False)
    with pytest.raises(DataError) as caught:
        run_engine(synthetic_config(tmp_path))
    message = str(caught.value)
    assert "id 'x1' is not unique (rows [0, 2] of the part; 2 other id(s) repeat too)" in message, message
    assert "weaksup.data.make_row_ids gives the n-th repeat of an id k the id 'k#n'" in message


def test_the_spec_pickles_and_a_worker_imports_the_lfs(tmp_path):
    spec = BatchSpec.from_config(synthetic_config(tmp_path))
    copy = pickle.loads(pickle.dumps(spec))
    assert [lf.lf_id for lf in copy.lfs()] == list(spec.lf_ids)


def test_a_module_missing_on_a_worker_is_a_clear_error_not_a_hang(tmp_path):
    module = tmp_path / "gone_lfs.py"
    module.write_text("from weaksup import keyword_lf\nLFS = [keyword_lf('k', ['a'], 1, version='1')]\n")
    spec = BatchSpec.from_config(synthetic_config(tmp_path, modules=[str(module)], task={"labels": ["a", "b"]}))
    (tmp_path / "spec.pkl").write_bytes(pickle.dumps(spec))
    module.unlink()  # the worker (a fresh process) does not have it
    code = ("import pickle, sys\nspec = pickle.load(open(sys.argv[1], 'rb'))\n"
            "try:\n    spec.lfs()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "spec.pkl")], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.stdout.startswith("LFDefinitionError") and "gone_lfs.py" in done.stdout
    assert "ship_modules = true" in done.stdout
    with pytest.raises(LFDefinitionError, match="cannot be imported on this worker"):
        dataclasses.replace(spec, modules=("no_such_module_anywhere",)).lfs()


def test_only_classification_runs_on_an_engine(tmp_path):
    config = synthetic_config(tmp_path)
    config = dataclasses.replace(config, task=dataclasses.replace(config.task, type="multilabel"))
    with pytest.raises(ConfigError, match="classification tasks only"):
        BatchSpec.from_config(config)


def test_an_id_repeated_across_parts_names_both_files_and_the_id(tmp_path):
    write_part(tmp_path / "input", 0, 50)
    write_part(tmp_path / "input", 1, 50, start=49)  # r49 again
    with pytest.raises(DataError, match=r"part-0001\.parquet.*id 'r49' is not unique.*part-0000\.parquet"):
        run_engine(synthetic_config(tmp_path))
