"""The labels output of a spans run (``spans.jsonl``): one line per input row (a document), in input order.

=================  ==========================================================================================
``row_id``         the input row's id
``text``           the document's text as the LFs saw it (cleaned); every offset is into it
``spans``          the predicted spans: ``{start, end`` (char offsets, end exclusive)``, token_start, token_end,
                   label, confidence, sources}`` (``sources``: the LFs that tagged an overlapping span of the
                   same type); ``confidence`` is the label model's probability of the span
                   (:class:`~weaksup.spans.doc.ScoredSpan`); dev gold documents carry their human spans (1.0)
``review_status``  ``needs_review`` when a span's confidence is below ``review.threshold`` or two LFs tag one
                   token with different types; ``reviewed`` for the dev gold documents; else ``auto``
``rule_version``   the LF set's version; ``label_model``: the model's class
``conflict``       two LFs tagged a token of the document with different types
``label_source``   ``label_model``, or ``human`` for the dev gold documents
=================  ==========================================================================================

A document no LF tagged anything in gets the label model's spans like any other (usually none): a span task
never abstains on a document, so ``label_model.no_votes`` does not apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup.spans.codec import decode_block, decode_spans
from weaksup.spans.gold import token_spans

if TYPE_CHECKING:
    from weaksup.spans.doc import ScoredSpan, Span, SpanDoc
    from weaksup.spans.space import SpanSpace
    from weaksup.spans.votes import SpanVotes

#: The columns of a spans run's labels output, in order.
SPAN_COLUMNS = ["row_id", "text", "spans", "review_status", "rule_version", "label_model", "conflict", "label_source"]

#: The Arrow type of one output span.
SPAN_TYPE = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("token_start", pa.int64()),
                       ("token_end", pa.int64()), ("label", pa.string()), ("confidence", pa.float64()),
                       ("sources", pa.list_(pa.string()))])


def lf_name(lf_id: str) -> str:
    """An LF's name from its ``name@version`` id.

    Examples
    --------
    >>> lf_name("chem_dict@3f2a"), lf_name("plain")
    ('chem_dict', 'plain')
    """
    return lf_id.rpartition("@")[0] or lf_id


def conflicts(votes: SpanVotes) -> np.ndarray:
    """Per document, whether two LFs tag one of its tokens with different types.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.spans.space import SpanSpace
    >>> from weaksup.spans.votes import SpanVotes
    >>> frame = pd.DataFrame({"doc": [0, 0, 1], "lf": [0, 1, 0], "start": [0, 0, 1], "end": [2, 1, 2],
    ...                       "label": ["Chemical", "Disease", "Chemical"]})
    >>> votes = SpanVotes(np.array([3, 3]), ["a@1", "b@1"], SpanSpace(["Chemical", "Disease"]), frame)
    >>> conflicts(votes).tolist()
    [True, False]
    """
    out = np.zeros(votes.n_docs, dtype=bool)
    frame = votes.spans
    if not len(frame):
        return out
    seen: dict[tuple[int, int], str] = {}
    for d, s, e, t in zip(frame["doc"].to_numpy(), frame["start"].to_numpy(), frame["end"].to_numpy(),
                          frame["label"].to_numpy()):
        doc = int(d)
        if out[doc]:
            continue
        for token in range(int(s), int(e)):
            other = seen.setdefault((doc, token), str(t))
            if other != t:
                out[doc] = True
                break
    return out


def span_sources(lf_spans: Sequence[Sequence[Span]], names: Sequence[str], span: Any) -> list[str]:
    """The LFs (``names``) whose spans in the document (``lf_spans``, one list per LF) include one of ``span``'s
    type overlapping it.

    Examples
    --------
    >>> from weaksup.spans.doc import Span
    >>> span_sources([[Span(0, 2, "Chemical")], [Span(1, 2, "Disease")]], ["a", "b"], Span(1, 3, "Chemical"))
    ['a']
    """
    return [name for name, spans in zip(names, lf_spans)
            if any(s.label == span[2] and s.start < span[1] and span[0] < s.end for s in spans)]


def span_records(doc: SpanDoc, spans: Sequence[ScoredSpan], lf_spans: Sequence[Sequence[Span]],
                 names: Sequence[str]) -> list[dict[str, Any]]:
    """The output records of one document's scored token spans (char offsets, sources)."""
    return [{"start": int(doc.starts[s.start]), "end": int(doc.ends[s.end - 1]), "token_start": int(s.start),
             "token_end": int(s.end), "label": str(s.label), "confidence": float(s.confidence),
             "sources": span_sources(lf_spans, names, s)} for s in spans]


