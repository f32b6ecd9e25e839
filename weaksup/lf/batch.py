"""A batch of rows in columnar form, shared by all LFs applied to it.

Vectorised kinds read whole columns from a :class:`Batch`; anything derived from a
column (its Arrow array, its Python values, the mask of rows a string kernel cannot
judge exactly) is computed once per batch and reused by every LF, from any thread.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

try:  # Polars' Aho-Corasick finds many literals in one pass; without it, one RE2 pass per LF
    import polars as _polars
except ImportError:  # pragma: no cover - depends on the install
    _polars = None  # type: ignore[assignment]

from weaksup.lf._re2 import CASE_FOLD_GUARD, literal_alternation
from weaksup.lf.rows import NeedsSeries, Row, SeriesRow, series_row_type

T = TypeVar("T")


def _regex(arr: pa.Array, pattern: str) -> np.ndarray:
    """Boolean mask of the values matching an RE2 pattern (missing values: False)."""
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    hit = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


#: Rows x shared literals per slice of the one-pass literal search (a slice of 4,096 rows at 1,000 literals: its
#: matches, one string per hit, stay ~50 MB per thread even with one-letter literals that hit every word).
LITERAL_CELLS = 1 << 22


def _slices(arr: pa.Array, size: int) -> Iterator[tuple[int, pa.Array]]:
    """``(start, arr[start:start + size])`` over the array (zero-copy slices)."""
    for start in range(0, len(arr), size):
        yield start, arr.slice(start, size)


class Batch:
    """Rows ``0..n-1`` of a DataFrame, with per-column caches.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows; the LFs read its columns.
    literals : mapping, optional
        ``{(field, lowered): literals}``: strings whose occurrences all LFs of a batch
        use as prefilters. They are found in one shared multi-literal pass per field
        (Polars' Aho-Corasick) instead of one pass per LF.
    """

    def __init__(self, frame: pd.DataFrame, literals: Mapping[tuple[str, bool], Iterable[str]] | None = None,
                 memo: dict[Any, Any] | None = None) -> None:
        self.frame = frame
        #: Memoised preprocessor results by content, shared by the batches of one application (``memoize=True``).
        self.memo: dict[Any, Any] = memo if memo is not None else {}
        self.series_class: type[SeriesRow] | None = None
        self.shared_literals = {key: tuple(sorted(set(words))) for key, words in (literals or {}).items()}
        self._shared_sets = {key: frozenset(words) for key, words in self.shared_literals.items()}
        self.n = len(frame)
        self.columns: list[str] = [str(c) for c in frame.columns]
        self._cache: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._rows: list[Row] | None = None

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per batch for ``key`` and shared by every LF (and thread) that asks.

        Kinds use it for anything derived from the rows, e.g. the spaCy Docs of a text column.

        Examples
        --------
        >>> batch = Batch(pd.DataFrame({"text": ["a", "b"]}))
        >>> batch.cached("n_chars", lambda: 2), batch.cached("n_chars", lambda: 99)
        (2, 2)
        """
        if key in self._cache:
            return cast(T, self._cache[key])
        lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
        return cast(T, self._cache[key])

    def series(self, field: str) -> pd.Series:
        """The column as a Series (``KeyError`` if absent)."""
        return self.frame[field]

    def arrow(self, field: str) -> pa.Array:
        """The column as one contiguous Arrow array (strings as ``large_string``)."""

        def compute() -> pa.Array:
            series = self.frame[field]
            try:
                arr = pa.array(series, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: not a kernel column
                return None
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            if pa.types.is_string(arr.type):
                arr = arr.cast(pa.large_string())
            return arr

        return self.cached(("arrow", field), compute)

    def is_text(self, field: str) -> bool:
        """True when the column is a string column that string kernels can scan."""
        arr = self.arrow(field)
        return arr is not None and (pa.types.is_large_string(arr.type) or (self.n == 0 and pa.types.is_null(arr.type)))

    def values(self, field: str) -> list[Any]:
        """The column as a Python list; a missing text is ``None`` (not pandas' ``NaN``), so an LF can
        test ``x.text is None``."""
        def listed() -> list[Any]:
            column = self.frame[field]
            if pd.api.types.is_string_dtype(column.dtype) and column.hasnans:
                return cast(list[Any], column.astype(object).where(column.notna(), None).tolist())
            return cast(list[Any], column.tolist())

        return self.cached(("values", field), listed)

    def regex_mask(self, field: str, re2_pattern: str) -> np.ndarray:
        """Boolean mask of rows whose field matches an RE2 pattern (missing rows: False)."""

        return self.cached(("regex", field, re2_pattern), lambda: _regex(self.arrow(field), re2_pattern))

    def lowered(self, field: str) -> pa.Array:
        """The text column lower-cased (Arrow's per-character simple lower case)."""
        return self.cached(("lowered", field), lambda: pc.utf8_lower(self.arrow(field)))

    def _irregular(self, field: str) -> tuple[np.ndarray, pa.Array]:
        """Positions of the rows holding a non-ASCII or a control character, and their values.

        Every character on which RE2 and Python's ``re`` can disagree is one of these, so
        guards only ever need to search these rows.
        """

        def compute() -> tuple[np.ndarray, pa.Array]:
            arr = self.arrow(field)
            plain = pc.fill_null(pc.ascii_is_printable(arr), True).to_numpy(zero_copy_only=False)
            positions = np.flatnonzero(~np.asarray(plain, dtype=bool))
            return positions, arr.filter(pa.array(~np.asarray(plain, dtype=bool)))

        return self.cached(("irregular", field), compute)

    def guard_mask(self, field: str, guard: Any) -> np.ndarray:
        """Rows on which a kernel may disagree with Python: those matching an RE2 ``guard`` pattern."""

        def compute() -> np.ndarray:
            mask = np.zeros(self.n, dtype=bool)
            positions, values = self._irregular(field)
            if len(positions):
                mask[positions[_regex(values, guard)]] = True
            return mask

        return self.cached(("guard", field, guard), compute)

    def match(self, field: str, translation: Any, within: np.ndarray | None = None) -> np.ndarray:
        """Rows whose field matches an RE2 translation, running it only where its prefilter allows.

        Exact on every row outside the translation's guard; with ``within``, only on those rows
        (the others are False).
        """
        if self.n == 0:
            return np.zeros(0, dtype=bool)
        if translation.literals and (self._has_shared(field, translation) or translation.prefilter_first):
            candidates = self.literal_mask(field, translation.literals, translation.prefilter_lowered)
        elif within is not None:
            candidates = within
        else:  # RE2 is as fast on its own
            return self.regex_mask(field, translation.pattern)
        if within is not None:
            candidates = candidates & within
        if candidates.mean() > 0.5:  # filtering would cost more than it saves
            full = self.regex_mask(field, translation.pattern)
            return full if within is None else full & within
        out = np.zeros(self.n, dtype=bool)
        if candidates.any():
            out[candidates] = _regex(self.arrow(field).filter(pa.array(candidates)), translation.pattern)
        return out

    def _has_shared(self, field: str, translation: Any) -> bool:
        words = self._shared_sets.get((field, translation.prefilter_lowered), frozenset())
        return _polars is not None and words.issuperset(translation.literals)

    def _literal_rows(self, field: str, lowered: bool) -> dict[str, np.ndarray]:
        """Rows holding each shared literal of a field: one Aho-Corasick pass for all of them.

        The pass goes over slices of the rows (fewer rows when there are many literals), so the
        matched strings Polars holds for a slice stay small; each literal's rows are a view into one
        array of the batch's hits, in row order.
        """

        def compute() -> dict[str, np.ndarray]:
            words = list(self.shared_literals[(field, lowered)])
            hit = _polars.col("text").str.extract_many(words, ascii_case_insensitive=lowered, overlapping=True)
            size = max(LITERAL_CELLS // max(len(words), 1), 4096)
            found = []
            for start, part in _slices(self.arrow(field), size):
                pairs = (_polars.DataFrame({"text": _polars.Series(part)}).lazy()
                         .select(hit.alias("hit")).with_row_index("row", offset=start).explode("hit").drop_nulls("hit")
                         .select("row", (_polars.col("hit").str.to_lowercase() if lowered else _polars.col("hit"))
                                 .cast(_polars.Enum(words)).to_physical().alias("id"))
                         .collect())
                if pairs.height > 4 * len(part):  # short literals inside every word: each (row, literal) once
                    pairs = pairs.unique(maintain_order=True)
                found.append(pairs)
            ids = np.concatenate([f["id"].to_numpy() for f in found]) if found else np.zeros(0, np.uint32)
            rows = np.concatenate([f["row"].to_numpy() for f in found]) if found else np.zeros(0, np.uint32)
            del found
            order = np.argsort(ids, kind="stable")  # a radix sort on these small integers
            bounds = np.searchsorted(ids[order], np.arange(len(words) + 1))
            rows = rows[order]
            return {w: rows[bounds[i]:bounds[i + 1]] for i, w in enumerate(words)}

        return self.cached(("literal_rows", field, lowered), compute)

    def literal_mask(self, field: str, literals: Sequence[str], lowered: bool) -> np.ndarray:
        """Rows holding any of some literals (ASCII case-insensitively when ``lowered``).

        From the shared pass a mask is a few scatters, built again on each call rather than kept: a
        batch of a thousand keyword LFs would otherwise hold a thousand row masks until it is done.
        """
        if _polars is not None and self._shared_sets.get((field, lowered), frozenset()).issuperset(literals):
            mask = np.zeros(self.n, dtype=bool)
            rows = self._literal_rows(field, lowered)
            for word in literals:
                mask[rows[word]] = True
            return mask

        def compute() -> np.ndarray:
            source = self.lowered(field) if lowered else self.arrow(field)
            return _regex(source, literal_alternation(literals, lowered))

        return self.cached(("literal_mask", field, tuple(literals), lowered), compute)

    def unsure_rows(self, field: str, translation: Any) -> np.ndarray:
        """Positions of the rows a kernel cannot judge for a translation: Python must.

        Irregular rows matching the guard, less those holding none of the translation's
        required literals (and no case-fold character): they cannot match in either engine.
        """
        if translation.guard is None or self.n == 0:
            return np.zeros(0, dtype=np.int64)
        irregular, values = self._irregular(field)
        if translation.literals:
            maybe = self.literal_mask(field, translation.literals, translation.prefilter_lowered)
            if translation.prefilter_lowered:
                maybe = maybe | self.guard_mask(field, CASE_FOLD_GUARD)
            keep = maybe[irregular]
            irregular, values = irregular[keep], values.filter(pa.array(keep))
        if not len(irregular):
            return irregular
        return cast(np.ndarray, irregular[_regex(values, translation.guard)])

    def values_at(self, field: str, positions: Sequence[int] | np.ndarray) -> list[Any]:
        """The Python values of some rows of a column."""
        if ("values", field) in self._cache:
            column = self.values(field)
            return [column[i] for i in positions]
        series = self.frame[field]
        return cast(list[Any], series.iloc[np.asarray(positions, dtype=np.int64)].tolist())

    def rows(self) -> Sequence[Row]:
        """Every row as a :class:`~weaksup.lf.core.Row` (built once, shared by row-wise LFs)."""
        if self._rows is None:
            names = self.columns
            cols = [self.values(c) for c in self.frame.columns]
            self._rows = [Row(zip(names, vals)) for vals in zip(*cols)] if cols else [Row() for _ in range(self.n)]
        return self._rows

    def series_rows(self) -> Sequence[SeriesRow]:
        """Every row as a :class:`~weaksup.lf.rows.SeriesRow`: the fields and values of the ``pd.Series`` rows
        Snorkel's ``PandasLFApplier`` builds (``DataFrame.to_numpy()``), built once and shared by Snorkel LFs.

        Raises :class:`~weaksup.lf.rows.NeedsSeries` for frames whose Series rows a light row cannot mimic: a column
        named like a Series attribute, or one dtype shared by every column that is not object, text or numpy numeric.
        """
        def compute() -> tuple[list[SeriesRow], list[tuple[Any, ...]]]:
            made = series_row_type(list(self.frame.columns))
            if made is None:
                raise NeedsSeries(f"a column name shadows a pandas.Series attribute: {self.columns}")
            self.series_class, build = made
            values = self.frame.to_numpy()
            if values.dtype == object:
                dtypes = set(map(str, self.frame.dtypes))
                if len(dtypes) == 1 and not (dtypes <= {"object", "str", "string", "category"}):
                    raise NeedsSeries(f"rows of one dtype {dtypes.pop()}: Series rows hold that dtype's scalars")
                lists = values.tolist()
                return list(map(build, lists)), list(map(tuple, lists))
            if values.dtype.kind in "biufc":  # one numpy dtype: the Series rows hold numpy scalars
                rows = list(map(build, values))
                return rows, [row.content_key() for row in rows]
            raise NeedsSeries(f"rows of one dtype {values.dtype}: Series rows hold that dtype's scalars")

        return self.cached("series_rows", compute)[0]

    def series_keys(self) -> list[tuple[Any, ...]]:
        """Each row's column values as a tuple: the key memoised preprocessors look their results up by."""
        self.series_rows()
        return cast(list[tuple[Any, ...]], self._cache["series_rows"][1])

    def series_wanted(self) -> list[str]:
        """The Series attributes LFs asked of this batch's light rows since the last call (then forgotten)."""
        if self.series_class is None or not self.series_class.wanted:
            return []
        wanted = list(dict.fromkeys(self.series_class.wanted))
        self.series_class.wanted.clear()
        return wanted

    def pandas_rows(self) -> list[pd.Series]:
        """Every row as the ``pandas.Series`` that ``DataFrame.apply(..., axis=1)`` (Snorkel's applier) gives, with
        what LFs on the light rows wrote by item (``x["new"] = v``, ``x["text"] = v``): Snorkel's LFs share one row.

        Examples
        --------
        >>> batch = Batch(pd.DataFrame({"text": ["a", "b"]}))
        >>> batch.series_rows()[0]["flag"] = 1
        >>> [row.get("flag") for row in batch.pandas_rows()]
        [1, None]
        """
        def compute() -> list[pd.Series]:
            out: list[pd.Series] = []
            if self.n:  # apply reuses one Series object for every row: keep copies
                self.frame.apply(lambda row: out.append(row.copy()), axis=1)
            return out

        rows = self.cached("pandas_rows", compute)
        if self.series_class is not None and self.series_class.written:
            self._copy_item_writes(rows)
        return rows

    def _copy_item_writes(self, rows: list[pd.Series]) -> None:
        """Write into the Series rows the item writes made to the light rows since the last call (latest values)."""
        assert self.series_class is not None
        with self._locks.setdefault("written", threading.Lock()):
            written = self.series_class.written
            writes = {(id(row), key): row for row, key in written}  # (the rows are alive: ids are theirs)
            written.clear()
            at = self.cached("series_positions", lambda: {id(row): i for i, row in enumerate(self.series_rows())})
            with warnings.catch_warnings():  # (pandas warns of x["flag"] = 1 on a text row: not this line's fault)
                warnings.simplefilter("ignore")
                for (ident, key), row in writes.items():
                    i = at.get(ident)  # None: a preprocessor's copy of a row, which no other LF shares
                    if i is not None:
                        rows[i][key] = row.__dict__[key]

    def iter_rows(self, positions: Sequence[int] | np.ndarray) -> Iterator[Row]:
        """The rows at the given positions."""
        rows = self.rows()
        return (rows[i] for i in positions)
