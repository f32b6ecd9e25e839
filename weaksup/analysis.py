"""The LF summary and vote statistics: coverage, overlaps, conflicts and accuracy of each LF.

:func:`lf_summary` gives Snorkel's ``LFAnalysis.lf_summary`` table (same column names, same numbers)
plus ``kind``, ``version`` and ``faults``; :func:`vote_stats` the dataset-level coverage, overlap and
conflict; :func:`lf_pair_matrix` the LF-by-LF overlap or conflict rates behind the report's heatmap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet

logger = logging.getLogger(__name__)

#: Fitted attributes holding one learned weight per LF, tried in order after ``get_weights()``.
WEIGHT_ATTRIBUTES = ("weights_", "lf_weights_", "accuracy_", "accuracies_")


def as_votes(votes: VoteMatrix | np.ndarray | Any) -> VoteMatrix:
    """``votes`` as a :class:`VoteMatrix` (an int array gets default row ids and LF names)."""
    return votes if isinstance(votes, VoteMatrix) else VoteMatrix(np.asarray(votes))


def gold_ids(gold: GoldSet | np.ndarray | Sequence[int], votes: VoteMatrix) -> np.ndarray:
    """Gold class ids aligned with the rows of ``votes`` (``ABSTAIN`` where a row has no gold label).

    ``gold`` is a :class:`~weaksup.gold.GoldSet` (matched on ``votes.row_ids``) or an array of
    class ids, one per row.
    """
    if hasattr(gold, "y") and hasattr(gold, "label_space"):
        return gold.y(votes.row_ids)
    y = np.asarray(gold).reshape(-1).astype(np.int64)
    if len(y) != len(votes):
        raise ValueError(f"gold has {len(y)} labels but the vote matrix has {len(votes)} rows; "
                         f"pass one class id per row ({ABSTAIN} for rows without gold), or a GoldSet")
    return y


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


def learned_weights(model: Any, m: int) -> np.ndarray:
    """One learned weight per LF from a fitted label model (``get_weights()`` or a ``*_`` attribute).

    An array of ``m`` numbers is taken as is. A model without learned weights (e.g. majority
    vote) gives NaN, with a logged note.
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
        raise ValueError(f"{type(model).__name__}: expected {m} learned weights (one per LF); got shape {weights.shape}")
    return weights


