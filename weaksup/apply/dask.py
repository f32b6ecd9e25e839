"""Apply labeling functions to a Dask DataFrame, partition by partition (``weaksup[dask]``).

Every partition runs :func:`~weaksup.apply_lfs` on a worker; the driver gathers small
``int8`` vote blocks in partition order, so row order is kept whatever the index, and sums
the per-partition fault counts. Snorkel's ``DaskLFApplier`` loses both (snorkel#1589).

To run on a real cluster, connect a client first and pass it (or let Dask use the default
client): ``Client("tcp://scheduler:8786")``; the workers need weaksup and your LF modules
importable (install the project there, e.g. as a wheel, or ``client.upload_file``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.apply.core import apply_lfs, as_lf_list
from weaksup.errors import DataError, LFApplyError
from weaksup.labels import LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.validation import check_row_ids
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)


def _partition_votes(frame: pd.DataFrame, lfs: list[LabelingFunction], label_space: LabelSpace | None, id_column: str | None,
                     fault_tolerant: bool, lf_timeout: float | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, int], dict[str, int]]:
    votes = apply_lfs(lfs, frame, label_space=label_space, id_column=id_column,
                      fault_tolerant=fault_tolerant, progress=False, n_threads=1, lf_timeout=lf_timeout)
    return votes.row_ids, votes.values, votes.faults, votes.timeouts


def killed_worker_error(exc: BaseException, *, what: str, parts: Sequence[str]) -> LFApplyError | None:
    """The error to raise for Dask's ``KilledWorker`` (workers died ``allowed-failures + 1`` times running one
    task), naming the part of the task (its key ends in ``part<i>`` or ``-<i>``); None for any other error.

    Examples
    --------
    >>> class KilledWorker(Exception): pass
    >>> str(killed_worker_error(KilledWorker("weaksup-votes-ab12-part00001"), what="votes", parts=["a", "b"]))[:70]
    'Dask workers died 1 time(s) running the votes task of part b (number 1'
    >>> killed_worker_error(ValueError("x"), what="votes", parts=["a"]) is None
    True
    """
    if type(exc).__name__ != "KilledWorker":
        return None
    key = str(getattr(exc, "task", exc.args[0] if exc.args else ""))
    tail = key.rsplit("-", 1)[-1].removeprefix("part")
    index = int(tail) if tail.isdigit() else -1
    name = parts[index] if 0 <= index < len(parts) else "?"
    return LFApplyError(
        f"Dask workers died {getattr(exc, 'allowed_failures', 0) + 1} time(s) running the {what} task of part {name} "
        f"(number {index} of {len(parts)}, task {key!r}); nothing was returned. An LF may crash or exhaust its worker "
        "(memory, a C extension): check the worker logs, use smaller parts or more worker memory, or raise "
        "distributed.scheduler.allowed-failures")


def apply_lfs_dask(
    lfs: Any,
    data: Any,
    *,
    label_space: LabelSpace | None = None,
    id_column: str | None = None,
    fault_tolerant: bool = False,
    client: Any = None,
    lf_timeout: float | None = None,
) -> VoteMatrix:
    """Apply LFs to every partition of a ``dask.dataframe.DataFrame``; votes come back in row order.

    Parameters
    ----------
    lfs : Registry, LabelingFunction or iterable of them
        The LFs (sent to the workers by pickling; module-level LFs travel by reference).
    data : dask.dataframe.DataFrame
        The rows.
    label_space, id_column, fault_tolerant
        As for :func:`~weaksup.apply_lfs`; fault counts are summed over partitions.
    client : distributed.Client, optional
        Where to compute; Dask's default scheduler (or default client) otherwise.
    lf_timeout : float, optional
        As for :func:`~weaksup.apply_lfs`, per partition; timeouts are summed over partitions.

    A worker that dies mid-run (killed, out of memory) loses only the partitions it held: Dask
    runs them again on another worker (a partition is pure, so its votes are the same). Dask
    gives up on a partition after ``distributed.scheduler.allowed-failures`` worker deaths
    (default 3) and raises ``KilledWorker``; that becomes an :class:`~weaksup.errors.LFApplyError`
    naming the partition, with nothing returned, so no row is lost or repeated silently.

    Returns
    -------
    VoteMatrix
    """
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("Dask application needs Dask: pip install 'weaksup[dask]'") from exc
    if not isinstance(data, dd.DataFrame):
        raise DataError(f"apply_lfs_dask needs a dask.dataframe.DataFrame; got {type(data).__name__}")
    lf_list, registry_space = as_lf_list(lfs)
    label_space = label_space if label_space is not None else registry_space
    run = f"weaksup-apply-{uuid.uuid4().hex[:12]}"  # keys of this call only: never another call's cached votes
    from dask.base import compute
    from dask.delayed import delayed

    parts = [delayed(_partition_votes)(part, lf_list, label_space, id_column, fault_tolerant, lf_timeout,
                                       dask_key_name=f"{run}-{i}")
             for i, part in enumerate(data.to_delayed())]  # type: ignore[no-untyped-call]
    try:
        results = client.gather(client.compute(parts)) if client is not None \
            else compute(*parts)  # type: ignore[no-untyped-call]
    except Exception as exc:
        error = killed_worker_error(exc, what="LF application", parts=[str(i) for i in range(len(parts))])
        if error is None:
            raise
        raise error from exc
    row_ids = np.concatenate([r[0] for r in results]) if results else np.zeros(0)
    values = np.concatenate([r[1] for r in results]) if results else np.zeros((0, len(lf_list)), dtype=np.int8)
    faults = {lf.name: sum(r[2][lf.name] for r in results) for lf in lf_list}
    timeouts = {lf.name: sum(r[3][lf.name] for r in results) for lf in lf_list}
    check_row_ids(row_ids, where="apply_lfs_dask: row ids across partitions",
                  fix="Every row needs one id in the whole frame: pass id_column= naming a unique column")
    logger.info("applied %d LFs to %d rows in %d partitions", len(lf_list), len(row_ids), len(results))
    return VoteMatrix(values, row_ids=row_ids, lf_names=[lf.name for lf in lf_list],
                      lf_versions=[lf.version for lf in lf_list], label_space=label_space, faults=faults,
                      timeouts=timeouts)
