"""Threshold rules over numeric fields, for tabular and time-series data.

A rule is a small expression such as ``"amount > 1000 and verified == False"``. It is
parsed once with :mod:`ast` into a tree of whitelisted nodes (comparisons, ``and``/
``or``/``not``, arithmetic, ``abs``, ``in`` over literal lists) and evaluated over
NumPy columns. Nothing is ever passed to ``eval``. The row-wise form evaluates the same
tree on a one-row batch, so both forms agree by construction.

For time series, compute window features (lags, rolling means) as columns and write
rules over them: each row is one window.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, LFDefinitionError, ParameterTypeError, stops_run
from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.identity import check_label, check_name
from weaksup.lf.source import LFSource, call_source, label_code
from weaksup.lf.threshold_types import all_text, has_type, is_date, is_number, numeric_fields, type_hint

if TYPE_CHECKING:
    from weaksup.labels import LabelSpace

_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_FUNCTIONS = {"abs": np.abs}


def _compile(rule: str, lf_name: str) -> tuple[Any, tuple[str, ...]]:
    """Parse a rule into a nested-tuple program and the fields it reads."""
    try:
        tree = ast.parse(rule, mode="eval").body
    except SyntaxError as exc:
        raise LFDefinitionError(
            f"LF {lf_name!r}: rule {rule!r} is not a valid expression ({exc.msg} at column {exc.offset})"
        ) from None
    fields: list[str] = []

    def bad(node: ast.AST, what: str) -> LFDefinitionError:
        snippet = ast.get_source_segment(rule, node) or what
        return LFDefinitionError(
            f"LF {lf_name!r}: rule {rule!r} uses {what} ({snippet!r}), which threshold rules do not allow; "
            "use field names, numbers, True/False, quoted strings, comparisons, and/or/not, + - * / % **, "
            "abs(), and 'in [..]'"
        )

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):  # pragma: no cover - parsed as Constant
                raise bad(node, "a keyword")
            if node.id not in fields:
                fields.append(node.id)
            return ("field", node.id)
        if isinstance(node, ast.Constant):
            if node.value is None or not isinstance(node.value, (bool, int, float, str)):
                raise bad(node, "a constant that is not a number, bool or string")
            return ("const", node.value)
        if isinstance(node, ast.BoolOp):
            return ("and" if isinstance(node.op, ast.And) else "or", [walk(v) for v in node.values])
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ("not", walk(node.operand))
            if isinstance(node.op, ast.USub):
                return ("neg", walk(node.operand))
            if isinstance(node.op, ast.UAdd):
                return walk(node.operand)
            raise bad(node, "an unsupported unary operator")
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            if op is None:
                raise bad(node, "an unsupported operator")
            return ("arith", op, walk(node.left), walk(node.right))
        if isinstance(node, ast.Compare):
            parts: list[Any] = []
            left = walk(node.left)
            for op_node, right_node in zip(node.ops, node.comparators):
                if isinstance(op_node, (ast.In, ast.NotIn)):
                    if not isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
                        raise bad(right_node, "'in' over something other than a literal list")
                    options = [walk(e) for e in right_node.elts]
                    if any(o[0] != "const" for o in options):
                        raise bad(right_node, "'in' over a list that is not all constants")
                    right = ("consts", [o[1] for o in options])
                    parts.append(("in", isinstance(op_node, ast.NotIn), left, right))
                else:
                    op = _COMPARE.get(type(op_node))
                    if op is None:
                        raise bad(node, "an unsupported comparison ('is'?)")
                    right = walk(right_node)
                    parts.append(("cmp", op, left, right))
                left = right
            return parts[0] if len(parts) == 1 else ("and", parts)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or len(node.args) != 1 or node.keywords:
                raise bad(node, "a function call other than abs(x)")
            return ("call", node.func.id, walk(node.args[0]))
        raise bad(node, type(node).__name__)

    program = walk(tree)
    if not fields:
        raise LFDefinitionError(f"LF {lf_name!r}: rule {rule!r} reads no field; name at least one column")
    return program, tuple(fields)


def _comparable(series: Any, missing: np.ndarray) -> np.ndarray:
    """A column as numpy values a rule compares: numbers and booleans as such (pandas' nullable ``Int64``,
    ``boolean`` and ``string`` columns too; integers stay exact integers), others as objects; missing cells hold
    a value that compares without error (0, NaN, ``False``, ``""``), as their rows abstain anyway (``pd.NA`` has
    no truth value).

    Examples
    --------
    >>> _comparable(pd.Series([True, None], dtype="boolean"), np.array([False, True])).tolist()
    [True, False]
    >>> _comparable(pd.Series(["NL", None], dtype="string"), np.array([False, True])).tolist()
    ['NL', '']
    >>> _comparable(pd.Series([2**53 + 1, None], dtype="Int64"), np.array([False, True])).tolist()
    [9007199254740993, 0]
    """
    values: np.ndarray
    if isinstance(series, pd.Series) and not isinstance(series.dtype, np.dtype):  # a pandas extension dtype
        if pd.api.types.is_bool_dtype(series.dtype):
            values = series.to_numpy(dtype=bool, na_value=False)
        elif pd.api.types.is_integer_dtype(series.dtype):  # exact: a float holds integers only up to 2**53
            values = series.to_numpy(dtype=series.dtype.numpy_dtype, na_value=0)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = series.to_numpy(dtype=object, na_value=None)
    else:
        values = series.to_numpy() if isinstance(series, pd.Series) else np.asarray(series)
    if values.dtype.kind in "biuf":
        return values
    values = values.astype(object)
    if missing.any():
        present = values[~missing]
        values = values.copy()
        values[missing] = "" if len(present) and all(isinstance(v, str) for v in present) else np.nan
    return values


def _refuse_mixed(left: Any, right: Any, symbol: str) -> None:
    """Refuse what ``>`` refuses but ``==``/``!=``/``in`` would answer silently with "never equal": text against a
    number, and dates against text or numbers (``Timestamp('2024-07-28') == '2024-07-28'`` is False).

    Examples
    --------
    >>> _refuse_mixed(np.array([pd.Timestamp("2024-07-28")], dtype=object), "2024-07-28", "==")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterTypeError: '==' compares dates with text, which is never equal
    """
    for a, b in ((left, right), (right, left)):
        if is_date(a) and not is_date(b) and (has_type(b, str) or is_number(b)):
            raise ParameterTypeError(  # a TypeError: _votes turns it into a DataError naming the field
                f"'{symbol}' compares dates with {'text' if has_type(b, str) else 'a number'}, which is never equal")
        if has_type(a, str) and is_number(b):
            raise ParameterTypeError(f"'{symbol}' compares text with a number, which is never equal")


def _equality(op: Callable[[Any, Any], Any], symbol: str) -> Callable[[Any, Any], Any]:
    """``==``/``!=`` that, like ``>``, refuse mixed operands (:func:`_refuse_mixed`: ``'5' == 5`` is never True)."""

    def compare(left: Any, right: Any) -> Any:
        _refuse_mixed(left, right, symbol)
        return op(left, right)

    return compare


def _isin(values: Any, options: list[Any]) -> Any:
    """Python's ``value in options`` for each value (``np.isin`` would turn ``[1, 'x']`` into strings)."""
    if is_date(values):  # a date is never in a list of text or numbers, which is all a rule's list holds
        _refuse_mixed(values, np.asarray(options, dtype=object), "in")
    if not isinstance(values, np.ndarray):
        return np.bool_(values in options)
    if values.dtype.kind in "biuf":  # text never equals a number: compare with the numbers only, exactly
        hit = np.zeros(values.shape, dtype=bool)
        for option in options:
            if not isinstance(option, str):
                hit |= values == option
        return hit
    return np.fromiter((v in options for v in values.flat), dtype=bool, count=values.size).reshape(values.shape)


