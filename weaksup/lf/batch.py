"""A batch of rows in columnar form, shared by all LFs applied to it.

Vectorised kinds read whole columns from a :class:`Batch`; anything derived from a
column (its Arrow array, its Python values, the mask of rows a string kernel cannot
judge exactly) is computed once per batch and reused by every LF, from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from weaksup.lf.core import Row


class Batch:
    """Rows ``0..n-1`` of a DataFrame, with per-column caches.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows; the LFs read its columns.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.n = len(frame)
        self.columns: list[str] = [str(c) for c in frame.columns]
        self._cache: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._rows: list[Row] | None = None

    def _cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key in self._cache:
            return self._cache[key]
        lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
        return self._cache[key]

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

        return self._cached(("arrow", field), compute)

    def is_text(self, field: str) -> bool:
        """True when the column is a string column that string kernels can scan."""
        arr = self.arrow(field)
        return arr is not None and (pa.types.is_large_string(arr.type) or (self.n == 0 and pa.types.is_null(arr.type)))

    def values(self, field: str) -> list[Any]:
        """The column as a Python list (``None``/``NaN`` for missing values)."""
        return self._cached(("values", field), lambda: self.frame[field].tolist())

    def regex_mask(self, field: str, re2_pattern: str) -> np.ndarray:
        """Boolean mask of rows whose field matches an RE2 pattern (missing rows: False)."""

        def compute() -> np.ndarray:
            arr = self.arrow(field)
            if self.n == 0:
                return np.zeros(0, dtype=bool)
            hit = pc.match_substring_regex(arr, re2_pattern)
            return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)

        return self._cached(("regex", field, re2_pattern), compute)

    def rows(self) -> Sequence[Row]:
        """Every row as a :class:`~weaksup.lf.core.Row` (built once, shared by row-wise LFs)."""
        if self._rows is None:
            names = self.columns
            cols = [self.values(c) for c in self.frame.columns]
            self._rows = [Row(zip(names, vals)) for vals in zip(*cols)] if cols else [Row() for _ in range(self.n)]
        return self._rows

    def iter_rows(self, positions: Sequence[int] | np.ndarray) -> Iterator[Row]:
        """The rows at the given positions."""
        rows = self.rows()
        return (rows[i] for i in positions)
