"""Span votes: the spans each labeling function tagged in each document, and their token-level vote matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from weaksup.errors import DataError, LabelSpaceError, UnknownLFError, VoteMatrixError
from weaksup.labels import LabelSpace
from weaksup.spans.space import SpanSpace
from weaksup.spans.span import Span
from weaksup.spans.tags import keep_longest, paint_tags, span_rows_from_votes
from weaksup.spans.token_votes import TokenVotes
from weaksup.spans.votes_check import SPAN_COLUMNS, check_span_rows
from weaksup.votes import VoteMatrix

__all__ = ["SPAN_COLUMNS", "SpanVotes", "TokenVotes"]



def _split_lf_id(lf_id: str) -> tuple[str, str]:
    name, at, version = lf_id.rpartition("@")
    return (name, version) if at and name else (lf_id, "")


class SpanVotes:
    """The spans every LF tagged in every document; overlapping spans are normal.

    Parameters
    ----------
    n_tokens : array of int, shape (n_docs,)
        The number of tokens of each document.
    lf_ids : list of str
        One unique id per LF (``name@version``).
    space : SpanSpace
        The entity types and tag scheme.
    spans : pandas.DataFrame
        Columns ``doc`` (document index), ``lf`` (index into ``lf_ids``), ``start``, ``end`` (token
        offsets, end exclusive) and ``label`` (an entity type); one row per (doc, LF, span). Stored
        sorted by (doc, lf, start, end, type order) with exact repeats dropped.
    row_ids : sequence of str, optional
        The id of each document; ``"0", "1", ...`` by default.
    faults : mapping of str to int, optional
        Documents on which each LF raised and tagged nothing (fault-tolerant application).

    Examples
    --------
    >>> spans = pd.DataFrame({"doc": [0, 0, 1], "lf": [0, 1, 1], "start": [0, 0, 1], "end": [2, 1, 2],
    ...                       "label": ["Chemical", "Chemical", "Disease"]})
    >>> votes = SpanVotes([3, 2], ["dict@1", "regex@1"], SpanSpace(["Chemical", "Disease"]), spans)
    >>> votes.n_docs, votes.m, votes.doc_offsets.tolist()
    (2, 2, [0, 3, 5])
    >>> votes.lf_spans(1, "regex@1")
    [Span(start=1, end=2, label='Disease')]
    >>> votes.token_votes().values.tolist()
    [[1, 1], [2, -1], [-1, -1], [-1, -1], [-1, 3]]
    """

    def __init__(self, n_tokens: Sequence[int] | np.ndarray, lf_ids: Sequence[str], space: SpanSpace,
                 spans: pd.DataFrame, row_ids: Sequence[str] | None = None, *,
                 faults: Mapping[str, int] | None = None) -> None:
        if not isinstance(space, SpanSpace):
            raise LabelSpaceError(f"SpanVotes needs a SpanSpace; got {type(space).__name__}")
        self.space = space
        self.n_tokens = np.asarray(n_tokens, dtype=np.int64).reshape(-1)
        if len(self.n_tokens) and int(self.n_tokens.min()) < 0:
            raise DataError(f"n_tokens must be >= 0; document {int(np.argmin(self.n_tokens))} has "
                            f"{int(self.n_tokens.min())}")
        self.lf_ids = [str(x) for x in lf_ids]
        dupes = sorted({x for x in self.lf_ids if self.lf_ids.count(x) > 1})
        if dupes:
            raise VoteMatrixError(f"LF ids must be unique; repeated: {dupes}")
        n = len(self.n_tokens)
        self.row_ids = [str(i) for i in range(n)] if row_ids is None else [str(r) for r in row_ids]
        if len(self.row_ids) != n:
            raise DataError(f"{len(self.row_ids)} row_ids for {n} documents (one id per document)")
        self.faults = {_split_lf_id(x)[0]: 0 for x in self.lf_ids}
        self.faults.update({str(k): int(v) for k, v in (faults or {}).items()})
        self.spans, self._type_ids = check_span_rows(spans, self.n_tokens, self.lf_ids, self.row_ids, space)
        self._token_votes: TokenVotes | None = None

    # ------------------------------------------------------------------ basics
    @property
    def n_docs(self) -> int:
        """The number of documents."""
        return len(self.n_tokens)

    @property
    def m(self) -> int:
        """The number of LFs."""
        return len(self.lf_ids)

    @property
    def lf_names(self) -> list[str]:
        """The LF names (``lf_ids`` without ``@version``)."""
        return [_split_lf_id(x)[0] for x in self.lf_ids]

    @property
    def doc_offsets(self) -> np.ndarray:
        """``(n_docs + 1,)`` int64: where each document's tokens start in the token rows."""
        offsets: np.ndarray = np.zeros(self.n_docs + 1, dtype=np.int64)
        np.cumsum(self.n_tokens, out=offsets[1:])
        return offsets

    @property
    def type_ids(self) -> np.ndarray:
        """``(n_spans,)`` int64: the index of each span row's label in ``space.types``."""
        return self._type_ids

    def __repr__(self) -> str:
        return (f"SpanVotes(n_docs={self.n_docs}, tokens={int(self.n_tokens.sum())}, m={self.m}, "
                f"spans={len(self.spans)}, types={list(self.space.types)})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpanVotes):
            return NotImplemented
        return (self.space == other.space and self.lf_ids == other.lf_ids and self.row_ids == other.row_ids
                and np.array_equal(self.n_tokens, other.n_tokens)
                and self.spans.reset_index(drop=True).equals(other.spans.reset_index(drop=True)))

    __hash__ = None  # type: ignore[assignment]

    def lf_index(self, lf: int | str) -> int:
        """The column of an LF given by index, id (``name@version``) or name.

        Examples
        --------
        >>> SpanVotes([1], ["a@1", "b@2"], SpanSpace(["X"]), pd.DataFrame(columns=list(SPAN_COLUMNS))).lf_index("b")
        1
        """
        if isinstance(lf, (int, np.integer)) and not isinstance(lf, bool):
            if not 0 <= int(lf) < self.m:
                raise UnknownLFError(f"LF index {lf} is outside 0..{self.m - 1}")
            return int(lf)
        if lf in self.lf_ids:
            return self.lf_ids.index(str(lf))
        names = self.lf_names
        if names.count(str(lf)) == 1:
            return names.index(str(lf))
        raise UnknownLFError(f"no LF {lf!r} in these span votes; the LFs are {self.lf_ids}")

    def lf_spans(self, doc: int, lf: int | str) -> list[Span]:
        """The spans LF ``lf`` (index, id or name) tagged in document ``doc`` (sorted by start, end).

        Examples
        --------
        >>> votes = SpanVotes([3], ["a@1"], SpanSpace(["X"]), pd.DataFrame(
        ...     {"doc": [0, 0], "lf": [0, 0], "start": [2, 0], "end": [3, 1], "label": ["X", "X"]}))
        >>> votes.lf_spans(0, "a")
        [Span(start=0, end=1, label='X'), Span(start=2, end=3, label='X')]
        """
        if not 0 <= int(doc) < self.n_docs:
            raise DataError(f"document index {doc} is outside 0..{self.n_docs - 1}")
        j = self.lf_index(lf)
        docs = self.spans["doc"].to_numpy()
        lo, hi = np.searchsorted(docs, [doc, doc + 1])
        part = self.spans.iloc[lo:hi]
        part = part[part["lf"].to_numpy() == j]
        return [Span(int(s), int(e), str(t)) for s, e, t in
                zip(part["start"].to_numpy(), part["end"].to_numpy(), part["label"].to_numpy())]

    def lf_doc_spans(self, lf: int | str) -> list[list[Span]]:
        """The spans of one LF, one list per document (the shape of gold).

        Examples
        --------
        >>> votes = SpanVotes([3, 1], ["a@1"], SpanSpace(["X"]), pd.DataFrame(
        ...     {"doc": [1], "lf": [0], "start": [0], "end": [1], "label": ["X"]}))
        >>> votes.lf_doc_spans("a@1")
        [[], [Span(start=0, end=1, label='X')]]
        """
        j = self.lf_index(lf)
        part = self.spans[self.spans["lf"].to_numpy() == j]
        out: list[list[Span]] = [[] for _ in range(self.n_docs)]
        for d, s, e, t in zip(part["doc"].tolist(), part["start"].tolist(), part["end"].tolist(),
                              part["label"].tolist()):
            out[d].append(Span(s, e, t))
        return out

    # ------------------------------------------------------------------ subsets
    def take(self, docs: Sequence[int] | np.ndarray) -> SpanVotes:
        """The votes of the given documents (positions, repeats allowed, or a boolean mask), renumbered in that order.

        Examples
        --------
        >>> votes = SpanVotes([2, 1], ["a"], SpanSpace(["X"]), pd.DataFrame(
        ...     {"doc": [0, 1], "lf": [0, 0], "start": [0, 0], "end": [2, 1], "label": ["X", "X"]}))
        >>> votes.take([1]).spans[["doc", "start", "end"]].values.tolist(), votes.take([1]).row_ids
        ([[0, 0, 1]], ['1'])
        """
        idx = np.asarray(docs)
        if idx.dtype == bool:
            if idx.shape != (self.n_docs,):
                raise DataError(f"a document mask needs {self.n_docs} entries; got shape {idx.shape}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64).reshape(-1)
        if len(idx) and (int(idx.min()) < 0 or int(idx.max()) >= self.n_docs):
            raise DataError(f"document positions must be in 0..{self.n_docs - 1}; got {int(idx.min())}.."
                            f"{int(idx.max())}")
        ptr = np.searchsorted(self.spans["doc"].to_numpy(), np.arange(self.n_docs + 1))
        counts = ptr[idx + 1] - ptr[idx]
        first = np.cumsum(counts) - counts
        rows = np.repeat(ptr[idx] - first, counts) + np.arange(int(counts.sum()))
        part = self.spans.iloc[rows].reset_index(drop=True)
        part["doc"] = np.repeat(np.arange(len(idx), dtype=np.int64), counts)
        return SpanVotes(self.n_tokens[idx], self.lf_ids, self.space, part,
                         [self.row_ids[i] for i in idx.tolist()], faults=self.faults)

    @classmethod
    def concat(cls, parts: Sequence[SpanVotes]) -> SpanVotes:
        """The documents of several span votes one after the other (same LFs and space).

        Examples
        --------
        >>> a = SpanVotes([2], ["x"], SpanSpace(["A"]), pd.DataFrame(
        ...     {"doc": [0], "lf": [0], "start": [0], "end": [1], "label": ["A"]}), ["a"])
        >>> both = SpanVotes.concat([a, a.take([0])])
        >>> both.row_ids, both.spans["doc"].tolist()
        (['a', 'a'], [0, 1])
        """
        if not parts:
            raise DataError("SpanVotes.concat needs at least one SpanVotes")
        first = parts[0]
        for p in parts[1:]:
            if p.lf_ids != first.lf_ids or p.space != first.space:
                raise VoteMatrixError(f"SpanVotes.concat needs the same LFs and space; got {p.lf_ids} / "
                                      f"{p.space.types} after {first.lf_ids} / {first.space.types}")
        shift = np.cumsum([0] + [p.n_docs for p in parts[:-1]])
        frame = pd.concat([p.spans.assign(doc=p.spans["doc"].to_numpy() + k) for p, k in zip(parts, shift.tolist())],
                          ignore_index=True)
        faults = {k: sum(p.faults.get(k, 0) for p in parts) for k in first.faults}
        return cls(np.concatenate([p.n_tokens for p in parts]), first.lf_ids, first.space, frame,
                   [r for p in parts for r in p.row_ids], faults=faults)

    def select(self, lf_ids: Sequence[str | int]) -> SpanVotes:
        """The votes of the given LFs (ids, names or indices), in that order.

        Examples
        --------
        >>> votes = SpanVotes([1], ["a@1", "b@1"], SpanSpace(["X"]), pd.DataFrame(
        ...     {"doc": [0], "lf": [1], "start": [0], "end": [1], "label": ["X"]}))
        >>> votes.select(["b", "a@1"]).lf_ids, votes.select(["b"]).spans["lf"].tolist()
        (['b@1', 'a@1'], [0])
        """
        cols = [self.lf_index(x) for x in lf_ids]
        if len(set(cols)) != len(cols):
            raise VoteMatrixError(f"select() got an LF twice: {list(lf_ids)}")
        new = np.full(self.m, -1, dtype=np.int64)
        new[cols] = np.arange(len(cols))
        lf_col = new[self.spans["lf"].to_numpy()]
        part = self.spans[lf_col >= 0].copy()
        part["lf"] = lf_col[lf_col >= 0]
        ids = [self.lf_ids[j] for j in cols]
        names = {_split_lf_id(x)[0] for x in ids}
        return SpanVotes(self.n_tokens, ids, self.space, part, self.row_ids,
                         faults={k: v for k, v in self.faults.items() if k in names})

    # ------------------------------------------------------------------ token level
    def token_votes(self) -> TokenVotes:
        """The token-level votes (computed once, then cached read-only).

        Where one LF tagged overlapping spans in one document, the longest wins, then the earliest.

        Examples
        --------
        >>> votes = SpanVotes([4], ["a"], SpanSpace(["X", "Y"]), pd.DataFrame(
        ...     {"doc": [0, 0], "lf": [0, 0], "start": [0, 1], "end": [2, 4], "label": ["X", "Y"]}))
        >>> votes.token_votes().values[:, 0].tolist()
        [-1, 3, 4, 4]
        """
        if self._token_votes is None:
            offsets = self.doc_offsets
            values = np.full((int(offsets[-1]), self.m), -1, dtype=np.int8)
            doc = self.spans["doc"].to_numpy()
            lf = self.spans["lf"].to_numpy().astype(np.int64)
            starts = offsets[doc] + self.spans["start"].to_numpy()
            ends = offsets[doc] + self.spans["end"].to_numpy()
            keep = keep_longest(doc * max(self.m, 1) + lf, starts, ends)
            paint_tags(values, starts[keep], ends[keep], self._type_ids[keep], self.space, lf[keep])
            values.flags.writeable = False
            self._token_votes = TokenVotes(values, offsets, list(self.lf_ids), self.space)
        return self._token_votes

    def token_row_ids(self) -> np.ndarray:
        """The id of each token row (an object array): ``f"{row_id}#{i}"``, ``i`` the token's index in its document.

        Examples
        --------
        >>> SpanVotes([2, 1], ["a"], SpanSpace(["X"]), pd.DataFrame(columns=list(SPAN_COLUMNS)),
        ...           ["p", "q"]).token_row_ids().tolist()
        ['p#0', 'p#1', 'q#0']
        """
        return np.array([f"{r}#{i}" for r, n in zip(self.row_ids, self.n_tokens.tolist()) for i in range(n)],
                        dtype=object)

    def to_vote_matrix(self) -> VoteMatrix:
        """The token-level votes as a :class:`~weaksup.votes.VoteMatrix` (label space: the tags).

        Examples
        --------
        >>> votes = SpanVotes([2], ["a@1"], SpanSpace(["X"]), pd.DataFrame(
        ...     {"doc": [0], "lf": [0], "start": [0], "end": [2], "label": ["X"]}), ["d"])
        >>> vm = votes.to_vote_matrix()
        >>> vm.row_ids.tolist(), vm.values[:, 0].tolist(), vm.lf_ids
        (['d#0', 'd#1'], [1, 2], ['a@1'])
        >>> SpanVotes.from_vote_matrix(vm, votes.space, [2], ["d"]) == votes
        True
        """
        split = [_split_lf_id(x) for x in self.lf_ids]
        return VoteMatrix(np.array(self.token_votes().values), row_ids=self.token_row_ids(),
                          lf_names=[n for n, _ in split], lf_versions=[v for _, v in split],
                          label_space=LabelSpace(self.space.tags), faults=self.faults)

    @classmethod
    def from_vote_matrix(cls, vm: VoteMatrix, space: SpanSpace, n_tokens: Sequence[int] | np.ndarray,
                         row_ids: Sequence[str] | None = None) -> SpanVotes:
        """Span votes from token-level votes (each LF column's spans as :func:`spans_from_tags` finds them).

        ``0`` (``"O"``) and ``-1`` are no span; an ``I-`` tag after another type or no tag starts a
        span (BIO repair); spans never cross documents.

        Examples
        --------
        >>> vm = VoteMatrix([[2], [2], [0], [1]], lf_names=["a"])
        >>> SpanVotes.from_vote_matrix(vm, SpanSpace(["X"]), [3, 1]).spans[["doc", "start", "end"]].values.tolist()
        [[0, 0, 2], [1, 0, 1]]
        """
        n_tok = np.asarray(n_tokens, dtype=np.int64).reshape(-1)
        if len(vm) != int(n_tok.sum()):
            raise DataError(f"the vote matrix has {len(vm)} token rows but n_tokens sums to {int(n_tok.sum())}")
        offsets = np.r_[np.int64(0), np.cumsum(n_tok)]
        doc, lf, start, end, types = span_rows_from_votes(vm.values, offsets, space)
        frame = pd.DataFrame({"doc": doc, "lf": lf, "start": start, "end": end,
                              "label": pd.Categorical.from_codes(types, categories=list(space.types))})
        return cls(n_tok, vm.lf_ids, space, frame, row_ids, faults=vm.faults)
