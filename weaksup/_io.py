"""Atomic file writes: a file is whole or absent, never half-written; weaksup's temporary names.

Every temporary file weaksup makes is named ``.weaksup-tmp-<pid>-<hex8>-<name>`` (:data:`TEMP_PATTERN`)
and every staging folder of a run ``.weaksup-stage-<pid>-<hex8>`` (:data:`STAGE_PATTERN`), so a sweep
of leftovers can never mistake a user's file (``.env.local``, ``.gitlab-ci.yml``) for one of them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from weaksup.errors import DataError, WeakSupError, WriteError

#: Errors that mean "no room": a full disk, a quota, a file-size limit (``ulimit -f``).
NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})

#: The name of a temporary file made by :func:`atomic_path`: pid of its writer, a random token, the target's name.
TEMP_PATTERN = re.compile(r"\.weaksup-tmp-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})-(?P<name>.+)")
#: The name of a run's staging folder (see :mod:`weaksup.pipeline.folder`).
STAGE_PATTERN = re.compile(r"\.weaksup-stage-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})")


def temp_name(name: str) -> str:
    """A new temporary name for a file that will become ``name`` (matches :data:`TEMP_PATTERN`).

    Examples
    --------
    >>> bool(TEMP_PATTERN.fullmatch(temp_name("labels.parquet")))
    True
    """
    return f".weaksup-tmp-{os.getpid()}-{secrets.token_hex(4)}-{name}"


def stage_name() -> str:
    """A new name for a run's staging folder (matches :data:`STAGE_PATTERN`)."""
    return f".weaksup-stage-{os.getpid()}-{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (on this machine).

    Examples
    --------
    >>> pid_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def process_identity(pid: int) -> str | None:
    """Process ``pid``'s pid namespace and start time as seen from here (``"pid:[4026531836]|81234"``), or None
    when ``/proc`` cannot tell (not Linux, no such process).

    A pid alone names another process once it is reused, and another container sharing the host name (``docker
    --network host``) has its own pids: a later run compares this identity, not the pid, before it decides that
    the process that logged a run is gone.

    Examples
    --------
    >>> mine = process_identity(os.getpid())
    >>> mine is None or (mine.startswith("pid:[") and mine == process_identity(os.getpid()))
    True
    """
    try:
        namespace = os.readlink("/proc/self/ns/pid")
        with open(f"/proc/{int(pid)}/stat", "rb") as stat:
            start = stat.read().rsplit(b")", 1)[1].split()[19].decode()  # field 22, starttime
    except (OSError, IndexError, ValueError):
        return None
    return f"{namespace}|{start}"


_TEMP_IN_TEXT = re.compile(r"\.weaksup-tmp-\d+-[0-9a-f]{8}-")
_STAGE_IN_TEXT = re.compile(r"[/\\]\.weaksup-stage-\d+-[0-9a-f]{8}(?=[/\\'\"\s:]|$)")


def file_in_the_way(folder: Path) -> Path | None:
    """The first of ``folder`` and its ancestors that exists and is not a folder (so ``folder`` cannot be made).

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> (base / "f").write_text("x")
    1
    >>> file_in_the_way(base / "f" / "sub") == base / "f", file_in_the_way(base / "new")
    (True, None)
    """
    return next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)


def user_path(text: str | os.PathLike[str]) -> str:
    """``text`` (a path, or a message holding paths) with weaksup's temporary and staging names mapped back
    to the user's paths they stand for.

    Examples
    --------
    >>> user_path("runs/x/.weaksup-stage-12-0a1b2c3d/votes/.weaksup-tmp-12-deadbeef-part-00000.parquet")
    'runs/x/votes/part-00000.parquet'
    """
    return _TEMP_IN_TEXT.sub("", _STAGE_IN_TEXT.sub("", str(text)))


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files (:data:`TEMP_PATTERN`) in ``folder`` whose writer is no longer running.

    Nothing else is touched: only regular files named by :func:`temp_name`, directly in ``folder``, whose
    pid is not a live process (a temporary file of a live writer may be in flight). Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        match = TEMP_PATTERN.fullmatch(entry.name)
        if match and entry.is_file(follow_symlinks=False) and not pid_alive(int(match["pid"])):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed


def _naming(exc: OSError, target: Path) -> WriteError:
    """``exc`` again as a :class:`~weaksup.errors.WriteError` (same errno), naming ``target``, not the
    temporary file, with the fix: its message is what the CLI prints (exit 2)."""
    reason = user_path(exc.strerror or str(exc))
    shown = user_path(target)
    if exc.errno in NO_ROOM or (exc.errno is None and "written" in reason):
        code = exc.errno if exc.errno in NO_ROOM else errno.ENOSPC
        reason = (f"cannot write {shown!r}: {reason}. The disk is full or a file-size limit was reached; nothing "
                  "was written (a file already there is unchanged): free some space, or write elsewhere")
        message = reason
    else:
        code = exc.errno
        message = f"cannot write {shown!r} ({reason}); {write_fix(code, target)}"
    err = WriteError(message)
    err.errno, err.strerror, err.filename = code, reason, shown
    return err


