"""Reading a CSV, JSON Lines or Parquet input (a file or a folder of parts) in chunks of bounded size."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from weaksup.data.delimited import csv_chunks
from weaksup.data.jsonl import jsonl_chunks
from weaksup.data.files import unreadable_parquet
from weaksup.data.read import input_files
from weaksup.data.columns import as_text, check_present, text_type
from weaksup.errors import DataError

#: Rows per chunk when the caller does not say.
CHUNK_ROWS = 250_000


def iter_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_rows: int = CHUNK_ROWS,
    columns: Iterable[str] | None = None,
    string_columns: Iterable[str] = (),
    required: Iterable[str] = (),
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
        Columns read as text (ids, texts): CSV fields as they are; JSON Lines strings, integers as their
        digits, ``null`` or an absent key as None, anything else (floats, booleans, lists, objects) an
        error naming the line and key; Parquet string, dictionary-encoded string or integer columns,
        anything else an error naming the part file.
    required : iterable of str
        Columns every JSON Lines row must have (the id): an absent key or ``null`` is an error naming
        the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> pd.DataFrame({"row_id": range(5), "text": list("abcde")}).to_csv(path, index=False)
    >>> chunks = list(iter_chunks(path, chunk_rows=2, string_columns=["row_id"]))
    >>> [len(c) for c in chunks], chunks[1].index[0], chunks[0]["row_id"].tolist()
    ([2, 2, 1], 2, ['0', '1'])
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"input.encoding = {encoding!r} is not an encoding Python knows; use e.g. 'utf-8', "
                        "'latin-1' or 'cp1252'") from None
    files = input_files(path, encoding=encoding)
    wanted = list(columns) if columns is not None else None
    strings = set(string_columns)
    start = 0
    part = not Path(path).is_file()  # (a folder or pattern: an unreadable file is one of its parts)
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".parquet":
            chunks = _parquet_chunks(file, chunk_rows, wanted, strings, part)
        elif suffix in (".csv", ".tsv"):
            chunks = csv_chunks(file, chunk_rows, wanted, strings, encoding)
        else:
            chunks = jsonl_chunks(file, chunk_rows, wanted, strings, set(required), encoding)
        for chunk in _rebatch(chunks, chunk_rows):
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk


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


def _parquet_chunks(file: Path, rows: int, wanted: list[str] | None, strings: set[str],
                    part: bool) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(file)
    except Exception as exc:
        raise unreadable_parquet(file, exc, part=part) from exc
    schema = handle.schema_arrow
    check_present(file, schema.names, wanted)
    for name in strings & set(schema.names):
        text_type(schema.field(name).type, f"{file}: column {name!r}")
    with handle:
        try:
            for batch in handle.iter_batches(batch_size=rows, columns=wanted):
                yield pd.DataFrame({name: (as_text(batch.column(name)).to_pandas() if name in strings
                                           else batch.column(name).to_pandas()) for name in batch.schema.names},
                                   index=pd.RangeIndex(batch.num_rows))
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise unreadable_parquet(file, exc, part=part) from None
