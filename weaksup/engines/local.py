"""The local engine: the map steps of :mod:`weaksup.engines.parts` on threads of this process, parts in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pandas as pd

from weaksup.engines.batch import BatchSpec, InputPart
from weaksup.engines.commit import PartResult, StagedRun
from weaksup.engines.parts import PartStats, count_part, label_part, merge_part_stats, part_faults
from weaksup.engines.predict import PredictionTable

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in order (at most ``workers`` ahead)."""
    if workers <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="weaksup-engine") as pool:
        yield from pool.map(fn, items)


class LocalEngine:
    """The parts voted, counted and labeled here (``workers`` threads; the LF kernels release the GIL).

    Examples
    --------
    >>> LocalEngine(workers=2).name
    'local'
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        #: LF columns voted by the last :meth:`vote_counts` (the rest came from the vote cache).
        self.computed = 0
        #: Rows each LF faulted on in the last :meth:`vote_counts` (abstained under ``lfs.fault_tolerant``).
        self.faults: dict[str, int] = {}

    def vote_counts(self, spec: BatchSpec, parts: Sequence[InputPart], vote_dir: Path | None,
                    gold_ids: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Map: votes -> pattern counts per part; reduce: their exact sum, and the gold rows' votes."""
        stats: list[PartStats] = list(ordered_map(lambda p: count_part(spec, p, vote_dir, gold_ids), parts,
                                                  self._workers(spec)))
        counts, gold, self.computed = merge_part_stats(stats)
        self.faults = part_faults(stats)
        return counts, gold

    def write_labels(self, spec: BatchSpec, table: PredictionTable, parts: Sequence[InputPart],
                     staged: StagedRun) -> list[PartResult]:
        """Map: each unfinished part's labels into the staging folder."""
        return list(ordered_map(lambda p: label_part(spec, table, p, staged), parts, self._workers(spec)))

    def _workers(self, spec: BatchSpec) -> int:
        """Threads for the parts: ``workers``, or one when an LF runs user code that may not be thread-safe
        (labeling a part votes again with the LFs whose votes are not cached)."""
        return self.workers if all(lf.thread_safe for lf in spec.lfs()) else 1

    def close(self) -> None:
        """Nothing to release."""
