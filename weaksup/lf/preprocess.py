"""Preprocessors: steps from a row to a row with added fields, shared by the LFs that list them in ``pre=[...]``.

A preprocessor (weaksup's :func:`preprocessor`, or Snorkel's ``@preprocessor`` / ``Preprocessor`` / spaCy
preprocessor objects) runs once per row and chain for a whole batch: five LFs with ``pre=[p]`` see one computed
row each, where Snorkel runs ``p`` (and copies the row) once per LF and row. ``memoize=True`` also reuses the
result for rows of equal content, as Snorkel's memoisation does. A vectorised preprocessor
(``@preprocessor(vectorized=True)``) takes a whole batch as a DataFrame and returns its new columns; Snorkel's
``SpacyPreprocessor`` runs as one ``nlp.pipe`` over the batch's texts (distinct texts only when memoised).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, overload

import pandas as pd

from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import normalised_source
from weaksup.lf.rows import Failed, NeedsSeries, Row, SeriesRow

if TYPE_CHECKING:
    from weaksup.lf.batch import Batch

__all__ = ["Preprocessor", "apply_preprocessors", "chain_rows", "check_preprocessors", "preprocessor",
           "preprocessor_functions", "preprocessor_parts"]

logger = logging.getLogger(__name__)

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
            for key, values in self.new_columns(pd.DataFrame([dict(_fields(y))])).items():
                setattr(y, key, values[0])
            return y
        out = self.func(y)
        if out is None:
            raise ValueError(f"{NONE_RETURNED}: {self.name!r} must return the row (x.new_field = ...; return x)")
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


def check_preprocessors(pre: Any, where: str) -> tuple[Any, ...]:
    """``pre`` as a tuple of :class:`Preprocessor` or Snorkel preprocessor objects, else an LFDefinitionError."""
    if pre is None:
        return ()
    items = (pre,) if isinstance(pre, Preprocessor) or not isinstance(pre, Sequence) else tuple(pre)
    mapper = _snorkel_mapper_type()
    for p in items:
        if not isinstance(p, Preprocessor) and not (mapper is not None and isinstance(p, mapper)):
            raise LFDefinitionError(f"{where}: pre=[...] takes preprocessors (@weaksup.lf.preprocessor, or Snorkel's "
                                    f"@preprocessor / Preprocessor objects); got {type(p).__name__} {p!r}")
    return items


def preprocessor_functions(p: Any) -> list[Callable[..., Any]]:
    """The user functions behind a preprocessor (and its nested ``pre``), whose code the LF version hashes."""
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
    """What a preprocessor contributes to the version of an LF using it: sources, flags, fields, pipeline."""
    if isinstance(p, Preprocessor):
        return [p.name, normalised_source(p.func), p.memoize, p.vectorized]
    parts: list[Any] = [type(p).__name__, p.name, bool(getattr(p, "memoize", False)),
                        repr(getattr(p, "field_names", None)), repr(getattr(p, "mapped_field_names", None))]
    parts += [normalised_source(f) for f in preprocessor_functions(p)]
    if getattr(p, "_nlp", None) is not None:
        parts += _pipeline_parts(p._nlp)
    parts += [preprocessor_parts(q) for q in getattr(p, "_pre", ())]
    return parts


def _fields(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else vars(x)


def copy_row(x: Any) -> Any:
    """The copy of a row a preprocessor works on (Snorkel copies rows by a pickle round trip)."""
    if isinstance(x, SeriesRow):
        return x.copy_columns()
    if isinstance(x, dict):
        return Row(x)
    if isinstance(x, SimpleNamespace):
        return type(x)(**vars(x))
    return pickle.loads(pickle.dumps(x))


def apply_preprocessors(pre: Sequence[Any], x: Any) -> Any:
    """Run an LF's preprocessors on one row (a row-at-a-time call; batches share :func:`chain_rows`)."""
    for p in pre:
        x = p(x)
        if x is None:
            raise ValueError(NONE_RETURNED)
    return x


