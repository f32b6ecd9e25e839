"""A spans run's exports beside ``spans.jsonl``: a spaCy ``DocBin`` and a CoNLL (BIO) file, one document per
input row, in input order, each written whole or not at all.

``spans.spacy`` (:func:`write_docbin`): docs on ``spacy.blank("en")``'s vocab, built from the run's tokens so that
``doc.text`` is the input text exactly and every span's ``start_char``/``end_char`` are its offsets in
``spans.jsonl``: as spaCy's tokenizer does, a token followed by one space has ``whitespace_ == " "``, and any other
whitespace (runs of spaces, tabs, line breaks, leading or trailing whitespace) is a token of its own
(:func:`spacy_words`); the run's token indices (``token_start``) then differ from the Doc's, its char offsets do
not. ``doc.spans["weaksup"]`` holds every
predicted span, with the group's ``attrs["confidence"]`` and ``attrs["sources"]`` in span order;
``doc.ents`` the non-overlapping ones (the surest first, then the longest); ``doc.user_data`` the
``row_id`` and ``review_status``. Read it with ``DocBin().from_disk(path).get_docs(nlp.vocab)``.

``spans.conll`` (:func:`write_conll`): ``token<TAB>tag`` per line (the scheme's tags, overlaps resolved as
:func:`~weaksup.spans.doc.tags_from_spans` does: longest first), a blank line after each document.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weaksup._io import atomic_path

if TYPE_CHECKING:
    from weaksup.spans.doc import Span, SpanDoc
    from weaksup.spans.space import SpanSpace

#: The span group of a spans run's docs.
SPAN_GROUP = "weaksup"


def _blank_nlp() -> Any:
    from weaksup.errors import ConfigError

    try:
        import spacy
    except ImportError:
        raise ConfigError("writing spans.spacy needs spaCy: pip install weaksup[spacy]") from None
    return spacy.blank("en")


def non_overlapping(spans: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spans kept as entities: the surest first, then the longest, skipping any that overlaps a kept one.

    Examples
    --------
    >>> spans = [{"token_start": 0, "token_end": 2, "confidence": 0.6},
    ...          {"token_start": 1, "token_end": 3, "confidence": 0.9}]
    >>> [s["token_start"] for s in non_overlapping(spans)]
    [1]
    """
    taken: set[int] = set()
    kept = []
    for span in sorted(spans, key=lambda s: (-float(s.get("confidence", 1.0)), s["token_start"] - s["token_end"],
                                             s["token_start"])):
        tokens = set(range(span["token_start"], span["token_end"]))
        if not tokens & taken:
            kept.append(span)
            taken |= tokens
    return sorted(kept, key=lambda s: (s["token_start"], s["token_end"]))


def spacy_words(doc: SpanDoc) -> tuple[list[str], list[bool], list[int]]:
    """The ``words`` and ``spaces`` of a spaCy ``Doc`` whose text is ``doc.text`` exactly, and each of ``doc``'s
    tokens' index among the words: one space after a token is its trailing space, any other whitespace (or text
    between tokens) a word of its own, as spaCy's tokenizer makes them.

    Examples
    --------
    >>> from weaksup.spans.doc import SpanDoc
    >>> spacy_words(SpanDoc.from_text(" Line one\\r\\nCall  me "))
    ([' ', 'Line', 'one', '\\r\\n', 'Call', ' ', 'me'], [False, True, False, False, True, False, True], [1, 2, 4, 6])
    """
    words: list[str] = []
    spaces: list[bool] = []
    index: list[int] = []

    def gap(text: str) -> None:  # the text between two tokens (before the first, after the last)
        if text.startswith(" ") and words and not spaces[-1]:
            spaces[-1], text = True, text[1:]
        if text:
            words.append(text)
            spaces.append(False)

    at = 0
    for start, end in zip(doc.starts, doc.ends):
        gap(doc.text[at:start])
        index.append(len(words))
        words.append(doc.text[start:end])
        spaces.append(False)
        at = end
    gap(doc.text[at:])
    return words, spaces, index


