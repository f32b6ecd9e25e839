"""Strict CSV/TSV reading: every line has the header's fields, the header names are unique, quotes close.

The rows are parsed by the Arrow CSV reader (C++, no Python per row); a line with more or fewer fields
than the header stops the read through Arrow's invalid-row hook, which fires on bad lines only. The
real line number (quoted fields may span lines) is then found by a second, slower scan of the file with
Python's :mod:`csv` module, on the error path only. Columns named in ``strings`` are kept as text (only an
empty field is missing). The others are typed the way pandas' reader types them: pandas' missing-value
spellings (``NA``, ``N/A``, ``null``, ``NaN``, ...) are missing, and the column is int64, uint64, float64 or
bool when every other value is one, else text. The type is decided over the whole file, by a first pass over
those columns, so a column's values never depend on how the file is cut into chunks.
"""

from __future__ import annotations

import csv
import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from weaksup.data.columns import check_present
from weaksup.errors import DataError, WeakSupError

_TRUE = ["True", "TRUE", "true"]
_FALSE = ["False", "FALSE", "false"]
#: The fields pandas' CSV reader reads as missing (its default ``na_values``; an empty field too).
NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
             "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
#: The types a column may take, narrowest first (text when none holds every value).
_KINDS = ("int64", "uint64", "float64", "bool")
_QUOTE_FIX = "close the quote, or double quotes inside a quoted field (\"\")"


def separator(file: Path) -> str:
    """The field separator of a delimited file: tab for ``.tsv``, else comma."""
    return "\t" if file.suffix.lower() == ".tsv" else ","


def wrong_separator(file: Path, header: list[str], fix: str = "") -> str | None:
    """Why a comma-separated ``file`` whose ``header`` is one name holding tabs or semicolons was misread, and
    the fix (``fix``, by default to rename it ``.tsv`` or re-save it with commas; None for any other header):
    it was saved tab- or semicolon-separated (Excel in some locales).

    Examples
    --------
    >>> wrong_separator(Path("data/a.csv"), ["row_id\\ttext"])
    "data/a.csv line 1: the header is one column 'row_id\\\\ttext': the file looks tab-separated, not comma-separated; rename it a.tsv (or re-save it with commas)"
    >>> wrong_separator(Path("data/a.csv"), ["row_id", "text"]) is None
    True
    """
    if len(header) != 1 or separator(file) != "," or not ("\t" in header[0] or ";" in header[0]):
        return None
    if "\t" in header[0]:
        kind, fix = "tab", fix or f"rename it {file.with_suffix('.tsv').name} (or re-save it with commas)"
    else:
        kind, fix = "semicolon", fix or "re-save it with commas (Excel: CSV UTF-8 (Comma delimited))"
    return (f"{file} line 1: the header is one column {header[0][:80]!r}: the file looks {kind}-separated, not "
            f"comma-separated; {fix}")


def read_header(file: Path, encoding: str) -> list[str]:
    """The header's column names, checked: present and unique (empty names become ``Unnamed: <i>``
    as pandas names them)."""
    header: list[str] = []
    try:
        with open(file, encoding=_python_encoding(encoding), newline="") as fh:
            reader = csv.reader(fh, delimiter=separator(file))
            header = next((record for record in reader if record), [])  # (blank lines before it are skipped)
    except UnicodeDecodeError:
        raise bad_encoding(file, encoding) from None
    except LookupError:
        raise DataError(f"{file}: input.encoding = {encoding!r} is not an encoding Python knows; use e.g. "
                        "'utf-8', 'latin-1' or 'cp1252'") from None
    except csv.Error as exc:
        raise DataError(f"{file}: cannot read the header line ({exc}); {_QUOTE_FIX}") from None
    if not header:
        raise DataError(f"{file}: the file is empty (no header line); a CSV input needs a header and rows")
    if message := wrong_separator(file, header):
        raise DataError(message)
    names = [name or f"Unnamed: {i}" for i, name in enumerate(header)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DataError(f"{file} line 1: the header names column {name!r} twice (columns {seen[name] + 1} "
                            f"and {i + 1}); rename one so every column has its own name")
        seen[name] = i
    return names


def csv_chunks(file: Path, rows: int, wanted: list[str] | None, strings: set[str], encoding: str
               ) -> Iterator[pd.DataFrame]:
    """The rows of a CSV/TSV file in frames of ``rows`` rows (the last may be shorter), checked strictly."""
    import pyarrow.csv as pacsv

    header = read_header(file, encoding)
    check_present(file, header, wanted)
    _check_quotes(file, encoding)
    bad: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad.append(row)
        return "error"

    # one thread: no slower here (the parse is a small part of a run), and no reader thread calling
    # Python's codecs (non-UTF-8 inputs) at interpreter exit
    read = pacsv.ReadOptions(block_size=1 << 24, encoding=_arrow_encoding(encoding), column_names=header,
                             use_threads=False)
    parse = pacsv.ParseOptions(delimiter=separator(file), newlines_in_values=True, invalid_row_handler=on_bad_row)

    def batches(columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        first = True
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_string()), null_values=[""],
                                       strings_can_be_null=True, include_columns=columns)
        try:
            with pacsv.open_csv(file, read_options=read, parse_options=parse, convert_options=options) as reader:
                for batch in reader:
                    if first:  # the header line, read as a row of its own names
                        batch, first = batch.slice(1), False
                    yield batch
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if bad:
                raise _field_count_error(file, encoding, len(header), bad[0]) from None
            if isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc):
                raise bad_encoding(file, encoding) from None
            raise DataError(f"{file}: malformed CSV ({exc}); {_QUOTE_FIX}") from None

    typed = [name for name in (wanted if wanted is not None else header) if name not in strings]
    kinds = _column_kinds(batches(typed), typed) if typed else {}
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches(wanted):
        pending.append(batch)
        size += batch.num_rows
        while size >= rows:
            table = pa.Table.from_batches(pending)
            yield _frame(table.slice(0, rows), kinds, file)
            rest = table.slice(rows)
            pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield _frame(pa.Table.from_batches(pending), kinds, file)


