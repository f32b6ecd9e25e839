"""Preprocessors: steps from a row to a row with added fields, shared by the LFs that list them in ``pre=[...]``.

A preprocessor (weaksup's :func:`preprocessor`, or Snorkel's ``@preprocessor`` / ``Preprocessor`` / spaCy
preprocessor objects) runs once per row and chain for a whole batch: five LFs with ``pre=[p]`` see one computed
row each, where Snorkel runs ``p`` (and copies the row) once per LF and row. A Snorkel LF whose chain ends in a
step that is not memoised gets its own run of that step on a copy of the row, as in Snorkel, so an LF changing
its row never changes another's (:func:`weaksup.lf.chains.chain_rows`). ``memoize=True`` also reuses the result
for rows of equal content, as Snorkel's memoisation does. A vectorised preprocessor
(``@preprocessor(vectorized=True)``) takes a whole batch as a DataFrame and returns its new columns; Snorkel's
``SpacyPreprocessor`` runs as one ``nlp.pipe`` over the batch's texts (distinct texts only when memoised).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, overload

import pandas as pd

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import normalised_source
from weaksup.lf.rows import Row, SeriesRow

__all__ = ["NONE_RETURNED", "Preprocessor", "apply_preprocessors", "check_preprocessors", "copy_row", "is_preprocessor",
           "preprocessor", "preprocessor_functions", "preprocessor_parts", "row_fields"]

NONE_RETURNED = "Preprocessor should not return None"


class Preprocessor:
    """A named row-to-row step run before the LFs that list it in ``pre=[...]`` (see :func:`preprocessor`).

    Row-wise, ``func(x)`` gets a copy of the row, sets new fields on it (``x.polarity = ...``) and returns it.
    Vectorised (``vectorized=True``), ``func(frame)`` gets the batch's rows as a DataFrame and returns its new
    columns (a DataFrame, or a mapping of column name to a sequence with one value per row).
    """

    def __init__(self, func: Callable[[Any], Any], *, name: str | None = None, memoize: bool = False,
                 vectorized: bool = False) -> None:
        if not callable(func):
            raise LFDefinitionError(f"preprocessor needs a callable; got {func!r}")
        self.func = func
        self.name = name or getattr(func, "__name__", type(func).__name__)
        self.memoize = bool(memoize)
        self.vectorized = bool(vectorized)

    def __repr__(self) -> str:
        return f"Preprocessor({self.name!r}, memoize={self.memoize}, vectorized={self.vectorized})"

    def new_columns(self, frame: pd.DataFrame) -> dict[str, list[Any]]:
        """The vectorised function's new columns for ``frame``, checked to have one value per row."""
        out = self.func(frame)
        if isinstance(out, pd.DataFrame):
            out = {str(c): out[c] for c in out.columns}
        if not isinstance(out, Mapping):
            raise LFDefinitionError(f"vectorised preprocessor {self.name!r} returned {type(out).__name__}; it must "
                                    "return a DataFrame or a mapping of new column name -> one value per row")
        columns = {str(k): list(v) for k, v in out.items()}
        bad = {k: len(v) for k, v in columns.items() if len(v) != len(frame)}
        if bad:
            raise LFDefinitionError(f"vectorised preprocessor {self.name!r} returned columns of lengths {bad} for "
                                    f"{len(frame)} rows; return one value per row")
        return columns

    def __call__(self, x: Any) -> Any:
        """The row ``x`` preprocessed (a copy; ``x`` is left as it is)."""
        y = copy_row(x)
        if self.vectorized:
            for key, values in self.new_columns(pd.DataFrame([dict(row_fields(y))])).items():
                setattr(y, key, values[0])
            return y
        out = self.func(y)
        if out is None:
            raise LFDefinitionError(f"{NONE_RETURNED}: {self.name!r} must return the row (x.new_field = ...; return x)")
        return out


@overload
def preprocessor(func: Callable[[Any], Any], /) -> Preprocessor: ...


@overload
def preprocessor(func: None = None, /, *, name: str | None = None, memoize: bool = False,
                 vectorized: bool = False) -> Callable[[Callable[[Any], Any]], Preprocessor]: ...


def preprocessor(func: Callable[[Any], Any] | None = None, /, *, name: str | None = None, memoize: bool = False,
                 vectorized: bool = False) -> Preprocessor | Callable[[Callable[[Any], Any]], Preprocessor]:
    """Turn ``f(x) -> x`` (or, vectorised, ``f(frame) -> new columns``) into a :class:`Preprocessor`.

    Examples
    --------
    >>> from weaksup.lf import labeling_function
    >>> @preprocessor(vectorized=True)
    ... def n_words(frame):
    ...     return {"n_words": frame["text"].str.split().str.len()}
    >>> @labeling_function(pre=[n_words])
    ... def short(x):
    ...     return 0 if x.n_words < 3 else -1
    >>> short({"text": "so good"}), short.kind
    (0, 'generic')
    """
    if func is None:
        return lambda f: Preprocessor(f, name=name, memoize=memoize, vectorized=vectorized)
    return Preprocessor(func, name=name, memoize=memoize, vectorized=vectorized)


