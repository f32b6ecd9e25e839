"""The columns a temporal run orders its rows by: ``label_model.params.sequence_column`` and ``order_column``.

:func:`read_order` reads them (every row, those columns only) as :func:`weaksup.pipeline.sequences.run_order` sorts
them: a sequence id per row (as text) and an order key per row. Numbers are keys as they are; a datetime column or
a text one (ISO 8601 times, parsed by :func:`weaksup.media.series.order_times`, the rule a series review reads its
order column by too) becomes naive UTC datetimes, so times with offsets order by instant across a clock change.
:func:`check_run_order` runs the same checks when a run starts, before any LF runs: the named columns are in the
input's header, no row lacks a value, a text order column holds times; rows of a sequence sharing an order value
(ties: they keep their file order) are logged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import ConfigError, DataError
from weaksup.media.series import order_times

if TYPE_CHECKING:
    from weaksup.config import RunConfig

logger = logging.getLogger(__name__)

__all__ = ["check_run_order", "read_order"]


#: Row ids named in the error about rows without a sequence id or an order value.
_SHOWN_IDS = 5


def _blank(values: pd.Series) -> np.ndarray:
    """Where a column has no value: NaN/None/NA, or a string of only spaces (a blank CSV cell)."""
    blank: np.ndarray = values.isna().to_numpy(dtype=bool)
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        blank = blank | np.array([isinstance(v, str) and not v.strip() for v in values], dtype=bool)
    return blank


def _refuse_blanks(config: RunConfig, blanks: dict[str, tuple[str, int, list[Any]]]) -> None:
    """A ``DataError`` naming each ``label_model.params`` column with rows lacking a value, and their first ids."""
    found = [(key, column, n, ids) for key, (column, n, ids) in blanks.items() if n]
    if not found:
        return
    what = {"sequence_column": "a row without its sequence id belongs to no sequence",
            "order_column": "a row without its order value has no place in its sequence"}
    parts = [f"label_model.params.{key} = {column!r} is blank on {n} row(s) (row ids {ids}"
             f"{f' and {n - len(ids)} more' if n > len(ids) else ''}): {what[key]}" for key, column, n, ids in found]
    raise DataError(f"{config.source}: the temporal label model reads every row's sequence and order; "
                    + "; ".join(parts) + ". Fill those cells in the input, or drop the rows")


def _order_key(values: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
    """A chunk's order values as a sort key (numbers as they are; times as naive UTC datetimes: text parsed by
    :func:`~weaksup.media.series.order_times`), their kind (``"numbers"`` or ``"times"``), and where a (not blank)
    value is no time."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(), "numbers", np.zeros(len(values), dtype=bool)
    times = order_times(values)
    bad = times.isna().to_numpy(dtype=bool) & ~blank
    return times.to_numpy(dtype="datetime64[ns]"), "times", bad


def _refuse_bad_times(config: RunConfig, column: str, n: int, shown: list[tuple[Any, Any]]) -> None:
    """A ``ConfigError`` naming the order column, the input, the first values that are no time and their rows."""
    if not n:
        return
    values = ", ".join(f"row {i!r} has {str(v)!r}" for i, v in shown)
    more = f" and {n - len(shown):,} more" if n > len(shown) else ""
    raise ConfigError(f"{config.source}: label_model.params.order_column = {column!r} of "
                      f"{config.input.example or config.input.path} holds text that is not a time in {n:,} row(s) "
                      f"({values}{more}): a text order column is read as ISO 8601 times (e.g. "
                      "'2024-10-27T02:17:00+02:00'; times with an offset are ordered by instant, in UTC). Write "
                      "numbers (e.g. a sample index or seconds) or ISO 8601 times in that column")


