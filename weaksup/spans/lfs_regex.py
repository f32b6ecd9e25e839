"""The regex span LF: :func:`span_regex_lf` tags the tokens a regular expression's char matches cover."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import check_name
from weaksup.spans.doc import Span, SpanDoc, Tokenizer
from weaksup.spans.lfs import SpanLF

__all__ = ["ALIGNMENTS", "SpanRegexLF", "align_chars", "span_regex_lf"]

#: How a char match becomes tokens: ``"expand"`` every token it overlaps (a match ending mid-token takes the whole
#: token), ``"contract"`` the tokens wholly inside it, ``"strict"`` only a match starting and ending on token edges.
ALIGNMENTS = ("expand", "contract", "strict")
_SEP = "\x00"  # joins the corpus for the one-pass search; behaves as a string edge for \b and \B
_UNSAFE = re.compile(r"\(\?<?[=!]|\\[AZz]|(?<![\\[])\^|(?<!\\)\$")  # anchors and lookarounds see across documents


def align_chars(cstart: np.ndarray, cend: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                mode: str = "expand") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ranges ``[first, last + 1)`` of char ranges ``[cstart, cend)`` over tokens at ``starts``/``ends``.

    Returns ``(first, stop, ok)``; ``ok`` is False where no token range fits (a match in whitespace, or
    not on token edges with ``mode="strict"``).

    Examples
    --------
    >>> starts, ends = np.array([0, 6, 13]), np.array([5, 12, 18])  # "heart failed, nasal"
    >>> align_chars(np.array([2]), np.array([9]), starts, ends, "expand")
    (array([0]), array([2]), array([ True]))
    >>> align_chars(np.array([2]), np.array([12]), starts, ends, "contract")[2]
    array([ True])
    """
    if mode == "expand":
        first = np.searchsorted(ends, cstart, side="right")
        stop = np.searchsorted(starts, cend, side="left")
        ok = stop > first
    elif mode == "contract":
        first = np.searchsorted(starts, cstart, side="left")
        stop = np.searchsorted(ends, cend, side="right")
        ok = stop > first
    else:
        first = np.searchsorted(starts, cstart, side="left")
        stop = np.searchsorted(ends, cend, side="left") + 1
        inside = (first < len(starts)) & (stop - 1 < len(ends)) & (stop > first)
        ok = inside.copy()
        ok[inside] = (starts[first[inside]] == cstart[inside]) & (ends[stop[inside] - 1] == cend[inside])
    return first, stop, ok


