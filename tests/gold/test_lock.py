"""Concurrent writes of one gold set (:mod:`weaksup.gold.lock`): real processes writing the same folder at once.

Before the lock, each writer read the manifest (version N), planned N+1, wrote its file and published its manifest:
the last publish replaced the others', so their versions were gone from the manifest (their files orphaned).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from weaksup.gold.edits import add_rows, create_gold, load_any_gold
from weaksup.gold.versions import version_entries

WRITERS = 8
ROWS = pd.DataFrame({"row_id": ["1", "2"], "label": ["ham", "spam"], "split": ["dev", "test"]})


def _context() -> Any:
    return multiprocessing.get_context("fork")  # the children share the imports: they start at once


def _add_one(folder: str, i: int, barrier: Any, results: Any) -> None:
    """A writer process: wait for the others, then add its own row as the gold set's next version."""
    rows = pd.DataFrame({"row_id": [f"new{i}"], "label": ["spam" if i % 2 else "ham"], "split": ["dev"]})
    barrier.wait()
    try:
        gold, _ = add_rows(folder, rows)
        results.put((i, "ok", gold.version, gold.hash))
    except Exception as exc:  # noqa: BLE001 - reported to the test process
        results.put((i, "error", type(exc).__name__, str(exc)))


def _write_version(kind: str, folder: str, version: int, barrier: Any, results: Any) -> None:
    """A writer process: wait for the others, then write ``version`` (its own rows) with the writer of ``kind``."""
    barrier.wait()
    try:
        gold = WRITE[kind](folder, version)
        results.put((version, "ok", gold.version, gold.hash))
    except Exception as exc:  # noqa: BLE001 - reported to the test process
        results.put((version, "error", type(exc).__name__, str(exc)))


