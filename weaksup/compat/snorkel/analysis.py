"""Snorkel's ``LFAnalysis`` over weaksup's vote statistics (:class:`weaksup.analysis.VoteStats`), same numbers.

Every statistic comes from :class:`~weaksup.analysis.VoteStats` (computed once, block by block over the rows: no
per-row Python, a few MB of temporaries at any size) and the gold counts of :func:`weaksup.analysis.lf_summary`;
this module only arranges them the way Snorkel's ``LFAnalysis`` returns them. The rates are the same integer
counts divided the same way, so they equal Snorkel's to the last bit.

One deliberate difference from *weaksup's own* ``lf_summary`` (not from Snorkel's): here ``Emp. Acc.`` keeps
Snorkel's meaning, the LF's correct votes over **all** its votes (votes on rows whose gold is ``-1`` count as
wrong; an LF with no vote gets 0.0), while :func:`weaksup.analysis.lf_summary` leaves rows without gold out and
gives NaN to an LF with no vote on gold.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from weaksup.analysis import VoteStats, learned_weights
from weaksup.analysis import lf_summary as weaksup_lf_summary
from weaksup.compat.snorkel.utils import to_int_label_array
from weaksup.errors import ParameterError
from weaksup.registry import Registry
from weaksup.votes import VoteMatrix

__all__ = ["LFAnalysis"]


class LFAnalysis:
    """Statistics of the LFs' votes ``L`` (Snorkel's ``snorkel.labeling.LFAnalysis``).

    Parameters
    ----------
    L : int array (n, m) or VoteMatrix
        The votes, ``-1`` = abstain.
    lfs : list of LFs or Registry, optional
        The LFs that made ``L`` (Snorkel's or weaksup's; anything with a ``name``), or a weaksup
        :class:`~weaksup.Registry`: the summary is indexed by their names and gets a ``j`` column. With a
        :class:`VoteMatrix` (which names its columns) the columns are matched to the LFs by name, in any order; a
        name on one side only is a :class:`~weaksup.errors.ParameterError`.

    Examples
    --------
    >>> L = np.array([[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]])
    >>> analysis = LFAnalysis(L)
    >>> print(analysis.label_coverage(), analysis.label_overlap(), analysis.label_conflict())
    0.8 0.6 0.2
    >>> analysis.lf_polarities(), analysis.lf_coverages().tolist(), analysis.lf_conflicts().tolist()
    ([[0, 1], [0], [0]], [0.4, 0.8, 0.4], [0.2, 0.2, 0.0])
    """

    def __init__(self, L: np.ndarray | VoteMatrix, lfs: Sequence[Any] | Registry | None = None) -> None:
        self.L = L.values if isinstance(L, VoteMatrix) else np.asarray(L)
        if self.L.ndim != 2:
            raise ParameterError(f"L must be a 2-d vote matrix (rows x LFs); got shape {self.L.shape}")
        self._lf_names: list[str] | None = None
        if lfs is not None:
            lfs = lfs.lfs if isinstance(lfs, Registry) else list(lfs)
            if len(lfs) != self.L.shape[1]:
                raise ParameterError(f"Number of LFs ({len(lfs)}) and number of LF matrix columns "
                                     f"({self.L.shape[1]}) are different")
            self._lf_names = [_lf_name(lf, j) for j, lf in enumerate(lfs)]
            if isinstance(L, VoteMatrix):
                self.L = self.L[:, _columns_for(L.lf_names, self._lf_names)]

    @cached_property
    def _stats(self) -> VoteStats:
        return VoteStats.of(self.L)

    @property
    def _n(self) -> int:
        return int(self.L.shape[0])

    # -- dataset level -------------------------------------------------------------------------------------------
    def label_coverage(self) -> np.float64:
        """The fraction of rows with at least one vote."""
        return np.float64(self._stats.rates()["coverage"])  # Snorkel returns a NumPy float

    def label_overlap(self) -> np.float64:
        """The fraction of rows with at least two votes."""
        return np.float64(self._stats.rates()["overlap"])  # Snorkel returns a NumPy float

    def label_conflict(self) -> np.float64:
        """The fraction of rows with two votes that disagree."""
        return np.float64(self._stats.rates()["conflict"])  # Snorkel returns a NumPy float

    # -- per LF --------------------------------------------------------------------------------------------------
    def lf_polarities(self) -> list[list[int]]:
        """The sorted classes each LF voted for."""
        return [list(p) for p in self._stats.polarity]

    def lf_coverages(self) -> np.ndarray:
        """Per LF, the fraction of rows it votes on."""
        return np.asarray(self._stats.lf_votes / self._n)

    def lf_overlaps(self, normalize_by_coverage: bool = False) -> np.ndarray:
        """Per LF, the fraction of rows it and another LF vote on (of its own votes with ``normalize_by_coverage``)."""
        overlaps = self._stats.lf_overlaps / self._n
        if normalize_by_coverage:
            with np.errstate(divide="ignore", invalid="ignore"):
                overlaps /= self.lf_coverages()
        return np.nan_to_num(overlaps)

    def lf_conflicts(self, normalize_by_overlaps: bool = False) -> np.ndarray:
        """Per LF, the fraction of rows it votes on that hold two disagreeing votes (of its overlaps with
        ``normalize_by_overlaps``)."""
        conflicts = self._stats.lf_conflicts / self._n
        if normalize_by_overlaps:
            with np.errstate(divide="ignore", invalid="ignore"):
                conflicts /= self.lf_overlaps()
        return np.nan_to_num(conflicts)

    def _gold_counts(self, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per LF, its correct and incorrect votes on rows with gold (weaksup's ``lf_summary`` counts)."""
        y = to_int_label_array(Y)
        frame = weaksup_lf_summary(self._stats, gold=y)
        return frame["Correct"].to_numpy(np.int64), frame["Incorrect"].to_numpy(np.int64)

    def lf_empirical_accuracies(self, Y: Any) -> np.ndarray:
        """Per LF, its correct votes over all its votes (0.0 for an LF that never votes), as in Snorkel."""
        correct, _ = self._gold_counts(Y)
        votes = self._stats.lf_votes
        with np.errstate(divide="ignore", invalid="ignore"):  # Snorkel's expression, so the same bits
            accuracies: np.ndarray = np.nan_to_num(0.5 * ((2 * correct - votes) / votes + 1))
        return accuracies

    def lf_empirical_probs(self, Y: Any, k: int) -> np.ndarray:
        """``(m, k + 1, k)`` tables: ``P[j, l + 1, y]`` = the share of rows of gold class ``y`` on which LF ``j``
        voted ``l`` (``l = -1``: abstained)."""
        y = to_int_label_array(Y)
        n, m = self.L.shape
        gold = (y >= 0) & (y < k)
        per_class = np.bincount(y[gold], minlength=k)
        P = np.zeros((m, k + 1, k))
        for j in range(m):
            cells = (self.L[gold, j].astype(np.int64) + 1) * k + y[gold]
            P[j] = np.bincount(cells, minlength=(k + 1) * k)[:(k + 1) * k].reshape(k + 1, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            return P / per_class

    def lf_summary(self, Y: Any = None, est_weights: Any = None) -> pd.DataFrame:
        """One row per LF: ``j`` (with ``lfs``), ``Polarity``, ``Coverage``, ``Overlaps``, ``Conflicts``, with ``Y``
        ``Correct``, ``Incorrect`` and ``Emp. Acc.``, with ``est_weights`` ``Learned Weight``.

        Indexed by the LF names (or ``0..m-1`` without ``lfs``); Snorkel's columns, dtypes and numbers.

        Examples
        --------
        >>> L = np.array([[0, 0, -1], [1, -1, 1], [-1, 1, 1]])
        >>> LFAnalysis(L).lf_summary(Y=np.array([0, 1, 1]))[["Coverage", "Correct", "Emp. Acc."]].values.tolist()
        [[0.6666666666666666, 2.0, 1.0], [0.6666666666666666, 2.0, 1.0], [0.6666666666666666, 2.0, 1.0]]
        """
        m = self.L.shape[1]
        names: list[Any] = self._lf_names if self._lf_names is not None else list(range(m))
        d: OrderedDict[str, Any] = OrderedDict()
        if self._lf_names is not None:
            d["j"] = list(range(m))
        d["Polarity"] = pd.Series(data=self.lf_polarities(), index=names)
        d["Coverage"] = pd.Series(data=self.lf_coverages(), index=names)
        d["Overlaps"] = pd.Series(data=self.lf_overlaps(), index=names)
        d["Conflicts"] = pd.Series(data=self.lf_conflicts(), index=names)
        if Y is not None:
            correct, incorrect = self._gold_counts(Y)
            d["Correct"] = pd.Series(data=correct, index=names)
            d["Incorrect"] = pd.Series(data=incorrect, index=names)
            d["Emp. Acc."] = pd.Series(data=self.lf_empirical_accuracies(Y), index=names)
        if est_weights is not None:
            d["Learned Weight"] = pd.Series(learned_weights(est_weights, m), index=names)
        return pd.DataFrame(data=d, index=names)


def _lf_name(lf: Any, j: int) -> str:
    name = getattr(lf, "name", None)
    if not isinstance(name, str):
        raise ParameterError(
            f"LFAnalysis(L, lfs): lfs[{j}] is a {type(lf).__name__} ({lf!r}), which has no name; pass the LF "
            "objects (Snorkel's or weaksup's), or a weaksup Registry")
    return name


def _columns_for(vote_names: Sequence[str], lf_names: list[str]) -> list[int]:
    """The vote columns in the order of ``lf_names``, matched by name; the votes' default names (``lf0``,
    ``lf1``... : a VoteMatrix built without names) match the LFs by position."""
    position = {name: j for j, name in enumerate(vote_names)}
    if len(position) == len(lf_names) and set(position) == set(lf_names):
        return [position[name] for name in lf_names]
    if list(vote_names) == [f"lf{j}" for j in range(len(vote_names))]:
        return list(range(len(lf_names)))
    missing = [n for n in lf_names if n not in position]
    extra = [n for n in vote_names if n not in set(lf_names)]
    raise ParameterError(
        f"LFAnalysis(L, lfs): the LFs' names do not match the VoteMatrix's LF names: not in the votes: {missing}; "
        f"only in the votes: {extra}. Pass the LFs that made these votes (apply_lfs(lfs, data) names its columns "
        "after them), or L.values to match them by position")
