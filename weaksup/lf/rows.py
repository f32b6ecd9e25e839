"""The row objects row-wise LFs receive: weaksup's :class:`Row` and the light stand-in for Snorkel's ``pd.Series`` rows.

Snorkel's ``PandasLFApplier`` hands each LF a ``pandas.Series`` built per row (about 20 microseconds each, and
attribute access goes through pandas' ``__getattr__``). Snorkel LFs here receive a :class:`SeriesRow` instead: a
``SimpleNamespace`` whose fields are plain instance attributes (attribute access at C speed) holding exactly the
values the Series would hold (those of ``DataFrame.to_numpy()``: ``NaN`` for a missing text, numpy scalars in an
all-numeric frame). What a Series does and a namespace does not (``x.name``, ``x.index``, ``x.to_dict()``...) is
noticed (:class:`NeedsSeries`) and that LF alone runs on real Series rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

from weaksup.errors import MissingColumnError

__all__ = ["Failed", "NeedsSeries", "Row", "SeriesRow", "field_value", "is_missing", "series_row_type"]


class Row(dict[str, Any]):
    """One data row handed to row-wise weaksup LFs: ``row.text`` and ``row["text"]`` both work.

    It is far cheaper to build than a ``pandas.Series`` (Snorkel's row type), and LFs written for Snorkel's
    attribute/item access run unchanged on it. A preprocessor may add fields: ``x.polarity = 0.5`` sets
    ``x["polarity"]``.

    Examples
    --------
    >>> row = Row(text="great song")
    >>> row.polarity = 0.8
    >>> row.text, row["polarity"]
    ('great song', 0.8)
    """

    __slots__ = ()

    def __missing__(self, key: str) -> Any:  # a missing column, told apart from a KeyError of an LF's own lookups
        raise MissingColumnError(key)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"row has no field {name!r}; its fields are {list(self)}", name=name, obj=self
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"row has no field {name!r}", name=name, obj=self) from None


def is_missing(value: Any) -> bool:
    """True for ``None``, ``NaN`` and ``pandas.NA``: values LFs abstain on."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def field_value(x: Any, field: str) -> Any:
    """``x[field]`` for mappings and Series, ``getattr(x, field)`` for other rows."""
    try:
        return x[field]
    except (KeyError, IndexError, TypeError):
        if hasattr(x, field):
            return getattr(x, field)
        raise MissingColumnError(field) from None


class NeedsSeries(AttributeError):
    """A Snorkel LF used ``pandas.Series`` behaviour that a :class:`SeriesRow` does not have: it runs on Series."""


class Failed:
    """The outcome of a preprocessor chain that raised on a row: every LF reading the row faults with ``exc``."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __getattr__(self, name: str) -> Any:
        raise self.exc

    def __getitem__(self, key: Any) -> Any:
        raise self.exc


def _series_attributes() -> frozenset[str]:
    import pandas as pd

    return frozenset(dir(pd.Series))


class SeriesRow(SimpleNamespace):
    """A light row with the fields, values and attribute/item semantics of Snorkel's ``pd.Series`` rows.

    Each batch uses its own subclass (:func:`series_row_type`), whose ``columns`` are the frame's columns:
    ``x["col"]`` reads a column (``KeyError`` otherwise, as a Series does for an attribute a preprocessor set);
    ``x.new = v`` adds a field, which a preprocessor's copy of the row drops, as the pickled copy of a Series does;
    ``x["new"] = v`` adds a label, as a Series does: ``x["new"]``, ``"new" in x`` and copies see it (the row moves
    to a subclass whose ``columns`` end with it). Later LFs given the same row object see both, as Snorkel's LFs
    see what an earlier LF wrote to the row they share; item writes are listed in ``written`` too, for the batch to
    copy into its ``pandas.Series`` rows before a later LF runs on those.
    """

    columns: ClassVar[tuple[Any, ...]] = ()
    column_set: ClassVar[frozenset[Any]] = frozenset()
    #: The subclasses of this one with one more label (``x["new"] = v``), by that label.
    enlarged: ClassVar[dict[Any, type[SeriesRow]]] = {}
    #: Series attributes LFs asked for on rows of this type (each makes the LF run on Series rows).
    wanted: ClassVar[list[str]] = []
    #: ``(row, key)`` of the item writes (``x[key] = v``) to rows of this type since the batch last read them.
    written: ClassVar[list[tuple[SeriesRow, Any]]] = []
    series_attributes: ClassVar[frozenset[str]] = frozenset()

    def __getitem__(self, key: Any) -> Any:
        if _is_column_key(self, key):
            return self.__dict__[key]
        if not isinstance(key, str):  # positions, slices, lists of labels, masks: Series behaviour
            self.wanted.append(f"[{key!r}]")
            raise NeedsSeries(f"row[{key!r}] needs a pandas.Series row")
        raise MissingColumnError(key)  # a KeyError, as a pandas.Series row raises

    def __contains__(self, key: Any) -> bool:
        return key in self.column_set

    def __setitem__(self, key: Any, value: Any) -> None:
        """``x[key] = value`` as on a Series row: a column's value, or a new label (a Series attribute's name, or a
        key that is not text, needs a real Series row)."""
        if _is_column_key(self, key):
            self.__dict__[key] = value
            self.written.append((self, key))
            return
        if not isinstance(key, str) or key in self.series_attributes or hasattr(type(self), key):
            self._series_only(f"row[{key!r}] = ...")
        cls = type(self)
        wider = cls.enlarged.get(key)
        if wider is None:
            wider = type("SeriesRow", (cls,), {"columns": (*cls.columns, key), "column_set": cls.column_set | {key},
                                               "enlarged": {}, "__module__": __name__})
            cls.enlarged[key] = wider
        self.__class__ = wider
        self.__dict__[key] = value
        self.written.append((self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        """``x[key]``, or ``default`` when the row has no such column (as ``Series.get``)."""
        if _is_column_key(self, key):
            return self.__dict__[key]
        try:
            hash(key)
        except TypeError:  # x.get(["a", "b"]): a Series of those labels
            return self._series_only(f"row.get({key!r})")
        return default

    def __getattr__(self, name: str) -> Any:  # only for names that are not fields
        if name in self.series_attributes:
            self.wanted.append(name)
            raise NeedsSeries(f"'Series' attribute {name!r} needs a pandas.Series row")
        raise AttributeError(f"'Series' object has no attribute {name!r}")

    def _series_only(self, what: str) -> Any:
        self.wanted.append(what)
        raise NeedsSeries(f"{what} needs a pandas.Series row")

    def copy_columns(self) -> SeriesRow:
        """A new row with the column fields only (what ``pickle`` keeps of a Series, which Snorkel's mappers copy)."""
        out = SimpleNamespace.__new__(type(self))
        d = self.__dict__
        out.__dict__.update({c: d[c] for c in self.columns})
        return out

    def content_key(self) -> tuple[Any, ...]:
        """The column values, for memoisation keyed by content (Snorkel keys on the Series' items)."""
        d = self.__dict__
        return tuple([d[c] for c in self.columns])


def _is_column_key(row: SeriesRow, key: Any) -> bool:
    """True when ``key`` names one of the row's columns (False for an unhashable key: a list, an array, a mask)."""
    try:
        return key in row.column_set
    except TypeError:
        return False


#: Python operators of a pandas Series, as ``(method, reflected method or "", symbol)``: ``row + 1`` and ``1 + row``.
_OPERATORS = (("__add__", "__radd__", "+"), ("__sub__", "__rsub__", "-"), ("__mul__", "__rmul__", "*"),
              ("__truediv__", "__rtruediv__", "/"), ("__floordiv__", "__rfloordiv__", "//"),
              ("__mod__", "__rmod__", "%"), ("__pow__", "__rpow__", "**"), ("__matmul__", "__rmatmul__", "@"),
              ("__and__", "__rand__", "&"), ("__or__", "__ror__", "|"),
              ("__xor__", "__rxor__", "^"), ("__lt__", "", "<"), ("__le__", "", "<="), ("__gt__", "", ">"),
              ("__ge__", "", ">="), ("__eq__", "", "=="), ("__ne__", "", "!="))

#: What a Series row does and a namespace does not, by special method: the LF (or preprocessor) using one runs on
#: pandas Series rows instead (``len(row)``, ``del row["words"]`` in a preprocessor, ``row > 0.4``,
#: ``row == 0.9``, ``1 + row``, ``row ** 2``...). ``==`` and ``!=`` are there too: a Series compares element by
#: element (a namespace would answer one bool); rows stay unhashable, as Series and namespaces are.
_SERIES_ONLY = {"__len__": "len(row)", "__iter__": "iter(row)", "__reversed__": "reversed(row)",
                "__delitem__": "del row[...]", "__invert__": "~row",
                "__abs__": "abs(row)", "__neg__": "-row", "__pos__": "+row", "__round__": "round(row)",
                "__array__": "np.asarray(row)", "__divmod__": "divmod(row, ...)", "__rdivmod__": "divmod(..., row)",
                **{name: f"row {symbol} ..." for name, _, symbol in _OPERATORS},
                **{reflected: f"... {symbol} row" for _, reflected, symbol in _OPERATORS if reflected}}


def _series_only_method(what: str) -> Callable[..., Any]:
    def method(self: SeriesRow, *args: Any, **kwargs: Any) -> Any:
        return self._series_only(what)
    return method


for _name, _what in _SERIES_ONLY.items():
    setattr(SeriesRow, _name, _series_only_method(_what))
del _name, _what


def series_row_type(columns: Sequence[Any]) -> tuple[type[SeriesRow], Callable[[Iterable[Any]], SeriesRow]] | None:
    """A :class:`SeriesRow` subclass for a frame's columns and a fast builder from a row's values.

    None when a column name would shadow a ``pandas.Series`` attribute or method (``name``, ``index``, ``count``...):
    a Series resolves ``x.name`` to its attribute, not the column, so such frames run Snorkel LFs on Series rows.

    Examples
    --------
    >>> cls, build = series_row_type(["text", "author"])
    >>> row = build(("so good", "ann"))
    >>> row.text, row["author"], "text" in row, type(row) is cls
    ('so good', 'ann', True, True)
    """
    attributes = _series_attributes()
    own = set(dir(SeriesRow))
    if any(isinstance(c, str) and (c in attributes or c in own) for c in columns):
        return None
    cls = type("SeriesRow", (SeriesRow,), {
        "columns": tuple(columns), "column_set": frozenset(columns), "wanted": [], "series_attributes": attributes,
        "enlarged": {}, "written": [], "__module__": __name__,
    })
    if all(isinstance(c, str) for c in columns):
        body = ", ".join(f"{c!r}: v[{i}]" for i, c in enumerate(columns))
        namespace: dict[str, Any] = {"cls": cls}
        exec(f"def build(v):\n    return cls(**{{{body}}})", namespace)  # noqa: S102 - keys are repr'd literals
        return cls, namespace["build"]
    names = tuple(columns)

    def build_any(values: Iterable[Any]) -> SeriesRow:
        out: SeriesRow = SimpleNamespace.__new__(cls)
        out.__dict__.update(zip(names, values))
        return out

    return cls, build_any
