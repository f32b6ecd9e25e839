"""Atomic file writes: a file is whole or absent, never half-written."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

#: Errors that mean "no room": a full disk, a quota, a file-size limit (``ulimit -f``).
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _naming(exc: OSError, target: Path) -> OSError:
    """``exc`` again (same errno, so the same ``OSError`` subclass), naming ``target``, not the temporary file."""
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_ROOM:  # the message says which file and what to do; str() shows no filename then
        return OSError(exc.errno, f"cannot write {str(target)!r}: {reason}. The disk is full or a file-size limit "
                                  "was reached; nothing was written (a file already there is unchanged): free some "
                                  "space, or write elsewhere")
    if exc.errno is None:
        return OSError(f"cannot write {str(target)!r}: {reason}")
    return OSError(exc.errno, reason, str(target))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left as it was.
    The temporary name keeps the target's suffix, so writers that dispatch on
    the extension (``np.savez``, pyarrow) behave the same. An ``OSError`` while
    writing (a full disk, ``EFBIG``) is raised again naming ``path``, not the
    temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp = _new_file_beside(target, suffix if suffix is not None else target.suffix)
    except OSError as exc:
        raise _naming(exc, target) from exc
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM or exc.filename == str(tmp):
            raise _naming(exc, target) from exc
        raise  # about something else (an input the writer reads): it says so already
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_file_beside(target: Path, suffix: str) -> Path:
    """Create an empty, new file ``.<name>.<random><suffix>`` beside ``target``.

    It is created with mode ``0o666``, which the kernel narrows by the process umask, so the
    final file gets the usual permissions without reading (or changing) the umask, which is
    process-wide state that other threads rely on.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(tmp, flags, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))
