"""Sufficient statistics of the votes: (vote pattern, count) per part, merged exactly, and the label model fitted
on them with ``sample_weight`` (the fit :func:`weaksup.models.fitting.fit_label_model` does on distinct rows).

Examples
--------
>>> votes = pd.DataFrame({"row_id": ["a", "b", "c"], "x@1": [0, 0, -1], "y@1": [1, 1, -1]}).astype(
...     {"x@1": "int8", "y@1": "int8"})
>>> counts = merge_pattern_counts([pattern_counts(votes, ["x@1", "y@1"])] * 2)
>>> counts.to_dict("list")
{'x@1': [-1, 0], 'y@1': [-1, 1], 'count': [2, 4]}
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.models.sampling import stratified_sample
from weaksup.vote_patterns import distinct_rows

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.engines.batch import BatchSpec
    from weaksup.models.base import BaseLabelModel

logger = logging.getLogger(__name__)

#: Models that take no ``sample_weight`` are fitted on the rows expanded from the counts up to this many rows
#: (beyond: a seeded stratified sample of this many rows, said in the summary).
EXPAND_ROWS = 5_000_000


def pattern_counts(votes: pd.DataFrame, lf_ids: Sequence[str]) -> pd.DataFrame:
    """The distinct vote rows of the ``lf_ids`` columns and how often each occurs (``count`` int64)."""
    values = votes[list(lf_ids)].to_numpy(dtype=np.int8) if len(lf_ids) else np.zeros((len(votes), 0), np.int8)
    return _frame(*_distinct_counts(values, np.ones(len(values), dtype=np.int64)), lf_ids)


def merge_pattern_counts(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The exact sum of pattern counts, in a fixed order (:func:`weaksup.vote_patterns.distinct_rows`: sorted by pattern)."""
    frames = [f for f in frames]
    if not frames:
        raise ParameterError("merge_pattern_counts needs at least one frame of pattern counts; got none")
    lf_ids = [c for c in frames[0].columns if c != "count"]
    both = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    values = both[lf_ids].to_numpy(dtype=np.int8)
    return _frame(*_distinct_counts(values, both["count"].to_numpy(dtype=np.int64)), lf_ids)


def _distinct_counts(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(values) == 0:
        return values, counts
    rows, inverse = distinct_rows(values)
    total = np.zeros(len(rows), dtype=np.int64)
    np.add.at(total, inverse, counts)
    return rows, total


def _frame(rows: np.ndarray, counts: np.ndarray, lf_ids: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({lf: np.ascontiguousarray(rows[:, j]) for j, lf in enumerate(lf_ids)})
    frame["count"] = counts.astype(np.int64)
    return frame


def gold_patterns(votes: pd.DataFrame, gold_ids: Iterable[str]) -> pd.DataFrame:
    """The gold rows' id and votes (a few hundred rows: they go to the driver as they are)."""
    id_column = votes.columns[0]
    return votes[votes[id_column].isin(set(gold_ids))].reset_index(drop=True)


class DevGold(NamedTuple):
    """The dev gold rows' votes ``(n_dev, m)`` and class ids, in the gold set's order."""

    votes: np.ndarray
    targets: np.ndarray


@dataclass
class FitResult:
    """The fitted label model and how: ``note`` is said in the summary when it was fitted on a sample."""

    model: BaseLabelModel
    patterns: int
    rows: int
    note: str = ""


def new_label_model(spec: BatchSpec, config: RunConfig, has_dev_gold: bool) -> BaseLabelModel:
    """An unfitted label model as ``[label_model]`` configures it (name, seed, params)."""
    from weaksup.tasks import task_type

    task = task_type(config.task.type)
    settings = config.label_model
    model_cls = task.resolve_model(settings.name, has_dev_gold=has_dev_gold)
    model: BaseLabelModel = task.new_model(model_cls, spec.label_space(), settings.seed, settings.params)
    return model


def fit_on_counts(spec: BatchSpec, config: RunConfig, counts: pd.DataFrame, dev: DevGold | None) -> FitResult:
    """The configured label model fitted on the merged pattern counts.

    A model taking ``sample_weight`` is fitted on the distinct patterns with their counts (the fit the streaming
    run does); any other on the rows expanded from the counts. Above ``[engine] max_patterns`` patterns (or
    :data:`EXPAND_ROWS` expanded rows) it is fitted on a seeded stratified sample of rows, and ``note`` says so.
    """
    from weaksup.engines.config import EngineConfig
    from weaksup.models.fitting import fit_label_model

    settings = config.label_model
    model = new_label_model(spec, config, dev is not None)
    lf_ids = [c for c in counts.columns if c != "count"]
    patterns = counts[lf_ids].to_numpy(dtype=np.int8)
    weights = counts["count"].to_numpy(dtype=np.int64)
    order = np.lexsort(patterns.T[::-1])  # first LF first: the order of the streaming fit's distinct rows
    patterns, weights = patterns[order], weights[order]
    rows = int(weights.sum())
    engine = getattr(config, "engine", None) or EngineConfig()
    note = ""
    limit = engine.max_patterns
    if 0 < settings.sample_rows < rows:
        patterns, weights = stratified_sample(patterns, weights, settings.sample_rows, settings.seed)
        note = f"label model fitted on a seeded stratified sample of {settings.sample_rows:,} rows (sample_rows)"
    if len(patterns) > limit:
        patterns, weights = stratified_sample(patterns, weights, limit, settings.seed)
        note = (f"{len(counts):,} vote patterns exceed [engine] max_patterns = {limit:,}: the label model was fitted "
                f"on a seeded stratified sample of {limit:,} rows ({len(patterns):,} patterns)")
    kwargs: dict[str, Any] = {}
    if dev is not None:
        kwargs = {"L_dev": dev.votes, "y_dev": dev.targets}
    if type(model).supports_sample_weight:
        fit_kwargs: dict[str, Any] = {"sample_weight": weights}
        if type(model).uses_dev_gold and dev is not None:
            fit_kwargs.update(kwargs)
        model = model.fit(patterns, **fit_kwargs)
    else:
        if weights.sum() > EXPAND_ROWS:
            patterns, weights = stratified_sample(patterns, weights, EXPAND_ROWS, settings.seed)
            note = (f"{type(model).__name__} takes no sample_weight: fitted on a seeded stratified sample of "
                    f"{EXPAND_ROWS:,} of the {rows:,} rows")
        model = fit_label_model(model, np.repeat(patterns, weights, axis=0), lf_names=spec.lf_names, **kwargs)
    if note:
        logger.warning(note)
    from weaksup.models.lf_names import record_lf_names
    from weaksup.votes import VoteMatrix

    # fitted on pattern arrays: the model records the run's LFs (label_model.json) as the streaming run's does
    record_lf_names(model, VoteMatrix(np.empty((0, len(spec.lf_names)), dtype=np.int8), lf_names=list(spec.lf_names)))
    return FitResult(model, len(counts), rows, note)
