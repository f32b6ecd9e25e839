"""Label-model metrics against gold, side by side with the majority-vote baseline.

Metrics never hide abstains. ``accuracy`` is over **all** gold rows, an abstain counting as wrong;
``accuracy_covered`` is over the rows the model labelled, and ``coverage`` is their share. Recall
and F1 count an abstain as a miss of the row's true class. Brier score and expected calibration
error (ECE) judge the probabilities of every gold row. :func:`evaluate` always reports the same
numbers for :class:`~weaksup.models.MajorityVote` beside the label model, so a user sees at once
whether the label model beat majority vote.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats, as_vote_matrix
from weaksup.errors import GoldSetError, LabelSpaceError, ParameterError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet

logger = logging.getLogger(__name__)

#: The metrics of :class:`Metrics`, in table order, with their display names.
METRIC_NAMES = {
    "accuracy": "accuracy (all gold rows, abstain = wrong)",
    "accuracy_covered": "accuracy (covered rows)",
    "coverage": "coverage",
    "macro_precision": "macro precision",
    "macro_recall": "macro recall",
    "macro_f1": "macro F1",
    "brier": "Brier score",
    "ece": "expected calibration error",
    "n_gold": "gold rows",
}
#: Name of the baseline column in :meth:`Evaluation.table`.
BASELINE = "MajorityVote"


@dataclass(frozen=True)
class Metrics:
    """The metrics of one model's labels on gold rows (see the module docstring for definitions).

    ``per_class`` has ``precision``, ``recall``, ``f1`` and ``support`` per class; ``confusion`` counts
    true classes (rows) against predicted classes and ``abstain`` (columns); ``calibration`` has one
    row per confidence bin with rows: ``n``, mean ``confidence`` and ``accuracy``.
    """

    name: str
    accuracy: float
    accuracy_covered: float
    coverage: float
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
        """The scalar metrics by key."""
        return {key: float(getattr(self, key)) for key in METRIC_NAMES}


def calibration_bins(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Rows binned by confidence (the top probability) into ``n_bins`` equal-width bins.

    Returns one row per non-empty bin: ``lower``, ``upper``, ``n``, mean ``confidence`` and
    ``accuracy`` (share of rows whose most probable class is the gold class).

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]])
    >>> calibration_bins(np.array([0, 1, 1]), proba, n_bins=2)[["n", "confidence", "accuracy"]].round(3).values.tolist()
    [[3.0, 0.767, 0.667]]
    """
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_true
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    rows = [
        {"lower": edges[b], "upper": edges[b + 1], "n": int(mask.sum()),
         "confidence": float(confidence[mask].mean()), "accuracy": float(correct[mask].mean())}
        for b in range(n_bins) if (mask := which == b).any()
    ]
    return pd.DataFrame(rows, columns=["lower", "upper", "n", "confidence", "accuracy"])


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the row-weighted mean gap between confidence and accuracy over confidence bins.

    Examples
    --------
    >>> round(expected_calibration_error(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]])), 4)
    0.4333
    """
    return _ece(calibration_bins(np.asarray(y_true), np.asarray(proba, dtype=float), n_bins))


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
) -> Metrics:
    """Metrics of predicted labels and probabilities against gold class ids.

    Parameters
    ----------
    y_true : array of int, shape (n,)
        Gold class ids (every row must have one).
    proba : array of float, shape (n, k)
        Predicted class probabilities.
    y_pred : array of int, shape (n,), optional
        Predicted class ids, ``ABSTAIN`` where the model abstains; the most probable class otherwise.
    label_space : LabelSpace or sequence of str, optional
        Class names for the tables; ``0..k-1`` otherwise.

    Examples
    --------
    >>> m = label_metrics([0, 1, 1, 0], np.array([[.9, .1], [.2, .8], [.5, .5], [.3, .7]]), [0, 1, -1, 1])
    >>> m.accuracy, m.accuracy_covered, m.coverage
    (0.5, 0.6666666666666666, 0.75)
    """
    from sklearn.metrics import brier_score_loss, confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or len(proba) != len(y_true):
        raise ParameterError(f"proba must have shape ({len(y_true)}, k); got {proba.shape}")
    if (y_true == ABSTAIN).any():
        raise ParameterError("y_true holds ABSTAIN: pass only rows with a gold label")
    k = proba.shape[1]
    names = list(label_space) if label_space is not None else [str(c) for c in range(k)]
    if len(names) != k:
        raise LabelSpaceError(f"proba has {k} columns but the label space has {len(names)} classes {names}")
    y_pred = proba.argmax(axis=1) if y_pred is None else np.asarray(y_pred, dtype=np.int64)
    n = len(y_true)
    covered = y_pred != ABSTAIN
    classes = list(range(k))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0.0)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                             index=pd.Index(names, name="class"))
    confusion = confusion_matrix(y_true, y_pred, labels=[*classes, ABSTAIN])[:k]
    confusion = pd.DataFrame(confusion, index=pd.Index(names, name="gold"),
                             columns=pd.Index([*names, "abstain"], name="predicted"))
    calibration = calibration_bins(y_true, proba, n_bins)  # once: the ECE is read off the same bins
    with np.errstate(invalid="ignore"):
        return Metrics(
            name=name,
            accuracy=float((y_pred == y_true).mean()) if n else float("nan"),
            accuracy_covered=float((y_pred[covered] == y_true[covered]).mean()) if covered.any() else float("nan"),
            coverage=float(covered.mean()) if n else float("nan"),
            macro_precision=float(precision.mean()),
            macro_recall=float(recall.mean()),
            macro_f1=float(f1.mean()),
            brier=float(brier_score_loss(y_true, proba, labels=classes)) if n else float("nan"),
            ece=_ece(calibration),
            n_gold=n,
            per_class=per_class,
            confusion=confusion,
            calibration=calibration,
        )


@dataclass(frozen=True)
class Evaluation:
    """A label model's metrics and the majority-vote baseline's, on one gold split.

    Attributes
    ----------
    model : Metrics
        The label model's metrics.
    baseline : Metrics
        Majority vote's metrics (same rows, same tie-break policy).
    split : str
        The gold split (``"test"`` unless told).
    gold_hash : str
        The content hash of the gold set used.
    tie_break : str
        The tie-break policy of both models' ``predict``.
    """

    model: Metrics
    baseline: Metrics
    split: str
    gold_hash: str
    tie_break: str

    def table(self) -> pd.DataFrame:
        """The metrics of the label model and majority vote side by side, with their difference.

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> from weaksup.gold import write_gold
        >>> import tempfile
        >>> rows = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["x", "y", "y"], "split": "test"})
        >>> gold = write_gold(rows, tempfile.mkdtemp(), task="demo", label_space=["x", "y"])
        >>> votes = VoteMatrix([[0, 0, 1], [1, -1, 1], [0, 1, -1]], row_ids=["a", "b", "c"])
        >>> table = evaluate(votes, gold, MajorityVote(cardinality=2).fit(votes)).table()
        >>> table.columns.tolist(), table.loc["coverage"].round(3).tolist()
        (['MajorityVote (label model)', 'MajorityVote', 'difference'], [0.667, 0.667, 0.0])
        """
        name = self.model.name if self.model.name != BASELINE else f"{BASELINE} (label model)"
        frame = pd.DataFrame({name: self.model.as_dict(), BASELINE: self.baseline.as_dict()})
        frame["difference"] = frame[name] - frame[BASELINE]
        return frame.rename(index=METRIC_NAMES)

    def formatted(self) -> pd.DataFrame:
        """:meth:`table` as text for printing: 3 decimals, signed differences, the gold row count as an integer."""
        table = self.table()
        shown = table.map(lambda v: f"{v:.3f}").astype(object)
        shown["difference"] = table["difference"].map(lambda v: f"{v:+.3f}")
        shown.loc[METRIC_NAMES["n_gold"]] = table.loc[METRIC_NAMES["n_gold"]].map(lambda v: f"{v:.0f}")
        return shown

    def to_metrics(self) -> dict[str, float]:
        """Flat metric names for MLflow: ``<split>/label_model/<metric>`` and ``<split>/majority_vote/<metric>``."""
        out = {}
        for key, metrics in (("label_model", self.model), ("majority_vote", self.baseline)):
            out.update({f"{self.split}/{key}/{m}": v for m, v in metrics.as_dict().items()})
            for cls, row in metrics.per_class.iterrows():
                out.update({f"{self.split}/{key}/{stat}/{cls}": float(row[stat]) for stat in ("precision", "recall", "f1")})
        return out

    def summary(self) -> str:
        """One line: did the label model beat majority vote on accuracy over all gold rows?"""
        diff = self.model.accuracy - self.baseline.accuracy
        verdict = "beats" if diff > 0 else "ties with" if diff == 0 else "is WORSE than"
        return (f"{self.model.name} {verdict} majority vote on the {self.model.n_gold} {self.split} gold rows: "
                f"accuracy {self.model.accuracy:.3f} vs {self.baseline.accuracy:.3f} (abstain = wrong), "
                f"macro F1 {self.model.macro_f1:.3f} vs {self.baseline.macro_f1:.3f}")


def gold_rows(votes: VoteMatrix | VoteStats, gold: GoldSet | AlignedGold | np.ndarray,
              split: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the vote rows that have a gold label (in ``split``), and those labels.

    See :meth:`AlignedGold.rows <weaksup.alignment.AlignedGold.rows>`.

    Examples
    --------
    >>> rows, y = gold_rows(VoteMatrix([[0], [1], [1]]), np.array([1, -1, 0]), split=None)
    >>> rows.tolist(), y.tolist()
    ([0, 2], [1, 0])
    """
    return AlignedGold.of(gold, as_vote_matrix(votes)).rows(split)


