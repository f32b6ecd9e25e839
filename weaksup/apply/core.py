"""Apply labeling functions to a DataFrame: vectorised kinds in parallel, generic LFs row-wise."""

from __future__ import annotations

import logging
import os
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from weaksup.data.chunks import CHUNK_ROWS
from weaksup.apply.rowwise import Application, UserInterrupt, paused_gc
from weaksup.errors import DataError, DuplicateLFError, LFDefinitionError, MissingColumnError, ParameterError
from weaksup.interrupt import result_of
from weaksup.labels import ABSTAIN, LabelSpace, smallest_vote_dtype
from weaksup.lf.batch import Batch
from weaksup.lf.core import LabelingFunction
from weaksup.lf.nlp import share_docs
from weaksup.lf.snorkel import as_weaksup_lf, is_snorkel_lf
from weaksup.prompt.parse import ROW_IDS_KEY, unparseable_summary
from weaksup.registry import Registry
from weaksup.validation import as_label_space, check_columns, check_lf_names, check_number, check_row_ids
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

#: Rows per batch: bounds the memory of Python-side values while keeping kernels busy (the rows of a
#: chunk read from disk, ``weaksup.data.CHUNK_ROWS``, so that a chunk is one batch).
DEFAULT_CHUNK_ROWS = CHUNK_ROWS
#: Fewer rows than this per process are voted in one process (forking costs more than it saves).
MIN_ROWS_PER_JOB = 5_000


def as_lf_list(lfs: Any) -> tuple[list[LabelingFunction], LabelSpace | None]:
    """The LFs of a registry, one LF or an iterable of distinct LFs (distinct names), and the registry's label space.

    Snorkel LFs (``snorkel.labeling.LabelingFunction``) are taken as they are (:func:`~weaksup.lf.from_snorkel`).

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> lfs, space = as_lf_list(keyword_lf("kw", "x", 1))
    >>> [lf.name for lf in lfs], space
    (['kw'], None)
    """
    if isinstance(lfs, Registry):
        return lfs.lfs, lfs.label_space
    if isinstance(lfs, LabelingFunction) or is_snorkel_lf(lfs):
        return [as_weaksup_lf(lfs)], None
    if isinstance(lfs, (str, bytes)) or not isinstance(lfs, Iterable):
        raise LFDefinitionError(f"expected a Registry or labeling functions; got {type(lfs).__name__} {lfs!r}")
    out = [as_weaksup_lf(x) for x in lfs]
    bad = [x for x in out if not isinstance(x, LabelingFunction)]
    if bad:
        raise LFDefinitionError(
            f"expected labeling functions (weaksup's, or Snorkel's snorkel.labeling.LabelingFunction); got "
            f"{type(bad[0]).__module__}.{type(bad[0]).__qualname__} {bad[0]!r}. "
            "Decorate functions with @labeling_function or build them with a *_lf factory."
        )
    unique = check_lf_names(out)
    if len(unique) < len(out):
        twice = next(lf for i, lf in enumerate(out) if any(lf is other for other in out[:i]))
        where = [i for i, lf in enumerate(out) if lf is twice]
        raise DuplicateLFError(f"LF {twice.name!r} is listed {len(where)} times (positions {where}); the vote matrix "
                               "has one column per LF, in the order given: list each LF once")
    return unique, None


