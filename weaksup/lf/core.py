"""The :class:`LabelingFunction` object and the generic ``@labeling_function`` kind."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import math
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from weaksup.errors import LFDefinitionError

_WEAKSUP_DIR = __file__.rsplit("/lf/", 1)[0]


class Row(dict):
    """One data row handed to row-wise LFs: ``row.text`` and ``row["text"]`` both work.

    It is far cheaper to build than a ``pandas.Series`` (Snorkel's row type), and LFs
    written for Snorkel's attribute/item access run unchanged on it.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"row has no field {name!r}; its fields are {list(self)}", name=name, obj=self
            ) from None


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
        raise KeyError(field) from None


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
        return code.co_code.hex() + repr(code.co_consts) + repr(code.co_names)
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


def caller_location() -> str:
    """``file:line`` of the first stack frame outside the weaksup package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_WEAKSUP_DIR):
        frame = frame.f_back
    if frame is None:  # pragma: no cover
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "@\n\t"):
        raise LFDefinitionError(
            f"LF name must be a non-blank string without '@' or line breaks; got {name!r}"
        )
    return name


def _check_label(label: Any, lf_name: str) -> int:
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or label < 0:
        raise LFDefinitionError(
            f"LF {lf_name!r}: label must be a class id (an int >= 0, e.g. LabelSpace(...)['spam']); "
            f"got {label!r}"
        )
    return int(label)


class LabelingFunction:
    """A named, versioned, immutable function from a data row to a class id or ``ABSTAIN``.

    Subclasses are the LF kinds; most users build LFs with the factories
    (:func:`keyword_lf`, :func:`regex_lf`, :func:`lookup_lf`, :func:`model_score_lf`,
    :func:`threshold_lf`) or the :func:`labeling_function` decorator.

    Attributes
    ----------
    name : str
        Unique within a registry.
    kind : str
        ``"keyword"``, ``"regex"``, ``"lookup"``, ``"model_score"``, ``"threshold"`` or ``"generic"``.
    version : str
        A short hash of the normalised source and parameters, unless given explicitly:
        editing the LF changes it.
    params : dict
        JSON-safe parameters that define the LF.
    tags : tuple of str
        Free-form tags for selection (``Registry.select(tags=...)``).
    description : str
        One line saying what the LF looks for.
    fields : tuple of str
        The data columns the LF reads (empty when unknown, for generic LFs).
    labels : tuple of int
        The class ids the LF can vote (empty when unknown).
    source : str
        ``file:line`` where the LF was defined.
    """

    kind: str = "generic"
    #: True when the kind has a vectorised form over whole columns.
    vectorised: bool = False
    #: True when the kind runs only weaksup's own kernels, so several chunks may be voted at once
    #: from different threads (user code, e.g. a generic LF or a model, may not be thread-safe).
    thread_safe: bool = False

    def __init__(
        self,
        name: str,
        *,
        params: Mapping[str, Any],
        fields: Iterable[str] = (),
        labels: Iterable[int] = (),
        tags: Iterable[str] = (),
        description: str = "",
        version: str | None = None,
        source: str | None = None,
        hash_extra: Any = None,
    ) -> None:
        name = _check_name(name)
        if isinstance(tags, str):
            tags = (tags,)
        tags = tuple(dict.fromkeys(str(t) for t in tags))
        fields = (fields,) if isinstance(fields, str) else tuple(fields)
        params = jsonable(dict(params))
        if version is not None and (not isinstance(version, str) or not version.strip() or "@" in version):
            raise LFDefinitionError(f"LF {name!r}: version must be a non-blank string without '@'; got {version!r}")
        computed = short_hash(self.kind, params, hash_extra)
        self.__dict__.update(
            name=name,
            kind=self.kind,
            params=params,
            fields=fields,
            labels=tuple(sorted({_check_label(lab, name) for lab in labels})),
            tags=tags,
            description=str(description or ""),
            version=version or computed,
            source=source or caller_location(),
        )

    # Immutability: attributes are fixed once built (pickling restores __dict__ directly).
    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"LabelingFunction {self.name!r} is immutable; build a new one instead")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"LabelingFunction {self.name!r} is immutable")

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A decorated function's module attribute is this LF, not the function, so the
        # function cannot be pickled by reference: pickle the LF by reference instead.
        func = self.__dict__.get("func")
        module = sys.modules.get(getattr(func, "__module__", None) or "")
        qualname = getattr(func, "__qualname__", "")
        if module is not None and getattr(module, qualname, None) is self:
            return (_import_attribute, (module.__name__, qualname))
        return super().__reduce_ex__(protocol)

    @property
    def lf_id(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, kind={self.kind!r}, version={self.version!r})"

    def __call__(self, x: Any) -> int:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def literal_needs(self) -> list[tuple[str, bool, tuple[str, ...]]]:
        """``(field, lowered, literals)`` the batch should find in one pass shared by all LFs (none here)."""
        return []

    def vote_batch(self, batch: Any) -> np.ndarray:
        """Votes on every row of a :class:`~weaksup.lf.batch.Batch` (row-wise unless overridden)."""
        return np.fromiter((self(row) for row in batch.rows()), dtype=np.int64, count=batch.n)

    def manifest(self) -> dict[str, Any]:
        """A JSON-safe description (for ``lf_manifest.json``)."""
        return {
            "name": self.name, "kind": self.kind, "version": self.version, "params": self.params,
            "fields": list(self.fields), "labels": list(self.labels), "tags": list(self.tags),
            "description": self.description, "source": self.source,
        }

    def to_snorkel(self):
        """A ``snorkel.labeling.LabelingFunction`` giving the same votes, for Snorkel's own tools."""
        try:
            from snorkel.labeling import LabelingFunction as SnorkelLF
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "to_snorkel() needs Snorkel: pip install torch==2.13.0 'weaksup[snorkel]'"
            ) from exc
        return SnorkelLF(name=self.name, f=self.__call__)


