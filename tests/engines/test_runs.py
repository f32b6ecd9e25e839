"""Recurring runs on growing data: a daily part costs only its rows, an edited LF only its column; partition-level
resume after a failure; versioned runs with ``latest`` and the previous versions kept."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from tests.engines.engine_data import run_labels, streaming_labels, synthetic_config, write_part
from weaksup.engines.driver import run_engine
from weaksup.engines.local import LocalEngine

LF_MODULE = '''
from weaksup import LabelSpace, keyword_lf
LABELS = LabelSpace(["ham", "spam"])
LFS = [keyword_lf("kw_song", ["song"], 0, version="1"), keyword_lf("kw_sub", ["subscribe"], 1, version="1"),
       keyword_lf("kw_free", ["free"], 1, version="1")]
'''


def lf_config(tmp_path, body=LF_MODULE):
    (tmp_path / "my_lfs.py").write_text(body, encoding="utf-8")
    return synthetic_config(tmp_path, modules=[str(tmp_path / "my_lfs.py")])


def test_a_daily_part_is_the_only_one_voted_and_a_new_version_is_committed(tmp_path):
    for i in range(2):
        write_part(tmp_path / "input", i, 3000, start=i * 3000)
    config = lf_config(tmp_path)
    first = run_engine(config)
    assert (first.parts_voted, first.columns_computed, first.columns_reused) == (2, 6, 0)
    write_part(tmp_path / "input", 2, 3000, start=6000)  # the daily drop
    second = run_engine(config)
    assert (second.parts_voted, second.columns_computed, second.columns_reused) == (1, 3, 6)
    assert second.rows == 9000 and second.run_id != first.run_id
    assert (first.run_dir / "_SUCCESS").is_file() and (second.run_dir / "_SUCCESS").is_file()  # previous kept
    assert (config.output_dir / "latest").resolve() == second.run_dir.resolve()
    pd.testing.assert_frame_equal(run_labels(second.run_dir), streaming_labels(config), check_exact=True)


def test_an_edited_lf_recomputes_only_its_column(tmp_path):
    for i in range(3):
        write_part(tmp_path / "input", i, 2000, start=i * 2000)
    run_engine(lf_config(tmp_path))
    edited = LF_MODULE.replace('keyword_lf("kw_free", ["free"], 1, version="1")',
                               'keyword_lf("kw_free", ["free", "cash"], 1, version="2")')
    config = lf_config(tmp_path, edited)
    again = run_engine(config)
    assert (again.parts_voted, again.columns_computed, again.columns_reused) == (0, 3, 6)
    pd.testing.assert_frame_equal(run_labels(again.run_dir), streaming_labels(config), check_exact=True)


def test_an_unchanged_rerun_votes_nothing(tmp_path):
    write_part(tmp_path / "input", 0, 2000)
    config = lf_config(tmp_path)
    first = run_engine(config)
    again = run_engine(config)
    assert again.columns_computed == 0 and again.run_id == first.run_id
    # (the config has [mlflow] enabled = false: the summary said nothing about MLflow)
    assert "MLflow: off (mlflow.enabled = false), this run is not logged" in again.summary()


class CrashAfterFirstPart(LocalEngine):
    """A real local engine whose write stops after the first part (a job killed mid-run)."""

    def write_labels(self, spec, table, parts, staged):
        super().write_labels(spec, table, parts[:1], staged)
        raise RuntimeError("executor lost")


def test_a_failed_run_resumes_from_its_finished_parts(tmp_path):
    for i in range(3):
        write_part(tmp_path / "input", i, 2000, start=i * 2000)
    config = lf_config(tmp_path)
    with pytest.raises(RuntimeError, match="executor lost"):
        run_engine(config, engine=CrashAfterFirstPart())
    assert not (config.output_dir / "runs").exists()  # nothing published: whole or absent
    staging = next(config.output_dir.glob(".staging-*"))
    finished = sorted((staging / "labels").glob("*.parquet"))
    assert len(finished) == 1
    stamp = os.stat(finished[0]).st_mtime_ns
    result = run_engine(config)
    manifest = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert os.stat(result.run_dir / "labels" / finished[0].name).st_mtime_ns == stamp  # reused, not rewritten
    assert manifest["rows"] == 6000 and [p["rows"] for p in manifest["parts"]] == [2000] * 3
    assert not staging.exists()
    pd.testing.assert_frame_equal(run_labels(result.run_dir), streaming_labels(config), check_exact=True)


def test_a_corrupted_finished_part_is_rewritten(tmp_path):
    for i in range(2):
        write_part(tmp_path / "input", i, 1000, start=i * 1000)
    config = lf_config(tmp_path)
    with pytest.raises(RuntimeError):
        run_engine(config, engine=CrashAfterFirstPart())
    part = next(config.output_dir.glob(".staging-*/labels/*.parquet"))
    part.write_bytes(b"half a file")
    result = run_engine(config)
    assert len(run_labels(result.run_dir)) == 2000


def test_fresh_recomputes_every_column(tmp_path):
    write_part(tmp_path / "input", 0, 1000)
    config = lf_config(tmp_path)
    run_engine(config)
    again = run_engine(config, fresh=True)
    assert (again.parts_voted, again.columns_computed, again.columns_reused) == (1, 3, 0)