def spacy_doc(vocab: Any, doc: SpanDoc, spans: Sequence[dict[str, Any]], *, row_id: str = "",
              review_status: str = "") -> Any:
    """A spaCy ``Doc`` of ``doc``'s tokens with the output ``spans`` (dicts with ``token_start``, ``token_end``,
    ``label``, ``confidence``, ``sources``) in ``doc.spans["weaksup"]`` and the non-overlapping ones in ``doc.ents``.
    Its text is ``doc.text`` exactly (:func:`spacy_words`), so the spans' char offsets are ``doc``'s.

    Examples
    --------
    >>> import spacy
    >>> from weaksup.spans.doc import SpanDoc
    >>> d = spacy_doc(spacy.blank("en").vocab, SpanDoc.from_text("Aspirin causes pain"),
    ...               [{"token_start": 0, "token_end": 1, "label": "Chemical", "confidence": 0.9, "sources": []}])
    >>> [(e.text, e.label_) for e in d.ents], d.spans["weaksup"].attrs["confidence"]
    ([('Aspirin', 'Chemical')], [0.9])
    """
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan

    words, spaces, index = spacy_words(doc)
    sdoc = Doc(vocab, words=words, spaces=spaces)

    def token_range(span: dict[str, Any]) -> tuple[int, int]:  # the run's token span as the Doc's
        return index[span["token_start"]], index[span["token_end"] - 1] + 1

    ordered = sorted(spans, key=lambda s: (s["token_start"], s["token_end"], s["label"]))
    group = [sdoc[slice(*token_range(s))] for s in ordered]
    for span, record in zip(group, ordered):
        span.label_ = record["label"]
    sdoc.spans[SPAN_GROUP] = group
    sdoc.spans[SPAN_GROUP].attrs["confidence"] = [float(s.get("confidence", 1.0)) for s in ordered]
    sdoc.spans[SPAN_GROUP].attrs["sources"] = [list(s.get("sources") or []) for s in ordered]
    sdoc.ents = [SpacySpan(sdoc, *token_range(s), label=s["label"]) for s in non_overlapping(ordered)]
    sdoc.user_data["row_id"] = row_id
    sdoc.user_data["review_status"] = review_status
    return sdoc


def write_docbin(path: str | os.PathLike[str], docs: Iterable[SpanDoc], rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``spans.spacy``: one spaCy doc per document, with each output row's spans (see the module docstring).

    ``rows``: the output rows of the documents, in the same order (``row_id``, ``spans``, ``review_status``).
    """
    from spacy.tokens import DocBin

    nlp = _blank_nlp()
    out = DocBin(store_user_data=True)
    for doc, row in zip(docs, rows, strict=True):
        out.add(spacy_doc(nlp.vocab, doc, row.get("spans") or [], row_id=str(row.get("row_id", "")),
                          review_status=str(row.get("review_status", ""))))
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(out.to_bytes())
    return path


def conll_lines(doc: SpanDoc, spans: Iterable[Span | tuple[int, int, str]], space: SpanSpace) -> list[str]:
    """One document as CoNLL lines (``token<TAB>tag``) followed by a blank line.

    Examples
    --------
    >>> from weaksup.spans.doc import Span, SpanDoc
    >>> from weaksup.spans.space import SpanSpace
    >>> conll_lines(SpanDoc.from_text("Aspirin causes pain"), [Span(2, 3, "Disease")], SpanSpace(["Disease"]))
    ['Aspirin\\tO', 'causes\\tO', 'pain\\tB-Disease', '']
    """
    from weaksup.spans.doc import Span, tags_from_spans

    tags = tags_from_spans([Span(int(s[0]), int(s[1]), str(s[2])) for s in spans], doc.n_tokens, space)
    return [f"{token}\t{space.tags[int(t)]}" for token, t in zip(doc.tokens, tags)] + [""]


def write_conll(path: str | os.PathLike[str], docs: Iterable[SpanDoc], rows: Iterable[dict[str, Any]],
                space: SpanSpace) -> Path:
    """Write ``spans.conll``: each document's tokens and tags (see the module docstring)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for doc, row in zip(docs, rows, strict=True):
            spans = [(s["token_start"], s["token_end"], s["label"]) for s in row.get("spans") or []]
            fh.write("\n".join(conll_lines(doc, spans, space)) + "\n")
    return path


def read_conll(path: str | os.PathLike[str], space: SpanSpace) -> list[tuple[list[str], list[Span]]]:
    """The documents of a CoNLL file: each one's tokens and spans (tags decoded with BIO repair).

    Examples
    --------
    >>> import tempfile
    >>> from weaksup.spans.space import SpanSpace
    >>> f = Path(tempfile.mkdtemp()) / "x.conll"
    >>> _ = f.write_text("Aspirin\\tB-Chemical\\nhurts\\tO\\n\\n\\n", encoding="utf-8")
    >>> read_conll(f, SpanSpace(["Chemical"]))
    [(['Aspirin', 'hurts'], [Span(start=0, end=1, label='Chemical')]), ([], [])]
    """
    import numpy as np

    from weaksup.errors import DataError
    from weaksup.spans.doc import spans_from_tags

    out: list[tuple[list[str], list[Span]]] = []
    tokens: list[str] = []
    tags: list[int] = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n")[:-1], start=1):
        if not line:
            out.append((tokens, spans_from_tags(np.asarray(tags, dtype=np.int16), space)))
            tokens, tags = [], []
            continue
        token, _, tag = line.rpartition("\t")
        if tag not in space.tags:
            raise DataError(f"{path}:{i}: tag {tag!r} is not one of {list(space.tags)}; the file was written for "
                            "other entity types or another scheme")
        tokens.append(token)
        tags.append(space.tag_id(tag))
    return out
