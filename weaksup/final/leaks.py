"""A column of the rows that holds the answer: the label itself, a column derived from it, or an old label.

Without a text column the end model and ``supervised_on_dev`` read every column of the rows but the id (and
``[end_model] exclude_columns``; :mod:`weaksup.final.columns`). A table often holds the label (``is_fraud``,
``label``, ``reviewed_outcome``): the end model then learns the answer, and the references and final labels look
near-perfect. :func:`find_leaks` is the one rule ``weaksup run``, the engines and the Workbench apply to the columns
the end model reads; each :class:`Leak` says which column and how to leave it out.

The rule: on at least :data:`MIN_ROWS` dev gold rows of two classes or more, a column leaks when a model of that
column alone, scored out of fold on the dev gold rows (:data:`FOLDS` stratified folds, seeded), labels at least
:data:`MIN_ACCURACY` of them right and has a balanced accuracy (the mean of the classes' recalls) of at least
:data:`MIN_BALANCED`, so that a column which only finds the most common class never counts. The model of one column
is a per-value lookup (each value's most common dev class; a value unseen in the fold: the fold's most common class)
for a column of at most :data:`~weaksup.final.columns.MAX_CATEGORIES` distinct values on the dev rows, else, for
numbers and dates, a decision tree of depth :data:`TREE_DEPTH` over its values (missing: below every value).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from weaksup.final.columns import MAX_CATEGORIES, as_dates, as_numbers, column_kind

__all__ = ["EXCLUDE_KEY", "FOLDS", "Leak", "MIN_ACCURACY", "MIN_BALANCED", "MIN_ROWS", "TREE_DEPTH", "find_leaks"]

logger = logging.getLogger(__name__)

#: Fewer dev gold rows than this: no column is judged.
MIN_ROWS = 20
#: A column leaks from this out-of-fold accuracy on the dev gold rows...
MIN_ACCURACY = 0.99
#: ... with at least this balanced accuracy (the mean recall of the classes).
MIN_BALANCED = 0.9
#: Folds of the out-of-fold score (fewer when a class has fewer dev rows).
FOLDS = 5
#: Depth of the tree over a column of numbers or dates with many values (at most 8 intervals).
TREE_DEPTH = 3
#: How a run leaves a column out (the fix a :class:`Leak` names).
EXCLUDE_KEY = "[end_model] exclude_columns = {columns}"


@dataclass(frozen=True)
class Leak:
    """A column that alone predicts the dev gold label: its name, the share of the dev gold rows it predicts
    (out of fold) and how many rows that is of."""

    column: str
    accuracy: float
    rows: int

    def message(self, fix: str = EXCLUDE_KEY) -> str:
        """The warning, naming the column and the fix (``fix`` with ``{columns}``: a run's key, or the Workbench's).

        Examples
        --------
        >>> Leak("is_fraud", 1.0, 300).message()
        "column 'is_fraud' alone predicts the dev gold label for 100% of 300 rows: if it is the label or derived from it, leave it out with [end_model] exclude_columns = ['is_fraud']"
        >>> print(Leak("old", 0.9967, 300).message("Workbench(..., exclude_columns={columns})"))  # doctest: +ELLIPSIS
        column 'old' alone predicts the dev gold label for 99.6% of 300 rows: ... Workbench(..., exclude_columns=['old'])
        """
        share = "100%" if self.accuracy >= 1 else f"{math.floor(self.accuracy * 1000) / 10:.1f}%"
        return (f"column {self.column!r} alone predicts the dev gold label for {share} of {self.rows:,} rows: if it "
                f"is the label or derived from it, leave it out with {fix.format(columns=[self.column])}")


def find_leaks(columns: pd.DataFrame, y: np.ndarray, *, kinds: Mapping[str, Any] | None = None, seed: int = 0
               ) -> list[Leak]:
    """The columns of ``columns`` that alone predict ``y`` on its dev gold rows (the rule of the module docstring).

    Parameters
    ----------
    columns : DataFrame
        The rows' columns as the end model reads them (the id and excluded columns already dropped).
    y : int array (n,)
        The rows' dev gold class ids, ``-1`` where none (only the dev gold rows are read).
    kinds : mapping, optional
        The columns the end model reads (a fitted :class:`~weaksup.final.columns.ColumnFeatures`' ``kinds_``):
        only those are judged; default: every column :func:`~weaksup.final.columns.column_kind` would read.
    seed : int
        Seeds the folds.

    Returns
    -------
    list of Leak
        In the order of ``columns``; empty with fewer than :data:`MIN_ROWS` dev gold rows or one class.

    Examples
    --------
    >>> gen = np.random.default_rng(0)
    >>> y = gen.integers(0, 2, 60)
    >>> frame = pd.DataFrame({"amount": gen.gamma(2, 50, 60), "outcome": np.where(y == 1, "fraud", "ok"),
    ...                       "score": y * 10 + gen.random(60)})
    >>> [(leak.column, leak.accuracy) for leak in find_leaks(frame, y)]
    [('outcome', 1.0), ('score', 1.0)]
    >>> find_leaks(frame, np.where(np.arange(60) < 10, y, -1))  # (10 dev gold rows: too few to judge)
    []
    """
    from sklearn.metrics import balanced_accuracy_score

    dev = np.flatnonzero(np.asarray(y) >= 0)
    target = np.asarray(y)[dev]
    classes, counts = np.unique(target, return_counts=True)
    if len(dev) < MIN_ROWS or len(classes) < 2:
        return []
    read = None if kinds is None else {*kinds.get("numbers", ()), *kinds.get("dates", ()), *kinds.get("categories", ())}
    folds = _folds(target, counts, seed)
    found = []
    for name in columns.columns:
        if read is not None and str(name) not in read:
            continue
        column = columns[name].iloc[dev].reset_index(drop=True)
        kind = column_kind(column)[0]
        if kind == "left out":
            continue
        predicted = _out_of_fold(column, kind, target, folds)
        if predicted is None:
            continue
        accuracy = float((predicted == target).mean())
        if accuracy >= MIN_ACCURACY and balanced_accuracy_score(target, predicted) >= MIN_BALANCED:
            found.append(Leak(str(name), accuracy, len(dev)))
    return found


def _folds(target: np.ndarray, counts: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds of the dev rows (plain shuffled folds when a class has a single row)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    smallest = int(counts.min())
    if smallest >= 2:
        splitter: Any = StratifiedKFold(n_splits=min(FOLDS, smallest), shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(target)), target))


def _out_of_fold(column: pd.Series, kind: str, target: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
                 ) -> np.ndarray | None:
    """Each dev row's class predicted from ``column`` alone by a model that did not see it (see the module)."""
    values = column.astype(object).where(column.notna(), None).map(lambda v: None if v is None else str(v))
    if values.nunique(dropna=False) <= MAX_CATEGORIES:  # a per-value lookup
        keys = values.fillna("\x00missing").to_numpy(dtype=object)
        out = np.empty(len(target), dtype=np.int64)
        for train, test in folds:
            table = pd.Series(target[train]).groupby(keys[train]).agg(lambda s: s.value_counts().idxmax())
            fallback = pd.Series(target[train]).value_counts().idxmax()
            out[test] = pd.Series(keys[test]).map(table).fillna(fallback).to_numpy(dtype=np.int64)
        return out
    if kind not in ("number", "date"):
        return None
    from sklearn.tree import DecisionTreeClassifier

    x = as_numbers(column) if kind == "number" else \
        (as_dates(column) - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    x = x.to_numpy(dtype=float)
    present = np.isfinite(x)
    if not present.any():
        return None
    x = np.where(present, x, x[present].min() - 1.0)[:, None]  # missing: an interval of its own, below every value
    out = np.empty(len(target), dtype=np.int64)
    for train, test in folds:
        tree = DecisionTreeClassifier(max_depth=TREE_DEPTH, random_state=0).fit(x[train], target[train])
        out[test] = tree.predict(x[test])
    return out
