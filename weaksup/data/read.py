"""Reading inputs whole (:func:`read_table`) and finding the files behind an input path (:func:`input_files`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import DataError

#: The file suffixes an input may have (a folder input is a Parquet dataset of part files).
INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet")


def read_table(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV, JSON Lines or Parquet file (by extension) into a DataFrame.

    Errors name the file and say what was expected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> _ = path.write_text('{"row_id": "a", "text": "hi"}\\n')
    >>> read_table(path)["text"].tolist()
    ['hi']
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"input file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
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


def input_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files behind an input path: the file itself, or the Parquet parts of a folder in name order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["part-1.parquet", "part-0.parquet"]:
    ...     pd.DataFrame({"row_id": [name], "text": ["hi"]}).to_parquet(folder / name)
    >>> [p.name for p in input_files(folder)]
    ['part-0.parquet', 'part-1.parquet']
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"input {str(path)!r} does not exist; check input.path (relative paths start at the "
                        "project folder)")
    if path.is_dir():
        parts = sorted(p for p in path.rglob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))
        if not parts:
            raise DataError(f"input folder {str(path)!r} holds no .parquet files; a folder input is a Parquet "
                            "dataset (part files); give a file path for CSV or JSON Lines")
        return parts
    if path.suffix.lower() not in INPUT_SUFFIXES:
        raise DataError(f"{path}: unsupported input format {path.suffix!r}; use .csv, .tsv, .jsonl, .parquet "
                        "or a folder of .parquet parts")
    return [path]
