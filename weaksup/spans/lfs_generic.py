"""The generic span LF: :func:`span_labeling_function` turns ``f(doc) -> spans`` into a versioned span LF."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, overload

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import FrozenDict, normalised_source
from weaksup.spans.doc import Span, SpanDoc, Tokenizer
from weaksup.spans.lfs import SpanLF, to_span

__all__ = ["FunctionSpanLF", "span_labeling_function"]

SpanFunction = Callable[..., Iterable[Any]]


class FunctionSpanLF(SpanLF):
    """A span LF wrapping ``f(doc: SpanDoc, **resources) -> Iterable[Span | (start, end, label)]``.

    Its version hashes the function's normalised source and what it reads (constants, helpers, files), as a
    generic LF's (:func:`weaksup.lf.core.labeling_function`), so editing any of them changes it. The spans are
    checked (token offsets inside the document, a type among ``labels``), sorted, and duplicates dropped.
    """

    kind = "span_generic"
    resources: dict[str, Any]

    def __init__(self, func: SpanFunction, *, labels: Iterable[str], name: str | None = None,
                 resources: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                 description: str | None = None, version: str | None = None,
                 tokenizer: Tokenizer = "whitespace") -> None:
        if not callable(func):
            raise LFDefinitionError(f"span_labeling_function needs a callable; got {func!r}")
        name = getattr(func, "__name__", None) if name is None else name
        if name == "<lambda>":
            raise LFDefinitionError("a lambda span LF needs an explicit name: span_labeling_function(name=..., "
                                    "labels=[...])(lambda doc: ...)")
        if isinstance(labels, str):
            labels = [labels]
        code = getattr(func, "__code__", None)
        doc = inspect.getdoc(func) or ""
        resources = dict(resources or {})
        hash_extra = [normalised_source(func)]
        super().__init__(
            name,  # type: ignore[arg-type]  # checked by check_name
            labels=labels, params={"function": getattr(func, "__qualname__", repr(func)), "resources": resources},
            tags=tags, description=description if description is not None else doc.split("\n", 1)[0],
            version=version, source=f"{code.co_filename}:{code.co_firstlineno}" if code else None,
            hash_extra=hash_extra, tokenizer=tokenizer,
        )
        self._set(resources=FrozenDict(resources))
        self.defer_version(func, hash_extra, version)

    def spans(self, doc: SpanDoc) -> list[Span]:
        """The function's spans on ``doc``, checked and sorted."""
        found = self.__dict__["func"](doc, **self.resources)
        if found is None:
            return []
        out = {to_span(item, doc, self.name) for item in found}
        bad = sorted({s.label for s in out} - set(self.span_labels))
        if bad:
            raise LFDefinitionError(f"span LF {self.name!r} returned the type(s) {bad}, not among its labels "
                                    f"{list(self.span_labels)}; add them to labels=[...]")
        return sorted(out)


@overload
def span_labeling_function(func: SpanFunction, /, *, labels: Iterable[str], name: str | None = None,
                           resources: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                           description: str | None = None, version: str | None = None,
                           tokenizer: Tokenizer = "whitespace") -> FunctionSpanLF: ...


@overload
def span_labeling_function(func: None = None, /, *, labels: Iterable[str], name: str | None = None,
                           resources: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                           description: str | None = None, version: str | None = None,
                           tokenizer: Tokenizer = "whitespace") -> Callable[[SpanFunction], FunctionSpanLF]: ...


def span_labeling_function(func: SpanFunction | None = None, /, *, labels: Iterable[str], name: str | None = None,
                           resources: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                           description: str | None = None, version: str | None = None,
                           tokenizer: Tokenizer = "whitespace") -> FunctionSpanLF | Callable[[SpanFunction],
                                                                                             FunctionSpanLF]:
    """Turn ``f(doc) -> Iterable[Span | (start, end, label)]`` (token offsets) into a span LF.

    Parameters
    ----------
    func : callable, optional
        Given when used without parentheses (then ``labels`` cannot be passed: use the decorator form).
    labels : iterable of str
        The entity types the function may return.
    name, resources, tags, description, version : optional
        As for :func:`weaksup.lf.core.labeling_function`.
    tokenizer : str or callable, default "whitespace"
        For strings the LF is called on.

    Examples
    --------
    >>> @span_labeling_function(labels=["Disease"])
    ... def induced(doc):
    ...     "The token before '-induced' is a chemical cause; the next token a disease."
    ...     for i, tok in enumerate(doc.tokens[:-1]):
    ...         if tok.endswith("-induced"):
    ...             yield i + 1, i + 2, "Disease"
    >>> induced("Phenobarbital-induced dyskinesia in a child"), induced.kind
    ([Span(start=1, end=2, label='Disease')], 'span_generic')
    """
    if isinstance(func, str):
        raise LFDefinitionError(f"span_labeling_function({func!r}): pass the name as a keyword, "
                                f"span_labeling_function(name={func!r}, labels=[...])")

    def build(f: SpanFunction) -> FunctionSpanLF:
        return FunctionSpanLF(f, labels=labels, name=name, resources=resources, tags=tags,
                              description=description, version=version, tokenizer=tokenizer)

    return build if func is None else build(func)