# --- batches ------------------------------------------------------------------------------------------------------

def chain_rows(batch: Batch, chain: tuple[Any, ...], style: str) -> Sequence[Any]:
    """The batch's rows after the preprocessors ``chain`` (a :class:`Failed` where the chain raised), computed
    once per batch and shared by every LF with that chain (and prefix). ``style`` is ``"native"`` (:class:`Row`)
    or ``"series"`` (:class:`SeriesRow`, for Snorkel LFs). Raises :class:`NeedsSeries` when a Snorkel
    preprocessor needs real Series rows."""
    if not chain:
        return batch.rows() if style == "native" else batch.series_rows()
    return batch.cached(("chain", style, chain), lambda: _run_step(batch, chain[-1], chain_rows(batch, chain[:-1],
                                                                                                  style), style))


def _run_step(batch: Batch, p: Any, rows: Sequence[Any], style: str) -> list[Any]:
    memo = batch.memo.setdefault((style, p), {}) if getattr(p, "memoize", False) else None
    if isinstance(p, Preprocessor) and p.vectorized:
        return _vectorised(batch, p, rows, style)
    keys = batch.series_keys() if memo is not None and style == "series" and rows is batch.series_rows() else None
    if _is_spacy(p):
        out = _spacy_rows(p, rows, memo, keys)
    else:
        one = _mapped if not isinstance(p, Preprocessor) else _native
        out, todo = _unknown(memo, keys, rows)
        for i in todo:
            x = rows[i]
            if type(x) is Failed:
                out[i] = x
                continue
            key, hit = _recall(memo, keys, i, p, x)
            if hit is not _MISS:
                out[i] = hit
                continue
            try:
                y = one(p, x, batch.memo, style)
                if y is None:
                    raise ValueError(NONE_RETURNED)
            except NeedsSeries:
                raise
            except Exception as exc:
                out[i] = Failed(exc)
                continue
            if key is not None:
                memo[key] = y  # type: ignore[index]
            out[i] = y
    wanted = batch.series_wanted() if style == "series" else []
    if wanted:  # the preprocessor caught the NeedsSeries its row raised: it still needs Series rows
        raise NeedsSeries(f"preprocessor {getattr(p, 'name', p)!r} uses pandas.Series behaviour {wanted}")
    return out


_MISS = object()


def _unknown(memo: dict[Any, Any] | None, keys: Sequence[Any] | None, rows: Sequence[Any]) -> tuple[list[Any], Any]:
    """The step's output so far (memo hits looked up at C speed when the keys are known) and the positions left."""
    if memo is None or keys is None:
        return list(rows), range(len(rows))
    out = list(map(memo.get, keys))  # a memoised row is never None
    return out, [i for i, y in enumerate(out) if y is None]


def _recall(memo: dict[Any, Any] | None, keys: Sequence[Any] | None, i: int, p: Any, x: Any) -> tuple[Any, Any]:
    """``(key, row)`` of row ``i`` in a preprocessor's memo: ``(None, _MISS)`` unmemoised, ``(key, _MISS)`` unseen."""
    if memo is None:
        return None, _MISS
    key = keys[i] if keys is not None else _key(p, x)
    return key, (memo.get(key, _MISS) if key is not None else _MISS)


