"""The review queue of a spans run: its budget shared between uncertain spans and documents with no span.

The run routes a document to review when one of its spans is unsure (below ``review.threshold``) or two LFs tag a
token with different types (``review_status`` ``needs_review``): those documents are queued for
:data:`UNCERTAIN_SPAN`. A document with no span at all is never routed, yet it is where the entities every LF
missed live; the documents the run labelled ``auto`` with no span are queued for :data:`UNCOVERED`. The budget is
shared between the two reasons as the classification queue shares it between its reasons, and the uncovered
documents are spread over text clusters by its rule for rows no LF voted on
(:func:`weaksup.review.mixing.mixed_review_order`, the rule lives there): the least sure uncertain documents first,
with its text diversity step. Gold documents are never queued (dev ones are reviewed already, test ones measure the
spans), and a text is queued once (:func:`weaksup.review.repeats.distinct_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from weaksup.review.repeats import DistinctCandidates, distinct_rows

__all__ = ["SPAN_REASONS", "UNCERTAIN_SPAN", "UNCOVERED", "SpanQueue", "least_sure", "order_span_queue",
           "span_review_order"]

logger = logging.getLogger(__name__)

#: The ``review_reason`` of a document the run routed to review (a span below ``review.threshold``, or LFs tagging
#: a token with different types).
UNCERTAIN_SPAN = "uncertain_span"
#: The ``review_reason`` of a document with no span at all (the classification queue's word for rows no LF voted on).
UNCOVERED = "uncovered"
#: The reasons of the span review queue.
SPAN_REASONS = (UNCERTAIN_SPAN, UNCOVERED)


def least_sure(row: dict[str, Any]) -> float:
    """The confidence of a document's least sure span (1 without spans).

    Examples
    --------
    >>> least_sure({"spans": [{"confidence": 0.9}, {"confidence": 0.4}]}), least_sure({"spans": []})
    (0.4, 1.0)
    """
    return min((float(s["confidence"]) for s in row.get("spans") or []), default=1.0)


def span_review_order(confidence: Any, uncovered: Any, *, texts: Sequence[Any] | None = None,
                      budget: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The review order of span documents: positions (most worth reviewing first) and each one's ``review_reason``.

    The classification queue's mixed order (:func:`~weaksup.review.mixing.mixed_review_order`) with two reasons: the
    ``uncovered`` documents (spread over text clusters) and the others, :data:`UNCERTAIN_SPAN`, the least sure span
    first (uncertainty ``1 - confidence``).

    Parameters
    ----------
    confidence : float array (n,)
        Each document's least sure span confidence (:func:`least_sure`).
    uncovered : bool array (n,)
        The document has no span (queued for :data:`UNCOVERED`).
    texts : sequence of str, optional
        The documents' text: clusters of the uncovered ones, and text diversity within a reason.
    budget : int, optional
        How many documents to queue (default: all).
    seed : int, default 0
        Ties and clusters: the same inputs and seed give the same queue.

    Examples
    --------
    >>> positions, reasons = span_review_order([0.7, 0.3, 1.0, 1.0, 0.5], [False, False, True, True, False],
    ...                                        budget=4)
    >>> positions.tolist(), reasons.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ([1, 2, 4, 3], ['uncertain_span', 'uncovered', 'uncertain_span', 'uncovered'])
    """
    from weaksup.review.mixing import mixed_review_order

    sure = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    proba = np.column_stack([(1.0 + sure) / 2, (1.0 - sure) / 2])  # margin uncertainty 1 - (p1 - p2) = 1 - sure
    none = np.asarray(uncovered, dtype=bool)
    order = mixed_review_order(proba, (~none).astype(np.int64), texts=texts, budget=budget, seed=seed)
    reasons = np.where(order.reasons == "uncovered", UNCOVERED, UNCERTAIN_SPAN).astype(str)
    return order.positions, reasons


@dataclass(frozen=True)
class SpanQueue:
    """The result of :func:`order_span_queue`: the queued documents in review order, their ``review_reason``, the
    candidates each reason had and the candidates left out as repeated texts."""

    rows: list[dict[str, Any]]
    reasons: list[str]
    available: dict[str, int]
    distinct: DistinctCandidates

    def counts(self) -> dict[str, int]:
        """How many queued documents each reason took.

        Examples
        --------
        >>> SpanQueue([{}, {}], ["uncovered", "uncovered"], {}, DistinctCandidates(np.zeros(0, bool), 0, 0)).counts()
        {'uncertain_span': 0, 'uncovered': 2}
        """
        return {r: self.reasons.count(r) for r in SPAN_REASONS}


def order_span_queue(rows: Sequence[dict[str, Any]], held: Collection[str], *, budget: int | None,
                     seed: int = 0) -> SpanQueue:
    """The documents of a spans run's output (``row_id``, ``text``, ``spans``, ``review_status``) to review, in order,
    at most ``budget``: the ``needs_review`` ones and those labelled ``auto`` with no span, none of ``held`` (the
    gold set's row ids) and one per distinct text (none repeating a gold document's text).

    Examples
    --------
    >>> rows = [{"row_id": "a", "text": "Aspirin hurts", "review_status": "needs_review",
    ...          "spans": [{"confidence": 0.4}]},
    ...         {"row_id": "b", "text": "call 0906", "review_status": "auto", "spans": []},
    ...         {"row_id": "g", "text": "gold text", "review_status": "auto", "spans": []},
    ...         {"row_id": "c", "text": "sure text", "review_status": "auto", "spans": [{"confidence": 0.99}]}]
    >>> queue = order_span_queue(rows, {"g"}, budget=None)
    >>> [r["row_id"] for r in queue.rows], queue.reasons
    (['a', 'b'], ['uncertain_span', 'uncovered'])
    """
    candidates = [r for r in rows if str(r["row_id"]) not in held and (
        r.get("review_status") == "needs_review" or (r.get("review_status") == "auto" and not r.get("spans")))]
    gold = pd.DataFrame({"text": [r.get("text") for r in rows if str(r["row_id"]) in held]}, dtype=object)
    distinct = distinct_rows(pd.DataFrame({"text": [r.get("text") for r in candidates]}, dtype=object),
                             [-least_sure(r) for r in candidates], gold=gold)
    kept = [r for r, keep in zip(candidates, distinct.keep) if keep]
    none = np.array([r.get("review_status") != "needs_review" for r in kept], dtype=bool)
    positions, reasons = span_review_order([least_sure(r) for r in kept], none,
                                           texts=[str(r.get("text") or "") for r in kept], budget=budget, seed=seed)
    available = {UNCERTAIN_SPAN: int((~none).sum()), UNCOVERED: int(none.sum())}
    queue = SpanQueue([kept[int(p)] for p in positions], [str(r) for r in reasons], available, distinct)
    logger.info("span review queue: %d document(s) of %s candidate(s); by reason %s", len(queue.rows), available,
                queue.counts())
    return queue
