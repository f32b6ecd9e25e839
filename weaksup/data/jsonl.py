"""Strict JSON Lines reading: one object per line; ids and texts are strings (or integers), never a repr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.data.columns import check_present
from weaksup.data.delimited import bad_encoding
from weaksup.errors import DataError


def jsonl_chunks(file: Path, rows: int, wanted: list[str] | None, strings: set[str], required: set[str],
                 encoding: str) -> Iterator[pd.DataFrame]:
    """The objects of a JSON Lines file in frames of ``rows`` rows; blank lines are skipped.

    A key absent from a line reads as None (a missing text is routed to review), except for
    ``required`` keys (the id), which name the line; a ``strings`` value that is not a string, an
    integer or ``null`` names the line and the key.
    """
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    checked = False
    with open(file, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode(encoding).strip()
            except UnicodeDecodeError:
                raise bad_encoding(file, encoding) from None
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
                check_present(file, list(record), wanted)
                checked = True
            records.append(record)
            lines.append(number)
            if len(records) == rows:
                yield _frame(file, records, lines, wanted, strings, required)
                records, lines = [], []
    if records:
        yield _frame(file, records, lines, wanted, strings, required)


def _frame(file: Path, records: list[dict[str, Any]], lines: list[int], wanted: list[str] | None,
           strings: set[str], required: set[str]) -> pd.DataFrame:
    if wanted is None:
        wanted = list(dict.fromkeys(key for record in records for key in record))
    columns: dict[str, Any] = {}
    for name in wanted:
        values = [record.get(name) for record in records]
        if name in strings:
            values = _as_strings(file, name, values, lines, name in required)
        elif name in required and None in values:
            _absent(file, name, records, lines)
        columns[name] = pd.Series(values, dtype="str") if name in strings else pd.Series(values)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


def _as_strings(file: Path, name: str, values: list[Any], lines: list[int], required: bool) -> list[Any]:
    """``values`` as strings or None; integers as their digits; anything else an error naming the line."""
    if all(type(v) is str for v in values):  # the usual case, at C speed
        return values
    out: list[Any] = []
    for value, line in zip(values, lines):
        if type(value) is str:
            out.append(value)
        elif value is None:
            if required:
                raise DataError(f"{file} line {line}: no {name!r} (the key is absent or null); every row needs "
                                f"one: add it, or set input.id_column to the key that identifies the rows")
            out.append(None)
        elif type(value) is int:
            out.append(str(value))
        else:
            kind = {bool: "a boolean", float: "a number with a fraction", list: "a list", dict: "an object"}.get(
                type(value), type(value).__name__)
            raise DataError(f"{file} line {line}: {name!r} is {kind} ({json.dumps(value)[:60]}); ids and texts "
                            "must be strings (or integers, read as their digits) or null: fix the line or "
                            "convert the key to text when writing the file")
    return out


def _absent(file: Path, name: str, records: list[dict[str, Any]], lines: list[int]) -> None:
    for record, line in zip(records, lines):
        if record.get(name) is None:
            raise DataError(f"{file} line {line}: no {name!r} (the key is absent or null); every row needs one")
