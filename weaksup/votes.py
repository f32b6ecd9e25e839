"""The vote matrix: one row per data row, one column per labeling function."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup._io import atomic_path
from weaksup.errors import VoteMatrixError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.labels import smallest_vote_dtype as smallest_vote_dtype  # (its home is labels; kept importable)
from weaksup.validation import as_label_space, check_votes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["VoteMatrix", "has_vote", "smallest_vote_dtype"]

logger = logging.getLogger(__name__)
_FORMAT_VERSION = 1


def _frame_votes(frame: pd.DataFrame) -> np.ndarray:
    """A frame's votes as an array; nullable integer columns (``Int8``) convert, a missing vote (NA) is an error."""
    loose = [j for j, dt in enumerate(frame.dtypes) if not (isinstance(dt, np.dtype) and dt.kind in "iu")]
    na = frame.iloc[:, loose].isna().to_numpy()
    if na.any():
        cells = ", ".join(f"row {r} column {frame.columns[loose[c]]!r}" for r, c in np.argwhere(na)[:3])
        raise VoteMatrixError(f"votes: {int(na.sum())} votes are missing (NA), e.g. at {cells}; a vote is a class id "
                              f"or {ABSTAIN} (abstain): if NA means the LF did not vote, pass frame.fillna({ABSTAIN})")
    dtype = np.result_type(*[getattr(dt, "numpy_dtype", dt) for dt in frame.dtypes]) if loose else None
    return np.asarray(frame.to_numpy(dtype=dtype))


def has_vote(L: np.ndarray) -> np.ndarray:
    """Which rows some LF voted on: a row maximum, not an ``n x m`` mask (1 GB at 1,000 LFs x 1M rows).

    Examples
    --------
    >>> has_vote(np.array([[-1, -1], [0, -1], [-1, 1]], dtype=np.int8)).tolist()
    [False, True, True]
    """
    arr = np.asarray(L)
    if arr.ndim != 2 or arr.shape[1] == 0:
        return np.zeros(len(arr), dtype=bool)
    return np.asarray(arr.max(axis=1) != ABSTAIN)