def lf_summary(
    votes: VoteMatrix | np.ndarray,
    lfs: Sequence[LabelingFunction] | None = None,
    gold: GoldSet | np.ndarray | None = None,
    model: Any = None,
) -> pd.DataFrame:
    """One row per LF with Snorkel's ``LFAnalysis.lf_summary`` columns, plus ``kind``/``version``/``faults``.

    Parameters
    ----------
    votes : VoteMatrix or int array (n, m)
        The votes (``ABSTAIN = -1``).
    lfs : sequence of LabelingFunction, optional
        The LFs (or a Registry's ``.lfs``), for the ``kind`` column.
    gold : GoldSet or array of int, optional
        Gold labels: a GoldSet (matched on row ids; pass ``gold.split("dev")`` to use one split) or
        one class id per row, ``ABSTAIN`` for rows without gold. Adds ``Correct``, ``Incorrect``
        and ``Emp. Acc.``, counted on the LF's votes on gold rows.
    model : fitted label model or array, optional
        Adds ``Learned Weight`` (see :func:`learned_weights`).

    Returns
    -------
    pandas.DataFrame
        Indexed by LF name: ``j``, ``Polarity``, ``Coverage``, ``Overlaps``, ``Conflicts`` (fractions
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
    vm = as_votes(votes)
    L = vm.values
    n, m = L.shape
    voted = L != ABSTAIN
    n_voting, in_conflict = row_conflict(L)
    denom = max(n, 1)
    frame = pd.DataFrame(index=pd.Index(vm.lf_names, name=None))
    frame["j"] = np.arange(m)
    frame["Polarity"] = [(np.flatnonzero(np.bincount(L[:, j].astype(np.int64) + 1)[1:])).tolist() for j in range(m)]
    frame["Coverage"] = voted.sum(axis=0) / denom
    frame["Overlaps"] = (voted & (n_voting > 1)[:, None]).sum(axis=0) / denom
    frame["Conflicts"] = (voted & in_conflict[:, None]).sum(axis=0) / denom
    if gold is not None:
        y = gold_ids(gold, vm)
        if getattr(gold, "hash", None):
            frame.attrs["gold_hash"] = gold.hash  # provenance travels with the table
        on_gold = (y != ABSTAIN)[:, None] & voted
        correct = (on_gold & (L == y[:, None])).sum(axis=0)
        incorrect = on_gold.sum(axis=0) - correct
        frame["Correct"] = correct
        frame["Incorrect"] = incorrect
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["Emp. Acc."] = correct / (correct + incorrect)
    if model is not None:
        frame["Learned Weight"] = learned_weights(model, m)
    by_name: dict[str, Any] = {lf.name: lf for lf in lfs} if lfs is not None else {}
    frame["kind"] = [by_name[nm].kind if nm in by_name else "" for nm in vm.lf_names]
    frame["version"] = vm.lf_versions
    frame["faults"] = [vm.faults.get(nm, 0) for nm in vm.lf_names]
    return frame


def vote_stats(votes: VoteMatrix | np.ndarray) -> dict[str, float]:
    """Dataset-level rates: ``coverage`` (rows with a vote), ``overlap`` (two or more votes),
    ``conflict`` (two votes that disagree), ``abstain_rate`` and ``mean_votes`` per row.

    Examples
    --------
    >>> vote_stats([[0, 0], [1, -1], [-1, -1], [0, 1]])
    {'coverage': 0.75, 'overlap': 0.5, 'conflict': 0.25, 'abstain_rate': 0.25, 'mean_votes': 1.25}
    """
    L = as_votes(votes).values
    n_voting, conflict = row_conflict(L)
    n = max(len(L), 1)
    coverage = float((n_voting > 0).sum() / n)
    return {"coverage": coverage, "overlap": float((n_voting > 1).sum() / n), "conflict": float(conflict.sum() / n),
            "abstain_rate": 1.0 - coverage if len(L) else 0.0, "mean_votes": float(n_voting.sum() / n)}


def lf_pair_matrix(votes: VoteMatrix | np.ndarray, what: str = "conflict") -> pd.DataFrame:
    """LF-by-LF rates over all rows: both LFs vote (``"overlap"``), or both vote and disagree (``"conflict"``).

    The diagonal holds each LF's coverage for ``"overlap"`` and 0 for ``"conflict"``.

    Examples
    --------
    >>> lf_pair_matrix(VoteMatrix([[0, 1], [0, 0], [-1, 1]], lf_names=["a", "b"])).values.tolist()
    [[0.0, 0.3333333333333333], [0.3333333333333333, 0.0]]
    """
    if what not in ("overlap", "conflict"):
        raise ValueError(f"what must be 'overlap' or 'conflict'; got {what!r}")
    vm = as_votes(votes)
    L = vm.values
    m = L.shape[1]
    k = int(L.max()) + 1 if L.size else 0
    counts = np.zeros((m, m), dtype=np.int64)
    # Gram matrices of 0/1 indicators in float32 BLAS, block by block (exact: a block's counts stay below 2**24)
    for start in range(0, len(L), _PAIR_BLOCK):
        block = L[start:start + _PAIR_BLOCK]
        voted = (block != ABSTAIN).astype(np.float32)
        both = voted.T @ voted
        if what == "conflict":
            for c in range(k):
                same = (block == c).astype(np.float32)
                both -= same.T @ same
        counts += np.rint(both).astype(np.int64)
    return pd.DataFrame(counts / max(len(L), 1), index=vm.lf_names, columns=vm.lf_names)


_PAIR_BLOCK = 1 << 20
