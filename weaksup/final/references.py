"""The references the final labels are measured against on the gold test rows, one rule for every kind of run:
majority vote, the label model, ``supervised_on_dev`` (a classifier trained on the dev gold rows alone) and the final
labels as written, scored by :func:`weaksup.references.compare_references` (:func:`gold_test_references`).

The plain run (:func:`weaksup.pipeline.end_stage.class_references`) and an engine run
(:func:`weaksup.engines.references.class_references`) differ only in how they find the rows, their votes and their
texts; what is measured on them, and how, is here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import EndModelError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.references import References, compare_references

if TYPE_CHECKING:
    from weaksup.config import RunConfig

logger = logging.getLogger(__name__)

__all__ = ["END_MODEL_OFF", "TextReader", "end_model_off_note", "gold_test_references"]

#: The note of references measured with the end model off.
END_MODEL_OFF = "the end model is off (end_model.enabled = false): the final labels are the label model's"

def end_model_off_note(info: Mapping[str, Any]) -> str:
    """The references' note of a run whose end model did not label the rows, from the end-model stage's ``info``
    (``run.json``'s ``end_model``): :data:`END_MODEL_OFF` when ``end_model.enabled`` is false, else the stage's
    reason for skipping it (``info["skipped"]``).

    Examples
    --------
    >>> end_model_off_note({"enabled": False, "skipped": "end_model.enabled = false: ..."}) == END_MODEL_OFF
    True
    >>> end_model_off_note({"enabled": True, "skipped": "the input has no text column (input.text_column), and no "
    ...                     "column to learn from among ['description']"})
    "the end model did not run (the input has no text column (input.text_column), and no column to learn from among ['description']): the final labels are the label model's"
    """
    skipped = info.get("skipped")
    if not info.get("enabled", False) or not skipped:
        return END_MODEL_OFF
    return f"the end model did not run ({skipped}): the final labels are the label model's"


#: ``read_texts(with_dev)``: the gold test rows' cleaned texts (the end model's) in the order of their votes and,
#: when ``with_dev``, the dev gold rows' texts with their class ids, in input order (else None).
TextReader = Callable[[bool], tuple[Any, tuple[Any, np.ndarray] | None]]


def gold_test_references(config: RunConfig, y: np.ndarray, L: np.ndarray, positions: np.ndarray, *, model: Any,
                         labeler: Any, final_labels: np.ndarray, final_proba: np.ndarray, label_space: LabelSpace,
                         n_dev: int, read_texts: TextReader, votes: np.ndarray, vote_counts: np.ndarray | None = None,
                         off_note: str | None = None) -> tuple[References, str]:
    """Majority vote, the label model, supervised-on-dev and the final labels on the gold test rows, and a note of
    what they lack (``""`` when nothing).

    Majority vote and the label model break ties by ``label_model.tie_break``; the label model abstains on the rows
    without a vote when ``label_model.no_votes = "abstain"``. ``supervised_on_dev`` is the end model's
    (``labeler.baseline_``) or, with the end model off, the same gold-only classifier trained here on the dev gold
    rows' texts; it is left out, the note saying why, when those texts cannot train one. Without a text column the
    note names first a column that alone predicts the dev gold labels (:func:`weaksup.final.leaks.find_leaks`).

    Parameters
    ----------
    config : RunConfig
    y : int array (n,)
        The gold test rows' class ids, in input order.
    L : int array (n, m)
        Their votes.
    positions : int array (n,)
        Their positions in the input (a temporal label model's posteriors are read by position).
    model : BaseLabelModel
        The run's fitted label model.
    labeler : FinalLabeler or None
        The fitted end model (None when it is off).
    final_labels, final_proba : arrays (n,), (n, k)
        The final labels as written (``-1``: abstain) and their probabilities.
    label_space : LabelSpace
    n_dev : int
        The dev gold rows (the N of the verdict).
    read_texts : callable
        See :data:`TextReader`: called once, with ``with_dev`` true only when the dev texts are needed.
    votes : int array (rows, m)
        Every row's votes (or vote patterns, with ``vote_counts``), for the no-LF-votes warning.
    vote_counts : int array, optional
        The rows each row of ``votes`` stands for.
    off_note : str, optional
        The note when ``labeler`` is None: why the end model did not label the rows (:func:`end_model_off_note` of
        the end-model stage's info); :data:`END_MODEL_OFF` by default.

    Returns
    -------
    (References, str)

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> from weaksup.models import MajorityVote
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "text_column": "text"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"}})
    >>> L = np.array([[1, 1], [0, -1], [-1, -1], [0, 0]])
    >>> texts = np.array(["free money", "nice song", "great song", "love it"], dtype=object)
    >>> dev = (np.array(["cheap pills", "free cash", "win money", "nice tune", "lovely song", "great video"] * 2,
    ...                 dtype=object), np.array([1, 1, 1, 0, 0, 0] * 2))
    >>> refs, note = gold_test_references(
    ...     config, np.array([1, 0, 0, 0]), L, np.arange(4), model=MajorityVote(2).fit(L), labeler=None,
    ...     final_labels=np.array([1, 0, -1, 0]), final_proba=np.full((4, 2), 0.5), label_space=LabelSpace(["ham", "spam"]),
    ...     n_dev=12, read_texts=lambda with_dev: (texts, dev if with_dev else None), votes=L)
    >>> list(refs.scores), refs["label_model"].labelled, note == END_MODEL_OFF
    (['majority_vote', 'label_model', 'supervised_on_dev', 'final'], 0.75, True)
    """
    from weaksup.baseline import has_words, supervised_on_dev
    from weaksup.final.columns import tabular_end_model
    from weaksup.final.leaks import find_leaks
    from weaksup.evaluate import predictions_at
    from weaksup.models import MajorityVote
    from weaksup.votes import has_vote

    settings = config.label_model
    covered = has_vote(L)
    k = len(label_space)
    majority = MajorityVote(cardinality=k).fit(L).predict(L, tie_break=settings.tie_break)
    label_model = predictions_at(model, L, positions, settings.tie_break)[1].astype(np.int64)
    if settings.no_votes == "abstain":
        label_model = np.where(covered, label_model, ABSTAIN)
    baseline = None if labeler is None else labeler.baseline_
    notes = [] if labeler is not None else [END_MODEL_OFF if off_note is None else off_note]
    texts, dev = read_texts(baseline is None or not config.input.text_column)  # (rows' columns: the leak check)
    tabular = getattr(labeler, "end_model", None)
    if baseline is None and dev is not None:  # the same gold-only classifier the end model would build, for the verdict
        dev_texts, y_dev = dev
        frame = isinstance(dev_texts, pd.DataFrame)  # rows without text: their columns, the tabular end model's
        try:
            tabular = tabular_end_model(settings.seed, columns=dev_texts) if frame else None
            baseline = supervised_on_dev(dev_texts, y_dev, model=tabular, n_folds=config.end_model.folds,
                                         seed=settings.seed, cardinality=k)
            if tabular is not None:  # (with the end model on, run.json's end_model.columns say it)
                kinds = tabular.steps[0][1].kinds
                notes.append("supervised_on_dev reads the columns "
                             f"{[*kinds['numbers'], *kinds['dates'], *kinds['categories']]}")
        except EndModelError as exc:  # missing text is not an error: the reference is left out, saying why
            why = (f"none of the {n_dev} dev gold rows' texts (input.text_column = {config.input.text_column!r}) "
                   "has a word (two or more letters or digits)" if not frame and not has_words(dev_texts)
                   else str(exc))
            notes.append(f"supervised_on_dev is left out: {why}, so there is no classifier trained on the gold rows "
                         "to compare with")
            logger.warning("references: %s", notes[-1])
    if dev is not None and isinstance(dev[0], pd.DataFrame):  # a column holding the label: said before the figures
        steps = getattr(tabular, "steps", None)  # the columns the end model reads (its ColumnFeatures' kinds)
        kinds = steps[0][1].kinds if steps else None
        leaks = [leak.message() for leak in find_leaks(dev[0], dev[1], kinds=kinds, seed=settings.seed)]
        for leak in leaks:
            logger.warning("end model: %s", leak)
        notes = leaks + notes
    predictions = {"majority_vote": majority, "label_model": label_model}
    if baseline is not None:
        predictions["supervised_on_dev"] = np.asarray(baseline.predict(texts), dtype=np.int64)
    predictions["final"] = final_labels
    references = compare_references(y, predictions, covered=covered, final_proba=final_proba, label_space=label_space,
                                    n_gold=n_dev, split="test", votes=votes, vote_counts=vote_counts)
    return references, "; ".join(notes)
