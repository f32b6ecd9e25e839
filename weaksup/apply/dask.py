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
from typing import Any

import numpy as np
import pandas as pd

from weaksup.apply.core import _as_lf_list, apply_lfs
from weaksup.errors import DataError
from weaksup.labels import LabelSpace
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)


def _partition_votes(frame: pd.DataFrame, lfs: list, label_space: LabelSpace | None, id_column: str | None,
                     fault_tolerant: bool) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    votes = apply_lfs(lfs, frame, label_space=label_space, id_column=id_column,
                      fault_tolerant=fault_tolerant, progress=False, n_threads=1)
    return votes.row_ids, votes.values, votes.faults


def apply_lfs_dask(
    lfs: Any,
    data: Any,
    *,
    label_space: LabelSpace | None = None,
    id_column: str | None = None,
    fault_tolerant: bool = False,
    client: Any = None,
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

    Returns
    -------
    VoteMatrix
    """
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("Dask application needs Dask: pip install 'weaksup[dask]'") from exc
    if not isinstance(data, dd.DataFrame):
        raise DataError(f"apply_lfs_dask needs a dask.dataframe.DataFrame; got {type(data).__name__}")
    lf_list, registry_space = _as_lf_list(lfs)
    label_space = label_space if label_space is not None else registry_space
    parts = [dask.delayed(_partition_votes)(part, lf_list, label_space, id_column, fault_tolerant)
             for part in data.to_delayed()]
    results = client.gather(client.compute(parts)) if client is not None else dask.compute(*parts)
    row_ids = np.concatenate([ids for ids, _, _ in results]) if results else np.zeros(0)
    values = np.concatenate([v for _, v, _ in results]) if results else np.zeros((0, len(lf_list)), dtype=np.int8)
    faults = {lf.name: sum(f[lf.name] for _, _, f in results) for lf in lf_list}
    if not pd.Index(row_ids).is_unique:
        raise DataError("row ids repeat across partitions; every row needs a unique id (pass id_column=)")
    logger.info("applied %d LFs to %d rows in %d partitions", len(lf_list), len(row_ids), len(results))
    return VoteMatrix(values, row_ids=row_ids, lf_names=[lf.name for lf in lf_list],
                      lf_versions=[lf.version for lf in lf_list], label_space=label_space, faults=faults)
