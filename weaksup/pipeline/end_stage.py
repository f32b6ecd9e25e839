"""The end-model stage of a run: the final labels, and the references they are measured against.

After the label model is fitted, :func:`end_stage` fits a :class:`weaksup.final_labels.FinalLabeler`
(``[end_model]``) on a seeded sample of at most ``end_model.train_rows`` rows plus every dev gold row,
reading their cleaned texts again chunk by chunk (without a text column, their columns:
:mod:`weaksup.pipeline.end_columns`). :func:`final_chunks` then yields the calibrated final
probabilities and each row's ``label_source``, chunk by chunk in input order (the texts read again), for
:func:`weaksup.pipeline.stages.write_stage`. The end model is refitted on every run (it is not cached);
``run.json`` records what was used (:attr:`EndModel.info`).

:func:`reference_stage` measures, on the gold test rows, majority vote, the label model, the classifier
trained on the dev gold alone (``supervised_on_dev``) and the final labels as written
(:func:`weaksup.references.compare_references`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import ConfigError, DataError, EndModelError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.pipeline.inputs import clean_frame, read_chunks
from weaksup.pipeline.plan import RunPlan
from weaksup.pipeline.stages import label_model_template
from weaksup.pipeline.voting import AppliedVotes

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.final_labels import FinalLabeler
    from weaksup.models.base import BaseLabelModel
    from weaksup.references import GoldReferences

logger = logging.getLogger(__name__)

#: ``run.json``'s ``end_model.model`` of a run without text (:func:`weaksup.final.columns.tabular_end_model`).
TABULAR_MODEL = ("the rows' columns (numbers, dates, categories; weaksup.final.columns) + gradient-boosted trees "
                 "(scikit-learn HistGradientBoostingClassifier)")
#: ``run.json``'s ``end_model.model`` of a run with text (:func:`weaksup.end_model.default_end_model`).
TEXT_MODEL = "TF-IDF (words 1-2, chars 2-5) + logistic regression (weaksup.end_model)"


@dataclass
class EndModel:
    """What the end-model stage did: the fitted labeler (None when the stage did not run) and, for
    ``run.json`` and the summary, ``info`` (enabled, why skipped, rows trained on, folds, calibration)."""

    labeler: FinalLabeler | None
    info: dict[str, Any] = field(default_factory=dict)


def end_stage(plan: RunPlan, applied: AppliedVotes) -> EndModel:
    """Fit the final labeler on a seeded sample of rows plus every dev gold row (``[end_model]``), the rows without
    text (:func:`texts_present`) left out: a text end model learns from texts only, and never labels a row without one.

    Without a text column the end model reads the rows' columns (:mod:`weaksup.pipeline.end_columns`). Skipped (an
    :class:`EndModel` without labeler, the reason logged) when ``end_model.enabled`` is false, or the input has no
    text column and no column the end model can read.
    """
    from weaksup.baseline import has_words
    from weaksup.end_model import take_rows
    from weaksup.final_labels import FinalLabeler
    from weaksup.pipeline.end_columns import columns_at, tabular_model

    config = plan.config
    settings = config.end_model
    info: dict[str, Any] = {"enabled": settings.enabled, "folds": settings.folds, "calibrate": settings.calibrate,
                            "self_train": settings.self_train, "neighbours": settings.neighbours,
                            "train_rows_limit": settings.train_rows, "refitted": "on every run (not cached)"}
    unsupported = plan.task.end_model_skip()
    if unsupported:  # the task's own words, end model on or off (a spans run does not route empty rows)
        info["skipped"] = unsupported
        logger.info("end model skipped: %s", unsupported)
        return EndModel(None, info)
    if not settings.enabled:
        info["skipped"] = "end_model.enabled = false: rows without votes are " + (
            "labeled by the label model from its prior" if config.label_model.no_votes == "predict"
            else "abstained and sent to review")
        return EndModel(None, info)
    started = time.perf_counter()
    positions, y = training_rows(plan, applied)
    tabular = not config.input.text_column  # the rows' own columns (weaksup.pipeline.end_columns)
    if tabular:  # (end_model.neighbours was refused for it when the config was read: texts_needed)
        texts = columns_at(plan, positions)
        end_model = tabular_model(config, texts, info)
        if end_model is None:
            return EndModel(None, info)
    else:
        texts, present = texts_present_at(plan, positions)
        end_model = None
        if not present.all():  # a row without text is no training row (an empty text would teach it a class)
            info["rows_without_text"] = int((~present).sum())
            logger.info("end model: %d sampled rows without text left out of its training", info["rows_without_text"])
            positions, y, texts = positions[present], y[present], texts[present]
        if not has_words(texts):  # (the vectorizer's "empty vocabulary" is about the text column, not the classes)
            raise ConfigError(_no_words(config, len(texts), "rows'"))
    labeler = FinalLabeler(label_model_template(plan), end_model=end_model, n_folds=settings.folds,
                           seed=config.label_model.seed, calibrate=settings.calibrate, self_train=settings.self_train,
                           neighbours=settings.neighbours)
    logger.info("fitting the end model on %d rows (%d dev gold)", len(positions), int((y >= 0).sum()))
    try:
        labeler.fit(texts, applied.values[positions], positions, y)
    except ParameterError as exc:  # e.g. fewer dev gold rows than folds: the config's keys are the fix
        raise ConfigError(f"{config.source}: [end_model] (folds = {settings.folds}, train_rows = "
                          f"{settings.train_rows}): {exc}; change end_model.folds, or set end_model.enabled = false"
                          ) from None
    except EndModelError as exc:  # e.g. a tiny input, or weak labels of one class only
        dev_texts = take_rows(texts, np.flatnonzero(y >= 0))
        if not tabular and len(dev_texts) and not has_words(dev_texts):  # the gold-only reference and the calibration learn on them
            raise ConfigError(_no_words(config, len(dev_texts), "dev gold rows'")) from None
        classes = ", ".join(f"{i} = {name!r}" for i, name in enumerate(plan.label_space))
        raise ConfigError(f"{config.source}: [end_model]: the end model cannot be trained on this input "
                          f"({len(positions)} rows, {int((y >= 0).sum())} with dev gold; classes {classes}): {exc}; "
                          "label more rows or write LFs for the missing classes, or set end_model.enabled = false "
                          "(--set end_model.enabled=false)") from None
    temperature = getattr(labeler, "temperature_", None) if (y >= 0).any() else None  # (nothing to calibrate on)
    info.update({"sampled_rows": len(positions), "dev_rows": int((y >= 0).sum()),
                 "train_rows": int(getattr(labeler, "n_train_rows_", len(positions))),
                 "temperature": None if temperature is None or not settings.calibrate else float(temperature),
                 "label_model_weight": float(getattr(labeler, "lm_weight_", float("nan"))),
                 "model": TABULAR_MODEL if tabular else TEXT_MODEL,
                 "fit_seconds": time.perf_counter() - started})
    return EndModel(labeler, info)


def _no_words(config: RunConfig, n: int, rows: str) -> str:
    """The message of an end model whose texts (``n`` of the ``rows``) hold no word to learn from."""
    return (f"{config.source}: [end_model]: none of the {n} {rows} texts in input.text_column = "
            f"{config.input.text_column!r} has a word (two or more letters or digits), so the end model has nothing "
            "to learn from; check that input.text_column names the column holding the text and that the texts are "
            "filled in, or set end_model.enabled = false (--set end_model.enabled=false)")


def dev_rows(plan: RunPlan, applied: AppliedVotes, split: str = "dev") -> tuple[np.ndarray, np.ndarray]:
    """The row positions of a gold split (sorted) and their targets (class ids; multilabel: ``(n, k)`` bool)."""
    if plan.gold is None or split not in plan.gold.counts():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ids, classes = plan.task.gold_targets(plan.gold, split, plan.label_space)
    positions = np.array([applied.gold_positions[r] for r in ids], dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    return positions[order], classes[order]


def training_rows(plan: RunPlan, applied: AppliedVotes) -> tuple[np.ndarray, np.ndarray]:
    """The positions the end model learns from (a seeded sample of ``end_model.train_rows`` rows, every dev gold
    row added) in input order, and their gold class (``-1`` for rows without a dev gold label)."""
    config = plan.config
    n = len(applied.values)
    dev, classes = dev_rows(plan, applied)
    limit = config.end_model.train_rows
    if 0 < limit < n:
        sample = np.random.default_rng(config.label_model.seed).choice(n, limit, replace=False)
        positions = np.union1d(sample, dev)
    else:
        positions = np.arange(n, dtype=np.int64)
    y = np.full(len(positions), ABSTAIN, dtype=np.int64)
    y[np.searchsorted(positions, dev)] = classes
    return positions.astype(np.int64), y


def clean_texts(config: RunConfig, chunk: pd.DataFrame) -> np.ndarray:
    """The cleaned texts of a chunk (rows without text as ``""``), in its order: what the end model reads."""
    return texts_present(config, chunk)[0]


def texts_present(config: RunConfig, chunk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The cleaned texts of a chunk (rows without text as ``""``) and which rows have a text, in its order.

    A row has no text when cleaning left it none (:func:`weaksup.pipeline.inputs.clean_frame`: None, NaN, or only
    whitespace): the rows the run counts as "rows without text", on which the LFs see None.

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "text_column": "text"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"}})
    >>> texts, present = texts_present(config, pd.DataFrame({"row_id": [1, 2, 3], "text": ["Hi  you", None, "  "]}))
    >>> texts.tolist(), present.tolist()
    (['Hi you', '', ''], [True, False, False])
    """
    from weaksup.final.texts import present_texts

    id_col, text = config.input.id_column, config.input.text_column
    clean, _ = clean_frame(config, chunk.assign(**{id_col: chunk[id_col].astype(str)}))
    return present_texts(clean[text])  # cleaning's None: what it counts as rows without text