_COMPARE = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Eq: _equality(operator.eq, "=="), ast.NotEq: _equality(operator.ne, "!=")}


def _evaluate(program: Any, columns: dict[str, np.ndarray]) -> Any:
    tag = program[0]
    if tag == "field":
        return columns[program[1]]
    if tag == "const":
        return program[1]
    if tag == "and":
        out = True
        for p in program[1]:
            out = np.logical_and(out, _evaluate(p, columns))
        return out
    if tag == "or":
        out = False
        for p in program[1]:
            out = np.logical_or(out, _evaluate(p, columns))
        return out
    if tag == "not":
        return np.logical_not(_evaluate(program[1], columns))
    if tag == "neg":
        return np.negative(_evaluate(program[1], columns))
    if tag in ("arith", "cmp"):
        return program[1](_evaluate(program[2], columns), _evaluate(program[3], columns))
    if tag == "in":
        hit = _isin(_evaluate(program[2], columns), program[3][1])
        return ~hit if program[1] else hit
    if tag == "call":
        return _FUNCTIONS[program[1]](_evaluate(program[2], columns))
    raise AssertionError(tag)  # pragma: no cover


class ThresholdLF(LabelingFunction):
    """An LF voting ``label`` on rows where a rule over numeric (or categorical) fields holds.

    A row with a missing value in any field the rule reads abstains. :func:`threshold_lf` is this class.

    Parameters
    ----------
    name : str
        The LF's name.
    rule : str
        E.g. ``"amount > 1000 and verified == False"``, ``"0 < ratio <= 0.2"``,
        ``"abs(temp - temp_lag1) > 5"``, ``"country in ['NL', 'BE']"``.
    label : int
        The class id to vote.
    tags, description, version : optional
        Metadata (see :class:`~weaksup.lf.core.LabelingFunction`).

    Examples
    --------
    >>> lf = threshold_lf("big_unverified", "amount > 1000 and verified == False", label=1)
    >>> lf.fields
    ('amount', 'verified')
    >>> lf({"amount": 5000, "verified": False}), lf({"amount": 5000, "verified": True})
    (1, -1)
    >>> print(lf.to_source().code, end="")
    big_unverified = threshold_lf('big_unverified', 'amount > 1000 and verified == False', 1)
    """

    kind = "threshold"
    vectorised = True
    thread_safe = True
    rule: str
    label: int
    _program: Any
    _numeric: tuple[str, ...]  # the fields the rule reads as numbers (numeric_fields)

    def __init__(self, name: str, rule: str, label: int, *, tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        check_name(name)
        label = check_label(label, name)
        if not isinstance(rule, str) or not rule.strip():
            raise LFDefinitionError(f"LF {name!r}: rule must be a non-empty string; got {rule!r}")
        program, fields = _compile(rule, name)
        self._set(rule=rule, label=label, _program=program, _numeric=numeric_fields(program))
        super().__init__(
            name, params={"rule": rule, "label": label}, fields=fields, labels=(label,), tags=tags,
            description=description or self.default_description(), version=version,
        )

    def default_description(self) -> str:
        return f"rule: {self.rule}"

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        return call_source(self, "threshold_lf", [repr(self.name), repr(self.rule), label_code(self.label, label_space)],
                           {})

    def _columns(self, getter: Callable[[str], Any]) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, str]]:
        columns: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        missing: np.ndarray | None = None
        for f in self.fields:
            series = getter(f)
            miss = pd.isna(series).to_numpy(dtype=bool) if isinstance(series, pd.Series) else np.asarray(pd.isna(series), dtype=bool)
            columns[f] = _comparable(series, miss)
            kinds[f] = str(getattr(series, "dtype", columns[f].dtype))
            missing = miss if missing is None else missing | miss
        assert missing is not None  # a rule reads at least one field
        return columns, missing, kinds

    def _votes(self, columns: dict[str, np.ndarray], missing: np.ndarray, n: int, kinds: dict[str, str],
               whole: bool = False) -> np.ndarray:  # whole: the columns are whole columns, not one row's values
        with np.errstate(all="ignore"):
            try:
                hit = np.asarray(_evaluate(self._program, columns), dtype=bool)
            except TypeError as exc:
                text = [f for f in self._numeric if all_text(columns[f])] if whole else []
                at = f" (defined at {self.source})" if text else ""  # raised as it is: apply_lfs adds no location
                hint = type_hint(columns, kinds, text, self._numeric)
                error = DataError(f"threshold rule {self.params['rule']!r} of LF {self.name!r}{at} cannot be "
                                  f"evaluated on fields with dtypes {kinds}: {exc}{hint}")
                if text:  # every row fails alike: abstaining on each (lfs.fault_tolerant) would hide it
                    error.text_fields = text  # type: ignore[attr-defined]  # the run names its input file
                    raise stops_run(error) from None
                raise error from None
        hit = np.broadcast_to(hit, (n,)) & ~missing
        return np.where(hit, self.label, ABSTAIN)

    def __call__(self, x: Any) -> int:
        values = {f: field_value(x, f) for f in self.fields}
        if any(is_missing(v) for v in values.values()):
            return ABSTAIN
        columns = {f: np.asarray([v], dtype=object if isinstance(v, str) else None) for f, v in values.items()}
        kinds = {f: _kind(v, columns[f]) for f, v in values.items()}
        return int(self._votes(columns, np.zeros(1, dtype=bool), 1, kinds)[0])

    def vote_batch(self, batch: Any) -> np.ndarray:
        columns, missing, kinds = self._columns(batch.series)
        return self._votes(columns, missing, batch.n, kinds, whole=True)


def _kind(value: Any, column: np.ndarray) -> str:
    """The dtype a row's value stands for (a Timestamp's column is ``datetime64[unit, tz]``)."""
    if isinstance(value, pd.Timestamp):
        return f"datetime64[{value.unit}{', ' + str(value.tz) if value.tz is not None else ''}]"
    if isinstance(value, pd.Timedelta):
        return f"timedelta64[{value.unit}]"
    return type(value).__name__ if column.dtype == object else str(column.dtype)


#: Build a :class:`ThresholdLF` (the factory is the class: one signature, one docstring).
threshold_lf = ThresholdLF
