"""An exclusive lock on a folder while one process writes it: an ``flock`` on the folder itself.

The lock is taken on a descriptor of the folder (no lock file is left behind); a file system that cannot lock a
folder (NFS) gets a lock file :data:`LOCK_FILE` in it instead (never removed: removing a lock file another process
waits on would let two hold it). A second process waits up to ``WEAKSUP_LOCK_TIMEOUT`` seconds (default 10),
saying so once in the log, then gets the error of the lock's owner. A lock dies with its process (or when its
descriptor is closed), so a killed writer's lock is simply taken over. Two descriptors lock each other out even in
one process: a lock is not reentrant.

A run folder (:class:`weaksup.pipeline.folder.FolderLock`) and a gold set folder (:mod:`weaksup.gold.lock`) are
locked this way, each with its own messages.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Self

from weaksup.errors import DataError, WeakSupError

logger = logging.getLogger(__name__)

#: The environment variable giving how long (seconds) a process waits for another one's lock on a folder.
LOCK_TIMEOUT_ENV = "WEAKSUP_LOCK_TIMEOUT"
#: The default wait for the lock, in seconds.
LOCK_TIMEOUT = 10.0
#: The lock file, only where the file system cannot lock the folder itself (it is never removed).
LOCK_FILE = ".weaksup-lock"
#: How often (seconds) a waiting process tries the lock again.
POLL = 0.05


def lock_timeout() -> float:
    """The lock wait from ``WEAKSUP_LOCK_TIMEOUT`` (seconds), else :data:`LOCK_TIMEOUT`.

    Examples
    --------
    >>> lock_timeout() >= 0
    True
    """
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else LOCK_TIMEOUT
    except ValueError:
        raise DataError(f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to e.g. 30") from None
    if not value >= 0 or value == float("inf"):
        raise DataError(f"{LOCK_TIMEOUT_ENV}={raw!r} must be a finite number of seconds >= 0")
    return value


class FolderFlock:
    """An exclusive ``flock`` on ``folder`` for the life of a ``with`` block (see the module docstring).

    Subclasses word the messages for what the folder is (:meth:`waiting`, :meth:`busy`, :meth:`unopenable`,
    :meth:`unlockable`) and choose the :attr:`error` raised and the :attr:`log` the wait is told in.

    Parameters
    ----------
    folder : Path
        The folder (it exists).
    timeout : float, optional
        Seconds to wait for another process to let go (default: :func:`lock_timeout`).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with FolderFlock(folder, timeout=0):
    ...     with FolderFlock(folder, timeout=0):  # doctest: +ELLIPSIS
    ...         pass
    Traceback (most recent call last):
    weaksup.errors.DataError: the folder ... is in use by another weaksup process; it was not free after 0 s...
    >>> with FolderFlock(folder, timeout=0):  # free again
    ...     pass
    >>> os.listdir(folder)  # no lock file
    []
    """

    #: The error the lock raises (a busy folder, one that cannot be opened or locked).
    error: type[WeakSupError] = DataError
    #: Where a process says it waits for the lock.
    log: logging.Logger = logger

    def __init__(self, folder: Path, timeout: float | None = None) -> None:
        self.folder = folder
        self.timeout = lock_timeout() if timeout is None else timeout
        self._fd: int | None = None
        self._fallback = False

    def waiting(self) -> str:
        """The warning logged (once) when the lock is held by another process."""
        return f"{self.folder} is in use by another weaksup process; waiting up to {self.timeout:g} s"

    def busy(self) -> str:
        """The error when the lock was not free within the timeout: who holds it (if known) and the fix."""
        return (f"the folder {self.folder} is in use by another weaksup process; it was not free after "
                f"{self.timeout:g} s. Wait for it to finish, or set {LOCK_TIMEOUT_ENV} to wait longer")

    def unopenable(self, exc: OSError) -> str:
        """The error when the folder (or its lock file) cannot be opened."""
        return f"cannot open the folder {self.folder} to lock it ({exc.strerror or exc}); fix its permissions"

    def unlockable(self, exc: OSError) -> str:
        """The error when neither the folder nor a lock file in it can be locked."""
        return f"cannot lock the folder {self.folder} ({exc.strerror or exc}); use a local file system"

    def __enter__(self) -> Self:
        import fcntl

        fd = self._open()
        deadline = time.monotonic() + self.timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self.error(self.busy()) from None
                if not waited:
                    self.log.warning("%s", self.waiting())
                    waited = True
                time.sleep(POLL)
            except OSError as exc:  # a file system that cannot lock a folder (NFS): lock a file in it instead
                os.close(fd)
                if self._fallback:
                    raise self.error(self.unlockable(exc)) from None
                self._fallback = True
                fd = self._open()
        self._fd = fd
        return self

    def _open(self) -> int:
        """A descriptor to lock: the folder itself (no lock file to leave behind)."""
        try:
            if self._fallback:
                return os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            return os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise self.error(self.unopenable(exc)) from None

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None
