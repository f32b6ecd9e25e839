"""Loading inputs, giving rows stable ids, and cleaning text (normalise, mask, find duplicates)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from weaksup.errors import DataError

logger = logging.getLogger(__name__)


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


#: Masks applied by :func:`prepare` (``mask=``): an RE2 pattern and its replacement token.
MASKS = {
    "url": (r"(?i)\b(?:https?://|www\.)[^\s<>\"']+", "<URL>"),
    "email": (r"(?i)\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "<EMAIL>"),
    "number": (r"\b\d[\d,.]*\b", "<NUM>"),
}


@dataclass(frozen=True)
class PrepReport:
    """What :func:`prepare` found: counts for the run summary, ids for the audit."""

    rows: int
    missing_text: int
    exact_duplicates: int
    near_duplicates: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _normalise(arr: pa.Array) -> pa.Array:
    """NFKC, zero-width characters and byte-order marks dropped, whitespace runs to one space, trimmed."""
    arr = pc.utf8_normalize(arr, form="NFKC")
    arr = pc.replace_substring_regex(arr, r"[\x{200b}-\x{200d}\x{2060}\x{feff}]", "")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r"\s+", " "))


def prepare(
    frame: pd.DataFrame,
    *,
    text: str = "text",
    id_column: str = "row_id",
    normalize: bool = True,
    lowercase_into: str | None = None,
    mask: Iterable[str] = (),
    duplicates: bool = True,
) -> tuple[pd.DataFrame, PrepReport]:
    """Clean a text column, on a copy: the caller's frame (and the raw file) are never modified.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, with a unique ``id_column``.
    text : str, default "text"
        The column to clean; rows where it is missing are kept (LFs abstain on them).
    normalize : bool, default True
        Unicode NFKC, zero-width characters and byte-order marks removed, whitespace runs
        to one space, trimmed.
    lowercase_into : str, optional
        Also write a lower-cased copy of the cleaned text into this new column.
    mask : iterable of {"url", "email", "number"}
        Replace these by ``<URL>``, ``<EMAIL>``, ``<NUM>`` (e.g. for data leaving the
        machine); duplicates are found before masking.
    duplicates : bool, default True
        Add ``duplicate_of``: the id of the first row with the same cleaned text (empty when
        none), and ``near_duplicate_of``: the same after lower-casing and dropping everything
        but letters and digits (catches copies that differ in case, punctuation, spacing or
        emoji).

    Returns
    -------
    (pandas.DataFrame, PrepReport)

    Examples
    --------
    >>> df = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["Check  it out!", "check it out", None]})
    >>> clean, report = prepare(df)
    >>> clean["text"].tolist()[:2], clean["text"].isna().tolist(), clean["near_duplicate_of"].tolist()
    (['Check it out!', 'check it out'], [False, False, True], ['', 'a', ''])
    >>> report.missing_text, report.near_duplicates
    (1, 1)
    """
    if text not in frame.columns:
        raise DataError(f"text column {text!r} is not in the data; its columns are {list(map(str, frame.columns))}")
    if id_column not in frame.columns:
        raise DataError(f"id column {id_column!r} is not in the data; its columns are {list(map(str, frame.columns))}")
    unknown = set(mask) - set(MASKS)
    if unknown:
        raise DataError(f"unknown mask(s) {sorted(unknown)}; choose from {sorted(MASKS)}")
    out = frame.copy()
    arr = pa.array(out[text], from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type)):
        raise DataError(f"column {text!r} must hold text; it holds {arr.type}")
    arr = arr.cast(pa.large_string())
    if normalize:
        arr = _normalise(arr)
    missing = int(arr.null_count)
    exact = near = 0
    if duplicates:
        ids = out[id_column].astype(str)
        out["duplicate_of"] = _first_of_group(pd.Series(arr.to_pandas(), index=out.index), ids)
        loose = pc.replace_substring_regex(pc.utf8_lower(arr), r"[^\pL\pN]+", "")
        out["near_duplicate_of"] = _first_of_group(pd.Series(loose.to_pandas(), index=out.index), ids)
        exact = int((out["duplicate_of"] != "").sum())
        near = int((out["near_duplicate_of"] != "").sum())
    for name in MASKS:
        if name in mask:
            pattern, token = MASKS[name]
            arr = pc.replace_substring_regex(arr, pattern, token)
    out[text] = pd.Series(arr.to_pandas(), index=out.index, dtype="str")
    if lowercase_into:
        out[lowercase_into] = pd.Series(pc.utf8_lower(arr).to_pandas(), index=out.index, dtype="str")
    report = PrepReport(rows=len(out), missing_text=missing, exact_duplicates=exact, near_duplicates=near)
    logger.info("prepared %d rows: %s", len(out), report.to_dict())
    return out, report


def _first_of_group(keys: pd.Series, ids: pd.Series) -> pd.Series:
    """For each row, the id of the first earlier row with the same key ('' if none, or if the key is missing/empty)."""
    valid = keys.notna() & (keys.astype(str) != "")
    first = ids.where(valid).groupby(keys.where(valid)).transform("first")
    result = first.where(valid & (first != ids), "")
    return result.fillna("").astype(str)