def write_fix(code: int | None, target: Path) -> str:
    """How to fix a write of ``target`` that failed with errno ``code`` (the rule a run's writes follow too).

    Examples
    --------
    >>> write_fix(errno.EISDIR, Path("out"))
    "'out' is a folder: give a file path (e.g. out/<name>), or move the folder"
    """
    if code in NO_ROOM:
        return "the disk is full or a file-size limit was reached: free some space, or write elsewhere"
    if code == errno.EISDIR:
        return f"{str(target)!r} is a folder: give a file path (e.g. {target}/<name>), or move the folder"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the folder {str(target.parent)!r} is not writable: fix its permissions, or write elsewhere"
    blocker = file_in_the_way(target.parent)
    if blocker is not None:
        return f"{blocker} is a file, not a folder: move it, or write elsewhere"
    return "fix the cause, or write elsewhere"


@contextlib.contextmanager
def readable(key: str, error: type[WeakSupError] = DataError) -> Iterator[None]:
    """Turn a file or folder that cannot be read (permission denied) into ``error`` naming it, the fix and the
    setting (``key``, e.g. ``input.path``) that points at it; the rule every reader of user files follows.

    Examples
    --------
    >>> with readable("input.path"):  # doctest: +ELLIPSIS
    ...     raise PermissionError(errno.EACCES, "Permission denied", "data/a.csv")
    Traceback (most recent call last):
    weaksup.errors.DataError: cannot read data/a.csv (permission denied): fix its permissions or change input.path
    """
    try:
        yield
    except PermissionError as exc:
        raise error(unreadable(exc, key)) from None


def check_readable(path: Path, key: str, error: type[WeakSupError] = DataError) -> None:
    """``path`` (a file or a folder, when it exists) can be read; else ``error`` as :func:`readable` words it.

    Examples
    --------
    >>> check_readable(Path("."), "input.path")
    """
    with readable(key, error):
        if path.is_dir():
            os.listdir(path)
        elif path.is_file():  # (a FIFO or device is not opened: opening one may block; its reader refuses it)
            with open(path, "rb"):
                pass


def unreadable(exc: OSError, key: str) -> str:
    """The message for ``exc``, a file or folder that cannot be read: what, why and the fix (see :func:`readable`).

    Examples
    --------
    >>> unreadable(PermissionError(errno.EACCES, "Permission denied", "g/labels.csv"), "gold.path")
    'cannot read g/labels.csv (permission denied): fix its permissions or change gold.path'
    """
    why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc)).lower()
    return f"cannot read {user_path(exc.filename or '?')} ({why}): fix its permissions or change {key}"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left as it was.
    The temporary name (:func:`temp_name`) keeps the target's suffix, so writers that dispatch on
    the extension (``np.savez``, pyarrow) behave the same. An ``OSError`` while
    writing (a full disk, ``EFBIG``, a write that stopped short) is raised again naming ``path``,
    not the temporary file.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_file_beside(target, suffix if suffix is not None else target.suffix)
    except OSError as exc:
        raise _naming(exc, target) from exc
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if (exc.errno in NO_ROOM or exc.filename in (str(tmp), str(target))
                or (exc.errno is None and "written" in str(exc))):
            raise _naming(exc, target) from exc
        raise  # about something else (an input the writer reads): it says so already
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_file_beside(target: Path, suffix: str) -> Path:
    """Create an empty, new file ``.weaksup-tmp-<pid>-<random>-<name>[<suffix>]`` beside ``target``.

    It is created with mode ``0o666``, which the kernel narrows by the process umask, so the
    final file gets the usual permissions without reading (or changing) the umask, which is
    process-wide state that other threads rely on.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    extra = "" if target.name.endswith(suffix) else suffix
    for _ in range(100):
        tmp = target.parent / f"{temp_name(target.name)}{extra}"
        try:
            os.close(os.open(tmp, flags, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def read_model_json(path: str | os.PathLike[str], kind: str, run_kind: str) -> Any:
    """The JSON document of a saved ``kind`` label model at ``path`` (``run_kind``: the run that writes one as its
    ``label_model.json``), or a :class:`~weaksup.errors.LabelModelError` naming the file and the fix.

    Examples
    --------
    >>> read_model_json("no/such/label_model.json", "span label model", "spans run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: span label model file 'no/such/label_model.json' does not exist; a finished ...
    """
    import json

    from weaksup.errors import LabelModelError

    path = Path(path)
    if not path.is_file():
        raise LabelModelError(f"{kind} file {str(path)!r} does not exist; a finished {run_kind} writes "
                              "label_model.json in its run folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelModelError(f"{path}: not a saved {kind} ({type(exc).__name__}: {exc})") from None
