"""The :class:`LabelingFunction` object and the generic ``@labeling_function`` kind."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import (
    FrozenDict,
    caller_location,
    check_label,
    check_name,
    jsonable,
    normalised_source,
    short_hash,
)
from weaksup.lf.options import LFOptions, check_options
from weaksup.lf.preprocess import apply_preprocessors, check_preprocessors, preprocessor_functions, preprocessor_parts
from weaksup.lf.rows import Row, field_value, is_missing

if TYPE_CHECKING:
    import re

    from snorkel.labeling import LabelingFunction as SnorkelLF
    from typing_extensions import Unpack

    from weaksup.labels import LabelSpace
    from weaksup.lf.batch import Batch
    from weaksup.lf.source import LFSource

__all__ = ["CodeVersionedLF", "FunctionLF", "LabelingFunction", "Row", "field_value", "is_missing", "labeling_function"]


class LabelingFunction:
    """A named, versioned, immutable function from a data row to a class id or ``ABSTAIN``.

    Subclasses are the LF kinds; most users build LFs with the kinds' constructors
    (:func:`keyword_lf`, :func:`regex_lf`, :func:`lookup_lf`, :func:`model_score_lf`,
    :func:`threshold_lf`) or the :func:`labeling_function` decorator.

    Attributes
    ----------
    name : str
        Unique within a registry.
    kind : str
        ``"keyword"``, ``"regex"``, ``"lookup"``, ``"model_score"``, ``"threshold"``, ``"spacy"`` or
        ``"generic"`` (a class attribute of each kind).
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

    name: str
    params: dict[str, Any]
    fields: tuple[str, ...]
    labels: tuple[int, ...]
    tags: tuple[str, ...]
    description: str
    source: str

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
        name = check_name(name)
        tags = (tags,) if isinstance(tags, str) else tags
        fields = (fields,) if isinstance(fields, str) else tuple(fields)
        params = jsonable(dict(params))
        if version is not None and (not isinstance(version, str) or not version.strip() or "@" in version):
            raise LFDefinitionError(f"LF {name!r}: version must be a non-blank string without '@'; got {version!r}")
        computed = short_hash(self.kind, params, hash_extra)
        self._set(
            name=name,
            params=FrozenDict(params),
            fields=fields,
            labels=tuple(sorted({check_label(lab, name) for lab in labels})),
            tags=tuple(dict.fromkeys(str(t) for t in tags)),
            description=str(description or ""),
            version=version or computed,
            source=source or caller_location(),
            _computed_version=computed,
        )

    def _set(self, **attributes: Any) -> None:
        """Set attributes while the LF is being built (the only writer of an LF's state)."""
        self.__dict__.update(attributes)

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
        self.explicit_version  # noqa: B018  # computes a lazy version here, where the LF's module is
        return super().__reduce_ex__(protocol)

    @property
    def version(self) -> str:
        """The content hash of the LF (or the ``version=`` given); see the class docstring."""
        if "version" not in self.__dict__:
            self._complete_version()
        return str(self.__dict__["version"])

    def _complete_version(self) -> None:  # kinds computing their version on first use set it here
        raise AttributeError(f"LF {self.__dict__.get('name')!r} has no version")

    @property
    def cacheable(self) -> bool:
        """True when a run may reuse saved votes of this LF: its version covers all its votes depend on. False
        for a generic LF reading state that cannot be hashed: runs recompute it (see :attr:`cache_note`)."""
        return True

    @property
    def cache_note(self) -> str:
        """Why the LF is not :attr:`cacheable` ("" when it is)."""
        return ""

    @property
    def lf_id(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @property
    def explicit_version(self) -> bool:
        """True when ``version=`` was given and differs from the hash of the LF's content."""
        if "_computed_version" not in self.__dict__:
            self._complete_version()
        return bool(self.version != self.__dict__.get("_computed_version", self.version))

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """Compiled regular expressions whose matches explain a vote (keyword and regex kinds; empty here)."""
        return ()

    def default_description(self) -> str:
        """The description the kind gives when none is passed."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, kind={self.kind!r}, version={self.version!r})"

    def __call__(self, x: Any) -> int:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def literal_needs(self) -> list[tuple[str, bool, tuple[str, ...]]]:
        """``(field, lowered, literals)`` the batch should find in one pass shared by all LFs (none here)."""
        return []

    def vote_batch(self, batch: Batch) -> np.ndarray:
        """Votes on every row of a :class:`~weaksup.lf.batch.Batch` (row-wise unless overridden)."""
        return np.fromiter((self(row) for row in batch.rows()), dtype=np.int64, count=batch.n)

    def manifest(self) -> dict[str, Any]:
        """A JSON-safe description (for ``lf_manifest.json``)."""
        return {
            "name": self.name, "kind": self.kind, "version": self.version, "params": self.params,
            "fields": list(self.fields), "labels": list(self.labels), "tags": list(self.tags),
            "description": self.description, "source": self.source,
            **({} if self.cacheable else {"cacheable": False, "cache_note": self.cache_note}),
        }

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """Python source that rebuilds this LF (same votes, same version) in a module.

        Class ids are written as ``LABELS['name']`` when ``label_space`` is given (the module
        defines ``LABELS``). Raises :class:`~weaksup.errors.LFDefinitionError` saying why when the
        LF cannot be written as source; see :func:`weaksup.lf.export.write_module`.
        """
        raise LFDefinitionError(f"LF {self.name!r} is of kind {self.kind!r}, which export does not know how to "
                                f"write; copy its definition (at {self.source}) into the module by hand")

    def to_snorkel(self) -> SnorkelLF:
        """A ``snorkel.labeling.LabelingFunction`` giving the same votes, for Snorkel's own tools;
        :func:`~weaksup.lf.snorkel.from_snorkel` turns it back into this LF."""
        from weaksup.lf.snorkel import to_snorkel

        return to_snorkel(self)

    #: Preprocessors run on a row before the LF reads it (empty for most kinds).
    pre: tuple[Any, ...] = ()

    def row_plan(self) -> tuple[str, tuple[Any, ...], Callable[[Any], int]]:
        """How row-wise application calls the LF: ``(rows, chain, call)``. ``rows`` is ``"native"``
        (:class:`Row`), ``"series"`` (:class:`~weaksup.lf.rows.SeriesRow`) or ``"pandas"`` (``pd.Series``);
        ``call`` votes on a row already through the preprocessors ``chain``, which the batch computes once per
        row for every LF sharing it."""
        return "native", (), self.__call__


def _import_attribute(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


class CodeVersionedLF(LabelingFunction):
    """An LF whose version hashes a function's code and what it reads (:func:`~weaksup.lf.dependencies.dependencies`
    of :meth:`version_functions`), computed on first use: a helper may be defined below the LF in its module.

    Generic LFs and function-backed span LFs share this rule; a kind that never sets ``func`` keeps the version its
    constructor hashed, and a ``version=`` given explicitly is kept.
    """

    def defer_version(self, func: Callable[..., Any], hash_extra: Any, version: str | None) -> None:
        """Version the LF by ``func``'s code and what it reads (on first use); ``version`` kept when given."""
        self._set(func=func, _hash_extra=hash_extra)
        del self.__dict__["_computed_version"]
        if version is None:
            del self.__dict__["version"]

    def version_functions(self) -> list[Callable[..., Any]]:
        """The functions whose code and reads the version hashes (``func``; kinds may add more)."""
        return [self.__dict__["func"]]

    def _complete_version(self) -> None:
        from weaksup.lf.dependencies import dependencies

        if "func" not in self.__dict__:
            raise AttributeError(f"LF {self.__dict__.get('name')!r} has no version")
        first, *rest = [dependencies(f) for f in self.version_functions()]
        found = type(first)({k: v for d in (first, *rest) for k, v in d.values.items()},
                            tuple(u for d in (first, *rest) for u in d.unprovable))
        # Folded in only when the code reads something beyond what the source already covers, so an LF that
        # reads only builtins, imports, weaksup's names and its label constants keeps the version it had.
        computed = short_hash(self.kind, self.params, self.__dict__["_hash_extra"],
                              *([found.values] if found.values else []))
        self._set(_dependencies=found, _computed_version=computed, version=self.__dict__.get("version") or computed)

    @property
    def cacheable(self) -> bool:
        """False when the function reads state that cannot be hashed (see :attr:`cache_note`)."""
        return not self.cache_note

    @property
    def cache_note(self) -> str:
        """What the function reads whose state cannot be hashed ("" when it is cacheable)."""
        if "func" not in self.__dict__:
            return ""
        if "_dependencies" not in self.__dict__:
            self._complete_version()
        return "; ".join(self.__dict__["_dependencies"].unprovable)


