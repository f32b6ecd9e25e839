"""Snorkel labeling functions as weaksup LFs (:func:`from_snorkel`) and back (:func:`to_snorkel`).

A ``snorkel.labeling.LabelingFunction`` (``@labeling_function()``, ``LabelingFunction(name, f, resources=...)``,
``nlp_labeling_function``...) becomes a :class:`SnorkelLF`: its name, its function, its ``resources`` and its
``pre`` preprocessors, with a version hashing the function's source, the resources and the preprocessors' sources
(and the helpers and constants they read), as for weaksup's own generic LFs. Applied to a batch it votes as
``PandasLFApplier`` does, on light rows holding the same values as Snorkel's Series rows
(:mod:`weaksup.lf.rows`), with each preprocessor chain computed once per row, except a last step that is not
memoised: as in Snorkel, each LF runs it on its own copy of the row (:mod:`weaksup.lf.preprocess`).
"""

from __future__ import annotations

import functools
import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from weaksup.errors import LFDefinitionError
from weaksup.lf.core import FunctionLF, LabelingFunction
from weaksup.lf.rows import Row

if TYPE_CHECKING:
    from snorkel.labeling import LabelingFunction as SnorkelLabelingFunction

__all__ = ["SnorkelLF", "as_weaksup_lf", "from_snorkel", "is_snorkel_lf", "is_snorkel_sf", "to_snorkel"]

_CONVERTED: weakref.WeakKeyDictionary[Any, SnorkelLF] = weakref.WeakKeyDictionary()


def is_snorkel_lf(obj: Any) -> bool:
    """True for a ``snorkel.labeling.LabelingFunction`` (Snorkel need not be imported to ask).

    Examples
    --------
    >>> is_snorkel_lf(len)
    False
    """
    module = sys.modules.get("snorkel.labeling.lf.core")
    return module is not None and isinstance(obj, module.LabelingFunction)


def is_snorkel_sf(obj: Any) -> bool:
    """True for a Snorkel slicing function (``snorkel.slicing.SlicingFunction``, ``@slicing_function()``,
    ``nlp_slicing_function``): Snorkel derives them from its ``LabelingFunction``, but they mark slices, not votes.

    Examples
    --------
    >>> from snorkel.slicing import slicing_function
    >>> @slicing_function()
    ... def short(x):
    ...     return len(x.text) < 20
    >>> is_snorkel_sf(short), is_snorkel_lf(short), is_snorkel_sf(len)
    (True, True, False)
    """
    if not is_snorkel_lf(obj):
        return False
    sf_core = sys.modules.get("snorkel.slicing.sf.core")
    sf_nlp = sys.modules.get("snorkel.slicing.sf.nlp")
    return ((sf_core is not None and isinstance(obj, sf_core.SlicingFunction))
            or (sf_nlp is not None and isinstance(obj, sf_nlp.NLPSlicingFunction)))


def _plain_call(lf: Any) -> bool:
    """True when the LF's class keeps Snorkel's own call (preprocess, then ``f(x, **resources)``)."""
    from snorkel.labeling.lf.core import LabelingFunction as Base

    return type(lf).__call__ is Base.__call__ and type(lf)._preprocess_data_point is Base._preprocess_data_point


