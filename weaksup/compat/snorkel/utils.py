"""Snorkel's array utilities with its names and meanings: ``probs_to_preds``, ``preds_to_probs``,
``to_int_label_array``, ``filter_unlabeled_dataframe``, ``get_label_buckets`` and its scorer (``metric_score``,
``Scorer``).

Ties are broken by weaksup's :func:`weaksup.models.base.break_ties` (Snorkel's tolerance rule); Snorkel's policy
names map to weaksup's: ``"abstain"`` -> ``"abstain"``, ``"random"`` (Snorkel's deterministic hash) -> ``"hash"``,
``"true-random"`` -> ``"seeded_random"`` with a seed drawn from NumPy's global random state (so
``np.random.seed(...)`` makes it repeatable, as in Snorkel; the draws themselves differ from Snorkel's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import LabelModelError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.models.base import break_ties
from weaksup.votes import has_vote

logger = logging.getLogger(__name__)

__all__ = ["METRICS", "TIE_BREAK_POLICIES", "Scorer", "filter_unlabeled_dataframe", "get_label_buckets",
           "metric_score", "preds_to_probs", "probs_to_preds", "to_int_label_array"]

#: Snorkel's ``tie_break_policy`` names and the weaksup ``tie_break`` policy with that meaning.
TIE_BREAK_POLICIES = {"abstain": "abstain", "random": "hash", "true-random": "seeded_random"}


def probs_to_preds(probs: np.ndarray, tie_break_policy: str = "random", tol: float = 1e-5) -> np.ndarray:
    """Class ids from an ``(n, k)`` probability matrix; ties (within ``tol`` of the maximum) by Snorkel's policy.

    Snorkel's ``snorkel.utils.probs_to_preds``, same default (``"random"``, its deterministic hash).

    Parameters
    ----------
    probs : array (n, k)
        Probabilities, ``k >= 2``.
    tie_break_policy : {"random", "abstain", "true-random"}, default "random"
        ``"random"``: the tied class picked by ``sha1(str(row index))`` (deterministic); ``"abstain"``: ``-1``;
        ``"true-random"``: a random draw among the tied classes (from NumPy's global random state).
    tol : float, default 1e-5

    Returns
    -------
    numpy.ndarray of int64 (n,)

    Examples
    --------
    >>> probs_to_preds(np.array([[0.5, 0.5, 0.5]]), tie_break_policy="abstain")
    array([-1])
    >>> probs_to_preds(np.array([[0.8, 0.1, 0.1], [0.5, 0.5, 0.0]]))
    array([0, 1])
    """
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] <= 1:
        raise ParameterError(f"probs must have probabilities for at least 2 classes (shape (n, k), k >= 2); "
                             f"got shape {probs.shape}")
    policy = TIE_BREAK_POLICIES.get(tie_break_policy)
    if policy is None:
        raise ParameterError(f"tie_break_policy={tie_break_policy!r} policy not recognized; Snorkel's policies "
                             f"are {list(TIE_BREAK_POLICIES)}")
    seed = int(np.random.randint(2**31)) if policy == "seeded_random" else 0
    return break_ties(probs, policy, seed, tol=tol).astype(np.int64)


def preds_to_probs(preds: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot ``(n, num_classes)`` probabilities of class ids (Snorkel's ``preds_to_probs``; no abstains).

    Examples
    --------
    >>> preds_to_probs(np.array([1, 0]), 2).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    preds = np.asarray(preds)
    if np.any(preds < 0):
        raise ParameterError("Could not convert abstained vote to probability: preds holds -1; drop those rows")
    probs: np.ndarray = np.eye(num_classes)[preds.squeeze()]
    return probs


def to_int_label_array(X: Any, flatten_vector: bool = True) -> np.ndarray:
    """Labels as an int array, ``(n, 1)`` flattened to ``(n,)`` (Snorkel's ``to_int_label_array``).

    Examples
    --------
    >>> to_int_label_array(np.array([[1.0], [0.0]])).tolist()
    [1, 0]
    """
    labels: np.ndarray = np.asarray(X)
    if np.any(np.not_equal(np.mod(labels, 1), 0)):
        raise ParameterError("labels contain at least one non-integer value; pass class ids (-1 = abstain)")
    labels = labels.astype(np.int64)
    if flatten_vector:
        labels = labels.squeeze()
        if labels.ndim == 0:
            labels = np.expand_dims(labels, 0)
        if labels.ndim != 1:
            raise ParameterError(f"labels could not be converted to a 1-d array (shape {labels.shape})")
    return labels


def filter_unlabeled_dataframe(X: pd.DataFrame, y: np.ndarray, L: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``X`` and ``y`` that at least one LF voted on in ``L`` (Snorkel's ``filter_unlabeled_dataframe``).

    Examples
    --------
    >>> X, y = filter_unlabeled_dataframe(pd.DataFrame({"a": [1, 2]}), np.array([[0.3, 0.7], [0.5, 0.5]]),
    ...                                   np.array([[1, -1], [-1, -1]]))
    >>> X["a"].tolist(), y.tolist()
    ([1], [[0.3, 0.7]])
    """
    L = L.values if hasattr(L, "values") and not isinstance(L, np.ndarray) else np.asarray(L)
    if len(L) != len(X) or len(y) != len(X):
        raise ParameterError(f"filter_unlabeled_dataframe: X has {len(X)} rows, y {len(y)} and L {len(L)}; "
                             "pass the rows, their probabilities and their votes in the same order")
    mask = has_vote(L)
    return X.iloc[mask], np.asarray(y)[mask]


def get_label_buckets(*y: Any) -> dict[tuple[int, ...], np.ndarray]:
    """Row indices grouped by their combination of labels, e.g. ``buckets[(gold, pred)]`` (Snorkel's).

    The buckets are in the order their first row appears, each an int array of row indices.

    Examples
    --------
    >>> buckets = get_label_buckets(np.array([1, 1, 1, 0]), np.array([1, 1, -1, -1]))
    >>> buckets[(1, 1)].tolist(), buckets[(1, -1)].tolist(), (1, 0) in buckets
    ([0, 1], [2], False)
    """
    flat = [to_int_label_array(v, flatten_vector=True) for v in y]
    if len({len(v) for v in flat}) != 1:
        raise ParameterError(f"get_label_buckets: arrays must all have the same number of elements; got lengths "
                             f"{[len(v) for v in flat]}")
    if not len(flat[0]):
        return {}
    combos, first, inverse = np.unique(np.stack(flat, axis=1), axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")  # row indices grouped by combination, ascending in each group
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(combos)))[:-1])
    return {tuple(combos[b]): groups[b] for b in np.argsort(first, kind="stable")}  # NumPy ints, as Snorkel's


