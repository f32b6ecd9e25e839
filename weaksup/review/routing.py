"""Routing: which rows of a run need a human, and why, as cleanlab-style row-level columns.

A row needs review when its confidence is under the threshold of its label (high-impact classes
can carry their own, stricter threshold), when no labeling function voted on it, or when its LFs
disagree with the label more than a configured share of the votes. Rows that already have a
human label (``review_status == "reviewed"`` or a gold label) are never routed again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.errors import ReviewError
from weaksup.review.scores import METHODS, conflict_score, probabilities, uncertainty_score
from weaksup.validation import as_label_space, check_fraction, is_gold_set

__all__ = ["LABEL_COLUMNS", "METHODS", "REASONS", "REVIEW_STATUSES", "ROUTE_CELLS", "Routed", "RoutingPolicy",
           "conflict_score", "probabilities", "review_issues", "route", "uncertainty_score"]

#: The columns of a run's labels that routing reads (besides ``prob_<class>``).
LABEL_COLUMNS = ("row_id", "label", "confidence", "n_votes")
#: A row's ``review_status`` in a run's labels.
REVIEW_STATUSES = ("auto", "needs_review", "reviewed")
#: Why a row needs review (the columns of :attr:`Routed.reasons`, the words of ``review_reason``).
REASONS = ("low_confidence", "no_votes", "conflict")


@dataclass(frozen=True)
class RoutingPolicy:
    """When a row needs a human: the one home of the routing thresholds and their defaults.

    Parameters
    ----------
    threshold : float, default 0.7
        Rows whose confidence is below it need review.
    class_thresholds : mapping of class name to float, optional
        Stricter (or looser) thresholds for rows labelled with these classes, e.g. ``{"fraud": 0.95}``.
    conflict_threshold : float, default 1.0
        A row needs review when more than this share of its votes disagree with its label
        (``0.0``: any disagreeing vote; ``1.0``: never for conflict alone).

    Examples
    --------
    >>> RoutingPolicy()
    RoutingPolicy(threshold=0.7, class_thresholds={}, conflict_threshold=1.0)
    """

    threshold: float = 0.7
    class_thresholds: Mapping[str, float] = field(default_factory=dict)
    conflict_threshold: float = 1.0

    def __post_init__(self) -> None:
        check_fraction(self.threshold, name="threshold", error=ReviewError)
        check_fraction(self.conflict_threshold, name="conflict_threshold", error=ReviewError)
        for name, value in self.class_thresholds.items():
            check_fraction(value, name=f"class_thresholds[{name!r}]", error=ReviewError)
        object.__setattr__(self, "class_thresholds", dict(self.class_thresholds))

    def check_classes(self, label_space: LabelSpace) -> None:
        """Every class with its own threshold is in ``label_space`` (else a :class:`ReviewError`)."""
        for name in self.class_thresholds:
            if name not in label_space:
                raise ReviewError(f"class_thresholds names {name!r}, which is not in the label space "
                                  f"{list(label_space)}")

    def limits(self, label: np.ndarray, label_space: LabelSpace) -> np.ndarray:
        """The confidence threshold of each row, from its label id (``-1``: the general threshold).

        Examples
        --------
        >>> RoutingPolicy(0.7, {"spam": 0.9}).limits(np.array([0, 1, -1]), LabelSpace(["ham", "spam"])).tolist()
        [0.7, 0.9, 0.7]
        """
        limits = np.full(len(label), float(self.threshold))
        for name, value in self.class_thresholds.items():
            limits[label == label_space.id(name)] = value
        return limits

    def reasons(self, label: np.ndarray, confidence: np.ndarray, n_votes: np.ndarray, against: np.ndarray,
                label_space: LabelSpace) -> np.ndarray:
        """The routing rule: an ``(n, 3)`` boolean array of :data:`REASONS` per row.

        ``low_confidence``: the confidence is under the row's threshold, or LFs voted but the label
        model abstained; ``no_votes``: no LF voted; ``conflict``: the share of votes against the
        label (``against``) exceeds ``conflict_threshold``.
        """
        voted = n_votes > 0
        low = (confidence < self.limits(label, label_space)) | ((label == ABSTAIN) & voted)
        return np.stack([low, ~voted, against > self.conflict_threshold], axis=1)


@dataclass(frozen=True)
class Routed:
    """The label columns of a block of rows (see :func:`route`), one array entry per row."""

    label: np.ndarray
    confidence: np.ndarray
    proba: np.ndarray
    sources: np.ndarray
    n_votes: np.ndarray
    conflict: np.ndarray
    against: np.ndarray
    reasons: np.ndarray
    review_status: np.ndarray


ROUTE_CELLS = 8_000_000  #: vote cells route() works on at a time (rows x LFs temporaries of ~8 MB, whatever the LFs)


def route(L: np.ndarray, proba: np.ndarray, policy: RoutingPolicy | None = None, *, label_space: LabelSpace,
          lf_names: Sequence[str], predictions: np.ndarray | None = None, tie_break: str = "abstain", seed: int = 0,
          reviewed: Mapping[int, int] | None = None) -> Routed:
    """Label and route a block of rows from their votes and class probabilities.

    ``label`` is the label model's prediction (``predictions``; by default the most probable class,
    ``-1`` when the top classes tie and ``tie_break="abstain"``). A row ``needs_review`` for the
    reasons of :meth:`RoutingPolicy.reasons`. ``reviewed`` maps a row's position in the block to a
    human label, which wins (confidence 1, status ``reviewed``). :func:`review_issues` applies the
    same rule to a run's labels table.

    Parameters
    ----------
    L : array of shape (n, m)
        The votes (``-1`` = abstain).
    proba : array of shape (n, k)
        The label model's class probabilities.
    policy : RoutingPolicy, optional
        The thresholds (default: ``RoutingPolicy()``).
    label_space : LabelSpace
    lf_names : sequence of str
        The LF of each column of ``L`` (for ``sources``: the LFs that voted for the label).

    Examples
    --------
    >>> L = np.array([[1, 1], [0, 1], [-1, -1]])
    >>> proba = np.array([[0.1, 0.9], [0.5, 0.5], [0.4, 0.6]])
    >>> out = route(L, proba, label_space=LabelSpace(["ham", "spam"]), lf_names=["a", "b"])
    >>> out.label.tolist(), out.review_status.tolist(), out.sources.tolist(), out.conflict.tolist()
    ([1, -1, 1], ['auto', 'needs_review', 'needs_review'], ['a,b', '', ''], [False, True, False])
    """
    from weaksup.models.base import break_ties

    policy = policy or RoutingPolicy()
    L = np.asarray(L)
    proba = np.array(proba, dtype=np.float64)
    k = len(label_space)
    label = np.array(predictions, dtype=np.int64) if predictions is not None else break_ties(proba, tie_break, seed)
    rows = np.zeros(0, dtype=np.int64)
    if reviewed:
        rows = np.fromiter(reviewed.keys(), dtype=np.int64, count=len(reviewed))
        label[rows] = np.fromiter(reviewed.values(), dtype=np.int64, count=len(reviewed))
        proba[rows] = np.eye(k)[label[rows]]
    confidence = proba.max(axis=1)
    n_votes, n_agree, conflict, sources = (np.zeros(len(L), dtype=np.int64), np.zeros(len(L), dtype=np.int64),
                                           np.zeros(len(L), dtype=bool), np.empty(len(L), dtype=object))
    step = max(1, ROUTE_CELLS // max(L.shape[1], 1))  # rows x LFs temporaries bounded, whatever the LFs
    for part in (slice(start, start + step) for start in range(0, len(L), step)):
        block, lab = L[part], label[part]
        voted = block != ABSTAIN
        n_votes[part] = voted.sum(axis=1)
        low = np.where(voted, block, k).min(axis=1)
        high = block.max(axis=1) if block.shape[1] else np.full(len(block), ABSTAIN)
        conflict[part] = (n_votes[part] > 0) & (low < high)
        agree = voted & (block == lab[:, None]) & (lab[:, None] >= 0)
        n_agree[part], sources[part] = agree.sum(axis=1), _sources(agree, list(lf_names))
    against = np.where(n_votes > 0, 1.0 - n_agree / np.maximum(n_votes, 1), 0.0)
    reasons = policy.reasons(label, confidence, n_votes, against, label_space)
    status = np.where(reasons.any(axis=1), 1, 0)
    status[rows] = 2
    return Routed(label=label, confidence=confidence, proba=proba, sources=sources,
                  n_votes=n_votes.astype(np.int32), conflict=conflict, against=against, reasons=reasons,
                  review_status=np.asarray(REVIEW_STATUSES, dtype=object)[status])


def _sources(agree: np.ndarray, names: list[str]) -> np.ndarray:
    """Comma-joined names of the LFs set in each row of a boolean matrix (computed once per distinct row)."""
    if agree.shape[1] == 0:
        return np.full(len(agree), "", dtype=object)
    packed = np.ascontiguousarray(np.packbits(agree, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.array([",".join(n for n, hit in zip(names, agree[i]) if hit) for i in first], dtype=object)
    return texts[inverse.ravel()]


def review_issues(labels: pd.DataFrame, label_space: LabelSpace | Sequence[str], *, policy: RoutingPolicy | None = None,
                  threshold: float | None = None, class_thresholds: Mapping[str, float] | None = None,
                  conflict_threshold: float | None = None, method: str = "entropy", votes: Any = None,
                  gold: Any = None) -> pd.DataFrame:
    """Row-level review flags and scores of a run's labels, one row per input row, in order.

    The rule is that of :func:`route` (:meth:`RoutingPolicy.reasons`), applied to a labels table.

    Parameters
    ----------
    labels : DataFrame
        A run's labels: ``row_id``, ``label`` (empty when abstaining), ``confidence``, ``n_votes``,
        ``prob_<class>`` per class, and ``sources`` (or pass ``votes``); ``conflict`` and
        ``review_status`` are used when present.
    label_space : LabelSpace or sequence of str
        (A row the end model labeled, ``label_source == "end_model"``, is not routed for its lack of
        votes alone, as in the run.)
    policy : RoutingPolicy, optional
        The thresholds (default: :class:`RoutingPolicy`'s, those of a run config's ``[review]``).
    threshold, class_thresholds, conflict_threshold : optional
        Override these fields of ``policy`` (see :class:`RoutingPolicy`). ``is_conflict`` is the
        fact that LFs voted for different classes, whatever ``conflict_threshold``.
    method : {"entropy", "margin", "least_confidence"}
        The ``uncertainty_score``.
    votes : VoteMatrix or array, optional
        The run's votes, to count conflicts exactly (else ``sources``/``n_votes`` are used).
    gold : GoldSet or Series of class names indexed by row id, optional
        Adds ``gold_label``, ``is_label_issue`` (gold disagrees with a label whose confidence is at
        or above its threshold) and ``label_issue_score`` (1 - the probability of the gold class).

    Returns
    -------
    DataFrame
        ``row_id``, ``label``, ``confidence``, ``is_uncertain``, ``uncertainty_score``, ``is_conflict``,
        ``conflict_score`` (the share of votes against the label), ``is_unlabeled`` (no LF voted),
        ``is_reviewed``, ``needs_review`` and ``review_reason`` (e.g. ``"low_confidence,conflict"``),
        plus the gold columns.

    Examples
    --------
    >>> labels = pd.DataFrame({"row_id": ["a", "b", "c", "d"], "label": ["spam", "ham", "", "spam"],
    ...     "confidence": [0.97, 0.6, 0.5, 0.9], "prob_ham": [0.03, 0.6, 0.5, 0.1],
    ...     "prob_spam": [0.97, 0.4, 0.5, 0.9], "n_votes": [3, 1, 0, 2], "sources": ["x,y,z", "w", "", "x"]})
    >>> issues = review_issues(labels, ["ham", "spam"], threshold=0.8, class_thresholds={"spam": 0.95},
    ...                        conflict_threshold=0.0)
    >>> issues[["row_id", "needs_review", "review_reason"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'row_id': 'a', 'needs_review': False, 'review_reason': ''},
     {'row_id': 'b', 'needs_review': True, 'review_reason': 'low_confidence'},
     {'row_id': 'c', 'needs_review': True, 'review_reason': 'low_confidence,no_votes'},
     {'row_id': 'd', 'needs_review': True, 'review_reason': 'low_confidence,conflict'}]
    """
    space = as_label_space(label_space)
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise ReviewError(f"the labels lack the column(s) {missing}; they have {list(map(str, labels.columns))} "
                          "(labels come from `weaksup run`: row_id, label, confidence, prob_<class>, n_votes, sources)")
    overrides: dict[str, Any] = {"threshold": threshold, "class_thresholds": class_thresholds,
                 "conflict_threshold": conflict_threshold}
    policy = dataclasses.replace(policy or RoutingPolicy(), **{k: v for k, v in overrides.items() if v is not None})
    policy.check_classes(space)
    proba = probabilities(labels, space)
    label = labels["label"].fillna("").astype(str).to_numpy()
    unknown = sorted(set(label) - set(space) - {""})
    if unknown:
        raise ReviewError(f"the labels hold class(es) {unknown} outside the label space {list(space)}")
    label_ids = pd.Series(label).map({name: k for k, name in enumerate(space)}).fillna(ABSTAIN).to_numpy(np.int64)
    confidence = labels["confidence"].to_numpy(dtype=np.float64, na_value=0.0)
    n_votes = labels["n_votes"].fillna(0).to_numpy(dtype=np.int64)
    conflicts = conflict_score(labels, space, votes)
    reasons = policy.reasons(label_ids, confidence, n_votes, conflicts, space)
    if "label_source" in labels.columns:  # as the run routes them: the end model labeled these rows from their text
        reasons[(labels["label_source"].astype(str).to_numpy() == "end_model") & (n_votes == 0), 1] = False
    out = pd.DataFrame({"row_id": labels["row_id"].astype(str).to_numpy(), "label": label, "confidence": confidence})
    out["is_unlabeled"] = reasons[:, 1]
    out["is_uncertain"] = reasons[:, 0]
    out["uncertainty_score"] = uncertainty_score(proba, method)
    out["conflict_score"] = conflicts
    out["is_conflict"] = _disagree(labels, conflicts)
    status = labels["review_status"].fillna("").astype(str).to_numpy() if "review_status" in labels else ""
    out["is_reviewed"] = np.asarray(status == "reviewed", dtype=bool) & np.ones(len(out), dtype=bool)
    if gold is not None:
        gold_labels = _gold_series(gold)
        out["gold_label"] = out["row_id"].map(gold_labels.to_dict()).fillna("").astype(str)
        has_gold = (out["gold_label"] != "").to_numpy()
        gold_ids = np.array([space.id(g) if g in space else 0 for g in out["gold_label"]])
        p_gold = proba[np.arange(len(out)), gold_ids]
        limit = policy.limits(label_ids, space)
        out["is_label_issue"] = has_gold & (label != "") & (label != out["gold_label"].to_numpy()) & (confidence >= limit)
        out["label_issue_score"] = np.where(has_gold, 1.0 - p_gold, 0.0)
        out["is_reviewed"] = out["is_reviewed"].to_numpy() | has_gold
    names = np.array(REASONS)
    out["needs_review"] = reasons.any(axis=1) & ~out["is_reviewed"].to_numpy()
    out["review_reason"] = [",".join(names[r]) if need else "" for r, need in zip(reasons, out["needs_review"])]
    out.index = labels.index
    return out


def _disagree(labels: pd.DataFrame, conflicts: np.ndarray) -> np.ndarray:
    """Whether LFs voted for different classes: the run's ``conflict`` column, else any vote against the label."""
    if "conflict" in labels.columns:
        return np.asarray(labels["conflict"].fillna(False).astype(bool).to_numpy() | (conflicts > 0), dtype=bool)
    return conflicts > 0


def _gold_series(gold: Any) -> pd.Series:
    """Class names indexed by row id, from a GoldSet (its majority labels) or a Series."""
    if is_gold_set(gold):
        return gold.labels()
    if isinstance(gold, pd.Series):
        return gold.astype(str).rename(index=str)
    raise ReviewError(f"gold must be a GoldSet or a Series of class names indexed by row id; got {type(gold).__name__}")
