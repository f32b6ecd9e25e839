"""The end model on an engine: fitted on the driver exactly as the streaming run fits it (the same seeded sample of
``end_model.train_rows`` row positions plus every dev gold row, the same features; :mod:`weaksup.final_labels`),
pickled with the prediction table, and predicted on the workers part by part with the rows' global positions
(cross-fitted rows keep their out-of-fold predictions), so the final labels equal the streaming run's.

The training rows are read on the driver, part by part (bounded memory): the id and text columns, whose cleaned
texts the TF-IDF end model reads (rows without text are left out of the training, as in the streaming run), or,
when the input has no text column (tabular data), every column, of which the end model of
:func:`weaksup.final.columns.tabular_end_model` reads the numbers, dates and categories (the id column and
``[end_model] exclude_columns`` dropped by :func:`weaksup.pipeline.end_columns.end_features`; its columns chosen on
the training rows, as in the streaming run).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.config import RunConfig
from weaksup.engines.batch import BatchSpec, InputPart, read_part
from weaksup.engines.cache import VoteCache
from weaksup.errors import ConfigError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.pipeline.end_columns import end_features
from weaksup.pipeline.end_stage import TABULAR_MODEL, TEXT_MODEL, final_block, texts_present

if TYPE_CHECKING:
    from weaksup.final_labels import FinalLabeler

logger = logging.getLogger(__name__)


def part_starts(parts: Sequence[InputPart]) -> dict[int, int]:
    """The global row position of each part's first row, by part index."""
    starts = np.cumsum([0, *(p.rows for p in parts)])
    return {p.index: int(s) for p, s in zip(parts, starts)}


def read_end_part(spec: BatchSpec, part: InputPart) -> pd.DataFrame:
    """The columns of a part the end model reads, with the id column: the id and the text, or every column when the
    input has no text column (tabular data; the ids as text, as the streaming run reads them)."""
    text = spec.config.input.text_column
    return read_part(part, [spec.id_column, text] if text else None, strings=spec.strings)


def features_present(config: RunConfig, frame: pd.DataFrame) -> tuple[Any, np.ndarray]:
    """The end model's features of the rows of ``frame`` (:func:`read_end_part`) and which rows have them: their
    cleaned texts (:func:`weaksup.pipeline.end_stage.texts_present`), or without a text column their columns with
    the id and ``[end_model] exclude_columns`` dropped (:func:`weaksup.pipeline.end_columns.end_features`), which
    every row has.

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.parquet", "text_column": ""},
    ...     "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.parquet"}})
    >>> columns, present = features_present(config, pd.DataFrame({"row_id": ["a", "b"], "amount": [3.0, None]}))
    >>> list(columns.columns), present.tolist()
    (['amount'], [True, True])
    """
    if config.input.text_column:
        return texts_present(config, frame)
    return end_features(config, frame), np.ones(len(frame), dtype=bool)


def fit_end_model(config: RunConfig, spec: BatchSpec, parts: Sequence[InputPart], votes_at: Path,
                  template: Any, dev: dict[str, int]) -> tuple[FinalLabeler | None, dict[str, Any]]:
    """The fitted final labeler and what ``run.json`` says; None when ``[end_model]`` is off, or the input has no
    text column and no column the tabular end model can read (``skipped`` then says so, as the streaming run)."""
    from weaksup.end_model import take_rows
    from weaksup.pipeline.end_columns import tabular_model
    from weaksup.final_labels import FinalLabeler

    settings = config.end_model
    info: dict[str, Any] = {"enabled": settings.enabled, "folds": settings.folds, "calibrate": settings.calibrate,
                            "self_train": settings.self_train, "neighbours": settings.neighbours,
                            "train_rows_limit": settings.train_rows}
    if not settings.enabled:
        return None, info
    tabular = not config.input.text_column  # (end_model.neighbours was refused for it when the config was read)
    n = sum(p.rows for p in parts)
    limit = settings.train_rows
    sample = np.sort(np.random.default_rng(config.label_model.seed).choice(n, limit, replace=False)) \
        if 0 < limit < n else np.arange(n, dtype=np.int64)
    cache = VoteCache.of(spec, votes_at)
    positions, texts, votes, targets = [], [], [], []
    for part, start in zip(parts, part_starts(parts).values()):
        frame = read_end_part(spec, part)
        lo, hi = np.searchsorted(sample, [start, start + part.rows])
        take = np.zeros(part.rows, dtype=bool)
        take[sample[lo:hi] - start] = True
        take |= frame[spec.id_column].isin(set(dev)).to_numpy()
        rows = np.flatnonzero(take)
        if not len(rows):
            continue
        chosen_texts, present = features_present(config, frame.iloc[rows])
        rows, chosen_texts = rows[present], take_rows(chosen_texts, present)  # a row without text is no training row
        if not len(rows):
            continue
        chosen = frame.iloc[rows]
        positions.append(rows + start)
        texts.append(chosen_texts)
        columns = [cache.get(part, lf_id) for lf_id in spec.lf_ids]
        votes.append(np.column_stack([c[rows] for c in columns if c is not None]).astype(np.int8))
        targets.append(np.array([dev.get(str(i), ABSTAIN) for i in chosen[spec.id_column]], dtype=np.int64))
    at, y = np.concatenate(positions), np.concatenate(targets)
    features = pd.concat(texts, ignore_index=True) if tabular else np.concatenate(texts)
    end_model = None
    if tabular:  # the rows' columns, chosen on the training rows (the streaming run's end_stage)
        end_model = tabular_model(config, features, info)
        if end_model is None:
            return None, info
    labeler = FinalLabeler(template, end_model=end_model, n_folds=settings.folds, seed=config.label_model.seed,
                           calibrate=settings.calibrate, self_train=settings.self_train, neighbours=settings.neighbours)
    try:
        labeler.fit(features, np.concatenate(votes), at, y)
    except ParameterError as exc:
        raise ConfigError(f"{config.source}: [end_model] (folds = {settings.folds}, train_rows = "
                          f"{settings.train_rows}): {exc}; change end_model.folds, or set end_model.enabled = false"
                          ) from None
    info.update({"sampled_rows": len(at), "dev_rows": int((y >= 0).sum()),
                 "model": TABULAR_MODEL if tabular else TEXT_MODEL})
    return labeler, info


def final_proba(config: RunConfig, labeler: Any, model: Any, frame: pd.DataFrame, L: np.ndarray,
                start: int) -> tuple[np.ndarray, np.ndarray]:
    """A part's final probabilities and ``label_source`` (the streaming run's ``final_block`` on the part, ``frame``
    as :func:`read_end_part` reads it; rows without text keep the label model's outcome)."""
    texts, present = features_present(config, frame)
    return final_block(config, labeler, model, texts, L, start, present)