class FunctionLF(CodeVersionedLF):
    """A generic LF wrapping a plain Python function ``f(row, **resources) -> int``.

    ``options`` are :class:`LFOptions`. ``extra_params`` and ``extra_hash`` let a kind built on
    this one (e.g. :class:`~weaksup.lf.nlp.SpacyLF`) add to the parameters and the version hash.
    """

    kind = "generic"
    func: Callable[..., int]
    resources: dict[str, Any]

    def __init__(
        self,
        func: Callable[..., int],
        *,
        extra_params: Mapping[str, Any] | None = None,
        extra_hash: Any = None,
        **options: Unpack[LFOptions],
    ) -> None:
        check_options(options, type(self).__name__)
        if not callable(func):
            raise LFDefinitionError(f"labeling_function needs a callable; got {func!r}")
        name = options.get("name")
        name = getattr(func, "__name__", None) if name is None else name
        if name == "<lambda>":
            raise LFDefinitionError("a lambda LF needs an explicit name: labeling_function(name=...)(lambda x: ...)")
        doc = inspect.getdoc(func) or ""
        code = getattr(func, "__code__", None)
        resources = dict(options.get("resources") or {})
        description = options.get("description")
        pre = check_preprocessors(options.get("pre"), f"LF {name!r}")
        hash_extra = [normalised_source(func), extra_hash, *([[preprocessor_parts(p) for p in pre]] if pre else [])]
        super().__init__(
            name,  # type: ignore[arg-type]  # checked by check_name
            params={"function": getattr(func, "__qualname__", repr(func)), "resources": resources,
                    **({"pre": [getattr(p, "name", repr(p)) for p in pre]} if pre else {}), **(extra_params or {})},
            fields=options.get("fields", ()), labels=options.get("labels", ()), tags=options.get("tags", ()),
            description=description if description is not None else doc.split("\n", 1)[0],
            version=options.get("version"), source=f"{code.co_filename}:{code.co_firstlineno}" if code else None,
            hash_extra=hash_extra,
        )
        self._set(resources=FrozenDict(resources), pre=pre)
        self.defer_version(func, hash_extra, options.get("version"))

    def version_functions(self) -> list[Callable[..., Any]]:
        """The function and what its preprocessors run: the version hashes what each of them reads."""
        return [self.func, *(g for p in self.pre for g in preprocessor_functions(p))]

    def __call__(self, x: Any) -> int:
        if type(x) is dict:  # give plain dicts the attribute access rows have
            x = Row(x)
        if self.pre:
            x = apply_preprocessors(self.pre, x)
        return self.func(x, **self.resources)

    def row_plan(self) -> tuple[str, tuple[Any, ...], Callable[[Any], int]]:
        """``func(row, **resources)`` on rows through :attr:`pre` (a kind overriding the call keeps its own)."""
        if type(self).__call__ is not FunctionLF.__call__:
            return "native", (), self.__call__
        return "native", self.pre, functools.partial(self.func, **self.resources) if self.resources else self.func

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """The function's own source (decorated, or wrapped in ``labeling_function(...)``) and the globals it reads."""
        from weaksup.lf.source import function_lf_source

        return function_lf_source(self, label_space)