class VoteMatrix:
    """Votes of ``m`` labeling functions on ``n`` rows (``ABSTAIN = -1``).

    Parameters
    ----------
    values : array-like of int, shape (n, m)
        The votes; stored in the smallest integer dtype that fits.
    row_ids : array-like, shape (n,), optional
        The id of each row, in row order; defaults to ``0..n-1``.
    lf_names : sequence of str, optional
        One unique name per column; defaults to ``lf0, lf1, ...``.
    lf_versions : sequence of str, optional
        The version of each LF (``""`` when unknown).
    label_space : LabelSpace or sequence of str, optional
        The task's classes (or their names, in id order); votes must then be below its cardinality.
    faults : mapping of str to int, optional
        Rows on which each LF raised and abstained (fault-tolerant application).
    timeouts : mapping of str to int, optional
        Rows on which each LF abstained because it ran out of its time budget
        (``apply_lfs(..., lf_timeout=...)``).

    Notes
    -----
    ``values`` may be a DataFrame: its columns give ``lf_names`` and its index ``row_ids`` unless given (pandas'
    default ``0..m-1`` columns name nothing: ``lf0, lf1, ...``), so ``VoteMatrix(votes.to_frame())`` equals a
    matrix without LF versions. Nullable integer columns (``Int8``) convert; a missing vote (NA) is an error, as
    NA does not say whether the LF abstained (``fillna(-1)`` if it did). A scipy sparse matrix is refused: its
    implicit zeros would be votes for class 0, not abstentions (-1); densify it knowingly with ``.toarray()``.

    ``==`` compares row ids with their types (as :meth:`take_ids` looks them up): ``1`` and ``"1"`` differ. Saved
    integer, float, date and text ids load as they were; ids of mixed types (``1`` and ``"b"``) are saved as text,
    with a warning, and the reloaded matrix is then not ``==`` the original: give the ids one type first.

    Examples
    --------
    >>> votes = VoteMatrix([[0, -1], [1, 1]], row_ids=["a", "b"], lf_names=["x", "y"])
    >>> votes.shape, votes.values.dtype.name
    ((2, 2), 'int8')
    >>> votes.coverage().tolist()
    [1.0, 0.5]
    >>> VoteMatrix(votes.to_frame()) == votes
    True
    """

    def __init__(
        self,
        values: Any,
        *,
        row_ids: Any = None,
        lf_names: Sequence[str] | None = None,
        lf_versions: Sequence[str] | None = None,
        label_space: LabelSpace | Sequence[str] | None = None,
        faults: Mapping[str, int] | None = None,
        timeouts: Mapping[str, int] | None = None,
    ) -> None:
        pd = sys.modules.get("pandas")  # (a DataFrame means pandas is imported: no import for plain arrays)
        if pd is not None and isinstance(values, pd.DataFrame):
            columns = values.columns
            named = not (isinstance(columns, pd.RangeIndex) and columns.equals(pd.RangeIndex(len(columns))))
            lf_names = [str(c) for c in columns] if lf_names is None and named else lf_names
            row_ids = values.index.to_numpy() if row_ids is None else row_ids
            values = _frame_votes(values)
        space = None if label_space is None else as_label_space(label_space, where="VoteMatrix(label_space=...)")
        self.values = check_votes(values, None, where="votes", label_space=space, whole_floats=True)
        n, m = self.values.shape
        self.row_ids = np.arange(n) if row_ids is None else np.asarray(row_ids)
        if self.row_ids.shape != (n,):
            raise VoteMatrixError(f"row_ids has shape {self.row_ids.shape} but the votes have {n} rows")
        names = [f"lf{j}" for j in range(m)] if lf_names is None else [str(x) for x in lf_names]
        if len(names) != m:
            raise VoteMatrixError(f"{len(names)} lf_names for {m} vote columns")
        dupes = sorted({x for x in names if names.count(x) > 1})
        if dupes:
            raise VoteMatrixError(f"LF names must be unique; repeated: {dupes}")
        self.lf_names = names
        versions = [""] * m if lf_versions is None else [str(v) for v in lf_versions]
        if len(versions) != m:
            raise VoteMatrixError(f"{len(versions)} lf_versions for {m} vote columns")
        self.lf_versions = versions
        self.label_space = space
        self.faults = {name: 0 for name in names}
        self.faults.update({k: int(v) for k, v in (faults or {}).items()})
        self.timeouts = {name: 0 for name in names}
        self.timeouts.update({k: int(v) for k, v in (timeouts or {}).items()})

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rows, n_lfs)``."""
        n, m = self.values.shape
        return int(n), int(m)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __repr__(self) -> str:
        n, m = self.shape
        return f"VoteMatrix(n={n}, m={m}, dtype={self.values.dtype.name}, lfs={self.lf_names[:5]}{'...' if m > 5 else ''})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)

    @property
    def lf_ids(self) -> list[str]:
        """``name@version`` of every column (just ``name`` when the version is unknown)."""
        return [f"{n}@{v}" if v else n for n, v in zip(self.lf_names, self.lf_versions)]

    def to_numpy(self, dtype: Any = np.int64) -> np.ndarray:
        """The votes as a plain array (``int64`` by default, as Snorkel expects)."""
        return self.values.astype(dtype)

    def column(self, name: str) -> np.ndarray:
        """The votes of one LF."""
        try:
            return self.values[:, self.lf_names.index(name)]
        except ValueError:
            raise VoteMatrixError(f"no LF named {name!r}; the columns are {self.lf_names}") from None

    def coverage(self) -> np.ndarray:
        """Fraction of rows on which each LF votes."""
        if len(self) == 0:
            return np.zeros(self.shape[1])
        shares: np.ndarray = (self.values != ABSTAIN).mean(axis=0)
        return shares

    def select(self, lfs: Sequence[str]) -> VoteMatrix:
        """A vote matrix with only the named LF columns, in the given order."""
        idx = []
        for name in lfs:
            if name not in self.lf_names:
                raise VoteMatrixError(f"no LF named {name!r}; the columns are {self.lf_names}")
            idx.append(self.lf_names.index(name))
        return VoteMatrix(
            self.values[:, idx], row_ids=self.row_ids,
            lf_names=[self.lf_names[j] for j in idx],
            lf_versions=[self.lf_versions[j] for j in idx],
            label_space=self.label_space, faults={self.lf_names[j]: self.faults[self.lf_names[j]] for j in idx},
            timeouts={self.lf_names[j]: self.timeouts[self.lf_names[j]] for j in idx},
        )

    def take(self, rows: Any) -> VoteMatrix:
        """A vote matrix with the given rows (positions or a boolean mask); to pick rows by id, see
        :meth:`take_ids`."""
        picked = np.asarray(rows)
        if picked.dtype == bool:
            if picked.shape != (len(self),):
                raise VoteMatrixError(f"take: a boolean mask needs one flag per row ({len(self)}); got shape "
                                      f"{picked.shape}")
        elif picked.size and picked.dtype.kind not in "iu":
            raise VoteMatrixError(f"take: rows are positions or a boolean mask; got {picked.reshape(-1)[0]!r} "
                                  f"({picked.dtype}): to pick rows by id use votes.take_ids(ids)")
        elif picked.size and not (-len(self) <= picked.min() and picked.max() < len(self)):
            raise VoteMatrixError(f"take: position {int(picked.max() if picked.max() >= len(self) else picked.min())} "
                                  f"is outside the {len(self)} rows")
        return VoteMatrix(
            self.values[rows], row_ids=self.row_ids[rows], lf_names=self.lf_names,
            lf_versions=self.lf_versions, label_space=self.label_space, faults=self.faults, timeouts=self.timeouts,
        )

    def take_ids(self, ids: Any) -> VoteMatrix:
        """A vote matrix with the rows of ``ids`` (row ids), in their order; an id the votes lack is an error.

        Examples
        --------
        >>> VoteMatrix([[0], [1], [-1]], row_ids=["a", "b", "c"]).take_ids(["c", "a"]).values.tolist()
        [[-1], [0]]
        """
        import pandas as pd

        wanted, index = pd.Index(np.asarray(ids, dtype=object).reshape(-1)), pd.Index(self.row_ids)
        if not index.is_unique:
            repeated = list(index[index.duplicated()].unique()[:5])
            raise VoteMatrixError(f"take_ids: the vote matrix's row ids repeat (e.g. {repeated}), so an id does not "
                                  "name one row; give each row its own id (row_ids=...), or select by position "
                                  "with take()")
        positions = index.get_indexer(wanted)
        if (positions < 0).any():
            missing = wanted[positions < 0]
            raise VoteMatrixError(f"take_ids: {len(missing)} id(s) are not rows of the vote matrix, e.g. "
                                  f"{list(missing[:5])}; its ids are e.g. {list(self.row_ids[:3])}")
        return self.take(positions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VoteMatrix):
            return NotImplemented
        return (
            self.shape == other.shape
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.row_ids, other.row_ids)
            and self.lf_names == other.lf_names
            and self.lf_versions == other.lf_versions
        )

    __hash__ = None  # type: ignore[assignment]

    def to_frame(self) -> pd.DataFrame:
        """The votes as a DataFrame indexed by row id, one column per LF name."""
        import pandas as pd

        return pd.DataFrame(self.values, index=pd.Index(self.row_ids, name="row_id"), columns=self.lf_names)

    # ------------------------------------------------------------------ storage
    def metadata(self) -> dict[str, Any]:
        """Everything but the votes and row ids, JSON-safe: what :meth:`save` stores beside the arrays.

        Examples
        --------
        >>> VoteMatrix([[0, 1]], lf_names=["a", "b"]).metadata()["lf_names"]
        ['a', 'b']
        """
        return {
            "format": "weaksup.VoteMatrix",
            "format_version": _FORMAT_VERSION,
            "lf_names": self.lf_names,
            "lf_versions": self.lf_versions,
            "label_space": None if self.label_space is None else self.label_space.to_json(),
            "faults": self.faults,
            "timeouts": self.timeouts,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the matrix to ``.npz`` or ``.parquet`` (by extension), atomically, without pickle.

        A Parquet file has a column ``row_id`` and one per :attr:`lf_ids`: an LF named ``row_id``, or two LFs with
        one ``name@version``, are refused (``.npz`` keeps them). Row ids: see the class notes.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> votes = VoteMatrix([[0, -1], [1, 1]], lf_names=["x", "y"])
        >>> path = votes.save(pathlib.Path(tempfile.mkdtemp()) / "votes.npz")
        >>> VoteMatrix.load(path) == votes
        True
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".npz", ".parquet"):
            raise VoteMatrixError(f"cannot save a vote matrix as {path.name!r}: use a .npz or .parquet file name")
        if suffix == ".parquet":
            self._check_parquet_columns(path)
        row_ids = self.row_ids
        if row_ids.dtype == object:
            kinds = {type(x) for x in row_ids}
            if kinds & {tuple, list, dict, set, frozenset}:
                at = next(i for i, x in enumerate(row_ids) if isinstance(x, (tuple, list, dict, set, frozenset)))
                raise VoteMatrixError(f"cannot save {path.name!r}: row id {row_ids[at]!r} at row {at} is a "
                                      f"{type(row_ids[at]).__name__}; a saved row id is one number or text: join "
                                      "its parts into one id (e.g. a MultiIndex: df.reset_index() and id_column=)")
            ints = kinds <= {int, np.int64}
            if not (ints or kinds <= {str, np.str_}):
                logger.warning("%s: row ids of types %s are saved as text, and load as str: give them one type "
                               "(e.g. row_ids.astype(str)) first", path.name, sorted(k.__name__ for k in kinds))
            row_ids = row_ids.astype(np.int64 if ints else str)
        if suffix == ".npz":
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez_compressed(fh, values=self.values, row_ids=row_ids,
                                        meta=np.array(json.dumps(self.metadata())))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            columns = {"row_id": pa.array(row_ids)}
            for j, lf_id in enumerate(self.lf_ids):
                columns[lf_id] = pa.array(self.values[:, j])
            table = pa.table(columns).replace_schema_metadata({"weaksup": json.dumps(self.metadata())})
            with atomic_path(path) as tmp:
                pq.write_table(table, tmp)
        return path

    def _check_parquet_columns(self, path: Path) -> None:
        """Refuse LF ids that clash with ``row_id`` or with each other (a Parquet file has one column per name)."""
        def named(k: int) -> str:
            version = f" at version {self.lf_versions[k]!r}" if self.lf_versions[k] else ""
            return f"{self.lf_names[k]!r}{version} (column {k})"

        first: dict[str, int] = {}
        for j, lf_id in enumerate(self.lf_ids):
            if lf_id == "row_id" or first.setdefault(lf_id, j) != j:
                clash = (f"LF {named(j)} would be saved as the Parquet column 'row_id', which holds the row ids"
                         if lf_id == "row_id" else
                         f"LFs {named(first[lf_id])} and {named(j)} would both be saved as the Parquet column {lf_id!r}")
                raise VoteMatrixError(f"cannot save {path.name!r}: {clash} (one column per name@version): rename "
                                      "the LF, or save as .npz")

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, content: bytes | None = None) -> VoteMatrix:
        """Read a matrix written by :meth:`save` (nothing is unpickled).

        ``content``: the file's bytes, already read (and verified) by the caller: an ``.npz`` matrix is read
        from them; a Parquet one from ``path`` again (Parquet read from bytes in memory makes pyarrow 25 abort at
        interpreter exit now and then).
        """
        import io

        path = Path(path)
        if content is None and not path.exists():
            raise VoteMatrixError(f"vote matrix file {str(path)!r} does not exist")
        source: Any = path if content is None else io.BytesIO(content)
        suffix = path.suffix.lower()
        try:
            if suffix == ".npz":
                with np.load(source, allow_pickle=False) as data:
                    missing = {"values", "row_ids", "meta"} - set(data.files)
                    if missing:
                        raise VoteMatrixError(
                            f"{path}: not a weaksup vote matrix, missing arrays {sorted(missing)} "
                            f"(found {sorted(data.files)})"
                        )
                    values, row_ids = data["values"], data["row_ids"]
                    meta = json.loads(str(data["meta"]))
            elif suffix == ".parquet":
                import pyarrow.parquet as pq

                # from the file even when its bytes were read and verified: Parquet read from bytes in memory
                # makes pyarrow 25 abort at interpreter exit now and then
                table = pq.read_table(path)
                raw = (table.schema.metadata or {}).get(b"weaksup")
                if raw is None:
                    raise VoteMatrixError(f"{path}: Parquet file has no weaksup metadata; it was not written by VoteMatrix.save")
                meta = json.loads(raw)
                row_ids = table.column("row_id").to_numpy(zero_copy_only=False)
                cols = [c for c in table.column_names if c != "row_id"]
                values = (
                    np.column_stack([table.column(c).to_numpy() for c in cols])
                    if cols else np.empty((table.num_rows, 0), dtype=np.int8)
                )
            else:
                raise VoteMatrixError(f"cannot load {path.name!r}: expected a .npz or .parquet file")
        except VoteMatrixError:
            raise
        except Exception as exc:  # corrupt zip, bad JSON, truncated parquet ...
            raise VoteMatrixError(f"{path}: cannot read vote matrix ({type(exc).__name__}: {exc})") from exc
        if meta.get("format") != "weaksup.VoteMatrix":
            raise VoteMatrixError(f"{path}: metadata does not describe a weaksup.VoteMatrix")
        space = meta.get("label_space")
        try:
            return cls(
                values, row_ids=row_ids, lf_names=meta["lf_names"], lf_versions=meta["lf_versions"],
                label_space=LabelSpace(space) if space else None, faults=meta.get("faults"),
                timeouts=meta.get("timeouts"),
            )
        except (VoteMatrixError, KeyError, TypeError, ValueError) as exc:  # out-of-range votes, bad metadata
            detail = str(exc) if isinstance(exc, VoteMatrixError) else f"bad metadata ({type(exc).__name__}: {exc})"
            raise VoteMatrixError(f"{path}: {detail}") from exc
