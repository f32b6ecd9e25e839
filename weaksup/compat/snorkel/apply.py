"""Snorkel's LF appliers over weaksup's engine: the same ``L``.

``PandasLFApplier`` and ``PandasParallelLFApplier`` run :func:`weaksup.apply_lfs` (the parallel one with
``n_jobs=n_parallel`` processes for ``scheduler="processes"``, threads for ``"threads"``); ``DaskLFApplier`` runs
:func:`weaksup.apply.dask.apply_lfs_dask` under the given Dask scheduler or ``Client``. One deliberate difference:
``PandasParallelLFApplier`` returns the rows in the DataFrame's order, where Snorkel's sorts them by the index
(Snorkel issue #1589).

As in Snorkel, an LF (or preprocessor) that raises stops ``PandasLFApplier`` and ``PandasParallelLFApplier`` with
its own exception (``ZeroDivisionError``, ``KeyError``...), so a migrated ``except`` still catches it; weaksup's
message, naming the LF, where it is defined, the row and the fix, is added to it as a note. Errors weaksup finds
itself (a result that is no class id, an LF that exits) are :class:`~weaksup.errors.LFApplyError`, as is an LF's
exception that does not survive a pickle round trip (it holds a lock, say): a worker process could not send it back,
so it is the error's cause, whatever the number of processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup.apply import apply_lfs
from weaksup.errors import DataError, DuplicateLFError, ParameterError, WeakSupError
from weaksup.votes import VoteMatrix

__all__ = ["ApplierMetadata", "DaskLFApplier", "PandasLFApplier", "PandasParallelLFApplier"]

#: ``PandasParallelLFApplier(scheduler=...)``: Dask's local scheduler names and how weaksup runs each.
SCHEDULERS = {"processes": "processes", "multiprocessing": "processes", "threads": "threads",
              "threading": "threads", "synchronous": "one", "sync": "one", "single-threaded": "one"}


def _votes(lfs: list[Any], df: Any, who: str, **options: Any) -> VoteMatrix:
    """``apply_lfs`` on ``df``, rows keyed by position if the index repeats (``x.name`` is still the index label,
    as in Snorkel); an LF's own exception is raised as Snorkel raises it, with weaksup's message as a note."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{who}.apply takes a pandas DataFrame; got {type(df).__name__}")
    try:
        return apply_lfs(lfs, df, row_ids=None if df.index.is_unique else np.arange(len(df)), **options)
    except WeakSupError as exc:
        own = getattr(exc, "lf_exception", None)  # (weaksup.apply.rowwise.raised_by_lf)
        if not isinstance(own, Exception):  # weaksup's own finding (a result that is no vote, an exit): as it is
            raise
        own.add_note(f"weaksup: {exc}")
    raise own  # (outside the handler: the LF's exception, its traceback and its own cause, as Snorkel raises it)


class ApplierMetadata(NamedTuple):
    """What an ``apply(..., return_meta=True)`` call reports: ``faults``, the rows each LF failed on (only LFs that
    failed are listed), as in Snorkel."""

    faults: dict[str, int]


class PandasLFApplier:
    """Apply LFs to every row of a DataFrame (Snorkel's ``snorkel.labeling.PandasLFApplier``).

    The LFs may be Snorkel's (``@labeling_function``, ``LabelingFunction(name, f, resources=..., pre=[...])``,
    ``nlp_labeling_function``) or weaksup's. The work is :func:`weaksup.apply_lfs`: weaksup's vectorised kinds run
    on whole columns, row-wise LFs on light row objects with shared, memoised preprocessors.

    Parameters
    ----------
    lfs : list of LFs
        Their names must be unique.

    Examples
    --------
    >>> from weaksup.lf import labeling_function
    >>> @labeling_function
    ... def is_big_num(x):
    ...     return 1 if x.num > 42 else 0
    >>> PandasLFApplier([is_big_num]).apply(pd.DataFrame(dict(num=[10, 100])), progress_bar=False)
    array([[0],
           [1]])
    """

    def __init__(self, lfs: Sequence[Any]) -> None:
        self._lfs = list(lfs)
        self._check_names()

    def _check_names(self) -> None:
        names = [lf.name for lf in self._lfs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise DuplicateLFError(f"Found non-unique LF names: {repeated}; give every LF its own name")

    def apply(self, df: pd.DataFrame, progress_bar: bool = True, fault_tolerant: bool = False,
              return_meta: bool = False) -> np.ndarray | tuple[np.ndarray, ApplierMetadata]:
        """The ``(rows, LFs)`` int64 vote matrix ``L`` (``-1`` = abstain), rows in the DataFrame's order.

        Parameters
        ----------
        df : pandas.DataFrame
            The rows (any index, repeated values allowed).
        progress_bar : bool, default True
        fault_tolerant : bool, default False
            An LF that raises abstains on that row and the fault is counted (else the error stops the call).
        return_meta : bool, default False
            Also return an :class:`ApplierMetadata` with the fault counts.
        """
        votes = _votes(self._lfs, df, type(self).__name__, fault_tolerant=fault_tolerant, progress=progress_bar)
        L = votes.values.astype(np.int64)
        if return_meta:
            return L, ApplierMetadata({name: count for name, count in votes.faults.items() if count})
        return L


class PandasParallelLFApplier(PandasLFApplier):
    """Apply LFs with ``n_parallel`` workers (Snorkel's ``PandasParallelLFApplier``; rows keep their order).

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> df = pd.DataFrame({"text": ["subscribe now", "nice song", "sub please"]}, index=[2, 0, 1])
    >>> PandasParallelLFApplier([keyword_lf("sub", "subscribe", 1)]).apply(df, scheduler="threads").ravel()
    array([ 1, -1, -1])
    """

    def apply(self, df: pd.DataFrame, n_parallel: int = 2, scheduler: Any = "processes",  # type: ignore[override]
              fault_tolerant: bool = False) -> np.ndarray:
        """The vote matrix ``L``; ``scheduler`` is one of Dask's local schedulers (:data:`SCHEDULERS`)."""
        if n_parallel < 2:
            raise ParameterError("n_parallel should be >= 2. For single process Pandas, use PandasLFApplier.")
        how = SCHEDULERS.get(scheduler) if isinstance(scheduler, str) else None
        if how is None:
            raise ParameterError(f"PandasParallelLFApplier: scheduler={scheduler!r}; weaksup runs one of "
                                 f"{sorted(SCHEDULERS)} (for a Dask Client, use DaskLFApplier on a Dask DataFrame)")
        votes = _votes(self._lfs, df, type(self).__name__, fault_tolerant=fault_tolerant, progress=False,
                       n_jobs=n_parallel if how == "processes" else None,
                       n_threads=n_parallel if how == "threads" else None)
        return votes.values.astype(np.int64)


class DaskLFApplier(PandasLFApplier):
    """Apply LFs to a Dask DataFrame's partitions (Snorkel's ``DaskLFApplier``); its index must be unique."""

    def apply(self, df: Any, scheduler: Any = "processes",  # type: ignore[override]
              fault_tolerant: bool = False) -> np.ndarray:
        """The vote matrix ``L`` of the partitions in order; ``scheduler`` is a Dask scheduler name or a Client."""
        import dask

        from weaksup.apply.dask import apply_lfs_dask

        if isinstance(scheduler, str):
            with dask.config.set(scheduler=scheduler):
                votes = apply_lfs_dask(self._lfs, df, fault_tolerant=fault_tolerant)
        else:
            votes = apply_lfs_dask(self._lfs, df, fault_tolerant=fault_tolerant, client=scheduler)
        return votes.values.astype(np.int64)