def _key(p: Any, x: Any) -> Any:
    custom = getattr(p, "_memoize_key", None)
    if custom is not None and getattr(custom, "__name__", "") != "get_hashable":
        key = custom(x)
    elif isinstance(x, SeriesRow):
        key = x.content_key()
    else:
        key = tuple(_fields(x).items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _native(p: Preprocessor, x: Any, memo: dict[Any, Any], style: str) -> Any:
    return p.func(copy_row(x))


def _mapped(p: Any, x: Any, memo: dict[Any, Any], style: str) -> Any:
    """Snorkel's ``BaseMapper.__call__`` on a light row: copy, nested ``pre`` (memoised), map."""
    y = copy_row(x)
    for q in getattr(p, "_pre", ()):
        inner = memo.setdefault((style, q), {}) if getattr(q, "memoize", False) else None
        key = _key(q, y) if inner is not None else None
        if key is not None and key in inner:  # type: ignore[operator]
            y = inner[key]  # type: ignore[index]
            continue
        mapped = _mapped(q, y, memo, style) if not isinstance(q, Preprocessor) else q(y)
        if key is not None:
            inner[key] = mapped  # type: ignore[index]
        y = mapped
    return p._generate_mapped_data_point(y)


def _is_spacy(p: Any) -> bool:
    import sys

    module = sys.modules.get("snorkel.preprocess.nlp")
    spacy_type = getattr(module, "SpacyPreprocessor", None)
    return (spacy_type is not None and isinstance(p, spacy_type) and type(p).run is spacy_type.run
            and not getattr(p, "_pre", None) and getattr(p, "_nlp", None) is not None)


def _spacy_rows(p: Any, rows: Sequence[Any], memo: dict[Any, Any] | None, keys: Sequence[Any] | None) -> list[Any]:
    """Snorkel's ``SpacyPreprocessor`` over a batch: one ``nlp.pipe`` over the texts of the rows it has not seen
    (memoised: a row of equal content gets the row made before, as in Snorkel; each distinct text is parsed once)."""
    text_field = p.field_names["text"]
    doc_field = (p.mapped_field_names or {"doc": "doc"})["doc"]
    out, unknown = _unknown(memo, keys, rows)
    todo: list[tuple[int, Any, Any]] = []  # (position, memo key, text)
    first: dict[Any, int] = {}  # memo key -> the position making its row, in this batch
    again: list[tuple[int, int]] = []  # (position, the position whose row it shares)
    for i in unknown:
        x = rows[i]
        if type(x) is Failed:
            out[i] = x
            continue
        key, hit = _recall(memo, keys, i, p, x)
        if hit is not _MISS:
            out[i] = hit
            continue
        if key is not None:
            if key in first:
                again.append((i, first[key]))
                continue
            first[key] = i
        try:
            todo.append((i, key, getattr(x, text_field)))
        except Exception as exc:  # noqa: BLE001 - the row faults, as it would in Snorkel
            out[i] = Failed(exc)
    texts = list(dict.fromkeys(t for _, _, t in todo if type(t) is str))
    docs = dict(zip(texts, p._nlp.pipe(texts)))
    for i, key, text in todo:
        try:
            doc = docs[text] if type(text) is str else p._nlp(text)  # raises for what is not text, as in Snorkel
        except Exception as exc:  # noqa: BLE001
            out[i] = Failed(exc)
            continue
        y = copy_row(rows[i])
        setattr(y, doc_field, doc)
        if memo is not None and key is not None:
            memo[key] = y
        out[i] = y
    for i, j in again:
        out[i] = out[j]
    return out


def _vectorised(batch: Batch, p: Preprocessor, rows: Sequence[Any], style: str) -> list[Any]:
    live = [i for i, x in enumerate(rows) if type(x) is not Failed]
    at_base = rows is batch.rows() or rows is batch.series_rows()
    frame = batch.frame.reset_index(drop=True) if at_base else pd.DataFrame([dict(_fields(rows[i])) for i in live])
    out: list[Any] = list(rows)
    try:
        columns = p.new_columns(frame)
    except Exception as exc:  # noqa: BLE001 - find the rows that fail, one at a time
        logger.debug("vectorised preprocessor %r failed on the batch (%s); running it row by row", p.name, exc)
        for i in live:
            try:
                out[i] = p(rows[i])
            except Exception as row_exc:  # noqa: BLE001
                out[i] = Failed(row_exc)
        return out
    for j, i in enumerate(live):
        y = copy_row(rows[i])
        for key, values in columns.items():
            setattr(y, key, values[j])
        out[i] = y
    return out

