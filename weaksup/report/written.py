"""The labels a run wrote, in the report: their class shares beside the label model's, and their confusion matrix
on the gold rows of the evaluation split.

A run writes the **final** labels (``label_source`` says whose: the end model's, the label model's or a
reviewer's), not the label model's predictions the rest of the report measures: with the end model on, rows no LF
voted on get a label, and reviewed rows carry their reviewer's. :class:`WrittenLabels` is what the report needs of
them (``written`` of :func:`weaksup.report.build_report`): the rows per written class, abstains included, and the
written class of the gold rows it scores them on. :class:`WrittenEvaluation` is what the report shows on those
rows; its scores are the references' ``final`` scores (:mod:`weaksup.references`) when the references were
measured on the same rows, so nothing is scored twice.

Examples
--------
>>> written = WrittenLabels.of(["ham", None, "spam", "spam"], label_space=["ham", "spam"])
>>> written.shares(["ham", "spam"]).tolist(), written.labels.tolist()
([0.25, 0.5, 0.25], [0, -1, 1, 1])
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.labels import ABSTAIN
from weaksup.metrics import Metrics, label_metrics
from weaksup.references import FINAL, ReferenceScore, compare_references
from weaksup.votes import has_vote

if TYPE_CHECKING:
    from weaksup.alignment import AlignedGold
    from weaksup.references import References
    from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

__all__ = ["WRITTEN", "WrittenEvaluation", "WrittenLabels", "evaluate_written"]

#: The name of the written labels in the report (its label distribution, its confusion matrices).
WRITTEN = "written labels"
#: The keys of :attr:`WrittenLabels.counts` that count rows with no label (a run's ``label_counts`` say "(abstain)").
ABSTAIN_KEYS = ("abstain", "(abstain)")


def _no_rows() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class WrittenLabels:
    """The labels a run wrote, as the report takes them (see the module docstring).

    Attributes
    ----------
    counts : mapping of str to int
        Rows per written class over every row written; ``"abstain"`` (or ``"(abstain)"``, as a run's
        ``label_counts`` spell it) counts the rows written without a label.
    row_ids : array, shape (n,)
        Rows whose written label is given one by one, as the votes' row ids (a run gives its gold test rows);
        none by default. The report scores the written labels on those of the evaluation split's gold rows.
    labels : array of int, shape (n,)
        The written class id of each of ``row_ids``, ``ABSTAIN`` (-1) where the row has no label.
    sources : mapping of str to int, optional
        Rows per ``label_source`` (``"(none)"``: no label), shown beside the shares.
    proba : array of float, shape (n, k), optional
        The written probabilities (the ``prob_<class>`` columns) of ``row_ids``: with them the report draws the
        written labels' reliability curve and scores their ECE and Brier score (:attr:`WrittenEvaluation.metrics`).

    Examples
    --------
    >>> written = WrittenLabels({"ham": 3, "spam": 1, "(abstain)": 1}, row_ids=["a", "b"], labels=[1, -1])
    >>> written.shares(["ham", "spam"]).to_dict()
    {'ham': 0.6, 'spam': 0.2, 'abstain': 0.2}
    """

    counts: Mapping[str, int]
    row_ids: np.ndarray = field(default_factory=_no_rows)
    labels: np.ndarray = field(default_factory=_no_rows)
    sources: Mapping[str, int] | None = None
    proba: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        row_ids, labels = np.asarray(self.row_ids).reshape(-1), np.asarray(self.labels).reshape(-1)
        if len(row_ids) != len(labels):
            raise ParameterError(f"WrittenLabels: {len(labels)} labels for {len(row_ids)} row_ids; give one written "
                                 f"class id ({ABSTAIN} for no label) per row id")
        if self.proba is not None:
            proba = np.asarray(self.proba, dtype=np.float64)
            if proba.ndim != 2 or len(proba) != len(row_ids):
                raise ParameterError(f"WrittenLabels: proba has shape {proba.shape} for {len(row_ids)} row_ids; give "
                                     "one row of written probabilities (one column per class) per row id, or none")
            object.__setattr__(self, "proba", proba)
        if not pd.Index(row_ids).is_unique:
            raise ParameterError("WrittenLabels: row_ids repeat a row; give each row's written label once")
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise ParameterError(f"WrittenLabels: labels must be class ids (int, {ABSTAIN} for no label), got "
                                 f"{labels.dtype}; build them from class names with WrittenLabels.of")
        object.__setattr__(self, "row_ids", row_ids)
        object.__setattr__(self, "labels", labels.astype(np.int64))
        object.__setattr__(self, "counts", {str(k): int(v) for k, v in self.counts.items()})

    @classmethod
    def of(cls, labels: Sequence[Any] | pd.Series, *, label_space: Sequence[str], row_ids: Any = None,
           sources: Sequence[Any] | pd.Series | None = None, proba: np.ndarray | None = None) -> WrittenLabels:
        """From the ``label`` column of a labels file: one class name per row, None (or NaN) for no label.

        ``row_ids`` (the file's ``row_id`` column; ``0..n-1`` by default) name the rows as the votes do;
        ``sources`` is the ``label_source`` column; ``proba`` the ``prob_<class>`` columns, in class order
        (``labels[[f"prob_{c}" for c in label_space]].to_numpy()``).

        Raises
        ------
        ParameterError
            When a label is not a class of ``label_space``.
        """
        names = [str(name) for name in label_space]
        column = pd.Series(labels, dtype=object).reset_index(drop=True)
        missing = column.isna().to_numpy()
        written = column[~missing].astype(str)
        unknown = sorted(set(written) - set(names))
        if unknown:
            raise ParameterError(f"WrittenLabels.of: labels {unknown[:5]} are not in the label space {names}; pass "
                                 "the run's label space (task.labels)")
        ids = np.full(len(column), ABSTAIN, dtype=np.int64)
        ids[~missing] = written.map({name: i for i, name in enumerate(names)}).to_numpy(dtype=np.int64)
        counts = {name: int((ids == i).sum()) for i, name in enumerate(names)} | {"abstain": int(missing.sum())}
        by_source = None if sources is None else {
            str(k): int(v) for k, v in pd.Series(sources, dtype=object).fillna("(none)").value_counts().items()}
        rows = np.arange(len(column)) if row_ids is None else np.asarray(row_ids)
        return cls(counts, row_ids=rows, labels=ids, sources=by_source, proba=proba)

    def rows(self, names: Sequence[str]) -> pd.Series:
        """The written rows per class of ``names``, then ``abstain`` (the rows with no label).

        Raises
        ------
        ParameterError
            When :attr:`counts` names a class outside ``names``.
        """
        unknown = sorted(set(self.counts) - {*names, *ABSTAIN_KEYS})
        if unknown:
            raise ParameterError(f"written labels: counts of {unknown[:5]}, not classes of the label space "
                                 f"{list(names)}; count the rows with no label as 'abstain'")
        return pd.Series([self.counts.get(name, 0) for name in names]
                         + [sum(self.counts.get(key, 0) for key in ABSTAIN_KEYS)],
                         index=[*names, "abstain"], dtype=np.int64)

    def shares(self, names: Sequence[str]) -> pd.Series:
        """The share of the written rows per class of ``names``, then ``abstain`` (see :meth:`rows`)."""
        counts = self.rows(names)
        return counts / max(int(counts.sum()), 1)


@dataclass(frozen=True)
class WrittenEvaluation:
    """The written labels on the gold rows of one split.

    Attributes
    ----------
    score : ReferenceScore
        Accuracy (abstain = wrong), accuracy on the rows with and without an LF vote, the share labelled, the
        recall: the references' ``final`` scores when they were measured on these rows.
    confusion : DataFrame
        Gold classes (rows) against the written class and ``abstain`` (columns).
    split : str
        The gold split.
    n_missing : int
        Gold rows of the split whose written label was not given (not scored).
    from_references : bool
        Whether ``score`` is the references' ``final`` score.
    metrics : Metrics or None
        The written labels' :func:`~weaksup.metrics.label_metrics` on these rows when their probabilities were
        given (:attr:`WrittenLabels.proba`): the calibration bins, ECE and Brier score the calibration figure draws.
        Their ECE is the references' ``final`` ECE on the same rows (the same rule: the rows given a class).
    """

    score: ReferenceScore
    confusion: pd.DataFrame
    split: str
    n_missing: int = 0
    from_references: bool = False
    metrics: Metrics | None = field(default=None, repr=False)

    @property
    def n_rows(self) -> int:
        """The gold rows scored."""
        return int(self.confusion.to_numpy().sum())


def evaluate_written(written: WrittenLabels, votes: VoteMatrix, aligned: AlignedGold, split: str,
                     names: Sequence[str], references: References | None = None) -> WrittenEvaluation | None:
    """The written labels' confusion matrix and scores on the ``split`` gold rows they are given for (None when
    they are given for none of them).

    Examples
    --------
    >>> from weaksup.alignment import AlignedGold
    >>> from weaksup.votes import VoteMatrix
    >>> votes = VoteMatrix([[0, -1], [1, 1], [-1, -1]], row_ids=["a", "b", "c"])
    >>> written = WrittenLabels({"x": 1, "y": 1, "abstain": 1}, row_ids=["a", "b", "c"], labels=[0, 1, -1])
    >>> ev = evaluate_written(written, votes, AlignedGold.of(np.array([0, 0, 1]), votes), None, ["x", "y"])
    >>> ev.confusion.to_numpy().tolist(), ev.score.accuracy, ev.score.labelled
    ([[1, 1, 0], [0, 0, 1]], 0.3333333333333333, 0.6666666666666666)
    >>> ev.metrics is None  # no written probabilities: no calibration
    True
    """
    rows, y = aligned.rows(split)
    at = pd.Index(written.row_ids).get_indexer(votes.row_ids[rows]) if len(written.row_ids) else np.full(len(rows), -1)
    given = at >= 0
    if not given.any():
        if len(rows):
            logger.info("the written labels are given for none of the %d %s gold rows: the report does not score "
                        "them there", len(rows), split or "")
        return None
    rows, y, pred = rows[given], y[given], written.labels[at[given]]
    k = len(names)
    if ((pred < ABSTAIN) | (pred >= k)).any():
        raise ParameterError(f"written labels: class id {int(pred[(pred < ABSTAIN) | (pred >= k)][0])} is outside "
                             f"0..{k - 1} (the label space {list(names)}) and {ABSTAIN} (no label)")
    table = np.zeros((k, k + 1), dtype=np.int64)
    np.add.at(table, (y, np.where(pred == ABSTAIN, k, pred)), 1)
    confusion = pd.DataFrame(table, index=pd.Index(list(names), name="gold"),
                             columns=pd.Index([*names, "abstain"], name="predicted"))
    reuse = (references is not None and FINAL in references and references.split == split
             and references.n_rows == len(rows) and not (~given).any())
    covered = has_vote(votes.values[rows])
    if references is not None and reuse:
        score = references[FINAL]
    else:
        score = compare_references(y, {FINAL: pred}, covered=covered, label_space=list(names), split=split)[FINAL]
    metrics = None if written.proba is None else label_metrics(
        y, written.proba[at[given]], pred, label_space=list(names), name=WRITTEN, covered=covered)
    return WrittenEvaluation(score, confusion, split or "all", int((~given).sum()), reuse, metrics)