class SpanRegexLF(SpanLF):
    """Tags the tokens covered by the matches of regular expressions on the document's text.

    :func:`span_regex_lf` is this class. Matches are found on the text (so they may cross tokens or end inside
    one) and aligned to tokens by ``align`` (see :data:`ALIGNMENTS`). Over a batch the patterns run once on the
    joined corpus when they hold no anchors or lookarounds (documents a match would cross are searched alone).

    Parameters
    ----------
    name : str
    patterns : str, compiled pattern, or mapping
        One pattern (with ``label=``) or ``{pattern: type}``.
    label : str, optional
        The entity type of every match.
    case_sensitive : bool, default True
    group : int or str, default 0
        The group whose chars are the span (the whole match by default).
    align : {"expand", "contract", "strict"}, default "expand"
    tokenizer : str, default "whitespace"
        For strings the LF is called on.
    tags, description, version : optional

    Examples
    --------
    >>> lf = span_regex_lf("itis", r"\\w+itis\\b", label="Disease", case_sensitive=False)
    >>> lf("acute Hepatitis and nephritis .")
    [Span(start=1, end=2, label='Disease'), Span(start=3, end=4, label='Disease')]
    >>> span_regex_lf("amine", r"\\w+amine", label="Chemical")("dopamine-induced tremor")  # ends mid-token
    [Span(start=0, end=1, label='Chemical')]
    """

    kind = "span_regex"
    vectorised = True
    thread_safe = True
    compiled: tuple[tuple[re.Pattern[str], str], ...]
    group: int | str
    align: str
    joinable: bool

    def __init__(self, name: str, patterns: str | re.Pattern[str] | Mapping[str, str], *, label: str | None = None,
                 case_sensitive: bool = True, group: int | str = 0, align: str = "expand",
                 tokenizer: Tokenizer = "whitespace", tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        check_name(name)
        if align not in ALIGNMENTS:
            raise LFDefinitionError(f"span regex LF {name!r}: align must be one of {list(ALIGNMENTS)}; got {align!r}")
        if isinstance(patterns, (str, re.Pattern)):
            if label is None:
                raise LFDefinitionError(f"span regex LF {name!r}: pass label='TYPE' (the entity type of the matches)")
            table = {patterns.pattern if isinstance(patterns, re.Pattern) else patterns: label}
            base_flags = patterns.flags & ~re.UNICODE if isinstance(patterns, re.Pattern) else 0
        elif isinstance(patterns, Mapping) and patterns:
            table = {str(p): (label or str(t)) for p, t in patterns.items()}
            base_flags = 0
        else:
            raise LFDefinitionError(f"span regex LF {name!r}: patterns must be a pattern or a non-empty "
                                    f"{{pattern: type}} mapping; got {patterns!r}")
        flags = base_flags | (0 if case_sensitive else re.IGNORECASE)
        compiled = []
        for source, kind in table.items():
            try:
                pattern = re.compile(source, flags)
            except re.error as exc:
                raise LFDefinitionError(f"span regex LF {name!r}: invalid pattern {source!r}: {exc}") from None
            if isinstance(group, str) and group not in pattern.groupindex or \
                    isinstance(group, int) and not 0 <= group <= pattern.groups:
                raise LFDefinitionError(f"span regex LF {name!r}: the pattern {source!r} has no group {group!r}")
            compiled.append((pattern, kind))
        self._set(compiled=tuple(compiled), group=group, align=align,
                  joinable=not any(_UNSAFE.search(p.pattern) for p, _ in compiled))
        super().__init__(
            name, labels=list(table.values()),
            params={"patterns": table, "flags": flags, "group": group, "align": align},
            tags=tags, description=description or f"{len(table)} pattern(s), {align}ed to tokens",
            version=version, tokenizer=tokenizer,
        )

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The compiled patterns (they explain the spans in previews)."""
        return tuple(p for p, _ in self.compiled)

    def _matches(self, text: str) -> list[tuple[int, int, str]]:
        return [(m.start(self.group), m.end(self.group), kind) for pattern, kind in self.compiled
                for m in pattern.finditer(text) if m.start(self.group) >= 0]

    def spans(self, doc: SpanDoc) -> list[Span]:
        """The aligned matches in ``doc``, sorted, without duplicates."""
        found = [(s, e, k) for s, e, k in self._matches(doc.text) if e > s]
        if not found:
            return []
        cs, ce, kinds = (np.array([f[0] for f in found]), np.array([f[1] for f in found]), [f[2] for f in found])
        first, stop, ok = align_chars(cs, ce, np.asarray(doc.starts), np.asarray(doc.ends), self.align)
        return sorted({Span(int(a), int(b), kinds[i]) for i, (a, b) in enumerate(zip(first, stop)) if ok[i]})

    def spans_batch(self, docs: Sequence[SpanDoc]) -> list[list[Span]]:
        """The same spans as :meth:`spans`, each pattern searched once over the joined texts."""
        texts = [d.text for d in docs]
        if not self.joinable or len(docs) < 2 or any(_SEP in t for t in texts):
            return super().spans_batch(docs)
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        char_off = np.concatenate([[0], np.cumsum(lengths)])
        n_tok = np.fromiter((d.n_tokens for d in docs), dtype=np.int64, count=len(docs))
        tok_off = np.concatenate([[0], np.cumsum(n_tok)])
        starts = np.concatenate([np.asarray(d.starts, dtype=np.int64) + char_off[i] for i, d in enumerate(docs)]
                                + [np.zeros(0, dtype=np.int64)])
        ends = np.concatenate([np.asarray(d.ends, dtype=np.int64) + char_off[i] for i, d in enumerate(docs)]
                              + [np.zeros(0, dtype=np.int64)])
        joined = _SEP.join(texts)
        out: list[set[Span]] = [set() for _ in docs]
        redo: set[int] = set()
        for pattern, kind in self.compiled:
            whole, part = [], []
            for m in pattern.finditer(joined):
                if m.start(self.group) >= 0 and m.end(self.group) > m.start(self.group):
                    whole.append((m.start(), m.end()))
                    part.append((m.start(self.group), m.end(self.group)))
            if not part:
                continue
            w, p = np.array(whole, dtype=np.int64), np.array(part, dtype=np.int64)
            d_first = np.searchsorted(char_off, w[:, 0], side="right") - 1
            d_last = np.searchsorted(char_off, w[:, 1] - 1, side="right") - 1
            crossing = w[:, 1] > char_off[d_first + 1] - 1  # the match holds the separator after its document
            for a, b in zip(d_first[crossing].tolist(), d_last[crossing].tolist()):
                redo.update(range(a, min(max(b, a + 1), len(docs) - 1) + 1))  # search those documents alone
            first, stop, ok = align_chars(p[:, 0], p[:, 1], starts, ends, self.align)
            lo, hi = tok_off[d_first], tok_off[d_first + 1]
            ok &= ~crossing & (first >= lo) & (stop <= hi)
            for d, a, b in zip(d_first[ok].tolist(), (first - lo)[ok].tolist(), (stop - lo)[ok].tolist()):
                out[d].add(Span(a, b, kind))
        result = [sorted(s) for s in out]
        for d in sorted(redo):
            result[d] = self.spans(docs[d])
        return result


def span_regex_lf(name: str, patterns: str | re.Pattern[str] | Mapping[str, str], *, label: str | None = None,
                  case_sensitive: bool = True, group: int | str = 0, align: str = "expand",
                  tokenizer: Tokenizer = "whitespace", tags: Iterable[str] = (), description: str = "",
                  version: str | None = None) -> SpanRegexLF:
    """A :class:`SpanRegexLF`: tags the tokens covered by a pattern's matches.

    Examples
    --------
    >>> span_regex_lf("mab", {r"\\b\\w+mab\\b": "Chemical"})("given rituximab daily")
    [Span(start=1, end=2, label='Chemical')]
    """
    return SpanRegexLF(name, patterns, label=label, case_sensitive=case_sensitive, group=group, align=align,
                       tokenizer=tokenizer, tags=tags, description=description, version=version)

