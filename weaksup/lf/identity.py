"""What makes an LF's identity: its checked name and labels, its content hash (the version) and its source."""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import inspect
import json
import math
import os
import sys
import textwrap
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.labels import LabelSpace

_WEAKSUP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# The shipped examples' LF modules live in the package as data: their frames are the user's, not the library's.
_EXAMPLES_DIR = os.path.join(_WEAKSUP_DIR, "datasets") + os.sep


def jsonable(value: Any) -> Any:
    """A JSON-safe rendering of an LF parameter (sets sorted, arrays listed, others repr'd)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    return repr(value)


def short_hash(*parts: Any) -> str:
    """An 8-hex-digit content hash of JSON-safe parts."""
    blob = json.dumps([jsonable(p) for p in parts], sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:8]


def normalised_source(func: Callable[..., Any]) -> str:
    """The function's code with formatting, comments, docstring and decorators removed.

    Editing what the function does changes this string; reformatting it does not.
    Falls back to the bytecode when the source is not available (e.g. ``exec``).
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = getattr(func, "__code__", None)
        if code is None:
            return repr(func)
        return str(code.co_code.hex() + repr(code.co_consts) + repr(code.co_names))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if hasattr(node, "decorator_list"):
                node.decorator_list = []
            body = getattr(node, "body", None)
            if (
                isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def carried_values(func: Callable[..., Any]) -> dict[str, Any]:
    """The values a callable carries beside its code, named as :func:`weaksup.lf.dependencies.dependencies` names
    them: a bound method's object (``"<bound to>"``), a partial's arguments (``"<partial arguments>"``), each
    closure cell (``"qualname.var"``; empty cells left out) and each parameter default (``"qualname.var="``).

    Two closures of one factory have the same source; these values are what tells them apart.

    Examples
    --------
    >>> def scaled(factor):
    ...     return lambda texts, bias=0.5: [[factor * len(t) + bias] for t in texts]
    >>> carried_values(scaled(2))
    {'scaled.<locals>.<lambda>.factor': 2, 'scaled.<locals>.<lambda>.bias=': 0.5}
    """
    found: dict[str, Any] = {}
    if inspect.ismethod(func):
        found["<bound to>"] = func.__self__
    partials = []
    inner = func.__func__ if inspect.ismethod(func) else func
    while isinstance(inner, functools.partial):
        partials.append([list(inner.args), dict(inner.keywords)])
        inner = inner.func
    if partials:
        found["<partial arguments>"] = partials
    func = inner_callable(func)
    code = getattr(func, "__code__", None)
    qualname = getattr(func, "__qualname__", "?")
    for var, cell in zip(code.co_freevars if code else (), getattr(func, "__closure__", None) or ()):
        try:
            found[f"{qualname}.{var}"] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    if code is not None:
        positional = code.co_varnames[:code.co_argcount]
        defaults = tuple(getattr(func, "__defaults__", None) or ())
        pairs = [*zip(positional[len(positional) - len(defaults):], defaults),
                 *sorted((getattr(func, "__kwdefaults__", None) or {}).items())]
        found.update((f"{qualname}.{var}=", value) for var, value in pairs)
    return found


def inner_callable(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function a bound method or (nested) ``functools.partial`` calls in the end; ``func`` itself otherwise.

    Examples
    --------
    >>> inner_callable(functools.partial(functools.partial(max, 1), 2)) is max
    True
    """
    if inspect.ismethod(func):
        func = func.__func__
    while isinstance(func, functools.partial):
        func = func.func
    return func


def caller_location() -> str:
    """``file:line`` of the first stack frame outside the weaksup library (an example's LF module counts as outside)."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and _in_library(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:  # pragma: no cover
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _in_library(filename: str) -> bool:
    return filename.startswith(_WEAKSUP_DIR) and not filename.startswith(_EXAMPLES_DIR)


def check_name(name: object) -> str:
    """``name`` if it is a valid LF name (non-blank, no ``@``, no line break), else :class:`LFDefinitionError`.

    Examples
    --------
    >>> check_name("kw_sub")
    'kw_sub'
    """
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "@\n\t"):
        raise LFDefinitionError(
            f"LF name must be a non-blank string without '@' or line breaks; got {name!r}"
        )
    return name


def check_label(label: object, lf_name: str, label_space: LabelSpace | None = None) -> int:
    """``label`` as a class id: an int >= 0 (not a bool), or a class name of the known label space.

    A class name (``"spam"``) is looked up in ``label_space`` when given, else in the label space in use
    (:func:`label_space_in_use`: the ``LABELS`` of the module or notebook defining the LF, else the label
    space of its :class:`~weaksup.Workbench`). Anything else is an :class:`LFDefinitionError` naming the
    LF, the label and the known class names.

    Examples
    --------
    >>> from weaksup.labels import LabelSpace
    >>> check_label(np.int64(1), "kw_sub"), check_label("spam", "kw_sub", LabelSpace(["ham", "spam"]))
    (1, 1)
    >>> check_label("spma", "kw_sub", LabelSpace(["ham", "spam"]))
    Traceback (most recent call last):
    ...
    weaksup.errors.LFDefinitionError: LF 'kw_sub': unknown class 'spma' (did you mean 'spam'?); the classes are ['ham', 'spam'] (from the label_space given)
    """
    if isinstance(label, str):
        space, where = (label_space, "the label_space given") if label_space is not None else label_space_in_use()
        if space is None:
            raise LFDefinitionError(
                f"LF {lf_name!r}: label {label!r} is a class name, but no label space is known here to map it to a "
                f"class id: define LABELS = LabelSpace([...]) in the module or notebook that builds the LF (or build "
                f"a Workbench there with label_space=[...]), or pass the id, e.g. LABELS[{label!r}]")
        if label not in space:
            close = difflib.get_close_matches(label, list(space), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LFDefinitionError(f"LF {lf_name!r}: unknown class {label!r}{hint}; the classes are {list(space)} "
                                    f"(from {where})")
        return space.id(label)
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or label < 0:
        raise LFDefinitionError(
            f"LF {lf_name!r}: label must be a class id (an int >= 0, e.g. LabelSpace(...)['spam']) or a class "
            f"name of the task's label space; got {label!r}"
        )
    if label_space is not None and label >= len(label_space):
        raise LFDefinitionError(f"LF {lf_name!r}: class id {int(label)} is not a class of the label_space given "
                                f"{list(label_space)} (ids 0..{len(label_space) - 1})")
    return int(label)


def label_space_in_use() -> tuple[LabelSpace | None, str]:
    """The label space LF class names resolve in here, and where it comes from.

    Looked up in the globals of the first caller outside the library (the module or notebook defining the
    LF): its ``LABELS`` (a :class:`~weaksup.labels.LabelSpace`), else the label space of the
    :class:`~weaksup.Workbench` objects there (when they all have the same one); else ``(None, "")``.

    Examples
    --------
    >>> from weaksup.labels import LabelSpace
    >>> LABELS = LabelSpace(["ham", "spam"])
    >>> label_space_in_use()
    (LabelSpace(['ham', 'spam']), 'LABELS in weaksup.lf.identity')
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and _in_library(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:  # pragma: no cover
        return None, ""
    scope = frame.f_globals
    where = scope.get("__name__", frame.f_code.co_filename)
    if os.path.isfile(frame.f_code.co_filename):  # a module loaded by path has a generated name: name its file
        where = f"{frame.f_code.co_filename}, for the LF at line {frame.f_lineno}"
    found = scope.get("LABELS")
    if isinstance(found, LabelSpace):
        return found, f"LABELS in {where}"
    workbench = sys.modules.get("weaksup.workbench")  # no Workbench exists unless its module was imported
    if workbench is not None:
        spaces = {name: value.label_space for name, value in list(scope.items())
                  if isinstance(value, workbench.Workbench) and isinstance(value.label_space, LabelSpace)}
        if len(set(spaces.values())) == 1:
            name, space = next(iter(spaces.items()))
            return space, f"the label space of Workbench {name!r} in {where}"
    return None, ""


class FrozenDict(dict[Any, Any]):
    """A dict that refuses changes once built: an LF's table, parameters and resources cannot drift from
    its version. It pickles (for worker processes) and reads like any dict.

    Examples
    --------
    >>> table = FrozenDict({"bot": 1})
    >>> table["bot"], dict(table)
    (1, {'bot': 1})
    >>> table["ann"] = 0
    Traceback (most recent call last):
    ...
    weaksup.errors.LFDefinitionError: an LF's tables and parameters cannot change after it is built (its version would no longer say what it does); build a new LF instead
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise LFDefinitionError("an LF's tables and parameters cannot change after it is built (its version "
                                "would no longer say what it does); build a new LF instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[Any, Any]]]:
        return type(self), (dict(self),)
