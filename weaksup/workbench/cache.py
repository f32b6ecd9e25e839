"""The workbench's vote cache: one vote column (and fault count) per ``name@version``."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from weaksup.apply import apply_lfs
from weaksup.errors import LFDefinitionError
from weaksup.labels import LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.lf.snorkel import as_weaksup_lf
from weaksup.validation import check_lf_labels

logger = logging.getLogger(__name__)

__all__ = ["CacheInfo", "CachedVotes", "FitCache", "VoteCache", "fit_key"]

T = TypeVar("T")


class CacheInfo(NamedTuple):
    """Vote-column cache statistics: a hit reuses a column, a miss applies one LF to every row."""

    hits: int
    misses: int
    size: int


class CachedVotes(NamedTuple):
    """The votes of one LF on every row (read-only ``int16``) and how many rows it failed on."""

    column: np.ndarray
    faults: int


class VoteCache:
    """Vote columns of LFs on one DataFrame, keyed by ``lf_id``: editing an LF computes only its column.

    An LF that is not :attr:`~weaksup.lf.core.LabelingFunction.cacheable` (it reads state its version cannot
    cover, e.g. a spaCy ``Matcher``) is applied again each time it is computed (:meth:`compute`, :meth:`votes`),
    as ``weaksup run`` recomputes it; :meth:`stored` reads the column computed last.

    Parameters
    ----------
    data : DataFrame
        The rows.
    label_space : LabelSpace, optional
        Votes outside it are refused before anything is applied.
    id_column : str or None
        Passed to :func:`~weaksup.apply_lfs`.
    fault_tolerant : bool, default False
        Passed to :func:`~weaksup.apply_lfs`. While it is False, a cached column with faults (kept while it was
        True) is applied again, so the LF stops with the row id as it would have.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> cache = VoteCache(pd.DataFrame({"row_id": [1, 2], "text": ["sub now", "song"]}), None, "row_id")
    >>> lf = keyword_lf("kw_sub", "sub", 1)
    >>> cache.votes(lf).column.tolist(), cache.votes(lf).column.tolist(), cache.info()
    ([1, -1], [1, -1], CacheInfo(hits=1, misses=1, size=1))
    """

    def __init__(self, data: pd.DataFrame, label_space: LabelSpace | None, id_column: str | None,
                 fault_tolerant: bool = False) -> None:
        self.data = data
        self.label_space = label_space
        self.id_column = id_column
        self.fault_tolerant = fault_tolerant
        self._votes: dict[str, CachedVotes] = {}
        self._hits = 0
        self._misses = 0

    def __contains__(self, lf_id: object) -> bool:
        return lf_id in self._votes

    def columns(self) -> Iterable[np.ndarray]:
        """Every cached column."""
        return (cached.column for cached in self._votes.values())

    def votes(self, lf: LabelingFunction) -> CachedVotes:
        """The votes of ``lf``: from the cache (a hit), or applied now (a miss)."""
        self.compute([lf])
        return self._votes[lf.lf_id]

    def stored(self, lf: LabelingFunction) -> CachedVotes:
        """The votes of an LF that is expected in the cache (not counted as a hit)."""
        cached = self._votes.get(lf.lf_id)
        return cached if cached is not None and (self.fault_tolerant or not cached.faults) else self.votes(lf)

    def compute(self, lfs: Iterable[LabelingFunction]) -> None:
        """Cache the columns of ``lfs``: the missing ones (and those not cacheable) are applied in one pass (a hit
        per cached one)."""
        missing: dict[str, LabelingFunction] = {}
        for lf in map(as_weaksup_lf, lfs):
            if not isinstance(lf, LabelingFunction):
                raise LFDefinitionError(
                    f"expected a LabelingFunction; got {type(lf).__name__} {lf!r}. Decorate the function with "
                    "@labeling_function or build it with keyword_lf/regex_lf/... first"
                )
            cached = self._votes.get(lf.lf_id)  # not cacheable, or faults kept while fault tolerant: apply again
            if lf.lf_id in missing or cached is not None and lf.cacheable and (self.fault_tolerant or not cached.faults):
                self._hits += 1
                continue
            check_lf_labels(lf, self.label_space, fix="; vote one of those ids (LABELS['name'] with LABELS = LabelSpace([...]))")
            missing[lf.lf_id] = lf
        batches: list[list[LabelingFunction]] = []
        for lf in missing.values():  # one application per batch of distinct names (spaCy docs built once)
            target = next((b for b in batches if all(o.name != lf.name for o in b)), None)
            if target is None:
                batches.append(target := [])
            target.append(lf)
        for batch in batches:
            self._misses += len(batch)
            votes = apply_lfs(batch, self.data, label_space=self.label_space, id_column=self.id_column,
                              fault_tolerant=self.fault_tolerant, progress=len(self.data) * len(batch) >= 10**6)
            for j, lf in enumerate(batch):
                column = votes.values[:, j].astype(np.int16)
                column.setflags(write=False)
                self._votes[lf.lf_id] = CachedVotes(column, votes.faults.get(lf.name, 0))
            logger.debug("computed votes of %s on %d rows", [lf.lf_id for lf in batch], len(self.data))

    def forget(self, lf_id: str | None = None) -> None:
        """Drop one LF's column (by ``lf_id``), or all of them."""
        if lf_id is None:
            self._votes.clear()
        else:
            self._votes.pop(lf_id, None)

    def info(self) -> CacheInfo:
        """Hits, misses and the number of cached columns."""
        return CacheInfo(self._hits, self._misses, len(self._votes))


