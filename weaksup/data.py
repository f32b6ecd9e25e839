"""Loading inputs, giving rows stable ids, and cleaning text (normalise, mask, find duplicates)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
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
    """NFKC, zero-width characters and byte-order marks dropped, whitespace runs to one space, trimmed.

    Only rows with a character outside printable ASCII or a double space can change before the trim
    (printable ASCII is already NFKC), so the costly steps run on those rows alone.
    """
    import polars as pl

    import numpy as np

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    mask = pl.Series(arr).str.contains(r"[^\x20-\x7e]|  ").fill_null(False).to_numpy()
    if mask.any():
        rows = pl.Series(pc.utf8_normalize(arr.filter(pa.array(mask)), form="NFKC"))
        rows = rows.str.replace_all(r"[\x{200b}-\x{200d}\x{2060}\x{feff}]", "")
        # runs of ASCII whitespace (RE2's \s: tab, newline, form feed, return, space) to one space
        rows = rows.str.replace_all(r"[\t\n\f\r ]{2,}|[\t\n\f\r]", " ")
        # put the cleaned rows back: a take over [arr, cleaned] (much faster than replace_with_mask on strings)
        index = np.arange(len(arr), dtype=np.int64)
        index[mask] = len(arr) + np.arange(int(mask.sum()), dtype=np.int64)
        arr = pa.concat_arrays([arr, rows.to_arrow().cast(arr.type)]).take(pa.array(index))
    return pc.utf8_trim_whitespace(arr)


def duplicate_keys(texts: pa.Array, *, near: bool = True) -> tuple[Any, Any]:
    """64-bit hashes of each text (exact duplicates) and, with ``near``, of its lower-cased letters and
    digits only (near duplicates: copies differing in case, punctuation, spacing or emoji).

    Missing texts hash to 0; without ``near`` the second array is all 0. The hashes are stable for a
    given Polars version.

    Examples
    --------
    >>> exact, near = duplicate_keys(pa.array(["Hi there!", "hi  THERE", None]))
    >>> bool(exact[0] == exact[1]), bool(near[0] == near[1]), int(exact[2])
    (False, True, 0)
    """
    import numpy as np
    import polars as pl

    series = pl.Series(texts).cast(pl.String)
    missing = series.is_null().to_numpy()
    exact = series.hash(seed=0).to_numpy().copy()
    exact[missing] = 0
    if near:
        loose = series.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", "")
        near_keys = loose.hash(seed=0).to_numpy().copy()
        near_keys[missing] = 0
    else:
        near_keys = np.zeros(len(series), dtype=np.uint64)
    return exact, near_keys


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
        out["duplicate_of"] = _first_of_group(pd.Series(arr.to_numpy(zero_copy_only=False), index=out.index), ids)
        loose = pc.replace_substring_regex(pc.utf8_lower(arr), r"[^\pL\pN]+", "")
        out["near_duplicate_of"] = _first_of_group(pd.Series(loose.to_numpy(zero_copy_only=False), index=out.index), ids)
        exact = int((out["duplicate_of"] != "").sum())
        near = int((out["near_duplicate_of"] != "").sum())
    for name in MASKS:
        if name in mask:
            pattern, token = MASKS[name]
            arr = pc.replace_substring_regex(arr, pattern, token)
    out[text] = _as_series(arr, out.index)
    if lowercase_into:
        out[lowercase_into] = _as_series(pc.utf8_lower(arr), out.index)
    report = PrepReport(rows=len(out), missing_text=missing, exact_duplicates=exact, near_duplicates=near)
    logger.info("prepared %d rows: %s", len(out), report.to_dict())
    return out, report


def _as_series(arr: pa.Array, index: pd.Index) -> pd.Series:
    """A pandas text column over an Arrow string array (no Python string objects), on ``index``."""
    series = arr.cast(pa.large_string()).to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    series.index = index
    return series


def _first_of_group(keys: pd.Series, ids: pd.Series) -> pd.Series:
    """For each row, the id of the first earlier row with the same key ('' if none, or if the key is missing/empty)."""
    valid = keys.notna() & (keys.astype(str) != "")
    first = ids.where(valid).groupby(keys.where(valid)).transform("first")
    result = first.where(valid & (first != ids), "")
    return result.fillna("").astype(str)


# ---------------------------------------------------------------------- streaming input
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
    if path.suffix.lower() not in (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"):
        raise DataError(f"{path}: unsupported input format {path.suffix!r}; use .csv, .tsv, .jsonl, .parquet "
                        "or a folder of .parquet parts")
    return [path]


def iter_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_rows: int = 250_000,
    columns: Iterable[str] | None = None,
    string_columns: Iterable[str] = (),
    encoding: str = "utf-8",
) -> Iterator[pd.DataFrame]:
    """Read a CSV, JSON Lines or Parquet input (file or folder of parts) in chunks of ``chunk_rows`` rows.

    Memory stays bounded by the chunk size whatever the size of the input. Each chunk has a
    ``RangeIndex`` continuing the previous one (row positions in the whole input). Errors name the
    file and, for CSV and JSON Lines, the line.

    Parameters
    ----------
    columns : iterable of str, optional
        Only these columns (all when None); a missing one is a :class:`MissingColumnError`.
    string_columns : iterable of str
        Columns read as text whatever they look like (ids, texts).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> pd.DataFrame({"row_id": range(5), "text": list("abcde")}).to_csv(path, index=False)
    >>> chunks = list(iter_chunks(path, chunk_rows=2, string_columns=["row_id"]))
    >>> [len(c) for c in chunks], chunks[1].index[0], chunks[0]["row_id"].tolist()
    ([2, 2, 1], 2, ['0', '1'])
    """
    files = input_files(path)
    wanted = list(columns) if columns is not None else None
    strings = set(string_columns)
    start = 0
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".parquet":
            chunks = _parquet_chunks(file, chunk_rows, wanted)
        elif suffix in (".csv", ".tsv"):
            chunks = _csv_chunks(file, chunk_rows, wanted, strings, encoding)
        else:
            chunks = _jsonl_chunks(file, chunk_rows, wanted, strings, encoding)
        for chunk in _rebatch(chunks, chunk_rows):
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk


def _check_columns(file: Path, present: list[str], wanted: list[str] | None) -> None:
    if wanted is None:
        return
    missing = [c for c in wanted if c not in present]
    if missing:
        from weaksup.errors import MissingColumnError

        raise MissingColumnError(f"{file}: missing column(s) {missing}; its columns are {present}. "
                                 "Fix input.id_column / input.fields or the LFs' fields")


def _rebatch(chunks: Iterable[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of exactly ``rows`` rows (the last may be shorter) from chunks of any size."""
    pending: list[pd.DataFrame] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        while size >= rows:
            whole = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)
            yield whole.iloc[:rows]
            rest = whole.iloc[rows:]
            pending, size = ([rest], len(rest)) if len(rest) else ([], 0)
    if size:
        yield pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)


