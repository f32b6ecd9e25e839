"""Row-wise LF application: one call of :func:`~weaksup.apply_lfs`, its checks, faults and time budgets.

Row-wise LFs run on the batch's light rows, through their preprocessor chains computed once per batch and shared
(:func:`~weaksup.lf.chains.chain_rows`). A Snorkel LF votes on :class:`~weaksup.lf.rows.SeriesRow` rows; one
that needs ``pandas.Series`` behaviour (or whose preprocessor does) runs on real Series rows instead, said in a
log line.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import logging
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from weaksup.apply.results import read_votes, show_id
from weaksup.errors import LFApplyError, MissingColumnError, MissingExtraError, WeakSupError, stops_run
from weaksup.labels import ABSTAIN, LabelSpace, smallest_vote_dtype
from weaksup.lf.batch import Batch
from weaksup.lf.core import LabelingFunction
from weaksup.lf.chains import chain_rows
from weaksup.lf.rows import Failed, NeedsSeries, Row

__all__ = ["Application", "UserInterrupt", "exit_error", "import_failure", "paused_gc", "raised_by_lf"]

logger = logging.getLogger(__name__)


def _missing_column_in(exc: BaseException, columns: list[str]) -> str | None:
    if isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), Row):
        return exc.name if exc.name not in columns else None
    if isinstance(exc, MissingColumnError) and exc.args and isinstance(exc.args[0], str) and exc.args[0] not in columns:
        return exc.args[0]  # row["name"] (a KeyError of the LF's own dict lookups is the LF's fault)
    return None


def _row_fields(row: Any, exc: BaseException, columns: list[str]) -> list[str]:
    """The fields an LF's row had when it read a missing one (after its preprocessors), else the data's columns."""
    seen = getattr(exc, "obj", None) if isinstance(exc, AttributeError) else row
    if isinstance(seen, dict):
        return [str(k) for k in seen]
    if type(seen) is not Failed and hasattr(seen, "__dict__") and vars(seen):
        return [str(k) for k in vars(seen)]
    return columns


@contextlib.contextmanager
def paused_gc(pause: bool = True) -> Iterator[None]:
    """The cyclic garbage collector paused while row-wise LFs run (restored after).

    Row-wise application makes millions of small objects (rows, preprocessed rows, spaCy tokens) that live as
    long as their batch; each full collection walks all of them, a quarter of the time on a million rows. They hold
    no reference cycles: reference counting frees them with their batch.

    Examples
    --------
    >>> import gc
    >>> with paused_gc():
    ...     paused = not gc.isenabled()
    >>> paused, gc.isenabled()
    (True, True)
    """
    was = gc.isenabled()
    if pause and was:
        gc.disable()
    try:
        yield
    finally:
        if pause and was:
            gc.enable()


class UserInterrupt:
    """Tells a stop of the user (Ctrl-C) or of a scheduler (SIGTERM) from a ``KeyboardInterrupt`` that LF code
    raises itself.

    Python delivers signals to the main thread only, as a ``KeyboardInterrupt`` raised wherever that thread is,
    often inside an LF. While entered on the main thread, SIGINT (when it is not ignored) goes through a handler
    that records it (:func:`weaksup.interrupt.note_stop_signal`) and then calls the handler that was there (which
    raises as before); SIGTERM's handler (:func:`weaksup.interrupt.stop_on_sigterm`) records it too, whatever
    SIGINT's disposition (ignored in a job that cron, ``nohup`` or ``cmd &`` started). A ``KeyboardInterrupt``
    caught from LF code is the user's when ``fired``: a stop signal came since entry; any other one (raised by the
    LF, or on a worker thread, where no signal is ever delivered) is the LF's.

    Examples
    --------
    >>> from weaksup.interrupt import note_stop_signal
    >>> with UserInterrupt() as interrupt:
    ...     before = interrupt.fired
    ...     note_stop_signal()  # what the SIGINT and SIGTERM handlers do
    ...     after = interrupt.fired
    >>> before, after
    (False, True)
    """

    def __init__(self) -> None:
        from weaksup.interrupt import stop_signals

        self._seen = stop_signals()
        self._previous: Any = None

    @property
    def fired(self) -> bool:
        """Whether a stop signal (SIGINT, SIGTERM) came since this was made or entered."""
        from weaksup.interrupt import stop_signals

        return stop_signals() > self._seen

    def __enter__(self) -> UserInterrupt:
        from weaksup.interrupt import STOP_REQUESTED, stop_signals

        self._seen = stop_signals()
        if threading.current_thread() is threading.main_thread():
            STOP_REQUESTED.clear()
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):
                self._previous = previous
                signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum: int, frame: Any) -> Any:
        from weaksup.interrupt import note_stop_signal

        note_stop_signal()  # also: threads that no signal reaches (a prompted LF's requests) start nothing new
        return self._previous(signum, frame)

    def __exit__(self, *exc: object) -> None:
        from weaksup.interrupt import STOP_REQUESTED

        if self._previous is not None and signal.getsignal(signal.SIGINT) == self._handler:
            signal.signal(signal.SIGINT, self._previous)
        if threading.current_thread() is threading.main_thread():
            STOP_REQUESTED.clear()  # (the worker threads have finished: apply_lfs leaves its pool first)


def exit_error(lf: LabelingFunction, exc: BaseException, where: str) -> LFApplyError:
    """The error for LF code that raised ``SystemExit``, ``KeyboardInterrupt`` or another non-``Exception``."""
    what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else type(exc).__name__
    return LFApplyError(
        f"labeling function {lf.name!r} (defined at {lf.source}) raised {what} {where}: an LF must not exit or "
        "interrupt the run; return a class id or ABSTAIN (-1), or raise an ordinary exception (which "
        "fault_tolerant=True turns into an abstain)"
    )


def raised_by_lf(err: WeakSupError, exc: BaseException) -> WeakSupError:
    """Mark ``err`` as weaksup's report of ``exc``, which LF or preprocessor code raised: ``err.lf_exception`` is
    ``exc``, which the Snorkel drop-in raises as Snorkel's applier does. Only an ``exc`` that survives a pickle round
    trip is kept (a worker process sends the error back pickled); another stays ``err``'s cause only.

    Examples
    --------
    >>> cause = ZeroDivisionError("integer division or modulo by zero")
    >>> raised_by_lf(LFApplyError("LF 'ratio' raised ZeroDivisionError on row id 3"), cause).lf_exception is cause
    True
    """
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception holding a lock, or whose __init__ takes other arguments
        return err
    err.lf_exception = exc  # type: ignore[attr-defined]
    return err


def import_failure(lf: LabelingFunction, exc: ImportError) -> WeakSupError:
    """The error stopping a run when LF code fails to import a package (a weaksup extra): no fault of the row.

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> "'kw'" in str(import_failure(keyword_lf("kw", "x", 1), ModuleNotFoundError("No module 'foo'", name="foo")))
    True
    """
    where = f"labeling function {lf.name!r} (defined at {lf.source})"
    if isinstance(exc, MissingExtraError):  # the library's own: its message names the package and the extra
        return raised_by_lf(MissingExtraError(f"{where}: {exc}" if not str(exc).startswith(where) else str(exc)), exc)
    return raised_by_lf(stops_run(LFApplyError(
        f"{where} could not import {repr(exc.name) if exc.name else 'a package'} ({type(exc).__name__}: {exc}); a "
        "missing package is no fault of the row, so the run stops (fault-tolerant or not): install it, then rerun")),
        exc)


class Application:
    """One call of :func:`apply_lfs`: the LFs, the checks, the fault counts."""

    def __init__(self, lfs: list[LabelingFunction], label_space: LabelSpace | None,
                 fault_tolerant: bool, columns: list[str], lf_timeout: float | None = None,
                 interrupt: UserInterrupt | None = None) -> None:
        self.lfs = lfs
        self.interrupt = interrupt or UserInterrupt()
        self.label_space = label_space
        # the votes of a finished batch wait in this type (int8 for most tasks), not int64: at a thousand
        # LFs the results in flight would otherwise take eight times the vote matrix
        self.dtype = smallest_vote_dtype(label_space.cardinality) if label_space is not None else np.dtype(np.int64)
        self.fault_tolerant = fault_tolerant
        self.columns = columns
        self.faults = {lf.name: 0 for lf in lfs}
        self.lf_timeout = lf_timeout
        self.spent = {lf.name: 0.0 for lf in lfs}  # seconds of row-wise calls, against lf_timeout
        self.timeouts = {lf.name: 0 for lf in lfs}  # rows abstained for want of time
        self._lock = threading.Lock()  # two batches of one LF can run at once on the pool
        self.on_series_rows: set[str] = set()  # Snorkel LFs run on pandas.Series rows (said once each)

    def rowwise(self, lf: LabelingFunction, batch: Batch, row_ids: np.ndarray) -> np.ndarray:
        """The LF's votes on every row of the batch (faults counted, time budget kept)."""
        style, chain, call = lf.row_plan()
        try:
            rows = batch.pandas_rows() if style == "pandas" else chain_rows(batch, chain, style)
        except NeedsSeries as why:
            return self.on_series(lf, batch, row_ids, why)
        with self._lock:
            faults = self.faults[lf.name]  # the light rows' faults are forgotten if the LF moves to Series rows
        try:
            votes = self.vote_rows(lf, call, rows, row_ids, native=style == "native", chained=bool(chain))
        except NeedsSeries as why:
            batch.series_wanted()
            with self._lock:
                self.faults[lf.name] = faults
            return self.on_series(lf, batch, row_ids, why)
        wanted = batch.series_wanted() if style == "series" else []
        if wanted:  # the LF caught the NeedsSeries of its row: its votes may differ from Snorkel's
            with self._lock:
                self.faults[lf.name] = faults
            return self.on_series(lf, batch, row_ids, f"it used {wanted}")
        return self.check(lf, votes, row_ids)

    def on_series(self, lf: LabelingFunction, batch: Batch, row_ids: np.ndarray, why: Any) -> np.ndarray:
        """Run a Snorkel LF as Snorkel does, on ``pandas.Series`` rows (slower), when light rows will not do."""
        with self._lock:
            first = lf.name not in self.on_series_rows
            self.on_series_rows.add(lf.name)
        if first:
            logger.info("LF %r runs on pandas.Series rows (as Snorkel's applier), not light rows: %s", lf.name, why)
        votes = self.vote_rows(lf, getattr(lf, "snorkel", lf), batch.pandas_rows(), row_ids, native=False)
        return self.check(lf, votes, row_ids)

    def vote_rows(self, lf: LabelingFunction, call: Callable[[Any], int], rows: Sequence[Any], row_ids: np.ndarray,
                  *, native: bool, chained: bool = False) -> list[Any]:
        """``call(row)`` on every row; a raising row is an error or (fault-tolerant) a counted abstain."""
        votes: list[Any] = []
        append = votes.append
        n = len(rows)
        deadline = None
        if self.lf_timeout is not None:
            with self._lock:
                left = self.lf_timeout - self.spent[lf.name]
                if left <= 0:  # out of time in an earlier batch: abstain on every row
                    self.timeouts[lf.name] += n
                    return [ABSTAIN] * n
            start = time.perf_counter()
            deadline = start + left
        handled: set[int] = set()
        it = iter(rows)
        while True:
            try:
                if deadline is None:
                    for row in it:  # the fast path: no per-row bookkeeping
                        append(call(row))
                else:
                    for row in it:
                        append(call(row))
                        if time.perf_counter() > deadline:
                            i = len(votes) - 1
                            self.out_of_time(lf, i, n, row_ids, time.perf_counter() - start)
                            votes.extend([ABSTAIN] * (n - i - 1))
                            break
                break
            except (NeedsSeries, MemoryError):  # out of memory is the run's, not the LF's fault: never an abstain
                raise
            except ImportError as exc:  # a missing package (an extra): the run's, not the row's fault
                raise import_failure(lf, exc) from exc
            except Exception as exc:
                i = len(votes)
                handled.add(i)
                self.fault(lf, exc, rows, i, row_ids, native)
                append(ABSTAIN)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt from LF code: never a silent exit
                i = len(votes)
                if isinstance(exc, KeyboardInterrupt) and self.interrupt.fired:
                    raise  # the user's Ctrl-C: stop
                raise exit_error(lf, exc, f"on row id {show_id(row_ids[i])!r} (row {i} of this batch)") from exc
        if deadline is not None:
            with self._lock:
                self.spent[lf.name] += time.perf_counter() - start
        for i in self.failed_positions(rows) if chained else ():  # the chain raised there; the LF did not read it
            if i not in handled and i < len(votes):
                self.fault(lf, rows[i].exc, rows, i, row_ids, native)
                votes[i] = ABSTAIN
        return votes

    @staticmethod
    def failed_positions(rows: Sequence[Any]) -> list[int]:
        """Positions of the rows a preprocessor chain failed on."""
        return [i for i, row in enumerate(rows) if type(row) is Failed]

    def fault(self, lf: LabelingFunction, exc: BaseException, rows: Sequence[Any], i: int, row_ids: np.ndarray,
              native: bool) -> None:
        """LF ``lf`` raised ``exc`` on row ``i``: raise the error naming it, or count an abstain (fault-tolerant)."""
        row = rows[i]
        what = "failed: its preprocessor raised" if type(row) is Failed else "raised"
        if type(row) is Failed:
            exc = row.exc
        if isinstance(exc, ImportError):  # a preprocessor's missing package (extra): the run stops
            raise import_failure(lf, exc) from exc
        if getattr(exc, "stops_run", False):  # a budget stop, a replay miss: the run stops, fault-tolerant or not
            raise exc
        # a Snorkel LF's row[...] of a column the data lacks is the same mistake (its own KeyErrors are its faults)
        column = _missing_column_in(exc, self.columns) if native or type(exc) is MissingColumnError else None
        if column is not None:
            fields = _row_fields(row, exc, self.columns)
            added = [f for f in fields if f not in self.columns]
            have = (f"which neither the data nor its preprocessors have; its row had the data's columns "
                    f"{self.columns} and the ones its preprocessors added, {added}" if added else
                    f"which the data does not have; its columns are {self.columns}")
            close = difflib.get_close_matches(column, fields, n=1, cutoff=0.6)
            raise raised_by_lf(MissingColumnError(
                f"labeling function {lf.name!r} (defined at {lf.source}) reads column {column!r}, {have}"
                + (f"; did you mean {close[0]!r}?" if close else "")
            ), exc) from exc
        if not self.fault_tolerant:
            raise raised_by_lf(LFApplyError(
                f"labeling function {lf.name!r} (defined at {lf.source}) {what} "
                f"{type(exc).__name__}: {exc} on row id {show_id(row_ids[i])!r} (row {i} of this batch). "
                "Fix the LF, or pass fault_tolerant=True to abstain on such rows and count them (in a run: "
                "lfs.fault_tolerant = true in the config, or --set lfs.fault_tolerant=true)."
            ), exc) from exc
        with self._lock:
            first = self.faults[lf.name] == 0
            self.faults[lf.name] += 1
        if first:
            logger.warning("LF %r %s %s: %s on row id %r; abstaining (fault-tolerant)",
                           lf.name, what, type(exc).__name__, exc, show_id(row_ids[i]))

    def out_of_time(self, lf: LabelingFunction, i: int, n: int, row_ids: np.ndarray, elapsed: float) -> None:
        """LF ``lf`` used up ``lf_timeout`` on row ``i`` of a batch of ``n``: raise, or count the rows it skips."""
        where = f"on row id {show_id(row_ids[i])!r} (row {i} of this batch of {n})"
        if not self.fault_tolerant:
            raise LFApplyError(
                f"labeling function {lf.name!r} (defined at {lf.source}) ran out of its time budget "
                f"lf_timeout={self.lf_timeout:g} s {where}, after {elapsed:.2f} s in this batch. Make it faster, "
                "raise lf_timeout, or pass fault_tolerant=True to abstain on the rows it has no time for (in a run: "
                "lfs.lf_timeout and lfs.fault_tolerant = true, or --set lfs.fault_tolerant=true)"
            )
        with self._lock:
            self.timeouts[lf.name] += n - i - 1
        logger.warning("LF %r ran out of its time budget lf_timeout=%g s %s; it abstains on the rest of the rows "
                       "(counted in VoteMatrix.timeouts)", lf.name, self.lf_timeout, where)

    def vectorised(self, lf: LabelingFunction, batch: Batch, row_ids: np.ndarray) -> np.ndarray:
        try:
            votes = lf.vote_batch(batch)
        except MemoryError:  # the run's, not the LF's fault: no retry row by row, no abstains
            raise
        except ImportError as exc:  # a missing package (a prompted LF's httpx, sentence-transformers): no abstains
            raise import_failure(lf, exc) from exc
        except Exception as exc:  # find the row that breaks it, or count faults row by row
            if getattr(exc, "stops_run", False):  # e.g. a prompted LF's budget stop: the run stops, no abstains
                position = getattr(exc, "batch_position", None)
                if isinstance(position, int) and 0 <= position < len(row_ids) and exc.args:
                    exc.args = (f"{exc.args[0]} [row id {row_ids[position]!r}]", *exc.args[1:])
                raise
            logger.debug("vectorised form of %r failed (%s); retrying row by row", lf.name, exc)
            votes = self.rowwise(lf, batch, row_ids)
            if not self.fault_tolerant:
                raise LFApplyError(
                    f"labeling function {lf.name!r} (defined at {lf.source}) failed on this batch of "
                    f"{batch.n} rows ({type(exc).__name__}: {exc}), though no single row fails alone"
                ) from exc
            return votes
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from LF code
            if isinstance(exc, KeyboardInterrupt) and self.interrupt.fired:
                raise
            self.rowwise(lf, batch, row_ids)  # names the row, when one row alone exits
            raise exit_error(lf, exc, f"on a batch of {batch.n} rows (row ids {show_id(row_ids[0])!r} to "
                                      f"{show_id(row_ids[-1])!r})") from exc
        return self.check(lf, votes, row_ids)

    def check(self, lf: LabelingFunction, votes: Any, row_ids: np.ndarray) -> np.ndarray:
        """The LF's results as votes of this call's dtype (:func:`~weaksup.apply.results.read_votes`)."""
        return read_votes(lf, votes, row_ids, self.label_space, self.dtype)
