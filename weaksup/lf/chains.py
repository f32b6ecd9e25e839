"""Preprocessor chains over a batch: each chain run over every row of the batch at once, shared where Snorkel shares.

:func:`chain_rows` runs an LF's ``pre`` list over every row of a :class:`~weaksup.lf.batch.Batch`; memoised steps
(``memoize=True``) reuse the row made for an equal row (looked up by the row's content, as Snorkel's memo does),
vectorised ones run on the batch as a DataFrame, and Snorkel's ``SpacyPreprocessor`` runs one ``nlp.pipe`` over
the distinct texts. A row a step raises on becomes a :class:`~weaksup.lf.rows.Failed`: every LF reading it faults
with that exception, as each would in Snorkel.

Which rows LFs share follows Snorkel's ``PandasLFApplier``: a Snorkel LF whose last preprocessor is not memoised
gets rows of its own (Snorkel runs that step on a fresh copy of the row for each LF, so an LF changing its row,
``x.words.pop()``, never changes what another LF sees); a memoised last step hands every LF the same rows, as
Snorkel's memo does. The steps before the last are computed once per batch whatever their ``memoize`` (each step
works on a copy of its input). weaksup's own LFs share every chain: a native preprocessor runs once per row for
every LF listing it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from weaksup.errors import LFDefinitionError
from weaksup.lf.preprocess import NONE_RETURNED, Preprocessor, copy_row, row_fields
from weaksup.lf.rows import Failed, NeedsSeries, SeriesRow

if TYPE_CHECKING:
    from weaksup.lf.batch import Batch

__all__ = ["chain_rows", "shared_chain_rows"]

logger = logging.getLogger(__name__)


def chain_rows(batch: Batch, chain: tuple[Any, ...], style: str) -> Sequence[Any]:
    """The rows an LF with preprocessors ``chain`` votes on (a :class:`Failed` where the chain raised). ``style``
    is ``"native"`` (:class:`Row`) or ``"series"`` (:class:`SeriesRow`, for Snorkel LFs). Raises
    :class:`NeedsSeries` when a Snorkel preprocessor needs real Series rows.

    The rows are computed once per batch and shared by every LF with that chain when the LF is weaksup's own or the
    chain's last step is memoised; a Snorkel LF whose last step is not memoised gets that step run anew on a copy of
    each row (the steps before it still shared), as Snorkel's applier runs it once per LF.

    Examples
    --------
    >>> from weaksup.lf.batch import Batch
    >>> from weaksup.lf.preprocess import preprocessor
    >>> @preprocessor
    ... def shout(x):
    ...     x.loud = x.text.upper()
    ...     return x
    >>> batch = Batch(pd.DataFrame({"text": ["hi", "yo"]}))
    >>> [row.loud for row in chain_rows(batch, (shout,), "native")]
    ['HI', 'YO']
    >>> chain_rows(batch, (shout,), "native") is chain_rows(batch, (shout,), "native")  # computed once
    True
    >>> chain_rows(batch, (shout,), "series") is chain_rows(batch, (shout,), "series")  # as Snorkel: once per LF
    False
    """
    if chain and style == "series" and not getattr(chain[-1], "memoize", False):
        return _run_step(batch, chain[-1], shared_chain_rows(batch, chain[:-1], style), style)
    return shared_chain_rows(batch, chain, style)


def shared_chain_rows(batch: Batch, chain: tuple[Any, ...], style: str) -> Sequence[Any]:
    """The batch's rows after the preprocessors ``chain``, computed once per batch (and prefix) and shared:
    what a chain's next step reads (it works on a copy), and the rows of the LFs that share a chain
    (:func:`chain_rows`).

    Examples
    --------
    >>> from weaksup.lf.batch import Batch
    >>> from weaksup.lf.preprocess import preprocessor
    >>> @preprocessor
    ... def shout(x):
    ...     x.loud = x.text.upper()
    ...     return x
    >>> batch = Batch(pd.DataFrame({"text": ["hi", "yo"]}))
    >>> shared_chain_rows(batch, (shout,), "series") is shared_chain_rows(batch, (shout,), "series")
    True
    """
    if not chain:
        return batch.rows() if style == "native" else batch.series_rows()
    return batch.cached(("chain", style, chain), lambda: _run_step(
        batch, chain[-1], shared_chain_rows(batch, chain[:-1], style), style))


def _run_step(batch: Batch, p: Any, rows: Sequence[Any], style: str) -> list[Any]:
    memo = batch.memo.setdefault((style, p), {}) if getattr(p, "memoize", False) else None
    if isinstance(p, Preprocessor) and p.vectorized:
        return _vectorised(batch, p, rows, style)
    keys = batch.series_keys() if memo is not None and style == "series" and rows is batch.series_rows() else None
    if _is_spacy(p):
        out = _spacy_rows(p, rows, memo, keys)
    else:
        one = _mapped if not isinstance(p, Preprocessor) else _native
        out, pending = _pending(memo, keys, rows, p)
        for i, x, key in pending:
            try:
                y = one(p, x, batch.memo, style)
                if y is None:
                    raise LFDefinitionError(NONE_RETURNED)
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


def _pending(memo: dict[Any, Any] | None, keys: Sequence[Any] | None, rows: Sequence[Any],
             p: Any) -> tuple[list[Any], Iterator[tuple[int, Any, Any]]]:
    """The step's output, with failed rows and memo hits filled in as the iterator walks, and ``(position, row,
    memo key)`` of each row left to compute (a key is looked up when it is reached: earlier rows may have made it)."""
    out, todo = _unknown(memo, keys, rows)

    def walk() -> Iterator[tuple[int, Any, Any]]:
        for i in todo:
            x = rows[i]
            if type(x) is Failed:
                out[i] = x
                continue
            key, hit = _recall(memo, keys, i, p, x)
            if hit is not _MISS:
                out[i] = hit
                continue
            yield i, x, key

    return out, walk()


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
        key = tuple(row_fields(x).items())
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
    module = sys.modules.get("snorkel.preprocess.nlp")
    spacy_type = getattr(module, "SpacyPreprocessor", None)
    return (spacy_type is not None and isinstance(p, spacy_type) and type(p).run is spacy_type.run
            and not getattr(p, "_pre", None) and getattr(p, "_nlp", None) is not None)


def _spacy_rows(p: Any, rows: Sequence[Any], memo: dict[Any, Any] | None, keys: Sequence[Any] | None) -> list[Any]:
    """Snorkel's ``SpacyPreprocessor`` over a batch: one ``nlp.pipe`` over the texts of the rows it has not seen
    (memoised: a row of equal content gets the row made before, as in Snorkel; each distinct text is parsed once)."""
    text_field = p.field_names["text"]
    doc_field = (p.mapped_field_names or {"doc": "doc"})["doc"]
    out, pending = _pending(memo, keys, rows, p)
    todo: list[tuple[int, Any, Any]] = []  # (position, memo key, text)
    first: dict[Any, int] = {}  # memo key -> the position making its row, in this batch
    again: list[tuple[int, int]] = []  # (position, the position whose row it shares)
    for i, x, key in pending:
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
    frame = batch.frame.reset_index(drop=True) if at_base else pd.DataFrame([dict(row_fields(rows[i])) for i in live])
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

