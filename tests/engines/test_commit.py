"""StagedRun: part files with .ok sidecars, resume checks, the commit (manifest, _SUCCESS, latest, versions)."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from weaksup.engines.batch import InputPart
from weaksup.engines.commit import StagedRun
from weaksup.engines.runs import latest_run, list_runs, read_labels
from weaksup.errors import DataError


def parts(n=2):
    return [InputPart(i, f"in/p{i}.parquet", f"{i:02d}" * 16, 2) for i in range(n)]


def labels(i):
    return pa.table({"row_id": [f"a{i}", f"b{i}"], "label": ["ham", None]})


def test_a_part_is_done_only_when_its_file_matches_its_sidecar(tmp_path):
    staged = StagedRun(tmp_path, "r1", task="t")
    part = parts(1)[0]
    assert not staged.done(part)
    result = staged.write_part(part, labels(0))
    assert staged.done(part) and result.rows == 2 and len(result.sha256) == 64
    staged.part_file(part).write_bytes(b"changed")
    assert not staged.done(part)
    with pytest.raises(DataError, match="1 labels for 2 rows"):
        staged.write_part(part, labels(0).slice(0, 1))


def test_commit_publishes_a_versioned_run_and_keeps_the_previous_one(tmp_path):
    first = StagedRun(tmp_path, "r1", task="t")
    for i, part in enumerate(parts()):
        first.write_part(part, labels(i))
    run1 = first.commit(parts(), {"engine": "local"})
    doc = json.loads((run1 / "manifest.json").read_text(encoding="utf-8"))
    assert doc["rows"] == 4 and doc["engine"] == "local" and [p["rows"] for p in doc["parts"]] == [2, 2]
    assert (run1 / "_SUCCESS").is_file() and not list(run1.glob("labels/*.ok"))
    assert not first.path.exists() and latest_run(tmp_path) == run1.resolve()
    second = StagedRun(tmp_path, "r2", task="t")
    for i, part in enumerate(parts()):
        second.write_part(part, labels(i + 5))
    run2 = second.commit(parts(), {"engine": "dask"})
    assert latest_run(tmp_path) == run2.resolve() and (run1 / "_SUCCESS").is_file()
    assert [r.run_id for r in list_runs(tmp_path, "t")] == ["r1", "r2"]
    assert read_labels(run2)["row_id"].tolist() == ["a5", "b5", "a6", "b6"]


def test_an_unfinished_run_is_not_published(tmp_path):
    staged = StagedRun(tmp_path, "r1", task="t")
    staged.write_part(parts()[0], labels(0))
    with pytest.raises(DataError, match="1 part\\(s\\) unfinished"):
        staged.commit(parts(), {})
    assert not (tmp_path / "runs").exists() and latest_run(tmp_path) is None


def test_reading_an_uncommitted_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="not a committed run"):
        read_labels(tmp_path)
