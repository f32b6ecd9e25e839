"""Loading inputs and giving rows stable ids."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import DataError


def make_row_ids(keys: Iterable[Any]) -> list[str]:
    """Stable unique row ids from keys that may repeat: the n-th repeat of ``k`` gets ``k#n``.

    Examples
    --------
    >>> make_row_ids(["a", "b", "a", "a"])
    ['a', 'b', 'a#2', 'a#3']
    """
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        key = str(key)
        count = seen.get(key, 0) + 1
        seen[key] = count
        out.append(key if count == 1 else f"{key}#{count}")
    if len(set(out)) != len(out):  # a key that itself looks like "k#2"
        raise DataError("cannot derive unique row ids: some keys already end in '#<n>'; pass unique ids")
    return out


def read_table(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV, JSON Lines or Parquet file (by extension) into a DataFrame.

    Errors name the file and say what was expected.
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
