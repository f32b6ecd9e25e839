"""spaCy span LFs: :func:`token_pattern_lf` (``Matcher``/``EntityRuler`` patterns on a blank pipeline) and
:func:`span_model_lf` (a spaCy NER pipeline, or any callable from text to char spans).

Over a batch of documents, the LFs sharing a pipeline (every token pattern LF shares the blank one; model LFs
share theirs when they hold the same pipeline object) read each spaCy ``Doc`` in turn (:func:`shared_spans`):
it is built once for all of them and dropped once they have read it, so no Doc outlives its document's turn
(and ``nlp.pipe``'s own batch).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import check_name, normalised_source
from weaksup.spans.doc import Span, SpanDoc, Tokenizer
from weaksup.spans.lfs import SpanLF
from weaksup.spans.lfs_regex import ALIGNMENTS, align_chars

__all__ = ["SpanModelLF", "TokenPatternLF", "blank_pipeline", "shared_spans", "span_model_lf", "token_pattern_lf"]

# Token attributes a blank pipeline does not set: a pattern on them would never match.
_TRAINED_ATTRS = {"POS", "TAG", "DEP", "LEMMA", "MORPH", "ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID",
                  "SENT_START", "IS_SENT_START", "HEAD"}


@functools.lru_cache(maxsize=1)
def blank_pipeline() -> Any:
    """``spacy.blank("en")`` (built once): its vocab holds the pattern LFs' documents.

    Examples
    --------
    >>> blank_pipeline().pipe_names
    []
    """
    try:
        import spacy
    except ImportError as exc:
        raise LFDefinitionError(f"token pattern and spaCy model LFs need spaCy, which is not installed ({exc}); "
                                "run `pip install weaksup[spacy]`") from None
    return spacy.blank("en")


def _spacy_doc(doc: SpanDoc) -> Any:
    """A spaCy ``Doc`` of the document's own tokens (not kept: :func:`shared_spans` builds it once for all LFs)."""
    from spacy.tokens import Doc

    spaces = [e < s for e, s in zip(doc.ends, doc.starts[1:])] + [False] if doc.n_tokens else []
    return Doc(blank_pipeline().vocab, words=list(doc.tokens), spaces=spaces)


