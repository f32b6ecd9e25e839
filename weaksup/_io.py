"""Atomic file writes: a file is whole or absent, never half-written."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
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
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except OSError as exc:
        raise _naming(exc, target) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual permissions
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM or exc.filename in (str(tmp), tmp_name):
            raise _naming(exc, target) from exc
        raise  # about something else (an input the writer reads): it says so already
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