def model_name(model: Any) -> str:
    """A model's display name: its ``name`` attribute or its class name."""
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


def evaluate(
    votes: VoteMatrix | VoteStats | np.ndarray,
    gold: GoldSet | AlignedGold | np.ndarray,
    model: Any,
    *,
    split: str | None = "test",
    tie_break: str = "abstain",
    label_space: LabelSpace | Sequence[str] | None = None,
    n_bins: int = 10,
    baseline: Any = None,
) -> Evaluation:
    """Evaluate a fitted label model and majority vote on the gold rows of ``votes``.

    Parameters
    ----------
    votes : VoteMatrix, VoteStats or int array (n, m)
        Votes of the rows (all of them, or at least the gold ones).
    gold : GoldSet, AlignedGold or array of int
        A GoldSet (matched on ``votes.row_ids``, restricted to ``split``), gold already aligned to
        the vote rows (:class:`~weaksup.alignment.AlignedGold`), or one class id per vote row with
        ``ABSTAIN`` for rows without gold (``split`` is then ignored).
    model : fitted label model
        Anything with ``predict_proba(L)`` and ``predict(L, tie_break=...)``.
    split : {"test", "dev"} or None
        The gold split to measure on; ``None`` uses every gold row.
    tie_break : str
        The tie-break policy of both ``predict`` calls; ``"abstain"`` keeps ties visible as abstains.
    baseline : fitted MajorityVote, optional
        The majority-vote baseline, when the caller has fitted it already; fitted on ``votes`` otherwise.

    Raises
    ------
    GoldSetError
        When no vote row has a gold label (the message says which split and how many ids matched).

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> votes = VoteMatrix([[0, 0], [1, -1], [0, 1]])
    >>> ev = evaluate(votes, np.array([0, 1, 1]), MajorityVote(cardinality=2).fit(votes))
    >>> ev.model.accuracy, ev.baseline.coverage, ev.split
    (0.6666666666666666, 0.6666666666666666, 'test')
    """
    from weaksup.models import MajorityVote

    vm = as_vote_matrix(votes)
    aligned = AlignedGold.of(gold, vm)
    space = label_space if label_space is not None else aligned.label_space or vm.label_space
    rows, y = aligned.rows(split)
    if len(rows) == 0:
        raise GoldSetError(f"no row of the vote matrix has a gold label in split {split!r}: check that the gold "
                           f"set's row ids are the data's ids (votes.row_ids starts {list(vm.row_ids[:3])})")
    L = vm.values[rows]
    k = len(space) if space is not None else int(max(L.max(initial=0), y.max())) + 1
    mv = baseline if baseline is not None else MajorityVote(cardinality=k).fit(vm.values)
    results = []
    for name, fitted in ((model_name(model), model), (BASELINE, mv)):
        results.append(label_metrics(y, fitted.predict_proba(L), fitted.predict(L, tie_break=tie_break),
                                     label_space=space, name=name, n_bins=n_bins))
    # The whole gold set's hash identifies its version; the split is recorded beside it.
    evaluation = Evaluation(results[0], results[1], split or "all", aligned.hash, tie_break)
    logger.info("%s (gold hash %s)", evaluation.summary(), evaluation.gold_hash or "n/a")
    return evaluation


