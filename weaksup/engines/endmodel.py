"""The end model on an engine: fitted on the driver exactly as the streaming run fits it (the same seeded sample of
``end_model.train_rows`` row positions plus every dev gold row, the same cleaned texts; :mod:`weaksup.final_labels`),
pickled with the prediction table, and predicted on the workers part by part with the rows' global positions
(cross-fitted rows keep their out-of-fold predictions), so the final labels equal the streaming run's.

The training texts are read on the driver, part by part (bounded memory; one pass over the id and text columns);
rows without text are left out of the training, as in the streaming run.
"""

from __future__ import annotations

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
from weaksup.pipeline.end_stage import final_block, texts_present

if TYPE_CHECKING:
    from weaksup.final_labels import FinalLabeler


def part_starts(parts: Sequence[InputPart]) -> dict[int, int]:
    """The global row position of each part's first row, by part index."""
    starts = np.cumsum([0, *(p.rows for p in parts)])
    return {p.index: int(s) for p, s in zip(parts, starts)}


def fit_end_model(config: RunConfig, spec: BatchSpec, parts: Sequence[InputPart], votes_at: Path,
                  template: Any, dev: dict[str, int]) -> tuple[FinalLabeler | None, dict[str, Any]]:
    """The fitted final labeler (None when ``[end_model]`` is off or there is no text) and what ``run.json`` says."""
    from weaksup.final_labels import FinalLabeler

    settings = config.end_model
    info: dict[str, Any] = {"enabled": settings.enabled, "folds": settings.folds, "calibrate": settings.calibrate,
                            "train_rows_limit": settings.train_rows}
    if not settings.enabled or not config.input.text_column:
        return None, info
    n = sum(p.rows for p in parts)
    limit = settings.train_rows
    sample = np.sort(np.random.default_rng(config.label_model.seed).choice(n, limit, replace=False)) \
        if 0 < limit < n else np.arange(n, dtype=np.int64)
    cache = VoteCache.of(spec, votes_at)
    positions, texts, votes, targets = [], [], [], []
    for part, start in zip(parts, part_starts(parts).values()):
        frame = read_part(part, [spec.id_column, config.input.text_column], strings=spec.strings)
        lo, hi = np.searchsorted(sample, [start, start + part.rows])
        take = np.zeros(part.rows, dtype=bool)
        take[sample[lo:hi] - start] = True
        take |= frame[spec.id_column].isin(set(dev)).to_numpy()
        rows = np.flatnonzero(take)
        if not len(rows):
            continue
        chosen_texts, present = texts_present(config, frame.iloc[rows])
        rows, chosen_texts = rows[present], chosen_texts[present]  # a row without text is no training row
        if not len(rows):
            continue
        chosen = frame.iloc[rows]
        positions.append(rows + start)
        texts.append(chosen_texts)
        columns = [cache.get(part, lf_id) for lf_id in spec.lf_ids]
        votes.append(np.column_stack([c[rows] for c in columns if c is not None]).astype(np.int8))
        targets.append(np.array([dev.get(str(i), ABSTAIN) for i in chosen[spec.id_column]], dtype=np.int64))
    at, y = np.concatenate(positions), np.concatenate(targets)
    labeler = FinalLabeler(template, n_folds=settings.folds, seed=config.label_model.seed, calibrate=settings.calibrate)
    try:
        labeler.fit(np.concatenate(texts), np.concatenate(votes), at, y)
    except ParameterError as exc:
        raise ConfigError(f"{config.source}: [end_model] (folds = {settings.folds}, train_rows = "
                          f"{settings.train_rows}): {exc}; change end_model.folds, or set end_model.enabled = false"
                          ) from None
    info.update({"sampled_rows": len(at), "dev_rows": int((y >= 0).sum())})
    return labeler, info


def final_proba(config: RunConfig, labeler: Any, model: Any, frame: pd.DataFrame, L: np.ndarray,
                start: int) -> tuple[np.ndarray, np.ndarray]:
    """A part's final probabilities and ``label_source`` (the streaming run's ``final_block`` on the part; rows
    without text keep the label model's outcome)."""
    texts, present = texts_present(config, frame)
    return final_block(config, labeler, model, texts, L, start, present)
