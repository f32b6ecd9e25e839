"""Python source for one LF: what each kind's ``to_source()`` returns, and the helpers kinds share.

A factory kind (keyword, regex, lookup, threshold) writes a call of its own constructor with the
arguments that differ from the constructor's defaults (read from its signature, so no copy of
them is kept here). A generic LF writes its function's source, with the constants, helper
functions and imports it reads; anything else it reads is refused by name, with how to fix it.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import re
import sys
import textwrap
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import FunctionLF, LabelingFunction
from weaksup.path_modules import PARENT, plain_name

__all__ = ["Code", "LFSource", "call_source", "function_lf_source", "function_source", "global_names", "identifier",
           "is_literal", "label_code"]


@dataclass(frozen=True)
class LFSource:
    """Python source defining one LF at module level, and what the module needs around it.

    Attributes
    ----------
    var : str
        The module-level name the LF is bound to.
    code : str
        The statements that define it.
    imports : tuple of str
        ``import x`` / ``from m import a`` lines the code needs.
    definitions : dict
        Global name -> the line defining it (constants the code reads).
    helpers : dict
        Helper function name -> its source (plain functions the code calls).
    artefacts : dict
        File name -> a function writing that file to a given path: files the code reads from the module's
        ``MODELS`` folder (a model-score LF's fitted model), which :func:`~weaksup.lf.export.export_module` writes.
    """

    var: str
    code: str
    imports: tuple[str, ...] = ()
    definitions: Mapping[str, str] = field(default_factory=dict)
    helpers: Mapping[str, str] = field(default_factory=dict)
    artefacts: Mapping[str, Callable[[Path], None]] = field(default_factory=dict)


def identifier(name: str) -> str:
    """A Python identifier for an LF name.

    Examples
    --------
    >>> identifier("kw-sub"), identifier("2x"), identifier("lambda")
    ('kw_sub', 'lf_2x', 'lf_lambda')
    """
    var = re.sub(r"\W", "_", name)
    if not var or var[0].isdigit() or keyword.iskeyword(var):
        var = f"lf_{var}"
    return var


def label_code(label: int, label_space: LabelSpace | None) -> str:
    """A class id as source: ``LABELS['spam']`` with a label space, else the number.

    Examples
    --------
    >>> label_code(1, LabelSpace(["ham", "spam"])), label_code(1, None)
    ("LABELS['spam']", '1')
    """
    if label_space is not None and 0 <= label < len(label_space):
        return f"LABELS[{label_space[label]!r}]"
    return repr(int(label))


def call_source(
    lf: LabelingFunction,
    factory: str,
    args: Sequence[str],
    options: Mapping[str, Any],
    *,
    imports: Sequence[str] = (),
) -> LFSource:
    """``var = factory(args..., option=value...)``: options equal to the defaults of the LF's class are left out.

    ``args`` are source already; ``options`` are values written with ``repr`` (a :class:`Code` is written
    as is). The LF's tags, and its description and version when they are not the ones the kind computes,
    are added.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> lf = keyword_lf("kw", "sub", 1, mode="all", tags=["cta"])
    >>> print(call_source(lf, "keyword_lf", ["'kw'", "['sub']", "1"], {"mode": "all", "field": "text"}).code, end="")
    kw = keyword_lf('kw', ['sub'], 1, mode='all', tags=['cta'])
    """
    defaults = {p.name: p.default for p in inspect.signature(type(lf)).parameters.values()
                if p.default is not inspect.Parameter.empty}
    kept = {k: v for k, v in options.items() if k not in defaults or isinstance(v, Code) or defaults[k] != v}
    if lf.tags:
        kept["tags"] = list(lf.tags)
    if lf.description and lf.description != lf.default_description():
        kept["description"] = lf.description
    if lf.explicit_version:
        kept["version"] = lf.version
    written = list(args) + [f"{k}={v.code if isinstance(v, Code) else repr(v)}" for k, v in kept.items()]
    var = identifier(lf.name)
    return LFSource(var, f"{var} = {factory}({', '.join(written)})\n",
                    imports=(f"from weaksup import {factory}", *imports))


@dataclass(frozen=True)
class Code:
    """An option value that is already source (e.g. ``re.IGNORECASE | re.DOTALL``)."""

    code: str


# ---------------------------------------------------------------------------------------------- generic LFs
def function_lf_source(lf: FunctionLF, label_space: LabelSpace | None) -> LFSource:
    """The source of a generic (or spaCy) LF: its decorated ``def``, or the ``def`` and a wrapping call.

    Raises :class:`~weaksup.errors.LFDefinitionError` naming the LF and the fix for a lambda, a function
    without source, a closure, or a global it reads that cannot be written (see :class:`LFSource`).
    """
    func = lf.func
    where = f"LF {lf.name!r} (defined at {lf.source})"
    if getattr(func, "__name__", "") == "<lambda>":
        raise LFDefinitionError(f"{where} is a lambda: write it as a def decorated with @labeling_function(...)")
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        raise LFDefinitionError(f"{where}: its source code is not available (defined with exec or in a shell?); "
                                "define it in a notebook cell or a file") from None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise LFDefinitionError(f"{where}: its source could not be parsed; copy it into the module by hand") from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef) or node.name != func.__name__:
        raise LFDefinitionError(f"{where}: its source is not a plain def; copy it into the module by hand")
    if getattr(func, "__closure__", None):
        raise LFDefinitionError(f"{where} is a nested function reading variables of its enclosing function "
                                f"({', '.join(func.__code__.co_freevars)}); define it at the top level of a cell")
    scope = _Globals(where, label_space)
    scope.resolve(func, global_names(node) - {func.__name__}, seen={func.__name__})
    if node.decorator_list:
        return scope.source(func.__name__, source)
    if lf.resources:
        raise LFDefinitionError(f"{where} has resources=; write it with a decorator @labeling_function(resources=...)")
    if lf.pre:
        raise LFDefinitionError(f"{where} has preprocessors; write it with a decorator @labeling_function(pre=[...])")
    if lf.kind == "spacy":
        raise LFDefinitionError(f"{where}: write it with the decorator @spacy_lf(pipeline=...) so it can be exported")
    options = {"name": repr(lf.name), "fields": repr(list(lf.fields)) if lf.fields else "",
               "labels": f"[{', '.join(label_code(c, label_space) for c in lf.labels)}]" if lf.labels else "",
               "tags": repr(list(lf.tags)) if lf.tags else ""}
    scope.imports["from weaksup import labeling_function"] = None
    opts = ", ".join(f"{k}={v}" for k, v in options.items() if v)
    var = identifier(lf.name) if identifier(lf.name) != func.__name__ else f"{func.__name__}_lf"
    return scope.source(var, f"{source}\n\n{var} = labeling_function({opts})({func.__name__})\n")


def function_source(func: Callable[..., Any], where: str, label_space: LabelSpace | None = None) -> LFSource:
    """A top-level function used by an LF (e.g. a scorer), as an import or as its source with its globals.

    Examples
    --------
    >>> from weaksup.clusters import cluster_texts
    >>> function_source(cluster_texts, "LF 'x'").imports
    ('from weaksup.clusters import cluster_texts',)
    """
    scope = _Globals(where, label_space)
    name = getattr(func, "__name__", "")
    scope.resolve_value(name, func, seen=set())
    return scope.source(name, "")


def global_names(node: ast.AST) -> set[str]:
    """Names a function's syntax tree reads but never binds: the globals (and builtins) it uses.

    Examples
    --------
    >>> tree = ast.parse("def f(x):\\n    y = x + K\\n    return [z for z in y if ok(z)]")
    >>> sorted(global_names(tree.body[0]))
    ['K', 'ok']
    """
    read: set[str] = set()
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (read if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in sub.names}
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            bound.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    return read - bound


class _Globals:
    """The imports, constants and helper functions an LF's function reads, found in its module's globals."""

    def __init__(self, where: str, label_space: LabelSpace | None) -> None:
        self.where = where
        self.label_space = label_space
        self.imports: dict[str, None] = {}
        self.definitions: dict[str, str] = {}
        self.helpers: dict[str, str] = {}

    def source(self, var: str, code: str) -> LFSource:
        return LFSource(var, code, tuple(self.imports), dict(self.definitions), dict(self.helpers))

    def resolve(self, func: Callable[..., Any], names: set[str], seen: set[str]) -> None:
        scope = getattr(func, "__globals__", {})
        for name in sorted(names):
            if name in scope:
                self.resolve_value(name, scope[name], seen)
            elif not hasattr(builtins, name):
                raise LFDefinitionError(f"{self.where} reads {name!r}, which is not defined; define it first")

    def resolve_value(self, name: str, value: Any, seen: set[str]) -> None:
        import weaksup
        import weaksup.lf

        if isinstance(value, types.ModuleType):
            mod = plain_name(value.__name__)  # a sibling of an LF module given by path: as its folder imports it
            self.imports[f"import {mod}" if mod == name else
                         (f"import {mod} as {name}" if "." not in mod or mod.rsplit(".", 1)[1] != name
                          else f"from {mod.rsplit('.', 1)[0]} import {name}")] = None
            return
        for home in (weaksup, weaksup.lf):
            if getattr(home, name, None) is value and not isinstance(value, (int, float, str)):
                self.imports[f"from {home.__name__} import {name}"] = None
                return
        code = self._code(name, value, seen)
        if code is not None:
            self.definitions[name] = code

    def _code(self, name: str, value: Any, seen: set[str]) -> str | None:
        if name == "ABSTAIN" and value == ABSTAIN:
            self.imports["from weaksup import ABSTAIN"] = None
            return None
        if name == "LABELS" and value == self.label_space:
            return None
        if isinstance(value, LabelSpace):
            self.imports["from weaksup import LabelSpace"] = None
            return f"{name} = LabelSpace({list(value)!r})"
        if isinstance(value, re.Pattern):
            self.imports["import re"] = None
            return f"{name} = re.compile({value.pattern!r}, {int(value.flags)})"
        if is_literal(value):
            return f"{name} = {value!r}"
        if type(value).__name__ == "SpacyPipeline":
            self.imports["from weaksup.lf import SpacyPipeline"] = None
            return (f"{name} = SpacyPipeline({value.name!r}, entity_patterns={value.entity_patterns!r}, "
                    f"disable={list(value.disable)!r}, batch_size={value.batch_size}, n_process={value.n_process})")
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if module and qualname and module != "__main__" and not plain_name(module).startswith(PARENT) \
                and "<" not in qualname and getattr(sys.modules.get(module), qualname, None) is value \
                and not _is_notebook_module(module):
            self.imports[f"from {plain_name(module)} import {qualname}" + (f" as {name}" if qualname != name else "")] \
                = None
            return None
        if isinstance(value, LabelingFunction):
            raise LFDefinitionError(f"{self.where} calls the LF {value.name!r}: call a plain helper function instead")
        if inspect.isfunction(value) and name not in seen:
            try:
                source = textwrap.dedent(inspect.getsource(value))
                tree = ast.parse(source).body[0]
            except (OSError, TypeError, SyntaxError, IndexError):
                source, tree = "", None
            if source.startswith("def ") and value.__name__ == name and not value.__closure__ and tree is not None:
                seen.add(name)
                self.resolve(value, global_names(tree) - {name}, seen)
                self.helpers[name] = source
                return None
        raise LFDefinitionError(f"{self.where} reads the global {name!r} ({type(value).__name__}), which export "
                                "cannot write as source: make it a constant or an import, or move the LF into the "
                                "module by hand")


def is_literal(value: Any) -> bool:
    """True for values whose ``repr`` is Python source that rebuilds them (numbers, strings, containers of them).

    Examples
    --------
    >>> is_literal({"a": [1, 2.5, None]}), is_literal(float("nan")), is_literal(set())
    (True, False, False)
    """
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return not isinstance(value, float) or bool(np.isfinite(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_literal(v) for v in value) and (not isinstance(value, (set, frozenset)) or bool(value))
    if isinstance(value, dict):
        return all(is_literal(k) and is_literal(v) for k, v in value.items())
    return False


def _is_notebook_module(module: str) -> bool:
    mod = sys.modules.get(module)
    file = getattr(mod, "__file__", None) or ""
    return mod is None or "ipykernel" in file or file.startswith("<")