def _row_ids(data: pd.DataFrame, id_column: str | None) -> np.ndarray:
    """The row ids: one number or text per row, not a tuple (a vote matrix saves and looks up each id as one value)."""
    if isinstance(data.index, pd.MultiIndex) and id_column is None:
        names = list(data.index.names)
        levels = f"levels {names}" if any(n is not None for n in names) else f"{len(names)} unnamed levels"
        raise DataError(f"apply_lfs: the row index is a MultiIndex ({levels}); a row id is one "
                        "value: pass df.reset_index() and id_column= naming a unique column, or join the levels into "
                        "one id (e.g. df.index = df.index.map(lambda t: '-'.join(map(str, t))))")
    where = "apply_lfs: the row index" if id_column is None else f"apply_lfs: id column {id_column!r}"
    if id_column is not None:
        check_columns(data.columns, [id_column], where="apply_lfs", what="id column")
    ids = data.index if id_column is None else data[id_column]
    values = ids.to_numpy() if ids.dtype == object else np.empty(0)
    if len(values) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "integer", "bytes"):
        values = np.empty(0)  # (one C pass: only ids of mixed kinds are looked at one by one)
    at = next((i for i, x in enumerate(values) if isinstance(x, (tuple, list))), None)
    if at is not None:
        raise DataError(f"{where} holds tuples, e.g. {values[at]!r} at row {at}; a row id is one value: join the "
                        "parts into one id (e.g. .map(lambda t: '-'.join(map(str, t)))), or pass id_column= naming "
                        "a unique column")
    return check_row_ids(ids, where=where)


def _given_ids(ids: Any, data: pd.DataFrame, id_column: str | None) -> np.ndarray:
    """``apply_lfs(row_ids=...)``, checked: one id per row, none repeated, and no ``id_column`` besides."""
    if id_column is not None:
        raise ParameterError(f"apply_lfs: pass id_column={id_column!r} or row_ids=, not both")
    checked = check_row_ids(ids, where="apply_lfs: row_ids")
    if len(checked) != len(data):
        raise DataError(f"apply_lfs: row_ids has {len(checked)} ids for {len(data)} rows; give one id per row")
    return checked


