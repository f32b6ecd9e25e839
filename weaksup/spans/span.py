"""A span: ``(start, end, label)`` in token offsets, ``end`` exclusive; a scored span adds a confidence."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ScoredSpan", "Span"]


class Span(NamedTuple):
    """A labelled token range ``[start, end)`` of one document.

    Examples
    --------
    >>> Span(4, 6, "Disease")
    Span(start=4, end=6, label='Disease')
    >>> Span(4, 6, "Disease").end - Span(4, 6, "Disease").start
    2
    """

    start: int
    end: int
    label: str


class ScoredSpan(NamedTuple):
    """A predicted span with its confidence (the probability of its tokens' tags, as the model documents).

    Examples
    --------
    >>> s = ScoredSpan(0, 2, "Chemical", 0.9)
    >>> Span(*s[:3]), s.confidence
    (Span(start=0, end=2, label='Chemical'), 0.9)
    """

    start: int
    end: int
    label: str
    confidence: float
