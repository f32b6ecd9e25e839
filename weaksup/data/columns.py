"""What a column must be: present in the input, and, for ids and texts, text (or integers read as text)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from weaksup.errors import DataError, MissingColumnError


def check_present(file: Path, present: Sequence[str], wanted: Sequence[str] | None) -> None:
    """Every ``wanted`` column is among ``present`` (a :class:`MissingColumnError` naming the file)."""
    if wanted is None:
        return
    missing = [c for c in wanted if c not in present]
    if missing:
        raise MissingColumnError(f"{file}: missing column(s) {missing}; its columns are {list(present)}. "
                                 "Fix input.id_column / input.fields or the LFs' fields")


def text_type(kind: pa.DataType, where: str) -> None:
    """Refuse an Arrow type that cannot be read as text: strings (plain or dictionary-encoded, as pandas
    writes a category), integers and all-null columns can; anything else is a :class:`DataError`.

    Examples
    --------
    >>> text_type(pa.dictionary(pa.int32(), pa.string()), "x.parquet: column 'text'")
    >>> text_type(pa.float64(), "x.parquet: column 'text'")
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: x.parquet: column 'text' holds double; ids and texts must be strings ...
    """
    value = kind.value_type if pa.types.is_dictionary(kind) else kind
    if (pa.types.is_string(value) or pa.types.is_large_string(value) or pa.types.is_string_view(value)
            or pa.types.is_integer(value) or pa.types.is_null(value)):
        return
    raise DataError(f"{where} holds {kind}; ids and texts must be strings (or integers, read as their digits): "
                    "convert the column to text when writing the file")


def as_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A column :func:`text_type` accepts, as Arrow large strings (dictionaries decoded, integers as digits).

    Examples
    --------
    >>> as_text(pa.array(["b", "a", "b"]).dictionary_encode()).to_pylist()
    ['b', 'a', 'b']
    >>> as_text(pa.array([7, None])).to_pylist()
    ['7', None]
    """
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.cast(pa.large_string())


def stored_as_text(path: str | Path, column: str) -> str:
    """How the input file at ``path``, by its format, came to store ``column`` as text where a rule wants numbers.

    Examples
    --------
    >>> stored_as_text("claims.parquet", "amount")
    "input.path claims.parquet is a Parquet file that stores column 'amount' as text: write it as numbers"
    """
    suffix = Path(str(path)).suffix.lower()
    if suffix in (".csv", ".tsv"):
        why = (f"is a {suffix[1:].upper()} file: one value in column {column!r} that is not a number (a typo, 'n/a', "
               "a unit) makes the whole column text; fix those values in the file, or convert the column")
    elif suffix in (".jsonl", ".ndjson"):
        why = f"is a JSON-lines file whose column {column!r} holds quoted strings: write its values as numbers"
    else:
        why = f"is a Parquet file that stores column {column!r} as text: write it as numbers"
    return f"input.path {path} {why}"
