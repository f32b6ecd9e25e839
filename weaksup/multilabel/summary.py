"""The multi-label LF summary: one row per (LF, label) with coverage, overlaps, conflicts and gold precision."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.multilabel.votes import MultiLabelVotes

COLUMNS = ["lf", "label", "yes", "no", "coverage", "overlaps", "conflicts", "precision", "no_precision",
           "gold_rows"]


def multilabel_lf_summary(votes: MultiLabelVotes, Y: Any = None) -> pd.DataFrame:
    """Per (LF, label) pair the LF votes on: how often and how it agrees with the other LFs and the gold.

    Columns: ``lf``, ``label``, ``yes`` / ``no`` (rows it says yes / no on that label), ``coverage`` (share of
    rows it votes yes or no on that label), ``overlaps`` (share of rows where it votes and another LF votes on
    the same label), ``conflicts`` (share of rows where another LF votes the opposite on that label),
    ``precision`` (share of its yes votes on rows gold-labelled with the label), ``no_precision`` (share of its
    no votes on rows without it) and ``gold_rows`` (its votes on gold rows); the gold columns are NaN without
    ``Y``. Pairs an LF never votes on are left out (an LF that never votes keeps one row, all zero).

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> votes = MultiLabelVotes([[[1, -1], [0, -1]], [[1, -1], [1, -1]], [[-1, 1], [-1, -1]]], ["x", "y"],
    ...                         MultiLabelSpace(["a", "b"]))
    >>> s = multilabel_lf_summary(votes, Y=np.array([[1, 0], [1, 0], [0, 1]], dtype=bool))
    >>> s[["lf", "label", "yes", "no", "coverage", "conflicts", "precision"]].round(2).values.tolist()
    [['x', 'a', 2, 0, 0.67, 0.33, 1.0], ['x', 'b', 1, 0, 0.33, 0.0, 1.0], ['y', 'a', 1, 1, 0.67, 0.33, 1.0]]
    """
    V = votes.values
    n = max(votes.n, 1)
    gold = None
    if Y is not None:
        gold = np.asarray(Y, dtype=bool)
        if gold.shape != (votes.n, votes.k):
            raise ParameterError(f"Y has shape {gold.shape}; expected ({votes.n}, {votes.k}) for these votes")
    yes, no = votes.counts()
    rows = []
    for j, lf_id in enumerate(votes.lf_ids):
        voted_any = (V[:, j] != -1).any(axis=0)
        labels = np.flatnonzero(voted_any) if voted_any.any() else np.array([0])
        for c in labels.tolist():
            v = V[:, j, c]
            says_yes, says_no = v == 1, v == 0
            voted = says_yes | says_no
            others_yes = yes[:, c] - says_yes
            others_no = no[:, c] - says_no
            row: dict[str, Any] = {
                "lf": lf_id, "label": votes.space.labels[c], "yes": int(says_yes.sum()), "no": int(says_no.sum()),
                "coverage": voted.sum() / n, "overlaps": (voted & (others_yes + others_no > 0)).sum() / n,
                "conflicts": ((says_yes & (others_no > 0)) | (says_no & (others_yes > 0))).sum() / n,
                "precision": np.nan, "no_precision": np.nan, "gold_rows": np.nan,
            }
            if gold is not None:
                g = gold[:, c]
                row["precision"] = (says_yes & g).sum() / says_yes.sum() if says_yes.any() else np.nan
                row["no_precision"] = (says_no & ~g).sum() / says_no.sum() if says_no.any() else np.nan
                row["gold_rows"] = int(voted.sum())
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
