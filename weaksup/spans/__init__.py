"""Span labeling (issue 20): documents, spans, span votes, span label models and metrics.

A document is text plus tokens (:class:`SpanDoc`); a span is ``(start, end, label)`` in
token offsets with ``end`` exclusive (:class:`Span`). Per labeling function the spans it
tagged per document are kept in :class:`SpanVotes`, which converts to a token-level vote
matrix (BIO or IO tag ids of a :class:`SpanSpace`) so storage and summaries reuse
:class:`weaksup.votes.VoteMatrix`.

Each owner adds its exports here; keep ``__all__`` sorted.
"""

from __future__ import annotations

from weaksup.spans.doc import TOKENIZERS, SpanDoc, tokenize
from weaksup.spans.space import SCHEMES, SpanSpace
from weaksup.spans.span import ScoredSpan, Span
from weaksup.spans.tags import spans_from_tags, tags_from_spans
from weaksup.spans.votes import SpanVotes, TokenVotes

__all__ = [
    "SCHEMES", "ScoredSpan", "Span", "SpanDoc", "SpanSpace", "SpanVotes", "TOKENIZERS", "TokenVotes",
    "spans_from_tags", "tags_from_spans", "tokenize",
]
