"""What a run's end model reads when the input has no text column: the rows' own columns (tabular data).

With ``input.text_column = ""`` and ``end_model.enabled`` (the default), the end model is
:func:`weaksup.final.columns.tabular_end_model` (gradient-boosted trees over the input's numbers, dates and
categories, the id column and ``[end_model] exclude_columns`` left out: :func:`end_features`): the supervised-on-dev
reference and the final labels of a tabular task read the columns, as a text task's read the text. The columns are
read again from the input, chunk by chunk, as the texts are (:mod:`weaksup.pipeline.end_stage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import logging
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from weaksup.errors import ConfigError, DataError, EndModelError
from weaksup.final.columns import feature_frame
from weaksup.pipeline.inputs import read_chunks
from weaksup.pipeline.plan import RunPlan

if TYPE_CHECKING:
    from weaksup.config import RunConfig

__all__ = ["check_exclude_columns", "column_blocks", "columns_at", "columns_at_each", "end_features", "reblocked",
           "structure_columns", "tabular_model"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


def end_features(config: RunConfig, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a block of rows the end model of rows without text may read: all but the id column and those
    ``[end_model] exclude_columns`` names (e.g. the label itself, or a column derived from it).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv", "text_column": ""},
    ...     "lfs": {"modules": ["m"]}, "end_model": {"exclude_columns": ["is_fraud"]}, "output": {"path": "o.csv"}})
    >>> list(end_features(config, pd.DataFrame({"row_id": ["a"], "amount": [3.0], "is_fraud": [1]})).columns)
    ['amount']
    """
    return feature_frame(frame, [config.input.id_column, *config.end_model.exclude_columns, *structure_columns(config)])


def structure_columns(config: RunConfig) -> dict[str, str]:
    """The columns that say where a row sits, which the end model of rows without text leaves out, with why: the
    label model's order and sequence columns (:func:`weaksup.final.columns.ordering_columns`) and a series review's
    time axis and grouping (``review.media_column`` and ``review.media_group`` with ``review.media = "series"``).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv", "text_column": ""},
    ...     "lfs": {"modules": ["m"]}, "label_model": {"name": "temporal", "params": {"order_column": "frame"}},
    ...     "output": {"path": "o.csv"}})
    >>> structure_columns(config)
    {'frame': "the label model's order column"}
    """
    from weaksup.final.columns import ordering_columns

    found = ordering_columns(config.label_model.params)
    if config.review.media == "series":
        for column, key in ((config.review.media_column, "media_column"), (config.review.media_group, "media_group")):
            if column and column not in found:
                found[column] = f"the series review's {'time axis' if key == 'media_column' else 'grouping'} (review.{key})"
    return found


def check_exclude_columns(config: RunConfig, present: Sequence[str]) -> None:
    """Refuse ``[end_model] exclude_columns`` naming a column the input does not have (``present``: its columns),
    or given for an input with a text column (:func:`weaksup.final.columns.excluded_problem`), when the run starts."""
    from weaksup.final.columns import excluded_problem

    problem = excluded_problem(config.end_model.exclude_columns, present, key="[end_model] exclude_columns",
                               text_column=config.input.text_column or None,
                               data=f"the input {config.input.example or config.input.path}")
    if problem is not None:
        raise ConfigError(f"{config.source}: {problem}")


def tabular_model(config: RunConfig, features: pd.DataFrame, info: dict[str, Any]) -> Any | None:
    """The unfitted tabular end model reading the columns chosen on ``features`` (the training rows), the columns
    read and those left out (with why) recorded in ``info`` (``run.json``'s ``end_model``) and logged (left out: a
    warning); None, ``info["skipped"]`` saying why, when no column can be read."""
    from weaksup.final.columns import tabular_end_model

    try:
        model = tabular_end_model(config.label_model.seed, columns=features)
    except EndModelError as exc:
        info["skipped"] = f"the input has no text column (input.text_column), and {exc}"
        logger.info("end model skipped: %s", info["skipped"])
        return None
    kinds = model.steps[0][1].kinds
    info["columns"] = {"numbers": kinds["numbers"], "dates": kinds["dates"], "categories": list(kinds["categories"])}
    info["columns_left_out"] = {**structure_columns(config), **kinds["left_out"]}
    if config.end_model.exclude_columns:
        info["columns_excluded"] = list(config.end_model.exclude_columns)  # ([end_model] exclude_columns)
    logger.info("end model reads the columns %s", info["columns"])
    shown = {name: why for name, why in info["columns_left_out"].items() if why not in ("one value", "no value")}
    if shown:
        logger.warning("end model: columns left out: %s", "; ".join(f"{name} ({why})" for name, why in shown.items()))
    return model


