"""The publish of a run folder: a publish that fails with an error is rolled back (the previous run stays, and
nothing is rolled forward later); only a publish cut short by a kill is finished by the next reader."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config
from weaksup.errors import DataError


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """Every file of a run folder (not the weaksup staging folders), by relative path."""
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and ".weaksup-stage-" not in p.as_posix()}


def _failing_replace(patch: pytest.MonkeyPatch, out: Path, fail_at: int) -> list[str]:
    """``os.replace`` in the publish raises EPERM on its ``fail_at``-th move into ``out`` (a folder turned
    read-only or immutable mid-publish: ``chmod`` does not stop root, so the OS call stands in for it)."""
    from weaksup.pipeline import folder

    real_replace, calls = os.replace, []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).parent == out and Path(src).parent.name.startswith(".weaksup-stage-"):  # a move of the publish
            calls.append(Path(dst).name)
            if len(calls) == fail_at:
                raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    patch.setattr(folder.os, "replace", replace)
    return calls


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_publish_that_fails_with_an_error_is_rolled_back_and_never_published_later(project, monkeypatch,
                                                                                      fail_at):
    """Case: exit 2 said "the previous run ... is unchanged", then ``load_run`` finished publishing that failed
    run. Whichever move of the publish fails (labels, model, votes, ``run.json``), the previous run is back in
    place, and the next reader and the next run keep it."""
    from weaksup.pipeline import folder, load_run

    write_config(project)
    run_config(project / "run.toml")
    out = project / "out"
    before = snapshot(out)
    with monkeypatch.context() as patch, pytest.raises(DataError, match="unchanged") as failed:
        calls = _failing_replace(patch, out, fail_at)
        run_config(project / "run.toml", "label_model.name=DawidSkene")
    assert len(calls) == fail_at  # the publish got that far
    assert "Operation not permitted" in str(failed.value)
    assert snapshot(out) == before
    assert not folder.pending(out)  # nothing left to roll forward
    assert load_run(out).manifest["label_model"] == "MajorityVote"
    assert snapshot(out) == before
    assert json.loads((out / "run.json").read_text())["label_model"] == "MajorityVote"
    # the next run starts from the previous run, and publishes
    assert run_config(project / "run.toml", "label_model.name=DawidSkene").run_dir == out
    assert load_run(out).manifest["label_model"] == "DawidSkene"


def test_a_publish_that_cannot_be_rolled_back_says_what_the_folder_holds(project, monkeypatch):
    """When the undo fails too (the folder refuses every move once the first one is done), the message does
    not claim the previous run is unchanged: it says the folder holds part of this run, finished later."""
    from weaksup.pipeline import folder, load_run

    write_config(project)
    run_config(project / "run.toml")
    out = project / "out"
    real_replace, moved = os.replace, []

    def replace(src, dst, *args, **kwargs):
        if moved:  # after the first move into the folder, nothing moves any more (in or out)
            raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))
        if Path(dst).parent == out and ".weaksup-stage-" in str(src):
            moved.append(dst)
        return real_replace(src, dst, *args, **kwargs)

    with monkeypatch.context() as patch, pytest.raises(DataError) as failed:
        patch.setattr(folder.os, "replace", replace)
        run_config(project / "run.toml", "label_model.name=DawidSkene")
    message = str(failed.value)
    assert "unchanged" not in message and "not one whole run" in message and str(out) in message, message
    assert "this run's labels.parquet" in message and ".weaksup-" not in message, message
    assert folder.pending(out)  # the whole new run is rolled forward by the next reader
    assert load_run(out).manifest["label_model"] == "DawidSkene"


def test_a_stage_committed_by_a_killed_run_is_still_rolled_forward(project, monkeypatch):
    """The roll-back is only for a publish that failed with an error: a kill between two moves still
    leaves a committed stage that the next reader finishes."""
    from weaksup.pipeline import folder, load_run

    write_config(project)
    run_config(project / "run.toml")
    out = project / "out"
    real_replace, calls = os.replace, []

    def killed(src, dst, *args, **kwargs):
        if Path(dst).parent == out and ".weaksup-stage-" in str(src):
            calls.append(dst)
            if len(calls) == 2:
                raise KeyboardInterrupt  # stands in for a SIGKILL between two renames
        return real_replace(src, dst, *args, **kwargs)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(folder.os, "replace", killed)
        run_config(project / "run.toml", "label_model.name=DawidSkene")
    assert folder.pending(out)
    assert load_run(out).manifest["label_model"] == "DawidSkene"