def _string_columns(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with its column names as text (LF fields and row fields are text), none repeated."""
    columns = [str(c) for c in data.columns]
    repeated = [c for c, k in Counter(columns).items() if k > 1]
    if repeated:
        raise DataError(f"apply_lfs: the data has repeated column names {repeated} (a field names one column): rename "
                        "or drop the copies, e.g. df.loc[:, ~df.columns.duplicated()]")
    return data if all(isinstance(c, str) for c in data.columns) else data.set_axis(columns, axis=1)


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
    n_jobs: int | None = None,
    memo: dict[Any, Any] | None = None,
    row_ids: Any = None,
) -> VoteMatrix:
    """Apply labeling functions to every row of a DataFrame.

    Keyword, regex, lookup, model-score and threshold LFs run vectorised over whole
    columns (string kernels in C++, several LFs at once on a thread pool); generic LFs
    run row by row on light row objects. Both give the votes Snorkel's
    ``PandasLFApplier`` gives on ``[lf.to_snorkel() for lf in lfs]``. Snorkel LFs are taken as
    they are and vote as ``PandasLFApplier(lfs).apply(data)`` does; their preprocessors (and
    those in ``pre=[...]`` of weaksup LFs) run once per row however many LFs share them.

    Parameters
    ----------
    lfs : Registry, LabelingFunction or iterable of them
        The LFs; a registry also supplies its label space.
    data : pandas.DataFrame
        The rows. The result keeps their order. Column names are read as text (an int column ``0`` is the field
        ``"0"``); a name repeated is refused.
    label_space : LabelSpace or sequence of str, optional
        Votes must be ids of this space (or ``ABSTAIN``); defaults to the registry's.
    id_column : str, optional
        A column of unique row ids; the DataFrame index by default. A row id is one value: a MultiIndex, or ids
        that are tuples, are refused (join the parts into one id).
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
    n_jobs : int, optional
        Processes for the row-wise LFs (forked, each voting a share of the rows; 1 by default).
        Where ``fork`` is not available, 1. Fault counts are summed; ``lf_timeout`` holds per process.
    memo : dict, optional
        Where memoised preprocessors (``memoize=True``) keep their results by row content; pass one
        dict to several calls to reuse them across calls. A new one per call by default.
    row_ids : sequence, optional
        The rows' ids in the result, one per row and none repeated, in place of the index (or
        ``id_column``), which is left as it is: a Snorkel LF reading ``x.name`` gets the index label, as
        in Snorkel, even where the index repeats (the Snorkel drop-in passes the rows' positions then).

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
    label_space = as_label_space(label_space, where="apply_lfs(label_space=...)") if label_space is not None \
        else registry_space
    if isinstance(data, dict):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    check_number(chunk_rows, name="chunk_rows", low=1, integer=True)
    if lf_timeout is not None:
        check_number(lf_timeout, name="lf_timeout", low=0, low_open=True, note="seconds; None for no budget")
    if n_jobs is not None:
        check_number(n_jobs, name="n_jobs", low=1, integer=True, note="processes for row-wise LFs")
    memo = {} if memo is None else memo
    data = _string_columns(data)
    columns = list(data.columns)
    for lf in lf_list:
        missing = [f for f in lf.fields if f not in columns]
        if missing:
            raise MissingColumnError(
                f"labeling function {lf.name!r} (defined at {lf.source}) reads column(s) {missing}, "
                f"which the data does not have; its columns are {columns}"
            )
    given_ids = row_ids is not None
    row_ids = _given_ids(row_ids, data, id_column) if given_ids else _row_ids(data, id_column)
    n, m = len(data), len(lf_list)
    interrupt = UserInterrupt()
    run = Application(lf_list, label_space, fault_tolerant, columns, lf_timeout, interrupt)
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
    vector_lfs = [lf_list[j] for j in vector_jobs]
    threads = n_threads or min(os.cpu_count() or 1, 8)
    show = progress if progress is not None else n >= 100_000
    pending: deque[tuple[int, int, dict[int, Any]]] = deque()
    if (n_jobs or 1) > 1 and row_jobs and n >= 2 * MIN_ROWS_PER_JOB:
        from weaksup.apply.jobs import fork_available, vote_in_processes

        if fork_available():
            found, faults, timeouts = vote_in_processes([lf_list[j] for j in row_jobs], data, n_jobs=int(n_jobs or 1), id_column=id_column,
                                      row_ids=row_ids if given_ids else None,
                                      label_space=label_space, fault_tolerant=fault_tolerant, lf_timeout=lf_timeout,
                                      chunk_rows=chunk_rows, progress=show)
            for k, j in enumerate(row_jobs):
                values[:, j] = found[:, k]
                run.faults[lf_list[j].name] = faults[lf_list[j].name]
                run.timeouts[lf_list[j].name] = timeouts[lf_list[j].name]
            row_jobs = []
        else:  # pragma: no cover - depends on the platform
            logger.warning("n_jobs=%s: this platform cannot fork processes; the row-wise LFs run in this one", n_jobs)

    def vote(j: int, batch: Batch, start: int, stop: int) -> None:
        # written in place by the worker: a finished LF's column never waits in a future's result
        values[start:stop, j] = run.vectorised(lf_list[j], batch, row_ids[start:stop])

    def collect(start: int, stop: int, futures: dict[int, Any]) -> None:
        for future in futures.values():
            result_of(future)  # (in short waits: Ctrl-C gets through)
            bar.update(stop - start)

    # (unparseable_summary: a prompted LF's unparseable answers are warned about once, at the end, not per batch)
    with interrupt, paused_gc(bool(row_jobs)), unparseable_summary(), \
            ThreadPoolExecutor(max_workers=threads) as pool, \
            tqdm(total=n * m, desc="applying LFs", unit="votes", unit_scale=True, disable=not show) as bar:
        for start in range(0, max(n, 1), chunk_rows):
            stop = min(start + chunk_rows, n)
            batch = Batch(data.iloc[start:stop], literals, memo=memo)
            share_docs(batch, vector_lfs)  # spaCy LFs of a pipeline read each Doc in turn, then it is dropped
            ids = row_ids[start:stop]
            batch.cached(ROW_IDS_KEY, ids.copy)  # (named by a prompted LF's warning of unparseable answers)
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
