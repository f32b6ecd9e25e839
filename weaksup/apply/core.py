"""Apply labeling functions to a DataFrame: vectorised kinds in parallel, generic LFs row-wise."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from weaksup.data.chunks import CHUNK_ROWS
from weaksup.errors import DataError, LFApplyError, LFDefinitionError, MissingColumnError, ParameterError
from weaksup.labels import ABSTAIN, LabelSpace, smallest_vote_dtype
from weaksup.lf.batch import Batch
from weaksup.lf.core import LabelingFunction, Row
from weaksup.registry import Registry
from weaksup.validation import check_columns, check_lf_names, check_number, check_row_ids
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

#: Rows per batch: bounds the memory of Python-side values while keeping kernels busy (the rows of a
#: chunk read from disk, ``weaksup.data.CHUNK_ROWS``, so that a chunk is one batch).
DEFAULT_CHUNK_ROWS = CHUNK_ROWS


def as_lf_list(lfs: Any) -> tuple[list[LabelingFunction], LabelSpace | None]:
    """The LFs of a registry, one LF or an iterable of LFs (distinct names), and the registry's label space.

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> lfs, space = as_lf_list(keyword_lf("kw", "x", 1))
    >>> [lf.name for lf in lfs], space
    (['kw'], None)
    """
    if isinstance(lfs, Registry):
        return lfs.lfs, lfs.label_space
    if isinstance(lfs, LabelingFunction):
        return [lfs], None
    if isinstance(lfs, (str, bytes)) or not isinstance(lfs, Iterable):
        raise LFDefinitionError(f"expected a Registry or LabelingFunction objects; got {type(lfs).__name__}")
    out = list(lfs)
    bad = [x for x in out if not isinstance(x, LabelingFunction)]
    if bad:
        raise LFDefinitionError(
            f"expected LabelingFunction objects; got {type(bad[0]).__name__} {bad[0]!r}. "
            "Decorate functions with @labeling_function or build them with a *_lf factory."
        )
    return check_lf_names(out), None


def _row_ids(data: pd.DataFrame, id_column: str | None) -> np.ndarray:
    if id_column is None:
        return check_row_ids(data.index, where="apply_lfs: the row index")
    check_columns(data.columns, [id_column], where="apply_lfs", what="id column")
    return check_row_ids(data[id_column], where=f"apply_lfs: id column {id_column!r}")


def _show(row_id: Any) -> Any:
    """A row id as users wrote it (``7``, not ``np.int64(7)``)."""
    return row_id.item() if isinstance(row_id, np.generic) else row_id


def _missing_column_in(exc: BaseException, columns: list[str]) -> str | None:
    if isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), Row):
        return exc.name if exc.name not in columns else None
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) and exc.args[0] not in columns:
        return exc.args[0]
    return None


class UserInterrupt:
    """Tells a Ctrl-C of the user from a ``KeyboardInterrupt`` that LF code raises itself.

    Python delivers SIGINT to the main thread only, as a ``KeyboardInterrupt`` raised wherever that
    thread is, often inside an LF. While entered on the main thread, SIGINT goes through a handler
    that records it (``fired``) and then calls the handler that was there (which raises as before).
    A ``KeyboardInterrupt`` caught from LF code is the user's when ``fired`` is set; any other one
    (raised by the LF, or on a worker thread, where no signal is ever delivered) is the LF's.
    """

    def __init__(self) -> None:
        self.fired = False
        self._previous: Any = None

    def __enter__(self) -> UserInterrupt:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):
                self._previous = previous
                signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum: int, frame: Any) -> Any:
        self.fired = True
        return self._previous(signum, frame)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None and signal.getsignal(signal.SIGINT) == self._handler:
            signal.signal(signal.SIGINT, self._previous)


def exit_error(lf: LabelingFunction, exc: BaseException, where: str) -> LFApplyError:
    """The error for LF code that raised ``SystemExit``, ``KeyboardInterrupt`` or another non-``Exception``."""
    what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else type(exc).__name__
    return LFApplyError(
        f"labeling function {lf.name!r} (defined at {lf.source}) raised {what} {where}: an LF must not exit or "
        "interrupt the run; return a class id or ABSTAIN (-1), or raise an ordinary exception (which "
        "fault_tolerant=True turns into an abstain)"
    )


class _Application:
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

    def rowwise(self, lf: LabelingFunction, batch: Batch, row_ids: np.ndarray) -> np.ndarray:
        votes: list[Any] = []
        append = votes.append
        deadline = None
        if self.lf_timeout is not None:
            with self._lock:
                left = self.lf_timeout - self.spent[lf.name]
                if left <= 0:  # out of time in an earlier batch: abstain on every row
                    self.timeouts[lf.name] += batch.n
                    return np.full(batch.n, ABSTAIN, dtype=np.int64)
            start = time.perf_counter()
            deadline = start + left
        for i, row in enumerate(batch.rows()):
            try:
                append(lf(row))
            except Exception as exc:
                column = _missing_column_in(exc, self.columns)
                if column is not None:
                    raise MissingColumnError(
                        f"labeling function {lf.name!r} (defined at {lf.source}) reads column {column!r}, "
                        f"which the data does not have; its columns are {self.columns}"
                    ) from exc
                if not self.fault_tolerant:
                    raise LFApplyError(
                        f"labeling function {lf.name!r} (defined at {lf.source}) raised "
                        f"{type(exc).__name__}: {exc} on row id {_show(row_ids[i])!r} (row {i} of this batch). "
                        "Fix the LF, or pass fault_tolerant=True to abstain on such rows and count them."
                    ) from exc
                if self.faults[lf.name] == 0:
                    logger.warning("LF %r raised %s: %s on row id %r; abstaining (fault-tolerant)",
                                   lf.name, type(exc).__name__, exc, _show(row_ids[i]))
                self.faults[lf.name] += 1
                append(ABSTAIN)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt from LF code: never a silent exit
                if isinstance(exc, KeyboardInterrupt) and self.interrupt.fired:
                    raise  # the user's Ctrl-C: stop
                raise exit_error(lf, exc, f"on row id {_show(row_ids[i])!r} (row {i} of this batch)") from exc
            if deadline is not None and time.perf_counter() > deadline:
                self.out_of_time(lf, i, batch.n, row_ids, time.perf_counter() - start)
                votes.extend([ABSTAIN] * (batch.n - i - 1))
                break
        if deadline is not None:
            with self._lock:
                self.spent[lf.name] += time.perf_counter() - start
        return self.check(lf, votes, row_ids)

    def out_of_time(self, lf: LabelingFunction, i: int, n: int, row_ids: np.ndarray, elapsed: float) -> None:
        """LF ``lf`` used up ``lf_timeout`` on row ``i`` of a batch of ``n``: raise, or count the rows it skips."""
        where = f"on row id {_show(row_ids[i])!r} (row {i} of this batch of {n})"
        if not self.fault_tolerant:
            raise LFApplyError(
                f"labeling function {lf.name!r} (defined at {lf.source}) ran out of its time budget "
                f"lf_timeout={self.lf_timeout:g} s {where}, after {elapsed:.2f} s in this batch. Make it faster, "
                "raise lf_timeout, or pass fault_tolerant=True to abstain on the rows it has no time for"
            )
        with self._lock:
            self.timeouts[lf.name] += n - i - 1
        logger.warning("LF %r ran out of its time budget lf_timeout=%g s %s; it abstains on the rest of the rows "
                       "(counted in VoteMatrix.timeouts)", lf.name, self.lf_timeout, where)

    def vectorised(self, lf: LabelingFunction, batch: Batch, row_ids: np.ndarray) -> np.ndarray:
        try:
            votes = lf.vote_batch(batch)
        except Exception as exc:  # find the row that breaks it, or count faults row by row
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
            raise exit_error(lf, exc, f"on a batch of {batch.n} rows (row ids {_show(row_ids[0])!r} to "
                                      f"{_show(row_ids[-1])!r})") from exc
        return self.check(lf, votes, row_ids)

    def check(self, lf: LabelingFunction, votes: Any, row_ids: np.ndarray) -> np.ndarray:
        arr = np.asarray(votes)
        if arr.dtype.kind not in "iu" and len(arr):
            bad = next((i for i, v in enumerate(votes)
                        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))), 0)
            value = votes[bad]
            raise LFApplyError(
                f"labeling function {lf.name!r} (defined at {lf.source}) returned {value!r} "
                f"({type(value).__name__}) on row id {_show(row_ids[bad])!r}; an LF must return a class id (int) "
                f"or ABSTAIN (-1)"
            )
        space_ = self.label_space
        k = space_.cardinality if space_ is not None else None
        if arr.size and (arr.min() < ABSTAIN or (k is not None and arr.max() >= k)):  # no mask unless out of range
            i = int(np.flatnonzero((arr < ABSTAIN) | ((arr >= k) if k is not None else False))[0])
            space = f"the label space {list(space_)} (ids 0..{space_.cardinality - 1})" if space_ else "class ids >= 0"
            raise LFApplyError(
                f"labeling function {lf.name!r} (defined at {lf.source}) returned {int(arr[i])} on row id "
                f"{_show(row_ids[i])!r}, outside {space} or ABSTAIN (-1)"
            )
        return arr.astype(self.dtype, copy=False)


def apply_lfs(
    lfs: Registry | LabelingFunction | Iterable[LabelingFunction],
    data: pd.DataFrame,
    *,
    label_space: LabelSpace | None = None,
    id_column: str | None = None,
    fault_tolerant: bool = False,
    progress: bool | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    n_threads: int | None = None,
    lf_timeout: float | None = None,
    out: np.ndarray | None = None,
) -> VoteMatrix:
    """Apply labeling functions to every row of a DataFrame.

    Keyword, regex, lookup, model-score and threshold LFs run vectorised over whole
    columns (string kernels in C++, several LFs at once on a thread pool); generic LFs
    run row by row on light row objects. Both give the votes Snorkel's
    ``PandasLFApplier`` gives on ``[lf.to_snorkel() for lf in lfs]``.

    Parameters
    ----------
    lfs : Registry, LabelingFunction or iterable of them
        The LFs; a registry also supplies its label space.
    data : pandas.DataFrame
        The rows. The result keeps their order.
    label_space : LabelSpace, optional
        Votes must be ids of this space (or ``ABSTAIN``); defaults to the registry's.
    id_column : str, optional
        A column of unique row ids; the DataFrame index by default.
    fault_tolerant : bool, default False
        If False, an LF that raises stops the run with an error naming the LF and the row.
        If True, the row abstains and the fault is counted in ``VoteMatrix.faults``.
    progress : bool, optional
        Show a progress bar; by default only for 100,000 rows or more.
    chunk_rows : int, default 250,000
        Rows per batch.
    n_threads : int, optional
        Threads for vectorised LFs; defaults to the number of CPUs (at most 8).
    lf_timeout : float, optional
        Seconds each row-wise (generic) LF may spend in this call, over all its rows. The
        time is checked between rows: once an LF has used its budget it is not called again.
        If ``fault_tolerant`` is False that is an :class:`~weaksup.errors.LFApplyError` naming
        the LF, the budget and the row; if True the LF abstains on the rows it did not reach,
        counted in ``VoteMatrix.timeouts``, with a warning. A single call that never returns
        (a deadlock, a socket without a timeout) cannot be interrupted from a thread and still
        hangs the run: give such calls their own timeout inside the LF. Vectorised LFs (keyword,
        regex, lookup, model-score, threshold) run whole columns at once and have no budget.
        With :func:`~weaksup.apply.dask.apply_lfs_dask` the budget holds per partition.
    out : numpy.ndarray, optional
        An ``n_rows x n_lfs`` array of the votes' dtype (that of ``label_space``, see
        :func:`~weaksup.labels.smallest_vote_dtype`) to write the votes into, in place of a new
        one: e.g. in Fortran order, so that each LF's column is contiguous. The result's
        ``values`` is ``out``. Needs ``label_space``.

    Returns
    -------
    VoteMatrix
        ``n_rows x n_lfs`` votes with the row ids and ``name@version`` of each LF.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.lf import keyword_lf, labeling_function
    >>> @labeling_function
    ... def short(x):
    ...     return 0 if len(x.text) < 8 else -1
    >>> df = pd.DataFrame({"text": ["subscribe to me", "nice", "great song"]}, index=["a", "b", "c"])
    >>> votes = apply_lfs([keyword_lf("kw_sub", "subscribe", 1), short], df)
    >>> votes.values.tolist(), votes.row_ids.tolist()
    ([[1, -1], [-1, 0], [-1, -1]], ['a', 'b', 'c'])
    """
    lf_list, registry_space = as_lf_list(lfs)
    label_space = label_space if label_space is not None else registry_space
    if isinstance(data, dict):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    check_number(chunk_rows, name="chunk_rows", low=1, integer=True)
    if lf_timeout is not None:
        check_number(lf_timeout, name="lf_timeout", low=0, low_open=True, note="seconds; None for no budget")
    columns = [str(c) for c in data.columns]
    for lf in lf_list:
        missing = [f for f in lf.fields if f not in columns]
        if missing:
            raise MissingColumnError(
                f"labeling function {lf.name!r} (defined at {lf.source}) reads column(s) {missing}, "
                f"which the data does not have; its columns are {columns}"
            )
    row_ids = _row_ids(data, id_column)
    n, m = len(data), len(lf_list)
    interrupt = UserInterrupt()
    run = _Application(lf_list, label_space, fault_tolerant, columns, lf_timeout, interrupt)
    if out is None:
        values = np.full((n, m), ABSTAIN, dtype=run.dtype)
    elif label_space is None or out.shape != (n, m) or out.dtype != run.dtype:
        raise ParameterError(f"apply_lfs: out must be an array of shape {(n, m)} and dtype {run.dtype} (that of "
                             f"the label space), with a label_space; got shape {out.shape}, dtype {out.dtype}, "
                             f"label_space {label_space!r}")
    else:
        values = out
    literals: dict[tuple[str, bool], set[str]] = {}
    for lf in lf_list:
        for field, lowered, words in lf.literal_needs():
            literals.setdefault((field, lowered), set()).update(words)
    vector_jobs = [j for j, lf in enumerate(lf_list) if lf.vectorised]
    row_jobs = [j for j, lf in enumerate(lf_list) if not lf.vectorised]
    threads = n_threads or min(os.cpu_count() or 1, 8)
    show = progress if progress is not None else n >= 100_000
    pending: deque[tuple[int, int, dict[int, Any]]] = deque()

    def vote(j: int, batch: Batch, start: int, stop: int) -> None:
        # written in place by the worker: a finished LF's column never waits in a future's result
        values[start:stop, j] = run.vectorised(lf_list[j], batch, row_ids[start:stop])

    def collect(start: int, stop: int, futures: dict[int, Any]) -> None:
        for future in futures.values():
            future.result()
            bar.update(stop - start)

    with interrupt, ThreadPoolExecutor(max_workers=threads) as pool, \
            tqdm(total=n * m, desc="applying LFs", unit="votes", unit_scale=True, disable=not show) as bar:
        for start in range(0, max(n, 1), chunk_rows):
            stop = min(start + chunk_rows, n)
            batch = Batch(data.iloc[start:stop], literals)
            ids = row_ids[start:stop]
            # Two batches in flight: threads start on this one while the last one finishes.
            pending.append((start, stop, {j: pool.submit(vote, j, batch, start, stop) for j in vector_jobs}))
            for j in row_jobs:
                values[start:stop, j] = run.rowwise(lf_list[j], batch, ids)
                bar.update(stop - start)
            while len(pending) > 1:
                collect(*pending.popleft())
        while pending:
            collect(*pending.popleft())
    if label_space is None and values.size and out is None:
        values = values.astype(smallest_vote_dtype(int(values.max()) + 1))
    faults = dict(run.faults)
    if any(faults.values()):
        logger.warning("LF faults (rows abstained): %s", {k: v for k, v in faults.items() if v})
    timeouts = dict(run.timeouts)
    if any(timeouts.values()):
        logger.warning("LFs out of time (rows abstained): %s", {k: v for k, v in timeouts.items() if v})
    return VoteMatrix(
        values, row_ids=row_ids, lf_names=[lf.name for lf in lf_list],
        lf_versions=[lf.version for lf in lf_list], label_space=label_space, faults=faults, timeouts=timeouts,
    )
