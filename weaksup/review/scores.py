"""Scores of a run's labels that routing and the review order read: class probabilities, uncertainty, conflict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import ReviewError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.validation import as_label_space

#: Uncertainty measures: ``entropy`` (normalised to [0, 1]), ``margin`` (1 - (p1 - p2)),
#: ``least_confidence`` (1 - max p, scaled to [0, 1]).
METHODS = ("entropy", "margin", "least_confidence")


def probabilities(labels: pd.DataFrame, label_space: LabelSpace | Sequence[str]) -> np.ndarray:
    """The ``(n, k)`` class probabilities of a run's labels, from its ``prob_<class>`` columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"prob_ham": [0.9, 0.5], "prob_spam": [0.1, 0.5]})
    >>> probabilities(frame, ["ham", "spam"]).tolist()
    [[0.9, 0.1], [0.5, 0.5]]
    """
    space = as_label_space(label_space)
    cols = [f"prob_{c}" for c in space]
    missing = [c for c in cols if c not in labels.columns]
    if missing:
        raise ReviewError(f"the labels lack the probability column(s) {missing} of the label space {list(space)}; "
                          f"they have {list(map(str, labels.columns))} (labels come from `weaksup run`)")
    proba = labels[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(proba).any():
        rows = labels["row_id"].to_numpy()[np.isnan(proba).any(axis=1)] if "row_id" in labels else []
        raise ReviewError(f"missing class probabilities in {int(np.isnan(proba).any(axis=1).sum())} row(s), "
                          f"e.g. row_id {list(rows[:3])}; re-run `weaksup run` to rewrite the labels")
    return np.asarray(proba, dtype=np.float64)


def uncertainty_score(proba: Any, method: str = "entropy") -> np.ndarray:
    """How unsure each row's probabilistic label is, in [0, 1] (1 = a uniform guess).

    Parameters
    ----------
    proba : array of shape (n, k)
        Class probabilities (rows sum to 1).
    method : {"entropy", "margin", "least_confidence"}, default "entropy"
        ``entropy``: Shannon entropy divided by ``log k``; ``margin``: one minus the gap between the
        two largest probabilities; ``least_confidence``: ``(1 - max p) * k / (k - 1)``.

    Examples
    --------
    >>> uncertainty_score([[1.0, 0.0], [0.5, 0.5], [0.8, 0.2]], "margin").round(2).tolist()
    [0.0, 1.0, 0.4]
    >>> uncertainty_score([[1.0, 0.0], [0.5, 0.5]]).round(2).tolist()
    [0.0, 1.0]
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ReviewError(f"proba must have shape (n, k); got {p.shape}")
    k = p.shape[1]
    if k == 1:
        return np.zeros(len(p))
    if method == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, -p * np.log(p), 0.0)
        score = terms.sum(axis=1) / np.log(k)
    elif method == "margin":
        top2 = -np.sort(-p, axis=1)[:, :2]
        score = 1.0 - (top2[:, 0] - top2[:, 1])
    elif method == "least_confidence":
        score = (1.0 - p.max(axis=1)) * k / (k - 1)
    else:
        raise ReviewError(f"unknown uncertainty method {method!r}; choose one of {list(METHODS)}")
    return np.asarray(np.clip(score, 0.0, 1.0), dtype=np.float64)


def conflict_score(labels: pd.DataFrame, label_space: LabelSpace | Sequence[str] | None = None,
                   votes: Any = None) -> np.ndarray:
    """The share of each row's votes that disagree with its label (0 when no LF voted).

    With ``votes`` (a :class:`~weaksup.VoteMatrix` or an ``(n, m)`` array aligned with the rows) it
    is counted from the votes; otherwise from the run's ``sources`` (the LFs that voted for the
    label) and ``n_votes``. A row whose label is empty (the model abstained) but that has votes
    scores 1.

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["spam", "ham", ""], "n_votes": [4, 2, 0],
    ...                       "sources": ["a,b,c", "x,y", ""]})
    >>> conflict_score(frame).tolist()
    [0.25, 0.0, 0.0]
    """
    n_votes = labels["n_votes"].fillna(0).to_numpy(dtype=np.float64)
    label = labels["label"].fillna("").astype(str).to_numpy()
    if votes is not None:
        space = as_label_space(label_space) if label_space is not None else None
        if space is None:
            raise ReviewError("conflict_score with votes= needs the label_space")
        arr = np.asarray(votes.values if hasattr(votes, "values") else votes)
        if arr.shape[0] != len(labels):
            raise ReviewError(f"votes have {arr.shape[0]} rows but the labels have {len(labels)}; pass the run's "
                              "own vote matrix, in row order")
        ids = np.array([space.id(x) if x else ABSTAIN for x in label])
        n_votes = (arr != ABSTAIN).sum(axis=1).astype(np.float64)
        agree = ((arr == ids[:, None]) & (ids[:, None] != ABSTAIN)).sum(axis=1)
    else:
        if "sources" not in labels.columns:
            raise ReviewError("the labels have no 'sources' column; pass votes= (the run's vote matrix) to measure "
                              "conflicts")
        sources = labels["sources"].fillna("").astype(str)
        agree = sources.map(lambda s: len([x for x in s.split(",") if x.strip()])).to_numpy()
        agree = np.where(label == "", 0, agree)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(n_votes > 0, 1.0 - agree / np.maximum(n_votes, 1), 0.0)
    return np.asarray(np.clip(score, 0.0, 1.0), dtype=np.float64)