def _snorkel_mapper_type() -> type | None:
    import sys

    module = sys.modules.get("snorkel.map.core")
    return getattr(module, "BaseMapper", None) if module is not None else None


def is_preprocessor(p: Any) -> bool:
    """True for a :class:`Preprocessor` or a Snorkel preprocessor (``snorkel.map.core.BaseMapper``).

    Examples
    --------
    >>> is_preprocessor(Preprocessor(lambda x: x, name="same")), is_preprocessor(len)
    (True, False)
    """
    mapper = _snorkel_mapper_type()
    return isinstance(p, Preprocessor) or (mapper is not None and isinstance(p, mapper))


def check_preprocessors(pre: Any, where: str) -> tuple[Any, ...]:
    """``pre`` as a tuple of :class:`Preprocessor` or Snorkel preprocessor objects, else an LFDefinitionError.

    Examples
    --------
    >>> step = Preprocessor(lambda x: x, name="same")
    >>> check_preprocessors([step], "LF 'a'") == (step,), check_preprocessors(None, "LF 'a'")
    (True, ())
    """
    if pre is None:
        return ()
    items = (pre,) if isinstance(pre, Preprocessor) or not isinstance(pre, Sequence) else tuple(pre)
    for p in items:
        if not is_preprocessor(p):
            raise LFDefinitionError(f"{where}: pre=[...] takes preprocessors (@weaksup.lf.preprocessor, or Snorkel's "
                                    f"@preprocessor / Preprocessor objects); got {type(p).__name__} {p!r}")
    return items


def preprocessor_functions(p: Any) -> list[Callable[..., Any]]:
    """The user functions behind a preprocessor (and its nested ``pre``), whose code the LF version hashes.

    Examples
    --------
    >>> def tag(x):
    ...     return x
    >>> [f.__name__ for f in preprocessor_functions(Preprocessor(tag))]
    ['tag']
    """
    if isinstance(p, Preprocessor):
        return [p.func]
    found = [f for f in (getattr(p, "_f", None),) if callable(f)]
    run = getattr(type(p), "run", None)
    if run is not None and getattr(run, "__module__", "").split(".")[0] != "snorkel":
        found.append(run)
    for q in getattr(p, "_pre", ()):
        found.extend(preprocessor_functions(q))
    return found


def _pipeline_parts(nlp: Any) -> list[Any]:
    meta = nlp.meta
    parts: list[Any] = [meta.get("lang"), meta.get("name"), meta.get("version"), nlp.config.to_str(),
                        list(nlp.pipe_names)]
    for name in nlp.pipe_names:
        patterns = getattr(nlp.get_pipe(name), "patterns", None)
        if patterns is not None:
            parts.append([name, patterns])
    return parts


def preprocessor_parts(p: Any) -> list[Any]:
    """What a preprocessor contributes to the version of an LF using it: sources, flags, fields, pipeline.

    Examples
    --------
    >>> def tag(x):
    ...     return x
    >>> preprocessor_parts(Preprocessor(tag, memoize=True))[0::2]
    ['tag', True]
    """
    if isinstance(p, Preprocessor):
        return [p.name, normalised_source(p.func), p.memoize, p.vectorized]
    parts: list[Any] = [type(p).__name__, p.name, bool(getattr(p, "memoize", False)),
                        repr(getattr(p, "field_names", None)), repr(getattr(p, "mapped_field_names", None))]
    parts += [normalised_source(f) for f in preprocessor_functions(p)]
    if getattr(p, "_nlp", None) is not None:
        parts += _pipeline_parts(p._nlp)
    parts += [preprocessor_parts(q) for q in getattr(p, "_pre", ())]
    return parts


def row_fields(x: Any) -> Mapping[str, Any]:
    """The fields of a row as a mapping (a :class:`Row` itself, or a namespace's ``vars``).

    Examples
    --------
    >>> dict(row_fields(SimpleNamespace(text="hi")))
    {'text': 'hi'}
    """
    return x if isinstance(x, Mapping) else vars(x)


def copy_row(x: Any) -> Any:
    """The copy of a row a preprocessor works on (Snorkel copies rows by a pickle round trip).

    Examples
    --------
    >>> row = Row(text="hi")
    >>> copy = copy_row(row)
    >>> copy.extra = 1
    >>> sorted(copy), sorted(row)
    (['extra', 'text'], ['text'])
    """
    if isinstance(x, SeriesRow):
        return x.copy_columns()
    if isinstance(x, dict):
        return Row(x)
    if isinstance(x, SimpleNamespace):
        return type(x)(**vars(x))
    return pickle.loads(pickle.dumps(x))


def apply_preprocessors(pre: Sequence[Any], x: Any) -> Any:
    """Run an LF's preprocessors on one row (a row-at-a-time call; batches share :func:`~weaksup.lf.chains.chain_rows`).

    Examples
    --------
    >>> @preprocessor
    ... def shout(x):
    ...     x.loud = x.text.upper()
    ...     return x
    >>> apply_preprocessors([shout], Row(text="hi")).loud
    'HI'
    """
    for p in pre:
        x = p(x)
        if x is None:
            raise LFDefinitionError(NONE_RETURNED)
    return x
