"""What a threshold rule's operands hold (text, numbers, dates), which fields a rule reads as numbers, and what to
say when its comparison fails on a column's type (:func:`type_hint`), for :mod:`weaksup.lf.threshold`.

A compiled rule (:mod:`weaksup.lf.threshold`) is a tree of tuples: ``("field", name)``, ``("const", value)``,
``("and" | "or", [nodes])``, ``("not" | "neg", node)``, ``("arith" | "cmp", op, left, right)``, ``("in", negated,
node, ("consts", [values]))`` and ``("call", name, node)``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DATES", "all_text", "has_type", "is_date", "is_number", "numeric_fields", "type_hint"]

#: The Python types of dates and durations.
DATES = (pd.Timestamp, pd.Timedelta, np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)


def has_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    """Whether a rule operand (a constant or a column) holds a value of some Python type.

    Examples
    --------
    >>> has_type(np.array(["a", 1], dtype=object), str), has_type(np.array([1.0]), str)
    (True, False)
    """
    if isinstance(value, np.ndarray):
        return value.dtype == object and any(isinstance(v, kind) for v in value.flat)
    return isinstance(value, kind)


def is_number(value: Any) -> bool:
    """Whether an operand holds a number (a bool too); the NaN standing in for a missing cell does not count.

    Examples
    --------
    >>> is_number(np.array(["a", np.nan], dtype=object)), is_number(np.array(["a", 2], dtype=object))
    (False, True)
    """
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf" or (value.dtype == object and any(
            isinstance(v, (int, float, np.number, np.bool_)) and v == v for v in value.flat))
    return isinstance(value, (int, float, np.number, np.bool_))


def is_date(value: Any) -> bool:
    """Whether an operand holds dates or durations (a ``datetime64`` column, Timestamps, ``datetime.date``).

    Examples
    --------
    >>> is_date(np.array(["2024-01-01"], dtype="datetime64[D]")), is_date("2024-01-01")
    (True, False)
    """
    return (isinstance(value, np.ndarray) and value.dtype.kind in "mM") or has_type(value, DATES)


def all_text(values: np.ndarray) -> bool:
    """Whether a column holds text and no number in any present cell (a text column: no row of it compares).

    Examples
    --------
    >>> all_text(np.array(["12", "n/a"], dtype=object)), all_text(np.array(["n/a", 3.0], dtype=object))
    (True, False)
    """
    return has_type(values, str) and not is_number(values) and not is_date(values)


def numeric_fields(program: Any) -> tuple[str, ...]:
    """The fields a compiled rule reads as numbers: those under arithmetic, ``abs()`` or a minus sign, a side of a
    comparison whose other side is not quoted text, a field ``in`` a list holding a number. A field compared only
    with text (``country == 'NL'``, ``country in ['NL', 'BE']``) is read as text: a column of text suits it.

    Examples
    --------
    >>> import operator
    >>> rule = ("and", [("cmp", operator.eq, ("field", "country"), ("const", "NL")),  # country == 'NL' and
    ...                 ("cmp", operator.gt, ("field", "amount"), ("const", 100))])   # amount > 100
    >>> numeric_fields(rule)
    ('amount',)
    >>> numeric_fields(("or", [("call", "abs", ("arith", operator.sub, ("field", "a"), ("field", "b"))),
    ...                        ("in", False, ("field", "c"), ("consts", ["x", 2])),
    ...                        ("in", True, ("field", "d"), ("consts", ["y"]))]))
    ('a', 'b', 'c')
    """
    found: list[str] = []

    def add(node: Any) -> None:  # every field under node
        if node[0] == "field":
            found.append(node[1])
        for child in node[1:]:
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, tuple):
                    add(item)

    def walk(node: Any) -> None:
        tag = node[0]
        if tag in ("arith", "neg", "call"):
            add(node)
        elif tag in ("and", "or"):
            for child in node[1]:
                walk(child)
        elif tag == "not":
            walk(node[1])
        elif tag == "cmp":
            for side, other in ((node[2], node[3]), (node[3], node[2])):
                text = other[0] == "const" and isinstance(other[1], str)
                if side[0] != "field" or not text:
                    (add if side[0] == "field" else walk)(side)
        elif tag == "in" and any(not isinstance(v, str) for v in node[3][1]):
            add(node[2])
        elif tag == "in":
            walk(node[2])

    walk(program)
    return tuple(dict.fromkeys(found))


def type_hint(columns: dict[str, np.ndarray], kinds: dict[str, str], text_columns: Iterable[str] = (),
              numeric: Iterable[str] | None = None) -> str:
    """What to do when a rule cannot compare its fields: the fields holding text or dates, and the fix
    (``text_columns``: the fields that are whole columns of text, which the input stores as text; ``numeric``: the
    fields the rule reads as numbers, :func:`numeric_fields`, of which only those holding text are named; None: all).

    Examples
    --------
    >>> type_hint({"amount": np.array(["12", "n/a"], dtype=object)}, {"amount": "str"}, ["amount"])[:70]
    "; field 'amount' holds text (e.g. '12'), not numbers: the input stores"
    >>> type_hint({"country": np.array(["NL"], dtype=object)}, {"country": "str"}, numeric=[])
    ''
    """
    hint = ""
    dates = [f for f, v in columns.items() if is_date(v)]
    for f in dates:
        hint += (f"; field {f!r} holds dates or durations ({kinds[f]}), which cannot be compared with numbers or "
                 f"text: derive a numeric column first (e.g. df[{f + '_hour'!r}] = df[{f!r}].dt.hour, or days since "
                 f"a date: (df[{f!r}] - start).dt.days; durations: df[{f!r}].dt.total_seconds()) and write the rule "
                 "over it")
    named = None if numeric is None else set(numeric)
    text = {f: next((v for v in values.flat if isinstance(v, str) and v), "") for f, values in columns.items()
            if f not in dates and has_type(values, str) and (named is None or f in named)}
    whole = [f for f in text if f in set(text_columns)]
    hint += "".join(f"; field {f!r} holds text (e.g. {v!r})" + (", not numbers" if f in whole else "")
                    for f, v in text.items())
    if whole:
        f = whole[0]
        hint += (": the input stores the column as text; convert it to numbers before the run: "
                 f"df[{f!r}] = pd.to_numeric(df[{f!r}], errors='coerce') (values that are not numbers become missing, "
                 "where the LF abstains), or write the column as numbers in the input file; or compare with text "
                 "(x == '5'). lfs.fault_tolerant would not fix it: the LF would abstain on every row")
    elif text:
        hint += (": a value that is not a number (a typo, 'n/a', a unit) in a column of numbers; fix it in the "
                 "input (pd.to_numeric(column, errors='coerce') makes such values missing), or compare with text "
                 "(x == '5')")
    return hint