def lf_errors(
    votes: VoteMatrix | VoteStats,
    gold: GoldSet | AlignedGold | np.ndarray,
    data: pd.DataFrame | None = None,
    *,
    split: str | None = "dev",
    text_column: str = "text",
    id_column: str = "row_id",
    label_space: LabelSpace | Sequence[str] | None = None,
    per_lf: int | None = None,
) -> pd.DataFrame:
    """For each LF, the gold rows it got wrong: ``lf``, ``row_id``, ``vote``, ``gold`` and the row's text.

    Parameters
    ----------
    votes : VoteMatrix or VoteStats
    gold : GoldSet, AlignedGold or array of int
        As in :func:`evaluate`; ``split`` defaults to ``"dev"``, where LFs are written and tuned
        (showing test errors to LF authors would leak the test split into the LFs).
    data : DataFrame, optional
        The data rows, with ``id_column``; adds the ``text_column`` of each wrong row.
    per_lf : int, optional
        At most this many rows per LF (in row order).

    Examples
    --------
    >>> votes = VoteMatrix([[0, 1], [1, 1], [0, -1]], row_ids=["a", "b", "c"], lf_names=["f", "g"])
    >>> lf_errors(votes, np.array([0, 0, 1]), split=None).values.tolist()
    [['f', 'b', '1', '0'], ['f', 'c', '0', '1'], ['g', 'a', '1', '0'], ['g', 'b', '1', '0']]
    """
    vm = as_vote_matrix(votes)
    aligned = AlignedGold.of(gold, vm)
    rows, y = aligned.rows(split)
    space = label_space if label_space is not None else aligned.label_space or vm.label_space
    name = (lambda c: space[int(c)]) if space is not None else str
    L = vm.values[rows]
    records = []
    for j, lf in enumerate(vm.lf_names):
        wrong = np.flatnonzero((L[:, j] != ABSTAIN) & (L[:, j] != y))
        for i in wrong[:per_lf]:
            records.append({"lf": lf, "row_id": vm.row_ids[rows[i]], "vote": name(L[i, j]), "gold": name(y[i])})
    out = pd.DataFrame(records, columns=["lf", "row_id", "vote", "gold"])
    if data is not None:
        texts = data.set_index(id_column)[text_column]
        out[text_column] = out["row_id"].map(texts)
    return out