def _column_kinds(batches: Iterator[pa.RecordBatch], columns: list[str]) -> dict[str, str]:
    """Each column's type over every batch: the first of :data:`_KINDS` holding all its values that are not
    missing (all missing: float64, as pandas reads it), else ``"text"``; with a missing value anywhere, an integer
    column is float64 and a bool column ``"bool+missing"`` (objects), in every chunk."""
    fits = {name: set(_KINDS) for name in columns}
    missing = dict.fromkeys(columns, False)
    for batch in batches:
        for name in columns:
            values = _missing_as_null(batch.column(name))
            missing[name] = missing[name] or values.null_count > 0
            present = values.drop_null()
            if fits[name] and len(present):
                fits[name] = {kind for kind in fits[name] if _cast(present, kind) is not None}
    kinds = {}
    for name in columns:
        kind = next((kind for kind in _KINDS if kind in fits[name]), "text")
        if missing[name] and kind in ("int64", "uint64"):
            kind = "float64"  # an integer column with a missing value is float64 in every chunk, as pandas reads it
        kinds[name] = "bool+missing" if missing[name] and kind == "bool" else kind
    return kinds


def _missing_as_null(values: pa.Array) -> pa.Array:
    """``values`` with pandas' missing-value spellings (:data:`NA_VALUES`) as nulls."""
    missing = pc.is_in(values, value_set=pa.array(NA_VALUES, pa.large_string()))
    return pc.if_else(missing, pa.scalar(None, pa.large_string()), values)


