"""Token-level span votes: the tag id of each LF's span on each token (made by ``SpanVotes.token_votes``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from weaksup.spans.space import SpanSpace

__all__ = ["TokenVotes"]


@dataclass(frozen=True)
class TokenVotes:
    """Token-level span votes: one row per token (documents end to end), one column per LF.

    ``values[t, j]`` is the tag id (of ``space``) of LF ``j``'s span on token ``t``, ``-1`` where the
    LF tagged no span on that token. Document ``d`` is ``values[doc_offsets[d]:doc_offsets[d + 1]]``.

    Examples
    --------
    >>> tv = TokenVotes(np.array([[-1], [1], [2]], dtype=np.int8), np.array([0, 3]), ["g@1"], SpanSpace(["A"]))
    >>> tv.n_docs, tv.doc(0)[:, 0].tolist(), tv.type_values()[:, 0].tolist()
    (1, [-1, 1, 2], [-1, 0, 0])
    """

    values: np.ndarray
    doc_offsets: np.ndarray
    lf_ids: list[str]
    space: SpanSpace

    @property
    def n_docs(self) -> int:
        """The number of documents."""
        return len(self.doc_offsets) - 1

    def doc(self, d: int) -> np.ndarray:
        """The ``(n_tokens, m)`` votes of document ``d``.

        Examples
        --------
        >>> TokenVotes(np.array([[1], [-1]], dtype=np.int8), np.array([0, 1, 2]), ["a"], SpanSpace(["A"])).doc(1)
        array([[-1]], dtype=int8)
        """
        return self.values[self.doc_offsets[d]:self.doc_offsets[d + 1]]

    def type_values(self) -> np.ndarray:
        """``(T, m)`` int8: the entity type index of each vote (B/I merged), ``-1`` where the LF tagged nothing.

        Examples
        --------
        >>> space = SpanSpace(["A", "B"])
        >>> TokenVotes(np.array([[3, -1], [4, 1]], dtype=np.int8), np.array([0, 2]), ["x", "y"], space).type_values()
        array([[ 1, -1],
               [ 1,  0]], dtype=int8)
        """
        table = np.r_[-1, self.space.tag_type_ids].astype(np.int8)
        return np.asarray(table[self.values.astype(np.int64) + 1])
