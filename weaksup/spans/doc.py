"""Documents of a span task: text, tokens and the char offsets of each token; spans and token tags.

:class:`Span`, :class:`ScoredSpan`, :func:`tags_from_spans` and :func:`spans_from_tags` live in
:mod:`weaksup.spans.span` and :mod:`weaksup.spans.tags` and are importable from here.
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from weaksup.errors import ConfigError, DataError, ParameterError
from weaksup.spans.span import ScoredSpan, Span
from weaksup.spans.tags import spans_from_tags, tags_from_spans

__all__ = ["TOKENIZERS", "ScoredSpan", "Span", "SpanDoc", "Tokenizer", "spacy_tokenizer", "spans_from_tags",
           "tags_from_spans", "tokenize"]

#: The named tokenizers of :meth:`SpanDoc.from_text`.
TOKENIZERS = ("whitespace", "regex", "spacy")

#: A tokenizer: a name of :data:`TOKENIZERS` or a callable ``text -> [(char_start, char_end), ...]``.
Tokenizer = str | Callable[[str], Sequence[tuple[int, int]]]

_WHITESPACE = re.compile(r"\S+")
_REGEX = re.compile(r"\w+|[^\w\s]")


@functools.lru_cache(maxsize=1)
def spacy_tokenizer() -> Any:
    """The tokenizer of ``spacy.blank("en")``, made once (ConfigError naming the extra when spaCy is missing).

    Examples
    --------
    >>> [t.text for t in spacy_tokenizer()("isn't")]  # doctest: +SKIP
    ['is', "n't"]
    """
    try:
        import spacy
    except ImportError as exc:
        raise ConfigError(f"the 'spacy' tokenizer needs spaCy, which is not installed ({exc}); run "
                          f"`pip install weaksup[spacy]` or use tokenizer='regex'") from None
    return spacy.blank("en").tokenizer


def tokenize(text: str, tokenizer: Tokenizer = "whitespace") -> list[tuple[int, int]]:
    """The char offsets ``(start, end)`` of the tokens of ``text``.

    Parameters
    ----------
    text : str
    tokenizer : {"whitespace", "regex", "spacy"} or callable
        ``"whitespace"``: runs of non-space characters; ``"regex"``: ``\\w+|[^\\w\\s]`` (words and single
        punctuation marks); ``"spacy"``: the tokenizer of ``spacy.blank("en")`` (whitespace-only tokens
        dropped); a callable returns the char offsets itself (sorted, non-overlapping, non-empty).

    Examples
    --------
    >>> tokenize("Aspirin-induced  asthma.", "regex")
    [(0, 7), (7, 8), (8, 15), (17, 23), (23, 24)]
    >>> tokenize("Aspirin-induced  asthma.")
    [(0, 15), (17, 24)]
    """
    if not isinstance(text, str):
        raise DataError(f"a span document's text must be a string; got {type(text).__name__}")
    if callable(tokenizer):
        return _check_offsets(text, tokenizer(text), tokenizer)
    if tokenizer == "whitespace":
        return [m.span() for m in _WHITESPACE.finditer(text)]
    if tokenizer == "regex":
        return [m.span() for m in _REGEX.finditer(text)]
    if tokenizer == "spacy":
        return [(t.idx, t.idx + len(t.text)) for t in spacy_tokenizer()(text) if not t.is_space]
    raise ParameterError(f"unknown tokenizer {tokenizer!r}; use one of {list(TOKENIZERS)} or a callable "
                         f"text -> [(char_start, char_end), ...]")


def _check_offsets(text: str, offsets: Any, tokenizer: Any) -> list[tuple[int, int]]:
    name = getattr(tokenizer, "__name__", repr(tokenizer))
    try:
        pairs = [(int(s), int(e)) for s, e in offsets]
    except (TypeError, ValueError):
        raise DataError(f"tokenizer {name} must return (char_start, char_end) pairs; got {offsets!r:.200}") from None
    prev_end = 0
    for i, (s, e) in enumerate(pairs):
        if not prev_end <= s < e <= len(text):
            raise DataError(f"tokenizer {name}: token {i} has char offsets ({s}, {e}), not a non-empty range after "
                            f"the previous token's end {prev_end} within the text's {len(text)} characters")
        prev_end = e
    return pairs


@dataclass(frozen=True)
class SpanDoc:
    """A document: its text, its tokens and the char offsets ``[start, end)`` of each token.

    Examples
    --------
    >>> doc = SpanDoc.from_text("Aspirin causes asthma.", tokenizer="regex")
    >>> doc.tokens, doc.n_tokens
    (('Aspirin', 'causes', 'asthma', '.'), 4)
    >>> doc.char_span(Span(2, 3, "Disease")), doc.token_span(8, 17)
    ((15, 21), (1, 3))
    >>> SpanDoc.from_tokens(["copper", "toxicosis"]).text
    'copper toxicosis'
    """

    text: str
    tokens: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __post_init__(self) -> None:
        n = len(self.tokens)
        if len(self.starts) != n or len(self.ends) != n:
            raise DataError(f"a SpanDoc needs one char start and end per token; got {n} tokens, "
                            f"{len(self.starts)} starts and {len(self.ends)} ends")

    @property
    def n_tokens(self) -> int:
        """The number of tokens."""
        return len(self.tokens)

    @classmethod
    def from_text(cls, text: str, tokenizer: Tokenizer = "whitespace") -> SpanDoc:
        """Tokenize ``text`` (see :func:`tokenize` for the tokenizers).

        Examples
        --------
        >>> SpanDoc.from_text("the laptop's battery", tokenizer="regex").tokens
        ('the', 'laptop', "'", 's', 'battery')
        >>> SpanDoc.from_text("the laptop's battery", tokenizer="spacy").tokens  # doctest: +SKIP
        ('the', 'laptop', "'s", 'battery')
        """
        offsets = tokenize(text, tokenizer)
        starts = tuple(s for s, _ in offsets)
        ends = tuple(e for _, e in offsets)
        return cls(text, tuple(text[s:e] for s, e in offsets), starts, ends)

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> SpanDoc:
        """A document of given tokens; its text is the tokens joined by one space (the WRENCH span data).

        Examples
        --------
        >>> SpanDoc.from_tokens(["a", "bc"]).starts
        (0, 2)
        """
        if isinstance(tokens, str):
            raise DataError("SpanDoc.from_tokens takes a list of tokens, not a string; use SpanDoc.from_text")
        toks = tuple(tokens)
        if not set(map(type, toks)) <= {str}:
            bad = next(i for i, t in enumerate(toks) if not isinstance(t, str))
            raise DataError(f"tokens must be strings; token {bad} is {toks[bad]!r}")
        lengths = list(map(len, toks))
        ends = list(accumulate(n + 1 for n in lengths))  # each token's end + 1 (the space after it)
        return cls(" ".join(toks), toks, tuple(map(operator.sub, ends, [n + 1 for n in lengths])),
                   tuple(e - 1 for e in ends))

    def char_span(self, span: Span | ScoredSpan | tuple[int, int, str]) -> tuple[int, int]:
        """The char offsets ``(start, end)`` of a token span (end exclusive).

        Examples
        --------
        >>> SpanDoc.from_tokens(["a", "bc", "d"]).char_span(Span(1, 3, "X"))
        (2, 6)
        """
        start, end = int(span[0]), int(span[1])
        if not 0 <= start < end <= self.n_tokens:
            raise DataError(f"span {tuple(span)} is not a non-empty token range of this document of "
                            f"{self.n_tokens} tokens (start < end <= n_tokens, end exclusive)")
        return self.starts[start], self.ends[end - 1]

    def token_span(self, cstart: int, cend: int) -> tuple[int, int] | None:
        """The token range ``(start, end)`` of the tokens overlapping the chars ``[cstart, cend)``; None when none.

        Examples
        --------
        >>> doc = SpanDoc.from_tokens(["a", "bc", "d"])
        >>> doc.token_span(3, 4), doc.token_span(1, 2), doc.token_span(0, 6)
        ((1, 2), None, (0, 3))
        """
        if cstart >= cend:
            return None
        first = bisect.bisect_right(self.ends, cstart)  # the first token ending after cstart
        last = bisect.bisect_left(self.starts, cend)  # the first token starting at or after cend
        return (first, last) if first < last else None
