"""The run folder as one unit: an exclusive lock, a staging folder, one publish, and recovery.

A run never writes into the published run folder (the folder of ``output.path``) while it works:

1. It takes an exclusive ``flock`` on the folder (:class:`FolderLock`, a :class:`weaksup._lock.FolderFlock`); a
   second run on the same folder waits up to ``WEAKSUP_LOCK_TIMEOUT`` seconds (default 10), then stops naming the
   holder (pid, start time, config). A lock dies with its process, so a killed run's lock is simply taken over.
2. It works in a staging folder ``<run folder>/.weaksup-stage-<pid>-<hex8>/`` (:class:`Stage`) on the same
   file system: the published ``votes/`` (and ``clean/``) are hard-linked into it (free, no copy), so
   unchanged LF columns are reused while the published files stay untouched; a killed run's stage is
   adopted by the next run, so ``--resume`` reuses its finished chunks.
3. When everything is written it commits: ``run.json`` is written last *inside* the stage. Publishing then
   renames each output into the run folder (the previous run's entries moved aside), ``run.json`` last.
   A publish cut short (a kill between two renames) is finished by the next run or :func:`load_run`
   (:func:`recover`): a committed stage is rolled forward, an uncommitted one never published. A publish
   that fails with an error (a folder made read-only or immutable) is undone by the run itself
   (``publish(..., undo=True)``): the previous run's entries are moved back and the stage's ``run.json`` is
   removed, so the failed run is never published later; if even that fails, the error says so.

So after any failure the published folder is one run's whole output, and renames cost nothing (no
copy of the labels). Only names weaksup makes (:data:`weaksup._io.STAGE_PATTERN`,
:data:`weaksup._io.TEMP_PATTERN`) are ever swept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from weaksup._io import STAGE_PATTERN, pid_alive
from weaksup._lock import LOCK_FILE as LOCK_FILE
from weaksup._lock import LOCK_TIMEOUT as LOCK_TIMEOUT
from weaksup._lock import LOCK_TIMEOUT_ENV, FolderFlock
from weaksup._lock import lock_timeout as lock_timeout
from weaksup.errors import DataError

logger = logging.getLogger(__name__)

#: Who holds the folder: written in the stage as soon as the lock is taken.
HOLDER = "holder.json"
#: The manifest: in the stage it is the commit mark (written last), in the run folder it is published last.
MANIFEST = "run.json"
#: Inside a stage: the previous run's entries moved aside while publishing (deleted with the stage).
REPLACED = "replaced"
#: The ``run.json`` of the run a ``weaksup run`` replaced, kept in its folder (``weaksup compare`` reads it).
PREVIOUS = "previous_run.json"


def stages(folder: Path) -> list[Path]:
    """The staging folders in ``folder`` (live or not), oldest first."""
    try:
        found = [Path(e.path) for e in os.scandir(folder)
                 if STAGE_PATTERN.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def holders(folder: Path) -> list[dict[str, Any]]:
    """What the staging folders of ``folder`` say about the runs that made them (pid, start, config)."""
    found = []
    for stage in stages(folder):
        try:
            found.append(json.loads((stage / HOLDER).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


class FolderLock(FolderFlock):
    """An exclusive ``flock`` on a run folder for the life of a run (see the module docstring).

    Parameters
    ----------
    folder : Path
        The run folder (it exists).
    timeout : float, optional
        Seconds to wait for another run to finish (default: :func:`weaksup._lock.lock_timeout`).
    """

    error = DataError
    log = logger

    def waiting(self) -> str:
        return f"{self.folder} is in use by another weaksup run; waiting up to {self.timeout:g} s"

    def unopenable(self, exc: OSError) -> str:
        return (f"cannot open the output folder {self.folder} to lock it ({exc.strerror or exc}); "
                "fix its permissions or change output.path")

    def unlockable(self, exc: OSError) -> str:
        return (f"cannot lock the output folder {self.folder} ({exc.strerror or exc}); "
                "put output.path on a local file system")

    def busy(self) -> str:
        who = holders(self.folder)
        if who:
            h = who[-1]
            alive = "" if pid_alive(int(h.get("pid", 0))) else " (no longer running: a process it started may " \
                                                             "still hold the lock)"
            holder = (f"pid {h.get('pid')} on {h.get('host')}{alive}, started {h.get('started')}, "
                      f"config {h.get('config')}")
        else:
            holder = "a process that has not said who it is yet"
        return (f"the output folder {self.folder} is in use by another weaksup run ({holder}); it was not free "
                f"after {self.timeout:g} s. Wait for that run to finish (or stop it), set {LOCK_TIMEOUT_ENV} to "
                "wait longer, or give this run another output.path")


def is_committed(stage: Path) -> bool:
    """Whether ``stage`` holds a whole run waiting to be published (its ``run.json`` is written)."""
    return (stage / MANIFEST).is_file()


def recover(folder: Path) -> int:
    """Finish the publish of every committed stage in ``folder``, oldest first; returns how many.

    Call it holding the folder's lock.
    """
    done = 0
    for stage in stages(folder):
        if is_committed(stage):
            logger.warning("finishing the publish of a run that was interrupted while publishing (%s)", stage.name)
            try:
                publish(folder, stage)
            except OSError as exc:
                raise DataError(f"cannot finish publishing into {folder} a run that was interrupted while "
                                f"publishing ({_reason(exc)}); the folder may hold part of that run beside the "
                                "previous one until then. Fix the cause (the folder's permissions, free space), "
                                "then run again: the publish is finished first") from exc
            done += 1
    return done


def pending(folder: Path) -> bool:
    """Whether a committed stage waits in ``folder`` (a publish was cut short)."""
    return any(is_committed(s) for s in stages(folder))


def recover_pending(folder: Path) -> None:
    """For readers: finish a publish cut short, if any, taking the lock (a read-only folder is left as is)."""
    if not pending(folder):
        return
    with contextlib.suppress(OSError, DataError), FolderLock(folder):
        recover(folder)


def outputs_of(manifest: dict[str, Any]) -> list[str]:
    """The entries of the run folder a manifest claims (direct children: files, or folders ending in ``/``)."""
    names = []
    for value in (manifest.get("outputs") or {}).values():
        if isinstance(value, str) and value:
            name = value.rstrip("/")
            if name and "/" not in name and "\\" not in name and name not in (".", "..", MANIFEST):
                names.append(name)
    return names


def keep_previous(folder: Path, stage: Path) -> dict[str, Any] | None:
    """Copy the published ``run.json`` of ``folder`` (the run this one replaces) into ``stage`` as
    :data:`PREVIOUS`, byte for byte, and return it; None (nothing copied) when the folder holds no readable run.
    Call it holding the folder's lock, after :func:`recover`: the stage publishes it with the run's outputs.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); stage = folder / "stage"; stage.mkdir()
    >>> keep_previous(folder, stage) is None
    True
    >>> _ = (folder / MANIFEST).write_text('{"format": "weaksup.Run", "rule_version": "r1"}')
    >>> keep_previous(folder, stage)["rule_version"], (stage / PREVIOUS).is_file()
    ('r1', True)
    """
    from weaksup.pipeline.manifest import RUN_FORMAT

    doc = read_manifest(folder / MANIFEST)
    if doc.get("format") != RUN_FORMAT:
        (stage / PREVIOUS).unlink(missing_ok=True)  # (an adopted stage's copy of another run)
        return None
    shutil.copyfile(folder / MANIFEST, stage / PREVIOUS)
    return doc


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest (``run.json``) as a dict; empty when it is missing or unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def publish(folder: Path, stage: Path, *, undo: bool = False) -> None:
    """Move a committed stage's outputs into ``folder``, the previous run's aside, ``run.json`` last.

    Idempotent: a publish cut short is finished by calling it again. ``undo=True`` (the run that made the
    stage, alive to handle an error): a move that fails with an error undoes the moves made, and the stage's
    ``run.json`` is removed, so the previous run stays published and this one is never rolled forward;
    the error is raised again. When the undo fails too, a :class:`DataError` says what the folder holds.
    """
    new = read_manifest(stage / MANIFEST)
    produced = outputs_of(new)
    old = read_manifest(folder / MANIFEST)
    replaced = stage / REPLACED
    replaced.mkdir(exist_ok=True)
    moves: list[tuple[Path, Path]] = []  # the renames made, in order (undone in reverse)
    try:
        # the previous run's outputs this run does not replace (a stale report, model, clean/) go with it; its
        # labels file is kept (whole, and no longer named by run.json): a labels file is never deleted
        kept = (old.get("outputs") or {}).get("labels")
        for name in outputs_of(old):
            if name not in produced and name != kept and os.path.lexists(folder / name):
                moves.append(_move_aside(folder / name, replaced))
        for name in produced:
            source, target = stage / name, folder / name
            if not os.path.lexists(source):
                continue  # published before the interruption
            if os.path.lexists(target) and (undo or (source.is_dir() and not source.is_symlink())):
                moves.append(_set_aside(target, replaced, keep=not (source.is_dir() and not source.is_symlink())))
            os.replace(source, target)
            moves.append((source, target))
        os.replace(stage / MANIFEST, folder / MANIFEST)
    except Exception as exc:
        if undo:
            _undo(folder, stage, moves, exc)
        raise
    _fsync_dir(folder)
    shutil.rmtree(stage, ignore_errors=True)


def _set_aside(target: Path, replaced: Path, *, keep: bool) -> tuple[Path, Path]:
    """Put the previous run's ``target`` aside before it is replaced; ``keep``: as a hard link, so the folder
    never lacks it (a file system without hard links: moved). Returns the rename that puts it back."""
    if keep:
        aside = _aside(target, replaced)
        try:
            os.link(target, aside, follow_symlinks=False)
            return target, aside
        except OSError:
            pass
    return _move_aside(target, replaced)


def _undo(folder: Path, stage: Path, moves: list[tuple[Path, Path]], exc: BaseException) -> None:
    """Put back what a failed publish moved (in reverse), then remove the stage's commit mark."""
    try:
        while moves:
            source, target = moves[-1]
            os.replace(target, source)
            moves.pop()
        os.unlink(stage / MANIFEST)
    except OSError as undo_exc:
        moved = sorted({t.name for s, t in moves if t.parent == folder and s.parent == stage})
        holds = (f"it holds this run's {', '.join(moved)} beside the previous run's other outputs" if moved
                 else "it holds the previous run's outputs")
        raise DataError(f"cannot publish the run into {folder}: {_reason(exc)}; undoing it failed too "
                        f"({_reason(undo_exc)}), so {holds}, not one whole run. This run is saved whole and is "
                        "published by the next `weaksup run` or load_run: fix the folder's permissions, then "
                        "call load_run (or run again)") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _aside(path: Path, replaced: Path) -> Path:
    """A free name for ``path`` in ``replaced``."""
    target = replaced / path.name
    n = 0
    while os.path.lexists(target):
        n += 1
        target = replaced / f"{path.name}.{n}"
    return target


def _move_aside(path: Path, replaced: Path) -> tuple[Path, Path]:
    target = _aside(path, replaced)
    os.replace(path, target)
    return path, target


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
