"""Decoding token tag marginals to spans that respect the tagging scheme, each with a confidence.

The token marginals of a span label model are ``(T, n_tags)`` probabilities (tags of a
:class:`~weaksup.spans.space.SpanSpace`, tokens in document order). :func:`viterbi_tags` finds,
per document, the tag sequence with the highest sum of log marginals among the valid ones (in BIO
an ``I-T`` only follows ``B-T`` or ``I-T``); :func:`spans_with_confidence` reads the spans off it.

A span's confidence is the probability of its tags: the product of the marginals of its tokens'
tags (``B-T`` then ``I-T``...) and of the next token not continuing it (not ``I-T``), read as if the
tokens were independent; a model fitted with dev gold then applies the temperature it fitted on
dev spans (:func:`span_temperature`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from weaksup.calibration import apply_temperature, fit_temperature
from weaksup.spans.span import ScoredSpan
from weaksup.spans.space import SpanSpace

__all__ = ["allowed_transitions", "doc_chunks", "span_temperature", "spans_with_confidence", "tempered",
           "types_to_tags", "viterbi_tags"]

#: Documents decoded (or run through forward-backward) at once, padded to the longest of them.
CHUNK_TOKENS = 1 << 18
#: Smallest probability a log is taken of.
EPS = 1e-12


def allowed_transitions(space: SpanSpace) -> tuple[np.ndarray, np.ndarray]:
    """``(start, trans)`` boolean masks of the valid first tags and tag bigrams of ``space``.

    Examples
    --------
    >>> start, trans = allowed_transitions(SpanSpace(["A"]))
    >>> start.tolist(), trans.astype(int).tolist()
    ([True, True, False], [[1, 1, 0], [1, 1, 1], [1, 1, 1]])
    """
    n = space.n_tags
    start = np.ones(n, dtype=bool)
    trans = np.ones((n, n), dtype=bool)
    if space.scheme == "BIO":
        types = space.tag_type_ids
        for inside, t in zip(space.inside_ids, range(space.n_types)):
            start[inside] = False
            trans[:, inside] = types == t
    return start, trans


def doc_chunks(offsets: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Groups of documents of similar length: ``(docs, index, lengths)`` with ``index`` the ``(D, Tmax)``
    global token ids (padded with the doc's last token) and ``lengths`` ``(D,)``; empty documents skipped.

    Examples
    --------
    >>> [(d.tolist(), i.tolist()) for d, i, _ in doc_chunks(np.array([0, 2, 2, 3]))]
    [([2, 0], [[2, 2], [0, 1]])]
    """
    lengths = np.diff(offsets)
    order = np.argsort(lengths, kind="stable")
    order = order[lengths[order] > 0]
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and (stop - start + 1) * lengths[order[stop]] <= CHUNK_TOKENS:
            stop += 1
        docs = order[start:stop]
        width = int(lengths[docs[-1]])
        steps = np.minimum(np.arange(width)[None, :], lengths[docs][:, None] - 1)
        yield docs, offsets[docs][:, None] + steps, lengths[docs]
        start = stop


def viterbi_tags(proba: np.ndarray, offsets: np.ndarray, space: SpanSpace) -> np.ndarray:
    """The valid tag sequence of each document maximising the sum of its tokens' log marginals.

    Parameters
    ----------
    proba : array of float, shape (T, n_tags)
        Token tag marginals.
    offsets : array of int, shape (n_docs + 1,)
        Document boundaries in the token axis.
    space : SpanSpace

    Returns
    -------
    numpy.ndarray
        ``(T,)`` int16 tag ids.

    Examples
    --------
    >>> p = np.array([[0.4, 0.0, 0.6], [0.1, 0.5, 0.4]])  # "I" first is invalid: O B beats I I
    >>> viterbi_tags(p, np.array([0, 2]), SpanSpace(["A"])).tolist()
    [0, 1]
    """
    start, trans = allowed_transitions(space)
    log_start = np.where(start, 0.0, -1e9)
    log_trans = np.where(trans, 0.0, -1e9)
    logp = np.log(np.clip(proba, EPS, 1.0))
    tags = np.zeros(len(proba), dtype=np.int16)
    for _docs, index, lengths in doc_chunks(offsets):
        n_docs, width = index.shape
        rows = np.arange(n_docs)
        back = np.zeros((n_docs, width, space.n_tags), dtype=np.int16)
        delta = logp[index[:, 0]] + log_start
        final = delta.copy()
        for t in range(1, width):
            cand = delta[:, :, None] + log_trans[None]
            back[:, t] = cand.argmax(axis=1)
            delta = cand.max(axis=1) + logp[index[:, t]]
            ends = lengths == t + 1
            final[ends] = delta[ends]
        current = final.argmax(axis=1)
        path = np.zeros((n_docs, width), dtype=np.int16)
        for t in range(width - 1, -1, -1):
            inside = t < lengths - 1
            current = np.where(inside, back[rows, np.minimum(t + 1, width - 1), current], current)
            current = np.where(t == lengths - 1, final.argmax(axis=1), current)
            path[:, t] = current
        valid = np.arange(width)[None, :] < lengths[:, None]
        tags[index[valid]] = path[valid]
    return tags


