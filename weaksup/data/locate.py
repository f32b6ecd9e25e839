"""Where a row of an input is, for error messages: its real line, or its part file."""

from __future__ import annotations

from pathlib import Path

from weaksup.data.delimited import line_of_row


def locate_row(path: Path, position: int, *, encoding: str = "utf-8", name: str | None = None) -> str:
    """``"<name> row <position> (line <n>)"`` for CSV and JSON Lines, ``(part <file> row <k>)`` for a
    Parquet folder. The file is scanned (quoted fields spanning lines and blank lines are counted), so
    call this on error paths only; when it cannot be read, the line assumes one line per row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> _ = path.write_text('row_id,text\\na,"two\\nlines"\\n\\nb,x\\n')
    >>> locate_row(path, 1, name="rows.csv")
    'rows.csv row 1 (line 5)'
    """
    label = name if name is not None else str(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        part = _part_of_row(path, position)
        return f"{label} row {position}" + (f" (part {part[0]} row {part[1]})" if part else "")
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


def _part_of_row(folder: Path, position: int) -> tuple[str, int] | None:
    import pyarrow.parquet as pq

    from weaksup.data.read import input_files

    try:
        start = 0
        for part in input_files(folder):
            rows = pq.ParquetFile(part).metadata.num_rows
            if position < start + rows:
                return str(part.relative_to(folder)), position - start
            start += rows
    except Exception:  # noqa: BLE001 - a message helper never fails
        return None
    return None
