"""What a generic LF's code reads beyond its own source: the part of its version its body does not show.

A generic (or spaCy) LF's version hashes its function's normalised source. Its votes also depend on the
module-level names that code reads: constants, helper functions (and, recursively, what they read), classes,
the content of files named by path constants, modules of the project. :func:`dependencies` finds them with the
same scan export uses (:func:`weaksup.lf.source.global_names`) and describes each as JSON-safe data, so that
editing ``LIMIT = 3`` to ``LIMIT = 8`` in a helper's module changes the LF's version.

Names the version already covers are left out, so an LF reading only those keeps the version it always had:
builtins, library modules, functions and classes (the installed versions, as for weaksup itself), weaksup's own
objects under their own name (``ABSTAIN``), label spaces and class-id constants named after their class in a
label space of the module (``SPAM = LABELS["spam"]``): the task's label space, which keys a run's saved votes
(a run with other classes reuses none). When the state of
something the code reads cannot be hashed (an object such as a model or a session, a folder, a network
resource), the LF is not cacheable: a run recomputes its votes instead of reusing saved ones.
"""

from __future__ import annotations

import ast
import builtins
import enum
import hashlib
import inspect
import json
import os
import re
import sys
import sysconfig
import textwrap
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np

from weaksup.labels import LabelSpace
from weaksup.lf.core import FunctionLF, LabelingFunction
from weaksup.lf.identity import carried_values, inner_callable, jsonable, normalised_source
from weaksup.lf.source import global_names

__all__ = ["Dependencies", "dependencies", "is_library_file"]

_WEAKSUP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_EXAMPLES_DIR = os.path.join(_WEAKSUP_DIR, "datasets") + os.sep
_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s]+\.[^/\s]+")  # with a host: "https://" alone is text
#: Packages whose use means the votes may depend on a network resource.
_NETWORK = frozenset({"requests", "urllib", "urllib3", "httpx", "http", "socket", "aiohttp", "ftplib", "smtplib",
                      "boto3", "botocore", "openai", "anthropic", "websocket", "websockets", "grpc"})
_COVERED = object()  # a name the version already covers
_UNHASHABLE = object()  # a value whose state cannot be hashed


@dataclass(frozen=True)
class Dependencies:
    """What an LF's code reads that its version must cover.

    Attributes
    ----------
    values : dict
        ``name -> JSON-safe description`` (a constant's value, a helper's normalised source, a file's
        content hash, ...), for the names the LF's own source and parameters do not cover. Empty for an
        LF that reads only builtins, library imports, weaksup's names and its label constants.
    unprovable : tuple of str
        Why the LF's votes cannot be proven unchanged between runs (one reason per name); empty when
        they can.
    """

    values: dict[str, Any]
    unprovable: tuple[str, ...]

    @property
    def cacheable(self) -> bool:
        """True when saved votes of the LF may be reused (everything it reads is hashed)."""
        return not self.unprovable


def dependencies(func: Callable[..., Any]) -> Dependencies:
    """The module-level names (and files) a generic LF's function reads, recursively through its helpers.

    Examples
    --------
    >>> LIMIT = 3
    >>> def short(text):
    ...     return len(text.split()) <= LIMIT
    >>> def lf_body(x):
    ...     return 0 if short(x.text) else -1
    >>> found = dependencies(lf_body)
    >>> sorted(found.values), found.values["LIMIT"], found.cacheable
    (['LIMIT', 'short'], 3, True)
    """
    walk = _Walk(getattr(getattr(func, "__func__", func), "__globals__", {}))
    walk.entry(func)
    return Dependencies(dict(sorted(walk.found.items())), tuple(walk.reasons))


def is_library_file(path: str) -> bool:
    """True for a file of the standard library, an installed package or weaksup itself (not its examples)."""
    real = os.path.realpath(path)
    if real.startswith(_EXAMPLES_DIR) or path.startswith(_EXAMPLES_DIR):
        return False
    return real.startswith(_LIBRARY_DIRS) or path.startswith(_WEAKSUP_DIR) or real.startswith(_WEAKSUP_DIR)