def _longest_first(found: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping matches: the longest first, then the leftmost (spaCy's ``filter_spans`` rule)."""
    taken = np.zeros(0, dtype=bool)
    kept = []
    for start, end, label in sorted(set(found), key=lambda m: (m[0] - m[1], m[0], m[2])):
        if end > len(taken):
            taken = np.concatenate([taken, np.zeros(end - len(taken), dtype=bool)])
        if not taken[start:end].any():
            taken[start:end] = True
            kept.append((start, end, label))
    return sorted(kept)


def _normalise_patterns(patterns: Any, label: str | None, name: str) -> list[tuple[str, list[dict[str, Any]] | str]]:
    """``[(type, token pattern or phrase)]`` from EntityRuler-style dicts, token patterns or phrases."""
    if isinstance(patterns, (str, Mapping)) or (isinstance(patterns, Sequence) and patterns
                                                and isinstance(patterns[0], Mapping) and "pattern" not in patterns[0]):
        patterns = [patterns]  # one phrase, one ruler dict, or one token pattern
    if not isinstance(patterns, Sequence) or not patterns:
        raise LFDefinitionError(f"token pattern LF {name!r}: patterns must be a non-empty list; got {patterns!r}")
    out: list[tuple[str, list[dict[str, Any]] | str]] = []
    for item in patterns:
        kind, pattern = (item.get("label", label), item.get("pattern")) if isinstance(item, Mapping) else (label, item)
        if not isinstance(kind, str):
            raise LFDefinitionError(f"token pattern LF {name!r}: the pattern {item!r} has no type; give each "
                                    "{'label': TYPE, 'pattern': ...} or pass label='TYPE'")
        if isinstance(pattern, str):
            out.append((kind, pattern))
            continue
        if not isinstance(pattern, Sequence) or not pattern or not all(isinstance(t, Mapping) for t in pattern):
            raise LFDefinitionError(f"token pattern LF {name!r}: a pattern is a phrase (str) or a list of token "
                                    f"dicts such as [{{'LOWER': 'heart'}}, {{'LOWER': 'failure'}}]; got {pattern!r}")
        trained = sorted({str(k).upper() for t in pattern for k in t} & _TRAINED_ATTRS)
        if trained:
            raise LFDefinitionError(f"token pattern LF {name!r}: the pattern {pattern!r} reads {trained}, which a "
                                    "blank pipeline does not set (no model is loaded); match on ORTH, LOWER, TEXT, "
                                    "SHAPE, LENGTH, IS_* or REGEX instead")
        out.append((kind, [dict(t) for t in pattern]))
    return out


class TokenPatternLF(SpanLF):
    """Tags the token runs that spaCy ``Matcher`` patterns (and phrases) match, on the document's own tokens.

    :func:`token_pattern_lf` is this class. Patterns are in the ``EntityRuler`` format,
    ``{"label": TYPE, "pattern": [token dicts] | "a phrase"}`` (or bare token patterns / phrases with
    ``label=``); phrases are tokenized with ``tokenizer`` and matched on ``phrase_attr`` (``"ORTH"`` or
    ``"LOWER"``). The documents keep their tokens (a spaCy ``Doc`` is built from them on ``spacy.blank("en")``;
    nothing is downloaded). Overlapping matches are resolved longest first unless ``overlapping=True``.

    Examples
    --------
    >>> lf = token_pattern_lf("heart", [{"label": "Disease", "pattern": [{"LOWER": "heart"}, {"LOWER": "failure"}]},
    ...                                 {"label": "Disease", "pattern": [{"LOWER": {"REGEX": "itis$"}}]}])
    >>> lf("Heart failure and hepatitis")
    [Span(start=0, end=2, label='Disease'), Span(start=3, end=4, label='Disease')]
    """

    kind = "token_pattern"
    rules: tuple[tuple[str, Any], ...]
    phrase_attr: str
    overlapping: bool

    def __init__(self, name: str, patterns: Any, *, label: str | None = None, phrase_attr: str = "ORTH",
                 overlapping: bool = False, tokenizer: Tokenizer = "whitespace", tags: Iterable[str] = (),
                 description: str = "", version: str | None = None) -> None:
        check_name(name)
        if phrase_attr not in ("ORTH", "LOWER"):
            raise LFDefinitionError(f"token pattern LF {name!r}: phrase_attr must be 'ORTH' or 'LOWER'; "
                                    f"got {phrase_attr!r}")
        rules = _normalise_patterns(patterns, label, name)
        self._set(rules=tuple(rules), phrase_attr=phrase_attr, overlapping=overlapping, tokenizer=tokenizer)
        self._matchers()  # invalid patterns fail here, when the LF is defined
        super().__init__(
            name, labels=[k for k, _ in rules],
            params={"patterns": [{"label": k, "pattern": p} for k, p in rules], "phrase_attr": phrase_attr,
                    "overlapping": overlapping},
            tags=tags, description=description or f"{len(rules)} spaCy pattern(s)", version=version,
            tokenizer=tokenizer,
        )

    def _matchers(self) -> tuple[Any, Any]:
        cached = self.__dict__.get("_cache")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        from spacy.matcher import Matcher, PhraseMatcher

        vocab = blank_pipeline().vocab
        matcher, phrases = Matcher(vocab, validate=True), PhraseMatcher(vocab, attr=self.phrase_attr)
        for kind, pattern in self.rules:
            try:
                if isinstance(pattern, str):
                    phrases.add(kind, [_spacy_doc(SpanDoc.from_text(pattern, tokenizer=self.tokenizer))])
                else:
                    matcher.add(kind, [pattern])
            except ValueError as exc:
                raise LFDefinitionError(f"token pattern LF {self.__dict__.get('name')!r}: invalid pattern "
                                        f"{pattern!r}: {exc}") from None
        self._set(_cache=(matcher, phrases))
        return matcher, phrases

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}  # spaCy matchers are rebuilt on use

    def spans(self, doc: SpanDoc) -> list[Span]:
        """The matches in ``doc`` (non-overlapping, longest first, unless ``overlapping=True``)."""
        return self.read(doc, _spacy_doc(doc) if doc.n_tokens else None)

    def spans_batch(self, docs: Sequence[SpanDoc]) -> list[list[Span]]:
        """The matches in every document, each spaCy ``Doc`` built in turn and dropped after it is read."""
        return _own(self, docs)

    def read(self, doc: SpanDoc, sdoc: Any) -> list[Span]:
        """The matches in ``doc`` whose spaCy ``Doc`` (of its own tokens, ``None`` without tokens) is ``sdoc``."""
        if not doc.n_tokens:
            return []
        matcher, phrases = self._matchers()
        strings = sdoc.vocab.strings
        hits = [*(matcher(sdoc) if len(matcher) else []), *(phrases(sdoc) if len(phrases) else [])]
        found = [(s, e, strings[m]) for m, s, e in hits]
        kept = sorted(set(found)) if self.overlapping else _longest_first(found)
        return [Span(s, e, k) for s, e, k in kept]


def token_pattern_lf(name: str, patterns: Any, *, label: str | None = None, phrase_attr: str = "ORTH",
                     overlapping: bool = False, tokenizer: Tokenizer = "whitespace", tags: Iterable[str] = (),
                     description: str = "", version: str | None = None) -> TokenPatternLF:
    """A :class:`TokenPatternLF` of spaCy ``Matcher`` / ``EntityRuler`` patterns.

    Examples
    --------
    >>> token_pattern_lf("acid", [{"LOWER": {"REGEX": "ic$"}}, {"LOWER": "acid"}], label="Chemical")(
    ...     "valproic acid was given")
    [Span(start=0, end=2, label='Chemical')]
    """
    return TokenPatternLF(name, patterns, label=label, phrase_attr=phrase_attr, overlapping=overlapping,
                          tokenizer=tokenizer, tags=tags, description=description, version=version)


class SpanModelLF(SpanLF):
    """Tags what a model finds: a spaCy pipeline's ``doc.ents``, or a callable ``text -> [(cstart, cend, label)]``.

    :func:`span_model_lf` is this class. The model's char spans are aligned to the document's tokens
    (``align``, as :func:`~weaksup.spans.lfs_regex.span_regex_lf`); ``label_map`` renames the model's labels to
    the task's types, and spans whose label is not among ``labels`` are dropped. A spaCy pipeline runs on a
    batch with ``nlp.pipe``; its version hashes the pipeline's bytes, a callable's version its code and what the
    code reads (pass ``version=`` for a model whose weights the code does not show).
    """

    kind = "span_model"
    label_map: dict[str, str]
    align: str
    batch_size: int

    def __init__(self, name: str, model: Any, *, labels: Iterable[str], label_map: Mapping[str, str] | None = None,
                 align: str = "expand", batch_size: int = 64, tokenizer: Tokenizer = "whitespace",
                 tags: Iterable[str] = (), description: str = "", version: str | None = None) -> None:
        check_name(name)
        if align not in ALIGNMENTS:
            raise LFDefinitionError(f"span model LF {name!r}: align must be one of {list(ALIGNMENTS)}; got {align!r}")
        model_name = model if isinstance(model, str) else None
        if isinstance(model, str):
            try:
                import spacy

                model = spacy.load(model)
            except OSError as exc:
                raise LFDefinitionError(f"span model LF {name!r}: the spaCy pipeline {model_name!r} is not "
                                        f"installed ({str(exc).splitlines()[0]}); install it (python -m spacy "
                                        "download NAME) or pass a callable") from None
        is_spacy = hasattr(model, "pipe") and hasattr(model, "pipe_names")
        if not is_spacy and not callable(model):
            raise LFDefinitionError(f"span model LF {name!r}: model must be a spaCy pipeline (or its name) or a "
                                    f"callable text -> [(char_start, char_end, label)]; got {model!r}")
        if isinstance(labels, str):
            labels = [labels]
        label_map = dict(label_map or {})
        params: dict[str, Any] = {"model": model_name or (f"spacy:{model.meta.get('name', '')}" if is_spacy else
                                                          getattr(model, "__qualname__", type(model).__name__)),
                                  "label_map": label_map, "align": align}
        hash_extra: Any = hashlib.sha256(model.to_bytes()).hexdigest() if is_spacy else normalised_source(model)
        self._set(model=model, is_spacy=is_spacy, label_map=label_map, align=align, batch_size=batch_size)
        super().__init__(name, labels=labels, params=params, tags=tags, version=version, tokenizer=tokenizer,
                         description=description or f"spans found by {params['model']}", hash_extra=hash_extra)
        if not is_spacy:
            self.defer_version(model, hash_extra, version)

    def _aligned(self, doc: SpanDoc, found: Iterable[Any]) -> list[Span]:
        rows = []
        for item in found:
            if isinstance(item, Mapping):
                item = (item.get("start"), item.get("end"), item.get("label", item.get("entity_group")))
            try:
                cstart, cend, raw = item
            except (TypeError, ValueError):
                raise LFDefinitionError(f"span model LF {self.name!r}: the model returned {item!r}; expected "
                                        "(char_start, char_end, label) or a dict with start, end, label") from None
            kind = self.label_map.get(str(raw), str(raw))
            if not 0 <= int(cstart) <= int(cend) <= len(doc.text):
                raise LFDefinitionError(f"span model LF {self.name!r}: the model returned the characters "
                                        f"{cstart}..{cend} on a text of {len(doc.text)} characters; spans are "
                                        "character offsets into the text (not bytes, not tokens)")
            if kind in self.span_labels and int(cend) > int(cstart):
                rows.append((int(cstart), int(cend), kind))
        if not rows:
            return []
        cs, ce = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        first, stop, ok = align_chars(cs, ce, np.asarray(doc.starts), np.asarray(doc.ends), self.align)
        return sorted({Span(int(a), int(b), rows[i][2]) for i, (a, b) in enumerate(zip(first, stop)) if ok[i]})

    def spans(self, doc: SpanDoc) -> list[Span]:
        """The model's spans on ``doc``, aligned to its tokens."""
        return self.spans_batch([doc])[0]

    def spans_batch(self, docs: Sequence[SpanDoc]) -> list[list[Span]]:
        """The model's spans on every document (a spaCy pipeline runs them through one streamed ``nlp.pipe``)."""
        model: Callable[..., Any] = self.__dict__["model"]
        if self.__dict__["is_spacy"]:
            return _own(self, docs)
        return [self._aligned(doc, model(doc.text) or ()) for doc in docs]

    def read(self, doc: SpanDoc, sdoc: Any) -> list[Span]:
        """The spans of ``doc`` from ``sdoc``, the spaCy pipeline's ``Doc`` of its text."""
        return self._aligned(doc, [(e.start_char, e.end_char, e.label_) for e in sdoc.ents])


def span_model_lf(name: str, model: Any, *, labels: Iterable[str], label_map: Mapping[str, str] | None = None,
                  align: str = "expand", batch_size: int = 64, tokenizer: Tokenizer = "whitespace",
                  tags: Iterable[str] = (), description: str = "", version: str | None = None) -> SpanModelLF:
    """A :class:`SpanModelLF`: a spaCy NER pipeline (object or installed name) or a callable as a span LF.

    Examples
    --------
    >>> def drug_finder(text):
    ...     i = text.find("aspirin")
    ...     return [(i, i + 7, "CHEM")] if i >= 0 else []
    >>> lf = span_model_lf("finder", drug_finder, labels=["Chemical"], label_map={"CHEM": "Chemical"})
    >>> lf("low-dose aspirin daily")
    [Span(start=1, end=2, label='Chemical')]
    """
    return SpanModelLF(name, model, labels=labels, label_map=label_map, align=align, batch_size=batch_size,
                       tokenizer=tokenizer, tags=tags, description=description, version=version)


SpacySpanLF = TokenPatternLF | SpanModelLF


def _pipeline_key(lf: Any) -> tuple[Any, ...] | None:
    """What the spaCy Docs an LF reads depend on (LFs with equal keys read the same Docs); None: it reads none."""
    if isinstance(lf, TokenPatternLF):
        return ("blank",)
    if isinstance(lf, SpanModelLF) and lf.__dict__["is_spacy"]:
        return ("model", id(lf.__dict__["model"]), lf.batch_size)
    return None


def _stream(lf: SpacySpanLF, docs: Sequence[SpanDoc]) -> Iterator[Any]:
    """The spaCy Docs ``lf`` reads, one per document in turn (none is kept here)."""
    if isinstance(lf, TokenPatternLF):
        return (_spacy_doc(doc) if doc.n_tokens else None for doc in docs)
    model = lf.__dict__["model"]
    return iter(model.pipe((doc.text for doc in docs), batch_size=lf.batch_size))


def _group_spans(group: Sequence[SpacySpanLF], docs: Sequence[SpanDoc]) -> dict[int, list[list[Span]] | Exception]:
    """The spans of LFs sharing a pipeline: each Doc is built once, read by every LF, and dropped."""
    found: dict[int, list[list[Span]]] = {id(lf): [] for lf in group}
    failed: dict[int, Exception] = {}
    built = _stream(group[0], docs)
    for doc in docs:
        try:
            sdoc = next(built)
        except Exception as exc:  # noqa: BLE001 - the pipeline's own error: each LF raises it when asked
            failed.update({id(lf): exc for lf in group if id(lf) not in failed})
            break
        for lf in group:
            if id(lf) not in failed:
                try:
                    found[id(lf)].append(lf.read(doc, sdoc))
                except Exception as exc:  # noqa: BLE001 - the LF's error, raised by it when asked
                    failed[id(lf)] = exc
        del sdoc
    return {key: failed.get(key, spans) for key, spans in found.items()}


def _own(lf: SpacySpanLF, docs: Sequence[SpanDoc]) -> list[list[Span]]:
    result = _group_spans([lf], docs)[id(lf)]
    if isinstance(result, Exception):
        raise result
    return result


def shared_spans(lfs: Iterable[Any], docs: Sequence[SpanDoc]) -> dict[int, list[list[Span]] | Exception]:
    """The spans of the spaCy span LFs among ``lfs`` on ``docs``, by ``id(lf)`` (what an LF raised instead, if it did).

    LFs sharing a pipeline (all token pattern LFs; model LFs holding one pipeline object) read each document's
    spaCy ``Doc`` in turn: it is built once for all of them and dropped once they have read it.
    :func:`~weaksup.spans.apply.apply_span_lfs` calls it on each chunk; other LFs are left out.

    Examples
    --------
    >>> heart = token_pattern_lf("heart", [{"LOWER": "heart"}], label="Disease")
    >>> acid = token_pattern_lf("acid", [{"LOWER": "acid"}], label="Chemical")
    >>> docs = [SpanDoc.from_text("heart acid"), SpanDoc.from_text("")]
    >>> found = shared_spans([heart, acid, len], docs)
    >>> found[id(heart)], found[id(acid)], len(found)
    ([[Span(start=0, end=1, label='Disease')], []], [[Span(start=1, end=2, label='Chemical')], []], 2)
    """
    groups: dict[tuple[Any, ...], list[SpacySpanLF]] = {}
    for lf in lfs:
        key = _pipeline_key(lf)
        group = groups.setdefault(key, []) if key is not None else []
        if key is not None and not any(lf is member for member in group):
            group.append(lf)
    out: dict[int, list[list[Span]] | Exception] = {}
    for group in groups.values():
        out.update(_group_spans(group, docs))
    return out
