"""Reading a CSV, JSON Lines or Parquet input (a file or a folder of parts) in chunks of bounded size."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.data.read import input_files
from weaksup.errors import DataError, MissingColumnError

#: Rows per chunk when the caller does not say.
CHUNK_ROWS = 250_000


def iter_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_rows: int = CHUNK_ROWS,
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
