"""The LF summary: coverage, overlaps, conflicts and empirical accuracy of each LF."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction
from weaksup.votes import VoteMatrix


def lf_summary(
    votes: VoteMatrix | np.ndarray,
    lfs: Sequence[LabelingFunction] | None = None,
    gold: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per LF with Snorkel's ``LFAnalysis.lf_summary`` columns, plus ``kind``/``version``/``faults``.

    ``Coverage``, ``Overlaps`` and ``Conflicts`` are fractions of all rows. With ``gold``
    (class ids, ``ABSTAIN`` for rows without gold), ``Correct``/``Incorrect``/``Emp. Acc.``
    count the LF's votes on gold rows.

    Examples
    --------
    >>> summary = lf_summary(VoteMatrix([[0, 0], [1, -1], [-1, 1]], lf_names=["a", "b"]))
    >>> summary[["Coverage", "Overlaps", "Conflicts"]].values.tolist()
    [[0.6666666666666666, 0.3333333333333333, 0.0], [0.6666666666666666, 0.3333333333333333, 0.0]]
    """
    vm = votes if isinstance(votes, VoteMatrix) else VoteMatrix(votes)
    L = vm.values.astype(np.int64)
    n, m = L.shape
    voted = L != ABSTAIN
    n_voting = voted.sum(axis=1)
    # A row conflicts when it holds two or more distinct non-abstain votes.
    lo = np.where(voted, L, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    hi = np.where(voted, L, -1).max(axis=1, initial=-1)
    row_conflict = (n_voting > 1) & (lo != hi)
    denom = max(n, 1)
    frame = pd.DataFrame(index=pd.Index(vm.lf_names, name=None))
    frame["j"] = np.arange(m)
    frame["Polarity"] = [sorted(int(v) for v in np.unique(L[voted[:, j], j])) for j in range(m)]
    frame["Coverage"] = voted.sum(axis=0) / denom
    frame["Overlaps"] = (voted & (n_voting > 1)[:, None]).sum(axis=0) / denom
    frame["Conflicts"] = (voted & row_conflict[:, None]).sum(axis=0) / denom
    if gold is not None:
        y = np.asarray(gold)
        has_gold = (y != ABSTAIN)[:, None] & voted
        correct = (has_gold & (L == y[:, None])).sum(axis=0)
        incorrect = has_gold.sum(axis=0) - correct
        frame["Correct"] = correct
        frame["Incorrect"] = incorrect
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["Emp. Acc."] = correct / (correct + incorrect)
    by_name: dict[str, Any] = {lf.name: lf for lf in lfs} if lfs is not None else {}
    frame["kind"] = [by_name[nm].kind if nm in by_name else "" for nm in vm.lf_names]
    frame["version"] = vm.lf_versions
    frame["faults"] = [vm.faults.get(nm, 0) for nm in vm.lf_names]
    return frame
