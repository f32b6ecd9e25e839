"""Metrics of predicted labels and probabilities against gold class ids, abstains never hidden.

``accuracy`` is over **all** gold rows, an abstain counting as wrong. "Covered" means that **some LF voted**
on the row, never merely that the model output a class: ``coverage`` is the share of gold rows with at least
one LF vote, ``accuracy_voted`` the accuracy on those rows and ``accuracy_no_votes`` on the others (abstain =
wrong in both; ``n_voted`` and ``n_no_votes`` count them), so a model that labels no-vote rows from the class
prior cannot pass for one that covers them. ``labelled`` is the share of gold rows the model gave a class and
``accuracy_labelled`` its accuracy on those. Recall and F1 count an abstain as a miss of the row's true class.
Macro precision, recall and F1 average over the classes that **have gold rows** in the scored split
(:func:`macro_mean`, the one place the rule is written): a class without gold rows has no recall to average, and
counting it as 0 would pull every macro figure down by the share of such classes. A prediction of such a class
still costs the true class's recall, and a class with gold rows that is never predicted counts 0.
The Brier score judges the probabilities of every gold row. Expected calibration error (ECE) and the
``calibration`` table judge the rows the model **gave a class** (``labelled`` of them): an abstain (majority
vote's uniform row, a tie) claims no confidence, and its argmax would read as a guess of the first class. The
same rule gives the final labels' ECE in :mod:`weaksup.references`.
:mod:`weaksup.evaluate` puts these metrics of a label model beside majority vote's on a gold split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from weaksup.errors import LabelSpaceError, ParameterError
from weaksup.labels import ABSTAIN, LabelSpace, check_class_ids
from weaksup.validation import check_number

__all__ = ["COUNTS", "METRIC_NAMES", "NO_VALUE", "PART_COUNTS", "Metrics", "calibration_bins", "defined",
           "expected_calibration_error", "given_classes", "label_metrics", "macro_mean", "metric_text"]

#: The metrics of :class:`Metrics`, in table order, with their display names.
METRIC_NAMES = {
    "accuracy": "accuracy (all gold rows, abstain = wrong)",
    "accuracy_voted": "accuracy (rows with >= 1 LF vote)",
    "accuracy_no_votes": "accuracy (rows with no LF vote)",
    "coverage": "coverage (share of rows with >= 1 LF vote)",
    "n_voted": "rows with >= 1 LF vote",
    "n_no_votes": "rows with no LF vote",
    "labelled": "labelled (share given a class)",
    "accuracy_labelled": "accuracy (rows given a class)",
    "macro_precision": "macro precision",
    "macro_recall": "macro recall",
    "macro_f1": "macro F1",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "n_gold": "gold rows",
}
#: The metrics that count rows (shown as integers).
COUNTS = ("n_voted", "n_no_votes", "n_gold")
#: How a table shows a metric no row defines (NaN: e.g. the accuracy on the rows with no LF vote when every row has
#: one); :func:`defined` leaves such metrics out of ``run.json`` and MLflow.
NO_VALUE = "–"


def defined(metrics: Mapping[str, float]) -> dict[str, float]:
    """The metrics that have a value: a NaN (or infinite) metric, one no row defines, is left out of ``run.json`` and
    MLflow, as the references leave theirs out; a table shows it as :data:`NO_VALUE`, a summary says why.

    Examples
    --------
    >>> defined({"accuracy": 0.9, "accuracy_no_votes": float("nan"), "n_no_votes": 0.0})
    {'accuracy': 0.9, 'n_no_votes': 0.0}
    """
    return {key: float(value) for key, value in metrics.items() if np.isfinite(value)}


#: The accuracies over a part of the gold rows, with the metric counting that part and what it means when it is 0.
PART_COUNTS = {"accuracy_voted": ("n_voted", "no gold row has an LF vote"),
               "accuracy_no_votes": ("n_no_votes", "every gold row has an LF vote")}


def metric_text(metrics: Mapping[str, float], key: str) -> str | None:
    """``key`` and its value as a run summary shows it (3 decimals); for an accuracy over rows the split has none of
    (:data:`PART_COUNTS`, left out by :func:`defined`), :data:`NO_VALUE` and why; None when ``metrics`` has
    neither.

    Examples
    --------
    >>> metrics = defined({"accuracy": 0.876, "accuracy_no_votes": float("nan"), "n_no_votes": 0})
    >>> [metric_text(metrics, key) for key in ("accuracy", "accuracy_no_votes", "brier")]
    ['accuracy 0.876', 'accuracy_no_votes – (every gold row has an LF vote)', None]
    """
    if key in metrics:
        return f"{key} {metrics[key]:.3f}"
    count, why = PART_COUNTS.get(key, ("", ""))
    return f"{key} {NO_VALUE} ({why})" if count and metrics.get(count) == 0 else None


@dataclass(frozen=True)
class Metrics:
    """The metrics of one model's labels on gold rows (see the module docstring for definitions).

    ``per_class`` has ``precision``, ``recall``, ``f1`` and ``support`` per class, every class of the label space:
    a class with no gold rows (``support`` 0) has NaN recall and F1, and NaN precision unless it was predicted
    (then 0: every prediction of it is wrong); it is left out of the macro figures (:func:`macro_mean`). ``confusion`` counts
    true classes (rows) against predicted classes and ``abstain`` (columns); ``calibration`` has one
    row per confidence bin of the rows given a class: ``n``, mean ``confidence`` and ``accuracy``. The vote split
    (``accuracy_voted``, ``accuracy_no_votes``, ``coverage``, ``n_voted``, ``n_no_votes``) is NaN / None
    when the rows' votes were not given.
    """

    name: str
    accuracy: float
    accuracy_voted: float
    accuracy_no_votes: float
    coverage: float
    n_voted: int | None
    n_no_votes: int | None
    labelled: float
    accuracy_labelled: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    brier: float
    ece: float
    n_gold: int
    per_class: pd.DataFrame = field(repr=False)
    confusion: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, float]:
        """The scalar metrics by key (NaN for an unknown count)."""
        return {key: float("nan") if (v := getattr(self, key)) is None else float(v) for key in METRIC_NAMES}


def macro_mean(scores: Sequence[float] | np.ndarray, support: Sequence[int] | np.ndarray) -> float:
    """The macro average of per-class ``scores``: their mean over the classes with gold rows (``support > 0``).

    The rule of every macro precision, recall and F1 of single-label classes: a class without gold rows in the
    scored split has no recall (nothing to find), so it is left out rather than counted as 0; its score, NaN or
    not, is ignored. A class with gold rows that was never predicted keeps its 0.

    Parameters
    ----------
    scores : array of float, shape (k,)
        One score per class (precision, recall or F1).
    support : array of int, shape (k,)
        The gold rows of each class in the scored split (``np.bincount(y_true, minlength=k)``).

    Returns
    -------
    float
        The mean over the classes with gold rows; NaN when no class has any.

    Examples
    --------
    >>> macro_mean([1.0, 0.0, 0.0], [2, 2, 0])  # the third class has no gold rows: left out
    0.5
    >>> macro_mean([1.0, float("nan")], [4, 0])
    1.0
    >>> macro_mean([0.5], [0])
    nan
    """
    values = np.asarray(scores, dtype=float).reshape(-1)
    counts = np.asarray(support).reshape(-1)
    if values.shape != counts.shape:
        raise ParameterError(f"macro_mean: {len(values)} scores but {len(counts)} supports; pass one of each per class")
    scored = counts > 0
    return float(values[scored].mean()) if scored.any() else float("nan")


def calibration_bins(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10,
                     y_pred: np.ndarray | None = None) -> pd.DataFrame:
    """Rows binned by confidence into ``n_bins`` equal-width bins.

    A row's confidence is the probability of the class it was given: ``y_pred`` (every row given a class)
    or, without it, its most probable class. Returns one row per non-empty bin: ``lower``, ``upper``,
    ``n``, mean ``confidence`` and ``accuracy`` (share of rows whose given class is the gold class).

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]])
    >>> calibration_bins(np.array([0, 1, 1]), proba, n_bins=2)[["n", "confidence", "accuracy"]].round(3).values.tolist()
    [[3.0, 0.767, 0.667]]
    """
    given = proba.argmax(axis=1) if y_pred is None else np.asarray(y_pred)
    confidence = proba[np.arange(len(given)), given] if len(given) else np.zeros(0)
    correct = given == y_true
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    rows = [
        {"lower": edges[b], "upper": edges[b + 1], "n": int(mask.sum()),
         "confidence": float(confidence[mask].mean()), "accuracy": float(correct[mask].mean())}
        for b in range(n_bins) if (mask := which == b).any()
    ]
    return pd.DataFrame(rows, columns=["lower", "upper", "n", "confidence", "accuracy"])


def expected_calibration_error(y_true: Sequence[int] | np.ndarray, proba: np.ndarray, n_bins: int = 10,
                               y_pred: Sequence[int] | np.ndarray | None = None) -> float:
    """ECE: the row-weighted mean gap between confidence and accuracy over confidence bins.

    Over the rows **given a class** (the module docstring's rule, the one :func:`label_metrics` reports): each
    row's class is ``y_pred`` (``ABSTAIN`` rows are left out) or, without it, its most probable class, a row
    whose top probability is shared (a tie) being an abstain, left out.

    Parameters
    ----------
    y_true : array of int, shape (n,)
        Gold class ids.
    proba : array of float, shape (n, k)
        Predicted class probabilities, one column per class.
    n_bins : int
        The number of equal-width confidence bins.
    y_pred : array of int, shape (n,), optional
        The class each row was given, ``ABSTAIN`` where none.

    Returns
    -------
    float
        NaN when no row was given a class.

    Examples
    --------
    >>> round(expected_calibration_error(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]])), 4)
    0.4333
    >>> expected_calibration_error(np.array([1]), np.array([[0.5, 0.5]]))  # a tie claims no confidence
    nan
    """
    y_true, proba = _checked(y_true, proba, "expected_calibration_error")
    y_pred = given_classes(proba, y_pred, len(y_true), "expected_calibration_error")
    check_number(n_bins, name="expected_calibration_error: n_bins", low=1, integer=True)
    return _ece(_calibration(y_true, proba, y_pred, n_bins))


def given_classes(proba: np.ndarray, y_pred: Sequence[int] | np.ndarray | None, n: int, where: str) -> np.ndarray:
    """The class each row was given: ``y_pred`` checked, or the most probable class with a tie an ``ABSTAIN``.

    Examples
    --------
    >>> given_classes(np.array([[0.5, 0.5], [0.2, 0.8]]), None, 2, "f").tolist()
    [-1, 1]
    """
    if y_pred is None:
        from weaksup.models.base import break_ties

        return break_ties(proba, "abstain")
    given = check_class_ids(y_pred, name="y_pred")
    if len(given) != n:
        raise ParameterError(f"{where}: y_pred has {len(given)} labels but y_true has {n} rows; pass one class id "
                             f"per row ({ABSTAIN} where the model gave none)")
    return given


def _checked(y_true: Sequence[int] | np.ndarray, proba: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` as class ids and ``proba`` as a float (n, k) array with one row per id, or a ParameterError."""
    ids = check_class_ids(y_true, name="y_true")
    probs = np.asarray(proba, dtype=float)
    if probs.ndim != 2 or len(probs) != len(ids):
        raise ParameterError(f"{where}: proba must have shape ({len(ids)}, k), one row per y_true label and one "
                             f"column per class; got {probs.shape}. Pass predict_proba's output (for a binary "
                             "probability p of class 1: np.column_stack([1 - p, p]))")
    return ids, probs