def final_block(config: RunConfig, labeler: FinalLabeler, model: Any, texts: np.ndarray, L: np.ndarray,
                start: int, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One block of rows' final probabilities and ``label_source`` (rows ``start ..`` of the input): the end
    model's, or the label model's guess on rows no LF voted on when ``label_model.no_votes = "predict"``.

    The end model never labels a row without text (``present`` false, :func:`texts_present`): such a row keeps
    the label model's outcome, its label where some LF voted (``"label_model"``), else its guess with
    ``label_model.no_votes = "predict"``, else no label (uniform probabilities, ``label_source`` None): it is
    abstained on and routed to review, as with the end model off.
    """
    from weaksup.end_model import take_rows
    from weaksup.final.texts import final_outcome

    return final_outcome(L, present, int(labeler.cardinality_),
                         lambda rows: (labeler.predict_proba(take_rows(texts, rows), L[rows], rows + start),
                                       labeler.label_source(L[rows])),
                         lambda rows: model.predict_proba(L[rows]), guess_unvoted=config.label_model.no_votes == "predict")


def texts_at(plan: RunPlan, positions: np.ndarray) -> np.ndarray:
    """The cleaned texts of the rows at sorted ``positions``, read again chunk by chunk."""
    return texts_present_at(plan, positions)[0]


def texts_present_at(plan: RunPlan, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`texts_at`, and which of those rows have a text (:func:`texts_present`)."""
    config = plan.config
    out = np.empty(len(positions), dtype=object)
    present = np.zeros(len(positions), dtype=bool)
    start = filled = 0
    for chunk in read_chunks(config, [config.input.id_column, config.input.text_column]):
        stop = start + len(chunk)
        lo, hi = np.searchsorted(positions, [start, stop])
        if hi > lo:
            out[lo:hi], present[lo:hi] = texts_present(plan.config, chunk.iloc[positions[lo:hi] - start])
            filled += hi - lo
        start = stop
    if filled != len(positions):  # the input changed under the run
        raise DataError(f"the input has {start} rows now but the run voted on more (row {positions[-1]}); it changed "
                        f"during the run: run again")
    return out, present


def texts_at_each(plan: RunPlan, *positions: np.ndarray) -> list[np.ndarray]:
    """The cleaned texts of each array of row ``positions`` (any order, no row in two arrays), in one read of
    the input: the arrays are merged, read sorted by :func:`texts_at`, and split back in their own orders."""
    both = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    order = np.argsort(both, kind="stable")
    texts = np.empty(len(both), dtype=object)
    texts[order] = texts_at(plan, both[order])
    return np.split(texts, np.cumsum([len(p) for p in positions])[:-1])


def final_chunks(plan: RunPlan, applied: AppliedVotes, end: EndModel, model: BaseLabelModel, sizes: list[int]
                 ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The final probabilities ``(rows, k)`` and ``label_source`` (``"label_model"`` or ``"end_model"``; the write
    stage sets ``"human"`` and nulls) of consecutive blocks of ``sizes`` rows (the vote parts), in input order,
    the texts read again chunk by chunk.

    With ``label_model.no_votes = "predict"`` the rows no LF voted on keep the label model's guess
    (``"label_model"``), as before the end model existed.
    """
    from weaksup.pipeline.end_columns import column_blocks

    labeler = end.labeler
    assert labeler is not None
    config = plan.config
    texts = column_blocks(plan, sizes) if not config.input.text_column else _text_blocks(plan, sizes)
    start = 0
    for size in sizes:
        stop = start + size
        block, present = next(texts)
        yield final_block(config, labeler, model, block, applied.values[start:stop], start, present)
        start = stop


def _text_blocks(plan: RunPlan, sizes: list[int]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The cleaned texts of the input and which rows have one (:func:`texts_present`), in consecutive blocks of
    ``sizes`` rows, whatever the chunks it is read in."""
    from weaksup.pipeline.end_columns import reblocked

    config = plan.config
    chunks = (np.stack(texts_present(config, chunk)) for chunk in
              read_chunks(config, [config.input.id_column, config.input.text_column]))
    for block in reblocked(chunks, sizes, length=lambda b: int(b.shape[1]),
                           concat=lambda parts: np.concatenate(parts, axis=1),
                           split=lambda b, at: (b[:, :at], b[:, at:])):
        yield block[0], block[1].astype(bool)


# ---------------------------------------------------------------------- references on the gold test rows
@dataclass
class ReferenceOutcome:
    """The references on the gold test rows, or why there are none (``note``)."""

    references: GoldReferences | None
    note: str
    metrics: dict[str, float] = field(default_factory=dict)


def reference_stage(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel, end: EndModel,
                    final_labels: np.ndarray, final_proba: np.ndarray) -> ReferenceOutcome:
    """The references on the gold test rows, as the task type measures them (:meth:`TaskType.references`).

    ``final_labels`` / ``final_proba`` are the written labels and probabilities of the test rows in input
    order (see :func:`gold_test_positions`).
    """
    outcome: ReferenceOutcome = plan.task.references(plan, applied, model, end, final_labels, final_proba)
    return outcome


def class_references(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel, end: EndModel,
                     final_labels: np.ndarray, final_proba: np.ndarray) -> ReferenceOutcome:
    """Classification: majority vote, the label model, supervised-on-dev and the final labels on the gold
    test rows (``final_labels``: class ids, ``-1`` abstain)."""
    from weaksup.final.references import end_model_off_note, gold_test_references
    from weaksup.verdict import unvoted_classes

    config = plan.config
    unvoted = unvoted_classes(applied.values, [str(c) for c in plan.label_space])[1]  # said with no references too
    also = f"; {unvoted}" if unvoted else ""
    if plan.gold is None:
        return ReferenceOutcome(None, "references: no gold set (gold.path), so nothing is measured; import a gold "
                                      "set with dev and test splits to compare against training on the gold rows"
                                      + also)
    test, y = dev_rows(plan, applied, "test")
    dev, y_dev = dev_rows(plan, applied, "dev")
    if not len(test):
        return ReferenceOutcome(None, "references: the gold set has no test split, so weak supervision is not "
                                      "compared with anything; label some test rows" + also)
    if not len(dev):
        return ReferenceOutcome(None, "references: the gold set has no dev split, so there is no classifier "
                                      "trained on gold rows to compare with (and nothing to calibrate on)" + also)
    from weaksup.pipeline.end_columns import columns_at, columns_at_each

    tabular = not config.input.text_column  # the rows' columns (weaksup.pipeline.end_columns)

    def read_texts(with_dev: bool) -> tuple[Any, tuple[Any, np.ndarray] | None]:
        if not with_dev:
            return (columns_at(plan, test) if tabular else texts_at(plan, test)), None
        texts, dev_texts = (columns_at_each if tabular else texts_at_each)(plan, test, dev)  # one read of the input
        return texts, (dev_texts, y_dev)

    references, note = gold_test_references(
        config, y, applied.values[test], test, model=model, labeler=end.labeler, final_labels=final_labels,
        final_proba=final_proba, label_space=plan.label_space, n_dev=len(dev), read_texts=read_texts,
        votes=applied.values, off_note=end_model_off_note(end.info))  # all rows' votes: the classes no LF votes for
    return ReferenceOutcome(references, note, {k: float(v) for k, v in references.as_metrics().items()})


def gold_test_positions(plan: RunPlan, applied: AppliedVotes) -> np.ndarray:
    """The sorted row positions of the gold test rows (empty without a gold set or test split)."""
    return dev_rows(plan, applied, "test")[0]
