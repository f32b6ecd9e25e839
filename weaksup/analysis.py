"""Vote statistics computed once per vote matrix, gold aligned once to its rows, and the LF summary.

The data passes once, downward: :meth:`VoteStats.of` computes the statistics of a vote matrix
(coverage, overlaps and conflicts per row and per LF, the LF-by-LF pair matrices and the distinct
vote patterns, the last two when first asked for), :meth:`~weaksup.alignment.AlignedGold.of` aligns a
gold set to the vote rows once, and both objects are handed to :func:`lf_summary`, :func:`weaksup.evaluate.evaluate`
and :func:`weaksup.report.build_report`, which take them in place of the raw votes and gold.

:func:`lf_summary` gives Snorkel's ``LFAnalysis.lf_summary`` table (same column names, same numbers)
plus ``kind``, ``version`` and ``faults``; :func:`vote_stats` the dataset-level coverage, overlap and
conflict; :func:`lf_pair_matrix` the LF-by-LF overlap or conflict rates behind the report's heatmap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.alignment import AlignedGold, gold_ids
from weaksup.errors import LabelModelError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction
from weaksup.pairs import BLOCK_CELLS, PAIR_BLOCK, PAIR_WORK, add_pair_counts, pair_work, row_blocks
from weaksup.vote_patterns import distinct_rows
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet

logger = logging.getLogger(__name__)

__all__ = ["PAIR_KINDS", "PATTERN_LFS", "WEIGHT_ATTRIBUTES", "VoteStats", "as_vote_matrix", "gold_ids", "learned_weights",
           "lf_pair_matrix", "lf_summary", "row_conflict", "vote_stats"]

#: Fitted attributes holding one learned weight per LF, tried in order after ``get_weights()``.
WEIGHT_ATTRIBUTES = ("weights_", "lf_weights_", "accuracy_", "accuracies_")
#: The two LF-by-LF matrices of :meth:`VoteStats.pair_matrix`.
PAIR_KINDS = ("overlap", "conflict")
#: Up to this many LFs, :class:`VoteStats` deduplicates rows into vote patterns (see ``shares_patterns``).
PATTERN_LFS = 40


def as_vote_matrix(votes: VoteMatrix | VoteStats | np.ndarray | Any) -> VoteMatrix:
    """``votes`` as a :class:`VoteMatrix`: a VoteStats gives its votes, an int array gets default row ids and LF names.

    (Not to be confused with :func:`weaksup.models.base.as_votes`, which gives a label model's checked array.)

    Examples
    --------
    >>> as_vote_matrix([[0, -1], [1, 1]]).lf_names
    ['lf0', 'lf1']
    """
    if isinstance(votes, VoteStats):
        return votes.votes
    return votes if isinstance(votes, VoteMatrix) else VoteMatrix(votes)  # (a DataFrame keeps its names and ids)


def row_conflict(L: np.ndarray | VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the number of non-abstain votes, and whether two of them disagree.

    The one home of the row-conflict rule: a row is in conflict when at least two LFs vote on it
    and their smallest and largest votes differ (``ABSTAIN`` never counts as a vote).

    Parameters
    ----------
    L : int array (n, m) or VoteMatrix
        The votes, ``ABSTAIN = -1``.

    Returns
    -------
    n_voting : int array (n,)
        The number of non-abstain votes in each row.
    conflict : bool array (n,)
        True where two of the row's votes disagree.

    Examples
    --------
    >>> n_voting, conflict = row_conflict(np.array([[0, 0, -1], [0, 1, -1], [-1, -1, -1], [2, -1, 2]]))
    >>> n_voting.tolist(), conflict.tolist()
    ([2, 2, 0, 2], [False, True, False, False])
    """
    L = L.values if isinstance(L, VoteMatrix) else np.asarray(L)
    voted = L != ABSTAIN
    big = np.iinfo(L.dtype).max if np.issubdtype(L.dtype, np.integer) else np.inf
    lo = np.where(voted, L, L.dtype.type(big)).min(axis=1, initial=big)
    hi = L.max(axis=1, initial=ABSTAIN)  # abstain (-1) is below every class
    n_voting = np.count_nonzero(voted, axis=1)
    return n_voting, (n_voting > 1) & (lo != hi)


@dataclass(frozen=True, eq=False)
class VoteStats:
    """The statistics of one vote matrix, computed once and handed down to every consumer.

    Build it with :meth:`of`. :func:`lf_summary`, :func:`vote_stats`, :func:`lf_pair_matrix`,
    :func:`weaksup.evaluate.evaluate` and :func:`weaksup.report.build_report` take it wherever they
    take votes, so a report computes each statistic once. The distinct vote patterns and the pair
    matrices are computed when first asked for, then kept.

    Attributes
    ----------
    votes : VoteMatrix
        The votes the statistics are of.
    n_voting : int array (n,)
        Non-abstain votes per row.
    conflict : bool array (n,)
        Rows where two votes disagree (see :func:`row_conflict`).
    lf_votes, lf_overlaps, lf_conflicts : int array (m,)
        Per LF, the number of rows it votes on; of those, the rows another LF also votes on; and the
        rows in conflict.
    polarity : list of list of int
        Per LF, the classes it votes for.

    Examples
    --------
    >>> stats = VoteStats.of(VoteMatrix([[0, 0], [1, -1], [-1, -1], [0, 1]], lf_names=["a", "b"]))
    >>> stats.n_voting.tolist(), stats.lf_votes.tolist(), stats.lf_conflicts.tolist(), stats.polarity
    ([2, 1, 0, 2], [3, 2], [1, 1], [[0, 1], [0, 1]])
    >>> stats.rates()["conflict"], len(stats.patterns[0])
    (0.25, 4)
    """

    votes: VoteMatrix = field(repr=False)
    n_voting: np.ndarray = field(repr=False)
    conflict: np.ndarray = field(repr=False)
    lf_votes: np.ndarray
    lf_overlaps: np.ndarray
    lf_conflicts: np.ndarray
    polarity: list[list[int]]

    @classmethod
    def of(cls, votes: VoteMatrix | VoteStats | np.ndarray | Any) -> VoteStats:
        """The statistics of ``votes`` (a VoteMatrix or an int array); a VoteStats is returned as is.

        Computed block by block over the rows (:func:`weaksup.pairs.row_blocks`), so the temporaries stay a few MB
        whatever the number of rows and LFs.
        """
        if isinstance(votes, VoteStats):
            return votes
        vm = as_vote_matrix(votes)
        L = vm.values
        n, m = L.shape
        n_voting = np.zeros(n, dtype=np.intp)
        conflict = np.zeros(n, dtype=bool)
        lf_votes, lf_overlaps, lf_conflicts = (np.zeros(m, dtype=np.int64) for _ in range(3))
        for start, block in row_blocks(L):
            block_voting, block_conflict = row_conflict(block)
            n_voting[start:start + len(block)] = block_voting
            conflict[start:start + len(block)] = block_conflict
            voted = block != ABSTAIN
            lf_votes += voted.sum(axis=0)
            lf_overlaps += voted[block_voting > 1].sum(axis=0)
            lf_conflicts += voted[block_conflict].sum(axis=0)
        polarity = [np.flatnonzero(np.bincount(L[:, j].astype(np.int64) + 1)[1:]).tolist() for j in range(m)]
        return cls(votes=vm, n_voting=n_voting, conflict=conflict, lf_votes=lf_votes, lf_overlaps=lf_overlaps,
                   lf_conflicts=lf_conflicts, polarity=polarity)

    def __len__(self) -> int:
        return len(self.votes)

    def rates(self) -> dict[str, float]:
        """Dataset-level rates: ``coverage``, ``overlap``, ``conflict``, ``abstain_rate``, ``mean_votes`` (see :func:`vote_stats`)."""
        n = max(len(self), 1)
        coverage = float((self.n_voting > 0).sum() / n)
        return {"coverage": coverage, "overlap": float((self.n_voting > 1).sum() / n),
                "conflict": float(self.conflict.sum() / n), "abstain_rate": 1.0 - coverage if len(self) else 0.0,
                "mean_votes": float(self.n_voting.sum() / n)}

    @property
    def shares_patterns(self) -> bool:
        """Whether rows are worth deduplicating into vote patterns: up to :data:`PATTERN_LFS` LFs.

        With more LFs, rows rarely share a pattern and sorting the rows' bytes costs several copies
        of the votes, so the report's predictions and pair counts go block by block over the rows.
        """
        return self.votes.shape[1] <= PATTERN_LFS or "patterns" in self.__dict__

    @cached_property
    def patterns(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct vote rows and, per row, the index of its pattern (:func:`weaksup.vote_patterns.distinct_rows`)."""
        return distinct_rows(self.votes.values)

    @cached_property
    def pair_rows(self) -> int:
        """The number of rows the pair matrices are counted on: every row, or a uniform sample of them
        when counting every pair on every row would take more than :data:`weaksup.pairs.PAIR_WORK` multiply-adds."""
        return self._pair_counts[1]

    @cached_property
    def _pair_counts(self) -> tuple[dict[str, np.ndarray], int]:
        """Rows where both LFs vote, and where both vote and disagree (exact integer counts), and the rows counted.

        On the distinct patterns weighted by their counts (few LFs) or on the rows, block by block
        (:func:`weaksup.pairs.row_blocks`): a dense block is a pair of BLAS Gram products of its 0/1 indicators, a
        sparse one (few votes per row, e.g. keyword LFs) a sparse product, whichever costs less.
        """
        L = self.votes.values
        n, m = L.shape
        sample = None
        work = pair_work(self.n_voting, m)
        size = max(int(n * PAIR_WORK / max(work, 1.0)), 1000)  # the rows the budget allows (at least 1000)
        if size < n:  # a seeded uniform sample of the rows
            sample = np.sort(np.random.default_rng(0).choice(n, size, replace=False))
            logger.info("LF pair matrices: %d LFs on %d rows would take %.1e multiply-adds; counted on a uniform "
                        "sample of %d rows", m, n, work, size)
        if self.shares_patterns:
            rows, inverse = self.patterns
            weights = np.bincount(inverse if sample is None else inverse[sample], minlength=len(rows))
            if sample is not None:
                rows, weights = rows[weights > 0], weights[weights > 0]
        else:
            rows = L if sample is None else L[sample]
            weights = np.ones(len(rows), dtype=np.int64)
        k = int(rows.max()) + 1 if rows.size else 0
        both = np.zeros((m, m), dtype=np.int64)
        agree = np.zeros((m, m), dtype=np.int64)
        for start, block in row_blocks(rows, max_rows=PAIR_BLOCK):
            add_pair_counts(block, weights[start:start + len(block)], k, both, agree)
        return {"overlap": both, "conflict": both - agree}, (n if sample is None else len(sample))

    def pair_matrix(self, what: str = "conflict") -> pd.DataFrame:
        """LF-by-LF rates over all rows: both LFs vote (``"overlap"``), or both vote and disagree (``"conflict"``).

        Counted on the distinct vote patterns weighted by how many rows have each (exact integer counts).

        Examples
        --------
        >>> stats = VoteStats.of(VoteMatrix([[0, 1], [0, 0], [0, 0], [-1, 1]], lf_names=["a", "b"]))
        >>> stats.pair_matrix("overlap").values.tolist(), float(stats.pair_matrix("conflict").loc["a", "b"])
        ([[0.75, 0.75], [0.75, 1.0]], 0.25)
        """
        if what not in PAIR_KINDS:
            raise ParameterError(f"what must be 'overlap' or 'conflict'; got {what!r}")
        names = self.votes.lf_names
        counts, rows = self._pair_counts
        return pd.DataFrame(counts[what] / max(rows, 1), index=names, columns=names)


def learned_weights(model: Any, m: int) -> np.ndarray:
    """One learned weight per LF from a fitted label model (``get_weights()`` or a ``*_`` attribute).

    An array of ``m`` numbers is taken as is. A model without learned weights (e.g. majority
    vote) gives NaN, with a logged note.

    Examples
    --------
    >>> learned_weights([0.5, 0.9], 2).tolist()
    [0.5, 0.9]
    """
    if isinstance(model, (np.ndarray, list, tuple)):
        weights = np.asarray(model, dtype=float)
    elif callable(getattr(model, "get_weights", None)):
        weights = np.asarray(model.get_weights(), dtype=float)
    else:
        found = next((getattr(model, a) for a in WEIGHT_ATTRIBUTES if getattr(model, a, None) is not None), None)
        if found is None:
            logger.info("%s has no learned LF weights; 'Learned Weight' is NaN", type(model).__name__)
            return np.full(m, np.nan)
        weights = np.asarray(found, dtype=float)
    if weights.shape != (m,):
        raise LabelModelError(f"{type(model).__name__}: expected {m} learned weights (one per LF); "
                              f"got shape {weights.shape}")
    return weights


def lf_summary(
    votes: VoteMatrix | VoteStats | np.ndarray,
    lfs: Sequence[LabelingFunction] | None = None,
    gold: GoldSet | AlignedGold | np.ndarray | Sequence[int] | None = None,
    model: Any = None,
) -> pd.DataFrame:
    """One row per LF with Snorkel's ``LFAnalysis.lf_summary`` columns, plus ``kind``/``version``/``faults``.

    Parameters
    ----------
    votes : VoteMatrix, VoteStats or int array (n, m)
        The votes (``ABSTAIN = -1``), or their precomputed :class:`VoteStats`.
    lfs : sequence of LabelingFunction or Registry, optional
        The LFs, for the ``kind`` column.
    gold : GoldSet, AlignedGold or array of int, optional
        Gold labels: a GoldSet (matched on row ids; pass ``gold.split("dev")`` to use one split), one
        class id per row (``ABSTAIN`` for rows without gold), or an :class:`AlignedGold` (use its
        :meth:`~AlignedGold.restrict` for one split). Adds ``Correct``, ``Incorrect`` and
        ``Emp. Acc.``, counted on the LF's votes on gold rows.
    model : fitted label model or array, optional
        Adds ``Learned Weight`` (see :func:`learned_weights`).

    Returns
    -------
    pandas.DataFrame
        Indexed by LF name: ``j``, ``Polarity`` (the classes an LF votes, as class names when the votes have a
        label space), ``Coverage``, ``Overlaps``, ``Conflicts`` (fractions
        of all rows) [, ``Correct``, ``Incorrect``, ``Emp. Acc.``] [, ``Learned Weight``], ``kind``,
        ``version``, ``faults``.

    Notes
    -----
    The numbers equal Snorkel's ``LFAnalysis(L, lfs).lf_summary(Y, est_weights)`` when every row has
    a gold label (a test checks it on the YouTube votes). Two deliberate differences: rows without
    gold are left out of ``Emp. Acc.`` (Snorkel would count those votes as wrong), and an LF with
    no vote on gold has ``Emp. Acc.`` NaN (Snorkel reports 0.0, which reads as "always wrong").

    Examples
    --------
    >>> summary = lf_summary(VoteMatrix([[0, 0], [1, -1], [-1, 1]], lf_names=["a", "b"]), gold=[0, 1, 0])
    >>> summary[["Coverage", "Overlaps", "Correct", "Incorrect", "Emp. Acc."]].round(3).values.tolist()
    [[0.667, 0.333, 2.0, 0.0, 1.0], [0.667, 0.333, 1.0, 1.0, 0.5]]
    """
    stats = VoteStats.of(votes)
    vm = stats.votes
    L = vm.values
    m = L.shape[1]
    denom = max(len(vm), 1)
    frame = pd.DataFrame(index=pd.Index(vm.lf_names, name=None))
    frame["j"] = np.arange(m)
    space = vm.label_space
    frame["Polarity"] = (stats.polarity if space is None  # class names when the label space is known
                         else [[space.name(c) for c in p] for p in stats.polarity])
    frame["Coverage"] = stats.lf_votes / denom
    frame["Overlaps"] = stats.lf_overlaps / denom
    frame["Conflicts"] = stats.lf_conflicts / denom
    if gold is not None:
        aligned = AlignedGold.of(gold, vm)
        y = aligned.y
        if aligned.hash:
            frame.attrs["gold_hash"] = aligned.hash  # provenance travels with the table
        on_gold = np.flatnonzero(y != ABSTAIN)
        correct, incorrect = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
        size = max(1, BLOCK_CELLS // max(m, 1))
        for start in range(0, len(on_gold), size):  # the gold rows, block by block
            rows = on_gold[start:start + size]
            block = L[rows]
            right = (block == y[rows, None]).sum(axis=0)
            correct += right
            incorrect += (block != ABSTAIN).sum(axis=0) - right
        frame["Correct"] = correct
        frame["Incorrect"] = incorrect
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["Emp. Acc."] = correct / (correct + incorrect)
    if model is not None:
        frame["Learned Weight"] = learned_weights(model, m)
    from weaksup.lf.snorkel import is_snorkel_lf

    by_name = {lf.name: lf for lf in _named_lfs(lfs)}
    frame["kind"] = [getattr(by_name[nm], "kind", "snorkel" if is_snorkel_lf(by_name[nm]) else "")
                     if nm in by_name else "" for nm in vm.lf_names]
    frame["version"] = vm.lf_versions
    frame["faults"] = [vm.faults.get(nm, 0) for nm in vm.lf_names]
    return frame


def _named_lfs(lfs: Any) -> list[Any]:
    """The LFs of ``lfs`` (a sequence of LFs, Snorkel's included, or a Registry), each with a ``name``."""
    items = [] if lfs is None else list(getattr(lfs, "lfs", lfs))
    bad = [x for x in items if not isinstance(getattr(x, "name", None), str)]
    if bad:
        raise ParameterError(f"lf_summary(lfs=...): expected labeling functions (or a Registry); got "
                             f"{type(bad[0]).__name__} {bad[0]!r}")
    return items


def vote_stats(votes: VoteMatrix | VoteStats | np.ndarray) -> dict[str, float]:
    """Dataset-level rates: ``coverage`` (rows with a vote), ``overlap`` (two or more votes),
    ``conflict`` (two votes that disagree), ``abstain_rate`` and ``mean_votes`` per row.

    Examples
    --------
    >>> vote_stats([[0, 0], [1, -1], [-1, -1], [0, 1]])
    {'coverage': 0.75, 'overlap': 0.5, 'conflict': 0.25, 'abstain_rate': 0.25, 'mean_votes': 1.25}
    """
    return VoteStats.of(votes).rates()


def lf_pair_matrix(votes: VoteMatrix | VoteStats | np.ndarray, what: str = "conflict") -> pd.DataFrame:
    """LF-by-LF rates over all rows: both LFs vote (``"overlap"``), or both vote and disagree (``"conflict"``).

    The diagonal holds each LF's coverage for ``"overlap"`` and 0 for ``"conflict"``
    (see :meth:`VoteStats.pair_matrix`).

    Examples
    --------
    >>> lf_pair_matrix(VoteMatrix([[0, 1], [0, 0], [-1, 1]], lf_names=["a", "b"])).values.tolist()
    [[0.0, 0.3333333333333333], [0.3333333333333333, 0.0]]
    """
    if what not in PAIR_KINDS:  # before the statistics are computed
        raise ParameterError(f"what must be 'overlap' or 'conflict'; got {what!r}")
    return VoteStats.of(votes).pair_matrix(what)
