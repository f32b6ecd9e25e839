"""Row-wise LFs on several processes: forked workers each vote a share of the rows (``apply_lfs(n_jobs=)``).

Python LFs hold the interpreter lock, so threads cannot run two of them at once; forked processes can, and they
inherit the rows and the LFs (with their preprocessors, spaCy pipelines and memo caches) without pickling them.
Each worker votes pieces of rows with :func:`~weaksup.apply_lfs` and sends back small vote blocks and fault counts.
"""

from __future__ import annotations

import math
import multiprocessing
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction

__all__ = ["fork_available", "vote_in_processes"]

_JOB: dict[str, Any] = {}  # what the forked workers inherit: the LFs, the rows, the options


def fork_available() -> bool:
    """True where processes can be forked (Linux, macOS), which :func:`vote_in_processes` needs.

    Examples
    --------
    >>> isinstance(fork_available(), bool)
    True
    """
    return "fork" in multiprocessing.get_all_start_methods()


def _vote_piece(bounds: tuple[int, int]) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    from weaksup.apply.core import apply_lfs

    start, stop = bounds
    memo = _JOB.setdefault("memo", {})  # this worker's memoised preprocessor results, kept across its pieces
    ids = _JOB["row_ids"]
    votes = apply_lfs(_JOB["lfs"], _JOB["data"].iloc[start:stop], memo=memo, progress=False, n_jobs=1, n_threads=1,
                      row_ids=None if ids is None else ids[start:stop], **_JOB["options"])
    return votes.values, votes.faults, votes.timeouts


def vote_in_processes(lfs: list[LabelingFunction], data: pd.DataFrame, *, n_jobs: int, id_column: str | None,
                      label_space: LabelSpace | None, fault_tolerant: bool, lf_timeout: float | None,
                      chunk_rows: int, progress: bool, row_ids: np.ndarray | None = None,
                      ) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """``(votes, faults, timeouts)`` of ``lfs`` on ``data`` from ``n_jobs`` forked processes (rows in order);
    ``row_ids``, when given, are the rows' ids in place of the index or ``id_column`` (as in ``apply_lfs``).

    Examples
    --------
    >>> from weaksup.lf import labeling_function
    >>> @labeling_function
    ... def short(x):
    ...     return 0 if len(x.text) < 5 else -1
    >>> df = pd.DataFrame({"text": ["ok", "a longer one"] * 3})
    >>> vote_in_processes([short], df, n_jobs=2, id_column=None, label_space=None, fault_tolerant=False,
    ...                   lf_timeout=None, chunk_rows=1000, progress=False)[0][:, 0].tolist()
    [0, -1, 0, -1, 0, -1]
    """
    n = len(data)
    size = max(1, min(chunk_rows, math.ceil(n / (4 * n_jobs))))
    pieces = [(start, min(start + size, n)) for start in range(0, n, size)]
    values = np.full((n, len(lfs)), ABSTAIN, dtype=np.int64)
    faults = dict.fromkeys((lf.name for lf in lfs), 0)
    timeouts = dict.fromkeys((lf.name for lf in lfs), 0)
    _JOB.update(lfs=lfs, data=data, row_ids=row_ids, options={"id_column": id_column, "label_space": label_space,
                                             "fault_tolerant": fault_tolerant, "lf_timeout": lf_timeout,
                                             "chunk_rows": chunk_rows})
    try:
        with multiprocessing.get_context("fork").Pool(min(n_jobs, len(pieces))) as pool, \
                tqdm(total=n, desc=f"row-wise LFs on {n_jobs} processes", unit="rows", unit_scale=True,
                     disable=not progress) as bar:
            for (start, stop), (block, piece_faults, piece_timeouts) in zip(pieces, pool.imap(_vote_piece, pieces)):
                values[start:stop] = block
                for name in faults:
                    faults[name] += piece_faults.get(name, 0)
                    timeouts[name] += piece_timeouts.get(name, 0)
                bar.update(stop - start)
    finally:
        _JOB.clear()
    return values, faults, timeouts
