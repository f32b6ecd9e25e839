"""The base of the span LF kinds: :class:`SpanLF`, :func:`is_span_lf` and the checks the kinds share.

A span LF is a :class:`~weaksup.lf.core.LabelingFunction` (so :meth:`Registry.from_modules
<weaksup.registry.Registry.from_modules>` collects it, and it has a ``name``, a content ``version`` and a
``manifest()``) whose vote on a document is a list of :class:`~weaksup.spans.doc.Span` -- token offsets, ``end``
exclusive, an entity type as the label. The kinds:

========================  ===============================================================  ==================
kind                      built with                                                       fast path
========================  ===============================================================  ==================
``"gazetteer"``           :func:`~weaksup.spans.lfs_gazetteer.gazetteer_lf`                --
``"span_regex"``          :func:`~weaksup.spans.lfs_regex.span_regex_lf`                   joined corpus
``"token_pattern"``       :func:`~weaksup.spans.lfs_spacy.token_pattern_lf`                shared spaCy Doc
``"span_model"``          :func:`~weaksup.spans.lfs_spacy.span_model_lf`                   ``nlp.pipe``
``"span_generic"``        :func:`~weaksup.spans.lfs_generic.span_labeling_function`        --
========================  ===============================================================  ==================
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

from weaksup.errors import LFDefinitionError
from weaksup.lf.core import CodeVersionedLF
from weaksup.spans.doc import Span, SpanDoc, Tokenizer

__all__ = ["SPAN_LF_KINDS", "SpanLF", "check_span_labels", "is_span_lf", "is_whole", "to_span"]

#: The ``kind`` of every span LF.
SPAN_LF_KINDS = ("gazetteer", "span_regex", "token_pattern", "span_model", "span_generic")


def check_span_labels(labels: Iterable[object], lf_name: str) -> tuple[str, ...]:
    """The entity types an LF may tag, checked: non-blank strings other than ``"O"``, first order kept.

    Examples
    --------
    >>> check_span_labels(["Chemical", "Disease", "Chemical"], "lf")
    ('Chemical', 'Disease')
    """
    out: list[str] = []
    for label in labels:
        if not isinstance(label, str) or not label.strip() or label == "O":
            raise LFDefinitionError(
                f"span LF {lf_name!r}: an entity type must be a non-blank string other than 'O'; got {label!r}. "
                "Use the type names of the task's labels, e.g. labels=['Chemical']"
            )
        if label not in out:
            out.append(label)
    return tuple(out)


def is_whole(value: object) -> bool:
    """Whether ``value`` is an integer of any type (``int``, numpy's), not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> is_whole(3), is_whole(np.int64(3)), is_whole(3.0), is_whole(True)
    (True, True, False, False)
    """
    return not isinstance(value, bool) and hasattr(type(value), "__index__")


def to_span(item: object, doc: SpanDoc, lf_name: str) -> Span:
    """``item`` (a :class:`Span` or a ``(start, end, label)`` tuple) as a :class:`Span` inside ``doc``.

    Examples
    --------
    >>> to_span((0, 1, "Chemical"), SpanDoc.from_text("aspirin helps"), "lf")
    Span(start=0, end=1, label='Chemical')
    """
    parts: Any = item
    try:
        start, end, label = parts
    except (TypeError, ValueError):
        raise LFDefinitionError(
            f"span LF {lf_name!r} returned {item!r}; a span is Span(start, end, label) or a (start, end, label) "
            "tuple in token offsets"
        ) from None
    if not (is_whole(start) and is_whole(end)):  # any integer type (numpy's too), never a float or a bool
        raise LFDefinitionError(f"span LF {lf_name!r} returned the span {item!r}: start and end must be whole "
                                "numbers (token offsets)")
    start, end = operator.index(start), operator.index(end)
    if not 0 <= start < end <= doc.n_tokens:
        raise LFDefinitionError(
            f"span LF {lf_name!r} returned the span {item!r} on a document of {doc.n_tokens} tokens; start and end "
            f"are token offsets with 0 <= start < end <= {doc.n_tokens} (end exclusive)"
        )
    if not isinstance(label, str):
        raise LFDefinitionError(f"span LF {lf_name!r} returned the label {label!r}; a span's label is an entity "
                                "type name (str)")
    return Span(int(start), int(end), label)


class SpanLF(CodeVersionedLF):
    """A labeling function from a :class:`~weaksup.spans.doc.SpanDoc` to the spans it tags.

    Subclasses are the span LF kinds (:data:`SPAN_LF_KINDS`); each implements :meth:`spans`, and
    :meth:`spans_batch` where a whole batch of documents is faster in one pass.

    Attributes
    ----------
    span_labels : tuple of str
        The entity types the LF may tag (``labels`` in its manifest).
    tokenizer : str or callable
        How a plain string is tokenized when the LF is called on one (``"whitespace"`` unless given).
    """

    kind = "span"
    span_labels: tuple[str, ...]
    tokenizer: Tokenizer

    def __init__(self, name: str, *, labels: Iterable[str], params: dict[str, Any], tags: Iterable[str] = (),
                 description: str = "", version: str | None = None, source: str | None = None,
                 hash_extra: Any = None, tokenizer: Tokenizer = "whitespace") -> None:
        span_labels = check_span_labels(labels, name)
        if not span_labels:
            raise LFDefinitionError(f"span LF {name!r} has no entity type; pass labels=['TYPE', ...]")
        self._set(span_labels=span_labels, tokenizer=tokenizer)
        super().__init__(name, params={**params, "labels": list(span_labels)}, fields=("text",), labels=(),
                         tags=tags, description=description, version=version, source=source,
                         hash_extra=hash_extra)

    def spans(self, doc: SpanDoc) -> list[Span]:  # pragma: no cover - every kind overrides it
        """The spans the LF tags in ``doc`` (token offsets, sorted by start then end)."""
        raise NotImplementedError

    def spans_batch(self, docs: Sequence[SpanDoc]) -> list[list[Span]]:
        """:meth:`spans` of every document, in order (kinds with a faster whole-batch pass override it)."""
        return [self.spans(doc) for doc in docs]

    def __call__(self, x: Any) -> list[Span]:  # type: ignore[override]  # a span LF's vote is a list of spans
        """The spans tagged in ``x``: a :class:`SpanDoc`, or a string tokenized with :attr:`tokenizer`."""
        if isinstance(x, str):
            x = SpanDoc.from_text(x, tokenizer=self.tokenizer)
        if not isinstance(x, SpanDoc):
            raise LFDefinitionError(f"span LF {self.name!r} labels a SpanDoc or a str; got {type(x).__name__}. "
                                    "Build documents with SpanDoc.from_text(text, tokenizer=...)")
        return self.spans(x)

    def vote_batch(self, batch: Any) -> Any:
        """Refused: a span LF tags spans in documents; it cannot vote one class per row."""
        raise LFDefinitionError(
            f"LF {self.name!r} is a span LF (kind {self.kind!r}); it cannot vote in a classification run. "
            "Use it in a [task] type = \"spans\" config, or apply it with weaksup.spans.apply_span_lfs"
        )

    def manifest(self) -> dict[str, Any]:
        """A JSON-safe description: the base manifest with ``labels`` the entity types and ``task`` "spans"."""
        return {**super().manifest(), "labels": list(self.span_labels), "task": "spans"}


def is_span_lf(obj: object) -> bool:
    """True for a span LF (any of :data:`SPAN_LF_KINDS`), False for other objects and classification LFs.

    Examples
    --------
    >>> from weaksup.spans.lfs_gazetteer import gazetteer_lf
    >>> is_span_lf(gazetteer_lf("drugs", ["aspirin"], label="Chemical")), is_span_lf(len)
    (True, False)
    """
    return isinstance(obj, SpanLF)
