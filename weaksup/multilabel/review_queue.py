"""The review queue of a multi-label run: its budget shared between reasons and vote patterns.

Taking the least sure rows first spends a small budget on one kind of row: the rows of one vote pattern (the same
LF votes) share one confidence, so a batch would be a dozen copies of one LF's yes vote, and none of the rows no LF
voted on. The queue is the classification queue's mixed order instead (:func:`weaksup.review.mixing.mixed_review_order`,
the rule lives there): each routed row gets one reason (:data:`~weaksup.review.mixing.QUEUE_REASONS`),
``uncovered`` when no LF voted, ``lf_conflict`` when some label got both a yes and a no vote, else ``low_margin``
(a label with evidence near its threshold: the run's ``confidence``, ``1 - (2 * confidence - 1)`` uncertain); the
budget is split between the reasons, the rows of a reason between their vote patterns (square-root weights of the
patterns' sizes), the uncovered rows between text clusters; within a pattern or cluster, the least sure first.

Each queued row carries its ``review_reason`` (the classification queue's words) and ``review_labels``, the labels
the reason is about (:func:`reason_labels`). A row routed because the exclusivity rule dropped a label that reached
its threshold (:func:`~weaksup.multilabel.outputs.overruled_rows`) is queued for :data:`EXCLUSIVE_CLASH` instead of
``low_margin`` or ``lf_conflict`` (it shares their part of the budget): its margins may be wide, the clash is why.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from weaksup.multilabel.outputs import labels_from_cell

__all__ = ["EXCLUSIVE_CLASH", "multilabel_review_order", "order_review_queue", "reason_labels", "vote_pattern_ids"]

logger = logging.getLogger(__name__)

#: The ``review_reason`` of a row whose label model probabilities reach the thresholds of two labels of an exclusive
#: group: the exclusivity rule kept one of them (the multi-label reason beside the classification queue's words).
EXCLUSIVE_CLASH = "exclusive_clash"


def multilabel_review_order(confidence: Any, n_votes: Any, *, conflict: Any = None, patterns: Any = None,
                            texts: Any = None, budget: int | None = None, seed: int = 0) -> Any:
    """The mixed review order (:class:`~weaksup.review.mixing.MixedOrder`) of multi-label rows.

    Parameters
    ----------
    confidence : float array (n,)
        Each row's confidence, in [0.5, 1] (its least sure per-label decision).
    n_votes : int array (n,)
        How many LFs voted on each row (0: ``uncovered``).
    conflict : bool array (n,), optional
        Some label of the row got both a yes and a no vote.
    patterns : int array (n,), optional
        Each row's vote pattern id: a reason's rows are shared between patterns.
    texts : sequence of str, optional
        The rows' text: clusters of the uncovered rows, and text diversity within a pattern.
    budget : int, optional
        How many rows to queue (default: all).
    seed : int, default 0
        Ties, clusters: the same inputs and seed give the same queue.

    Examples
    --------
    >>> confidence = [0.51] * 6 + [0.6, 0.7, 0.87, 0.87]
    >>> order = multilabel_review_order(confidence, [1] * 8 + [0, 0], patterns=[0] * 6 + [1, 2, 3, 3], budget=5)
    >>> order.positions.tolist()  # one row of each vote pattern and both rows without votes, not rows 0-4
    [4, 8, 6, 7, 9]
    >>> order.reasons.tolist()
    ['low_margin', 'uncovered', 'low_margin', 'low_margin', 'uncovered']
    """
    from weaksup.review.mixing import mixed_review_order

    sure = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    proba = np.column_stack([sure, 1.0 - sure])  # the margin uncertainty 1 - |2c - 1|: near a threshold is high
    return mixed_review_order(proba, np.asarray(n_votes, dtype=np.int64), texts=texts, budget=budget, seed=seed,
                              conflict=None if conflict is None else np.asarray(conflict, dtype=bool),
                              groups=patterns)


def vote_pattern_ids(run: Any, row_ids: Any) -> np.ndarray | None:
    """Each row's vote pattern id (rows with the same votes share one) from the run's saved votes, aligned with
    ``row_ids``; None (a warning says why) when the run kept no votes for those rows."""
    votes = queued_votes(run, row_ids)
    return None if votes is None else vote_pattern_ids_of(votes)


def queued_votes(run: Any, row_ids: Any) -> Any:
    """The run's saved votes (a :class:`~weaksup.votes.VoteMatrix`) of ``row_ids``, in their order; None (a warning
    says why) when the run kept no votes for those rows."""
    from weaksup.errors import WeakSupError
    from weaksup.votes import VoteMatrix

    try:
        votes = run.votes()
    except (WeakSupError, OSError) as exc:
        logger.warning("the review queue is not shared between vote patterns: %s", exc)
        return None
    where = pd.Index(np.asarray(votes.row_ids).astype(str)).get_indexer(pd.Index(row_ids).astype(str))
    if (where < 0).any():
        logger.warning("the run's votes lack %d queued row(s); the review queue is not shared between vote patterns",
                       int((where < 0).sum()))
        return None
    return VoteMatrix(np.asarray(votes.values)[where], lf_names=list(votes.lf_names),
                      row_ids=np.asarray(votes.row_ids)[where])


def reason_labels(reasons: Any, proba: Any, label_sets: Any, confidence: Any, thresholds: Any, space: Any, *,
                  conflicted: Any = None) -> tuple[np.ndarray, list[str]]:
    """Each queued row's ``review_reason`` (:data:`EXCLUSIVE_CLASH` where the exclusivity rule dropped a label that
    reached its threshold) and ``review_labels``: the labels the reason is about, ``", "``-joined.

    ``low_margin``: the labels the row's ``confidence`` comes from (its least sure decisions, near their
    thresholds); ``lf_conflict``: the labels with both a yes and a no vote (``conflicted``, ``(n, k)`` bool; none
    named without it); ``exclusive_clash``: the labels of an exclusive group at or above their thresholds;
    ``uncovered`` (no LF voted): none.

    Parameters
    ----------
    reasons : array of str (n,)
        The queue's reasons (:func:`multilabel_review_order`).
    proba : float array (n, k)
        The rows' ``prob_<label>``; ``label_sets``: their label sets (lists, None when abstained).
    confidence : float array (n,)
        The rows' ``confidence``; ``thresholds``: the model's per-label thresholds ``(k,)``.
    space : MultiLabelSpace
        The run's labels and exclusive groups.

    Examples
    --------
    >>> from weaksup.multilabel.space import MultiLabelSpace
    >>> space = MultiLabelSpace(["pos", "neg", "joy"], exclusive=[["pos", "neg"]])
    >>> proba = np.array([[0.9, 0.8, 0.1], [0.1, 0.1, 0.52], [0.5, 0.5, 0.5]])
    >>> reasons, about = reason_labels(["low_margin", "low_margin", "uncovered"], proba, [["pos"], ["joy"], None],
    ...                                [0.6, 0.52, 0.5], [0.5, 0.5, 0.5], space)
    >>> reasons.tolist(), about
    (['exclusive_clash', 'low_margin', 'uncovered'], ['pos, neg', 'joy', ''])
    """
    from weaksup.multilabel.outputs import decision_confidence, overruled_rows

    P = np.asarray(proba, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    out = np.asarray(reasons, dtype=object).copy()
    Y = space.encode([names or [] for names in label_sets])
    clash = overruled_rows(P, Y, t, space) & (out != "uncovered")
    out[clash] = EXCLUSIVE_CLASH
    grouped = np.zeros(space.k, dtype=bool)
    for group in space.exclusive_indices():
        grouped[group] = True
    least = np.isclose(decision_confidence(P, t), np.asarray(confidence, dtype=np.float64)[:, None], atol=1e-6)
    about = {EXCLUSIVE_CLASH: (P >= t) & grouped, "low_margin": least}
    if conflicted is not None:
        about["lf_conflict"] = np.asarray(conflicted, dtype=bool)
    empty = np.zeros(space.k, dtype=bool)
    names = [", ".join(space.labels[c] for c in np.flatnonzero(about[r][i] if r in about else empty))
             for i, r in enumerate(out)]
    return out.astype(str), names


def order_review_queue(run: Any, queue: pd.DataFrame, *, budget: int | None, seed: int = 0) -> pd.DataFrame:
    """The rows of ``queue`` (``row_id``, ``text``, ``labels``, ``confidence``, ``prob_<label>``, ``n_votes``,
    ``conflict``: the run's routed rows, one per distinct text) in review order, the first ``budget`` of them, with
    their ``review_reason`` and ``review_labels`` (:func:`reason_labels`)."""
    from weaksup.multilabel.space import MultiLabelSpace
    from weaksup.multilabel.task import as_votes

    if queue.empty:
        return queue.assign(review_reason=pd.Series(dtype=object), review_labels=pd.Series(dtype=object))
    texts = queue["text"].fillna("").astype(str).tolist()
    votes = queued_votes(run, queue["row_id"])
    patterns = None if votes is None else vote_pattern_ids_of(votes)
    order = multilabel_review_order(queue["confidence"].to_numpy(dtype=np.float64),
                                    queue["n_votes"].fillna(0).to_numpy(dtype=np.int64),
                                    conflict=queue["conflict"].fillna(False).to_numpy(dtype=bool),
                                    patterns=patterns, texts=texts, budget=budget, seed=seed)
    out = queue.iloc[order.positions]
    task = run.config.task
    space = MultiLabelSpace(task.labels, exclusive=task.exclusive, none_label=task.none_label or None)
    conflicted = None
    if votes is not None:
        yes, no = as_votes(np.asarray(votes.values)[order.positions], list(votes.lf_names), space).counts()
        conflicted = (yes > 0) & (no > 0)
    proba = out[[f"prob_{label}" for label in space.labels]].to_numpy(dtype=np.float64)
    reasons, about = reason_labels(order.reasons, proba, [labels_from_cell(v) for v in out["labels"]],
                                   out["confidence"].to_numpy(dtype=np.float64), run_thresholds(run, space), space,
                                   conflicted=conflicted)
    out = out.assign(review_reason=reasons, review_labels=about)
    logger.info("multi-label review queue: %d row(s) by reason %s", len(out),
                dict(pd.Series(reasons).value_counts()) if len(out) else {})
    return out


def vote_pattern_ids_of(votes: Any) -> np.ndarray:
    """Each row's vote pattern id in ``votes`` (a :class:`~weaksup.votes.VoteMatrix`)."""
    from weaksup.vote_patterns import distinct_rows

    ids: np.ndarray = distinct_rows(np.asarray(votes.values))[1]
    return ids


def run_thresholds(run: Any, space: Any) -> np.ndarray:
    """The per-label thresholds of the run's label model (its ``label_model.json``), in ``space``'s order."""
    import json

    from weaksup.errors import LabelModelError

    path = run.run_dir / "label_model.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8")).get("thresholds") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise LabelModelError(f"{path}: the run's label model thresholds cannot be read ({exc}); the review queue "
                              "names the labels near them: run `weaksup run CONFIG` again") from None
    missing = [label for label in space.labels if label not in saved]
    if missing:
        raise LabelModelError(f"{path}: no threshold for label(s) {missing}; run `weaksup run CONFIG` again")
    return np.array([float(saved[label]) for label in space.labels], dtype=np.float64)
