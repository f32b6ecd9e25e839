"""The review queue of a multi-label run: its budget shared between reasons and vote patterns.

Taking the least sure rows first spends a small budget on one kind of row: the rows of one vote pattern (the same
LF votes) share one confidence, so a batch would be a dozen copies of one LF's yes vote, and none of the rows no LF
voted on. The queue is the classification queue's mixed order instead (:func:`weaksup.review.mixing.mixed_review_order`,
the rule lives there): each routed row gets one reason (:data:`~weaksup.review.mixing.QUEUE_REASONS`),
``uncovered`` when no LF voted, ``lf_conflict`` when some label got both a yes and a no vote, else ``low_margin``
(a label with evidence near its threshold: the run's ``confidence``, ``1 - (2 * confidence - 1)`` uncertain); the
budget is split between the reasons, the rows of a reason between their vote patterns (square-root weights of the
patterns' sizes), the uncovered rows between text clusters; within a pattern or cluster, the least sure first.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["multilabel_review_order", "order_review_queue", "vote_pattern_ids"]

logger = logging.getLogger(__name__)


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
    from weaksup.errors import WeakSupError
    from weaksup.vote_patterns import distinct_rows

    try:
        votes = run.votes()
    except (WeakSupError, OSError) as exc:
        logger.warning("the review queue is not shared between vote patterns: %s", exc)
        return None
    inverse = distinct_rows(np.asarray(votes.values))[1]
    where = pd.Index(np.asarray(votes.row_ids).astype(str)).get_indexer(pd.Index(row_ids).astype(str))
    if (where < 0).any():
        logger.warning("the run's votes lack %d queued row(s); the review queue is not shared between vote patterns",
                       int((where < 0).sum()))
        return None
    ids: np.ndarray = inverse[where]
    return ids


def order_review_queue(run: Any, queue: pd.DataFrame, *, budget: int | None, seed: int = 0) -> pd.DataFrame:
    """The rows of ``queue`` (``row_id``, ``text``, ``confidence``, ``n_votes``, ``conflict``: the run's routed
    rows, one per distinct text) in review order, the first ``budget`` of them, with their ``review_reason``."""
    if queue.empty:
        return queue.assign(review_reason=pd.Series(dtype=object))
    texts = queue["text"].fillna("").astype(str).tolist()
    order = multilabel_review_order(queue["confidence"].to_numpy(dtype=np.float64),
                                    queue["n_votes"].fillna(0).to_numpy(dtype=np.int64),
                                    conflict=queue["conflict"].fillna(False).to_numpy(dtype=bool),
                                    patterns=vote_pattern_ids(run, queue["row_id"]), texts=texts, budget=budget,
                                    seed=seed)
    out = queue.iloc[order.positions].assign(review_reason=order.reasons)
    logger.info("multi-label review queue: %d row(s) by reason %s", len(out), order.counts())
    return out
