"""Reading inputs whole (:func:`read_table`); the files behind an input path are found by
:func:`weaksup.data.files.input_files` (re-exported here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.data.files import INPUT_SUFFIXES, check_file, input_files
from weaksup.data.files import is_pattern
from weaksup.errors import DataError


def read_table(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV, JSON Lines or Parquet file (by extension), a folder of such files or a glob pattern
    (:func:`input_files`: sorted, one format, the same columns) into one DataFrame.

    Errors name the file and say what was expected. A CSV read with no options, or with ``dtype``
    naming columns kept as text (``{"id": str}``), goes through the strict reader of
    :func:`iter_chunks` (every line has the header's fields, header names are unique, quotes close);
    other pandas options fall back to :func:`pandas.read_csv`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> _ = path.write_text('{"row_id": "a", "text": "hi"}\\n')
    >>> read_table(path)["text"].tolist()
    ['hi']
    """
    path = Path(path)
    # a folder of Parquet parts without dtype= is read by pandas, as ever; other folders and patterns file by file
    if is_pattern(path) or (path.is_dir() and ("dtype" in kwargs
                                               or any(f.suffix.lower() != ".parquet" for f in input_files(path)))):
        return _several(path, kwargs)
    if not path.exists():
        raise DataError(f"input file {str(path)!r} does not exist")
    if not path.is_dir():
        check_file(path)
    suffix = path.suffix.lower()
    dtype = kwargs.get("dtype")
    if suffix in (".csv", ".tsv") and set(kwargs) <= {"dtype"} and (
            dtype is None or (isinstance(dtype, dict) and all(v is str for v in dtype.values()))):
        return _strict_csv(path, set(dtype or ()))
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", **kwargs)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, **kwargs)
        if suffix == ".parquet" or path.is_dir():
            return pd.read_parquet(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read as {suffix or 'Parquet folder'}: {exc}") from exc
    raise DataError(f"{path}: unsupported input format {suffix!r}; use .csv, .tsv, .jsonl or .parquet")


def _several(path: Path, kwargs: dict[str, Any]) -> pd.DataFrame:
    """A glob pattern or a folder of CSV/JSON Lines files, whole, through the strict chunked readers."""
    from weaksup.data.chunks import iter_chunks

    dtype = kwargs.get("dtype")
    if set(kwargs) - {"dtype"} or not (dtype is None or (isinstance(dtype, dict)
                                                          and all(v is str for v in dtype.values()))):
        raise DataError(f"{path}: a folder or pattern of files is read with no pandas options (only dtype={{column: "
                        f"str}}); got {sorted(kwargs)}: read the files one by one instead")
    frames = list(iter_chunks(path, chunk_rows=1 << 62, string_columns=list(dtype or ())))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _strict_csv(path: Path, strings: set[str]) -> pd.DataFrame:
    """A whole CSV/TSV file through the strict reader; its errors as ``<file>: cannot read as .csv: ...``."""
    import sys

    from weaksup.data.delimited import csv_chunks, read_header

    try:
        frames = list(csv_chunks(path, sys.maxsize, None, strings, "utf-8"))
    except DataError as exc:
        detail = str(exc).removeprefix(str(path)).lstrip(": ")
        raise DataError(f"{path}: cannot read as {path.suffix.lower()}: {detail}") from None
    if not frames:
        return pd.DataFrame(columns=read_header(path, "utf-8"))
    return frames[0]


__all__ = ["INPUT_SUFFIXES", "check_file", "input_files", "read_table"]