# -- Snorkel's scorer --------------------------------------------------------------------------------------------

# The metrics return what Snorkel's return (sklearn's values, NumPy scalars), so a script printing them prints the same.
def _coverage(preds: np.ndarray) -> Any:
    return np.sum(preds != ABSTAIN) / len(preds)


def _f1(golds: np.ndarray, preds: np.ndarray) -> Any:
    from sklearn.metrics import f1_score

    if golds.max() > 1:
        raise ParameterError("f1 not supported for multiclass. Try f1_micro or f1_macro instead.")
    return f1_score(golds, preds)


def _sk(name: str, **kwargs: Any) -> Callable[..., float]:
    def metric(golds: np.ndarray, preds: np.ndarray, **extra: Any) -> Any:
        import sklearn.metrics

        return getattr(sklearn.metrics, name)(golds, preds, **kwargs, **extra)
    return metric


def _roc_auc(golds: np.ndarray, probs: np.ndarray) -> Any:
    from sklearn.metrics import roc_auc_score

    if probs.shape[1] != 2:
        raise ParameterError("Metric roc_auc is currently only defined for binary problems.")
    return roc_auc_score(golds, probs[:, 1])


#: Snorkel's metrics (``snorkel.analysis.metrics.METRICS``): the function and what it reads.
METRICS: dict[str, tuple[Callable[..., float], tuple[str, ...]]] = {
    "accuracy": (_sk("accuracy_score"), ("golds", "preds")),
    "coverage": (_coverage, ("preds",)),
    "precision": (_sk("precision_score"), ("golds", "preds")),
    "recall": (_sk("recall_score"), ("golds", "preds")),
    "f1": (_f1, ("golds", "preds")),
    "f1_micro": (_sk("f1_score", average="micro"), ("golds", "preds")),
    "f1_macro": (_sk("f1_score", average="macro"), ("golds", "preds")),
    "fbeta": (_sk("fbeta_score"), ("golds", "preds")),
    "matthews_corrcoef": (_sk("matthews_corrcoef"), ("golds", "preds")),
    "roc_auc": (_roc_auc, ("golds", "probs")),
}


