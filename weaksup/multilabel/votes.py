"""Multi-label votes: ``n`` rows x ``m`` LFs x ``k`` labels, each cell yes (1), no (0) or abstain (-1).

Stored through today's :class:`~weaksup.votes.VoteMatrix`: one int8 column per (LF, label) pair the LF
ever votes on, named ``"{lf_id}::{label}"`` (:meth:`MultiLabelVotes.to_vote_matrix`), so row ids,
storage (npz / Parquet) and the classification summaries carry over.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.errors import VoteMatrixError
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.votes import VoteMatrix

#: What separates the LF id from the label in a stored column name.
SEP = "::"
YES, NO, ABSTAIN = 1, 0, -1


class MultiLabelVotes:
    """Votes of ``m`` LFs on ``n`` rows for each of the ``k`` labels of a :class:`MultiLabelSpace`.

    Parameters
    ----------
    values : array-like of int, shape (n, m, k)
        ``1`` yes, ``0`` no, ``-1`` abstain; stored as int8.
    lf_ids : sequence of str
        One unique id per LF (``name@version``).
    space : MultiLabelSpace
        The labels (``k`` of them, in column order).
    row_ids : array-like, shape (n,), optional
        The id of each row; ``0..n-1`` by default.

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> votes = MultiLabelVotes([[[1, -1], [-1, 0]], [[-1, -1], [-1, 1]]], ["kw_joy@1", "kw_anger@1"], space)
    >>> votes.n, votes.m, votes.k
    (2, 2, 2)
    >>> votes.binary("anger").tolist()
    [[-1, 0], [-1, 1]]
    >>> MultiLabelVotes.from_vote_matrix(votes.to_vote_matrix(), space) == votes
    True
    """

    def __init__(self, values: Any, lf_ids: Sequence[str], space: MultiLabelSpace, row_ids: Any = None) -> None:
        if not isinstance(space, MultiLabelSpace):
            raise VoteMatrixError(f"space must be a MultiLabelSpace; got {type(space).__name__}")
        arr = np.asarray(values)
        if arr.ndim != 3:
            raise VoteMatrixError(f"multi-label votes must be an (n, m, k) array; got shape {arr.shape}")
        if arr.shape[2] != space.k:
            raise VoteMatrixError(f"votes have {arr.shape[2]} label columns but the space has {space.k} labels "
                                  f"{list(space.labels)}")
        if arr.dtype.kind == "f" and arr.size and not np.all(np.isin(arr, (-1.0, 0.0, 1.0))):
            raise VoteMatrixError("multi-label votes must be -1 (abstain), 0 (no) or 1 (yes); found other numbers")
        if arr.dtype.kind not in "iuf" and not (arr.dtype.kind == "b" or arr.size == 0):
            raise VoteMatrixError(f"multi-label votes must be integers; got dtype {arr.dtype}")
        if arr.size and arr.dtype.kind in "iu" and (int(arr.min()) < -1 or int(arr.max()) > 1):
            bad = tuple(int(x) for x in np.argwhere((arr < -1) | (arr > 1))[0])
            raise VoteMatrixError(f"vote {int(arr[bad])} at (row, LF, label) {bad} is not -1 (abstain), 0 (no) "
                                  "or 1 (yes)")
        self.values: np.ndarray = arr.astype(np.int8, copy=False)
        ids = [str(x) for x in lf_ids]
        if len(ids) != arr.shape[1]:
            raise VoteMatrixError(f"{len(ids)} lf_ids for {arr.shape[1]} LFs in the votes")
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            raise VoteMatrixError(f"LF ids must be unique; repeated: {dupes}")
        bad_ids = [x for x in ids if SEP in x]
        if bad_ids:
            raise VoteMatrixError(f"LF id {bad_ids[0]!r} contains {SEP!r}, which separates LF and label in storage")
        self.lf_ids = ids
        self.space = space
        self.row_ids: np.ndarray = np.arange(arr.shape[0]) if row_ids is None else np.asarray(row_ids)
        if self.row_ids.shape != (arr.shape[0],):
            raise VoteMatrixError(f"row_ids has shape {self.row_ids.shape} but the votes have {arr.shape[0]} rows")

    # ------------------------------------------------------------------ shape and views
    @property
    def n(self) -> int:
        """The number of rows."""
        return int(self.values.shape[0])

    @property
    def m(self) -> int:
        """The number of LFs."""
        return int(self.values.shape[1])

    @property
    def k(self) -> int:
        """The number of labels."""
        return int(self.values.shape[2])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        more = "..." if self.m > 5 else ""
        return f"MultiLabelVotes(n={self.n}, m={self.m}, k={self.k}, lfs={self.lf_ids[:5]}{more})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultiLabelVotes):
            return NotImplemented
        return (self.values.shape == other.values.shape and np.array_equal(self.values, other.values)
                and self.lf_ids == other.lf_ids and self.space == other.space
                and np.array_equal(self.row_ids, other.row_ids))

    __hash__ = None  # type: ignore[assignment]

    def binary(self, label: str) -> np.ndarray:
        """``(n, m)`` int8 votes on one label: ``1`` yes, ``0`` no, ``-1`` abstain.

        Examples
        --------
        >>> space = MultiLabelSpace(["a", "b"])
        >>> MultiLabelVotes([[[1, 0]]], ["lf"], space).binary("b").tolist()
        [[0]]
        """
        return np.ascontiguousarray(self.values[:, :, self.space.index(label)])

    def take(self, rows: Any) -> MultiLabelVotes:
        """The votes of some rows (positions or a boolean mask), ids kept.

        Examples
        --------
        >>> votes = MultiLabelVotes(np.zeros((3, 1, 1), dtype=np.int8), ["lf"], MultiLabelSpace(["a"]))
        >>> votes.take([2, 0]).row_ids.tolist()
        [2, 0]
        """
        idx = np.asarray(rows)
        return MultiLabelVotes(self.values[idx], self.lf_ids, self.space, self.row_ids[idx])

    def select(self, lf_ids: Sequence[str]) -> MultiLabelVotes:
        """The votes of the named LFs, in the given order.

        Examples
        --------
        >>> votes = MultiLabelVotes(np.zeros((1, 2, 1), dtype=np.int8), ["x", "y"], MultiLabelSpace(["a"]))
        >>> votes.select(["y"]).lf_ids
        ['y']
        """
        position = {x: j for j, x in enumerate(self.lf_ids)}
        missing = [x for x in lf_ids if x not in position]
        if missing:
            raise VoteMatrixError(f"no LF {missing[0]!r} in the votes; the LFs are {self.lf_ids}")
        idx = [position[x] for x in lf_ids]
        return MultiLabelVotes(self.values[:, idx], list(lf_ids), self.space, self.row_ids)

    def coverage(self) -> np.ndarray:
        """``(m, k)`` share of rows on which each LF votes (yes or no) on each label."""
        if self.n == 0:
            return np.zeros((self.m, self.k))
        shares: np.ndarray = (self.values != ABSTAIN).mean(axis=0)
        return shares

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(n, k)`` yes-vote and no-vote counts of each row and label (summed over the LFs).

        Examples
        --------
        >>> votes = MultiLabelVotes([[[1, 0], [1, -1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
        >>> [c.tolist() for c in votes.counts()]
        [[[2, 0]], [[0, 1]]]
        """
        yes = np.count_nonzero(self.values == YES, axis=1)
        no = np.count_nonzero(self.values == NO, axis=1)
        return yes, no

    # ------------------------------------------------------------------ storage through VoteMatrix
    def to_vote_matrix(self) -> VoteMatrix:
        """The flattened ``(n, columns)`` :class:`VoteMatrix`: one column per (LF, label) the LF ever votes on,
        named ``"{lf_id}::{label}"`` (an LF that never votes keeps one all-abstain column on the first label).

        Examples
        --------
        >>> votes = MultiLabelVotes([[[1, -1], [-1, -1]]], ["x@1", "y@1"], MultiLabelSpace(["a", "b"]))
        >>> votes.to_vote_matrix().lf_names
        ['x@1::a', 'y@1::a']
        """
        voted = (self.values != ABSTAIN).any(axis=0) if self.n else np.zeros((self.m, self.k), dtype=bool)
        names: list[str] = []
        columns: list[np.ndarray] = []
        for j, lf_id in enumerate(self.lf_ids):
            kept = np.flatnonzero(voted[j]) if voted[j].any() else np.array([0])
            for c in kept.tolist():
                names.append(f"{lf_id}{SEP}{self.space.labels[c]}")
                columns.append(self.values[:, j, c])
        values = np.column_stack(columns) if columns else np.empty((self.n, 0), dtype=np.int8)
        return VoteMatrix(values.astype(np.int8, copy=False), row_ids=self.row_ids, lf_names=names)

    @classmethod
    def from_vote_matrix(cls, vm: VoteMatrix, space: MultiLabelSpace) -> MultiLabelVotes:
        """The inverse of :meth:`to_vote_matrix` (columns absent from ``vm`` are abstains).

        Examples
        --------
        >>> space = MultiLabelSpace(["a", "b"])
        >>> vm = VoteMatrix([[1, 0]], lf_names=["x::b", "y::a"])
        >>> MultiLabelVotes.from_vote_matrix(vm, space).values.tolist()
        [[[-1, 1], [0, -1]]]
        """
        lf_ids: list[str] = []
        position: dict[str, int] = {}
        cells: list[tuple[int, int]] = []
        for column in vm.lf_ids:
            lf_id, sep, label = column.rpartition(SEP)
            if not sep:
                raise VoteMatrixError(f"vote column {column!r} is not a multi-label column named "
                                      f"'<lf_id>{SEP}<label>' (written by MultiLabelVotes.to_vote_matrix)")
            if label not in space.labels:
                raise VoteMatrixError(f"vote column {column!r}: label {label!r} is not one of {list(space.labels)}")
            if lf_id not in position:
                position[lf_id] = len(lf_ids)
                lf_ids.append(lf_id)
            cells.append((position[lf_id], space.index(label)))
        values = np.full((len(vm), len(lf_ids), space.k), ABSTAIN, dtype=np.int8)
        for col, (j, c) in enumerate(cells):
            values[:, j, c] = vm.values[:, col]
        return cls(values, lf_ids, space, vm.row_ids)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the votes as a :class:`VoteMatrix` (``.npz`` or ``.parquet``); :meth:`load` reads them back.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> space = MultiLabelSpace(["a", "b"])
        >>> votes = MultiLabelVotes([[[1, -1]], [[-1, 0]]], ["x@1"], space)
        >>> path = votes.save(pathlib.Path(tempfile.mkdtemp()) / "votes.parquet")
        >>> MultiLabelVotes.load(path, space) == votes
        True
        """
        return self.to_vote_matrix().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], space: MultiLabelSpace) -> MultiLabelVotes:
        """Read votes written by :meth:`save`."""
        return cls.from_vote_matrix(VoteMatrix.load(path), space)
