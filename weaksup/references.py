"""Do the weak labels earn their keep? The final labels beside majority vote, the label model and a classifier
trained on the gold rows alone (``supervised_on_dev``), with a verdict line and a calibration warning.

:func:`compare_references` scores any number of named predictions on the same gold rows:

- ``accuracy`` over every gold row, an abstain counted **wrong**;
- ``accuracy_voted`` on the rows at least one LF voted on and ``accuracy_no_votes`` on the rows none did (a
  label model that labels no-vote rows from the class prior shows up here, not hidden in a "coverage 1.000");
- ``labelled``: the share of gold rows the reference gave a class (1 minus its abstain rate).

The ``coverage`` of the rows (the share with at least one LF vote) is the same for every reference and is
reported once. The verdict compares ``final`` with ``supervised_on_dev``: "weak supervision adds +X points over
training on your N gold rows", or it says plainly that it does not and which classes need LFs (first those no LF
votes for), with the difference in rows, whether it is noise (:data:`weaksup.verdict.NOISE_ALPHA`) and a disagreeing macro recall.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1, 1])
>>> refs = compare_references(y, {"supervised_on_dev": np.array([0, 0, 1, 0, 1]),
...                               "final": np.array([0, 0, 1, 1, 1])},
...                           covered=np.array([True, True, True, False, False]), n_gold=50)
>>> refs.verdict
'weak supervision adds +20.0 points over training on your 50 gold rows (final 1.000 vs 0.800: 1 of 5 gold rows, within noise)'
>>> refs.as_metrics()["final/accuracy_no_votes"], refs.as_metrics()["reference/supervised_on_dev/accuracy"]
(1.0, 0.8)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.metrics import NO_VALUE, expected_calibration_error, macro_mean
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.verdict import calibration_warning, majority_class_note, supervised_verdict, unvoted_classes

logger = logging.getLogger(__name__)

__all__ = ["FINAL", "SUPERVISED", "GoldReferences", "ReferenceScore", "References", "compare_references",
           "summary_lines"]

#: The name of the final labels among the predictions.
FINAL = "final"
#: The name of the classifier trained on the gold rows alone.
SUPERVISED = "supervised_on_dev"
#: The per-reference columns of :meth:`References.table`, with their display names.
COLUMNS = {
    "accuracy": "accuracy (abstain = wrong)",
    "accuracy_voted": "accuracy, rows with >= 1 vote",
    "accuracy_no_votes": "accuracy, rows with no vote",
    "labelled": "labelled (share given a class)",
    "macro_recall": "macro recall",
}


@dataclass(frozen=True)
class ReferenceScore:
    """One reference's scores on the gold rows (see the module docstring for definitions).

    ``recall`` holds the recall of each class (an abstain is a miss), indexed by class name.
    """

    name: str
    accuracy: float
    accuracy_voted: float
    accuracy_no_votes: float
    labelled: float
    macro_recall: float
    recall: pd.Series = field(repr=False)

    def as_dict(self) -> dict[str, float]:
        """The scalar scores by key (the keys of :data:`COLUMNS`)."""
        return {key: float(getattr(self, key)) for key in COLUMNS}


class GoldReferences(Protocol):
    """What a run reads of a task type's references on the gold test rows (:class:`References` for
    classification, :class:`weaksup.multilabel.references.MultiLabelReferences` for multi-label runs): the
    summary's verdict and table, MLflow's metrics and ``references.txt``."""

    @property
    def split(self) -> str | None: ...
    @property
    def verdict(self) -> str | None: ...
    @property
    def missing(self) -> str | None: ...
    @property
    def scores(self) -> Mapping[str, Any]: ...
    def lines(self) -> list[str]: ...
    def text(self) -> str: ...
    def as_metrics(self) -> dict[str, float]: ...


@dataclass(frozen=True)
class References:
    """The references side by side on one set of gold rows, the verdict and the calibration of the final labels.

    Attributes
    ----------
    scores : dict of str to ReferenceScore
        One per prediction, in the order given.
    n_rows, n_voted : int
        Gold rows scored, and those with at least one LF vote.
    n_gold : int
        The gold rows the supervised reference was trained on (the N of the verdict).
    split : str or None
        Where the rows come from (``"dev"`` out of fold, ``"test"``), when told.
    ece : float or None
        Expected calibration error of the final probabilities over the rows the final labels label (abstains left
        out); None without them.
    ece_warning : str or None
        A plain-language warning when ``ece`` is above :data:`weaksup.verdict.ECE_WARNING`.
    verdict : str or None
        Does weak supervision beat training on the gold rows? None without both ``final`` and
        ``supervised_on_dev``; ``missing`` then says why.
    beats_supervised : bool or None
        The verdict as a flag.
    missing : str or None
        Why there is no verdict.
    unvoted_warning : str or None
        Names the classes no LF votes for on the rows labeled (given ``votes``); they lead the verdict's advice.
    """

    scores: dict[str, ReferenceScore]
    n_rows: int
    n_voted: int
    n_gold: int
    split: str | None = None
    ece: float | None = None
    ece_warning: str | None = None
    verdict: str | None = None
    beats_supervised: bool | None = None
    missing: str | None = None
    unvoted_warning: str | None = None

    @property
    def coverage(self) -> float:
        """The share of the gold rows with at least one LF vote ("covered" means some LF voted)."""
        return self.n_voted / self.n_rows if self.n_rows else float("nan")

    @property
    def unvoted_note(self) -> str | None:
        """:attr:`unvoted_warning` where the verdict does not already say it: a "does not beat" verdict's advice
        starts with the classes no LF votes for, so the summary, the report and its warnings name them once."""
        return None if self.beats_supervised is False else self.unvoted_warning

    def __getitem__(self, name: str) -> ReferenceScore:
        return self.scores[name]

    def __contains__(self, name: object) -> bool:
        return name in self.scores

    def as_metrics(self) -> dict[str, float]:
        """Flat metric names for MLflow.

        ``final/<score>`` for the final labels (with ``final/ece`` and ``final/gain_over_supervised``, in
        accuracy points as a fraction), ``reference/<name>/<score>`` for the others, and ``reference/coverage``,
        ``reference/n_rows``, ``reference/n_voted`` (the rows scored) and ``reference/n_dev_gold`` (the gold rows
        ``supervised_on_dev`` was trained on, :attr:`n_gold`; not the rows scored).

        Examples
        --------
        >>> refs = compare_references(np.array([0, 1]), {"final": np.array([0, 1])}, covered=np.array([True, False]),
        ...                           final_proba=np.array([[0.9, 0.1], [0.2, 0.8]]))
        >>> sorted(refs.as_metrics())[:3]
        ['final/accuracy', 'final/accuracy_no_votes', 'final/accuracy_voted']
        >>> round(refs.as_metrics()["final/ece"], 3)
        0.15
        """
        out: dict[str, float] = {}
        for name, score in self.scores.items():
            prefix = f"{FINAL}/" if name == FINAL else f"reference/{name}/"
            out.update({prefix + key: value for key, value in score.as_dict().items()})
        if self.ece is not None:
            out[f"{FINAL}/ece"] = float(self.ece)
        if FINAL in self.scores and SUPERVISED in self.scores:
            out[f"{FINAL}/gain_over_supervised"] = self.scores[FINAL].accuracy - self.scores[SUPERVISED].accuracy
        out.update({"reference/coverage": self.coverage, "reference/n_rows": float(self.n_rows),
                    "reference/n_voted": float(self.n_voted), "reference/n_dev_gold": float(self.n_gold)})
        return out

    def table(self) -> pd.DataFrame:
        """One row per reference, one column per score (display names of :data:`COLUMNS`).

        Examples
        --------
        >>> refs = compare_references(np.array([0, 1]), {"majority_vote": np.array([0, -1])},
        ...                           covered=np.array([True, False]))
        >>> refs.table().iloc[0].tolist()
        [0.5, 1.0, 0.0, 0.5, 0.5]
        """
        frame = pd.DataFrame({name: score.as_dict() for name, score in self.scores.items()}).T
        return frame.rename(columns=COLUMNS).rename_axis("reference")

    def lines(self) -> list[str]:
        """The verdict (or why it is missing), the coverage split, the ECE warning and :attr:`unvoted_note`."""
        lines = [self.verdict or f"no verdict: {self.missing}"]
        where = f"{self.split} gold rows" if self.split else "gold rows"
        name = f"{self.split}/coverage" if self.split else "coverage"  # (run.json's and MLflow's name of it)
        lines.append(f"{self.n_voted} of {self.n_rows} {where} have at least one LF vote "
                     f"({name} {self.coverage:.3f}); {self.n_rows - self.n_voted} have none")
        if self.ece is not None:
            lines.append(self.ece_warning or f"final labels' expected calibration error {self.ece:.3f}")
        return lines + ([self.unvoted_note] if self.unvoted_note else [])

    def text(self) -> str:
        """:meth:`lines` and :meth:`table` as plain text."""
        table = self.table().to_string(float_format=lambda v: f"{v:.3f}", na_rep=NO_VALUE)
        return "\n".join([*self.lines(), "", table])

    def __str__(self) -> str:
        return self.text()


def _score(name: str, y: np.ndarray, pred: np.ndarray, covered: np.ndarray, names: Sequence[str]) -> ReferenceScore:
    right = pred == y
    recall = pd.Series([float(right[y == c].mean()) if (y == c).any() else float("nan") for c in range(len(names))],
                       index=pd.Index(list(names), name="class"))
    return ReferenceScore(
        name=name,
        accuracy=float(right.mean()),
        accuracy_voted=float(right[covered].mean()) if covered.any() else float("nan"),
        accuracy_no_votes=float(right[~covered].mean()) if (~covered).any() else float("nan"),
        labelled=float((pred != ABSTAIN).mean()),
        macro_recall=macro_mean(recall.to_numpy(), np.bincount(y, minlength=len(names))),
        recall=recall,
    )


def compare_references(
    y_true: Sequence[int] | np.ndarray,
    predictions: Mapping[str, np.ndarray | Sequence[int]],
    *,
    covered: np.ndarray | Sequence[bool],
    final_proba: np.ndarray | None = None,
    label_space: LabelSpace | Sequence[str] | None = None,
    n_gold: int | None = None,
    split: str | None = None,
    votes: np.ndarray | None = None,
    vote_counts: np.ndarray | Sequence[int] | None = None,
) -> References:
    """Score named predictions on the same gold rows, split by LF votes, with a verdict and an ECE warning.

    Parameters
    ----------
    y_true : array of int, shape (n,)
        The gold class id of each row (every row must have one).
    predictions : mapping of str to array of int, shape (n,)
        Class ids per reference, ``ABSTAIN`` (-1) where it gives none (counted wrong). The verdict compares
        ``"final"`` with ``"supervised_on_dev"``; any other names (``"majority_vote"``, ``"label_model"``) are
        scored beside them.
    covered : array of bool, shape (n,)
        True where at least one LF voted on the row.
    final_proba : array of float, shape (n, k), optional
        The final labels' probabilities: their ECE over the rows ``final`` labels (its abstains left out), and a
        warning when it is above :data:`weaksup.verdict.ECE_WARNING`.
    label_space : LabelSpace or sequence of str, optional
        Class names (for the verdict and the recall); ``0..k-1`` otherwise.
    n_gold : int, optional
        The gold rows the supervised reference learned from (the N of the verdict); ``len(y_true)`` by default,
        right when the references are scored out of fold on those very rows.
    split : str, optional
        Where the rows come from (``"dev"``, ``"test"``), for the text.
    votes : int array (rows, LFs), optional
        The votes on all the rows labeled: the classes no LF votes for lead the advice and get a warning.
    vote_counts : int array, shape (rows of ``votes``,), optional
        The rows each row of ``votes`` stands for, when ``votes`` holds distinct vote patterns with their counts
        (an engine run's): the warning counts the votes and rows they stand for. One row each by default.

    Returns
    -------
    References

    Raises
    ------
    ParameterError
        When a prediction, ``covered`` or ``final_proba`` does not have one entry per gold row, a gold label
        is missing, or there is no prediction at all.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0])
    >>> refs = compare_references(y, {"supervised_on_dev": np.array([0, 1, 1, 0]), "final": np.array([0, 1, -1, 0])},
    ...                           covered=np.array([True, True, False, False]), label_space=["ham", "spam"])
    >>> refs.verdict
    'weak supervision does not beat training on your 4 gold rows (final 0.750 vs 1.000: 1 of 4 gold rows, within noise): write LFs for spam, or label more'
    >>> refs["final"].accuracy_voted, refs["final"].accuracy_no_votes, refs["final"].labelled
    (1.0, 0.5, 0.75)
    """
    y = np.asarray(y_true, dtype=np.int64).reshape(-1)
    n = len(y)
    if not predictions:
        raise ParameterError("compare_references needs at least one prediction, e.g. {'final': labels}")
    if (y < 0).any():
        raise ParameterError(f"y_true holds {int((y < 0).sum())} rows without a gold label (ABSTAIN): pass only "
                             "rows with gold")
    mask = np.asarray(covered, dtype=bool).reshape(-1)
    if len(mask) != n:
        raise ParameterError(f"covered has {len(mask)} entries but y_true has {n} rows: pass one flag per gold row "
                             "(True where at least one LF voted)")
    preds = {str(name): np.asarray(pred, dtype=np.int64).reshape(-1) for name, pred in predictions.items()}
    for name, p in preds.items():
        if len(p) != n:
            raise ParameterError(f"prediction {name!r} has {len(p)} labels but y_true has {n} rows: pass one class "
                                 f"id per gold row ({ABSTAIN} to abstain)")
    top = max([int(y.max(initial=0))] + [int(p.max(initial=0)) for p in preds.values()])
    k = (len(label_space) if label_space is not None else int(np.shape(final_proba)[1])
         if final_proba is not None and np.ndim(final_proba) == 2 else max(top + 1, 2))
    names = [str(c) for c in label_space] if label_space is not None else [str(c) for c in range(k)]
    if top >= k:
        raise ParameterError(f"class id {top} is outside the label space {names}")
    scores = {name: _score(name, y, p, mask, names) for name, p in preds.items()}
    ece = warning = None
    if final_proba is not None:
        proba = np.asarray(final_proba, dtype=float)
        if proba.shape != (n, k):
            raise ParameterError(f"final_proba must have shape ({n}, {k}), one row per gold row; got {proba.shape}")
        # over the rows the final labels label: an abstain (a tie, uniform probabilities) makes no claim to be
        # calibrated, and its argmax would read as a confident guess of the first class
        made = preds[FINAL] != ABSTAIN if FINAL in preds else np.ones(n, dtype=bool)
        given = preds[FINAL][made] if FINAL in preds else None  # the classes the final labels gave (ties broken)
        ece = expected_calibration_error(y[made], proba[made], y_pred=given) if made.any() else float("nan")
        warning = calibration_warning(y[made], proba[made], ece, y_pred=given)
    n_gold = n if n_gold is None else int(n_gold)
    if votes is None and vote_counts is not None:
        raise ParameterError("compare_references got vote_counts without votes: pass the vote patterns as votes= "
                             "beside their counts, or drop vote_counts")
    unvoted, unvoted_warning = unvoted_classes(votes, names, vote_counts) if votes is not None else ([], None)
    verdict = beats = missing = None
    if FINAL in scores and SUPERVISED in scores:
        verdict, beats = supervised_verdict(preds[FINAL] == y, preds[SUPERVISED] == y, scores[FINAL],
                                            scores[SUPERVISED], n_gold, f"{split or 'gold'} rows", unvoted)
        counts = {c: int((y == i).sum()) for i, c in enumerate(names)}
        trivial = majority_class_note(scores[SUPERVISED].accuracy, counts)
        chance = 1.0 / max(1, sum(1 for n in counts.values() if n))  # the macro recall of always one class
        if trivial and beats and scores[SUPERVISED].macro_recall <= chance + 0.02:  # (it learned nothing: any gain
            # over it looks large)
            verdict += (f"; the gold-only classifier is {trivial}: it learned nothing from what it reads (the "
                        "text, or the columns the end model reads), so this gain is not the LFs' measure")
    else:
        absent = [name for name in (FINAL, SUPERVISED) if name not in scores]
        missing = f"no {' and no '.join(absent)} prediction to compare"
    refs = References(scores=scores, n_rows=n, n_voted=int(mask.sum()), n_gold=n_gold, split=split, ece=ece,
                      ece_warning=warning, verdict=verdict, beats_supervised=beats, missing=missing,
                      unvoted_warning=unvoted_warning)
    logger.info("%s", refs.lines()[0])
    for line in filter(None, (warning and f"final labels: {warning}", unvoted_warning)):
        logger.warning("%s", line)
    return refs


def summary_lines(references: GoldReferences | None, note: str = "") -> list[str]:
    """The references on the gold test rows as a run's summary shows them (the plain run's and an engine run's):
    the verdict, the coverage split and the warnings, ``note`` (what they lack), and the table; ``note`` alone
    without references.

    Examples
    --------
    >>> refs = compare_references(np.array([0, 1, 2]), {"supervised_on_dev": np.array([0, 1, 0]),
    ...                           "final": np.array([0, 1, 2])}, covered=np.array([True, False, True]), split="test")
    >>> print("\\n".join(summary_lines(refs)[:2]))  # doctest: +ELLIPSIS
    on the gold test split: weak supervision adds +33.3 points over training on your 3 gold rows (...)
      2 of 3 test gold rows have at least one LF vote (test/coverage 0.667); 1 have none
    """
    if references is None:
        return [note] if note else []
    lines = [f"on the gold {references.split} split: "
             f"{references.verdict or 'no verdict: ' + str(references.missing)}"]
    lines += [f"  {line}" for line in references.lines()[1:]]
    if note:
        lines.append(f"  ({note})")
    frame = pd.DataFrame({name: score.as_dict() for name, score in references.scores.items()}).T
    frame = frame.rename(columns={"accuracy": "accuracy", "accuracy_voted": "acc. voted rows",
                                  "accuracy_no_votes": "acc. no-vote rows", "labelled": "labelled",
                                  "macro_recall": "macro recall"})
    table = frame.rename_axis("reference").to_string(float_format=lambda v: f"{v:.3f}", na_rep=NO_VALUE)
    return lines + [f"  {line}" for line in table.splitlines()]
