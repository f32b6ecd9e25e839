"""The user's stop request (Ctrl-C; SIGTERM from a scheduler), seen by work on threads that no signal reaches.

Python delivers SIGINT to the main thread only, as a ``KeyboardInterrupt``. Code that waits on worker threads sets
:data:`STOP_REQUESTED` when it sees one (:func:`stop_on_interrupt`; :class:`weaksup.apply.rowwise.UserInterrupt`
in :func:`weaksup.apply_lfs`) before it waits for them to finish; work that spends money or time on those threads
(a prompted LF's requests, :meth:`weaksup.prompt.ChatClient.ask_many`) checks it and starts nothing new: the
requests in flight finish (and are cached), the rest are not sent.

Examples
--------
>>> with stop_scope():
...     try:
...         with stop_on_interrupt():
...             raise KeyboardInterrupt
...     except KeyboardInterrupt:
...         print(STOP_REQUESTED.is_set())
True
>>> STOP_REQUESTED.is_set()  # cleared when the scope ends
False
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TypeVar

__all__ = ["INTERRUPTED_AT_START", "STOP_REQUESTED", "command_finished", "exit_interrupted_at_start", "last_publish",
           "note_publish", "note_stop_signal", "result_of", "stop_on_interrupt", "stop_on_sigterm", "stop_scope",
           "stop_signals", "stopped_message"]

T = TypeVar("T")

#: Set by a Ctrl-C of the user while work runs on threads; cleared when that work starts and ends.
STOP_REQUESTED = threading.Event()
#: What the command says when Ctrl-C comes while it starts (imports), before any command ran.
INTERRUPTED_AT_START = "interrupted before anything started; nothing was written"


def exit_interrupted_at_start() -> NoReturn:
    """Ctrl-C while the command starts: one line on stderr (no traceback), exit 130 (128 + SIGINT).

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     try:
    ...         exit_interrupted_at_start()
    ...     except SystemExit as stop:
    ...         print(stop.code, err.getvalue().strip())
    130 interrupted before anything started; nothing was written
    """
    sys.stderr.write(INTERRUPTED_AT_START + "\n")
    sys.stderr.flush()
    sys.exit(128 + signal.SIGINT)

_stop_signals = [0]  # SIGINT/SIGTERM deliveries seen by weaksup's handlers in this process
_finished = [False]  # the command inside stop_on_sigterm() returned: a later SIGTERM stops nothing
_publish: list[tuple[str, str]] = []  # (run folder, "publishing" | "published"): the last publish of this process


def note_publish(folder: str, state: str) -> None:
    """Record that a run folder is being published (``state="publishing"``: its outputs are moving in) or was
    published (``"published"``: it holds the run whole), so that a stop that comes afterwards says so.

    Examples
    --------
    >>> note_publish("runs/x", "published")
    >>> last_publish()
    ('runs/x', 'published')
    """
    _publish[:] = [(folder, state)]


def last_publish() -> tuple[str, str] | None:
    """The last :func:`note_publish` of this process since the last :func:`stop_on_sigterm` began, if any."""
    return _publish[-1] if _publish else None


def command_finished() -> None:
    """The command inside :func:`stop_on_sigterm` returned: a SIGTERM from now on is recorded, not raised (there
    is nothing left to stop, and its output is whole)."""
    _finished[0] = True


def note_stop_signal() -> None:
    """Record that a stop signal (SIGINT, SIGTERM) came: called by weaksup's signal handlers, before they raise
    ``KeyboardInterrupt``, so that the interrupt can be told from one that LF code raises itself; it also sets
    :data:`STOP_REQUESTED` (threads start nothing new).

    Examples
    --------
    >>> with stop_scope():
    ...     before = stop_signals()
    ...     note_stop_signal()
    ...     stop_signals() == before + 1, STOP_REQUESTED.is_set()
    (True, True)
    """
    _stop_signals[0] += 1
    STOP_REQUESTED.set()


def stop_signals() -> int:
    """How many stop signals (SIGINT, SIGTERM) weaksup's handlers have seen in this process.

    A ``KeyboardInterrupt`` is the user's (or the scheduler's) stop when this count grew while the code that
    raised it ran; otherwise the code raised it itself.

    Examples
    --------
    >>> before = stop_signals()
    >>> with stop_scope():
    ...     note_stop_signal()
    ...     STOP_REQUESTED.is_set()
    True
    >>> stop_signals() - before
    1
    """
    return _stop_signals[0]


@contextmanager
def stop_scope() -> Iterator[None]:
    """Clears :data:`STOP_REQUESTED` on entry and on exit (put it outside the thread pool, whose exit waits)."""
    STOP_REQUESTED.clear()
    try:
        yield
    finally:
        STOP_REQUESTED.clear()


@contextmanager
def stop_on_interrupt() -> Iterator[None]:
    """A ``KeyboardInterrupt`` leaving the block sets :data:`STOP_REQUESTED` (put it inside the thread pool, so
    that the workers see it before the pool waits for them)."""
    try:
        yield
    except KeyboardInterrupt:
        STOP_REQUESTED.set()
        raise


def result_of(future: Future[T], poll: float = 0.2) -> T:
    """``future.result()``, waiting in short steps: a wait without a timeout is not interrupted by Ctrl-C (the
    ``KeyboardInterrupt`` would come only when the future is done), a short one lets it through.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     result_of(pool.submit(sum, [1, 2]))
    3
    """
    while True:
        try:
            return future.result(timeout=poll)
        except FutureTimeout:
            continue


@contextmanager
def stop_on_sigterm() -> Iterator[list[int]]:
    """SIGTERM (what cron, Airflow, systemd and Kubernetes send to stop a job) stops the command as Ctrl-C does:
    a ``KeyboardInterrupt``, so the run folder is tidied and an MLflow run is ended FAILED. Yields a list that holds
    the signal once it came (empty: it did not). After :func:`command_finished` a SIGTERM is only recorded.

    Examples
    --------
    >>> import os
    >>> with stop_on_sigterm() as came:
    ...     command_finished()
    ...     os.kill(os.getpid(), signal.SIGTERM)  # after the command: no KeyboardInterrupt
    >>> came == [signal.SIGTERM]
    True
    """
    came: list[int] = []
    _finished[0] = False
    _publish.clear()

    def on_sigterm(signum: int, frame: object) -> None:
        came.append(signum)
        if _finished[0]:
            return
        note_stop_signal()  # an LF interrupted by it is not at fault (whatever SIGINT's disposition)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield came
        return
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield came
    finally:
        signal.signal(signal.SIGTERM, previous)
        _finished[0] = False


def stopped_message() -> str:
    """What a stopped command leaves: nothing published, or (a stop after the publish) the run published whole,
    or (a stop while publishing) a publish that the next reader finishes.

    Examples
    --------
    >>> with stop_on_sigterm():
    ...     stopped_message()[:26]
    'a stopped run publishes no'
    """
    from weaksup.pipeline.folder import pending

    publish = last_publish()
    if publish is not None and publish[1] in ("publishing", "published"):
        folder, state = publish
        if state == "published" or not pending(Path(folder)):
            return (f"the run had been published to {folder} (labels, run.json, report: whole); only what "
                    "followed it (the end of its MLflow run, the summary) may be missing")
        return (f"the run was stopped while it was being published to {folder}; the next `weaksup run` or "
                "load_run of that folder finishes publishing it (its outputs are saved whole)")
    return ("a stopped run publishes nothing and keeps the votes of every chunk it finished (and a prompted LF's "
            "answers): run the same command again and it goes on from them")