def _calibration(y_true: np.ndarray, proba: np.ndarray, y_pred: np.ndarray, n_bins: int) -> pd.DataFrame:
    """:func:`calibration_bins` of the rows given a class (``y_pred`` not ``ABSTAIN``): the ECE's rows."""
    given = y_pred != ABSTAIN
    return calibration_bins(y_true[given], proba[given], n_bins, y_pred=y_pred[given])


def _ece(bins: pd.DataFrame) -> float:
    """The ECE of :func:`calibration_bins`' table."""
    if bins.empty:
        return float("nan")
    return float((bins["n"] * (bins["confidence"] - bins["accuracy"]).abs()).sum() / bins["n"].sum())


def label_metrics(
    y_true: Sequence[int] | np.ndarray,
    proba: np.ndarray,
    y_pred: Sequence[int] | np.ndarray | None = None,
    *,
    label_space: LabelSpace | Sequence[str] | None = None,
    name: str = "",
    n_bins: int = 10,
    covered: Sequence[bool] | np.ndarray | None = None,
) -> Metrics:
    """Metrics of predicted labels and probabilities against gold class ids.

    Parameters
    ----------
    y_true : array of int, shape (n,)
        Gold class ids (every row must have one). With no row at all, every metric is NaN (the counts 0).
    proba : array of float, shape (n, k)
        Predicted class probabilities.
    y_pred : array of int, shape (n,), optional
        Predicted class ids, ``ABSTAIN`` where the model abstains. Without it: the most probable class, and
        ``ABSTAIN`` where the top probability is shared (a row a model knows nothing about, such as majority
        vote's uniform row without votes, is not a guess that counts as labelled).
    label_space : LabelSpace or sequence of str, optional
        Class names for the tables; ``0..k-1`` otherwise.
    covered : array of bool, shape (n,), optional
        True where at least one LF voted on the row: gives ``coverage`` and the accuracy split by votes
        (NaN without it).

    Examples
    --------
    >>> m = label_metrics([0, 1, 1, 0], np.array([[.9, .1], [.2, .8], [.5, .5], [.3, .7]]), [0, 1, -1, 1],
    ...                   covered=[True, True, True, False])
    >>> m.accuracy, m.labelled, m.accuracy_labelled
    (0.5, 0.75, 0.6666666666666666)
    >>> m.coverage, m.accuracy_voted, m.accuracy_no_votes, m.n_no_votes
    (0.75, 0.6666666666666666, 0.0, 1)
    >>> tied = label_metrics([0, 1], np.array([[.9, .1], [.5, .5]]))
    >>> tied.labelled, round(tied.ece, 3)  # the tied row is an abstain, outside the calibration bins
    (0.5, 0.1)
    """
    from sklearn.metrics import brier_score_loss, confusion_matrix, precision_recall_fscore_support

    y_true, proba = _checked(y_true, proba, "label_metrics")
    if (y_true == ABSTAIN).any():
        raise ParameterError("y_true holds ABSTAIN: pass only rows with a gold label")
    k = proba.shape[1]
    names = list(label_space) if label_space is not None else [str(c) for c in range(k)]
    if len(names) != k:
        raise LabelSpaceError(f"proba has {k} columns but the label space has {len(names)} classes {names}")
    n = len(y_true)
    y_pred = given_classes(proba, y_pred, n, "label_metrics")
    for what, ids, low in (("y_true", y_true, 0), ("y_pred", y_pred, ABSTAIN)):
        outside = ids[(ids < low) | (ids >= k)]
        if len(outside):
            raise ParameterError(f"{what} holds class id {int(outside[0])}, outside 0..{k - 1} (the {k} columns of "
                                 f"proba{', or ABSTAIN' if low < 0 else ''}); fix the ids or the label space")
    if n and not (np.isfinite(proba).all() and (proba >= -1e-9).all() and (proba <= 1 + 1e-9).all()):
        raise ParameterError("proba must hold probabilities in [0, 1] (no NaN): pass predict_proba's output")
    voted = None if covered is None else np.asarray(covered, dtype=bool).reshape(-1)
    if voted is not None and len(voted) != n:
        raise ParameterError(f"covered has {len(voted)} flags but y_true has {n} rows: pass one per gold row "
                             "(True where at least one LF voted)")
    right = y_pred == y_true
    labelled = y_pred != ABSTAIN
    classes = list(range(k))
    if n:
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, labels=classes, zero_division=0.0)
    else:  # no gold row: every figure NaN (sklearn refuses empty input)
        precision = recall = f1 = np.zeros(k)
        support = np.zeros(k, dtype=np.int64)
    absent = support == 0  # no gold rows: no recall or F1, no precision unless predicted (module docstring)
    recall, f1 = np.where(absent, np.nan, recall), np.where(absent, np.nan, f1)
    precision = np.where(absent & ~np.isin(classes, y_pred), np.nan, precision)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                             index=pd.Index(names, name="class"))
    confusion = confusion_matrix(y_true, y_pred, labels=[*classes, ABSTAIN])[:k] if n \
        else np.zeros((k, k + 1), dtype=np.int64)
    confusion = pd.DataFrame(confusion, index=pd.Index(names, name="gold"),
                             columns=pd.Index([*names, "abstain"], name="predicted"))
    # over the rows given a class (module docstring), as expected_calibration_error; the ECE is read off these bins
    calibration = _calibration(y_true, proba, y_pred, n_bins)
    with np.errstate(invalid="ignore"):
        return Metrics(
            name=name,
            accuracy=float(right.mean()) if n else float("nan"),
            accuracy_voted=_mean(right, voted),
            accuracy_no_votes=_mean(right, None if voted is None else ~voted),
            coverage=float(voted.mean()) if voted is not None and n else float("nan"),
            n_voted=None if voted is None else int(voted.sum()),
            n_no_votes=None if voted is None else int((~voted).sum()),
            labelled=float(labelled.mean()) if n else float("nan"),
            accuracy_labelled=_mean(right, labelled),
            macro_precision=macro_mean(precision, support),
            macro_recall=macro_mean(recall, support),
            macro_f1=macro_mean(f1, support),
            brier=float(brier_score_loss(y_true, proba, labels=classes)) if n else float("nan"),
            ece=_ece(calibration),
            n_gold=n,
            per_class=per_class,
            confusion=confusion,
            calibration=calibration,
        )


def _mean(right: np.ndarray, rows: np.ndarray | None) -> float:
    """The share of ``rows`` that are right (NaN when ``rows`` is unknown or empty)."""
    return float(right[rows].mean()) if rows is not None and rows.any() else float("nan")
