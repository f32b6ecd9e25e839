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
from typing import Any, NoReturn, TypeVar

__all__ = ["INTERRUPTED_AT_END", "INTERRUPTED_AT_START", "STOP_REQUESTED", "command_finished", "command_starts",
           "exit_interrupted_at_start", "last_publish", "note_publish", "note_stop_signal", "quiet_while_ending",
           "quiet_while_starting", "result_of", "started_as_command", "stop_on_interrupt", "stop_on_sigterm",
           "stop_scope", "stop_signals", "stopped_by_signal", "stopped_message"]

T = TypeVar("T")

#: Set by a Ctrl-C of the user while work runs on threads; cleared when that work starts and ends.
STOP_REQUESTED = threading.Event()
#: What the command says when Ctrl-C comes while it starts (imports), before any command ran.
INTERRUPTED_AT_START = "interrupted before anything started; nothing was written"
#: What the command says when Ctrl-C comes once its work finished or stopped (while it reports and exits).
INTERRUPTED_AT_END = "interrupted while the command was ending; its work had already finished or stopped"
#: The console script's names (``weaksup``; ``weaksup.exe`` / ``weaksup-script.py`` on Windows) and the modules that
#: ``python -m`` runs as the command.
_COMMAND_NAMES = ("weaksup", "weaksup.exe", "weaksup-script.py")
_COMMAND_MODULES = ("weaksup", "weaksup.__main__", "weaksup.cli")
_quieted = [False]  # quiet_while_starting took SIGINT: this process is the weaksup command


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


def started_as_command(argv: list[str] | None = None, orig_argv: list[str] | None = None) -> bool:
    """Whether this process is the ``weaksup`` command (its console script, or ``python -m weaksup``), read from
    ``sys.argv`` and ``sys.orig_argv`` (while ``python -m`` imports the package, ``sys.argv[0]`` is ``"-m"``); a
    ``multiprocessing`` child of the command is not.

    Examples
    --------
    >>> started_as_command(["/venv/bin/weaksup", "run", "x.toml"], [])
    True
    >>> started_as_command(["-m", "run"], ["python", "-m", "weaksup", "run"])
    True
    >>> started_as_command(["notebook.py"], ["python", "notebook.py"])  # a program that imports weaksup
    False
    """
    argv = sys.argv if argv is None else argv
    orig = list(getattr(sys, "orig_argv", [])) if orig_argv is None else orig_argv
    processes = sys.modules.get("multiprocessing")  # a worker process that a run started (spawn gives it our argv)
    if not argv or (processes is not None and processes.parent_process() is not None):
        return False
    if Path(argv[0]).name in _COMMAND_NAMES:
        return True
    if argv[0] != "-m" or len(orig) < len(argv):
        return False
    return orig[len(orig) - len(argv)].removeprefix("-m") in _COMMAND_MODULES  # (`-m weaksup` or `-mweaksup`)


def _interrupted_while_starting(signum: int, frame: object) -> None:
    _exit_now(INTERRUPTED_AT_START)


def _interrupted_while_ending(signum: int, frame: object) -> None:
    _exit_now(INTERRUPTED_AT_END)


def _exit_now(line: str) -> NoReturn:
    """One line on stderr and exit 130 at once (``os._exit``): an exception raised by a signal handler can land in
    a ``__del__`` or an exit handler, which prints it as "Exception ignored" and goes on; nothing is left to tidy
    while the command starts (nothing was written) or once it ended (its outputs were published or kept)."""
    import os

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a second Ctrl-C: no second line)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # (a closed pipe or stream: nothing more can be said there)
            pass
    try:
        os.write(2, (line + "\n").encode())
    finally:
        os._exit(128 + signal.SIGINT)


def _swap_sigint(handler: Any, *, only_from: tuple[Any, ...]) -> bool:
    """Set SIGINT's handler to ``handler`` when the current one is one of ``only_from`` (in the main thread)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) not in only_from:
        return False
    signal.signal(signal.SIGINT, handler)
    return True


def quiet_while_starting() -> bool:
    """In the ``weaksup`` command only (:func:`started_as_command`), from the first line of ``import weaksup``
    until :func:`command_starts`: a Ctrl-C prints :data:`INTERRUPTED_AT_START` and exits 130 at once (whatever
    import runs), never a ``KeyboardInterrupt`` traceback. A program that imports weaksup keeps
    its ``KeyboardInterrupt``; a SIGINT ignored by the parent (``nohup``) stays ignored. Returns whether it took
    SIGINT.

    Examples
    --------
    >>> quiet_while_starting()  # (doctests do not run as the weaksup command)
    False
    """
    if not started_as_command():
        return False
    _quieted[0] = _swap_sigint(_interrupted_while_starting, only_from=(signal.default_int_handler,))
    return _quieted[0]


def _stop_on_sigint(signum: int, frame: object) -> None:
    note_stop_signal()  # (so that a KeyboardInterrupt caught inside, as an LF module's import, is known as Ctrl-C)
    raise KeyboardInterrupt


def command_starts() -> None:
    """The command is about to run: Ctrl-C is a ``KeyboardInterrupt`` again (the command stops on it and says
    what it kept), undoing :func:`quiet_while_starting`; in the command's process it is recorded first
    (:func:`note_stop_signal`), as SIGTERM is, so that an interrupt that a step turned into its own error (the
    import of an LF module) is still told to be the user's.

    Examples
    --------
    >>> command_starts()
    >>> signal.getsignal(signal.SIGINT) is signal.default_int_handler  # (not in the command's process)
    True
    """
    _swap_sigint(_stop_on_sigint, only_from=(_interrupted_while_starting,))


def stopped_by_signal(exc: BaseException, since: int) -> bool:
    """Whether error ``exc`` came from a stop signal (Ctrl-C, SIGTERM) that arrived after :func:`stop_signals`
    was ``since``: one came, and a ``KeyboardInterrupt`` is among the exceptions ``exc`` was raised from.

    Examples
    --------
    >>> try:
    ...     try:
    ...         raise KeyboardInterrupt
    ...     except KeyboardInterrupt:
    ...         raise ValueError("importing an LF module was interrupted") from None
    ... except ValueError as error:
    ...     with stop_scope():
    ...         before = stop_signals()
    ...         came = stopped_by_signal(error, before)
    ...         note_stop_signal()
    ...         came, stopped_by_signal(error, before)
    (False, True)
    """
    if stop_signals() <= since:
        return False
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def quiet_while_ending() -> None:
    """The command finished or stopped and only reports and exits: a Ctrl-C from now on prints
    :data:`INTERRUPTED_AT_END` and exits 130 at once (no traceback from an exit handler it lands in). Only
    in the command's own process (:func:`quiet_while_starting` took SIGINT), and where Ctrl-C was the command's
    (a SIGINT the parent ignored stays ignored)."""
    if _quieted[0]:  # never in a program (a test) that calls weaksup.cli.main itself
        _swap_sigint(_interrupted_while_ending, only_from=(signal.default_int_handler, _interrupted_while_starting,
                                                                _stop_on_sigint))


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
