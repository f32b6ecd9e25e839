"""Span labeling (issue 20): documents, spans, span votes, span label models and metrics.

A document is text plus tokens (:class:`SpanDoc`); a span is ``(start, end, label)`` in
token offsets with ``end`` exclusive (:class:`Span`). Per labeling function the spans it
tagged per document are kept in :class:`SpanVotes`, which converts to a token-level vote
matrix (BIO or IO tag ids of a :class:`SpanSpace`) so storage and summaries reuse
:class:`weaksup.votes.VoteMatrix`.

Each owner adds its exports here; keep ``__all__`` sorted.
"""

from __future__ import annotations

from weaksup.spans.apply import apply_span_lfs
from weaksup.spans.codec import load_span_votes
from weaksup.spans.doc import TOKENIZERS, SpanDoc, tokenize
from weaksup.spans.export import read_conll, write_conll, write_docbin
from weaksup.spans.gold import SpanGoldSet, load_span_gold, write_span_gold
from weaksup.spans.lfs import SPAN_LF_KINDS, SpanLF, is_span_lf
from weaksup.spans.lfs_gazetteer import GazetteerLF, gazetteer_lf
from weaksup.spans.lfs_generic import FunctionSpanLF, span_labeling_function
from weaksup.spans.lfs_regex import SpanRegexLF, span_regex_lf
from weaksup.spans.lfs_spacy import SpanModelLF, TokenPatternLF, span_model_lf, token_pattern_lf
from weaksup.spans.metrics import span_metrics
from weaksup.spans.models import (
    SPAN_MODELS,
    SpanDawidSkene,
    SpanDevClassifier,
    SpanDevSelector,
    SpanHMM,
    SpanMajorityVote,
    resolve_span_model,
)
from weaksup.spans.models_base import SpanLabelModel
from weaksup.spans.report import SpanReport, build_span_report
from weaksup.spans.review import export_span_review, import_span_answers, read_span_export, span_labeling_config
from weaksup.spans.space import SCHEMES, SpanSpace
from weaksup.spans.span import ScoredSpan, Span
from weaksup.spans.summary import span_lf_summary
from weaksup.spans.tags import spans_from_tags, tags_from_spans
from weaksup.spans.votes import SpanVotes, TokenVotes
from weaksup.spans.workbench import SpanPreview, SpanWorkbench, render_spans

__all__ = [
    "FunctionSpanLF", "GazetteerLF", "SCHEMES", "SPAN_LF_KINDS", "SPAN_MODELS", "ScoredSpan", "Span",
    "SpanDawidSkene", "SpanDevClassifier", "SpanDevSelector", "SpanDoc", "SpanGoldSet", "SpanHMM", "SpanLF",
    "SpanLabelModel", "SpanMajorityVote", "SpanModelLF", "SpanPreview", "SpanRegexLF", "SpanReport", "SpanSpace",
    "SpanVotes", "SpanWorkbench", "TOKENIZERS", "TokenPatternLF", "TokenVotes", "apply_span_lfs",
    "build_span_report", "export_span_review", "gazetteer_lf", "import_span_answers", "is_span_lf",
    "load_span_gold", "load_span_votes", "read_conll", "read_span_export", "render_spans", "resolve_span_model",
    "span_labeling_config", "span_labeling_function", "span_lf_summary", "span_metrics", "span_model_lf",
    "span_regex_lf", "spans_from_tags", "tags_from_spans", "token_pattern_lf", "tokenize", "write_conll",
    "write_docbin", "write_span_gold",
]