def _parquet_chunks(file: Path, rows: int, wanted: list[str] | None) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(file)
    except Exception as exc:
        raise DataError(f"{file}: cannot read as Parquet ({type(exc).__name__}: {exc})") from exc
    _check_columns(file, handle.schema_arrow.names, wanted)
    with handle:
        for batch in handle.iter_batches(batch_size=rows, columns=wanted):
            yield batch.to_pandas()


def _csv_chunks(file: Path, rows: int, wanted: list[str] | None, strings: set[str], encoding: str
                ) -> Iterator[pd.DataFrame]:
    sep = "\t" if file.suffix.lower() == ".tsv" else ","
    try:
        header = list(pd.read_csv(file, sep=sep, nrows=0, encoding=encoding).columns)
    except pd.errors.EmptyDataError:
        raise DataError(f"{file}: the file is empty (no header line); a CSV input needs a header and rows") from None
    except UnicodeDecodeError:
        raise _bad_encoding(file, encoding) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{file}: cannot read the header line: {exc}") from None
    _check_columns(file, header, wanted)
    dtype = {c: str for c in header if c in strings}
    try:
        # all columns are read (pandas drops the extra fields of a malformed line silently with usecols)
        reader = pd.read_csv(file, sep=sep, chunksize=rows, dtype=dtype, encoding=encoding,
                             keep_default_na=False, na_values=[""])
        for chunk in reader:
            yield chunk if wanted is None else chunk[wanted]
    except UnicodeDecodeError:
        raise _bad_encoding(file, encoding) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{file}: malformed CSV: {exc}. Quote fields that contain the separator or newlines") from None


def _bad_encoding(file: Path, encoding: str) -> DataError:
    """The first line of ``file`` that does not decode, for the error message."""
    with open(file, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.end]
                return DataError(f"{file} line {number}: bytes {bad!r} are not valid {encoding}; re-save the file "
                                 f"as UTF-8 (e.g. iconv -f latin1 -t utf-8) or set input.encoding")
    return DataError(f"{file}: cannot be decoded as {encoding}; set input.encoding")


def _jsonl_chunks(file: Path, rows: int, wanted: list[str] | None, strings: set[str], encoding: str
                  ) -> Iterator[pd.DataFrame]:
    import json

    records: list[dict[str, Any]] = []
    checked = False
    with open(file, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode(encoding).strip()
            except UnicodeDecodeError:
                raise _bad_encoding(file, encoding) from None
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{file} line {number}: not valid JSON ({exc.msg} at column {exc.colno}); "
                                "each line must hold one JSON object") from None
            if not isinstance(record, dict):
                raise DataError(f"{file} line {number}: a JSON Lines input holds one object per line; "
                                f"got {type(record).__name__}")
            if not checked:
                _check_columns(file, list(record), wanted)
                checked = True
            records.append(record)
            if len(records) == rows:
                yield _records_frame(records, wanted, strings)
                records = []
    if records:
        yield _records_frame(records, wanted, strings)


def _records_frame(records: list[dict[str, Any]], wanted: list[str] | None, strings: set[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=wanted)
    for column in strings & set(frame.columns):
        frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return frame