def chunk_table(model: Any, L: np.ndarray, reviewed: Mapping[int, Any], *, space: SpanSpace,
                lf_names: Sequence[str], rule_version: str, threshold: float = 0.7) -> pa.Table:
    """A chunk's labels table (without ``row_id``): ``model`` predicts the spans of each document of the chunk's
    ``(rows, m + 1)`` vote block (:mod:`weaksup.spans.codec`) and routes it (see the module docstring).

    ``reviewed``: chunk position -> the document's gold char spans (the dev gold rows keep them).

    Examples
    --------
    >>> from weaksup.spans.codec import encode_doc
    >>> from weaksup.spans.doc import ScoredSpan, SpanDoc
    >>> from weaksup.spans.space import SpanSpace
    >>> class Echo:  # a stand-in label model: the first LF's spans, sure
    ...     def predict(self, votes):
    ...         return [[ScoredSpan(*s, 0.9) for s in votes.lf_spans(d, 0)] for d in range(votes.n_docs)]
    >>> L = np.array([['[[0,1,"Chemical"]]', encode_doc(SpanDoc.from_text("Aspirin hurts"))]], dtype=object)
    >>> row = chunk_table(Echo(), L, {}, space=SpanSpace(["Chemical"]), lf_names=["chem@1", "__doc__"],
    ...                   rule_version="r1").to_pylist()[0]
    >>> row["spans"][0]["end"], row["spans"][0]["sources"], row["review_status"]
    (7, ['chem'], 'auto')
    """
    from weaksup.spans.doc import ScoredSpan

    docs, votes = decode_block(L, list(lf_names)[:-1], space)
    names = [lf_name(x) for x in votes.lf_ids]
    per_lf = [[decode_spans(cell) for cell in row[:-1]] for row in np.asarray(L, dtype=object)]
    predicted = model.predict(votes) if len(docs) else []
    conflict = conflicts(votes)
    records, status, source = [], [], []
    for d, doc in enumerate(docs):
        if d in reviewed:
            gold = token_spans(doc, reviewed[d], row_id=f"dev gold row {d}")
            spans: list[ScoredSpan] = [ScoredSpan(s.start, s.end, s.label, 1.0) for s in gold]
            status.append("reviewed")
            source.append("human")
        else:
            spans = sorted(predicted[d], key=lambda s: (s.start, s.end))
            unsure = any(s.confidence < threshold for s in spans)
            status.append("needs_review" if unsure or conflict[d] else "auto")
            source.append("label_model")
        records.append(span_records(doc, spans, per_lf[d], names))
    n = len(docs)
    return pa.table({
        "text": pa.array([doc.text for doc in docs], type=pa.string()),
        "spans": pa.array(records, type=pa.list_(SPAN_TYPE)),
        "review_status": pa.array(status, type=pa.string()),
        "rule_version": pa.repeat(pa.scalar(rule_version, pa.string()), n),
        "label_model": pa.repeat(pa.scalar(type(model).__name__, pa.string()), n),
        "conflict": pa.array(conflict),
        "label_source": pa.array(source, type=pa.string()),
    })


def count_spans(table: pa.Table, space: SpanSpace) -> dict[str, int]:
    """Spans per entity type in a labels table, and documents without any span (``"(none)"``).

    Examples
    --------
    >>> from weaksup.spans.space import SpanSpace
    >>> spans = [[{"label": "Chemical"}, {"label": "Disease"}], [], [{"label": "Chemical"}]]
    >>> count_spans(pa.table({"spans": spans}), SpanSpace(["Chemical", "Disease"]))
    {'Chemical': 2, 'Disease': 1, '(none)': 1}
    """
    counts = dict.fromkeys([*space.types, "(none)"], 0)
    for spans in table.column("spans").to_pylist():
        if not spans:
            counts["(none)"] += 1
        for span in spans or []:
            counts[span["label"]] = counts.get(span["label"], 0) + 1
    return counts