def _import_attribute(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


class FunctionLF(LabelingFunction):
    """A generic LF wrapping a plain Python function ``f(row, **resources) -> int``."""

    kind = "generic"

    def __init__(
        self,
        func: Callable[..., int],
        *,
        name: str | None = None,
        resources: Mapping[str, Any] | None = None,
        fields: Iterable[str] = (),
        labels: Iterable[int] = (),
        tags: Iterable[str] = (),
        description: str | None = None,
        version: str | None = None,
        extra_params: Mapping[str, Any] | None = None,
        extra_hash: Any = None,
    ) -> None:
        if not callable(func):
            raise LFDefinitionError(f"labeling_function needs a callable; got {func!r}")
        name = getattr(func, "__name__", None) if name is None else name
        if name == "<lambda>":
            raise LFDefinitionError("a lambda LF needs an explicit name: labeling_function(name=...)(lambda x: ...)")
        doc = inspect.getdoc(func) or ""
        code = getattr(func, "__code__", None)
        source = f"{code.co_filename}:{code.co_firstlineno}" if code else None
        resources = dict(resources or {})
        super().__init__(
            name,
            params={"function": getattr(func, "__qualname__", repr(func)), "resources": resources, **(extra_params or {})},
            fields=fields, labels=labels, tags=tags,
            description=description if description is not None else doc.split("\n", 1)[0],
            version=version, source=source, hash_extra=[normalised_source(func), extra_hash],
        )
        self.__dict__.update(func=func, resources=resources)

    def __call__(self, x: Any) -> int:
        if type(x) is dict:  # give plain dicts the attribute access rows have
            x = Row(x)
        return self.func(x, **self.resources)


def labeling_function(
    func: Callable[..., int] | None = None,
    *,
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    fields: Iterable[str] = (),
    labels: Iterable[int] = (),
    tags: Iterable[str] = (),
    description: str | None = None,
    version: str | None = None,
) -> Any:
    """Turn a function ``f(row) -> int`` into a generic :class:`LabelingFunction`.

    Works bare (``@labeling_function``) and with options
    (``@labeling_function(name=..., tags=...)``). The row gives attribute and item
    access to its fields. ``version`` defaults to a hash of the function's
    normalised source, so editing the body changes it.

    Parameters
    ----------
    func : callable, optional
        The function; given when used bare.
    name : str, optional
        Defaults to the function's name.
    resources : mapping, optional
        Keyword arguments passed to every call (as in Snorkel).
    fields : iterable of str, optional
        Columns the function reads, checked before application.
    labels : iterable of int, optional
        Class ids the function may return.
    tags, description, version : optional
        Metadata; ``description`` defaults to the docstring's first line.

    Examples
    --------
    >>> from weaksup import ABSTAIN
    >>> @labeling_function(tags=["length"], fields=["text"])
    ... def short_comment(x):
    ...     "Very short comments are rarely spam."
    ...     return 0 if len(x.text.split()) < 5 else ABSTAIN
    >>> short_comment({"text": "so cool"}), short_comment.kind, short_comment.tags
    (0, 'generic', ('length',))
    """

    def wrap(f: Callable[..., int]) -> FunctionLF:
        return FunctionLF(
            f, name=name, resources=resources, fields=fields, labels=labels, tags=tags,
            description=description, version=version,
        )

    if func is None:
        return wrap
    if isinstance(func, str):
        raise LFDefinitionError(
            f"labeling_function({func!r}): pass the name as a keyword, labeling_function(name={func!r})"
        )
    return wrap(func)
