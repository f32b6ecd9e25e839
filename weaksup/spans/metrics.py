"""Span metrics: exact-match entity precision/recall/F1 (the seqeval convention), per type, token-level, ECE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, LabelSpaceError
from weaksup.evaluate import expected_calibration_error
from weaksup.spans.space import SpanSpace
from weaksup.spans.tags import keep_longest, paint_tags

__all__ = ["span_frame", "span_metrics"]

_KEY = ["doc", "start", "end", "type"]


def _prf(tp: float, n_gold: float, n_pred: float) -> tuple[float, float, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def span_frame(docs: Sequence[Sequence[Any]], space: SpanSpace, *, what: str = "spans") -> pd.DataFrame:
    """Spans of many documents as one table: doc, start, end, type (index into ``space.types``), confidence.

    Spans are ``Span``/``ScoredSpan`` or ``(start, end, label[, confidence])`` tuples; ``confidence`` is
    nan for spans without one. Exact repeats of (doc, start, end, type) are dropped (the first kept).

    Examples
    --------
    >>> span_frame([[(0, 2, "A", 0.5)], [(1, 2, "A")]], SpanSpace(["A"])).values.tolist()
    [[0.0, 0.0, 2.0, 0.0, 0.5], [1.0, 1.0, 2.0, 0.0, nan]]
    """
    rows: list[tuple[int, int, int, int, float]] = []
    for d, spans in enumerate(docs):
        for span in spans:
            if len(span) < 3:
                raise DataError(f"{what}: document {d} has {span!r}, not a (start, end, label) span")
            start, end, label = span[0], span[1], span[2]
            if not isinstance(start, (int, np.integer)) or not isinstance(end, (int, np.integer)) or start < 0 \
                    or end <= start:
                raise DataError(f"{what}: document {d} has the span {tuple(span)!r}; spans are token ranges "
                                f"0 <= start < end (ints, end exclusive)")
            try:
                type_id = space.type_id(label)
            except LabelSpaceError:
                raise LabelSpaceError(f"{what}: document {d} has the span {tuple(span)!r} of unknown type "
                                      f"{label!r}; the types are {list(space.types)}") from None
            conf = float(span[3]) if len(span) > 3 and span[3] is not None else float("nan")
            rows.append((d, int(start), int(end), type_id, conf))
    frame = pd.DataFrame(rows, columns=[*_KEY, "confidence"]).astype(
        {"doc": np.int64, "start": np.int64, "end": np.int64, "type": np.int64, "confidence": np.float64})
    return frame.drop_duplicates(_KEY, keep="first").reset_index(drop=True)


def _token_types(frame: pd.DataFrame, offsets: np.ndarray, space: SpanSpace) -> np.ndarray:
    """Per token (documents end to end): 1 + the type index of the span over it, 0 outside spans."""
    io = SpanSpace(space.types, scheme="IO")
    out = np.zeros(int(offsets[-1]), dtype=np.int64)
    doc = frame["doc"].to_numpy()
    starts = offsets[doc] + frame["start"].to_numpy()
    ends = offsets[doc] + frame["end"].to_numpy()
    keep = keep_longest(doc, starts, ends)
    return paint_tags(out, starts[keep], ends[keep], frame["type"].to_numpy()[keep], io)


def span_metrics(gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]], *,
                 types: Sequence[str] | SpanSpace, n_bins: int = 10) -> dict[str, Any]:
    """Entity-level scores of predicted spans against gold spans, one list of spans per document.

    Conventions (those of seqeval's default entity scores):

    - a predicted span is right only when ``(start, end, label)`` equals a gold span exactly: a span
      overlapping a gold span partly, or with another type, is a false positive *and* leaves the
      gold span a false negative;
    - precision is 0.0 (not nan) when nothing is predicted, recall 0.0 when there is no gold span,
      F1 0.0 when both are 0 (seqeval's ``zero_division=0``); the same per type;
    - exact repeats of a span in one document count once;
    - overlapping gold spans of one document (a flat-NER gold set has none; ``load_span_gold`` warns about
      them) count as :func:`tags_from_spans` reads them, for the entity and the token scores alike: the
      longest kept (on a tie the first), the others not gold.

    Parameters
    ----------
    gold, pred : sequence of sequences of spans
        ``Span``/``ScoredSpan`` or ``(start, end, label[, confidence])`` tuples, same number of documents.
    types : sequence of str or SpanSpace
        The entity types (a label outside them is a LabelSpaceError).
    n_bins : int
        Confidence bins of the ECE.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (micro over all types); ``per_type`` (DataFrame: type,
        precision, recall, f1, support = gold spans, predicted); ``token`` (dict precision, recall,
        f1 over tokens inside spans: a token counts as right when the predicted span over it has
        the gold span's type; overlapping spans are resolved as :func:`tags_from_spans` does);
        ``ece`` (over predicted spans with a confidence: confidence vs exact match, in ``n_bins``
        equal-width bins; nan when no predicted span has a confidence); ``n_gold``, ``n_pred``,
        ``n_correct``.

    Examples
    --------
    >>> from weaksup.spans.span import ScoredSpan, Span
    >>> gold = [[Span(0, 2, "Chemical"), Span(4, 5, "Disease")]]
    >>> pred = [[ScoredSpan(0, 2, "Chemical", 0.9), ScoredSpan(3, 5, "Disease", 0.6)]]
    >>> scores = span_metrics(gold, pred, types=["Chemical", "Disease"])
    >>> scores["precision"], scores["recall"], scores["f1"]
    (0.5, 0.5, 0.5)
    >>> round(scores["token"]["precision"], 3), scores["token"]["recall"], round(scores["ece"], 2)
    (0.75, 1.0, 0.35)
    """
    space = types if isinstance(types, SpanSpace) else SpanSpace(list(types))
    if len(gold) != len(pred):
        raise DataError(f"span_metrics needs one gold and one predicted span list per document; got {len(gold)} "
                        f"gold and {len(pred)} predicted documents")
    g = span_frame(gold, space, what="gold")
    g = g[keep_longest(g["doc"].to_numpy(), g["start"].to_numpy(), g["end"].to_numpy())].reset_index(drop=True)
    p = span_frame(pred, space, what="predictions")
    hit = p.merge(g[_KEY].assign(_hit=True), on=_KEY, how="left")["_hit"].notna().to_numpy()
    n_gold, n_pred, n_correct = len(g), len(p), int(hit.sum())
    precision, recall, f1 = _prf(n_correct, n_gold, n_pred)
    rows = []
    for k, name in enumerate(space.types):
        support = int((g["type"] == k).sum())
        predicted_k = p["type"].to_numpy() == k
        tp = int(hit[predicted_k].sum())
        pk, rk, fk = _prf(tp, support, int(predicted_k.sum()))
        rows.append({"type": name, "precision": pk, "recall": rk, "f1": fk, "support": support,
                     "predicted": int(predicted_k.sum())})
    per_type = pd.DataFrame(rows, columns=["type", "precision", "recall", "f1", "support", "predicted"])
    # token level: documents end to end, each as long as its furthest span
    length = np.zeros(len(gold), dtype=np.int64)
    for frame in (g, p):
        if len(frame):
            np.maximum.at(length, frame["doc"].to_numpy(), frame["end"].to_numpy())
    offsets = np.r_[np.int64(0), np.cumsum(length)]
    gt, pt = _token_types(g, offsets, space), _token_types(p, offsets, space)
    t_prec, t_rec, t_f1 = _prf(int(((gt == pt) & (gt > 0)).sum()), int((gt > 0).sum()), int((pt > 0).sum()))
    conf = p["confidence"].to_numpy()
    has = ~np.isnan(conf)
    if has.any() and (conf[has].min() < 0 or conf[has].max() > 1):
        raise DataError(f"span confidences must be in [0, 1]; got {conf[has].min()}..{conf[has].max()}")
    # one column holding the confidence (the top "probability" of calibration_bins), the class 0 when right
    ece = (expected_calibration_error(np.where(hit[has], 0, 1), np.column_stack([conf[has], np.zeros(has.sum())]),
                                      n_bins=n_bins, y_pred=np.zeros(int(has.sum()), dtype=np.int64))
           if has.any() else float("nan"))  # every span predicted is a claim (class 0), whatever its confidence
    return {"precision": precision, "recall": recall, "f1": f1, "per_type": per_type,
            "token": {"precision": t_prec, "recall": t_rec, "f1": t_f1}, "ece": ece,
            "n_gold": n_gold, "n_pred": n_pred, "n_correct": n_correct}