@overload
def labeling_function(func: Callable[..., int], /) -> FunctionLF: ...


@overload
def labeling_function(
    func: None = None, /, **options: Unpack[LFOptions]
) -> Callable[[Callable[..., int]], FunctionLF]: ...


def labeling_function(
    func: Callable[..., int] | None = None, /, **options: Unpack[LFOptions]
) -> FunctionLF | Callable[[Callable[..., int]], FunctionLF]:
    """Turn a function ``f(row) -> int`` into a generic :class:`LabelingFunction`.

    Works bare (``@labeling_function``) and with options
    (``@labeling_function(name=..., tags=...)``). The row gives attribute and item
    access to its fields. ``version`` defaults to a hash of the function's normalised source and of the constants,
    helpers and files it reads (:mod:`weaksup.lf.dependencies`), so editing any of them changes it.

    Parameters
    ----------
    func : callable, optional
        The function; given when used bare.
    **options
        :class:`LFOptions`: ``name``, ``resources``, ``fields``, ``labels``, ``tags``,
        ``description``, ``version``.

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
    check_options(options, "labeling_function")
    if isinstance(func, str):
        raise LFDefinitionError(
            f"labeling_function({func!r}): pass the name as a keyword, labeling_function(name={func!r})"
        )
    if func is None:
        return lambda f: FunctionLF(f, **options)
    return FunctionLF(func, **options)