def read_order(config: RunConfig, seq_col: str, order_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Every row's sequence id (text) and order key, checked: no blank, every text order value a time."""
    from weaksup.pipeline.inputs import read_chunks

    id_col = config.input.id_column
    columns = [c for c in (seq_col, order_col) if c]
    named = {"sequence_column": seq_col, "order_column": order_col}
    blanks: dict[str, tuple[str, int, list[Any]]] = {k: (c, 0, []) for k, c in named.items() if c}
    seqs: list[np.ndarray] = []
    orders: list[np.ndarray] = []
    kinds: set[str] = set()
    n_bad, bad_shown = 0, list[tuple[Any, Any]]()
    try:
        for chunk in read_chunks(config, list(dict.fromkeys([*columns, id_col]))):
            for key, (column, n, ids) in blanks.items():
                blank = _blank(chunk[column])
                if blank.any():
                    ids += chunk[id_col][blank].head(_SHOWN_IDS - len(ids)).tolist()
                    blanks[key] = (column, n + int(blank.sum()), ids)
            seqs.append(chunk[seq_col].astype(str).to_numpy() if seq_col else np.zeros(len(chunk), dtype=object))
            if order_col:
                key_, kind, bad = _order_key(chunk[order_col], _blank(chunk[order_col]))
                kinds.add(kind)
                n_bad += int(bad.sum())
                bad_shown += list(zip(chunk[id_col][bad], chunk[order_col][bad]))[:_SHOWN_IDS - len(bad_shown)]
                orders.append(key_)
    except KeyError as exc:
        raise DataError(f"{config.source}: label_model.params names column {exc} that the input does not "
                        "have; fix sequence_column / order_column") from None
    _refuse_blanks(config, blanks)
    _refuse_bad_times(config, order_col, n_bad, bad_shown)
    if len(kinds) > 1:
        raise ConfigError(f"{config.source}: label_model.params.order_column = {order_col!r} of "
                          f"{config.input.example or config.input.path} holds numbers in some rows and times in "
                          "others; write one kind (numbers, or ISO 8601 times) in every row")
    seq = np.concatenate(seqs) if seqs else np.zeros(0, dtype=object)
    return seq, (np.concatenate(orders) if orders else np.zeros(0))


def _warn_ties(seq: np.ndarray, pos: np.ndarray, codes: np.ndarray, order: np.ndarray) -> None:
    """Log the rows sharing their order value with another row of their sequence (kept in file order)."""
    ordered = pos[order]
    same = (codes[order][1:] == codes[order][:-1]) & (ordered[1:] == ordered[:-1])
    if not same.any():
        return
    rows = order[1:][same]
    shown = [pd.Timestamp(pos[r]).isoformat() if pos.dtype.kind == "M" else pos[r].item() for r in rows[:50]]
    pairs = list(dict.fromkeys(zip((str(seq[r]) for r in rows[:50]), shown)))[:_SHOWN_IDS]
    logger.warning("temporal label model: %d row(s) share their order value with an earlier row of their sequence "
                   "(sequence, order: %s); ties keep the file order. If they are repeated readings, drop or "
                   "aggregate them", len(rows), pairs)


def check_run_order(config: RunConfig, present: list[str]) -> None:
    """Before any LF runs: the columns a temporal model names (``label_model.params.sequence_column`` and
    ``order_column``) are among the input's columns ``present``, every row has both values and a text order column
    holds times (:func:`read_order`); rows sharing an order value in a sequence are logged (a warning).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x"}, "input": {"path": "readings.csv"}, "lfs": {"modules": ["m"]},
    ...        "output": {"path": "out/labels.csv"}, "label_model": {"name": "temporal",
    ...        "params": {"sequence_column": "device", "order_column": "time"}}}
    >>> check_run_order(RunConfig.from_dict(doc), ["row_id", "device", "ts"])
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <dict>: label_model.params.order_column = 'time' is not a column of readings.csv \
(its columns: ['row_id', 'device', 'ts']): name one of them
    """
    from weaksup.models.temporal import CONFIG_NAMES

    params = config.label_model.params
    if config.label_model.name not in CONFIG_NAMES:
        return
    seq_col, order_col = str(params.get("sequence_column", "")), str(params.get("order_column", ""))
    for key, column in (("sequence_column", seq_col), ("order_column", order_col)):
        if column and column not in present:
            raise ConfigError(f"{config.source}: label_model.params.{key} = {column!r} is not a column of "
                              f"{config.input.example or config.input.path} (its columns: {present}): name one of "
                              "them")
    if not seq_col and not order_col:
        return
    seq, pos = read_order(config, seq_col, order_col)
    if not order_col:  # (file_order = true: the file order, no ties)
        return
    codes = np.unique(seq, return_inverse=True)[1]
    _warn_ties(seq, pos, codes, np.lexsort((np.arange(len(seq)), pos, codes)))