def _is_library(value: Any) -> bool:
    code = getattr(value, "__code__", None)
    if code is not None:  # a function: where its code is (a notebook cell's is not in a library)
        return is_library_file(code.co_filename)
    name = getattr(value, "__module__", None) or ""
    module = sys.modules.get(name)
    if module is None or name == "__main__":
        return False
    file = getattr(module, "__file__", None)
    return file is None or is_library_file(file)


def _read_names(func: Callable[..., Any]) -> tuple[set[str], bool]:
    """The global names a function reads, and whether that set is exact (from its source) or a superset."""
    try:
        tree: ast.AST = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        tree = ast.Module(body=[], type_ignores=[])
    body = getattr(tree, "body", [])
    node = body[0] if body else None
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == getattr(func, "__name__", ""):
        node.decorator_list = []  # evaluated once, when the LF was made: covered by its parameters
        for sub in ast.walk(node):  # annotations do not change what the code does
            if isinstance(sub, ast.arg):
                sub.annotation = None
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                sub.returns = None
            elif isinstance(sub, ast.AnnAssign):
                sub.annotation = ast.Constant(None)
        return global_names(node), True
    code = getattr(func, "__code__", None)
    return (_code_names(code) if code is not None else set()), False


def _code_names(code: types.CodeType) -> set[str]:
    """Every name a code object (and the code nested in it) loads: globals, and attribute names too."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _string_constants(code: types.CodeType) -> list[str]:
    """The string literals of a code object and the code nested in it."""
    found = [c for c in code.co_consts if isinstance(c, str)]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _string_constants(const)
    return found


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reads_environment(func: Any, scope: Mapping[str, Any], names: set[str]) -> bool:
    """Whether ``func`` reads the process environment: ``os.environ``/``os.getenv`` (or either imported by name).

    Examples
    --------
    >>> import os
    >>> def word(x): return os.environ.get("WORD", "subscribe") in x
    >>> _reads_environment(word, {"os": os}, {"os"}), _reads_environment(len, {}, set())
    (True, False)
    """
    code = getattr(func, "__code__", None)
    return any(scope.get(n) is os.environ or scope.get(n) is os.getenv for n in names) or any(
        scope.get(n) is os for n in names) and bool({"environ", "getenv"} & _code_names(code) if code else False)


class _Walk:
    """One LF's dependency walk: the descriptions found, the reasons it cannot be cached, what was visited."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.found: dict[str, Any] = {}
        self.reasons: list[str] = []
        self.visited: set[int] = set()

    def key(self, scope: Mapping[str, Any], name: str) -> str:
        if scope is self.root:
            return name
        module = str(scope.get("__name__", "?"))
        if module.startswith("weaksup_user_lfs."):  # a module loaded from its path: its name holds the path's hash
            module = module.split(".", 1)[1].rsplit("_", 1)[0]
        return f"{module}:{name}"

    def entry(self, func: Any) -> None:
        """The LF's callable: a function, a bound method (its object's state counts), a partial (its arguments)."""
        carried = carried_values(func)
        if "<bound to>" in carried:
            self.name(self.root, "<bound to>", carried["<bound to>"], closure=True)
        for layer in carried.get("<partial arguments>", []):  # outermost first
            self.name(self.root, "<partial arguments>", layer, closure=True)
        func = inner_callable(func)
        if inspect.isfunction(func):
            self.function(func, skip=func.__name__)
        elif callable(getattr(func, "version_state", None)):  # an object that describes its own state (JSON-able)
            self.found[f"<{type(func).__qualname__} state>"] = func.version_state()
            if getattr(func, "cache_note", ""):  # and, if it reads what the row does not hold, says so
                self.reasons.append(str(func.cache_note))
        elif not (inspect.isbuiltin(func) or _is_library(func) and inspect.isclass(func)):
            self.reasons.append(f"it calls {_an_object(func)}, whose state cannot be hashed")

    def function(self, func: Callable[..., Any], skip: str = "") -> None:
        if id(func) in self.visited:
            return
        self.visited.add(id(func))
        scope: Mapping[str, Any] = getattr(func, "__globals__", {})
        names, exact = _read_names(func)
        if _reads_environment(func, scope, names):
            self.reasons.append(f"{getattr(func, '__qualname__', 'it')} reads environment variables (os.environ, "
                                "os.getenv), which its version cannot cover")
        for name in sorted(names - {skip}):
            if name in scope:
                self.name(scope, name, scope[name])
            elif exact and not hasattr(builtins, name):
                self.found[self.key(scope, name)] = "<undefined>"
        code = getattr(func, "__code__", None)
        for key, value in carried_values(func).items():  # closure cells, and defaults (lambda x, w=w: Snorkel's idiom)
            self.name(scope, key, value, closure=True)
        for text in _string_constants(code) if code is not None else ():  # open("words.txt") in the body
            if "\n" not in text and len(text) < 4096 and ("/" in text or "." in text):
                try:
                    if os.path.isfile(text):
                        self.found[self.key(scope, f"<file {text}>")] = _file_digest(text)
                except (OSError, ValueError):
                    pass

    def name(self, scope: Mapping[str, Any], name: str, value: Any, *, closure: bool = False) -> None:
        key = self.key(scope, name)
        if key in self.found:
            return
        self.found[key] = None  # visiting (a helper calling itself)
        described = self.describe(scope, name.rsplit(".", 1)[-1], value, closure)
        if described is _COVERED:
            del self.found[key]
        else:
            self.found[key] = jsonable(described)

    def describe(self, scope: Mapping[str, Any], name: str, value: Any, closure: bool) -> Any:
        home = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else \
            str(getattr(value, "__module__", None) or "")
        if home.split(".")[0] in _NETWORK:
            self.reasons.append(f"it uses {name!r} ({home}): its votes may depend on a network resource")
            return {"network": home}
        if isinstance(value, types.ModuleType):
            file = getattr(value, "__file__", None)
            if file and not is_library_file(file):
                return {"module": os.path.basename(file), "sha256": _file_digest(file)}
            return _COVERED  # a library: the installed version, as for weaksup itself
        if not closure and _is_weaksup_name(name, value) or _is_label_constant(scope, name, value) \
                or isinstance(value, LabelSpace):  # the task's label space: it keys the saved votes of a run
            return _COVERED
        if isinstance(value, FunctionLF):
            self.function(value.func, skip=getattr(value.func, "__name__", ""))
            return {"lf": value.kind, "params": value.params, "source": normalised_source(value.func)}
        if isinstance(value, LabelingFunction):
            return {"lf": value.lf_id}
        if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value) \
                or isinstance(value, np.ufunc):
            return self.code(name, value)
        data = _data(value, self.reasons, name, top=True)
        if data is _UNHASHABLE:
            self.reasons.append(f"it reads {name!r}, {_an_object(value)} whose state cannot be hashed")
            return {"object": type(value).__qualname__}
        return data

    def code(self, name: str, value: Any) -> Any:
        """A function or class: by its import name when it comes from a library, else by its source (recursively)."""
        if _is_library(value) or not (inspect.isfunction(value) or inspect.isclass(value)):
            return _COVERED  # a library's (or a builtin): the installed version
        if inspect.isfunction(value):
            self.function(value)
            return {"function": normalised_source(value)}
        try:
            source = normalised_source(value)
        except (OSError, TypeError):  # pragma: no cover - normalised_source falls back itself
            source = ""
        for member in vars(value).values():
            member = getattr(member, "__func__", member)  # staticmethod, classmethod
            if inspect.isfunction(member):
                self.function(member)
        if not source or source.startswith("<"):
            self.reasons.append(f"the source of the class {name!r} it uses is not available")
        return {"class": source}