class SnorkelLF(FunctionLF):
    """A Snorkel LF taken as it is: same name, same votes as Snorkel's appliers, a content version.

    Build it with :func:`from_snorkel` (or pass the Snorkel LF anywhere an LF goes: ``apply_lfs``, ``Registry``,
    ``Workbench``, run configs). ``snorkel`` is the original object, which :meth:`to_snorkel` returns.
    """

    kind = "snorkel"
    snorkel: Any

    def __init__(self, lf: SnorkelLabelingFunction) -> None:
        if not is_snorkel_lf(lf):
            raise LFDefinitionError(f"from_snorkel needs a snorkel.labeling.LabelingFunction; got {type(lf).__name__}")
        if is_snorkel_sf(lf):
            raise LFDefinitionError(
                f"{lf.name!r} is a Snorkel slicing function ({type(lf).__module__}.{type(lf).__qualname__}), not a "
                "labeling function: it marks a slice of the data and does not vote for a class. Remove it from the "
                "LFs, and use it with Snorkel's slicing tools (snorkel.slicing.slice_dataframe, PandasSFApplier)")
        from weaksup.lf.preprocess import Preprocessor, is_preprocessor

        # Snorkel runs any callable in pre=[...]: a plain function is hashed as a preprocessor and the LF runs
        # as Snorkel runs it (Series rows, its own call)
        pre = [p if is_preprocessor(p) else Preprocessor(p) for p in (lf._pre or [])]
        super().__init__(lf._f, name=lf.name, resources=dict(lf._resources or {}), pre=pre,
                         extra_params={"snorkel_type": type(lf).__name__})
        plain = _plain_call(lf) and all(is_preprocessor(p) for p in (lf._pre or []))
        self._set(snorkel=lf, _plain=plain)

    def __call__(self, x: Any) -> int:
        """Snorkel's own call on one row (its preprocessors, memoisation and copies)."""
        return self.snorkel(Row(x) if type(x) is dict else x)  # type: ignore[no-any-return]

    def row_plan(self) -> tuple[str, tuple[Any, ...], Callable[[Any], int]]:
        """Light Series-like rows through the shared preprocessor chain, then ``f(row, **resources)``; for a
        Snorkel LF class overriding how it calls its function, real Series rows and Snorkel's own call."""
        if not self.plain:
            return "pandas", (), self.snorkel
        return "series", self.pre, functools.partial(self.func, **self.resources) if self.resources else self.func

    @property
    def plain(self) -> bool:
        """False for a Snorkel LF class overriding how it calls its function: it runs on Series rows as it is."""
        return bool(self.__dict__["_plain"])

    def to_snorkel(self) -> Any:
        """The Snorkel LF this was made from."""
        return self.snorkel

    def to_source(self, label_space: Any = None) -> Any:
        """Snorkel LFs stay in their own module; export writes weaksup LFs only."""
        raise LFDefinitionError(f"LF {self.name!r} is a Snorkel LF: keep it in its module ({self.source}), "
                                "which weaksup reads as it is; export writes weaksup LFs only")

    def __reduce_ex__(self, protocol: Any) -> Any:
        module = sys.modules.get(getattr(self.func, "__module__", None) or "")
        for attr, value in (vars(module).items() if module is not None else ()):
            if value is self.snorkel:  # by reference: the module-level Snorkel LF, converted again
                return (_module_lf, (module.__name__, attr))  # type: ignore[union-attr]
        self.explicit_version  # noqa: B018  # a lazy version is computed here, where the LF's module is
        return (_rebuilt, (self.snorkel, self.__dict__.get("version")))


def _module_lf(module: str, attr: str) -> LabelingFunction:
    import importlib

    return from_snorkel(getattr(importlib.import_module(module), attr))


def _rebuilt(lf: Any, version: str | None) -> LabelingFunction:
    out = from_snorkel(lf)
    if version is not None and "version" not in out.__dict__:
        out._set(version=version)
    return out


def from_snorkel(lf: Any) -> LabelingFunction:
    """The weaksup LF for a Snorkel LF (the same object for the same Snorkel LF; the original weaksup LF for one
    made by :meth:`LabelingFunction.to_snorkel`).

    Examples
    --------
    >>> from snorkel.labeling import labeling_function as snorkel_lf
    >>> @snorkel_lf()
    ... def has_link(x):
    ...     return 1 if "http" in x.text else -1
    >>> lf = from_snorkel(has_link)
    >>> lf.name, lf.kind, lf({"text": "see http://x.co"}), lf.to_snorkel() is has_link
    ('has_link', 'snorkel', 1, True)
    """
    original = getattr(lf, "weaksup_lf", None)
    if isinstance(original, LabelingFunction):
        return original
    if isinstance(lf, LabelingFunction):
        return lf
    try:
        return _CONVERTED[lf]
    except (KeyError, TypeError):
        pass
    out = SnorkelLF(lf)
    try:
        _CONVERTED[lf] = out
    except TypeError:  # pragma: no cover - an object that cannot be weakly referenced
        pass
    return out


def as_weaksup_lf(obj: Any) -> Any:
    """``obj`` as a weaksup LF when it is a Snorkel LF; anything else unchanged (for the callers' own checks).

    Examples
    --------
    >>> as_weaksup_lf("not an LF")
    'not an LF'
    """
    return from_snorkel(obj) if is_snorkel_lf(obj) else obj


@functools.lru_cache(maxsize=1)
def _carrier() -> type:
    from snorkel.labeling import LabelingFunction as Base

    class WeaksupLabelingFunction(Base):  # type: ignore[misc]
        """A Snorkel LF calling a weaksup LF (``weaksup_lf``), which :func:`from_snorkel` hands back."""

        def __init__(self, lf: LabelingFunction) -> None:
            super().__init__(name=lf.name, f=lf.__call__)
            self.weaksup_lf = lf

        def __reduce__(self) -> Any:
            return (to_snorkel, (self.weaksup_lf,))

    return WeaksupLabelingFunction


def to_snorkel(lf: LabelingFunction) -> Any:
    """A ``snorkel.labeling.LabelingFunction`` voting as ``lf`` does (its preprocessors included).

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> lf = keyword_lf("kw_sub", "subscribe", 1)
    >>> s = to_snorkel(lf)
    >>> s.name, from_snorkel(s) is lf
    ('kw_sub', True)
    """
    if isinstance(lf, SnorkelLF):
        return lf.snorkel
    try:
        _carrier()
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("to_snorkel() needs Snorkel: pip install torch==2.13.0 'weaksup[snorkel]'") from exc
    return _carrier()(lf)