def columns_at(plan: RunPlan, positions: np.ndarray) -> pd.DataFrame:
    """The columns (:func:`end_features`: the id and excluded columns left out) of the rows at sorted ``positions``, read again chunk by chunk; a frame
    indexed ``0 .. len(positions) - 1``."""
    config = plan.config
    parts: list[pd.DataFrame] = []
    start = filled = 0
    for chunk in read_chunks(config, None):
        stop = start + len(chunk)
        lo, hi = np.searchsorted(positions, [start, stop])
        if hi > lo:
            parts.append(chunk.iloc[positions[lo:hi] - start])
            filled += hi - lo
        start = stop
    if filled != len(positions):  # the input changed under the run
        raise DataError(f"the input has {start} rows now but the run voted on more (row {positions[-1]}); it changed "
                        "during the run: run again")
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return end_features(config, frame)


def columns_at_each(plan: RunPlan, *positions: np.ndarray) -> list[pd.DataFrame]:
    """:func:`columns_at` of each array of sorted row ``positions`` (no row in two arrays), in one read of the input."""
    both = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    order = np.argsort(both, kind="stable")
    frame = columns_at(plan, both[order])
    inverse = np.empty(len(both), dtype=np.int64)
    inverse[order] = np.arange(len(both))
    at = np.split(inverse, np.cumsum([len(p) for p in positions])[:-1])
    return [frame.iloc[rows].reset_index(drop=True) for rows in at]


def column_blocks(plan: RunPlan, sizes: list[int]) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The input's columns (:func:`end_features`) in consecutive blocks of ``sizes`` rows, each with "every row
    has its features" (the end model labels every row of a tabular input), whatever the chunks it is read in."""
    config = plan.config
    blocks = reblocked(read_chunks(config, None), sizes, length=len,
                       concat=lambda parts: pd.concat(parts, ignore_index=True),
                       split=lambda frame, at: (frame.iloc[:at], frame.iloc[at:].reset_index(drop=True)))
    for block in blocks:
        yield end_features(config, block), np.ones(len(block), dtype=bool)


def reblocked(chunks: Iterator[T], sizes: list[int], *, length: Callable[[T], int],
              concat: Callable[[list[T]], T], split: Callable[[T, int], tuple[T, T]]) -> Iterator[T]:
    """The rows of ``chunks`` (arrays or frames, read in any sizes) in consecutive blocks of ``sizes`` rows:
    ``length`` counts a chunk's rows, ``concat`` joins chunks, ``split(x, n)`` gives its first ``n`` rows and the rest.

    Examples
    --------
    >>> parts = iter([np.arange(3), np.arange(3, 5)])
    >>> [b.tolist() for b in reblocked(parts, [1, 4], length=len, concat=np.concatenate, split=lambda x, n: (x[:n], x[n:]))]
    [[0], [1, 2, 3, 4]]
    """
    held: list[T] = []
    n_held = 0
    for size in sizes:
        while n_held < size:
            chunk = next(chunks, None)
            if chunk is None:
                raise DataError(f"the input has fewer rows now than the run voted on ({sum(sizes)}); it changed "
                                "during the run: run again")
            held.append(chunk)
            n_held += length(chunk)
        block, rest = split(held[0] if len(held) == 1 else concat(held), size)
        yield block
        held, n_held = ([rest] if length(rest) else []), length(rest)
