"""Atomic writes (weaksup._io): whole or absent, the usual permissions, no process-wide state touched."""

from __future__ import annotations

import os
import stat

import pytest

from weaksup._io import atomic_path


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_a_written_file_gets_the_umask_mode_without_touching_the_umask(tmp_path, umask_027, monkeypatch):
    def refuse(*args):  # the umask is process-wide: reading it means setting it, a race with other threads
        raise AssertionError("atomic_path changed the process umask")

    monkeypatch.setattr(os, "umask", refuse)
    target = tmp_path / "out" / "labels.csv"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(f".weaksup-tmp-{os.getpid()}-") and tmp.suffix == ".csv"
        tmp.write_text("a,b\n")
    assert target.read_text() == "a,b\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 narrowed by the umask 0o027
    assert sorted(p.name for p in target.parent.iterdir()) == ["labels.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "votes.npz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="writer broke"), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer broke")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["votes.npz"]


def test_a_write_onto_a_folder_is_a_weaksup_error_naming_the_target_and_the_fix(tmp_path):
    from weaksup.errors import WeakSupError

    (tmp_path / "out").mkdir()
    with pytest.raises(WeakSupError) as info, atomic_path(tmp_path / "out") as tmp:
        tmp.write_text("rows")
    assert isinstance(info.value, OSError)  # an OSError still (a run's writer catches those)
    assert info.value.filename == str(tmp_path / "out")
    assert str(info.value) == (f"cannot write {str(tmp_path / 'out')!r} (Is a directory); {str(tmp_path / 'out')!r} is "
                               f"a folder: give a file path (e.g. {tmp_path / 'out'}/<name>), or move the folder")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left