def _an_object(value: Any) -> str:
    """``"a <module>.<Class> object"`` for a value, as a sentence names it (``"a spacy.lang.en.English object"``;
    a builtin type by its name alone: ``"a list object"``)."""
    cls = type(value)
    module = str(getattr(cls, "__module__", "") or "")
    what = cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"
    return f"{'an' if what[:1].lower() in 'aeio' else 'a'} {what} object"


def _is_weaksup_name(name: str, value: Any) -> bool:
    import weaksup
    import weaksup.lf

    for home in (weaksup, weaksup.lf):
        ours = getattr(home, name, _COVERED)
        if ours is value or (type(ours) is type(value) and isinstance(value, (int, float, str)) and ours == value):
            return True
    return False


def _is_label_constant(scope: Mapping[str, Any], name: str, value: Any) -> bool:
    """``SPAM = 1`` beside a label space whose class ``"spam"`` has id 1."""
    if type(value) is not int:
        return False
    lowered = name.lower()
    return any(isinstance(v, LabelSpace) and lowered in v and v[lowered] == value for v in list(scope.values()))


def _data(value: Any, reasons: list[str], name: str, *, top: bool = False) -> Any:
    """A JSON-safe description of a data value, or ``_UNHASHABLE``."""
    if value is None or isinstance(value, (bool, int, float, bytes, np.generic)):
        return value.hex() if isinstance(value, bytes) else value
    if isinstance(value, str):
        if top and _URL.match(value):
            reasons.append(f"it reads {name!r}, which names the network resource {value!r}")
        elif top and len(value) < 4096 and "\n" not in value and ("/" in value or "." in value):
            try:
                if os.path.isfile(value):
                    return {"file_sha256": _file_digest(value)}
            except (OSError, ValueError):
                pass
        return value
    if isinstance(value, PurePath):
        path = str(value)
        if os.path.isfile(path):
            return {"file_sha256": _file_digest(path)}
        if os.path.isdir(path):
            reasons.append(f"it reads {name!r}, which names the folder {path!r} (its content is not hashed)")
        return {"path": path, "exists": os.path.exists(path)}
    if isinstance(value, re.Pattern):
        return {"pattern": value.pattern, "flags": int(value.flags)}
    if isinstance(value, LabelSpace):
        return {"labels": list(value)}
    if isinstance(value, np.ndarray) and value.dtype != object:
        return {"array": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "dtype": str(value.dtype), "shape": list(value.shape)}
    if type(value).__module__.split(".")[0] == "pandas" and type(value).__name__ in ("DataFrame", "Series"):
        import pandas as pd

        try:
            rows = pd.util.hash_pandas_object(value, index=True).to_numpy()
        except TypeError:  # cells that are not hashable (lists, objects)
            return _UNHASHABLE
        columns = list(map(str, value.columns)) if isinstance(value, pd.DataFrame) else [str(value.name)]
        return {"frame": hashlib.sha256(rows.tobytes()).hexdigest(), "columns": columns,
                "dtypes": [str(t) for t in (value.dtypes if isinstance(value, pd.DataFrame) else [value.dtype])]}
    if type(value).__name__ == "SpacyPipeline":
        return {"spacy": getattr(value, "key", None)}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_data(v, reasons, name) for v in value]
        if any(v is _UNHASHABLE for v in items):
            return _UNHASHABLE
        if isinstance(value, (set, frozenset)):
            items.sort(key=lambda v: json.dumps(jsonable(v), sort_keys=True))
        return {type(value).__name__: items}
    if isinstance(value, dict):
        pairs = [[_data(k, reasons, name), _data(v, reasons, name)] for k, v in value.items()]
        if any(p is _UNHASHABLE for pair in pairs for p in pair):
            return _UNHASHABLE
        return {"dict": sorted(pairs, key=lambda p: json.dumps(jsonable(p[0]), sort_keys=True))}
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__qualname__}.{value.name}", "value": _data(value.value, reasons, name)}
    return _UNHASHABLE
