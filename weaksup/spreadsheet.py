"""CSV cells that a spreadsheet would run as formulas, escaped (the OWASP rule for CSV injection).

A CSV meant for people (the review sheet, the labels CSV of a run, a gold set's ``labels.csv``) is opened
in Excel, LibreOffice or Google Sheets, which run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
a tab or carriage return before one) as a formula: ``=cmd|' /C calc'!A0`` starts a program,
``=HYPERLINK(...)`` sends data away. Such text cells get a leading single quote, which spreadsheets show
as "this is text" and do not run. Numbers (numeric columns) stay numbers.

The escape is reversible, so weaksup reads back what it wrote exactly (:func:`unescape_formulas`): a text
cell matching ``'*[=+\\-@\\t\\r]...`` (any single quotes, then a trigger character) gets one more quote;
unescaping drops one quote from a cell matching ``'+[=+\\-@\\t\\r]...``. Every other cell is unchanged
both ways. Everything is vectorised (pandas string methods, Arrow compute): no per-row Python.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The first characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A cell to escape: any single quotes, then a trigger character.
ESCAPE_PATTERN = r"^'*[=+\-@\t\r]"
#: A cell that :func:`escape_cell` escaped: one or more single quotes, then a trigger character.
ESCAPED_PATTERN = r"^'+[=+\-@\t\r]"

Table = TypeVar("Table", pd.DataFrame, pa.Table)


def escape_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula; else unchanged.

    Examples
    --------
    >>> escape_cell("=HYPERLINK(\\"http://x\\")"), escape_cell("@x"), escape_cell("+1"), escape_cell("ok")
    ('\\'=HYPERLINK("http://x")', "'@x", "'+1", 'ok')
    >>> escape_cell(-1.5), escape_cell(None)
    (-1.5, None)
    """
    if isinstance(value, str) and re.match(ESCAPE_PATTERN, value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The cell :func:`escape_cell` was given (the inverse: one leading quote dropped before a trigger).

    Examples
    --------
    >>> unescape_cell("'=1+1"), unescape_cell("'tis"), unescape_cell(escape_cell("''@x"))
    ('=1+1', "'tis", "''@x")
    """
    if isinstance(value, str) and re.match(ESCAPED_PATTERN, value):
        return value[1:]
    return value


def escape_formulas(table: Table, columns: Iterable[str] | None = None) -> Table:
    """``table`` (a DataFrame or an Arrow table) with every formula-looking text cell escaped.

    Parameters
    ----------
    table : DataFrame or pyarrow.Table
        What is about to be written as CSV/TSV for people.
    columns : iterable of str, optional
        The columns to escape (default: every text column; numeric columns are never touched).

    Returns
    -------
    DataFrame or pyarrow.Table
        A new table of the same type; the input is not modified.

    Examples
    --------
    >>> frame = pd.DataFrame({"text": ["=cmd|' /C calc'!A0", "-1", "fine"], "p": [-1.0, 0.5, 1]})
    >>> out = escape_formulas(frame)
    >>> out["text"].tolist(), out["p"].tolist()
    (["'=cmd|' /C calc'!A0", "'-1", 'fine'], [-1.0, 0.5, 1.0])
    """
    return _map(table, columns, escape=True)


def unescape_formulas(table: Table, columns: Iterable[str] | None = None) -> Table:
    """The inverse of :func:`escape_formulas`: what weaksup wrote, read back exactly.

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["-abc", "''=x", "'tis"]})
    >>> unescape_formulas(escape_formulas(frame))["row_id"].tolist()
    ['-abc', "''=x", "'tis"]
    """
    return _map(table, columns, escape=False)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, escape: bool = True, sep: str = ",") -> None:
    """Write ``frame`` as a CSV (or TSV) file for people: formulas escaped (unless ``escape=False``), ``\\n`` lines.

    A text cell holding a carriage return is quoted (Python's CSV writer quotes it only when it is part of
    the line terminator, and a bare CR would split the row for every reader and spreadsheet): when any
    cell holds one, every text cell is quoted; otherwise the file is the plain minimal-quoting CSV.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sheet.csv"
    >>> write_csv(pd.DataFrame({"text": ["=1+1", "ok"], "n": [1, 2]}), path)
    >>> path.read_text()
    "text,n\\n'=1+1,1\\nok,2\\n"
    """
    out = escape_formulas(frame) if escape else frame
    texts = [c for c in out.columns if pd.api.types.is_string_dtype(out[c].dtype) or out[c].dtype == object]
    has_cr = any(out[c].astype("string").str.contains("\r", regex=False, na=False).any() for c in texts)
    out.to_csv(path, index=False, lineterminator="\n", sep=sep,
               quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)


def _map(table: Table, columns: Iterable[str] | None, *, escape: bool) -> Table:
    if isinstance(table, pa.Table):
        return _map_arrow(table, columns, escape=escape)
    return _map_frame(table, columns, escape=escape)


def _map_frame(frame: pd.DataFrame, columns: Iterable[str] | None, *, escape: bool) -> pd.DataFrame:
    names = list(frame.columns) if columns is None else [c for c in columns if c in frame.columns]
    out = frame.copy()
    for name in names:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            if pd.api.types.is_string_dtype(cats) or cats.dtype == object:
                out[name] = series.cat.rename_categories(_map_series(pd.Series(cats), escape=escape).tolist())
        elif pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
            out[name] = _map_series(series, escape=escape)
    return out


def _map_series(series: pd.Series, *, escape: bool) -> pd.Series:
    hit = series.str.match(ESCAPE_PATTERN if escape else ESCAPED_PATTERN, na=False).astype(bool)
    if not hit.any():
        return series
    out = series.copy()
    out[hit] = ("'" + series[hit]) if escape else series[hit].str.slice(1)
    return out


def _map_arrow(table: pa.Table, columns: Iterable[str] | None, *, escape: bool) -> pa.Table:
    names = table.column_names if columns is None else [c for c in columns if c in table.column_names]
    for name in names:
        index = table.column_names.index(name)
        column = table.column(index)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        hit = pc.fill_null(pc.match_substring_regex(column, ESCAPE_PATTERN if escape else ESCAPED_PATTERN), False)
        if not pc.any(hit).as_py():
            continue
        changed = (pc.binary_join_element_wise(pa.scalar("'", kind), column, pa.scalar("", kind)) if escape
                   else pc.utf8_slice_codeunits(column, 1))
        table = table.set_column(index, table.field(index).with_type(kind), pc.if_else(hit, changed, column))
    return table
