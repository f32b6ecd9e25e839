"""Spans to token tags and back, vectorised over many documents (and many LFs) at once.

The array functions work on *global* token positions: the tokens of all documents laid end to end,
document ``d`` covering ``doc_offsets[d]:doc_offsets[d + 1]``. :func:`tags_from_spans` and
:func:`spans_from_tags` are their one-document forms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from weaksup.errors import DataError, LabelSpaceError
from weaksup.spans.space import SpanSpace
from weaksup.spans.span import Span

__all__ = ["keep_longest", "paint_tags", "span_arrays_from_tags", "span_rows_from_votes", "spans_from_tags",
           "tags_from_spans"]


def keep_longest(groups: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which spans to keep so no two spans of one group overlap: the longest wins, then the first.

    Spans are considered longest first (ties: lower index first) and kept unless they overlap a
    span already kept, as spaCy's ``filter_spans``. Groups without overlaps (nearly all) are
    decided with array operations; only groups with an overlap are walked in Python.

    Parameters
    ----------
    groups, starts, ends : int arrays of shape (n,)
        The group of each span (e.g. a document, or a document and an LF) and its ``[start, end)``.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)

    Examples
    --------
    >>> keep_longest(np.array([0, 0, 0, 1]), np.array([0, 1, 4, 1]), np.array([2, 4, 5, 4])).tolist()
    [False, True, True, True]
    """
    groups, starts, ends = (np.asarray(a, dtype=np.int64) for a in (groups, starts, ends))
    keep = np.ones(len(starts), dtype=bool)
    if len(starts) < 2:
        return keep
    order = np.lexsort((starts, groups))
    g, s, e = groups[order], starts[order], ends[order]
    clash = (g[1:] == g[:-1]) & (s[1:] < e[:-1])  # sorted by start: any overlap shows between neighbours
    if not clash.any():
        return keep
    bad = np.isin(groups, np.unique(g[1:][clash]))
    idx = np.flatnonzero(bad)
    lengths = ends[idx] - starts[idx]
    by_group: dict[int, list[int]] = {}
    for i in idx[np.lexsort((idx, -lengths, groups[idx]))].tolist():  # per group: longest, then first
        by_group.setdefault(int(groups[i]), []).append(i)
    for members in by_group.values():
        kept: list[tuple[int, int]] = []
        for i in members:
            si, ei = int(starts[i]), int(ends[i])
            if any(si < ke and ks < ei for ks, ke in kept):
                keep[i] = False
            else:
                kept.append((si, ei))
    return keep


def paint_tags(out: np.ndarray, starts: np.ndarray, ends: np.ndarray, type_ids: np.ndarray, space: SpanSpace,
               columns: np.ndarray | None = None) -> np.ndarray:
    """Write the tags of spans into ``out`` (the spans must not overlap within a column).

    Parameters
    ----------
    out : numpy.ndarray, shape (T,) or (T, m)
        The tag array to fill (positions outside the spans are left as they are).
    starts, ends : int arrays of shape (n,)
        Global token positions of each span, ``end`` exclusive.
    type_ids : int array of shape (n,)
        The index of each span's type in ``space.types``.
    space : SpanSpace
    columns : int array of shape (n,), optional
        The column of ``out`` of each span (2-D ``out``).

    Returns
    -------
    numpy.ndarray
        ``out``.

    Examples
    --------
    >>> space = SpanSpace(["A", "B"])
    >>> paint_tags(np.zeros(6, dtype=np.int8), np.array([1, 4]), np.array([3, 5]), np.array([0, 1]), space).tolist()
    [0, 1, 2, 0, 3, 0]
    """
    starts, ends, type_ids = (np.asarray(a, dtype=np.int64) for a in (starts, ends, type_ids))
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return out
    first = np.cumsum(lengths) - lengths
    pos = np.repeat(starts - first, lengths) + np.arange(total)
    tags = np.repeat(space.inside_ids[type_ids], lengths)
    tags[first] = space.begin_ids[type_ids]
    if columns is None:
        out[pos] = tags
    else:
        out[pos, np.repeat(np.asarray(columns, dtype=np.int64), lengths)] = tags
    return out