def _cast(values: pa.Array, kind: str) -> pa.Array | None:
    """``values`` (text, nulls for missing) as ``kind``, or None when one of them is not of that kind. Like
    pandas, numbers may have surrounding whitespace and a leading ``+``."""
    if kind == "bool":
        present = values.drop_null()
        if len(present) and not pc.all(pc.is_in(present, value_set=pa.array(_TRUE + _FALSE, pa.large_string()))).as_py():
            return None
        flags = pc.is_in(values, value_set=pa.array(_TRUE, pa.large_string()))
        return pc.if_else(values.is_valid(), flags, pa.scalar(None, pa.bool_()))
    target = {"int64": pa.int64(), "uint64": pa.uint64(), "float64": pa.float64()}[kind]
    for candidate in (values, None):
        if candidate is None:
            candidate = pc.replace_substring_regex(values, r"^[\t\n\v\f\r ]*\+?|[\t\n\v\f\r ]+$", "")
        try:
            return pc.cast(candidate, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


def _frame(table: pa.Table, kinds: dict[str, str], file: Path) -> pd.DataFrame:
    """A chunk as pandas: the columns in ``kinds`` as their type (missing: NaN; an int column with a missing value
    is float64, as pandas makes it), the others as text."""
    columns = {}
    for name in table.column_names:
        values = table.column(name).combine_chunks()
        kind = kinds.get(name)
        if kind is None:
            columns[name] = values.to_pandas()
            continue
        values = _missing_as_null(values)
        if kind == "text":
            columns[name] = pd.Series(values.to_pandas()).where(values.is_valid().to_numpy(zero_copy_only=False),
                                                                float("nan"))
            continue
        cast = _cast(values, kind.removesuffix("+missing"))
        if cast is None:  # every value fitted in the first pass: the file was written to while it was read
            raise DataError(f"{file}: column {name!r} changed while the file was read (a value that is not {kind} "
                            "appeared); read it again once nothing writes to it")
        if kind == "bool":
            columns[name] = pd.Series(cast.to_numpy(zero_copy_only=False))
        elif kind == "bool+missing":
            columns[name] = pd.Series(cast.fill_null(False).to_numpy(zero_copy_only=False)).astype(object).where(
                cast.is_valid().to_numpy(zero_copy_only=False), float("nan"))
        else:
            columns[name] = pd.Series(cast.to_pandas())
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _check_quotes(file: Path, encoding: str) -> None:
    """An odd number of quote characters may be a quote never closed (the rest of the file read into one
    field); the slower :mod:`csv` scan then says where (a stray quote inside an unquoted field is fine)."""
    if file.stat().st_size == 0:
        return
    with open(file, "rb") as raw, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as data:
        count = 0
        step = 1 << 26
        for start in range(0, len(data), step):
            count += data[start:start + step].count(b'"')
    if count % 2 == 0:
        return
    line = 0
    try:
        with open(file, encoding=_python_encoding(encoding), newline="") as fh:
            reader = csv.reader(fh, delimiter=separator(file), strict=True)
            while True:
                try:
                    for _ in reader:
                        line = reader.line_num
                    return
                except csv.Error as exc:
                    if "end of data" in str(exc):
                        raise DataError(f"{file} line {line + 1}: a quoted field opened here is never closed (the "
                                        f"rest of the file would be read into it); {_QUOTE_FIX}") from None
                    line = reader.line_num  # text after a closing quote: read leniently, as before; go on
    except UnicodeDecodeError:
        raise bad_encoding(file, encoding) from None


def _field_count_error(file: Path, encoding: str, expected: int, row: Any) -> DataError:
    """The first line whose field count differs from the header's, with its real line number."""
    line, found, text = _first_ragged(file, encoding, expected)
    if line is None:  # the csv module sees no such line: fall back on what Arrow saw
        found, text = row.actual_columns, row.text
        where = f"{file} row {row.number}" if row.number is not None else f"{file}"
    else:
        where = f"{file} line {line}"
    extra = ("more" if found > expected else "fewer")
    hint = ("quote fields that contain the separator" if found > expected
            else "every line needs every field (leave a field empty, not out)")
    return DataError(f"{where}: {found} field(s) where the header has {expected} ({extra} fields than the header; "
                     f"{text[:80]!r}); {hint}")


def _first_ragged(file: Path, encoding: str, expected: int) -> tuple[int | None, int, str]:
    previous = 0
    try:
        with open(file, encoding=_python_encoding(encoding), newline="") as fh:
            reader = csv.reader(fh, delimiter=separator(file))
            for record in reader:
                if record and len(record) != expected:
                    return previous + 1, len(record), separator(file).join(record)
                previous = reader.line_num
    except (csv.Error, UnicodeDecodeError):
        pass
    return None, 0, ""


def bad_encoding(file: Path, encoding: str = "utf-8", *, fix: str = "", error: type[WeakSupError] = DataError
                 ) -> WeakSupError:
    """The first line of ``file`` that does not decode, for the error message: ``<file> line N: bytes b'\\xe9' are
    not valid utf-8; <fix>`` (by default: re-save as UTF-8 or set input.encoding), as ``error``. Every reader of
    a user's text file (the input, a gold file, a review sheet) words it so.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "gold.csv"
    >>> _ = path.write_bytes("row_id,label\\na,caf\u00e9\\n".encode("latin-1"))
    >>> print(bad_encoding(path, fix="re-save as UTF-8"))  # doctest: +ELLIPSIS
    /.../gold.csv line 2: bytes b'\\xe9' are not valid utf-8; re-save as UTF-8
    """
    utf16 = fix or "set input.encoding = 'utf-16' or re-save it as UTF-8"
    fix = fix or "re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8) or set input.encoding"
    with open(file, "rb") as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff") and not encoding.lower().startswith("utf-16"):
            return error(f"{file}: the file is UTF-16 text (it starts with a UTF-16 byte-order mark, as Excel's "
                         f"'Unicode text' writes it); {utf16}")
        fh.seek(0)
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.end]
                return error(f"{file} line {number}: bytes {bad!r} are not valid {encoding}; {fix}")
    return error(f"{file}: cannot be decoded as {encoding}; {fix}")


def line_of_row(file: Path, position: int, encoding: str = "utf-8") -> int | None:
    """The line on which data row ``position`` (0-based, blank lines skipped) starts, counting lines inside
    quoted fields; None when the file has fewer rows or cannot be read. Error path only (a Python scan)."""
    previous = 0
    row = -1
    try:
        with open(file, encoding=_python_encoding(encoding), newline="") as fh:
            reader = csv.reader(fh, delimiter=separator(file))
            for record in reader:
                if record:
                    if row == position:
                        return previous + 1
                    row += 1
                previous = reader.line_num
    except (OSError, csv.Error, UnicodeDecodeError, LookupError):
        return None
    return None


def _python_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


__all__ = ["bad_encoding", "csv_chunks", "line_of_row", "read_header", "separator", "wrong_separator"]