def _classification(folder: str, version: int) -> Any:
    from weaksup.gold import write_gold

    rows = pd.DataFrame({"row_id": ["1", f"v{version}"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    return write_gold(rows, folder, task="t", label_space=["ham", "spam"], version=version)


def _multilabel(folder: str, version: int) -> Any:
    from weaksup.multilabel import MultiLabelSpace
    from weaksup.multilabel.gold import write_multilabel_gold

    rows = pd.DataFrame({"row_id": ["1", f"v{version}"], "labels": [["x"], ["x", "y"]], "split": ["dev", "test"]})
    return write_multilabel_gold(rows, folder, task="t", space=MultiLabelSpace(["x", "y"]), version=version)


def _spans(folder: str, version: int) -> Any:
    from weaksup.spans.gold import write_span_gold

    rows = [{"row_id": "1", "split": "dev", "spans": [(0, 4, "Chemical")]},
            {"row_id": f"v{version}", "split": "test", "spans": []}]
    return write_span_gold(rows, folder, task="t", types=["Chemical"], version=version)


WRITE = {"classification": _classification, "multilabel": _multilabel, "spans": _spans}


def _run_at_once(target: Any, args: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Run ``target(*a, barrier, results)`` for each ``a`` in its own process, all released at once."""
    ctx = _context()
    barrier, results = ctx.Barrier(len(args)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, results)) for a in args]
    for proc in procs:
        proc.start()
    found = [results.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return found


def _assert_every_version_on_disk(folder: Path, versions: set[Any]) -> list[dict[str, Any]]:
    """The manifest lists ``versions``, each with its own file on disk holding the rows its hash says."""
    entries = version_entries(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    assert {e["version"] for e in entries} == versions, entries
    files = [f for e in entries for f in e["files"]]
    assert len(files) == len(set(files)) == len(versions)
    for entry in entries:
        assert (folder / entry["files"][0]).is_file()
        assert load_any_gold(folder, version=entry["version"]).hash == entry["content_hash"]
    return entries


@pytest.mark.parametrize("attempt", range(2))
def test_concurrent_adds_each_become_a_version_on_top_of_the_others(tmp_path, attempt):
    """8 ``add_rows`` processes at once on one gold set: every one writes its own version on top of the others'
    (the second waits for the first), so all 8 versions are in the manifest with their files, and the last holds
    every row added."""
    folder = tmp_path / "gold"
    create_gold(folder, ROWS, task="t", labels=["ham", "spam"])
    results = _run_at_once(_add_one, [(str(folder), i) for i in range(WRITERS)])
    errors = [r for r in results if r[1] != "ok"]
    assert not errors, errors
    assert sorted(r[2] for r in results) == list(range(2, WRITERS + 2))
    entries = _assert_every_version_on_disk(folder, set(range(1, WRITERS + 2)))
    by_version = {e["version"]: e["content_hash"] for e in entries}
    assert all(by_version[version] == digest for _, _, version, digest in results)
    current = load_any_gold(folder)
    assert current.version == WRITERS + 1
    assert set(current.frame["row_id"]) == {"1", "2", *(f"new{i}" for i in range(WRITERS))}


@pytest.mark.parametrize("kind", sorted(WRITE))
def test_concurrent_writers_of_other_versions_all_keep_their_version(tmp_path, kind):
    """Writers of versions 2..5 at once (each its own rows), for each task type's writer: every version is in the
    manifest with its own file and hash."""
    folder = tmp_path / "gold"
    WRITE[kind](str(folder), 1)
    results = _run_at_once(_write_version, [(kind, str(folder), v) for v in range(2, 6)])
    errors = [r for r in results if r[1] != "ok"]
    assert not errors, errors
    entries = _assert_every_version_on_disk(folder, {1, 2, 3, 4, 5})
    by_version = {e["version"]: e["content_hash"] for e in entries}
    assert all(by_version[version] == digest for _, _, version, digest in results)


def test_two_writers_of_the_same_version_keep_one_and_refuse_the_other(tmp_path):
    """Two imports that read the same version both write the next one (as ``weaksup review import`` does): one is
    written, the other is refused (it re-runs on top); the version written stays in the manifest with its file."""
    folder = tmp_path / "gold"
    _classification(str(folder), 1)

    results = _run_at_once(_write_same, [(str(folder), i) for i in range(2)])
    ok = [r for r in results if r[1] == "ok"]
    refused = [r for r in results if r[1] != "ok"]
    assert len(ok) == 1 and len(refused) == 1, results
    assert refused[0][2] == "GoldSetError" and "already exists with other labels" in refused[0][3]
    entries = _assert_every_version_on_disk(folder, {1, 2})
    assert entries[-1]["content_hash"] == ok[0][3]


def _write_same(folder: str, i: int, barrier: Any, results: Any) -> None:
    from weaksup.gold import write_gold

    rows = pd.DataFrame({"row_id": ["1", f"w{i}"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    barrier.wait()
    try:
        gold = write_gold(rows, folder, task="t", label_space=["ham", "spam"], version=2)
        results.put((i, "ok", gold.version, gold.hash))
    except Exception as exc:  # noqa: BLE001 - reported to the test process
        results.put((i, "error", type(exc).__name__, str(exc)))


def _weaksup(*args: str, timeout: str) -> subprocess.Popen[str]:
    env = {**os.environ, "WEAKSUP_LOCK_TIMEOUT": timeout, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "weaksup", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_writer_waits_for_the_lock_then_writes_on_top_of_the_holders_version(tmp_path):
    """While this process holds the gold set (writing a version), ``weaksup gold add`` in another process waits,
    saying so, then writes its rows as the version after the holder's: both versions survive."""
    from weaksup.gold.lock import gold_lock

    folder = tmp_path / "gold"
    create_gold(folder, ROWS, task="t", labels=["ham", "spam"])
    theirs = tmp_path / "theirs.csv"
    theirs.write_text("row_id,label,split\ntheirs,spam,dev\n", encoding="utf-8")
    with gold_lock(folder):
        proc = _weaksup("gold", "add", str(folder), "--from", str(theirs), timeout="300")
        assert proc.stderr is not None
        seen = []
        while not seen or ("waiting up to" not in seen[-1] and seen[-1]):  # it blocks until the lock is free
            seen.append(proc.stderr.readline())
        line = seen[-1]
        assert "is being written by another weaksup process; waiting up to 300 s" in line, line
        assert str(folder) in line
        add_rows(folder, pd.DataFrame({"row_id": ["mine"], "label": ["ham"], "split": ["test"]}))  # v2, held
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    _assert_every_version_on_disk(folder, {1, 2, 3})
    assert set(load_any_gold(folder, version=2).frame["row_id"]) == {"1", "2", "mine"}
    assert set(load_any_gold(folder).frame["row_id"]) == {"1", "2", "mine", "theirs"}


def test_a_writer_that_cannot_get_the_lock_exits_2_naming_the_folder_and_the_fix(tmp_path):
    """A gold set held longer than ``WEAKSUP_LOCK_TIMEOUT``: the other writer stops with exit 2, naming the folder
    and what to do, and writes nothing."""
    from weaksup.gold.lock import gold_lock

    folder = tmp_path / "gold"
    create_gold(folder, ROWS, task="t", labels=["ham", "spam"])
    before = sorted(p.name for p in folder.iterdir())
    with gold_lock(folder):
        proc = _weaksup("gold", "remove", str(folder), "--ids", "1", timeout="0.2")
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert f"the gold set folder {folder} is being written by another weaksup process" in err
    assert "not free after 0.2 s" in err and "WEAKSUP_LOCK_TIMEOUT" in err and "nothing was written" in err
    assert sorted(p.name for p in folder.iterdir()) == before  # no lock file, no new version
    assert load_any_gold(folder).version == 1


def test_a_write_that_fails_leaves_no_empty_gold_folder_behind(tmp_path):
    # a review import of an unknown label into a new gold set left gold_sets/<task>/ behind, empty
    from weaksup.errors import GoldSetError
    from weaksup.gold.lock import gold_lock

    with pytest.raises(GoldSetError):
        with gold_lock(tmp_path / "gold_sets" / "new_task", create=True):
            assert (tmp_path / "gold_sets" / "new_task").is_dir()
            raise GoldSetError("unknown label 'spma'")
    assert not (tmp_path / "gold_sets").exists()
    with gold_lock(tmp_path / "kept", create=True):  # a write that succeeds keeps its folder and files
        (tmp_path / "kept" / "manifest.json").write_text("{}")
    assert (tmp_path / "kept" / "manifest.json").is_file()


def _create(folder: str, i: int, barrier: Any, results: Any) -> None:
    from weaksup.gold.edits import create_gold

    rows = pd.DataFrame({"row_id": ["1", f"c{i}"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    barrier.wait()
    try:
        gold = create_gold(folder, rows, task="t", labels=["ham", "spam"])
        results.put((i, "ok", gold.version, gold.hash))
    except Exception as exc:  # noqa: BLE001 - reported to the test process
        results.put((i, "error", type(exc).__name__, str(exc)))


def test_two_creates_at_once_make_one_gold_set_and_tell_the_other_to_add():
    # the "holds a gold set already" check ran outside the lock: the second create got plan_version's
    # "version 1 already exists with other labels" instead of the fix (weaksup gold add)
    import tempfile

    for _ in range(3):
        folder = Path(tempfile.mkdtemp()) / "gold"
        results = _run_at_once(_create, [(str(folder), i) for i in range(2)])
        refused = [r for r in results if r[1] != "ok"]
        assert len(refused) == 1 and "holds a gold set already" in refused[0][3], results
        _assert_every_version_on_disk(folder, {1})