def span_arrays_from_tags(tags: np.ndarray, doc_offsets: np.ndarray | None,
                          space: SpanSpace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The spans of a tag sequence, with BIO repair: ``(starts, ends, type_ids)`` in global positions.

    A span starts at a ``B-T`` tag, or at an ``I-T`` tag after ``O``, after another type or at a
    document start (BIO repair; in IO every run of one type is a span); it goes on over the
    following ``I-T`` tags. ``-1`` (no tag) counts as ``"O"``. Spans never cross ``doc_offsets``.

    Examples
    --------
    >>> space = SpanSpace(["A", "B"])
    >>> [a.tolist() for a in span_arrays_from_tags(np.array([2, 2, 1, 4, 0, 2, 2]), np.array([0, 6, 7]), space)]
    [[0, 2, 3, 5, 6], [2, 3, 4, 6, 7], [0, 0, 1, 0, 0]]
    """
    tags = np.asarray(tags)
    if tags.ndim != 1:
        raise DataError(f"span tags must be one tag id per token (1-D); got shape {tags.shape}")
    if len(tags) and (int(tags.min()) < -1 or int(tags.max()) >= space.n_tags):
        bad = int(tags.min()) if int(tags.min()) < -1 else int(tags.max())
        raise LabelSpaceError(f"tag id {bad} is outside -1..{space.n_tags - 1} ({list(space.tags)}, -1 = no tag)")
    ids = tags.astype(np.int64) + 1
    typ = np.r_[-1, space.tag_type_ids][ids]
    begin = np.r_[False, space.tag_is_begin][ids]
    prev = np.empty_like(typ)
    prev[:1] = -1
    prev[1:] = typ[:-1]
    if doc_offsets is not None:
        heads = np.asarray(doc_offsets, dtype=np.int64)[:-1]
        prev[heads[heads < len(typ)]] = -1
    tagged = typ >= 0
    start = tagged & (begin | (typ != prev))
    cont = tagged & ~start
    last = tagged & ~np.r_[cont[1:], False]
    starts = np.flatnonzero(start)
    return starts, np.flatnonzero(last) + 1, typ[starts]


def span_rows_from_votes(values: np.ndarray, doc_offsets: np.ndarray,
                         space: SpanSpace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spans of every LF column of token votes: ``(doc, lf, start, end, type_ids)``, sorted by (lf, position).

    Works on the tagged cells only (``values > 0``; ``0`` = ``"O"`` and ``-1`` = no tag are no span), so the
    cost follows the number of tagged cells, not tokens x LFs. The rules are those of
    :func:`span_arrays_from_tags` (BIO repair; spans never cross a document border); ``start``/``end`` are
    token offsets within the document.

    Examples
    --------
    >>> space = SpanSpace(["A", "B"])
    >>> votes = np.array([[1, -1], [2, 3], [2, 4], [-1, 2]])
    >>> [a.tolist() for a in span_rows_from_votes(votes, np.array([0, 2, 4]), space)]
    [[0, 1, 0, 1, 1], [0, 0, 1, 1, 1], [0, 0, 1, 0, 1], [2, 1, 2, 1, 2], [0, 0, 1, 1, 0]]
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise DataError(f"token votes must be (tokens, LFs); got shape {values.shape}")
    if values.size and (int(values.min()) < -1 or int(values.max()) >= space.n_tags):
        raise LabelSpaceError(f"token votes hold tag ids outside -1..{space.n_tags - 1} ({list(space.tags)})")
    offsets = np.asarray(doc_offsets, dtype=np.int64)
    lf, pos = np.nonzero(values.T > 0)
    tag = values[pos, lf].astype(np.int64)
    typ = space.tag_type_ids[tag]
    doc = np.searchsorted(offsets, pos, side="right") - 1
    joined = (lf[1:] == lf[:-1]) & (pos[1:] == pos[:-1] + 1) & (doc[1:] == doc[:-1]) & (typ[1:] == typ[:-1])
    start = np.r_[True, ~joined] | space.tag_is_begin[tag]
    last = np.r_[start[1:], True]
    first_at, last_at = np.flatnonzero(start), np.flatnonzero(last)
    d = doc[first_at]
    return d, lf[first_at], pos[first_at] - offsets[d], pos[last_at] + 1 - offsets[d], typ[first_at]


def _check_spans(spans: Sequence[Span], n_tokens: int, space: SpanSpace) -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray]:
    starts = np.fromiter((int(s[0]) for s in spans), dtype=np.int64, count=len(spans))
    ends = np.fromiter((int(s[1]) for s in spans), dtype=np.int64, count=len(spans))
    type_ids = np.fromiter((space.type_id(s[2]) for s in spans), dtype=np.int64, count=len(spans))
    bad = np.flatnonzero((starts < 0) | (ends > n_tokens) | (starts >= ends))
    if len(bad):
        raise DataError(f"span {tuple(spans[int(bad[0])])} is not a non-empty token range of a document of "
                        f"{n_tokens} tokens (start < end <= n_tokens, end exclusive)")
    return starts, ends, type_ids


def tags_from_spans(spans: Sequence[Span], n_tokens: int, space: SpanSpace) -> np.ndarray:
    """The token tags of one document's spans (overlaps: the longest span wins, then the first listed).

    Parameters
    ----------
    spans : sequence of Span (or ``(start, end, label)`` tuples)
        Token offsets, ``end`` exclusive.
    n_tokens : int
    space : SpanSpace

    Returns
    -------
    numpy.ndarray of int16, shape (n_tokens,)
        Tag ids of ``space`` (0 = ``"O"``).

    Examples
    --------
    >>> space = SpanSpace(["A", "B"])
    >>> tags_from_spans([Span(0, 2, "A"), Span(1, 4, "B"), Span(4, 5, "A")], 6, space).tolist()
    [0, 3, 4, 4, 1, 0]
    """
    starts, ends, type_ids = _check_spans(spans, n_tokens, space)
    keep = keep_longest(np.zeros(len(starts), dtype=np.int64), starts, ends)
    out = np.zeros(n_tokens, dtype=np.int16)
    return paint_tags(out, starts[keep], ends[keep], type_ids[keep], space)


def spans_from_tags(tags: Sequence[int] | np.ndarray, space: SpanSpace) -> list[Span]:
    """The spans of one document's token tags, with BIO repair (see :func:`span_arrays_from_tags`).

    Examples
    --------
    >>> space = SpanSpace(["A", "B"])
    >>> spans_from_tags([0, 2, 2, 4, 3, 0], space)
    [Span(start=1, end=3, label='A'), Span(start=3, end=4, label='B'), Span(start=4, end=5, label='B')]
    """
    starts, ends, type_ids = span_arrays_from_tags(np.asarray(tags, dtype=np.int64), None, space)
    return [Span(s, e, space.types[t]) for s, e, t in zip(starts.tolist(), ends.tolist(), type_ids.tolist())]