class FitCache:
    """Fitted models keyed by what they were fitted on (LF versions, gold, settings); the last ``size`` are kept.

    The workbench fits its final labels (cross-fitted label model and end model), its label model and the label
    model's dev evaluation once per LF set, votes, dev gold and label model (:func:`fit_key`): calling
    :meth:`Workbench.summary` again without an edit reuses them.

    Examples
    --------
    >>> cache = FitCache(size=1)
    >>> cache.get(("a",), lambda: "model a"), cache.get(("a",), lambda: "refit"), cache.info()
    ('model a', 'model a', CacheInfo(hits=1, misses=1, size=1))
    >>> cache.get(("b",), lambda: "model b"), ("a",) in cache
    ('model b', False)
    """

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._hits = 0
        self._misses = 0

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The object stored under ``key``, or ``build()`` stored there (the oldest entry leaves past ``size``)."""
        if key in self._items:
            self._hits += 1
            self._items.move_to_end(key)
            return self._items[key]  # type: ignore[no-any-return]
        value = build()
        self._misses += 1
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every fitted object."""
        self._items.clear()

    def info(self) -> CacheInfo:
        """Hits, misses (fits) and the number of objects kept."""
        return CacheInfo(self._hits, self._misses, len(self._items))


def fit_key(kind: str, bench: Any, model: Any, votes: np.ndarray) -> tuple[Hashable, ...]:
    """The :class:`FitCache` key of a workbench fit of ``kind`` (the final labels, the label model, its dev
    evaluation): what it depends on. The ``bench``'s LF versions (``lfs``), the votes and the dev gold (``y_dev``;
    hashed: an LF that is not cacheable keeps its ``lf_id`` when its votes change), the label model's class and
    parameters (``model``, unfitted), and the ``seed``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from weaksup.models import DevNaiveBayes
    >>> bench, votes = SimpleNamespace(lfs=[], y_dev=np.array([1, -1]), seed=0), np.array([[1], [0]])
    >>> key = fit_key("label_model", bench, DevNaiveBayes(cardinality=2), votes)
    >>> key == fit_key("label_model", bench, DevNaiveBayes(cardinality=2), votes.copy())
    True
    >>> key == fit_key("label_model", bench, DevNaiveBayes(cardinality=2, smoothing=9), votes)
    False
    """
    digest = hashlib.sha256(np.ascontiguousarray(bench.y_dev).tobytes() + np.ascontiguousarray(votes).tobytes())
    return (kind, tuple(lf.lf_id for lf in bench.lfs), digest.digest(), type(model).__name__,
            repr(sorted(model.get_params().items())), bench.seed)
