"""The local Spark driver JVM's options: the quick JIT, and the class-data archive used only once its writer JVM is
gone and ``java`` starts with it (a truncated archive would crash every later start)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from weaksup.engines.spark_jvm import QUICK_JVM, driver_options, settle


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _written(folder: Path, key: str, name: str, pid: int | None) -> Path:
    path = folder / f"{key}.{name}.writing"
    path.write_bytes(b"\0" * 64)
    if pid is not None:
        path.with_suffix(".pid").write_text(str(pid))
    return path


def test_an_archive_is_used_once_its_jvm_is_gone_and_java_accepts_it(tmp_path):
    running = _written(tmp_path, "k", "a", None)  # its JVM has not registered yet: kept
    alive = _written(tmp_path, "k", "b", os.getpid())  # its JVM still runs: kept
    assert settle(tmp_path, "k", Path("/bin/true")) is None
    assert running.exists() and alive.exists()

    alive.with_suffix(".pid").write_text(str(_dead_pid()))
    ready = settle(tmp_path, "k", Path("/bin/true"))  # `true -XX:SharedArchiveFile=... -version` exits 0
    assert ready == tmp_path / "k.jsa" and ready.is_file() and not alive.exists()
    assert not alive.with_suffix(".pid").exists() and running.exists()


def test_an_archive_java_rejects_is_dropped_not_used(tmp_path):
    broken = _written(tmp_path, "k", "c", _dead_pid())
    assert settle(tmp_path, "k", Path("/bin/false")) is None  # a JVM that crashes on it: never used
    assert not broken.exists() and not broken.with_suffix(".pid").exists()
    assert not (tmp_path / "k.jsa").exists()


def test_driver_options_modes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert driver_options("default").options == []
    assert driver_options("nocds").options == list(QUICK_JVM)
    pytest.importorskip("pyspark")
    first = driver_options("")
    if first.writing is None:  # no java here: the quick JIT only
        assert first.options == list(QUICK_JVM)
        return
    assert any(o.startswith("-XX:ArchiveClassesAtExit=") for o in first.options)
    assert first.writing.parent == tmp_path / "weaksup" / "spark-cds"
    first.started(None)  # no pid known: nothing recorded, the archive is never promoted
    assert not first.writing.with_suffix(".pid").exists()
