"""One writer at a time in a gold set folder: read the manifest, plan the version, write its file, publish.

Every writer of a gold set (:func:`~weaksup.gold.write_gold`, :func:`~weaksup.multilabel.gold.write_multilabel_gold`,
:func:`~weaksup.spans.gold.write_span_gold`, and :mod:`weaksup.gold.edits`, which reads the current version and
writes the next one) holds :func:`gold_lock` from reading the manifest until its own manifest is published. Without
it, two writers at once (two ``weaksup review import``, an import beside ``weaksup gold remove``) both planned
version N+1 from version N and the second publish dropped the first's version from the manifest. With it the second
waits (saying so), then plans on top of the first's version, so both are kept; one that cannot get the lock within
``WEAKSUP_LOCK_TIMEOUT`` seconds writes nothing and gets a :class:`~weaksup.errors.GoldSetError` naming the folder.

The lock is an ``flock`` on the gold set folder itself (:class:`weaksup._lock.FolderFlock`): it leaves no file the
gold reader would see. It is reentrant within a thread, so a function holding it (``add_rows``) calls the writers.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "spam"
>>> with gold_lock(folder, create=True):
...     with gold_lock(folder):  # the same thread: already held
...         sorted(os.listdir(folder))
[]
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from weaksup._io import write_fix
from weaksup._lock import LOCK_TIMEOUT_ENV, FolderFlock
from weaksup.errors import GoldSetError, WriteError
from weaksup.gold.core import MANIFEST

__all__ = ["GoldLock", "gold_lock"]

logger = logging.getLogger(__name__)

_held = threading.local()  # the folders this thread holds (real paths), for reentrance


class GoldLock(FolderFlock):
    """The ``flock`` on a gold set folder, with a gold set's messages (:class:`~weaksup.errors.GoldSetError`)."""

    error = GoldSetError
    log = logger

    def waiting(self) -> str:
        return (f"the gold set folder {self.folder} is being written by another weaksup process; waiting up to "
                f"{self.timeout:g} s")

    def busy(self) -> str:
        return (f"the gold set folder {self.folder} is being written by another weaksup process (an import, or "
                f"weaksup gold add/remove/record); it was not free after {self.timeout:g} s, so nothing was "
                f"written. Wait for that process to finish (or stop it) and run this again, or set "
                f"{LOCK_TIMEOUT_ENV} to wait longer (seconds)")

    def unopenable(self, exc: OSError) -> str:
        return (f"cannot open the gold set folder {self.folder} to lock it while writing ({exc.strerror or exc}); "
                "fix its permissions")

    def unlockable(self, exc: OSError) -> str:
        return (f"cannot lock the gold set folder {self.folder} while writing ({exc.strerror or exc}); keep gold "
                "sets on a local file system")


@contextlib.contextmanager
def gold_lock(folder: str | os.PathLike[str], *, create: bool = False, timeout: float | None = None) -> Iterator[None]:
    """Hold the gold set ``folder`` for one write (see the module docstring); reentrant within a thread.

    Parameters
    ----------
    folder : path-like
        The gold set folder (or its ``manifest.json``).
    create : bool
        Make the folder (and its parents) first when it is missing (a writer of a new gold set), and remove the
        folders it made if they are still empty at the end (a write that failed); otherwise a missing folder is
        not locked (there is nothing to write over: its reader says it is missing).
    timeout : float, optional
        Seconds to wait for another writer (default ``WEAKSUP_LOCK_TIMEOUT``, else 10).

    Raises
    ------
    GoldSetError
        When another writer holds the folder longer than ``timeout`` (nothing is written), or it cannot be locked.
    WriteError
        When ``create`` and the folder cannot be made (naming why and the fix).
    """
    path = Path(folder)
    path = path.parent if path.name == MANIFEST and path.is_file() else path
    made = [p for p in (path, *path.parents) if not p.exists()] if create else []  # removed again if left empty
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            err = WriteError(f"cannot create the gold set folder {path} ({exc.strerror or exc}); "
                             f"{write_fix(exc.errno, path / MANIFEST)}")
            err.errno, err.strerror, err.filename = exc.errno, exc.strerror, str(path)
            raise err from None
    key = os.path.realpath(path)
    held: set[str] = _held.__dict__.setdefault("folders", set())
    if key in held or not path.is_dir():
        yield
        return
    try:
        with GoldLock(path, timeout):
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
    finally:
        for empty in made:  # a write that failed (bad labels, no answers) leaves no empty gold set folder behind
            with contextlib.suppress(OSError):
                empty.rmdir()  # (only an empty folder: another writer's files keep it)