def spans_with_confidence(tags: np.ndarray, proba: np.ndarray, offsets: np.ndarray, space: SpanSpace,
                          temperature: float = 1.0) -> list[list[ScoredSpan]]:
    """The spans of valid ``tags`` per document, each with the probability of its tags (see the module doc).

    An ``I-T`` after ``O`` or another type starts a span (so any tag sequence reads as spans).

    Examples
    --------
    >>> space = SpanSpace(["A"])
    >>> p = np.array([[0.1, 0.9, 0.0], [0.2, 0.0, 0.8], [0.5, 0.5, 0.0]])
    >>> spans_with_confidence(np.array([1, 2, 0]), p, np.array([0, 3]), space)[0]
    [ScoredSpan(start=0, end=2, label='A', confidence=0.72)]
    """
    types = space.tag_type_ids
    inside = np.zeros(space.n_tags, dtype=np.int64)
    inside[1:] = space.inside_ids[types[1:]]
    tag_p = np.log(np.clip(proba[np.arange(len(tags)), tags], EPS, 1.0))
    out: list[list[ScoredSpan]] = []
    for d in range(len(offsets) - 1):
        lo, hi = int(offsets[d]), int(offsets[d + 1])
        t = tags[lo:hi].astype(np.int64)
        ty = types[t]
        prev = np.r_[-1, ty[:-1]]
        begins = (ty >= 0) & ((ty != prev) | space.tag_is_begin[t])
        starts = np.flatnonzero(begins)
        doc: list[ScoredSpan] = []
        for s in starts:
            e = s + 1
            while e < len(t) and ty[e] == ty[s] and not space.tag_is_begin[t[e]]:
                e += 1
            log_conf = float(tag_p[lo + s:lo + e].sum())
            if e < len(t):
                log_conf += float(np.log(max(1.0 - proba[lo + e, inside[t[s]]], EPS)))
            conf = tempered(float(np.exp(log_conf)), temperature)
            doc.append(ScoredSpan(int(s), int(e), space.types[ty[s]], round(conf, 6)))
        out.append(doc)
    return out


def tempered(confidence: float, temperature: float) -> float:
    """A span confidence at ``temperature`` (the two outcomes "right" and "wrong" through
    :func:`weaksup.calibration.apply_temperature`).

    Examples
    --------
    >>> round(tempered(0.9, 2.0), 3), tempered(0.9, 1.0)
    (0.75, 0.9)
    """
    if temperature == 1.0:
        return confidence
    return float(apply_temperature(np.array([[1.0 - confidence, confidence]]), temperature)[0, 1])


def span_temperature(pred: Sequence[Sequence[ScoredSpan]], gold: Sequence[Sequence[tuple[int, int, str]]]) -> float:
    """The temperature that best fits the confidences of ``pred`` to whether each span is in ``gold`` exactly.

    ``pred`` must come from a model that did not learn from these documents' gold (out-of-fold).

    Examples
    --------
    >>> pred = [[ScoredSpan(0, 1, "A", 0.99), ScoredSpan(2, 3, "A", 0.99)]]
    >>> round(span_temperature(pred, [[(0, 1, "A")]]), 1) > 1.0
    True
    """
    conf: list[float] = []
    hit: list[int] = []
    for p_doc, g_doc in zip(pred, gold):
        keys = {(int(s), int(e), str(label)) for s, e, label in g_doc}
        for span in p_doc:
            conf.append(span.confidence)
            hit.append(int((span.start, span.end, span.label) in keys))
    if not conf or len(set(hit)) < 2:
        return 1.0
    c = np.clip(np.asarray(conf), 1e-6, 1 - 1e-6)
    return float(fit_temperature(np.c_[1 - c, c], np.asarray(hit)))


def types_to_tags(type_proba: np.ndarray, offsets: np.ndarray, space: SpanSpace) -> np.ndarray:
    """Tag marginals from ``(T, 1 + n_types)`` type marginals (column 0: outside any span).

    In BIO the mass of type ``c`` at a token splits into ``B-c`` and ``I-c`` by the previous token's
    probability of ``c`` (a document's first token: all ``B-c``).

    Examples
    --------
    >>> tp = np.array([[0.2, 0.8], [0.5, 0.5]])
    >>> types_to_tags(tp, np.array([0, 2]), SpanSpace(["A"])).round(2).tolist()
    [[0.2, 0.8, 0.0], [0.5, 0.1, 0.4]]
    """
    if space.scheme == "IO":
        return np.asarray(type_proba, dtype=np.float64).copy()
    prev = np.zeros_like(type_proba)
    prev[1:] = type_proba[:-1]
    prev[offsets[:-1][offsets[:-1] < len(type_proba)]] = 0.0
    out = np.zeros((len(type_proba), space.n_tags))
    out[:, 0] = type_proba[:, 0]
    for c in range(space.n_types):
        mass = type_proba[:, c + 1]
        out[:, space.begin_ids[c]] = mass * (1.0 - prev[:, c + 1])
        out[:, space.inside_ids[c]] = mass * prev[:, c + 1]
    return out