def metric_score(golds: np.ndarray | None = None, preds: np.ndarray | None = None, probs: np.ndarray | None = None,
                 metric: str = "accuracy", filter_dict: Mapping[str, Sequence[int]] | None = None,
                 **kwargs: Any) -> float:
    """One of Snorkel's metrics; ``filter_dict`` drops rows whose label is listed (Snorkel's ``metric_score``).

    Examples
    --------
    >>> metric_score(np.array([1, 0, 1]), np.array([1, -1, 0]), metric="accuracy",
    ...              filter_dict={"golds": [-1], "preds": [-1]})
    0.5
    """
    if metric not in METRICS:
        raise ParameterError(f"The metric you provided ({metric!r}) is not currently implemented; Snorkel's metrics "
                             f"are {sorted(METRICS)}")
    labels: dict[str, np.ndarray | None] = {
        "golds": None if golds is None else to_int_label_array(golds),
        "preds": None if preds is None else to_int_label_array(preds),
        "probs": None if probs is None else np.asarray(probs)}
    if filter_dict:
        unknown = set(filter_dict) - set(labels)
        if unknown:
            raise ParameterError(f"filter_dict must only include keys in ['golds', 'preds', 'probs']; got {unknown}")
        keep = np.ones(len(next(v for v in labels.values() if v is not None)), dtype=bool)
        for name, values in filter_dict.items():
            array = labels[name]
            if array is not None:
                keep &= ~np.isin(array, list(values))
        labels = {name: None if array is None else array[keep] for name, array in labels.items()}
    func, needs = METRICS[metric]
    missing = [name for name in needs if labels[name] is None]
    if missing:
        raise ParameterError(f"Metric {metric} requires access to {missing[0]}.")
    return func(*(labels[name] for name in needs), **kwargs)


class Scorer:
    """Snorkel's ``Scorer``: several metrics at once, rows with an abstain (gold or predicted) left out.

    ``coverage`` is computed on every row. Custom metrics are ``(golds, preds, probs) -> float`` functions.

    Examples
    --------
    >>> Scorer(["accuracy", "coverage"]).score(np.array([1, 0, 1]), np.array([1, -1, 1]))
    {'accuracy': 1.0, 'coverage': np.float64(0.6666666666666666)}
    """

    def __init__(self, metrics: Sequence[str] | None = None,
                 custom_metric_funcs: Mapping[str, Callable[..., float]] | None = None,
                 abstain_label: int | None = ABSTAIN) -> None:
        self.metrics: dict[str, Callable[..., float]] = {}
        for metric in metrics or ():
            if metric not in METRICS:
                raise ParameterError(f"Unrecognized metric: {metric!r}; Snorkel's metrics are {sorted(METRICS)}")
            filter_dict = ({} if abstain_label is None or metric == "coverage"
                           else {"golds": [abstain_label], "preds": [abstain_label]})
            self.metrics[metric] = _bind(metric, filter_dict)
        if custom_metric_funcs is not None:
            self.metrics.update(custom_metric_funcs)
        self.abstain_label = abstain_label

    def score(self, golds: np.ndarray, preds: np.ndarray | None = None,
              probs: np.ndarray | None = None) -> dict[str, float]:
        """Each metric's score, by name."""
        if len(golds) == 0:
            raise LabelModelError("Cannot score empty labels: Y has no rows")
        results: dict[str, float] = {}
        for name, metric in self.metrics.items():
            value: Any = metric(golds, preds, probs)
            if isinstance(value, dict):
                results.update(value)
            else:
                results[name] = value
        return results


def _bind(metric: str, filter_dict: Mapping[str, Sequence[int]]) -> Callable[..., float]:
    def score(golds: np.ndarray, preds: np.ndarray | None, probs: np.ndarray | None) -> float:
        return metric_score(golds, preds, probs, metric=metric, filter_dict=filter_dict)
    return score
