"""Where a row of an input is, for error messages: its real line, or its file (and line) in a folder or pattern."""

from __future__ import annotations

from pathlib import Path

from weaksup.data.delimited import line_of_row
from weaksup.data.files import input_files, is_pattern, pattern_base


def locate_row(path: Path, position: int, *, encoding: str = "utf-8", name: str | None = None) -> str:
    """``"<name> row <position> (line <n>)"`` for CSV and JSON Lines, ``(part <file> row <k>)`` for a
    Parquet folder, ``(file <file> row <k>, line <n>)`` for a folder or glob pattern of CSV or JSON Lines
    files. The files are scanned (quoted fields spanning lines and blank lines are counted), so call this
    on error paths only; when a file cannot be read, the line assumes one line per row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> _ = path.write_text('row_id,text\\na,"two\\nlines"\\n\\nb,x\\n')
    >>> locate_row(path, 1, name="rows.csv")
    'rows.csv row 1 (line 5)'
    """
    label = name if name is not None else str(path)
    if path.is_dir() or is_pattern(path):
        found = _file_of_row(path, position, encoding)
        if found is None:
            return f"{label} row {position}"
        file, rel, row = found
        if file.suffix.lower() == ".parquet":
            return f"{label} row {position} (part {rel} row {row})"
        line = _line(file, row, encoding)
        return f"{label} row {position} (file {rel} row {row}" + (f", line {line})" if line is not None else ")")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        line = line_of_row(path, position, encoding)
        return f"{label} row {position} (line {line if line is not None else position + 2})"
    if suffix in (".jsonl", ".ndjson"):
        line = _jsonl_line(path, position)
        return f"{label} row {position} (line {line if line is not None else position + 1})"
    return f"{label} row {position}"


def _jsonl_line(path: Path, position: int) -> int | None:
    row = -1
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if raw.strip():
                    row += 1
                    if row == position:
                        return number
    except OSError:
        return None
    return None


def _line(file: Path, row: int, encoding: str) -> int | None:
    if file.suffix.lower() in (".csv", ".tsv"):
        return line_of_row(file, row, encoding)
    return _jsonl_line(file, row)


def _file_of_row(path: Path, position: int, encoding: str) -> tuple[Path, str, int] | None:
    """The file of a folder or pattern holding row ``position``, its name relative to the folder searched,
    and the row's position in it."""
    try:
        files = input_files(path, encoding=encoding)
        base = path if path.is_dir() else pattern_base(path)
        start = 0
        for file in files:
            rows = _rows(file, encoding)
            if position < start + rows:
                return file, file.relative_to(base).as_posix(), position - start
            start += rows
    except Exception:  # noqa: BLE001 - a message helper never fails
        return None
    return None


def _rows(file: Path, encoding: str) -> int:
    """The data rows of a file (blank lines skipped, as the readers skip them)."""
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(file).metadata.num_rows)
    if suffix in (".csv", ".tsv"):
        import csv

        from weaksup.data.delimited import separator

        with open(file, encoding="utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding,
                  newline="") as fh:
            return max(sum(1 for record in csv.reader(fh, delimiter=separator(file)) if record) - 1, 0)
    with open(file, "rb") as fh:
        return sum(1 for raw in fh if raw.strip())
