"""Label models that learn from a dev gold split (the WRENCH ``valid`` split stands for it); never the test split.

Each one is fitted as ``fit(L, L_dev=..., y_dev=...)``: ``L`` holds the (unlabeled) votes the
labels are for, ``L_dev``/``y_dev`` the votes and gold class ids of the dev rows. With
``metric="f1"`` (two classes, positive class 1) the decision threshold on ``P(class 1)`` is the
one that maximises F1 on out-of-fold dev predictions; ``predict_proba`` is unchanged by it.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, as_votes, break_ties
from weaksup.models.fitting import out_of_fold_predict

logger = logging.getLogger(__name__)

METRICS = ("acc", "f1")


def check_dev(model: DevAwareModel, L: Any, L_dev: Any, y_dev: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the parameters, the votes and the dev gold of a dev-aware model; set ``cardinality_`` and ``n_lfs_``."""
    model.check_params()
    name = type(model).__name__
    if L_dev is None or y_dev is None:
        raise LabelModelError(
            f"{name} needs dev gold labels: fit(L, L_dev=<dev votes>, y_dev=<dev class ids>); "
            "without a dev set use MajorityVote or DawidSkene"
        )
    arr = as_votes(L, model.cardinality)
    dev = as_votes(L_dev, model.cardinality, where="L_dev")
    y = np.asarray(y_dev)
    if y.size == 0:
        y = y.astype(np.int64)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or dev.shape[1] != arr.shape[1] or len(dev) != len(y):
        raise LabelModelError(
            f"dev votes have shape {dev.shape} and y_dev shape {y.shape} ({y.dtype}); expected "
            f"(n_dev, {arr.shape[1]}) votes and n_dev integer class ids"
        )
    y = y.astype(np.int64)
    # without a cardinality the classes are those the votes reach: a y_dev id above them (a typo, another label
    # space's ids) would silently add classes no LF can vote for, so it is refused naming the parameter to pass
    k = model.cardinality or max(2, int(max(arr.max(initial=0), dev.max(initial=0))) + 1)
    if model.cardinality is None and len(y) and y.max() >= k:
        raise LabelModelError(
            f"y_dev holds class id(s) {sorted(set(y[y >= k].tolist()))}, but the votes (L, L_dev) only reach classes "
            f"0..{k - 1} and {name} was given no cardinality: pass the number of classes, e.g. "
            f"{name}(cardinality={int(y.max()) + 1}), or fix y_dev"
        )
    if len(y) and (y.min() < 0 or y.max() >= k):
        raise LabelModelError(
            f"y_dev holds {sorted(set(y.tolist()) - set(range(k)))}, outside classes 0..{k - 1}; "
            "drop unlabeled dev rows (-1) before fitting"
        )
    if model.metric == "f1" and k != 2:
        raise LabelModelError(f"metric='f1' is binary F1 (positive class 1) and needs 2 classes; got {k}")
    model.cardinality_, model.n_lfs_ = k, arr.shape[1]
    return arr, dev, y


def refit_out_of_fold(model: BaseLabelModel, L: np.ndarray, dev: np.ndarray, y: np.ndarray, n_folds: int,
                      overrides: Mapping[str, Any] | None = None) -> np.ndarray:
    """``P(y | votes)`` of every dev row from a copy of the fitted dev-aware ``model`` (its parameters, then
    ``overrides``) fitted without the row's fold; in-sample when there are fewer than 2 dev rows."""
    params = {**model.get_params(deep=False), "cardinality": model.cardinality_, **(overrides or {})}
    if "metric" in params:
        params["metric"] = "acc"  # no nested threshold tuning
    copy = type(model)(**params)
    if min(n_folds, len(y)) < 2:  # too few dev rows to hold any out: in-sample
        fit: Callable[..., BaseLabelModel] = copy.fit  # a dev-aware class: takes L_dev, y_dev
        return fit(L, L_dev=dev, y_dev=y).predict_proba(dev)
    return out_of_fold_predict(copy, dev, y, L=L, n_splits=n_folds, seed=copy.seed).proba  # overrides' seed


def brier_score(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean squared distance between the probabilities and the one-hot gold labels (lower is better)."""
    return float(((proba - np.eye(proba.shape[1])[y]) ** 2).sum(axis=1).mean()) if len(y) else 0.0


def f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The threshold on ``P(class 1)`` with the best binary F1 on ``(scores, y)``.

    Among equally good cut points the highest wins; the threshold sits halfway between the
    lowest score kept positive and the next lower score (``0.0`` keeps every row positive).

    Examples
    --------
    >>> f1_threshold(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0]))
    0.55
    """
    if not len(scores) or not (y == 1).any():
        return 1.0 + 1e-9  # nothing to find: predict no positive
    order = np.argsort(-scores, kind="stable")
    ranked = -scores[order]  # ascending
    distinct = np.unique(ranked)  # the distinct scores, highest first (negated)
    kept = np.searchsorted(ranked, distinct, side="right")  # rows predicted positive at each cut
    tp = np.cumsum(y[order] == 1)[kept - 1]
    f1 = 2 * tp / (kept + (y == 1).sum())
    best = int(np.flatnonzero(f1 == f1.max())[0])
    if best + 1 == len(distinct):
        return 0.0
    return float(-(distinct[best] + distinct[best + 1]) / 2)


def coarse_f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """``0.5`` (the most probable class) or ``0.0`` (every row positive), whichever has the better binary F1 on
    ``(scores, y)`` (``0.5`` on a tie): the threshold for a dev split with too few rows of a class to place a
    finer one (:func:`f1_threshold` then fits the few rows it has).

    Examples
    --------
    >>> coarse_f1_threshold(np.array([0.9, 0.2, 0.1, 0.1]), np.array([1, 0, 0, 0]))
    0.5
    >>> coarse_f1_threshold(np.array([0.1, 0.2, 0.1, 0.1]), np.array([1, 0, 0, 0]))  # argmax finds no positive
    0.0
    """
    def f1(pred: np.ndarray) -> float:
        return 2 * int((pred & (y == 1)).sum()) / max(int(pred.sum()) + int((y == 1).sum()), 1)

    return 0.5 if f1(scores >= 0.5) >= f1(np.ones(len(y), dtype=bool)) else 0.0


class DevAwareModel(BaseLabelModel):
    """Base of the models that learn from dev gold: ``fit(L, *, L_dev, y_dev)``, and the ``metric``/``threshold_``
    handling they share."""

    uses_dev_gold = True
    parameter_constraints: ClassVar[Mapping[str, Mapping[str, Any] | tuple[Any, ...]]] = {
        "metric": METRICS, "n_folds": {"low": 1, "integer": True}}
    metric: str
    n_folds: int
    #: With ``metric="f1"``: class 1 iff ``P(class 1) >= threshold_``; else None.
    threshold_: float | None

    @abstractmethod
    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Fit on the votes ``L`` and the dev gold rows (``L_dev`` votes, ``y_dev`` class ids)."""

    def _honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Dev probabilities from models that did not see those rows' labels."""
        return refit_out_of_fold(self, L, dev, y, self.n_folds)

    def honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        """``(n_dev, k)`` out-of-fold dev probabilities of this fitted model's settings, folds drawn with ``seed``
        (one repeat of a repeated cross-validation; :class:`~weaksup.models.DevSelector` scores candidates so)."""
        return refit_out_of_fold(self, L, dev, y, self.n_folds, {"seed": seed})

    def _tune_threshold(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray) -> None:
        self.threshold_ = None
        if self.metric == "f1" and len(y):
            self.threshold_ = f1_threshold(self._honest_dev_proba(L, dev, y)[:, 1], y)

    def predict(self, L: Any, *, tie_break: str = "abstain") -> np.ndarray:
        """Class ids; with a tuned F1 threshold, class 1 iff ``P(class 1) >= threshold_`` (no ties then)."""
        proba = self.predict_proba(L)
        threshold = getattr(self, "threshold_", None)
        if threshold is not None:
            preds: np.ndarray = (proba[:, 1] >= threshold).astype(np.int64)
            return preds
        return break_ties(proba, tie_break, self.seed)


class DevWeightedVote(DevAwareModel):
    """Weighted vote with each LF's weight from its accuracy on dev gold.

    Each LF's accuracy is measured on the dev rows where it votes, shrunk toward
    ``prior_accuracy`` with ``prior_strength`` pseudo-votes (so an LF seen on few dev rows
    stays near the prior). A vote for class ``c`` by LF ``j`` adds
    ``log(a_j) - log((1 - a_j) / (k - 1))`` to class ``c`` (a naive-Bayes "one coin"
    model; abstains carry no evidence).

    Parameters
    ----------
    cardinality : int, optional
    prior_accuracy : float, default 0.7
    prior_strength : float, default 5.0
    metric : {"acc", "f1"}, default "acc"
        What predictions should be good at; ``"f1"`` tunes the binary threshold on dev.
    n_folds : int, default 5
        Folds of the out-of-fold dev predictions the F1 threshold is tuned on.
    seed : int, default 0

    Examples
    --------
    >>> L_dev, y_dev = [[0, 1, -1], [1, 1, 0], [0, 0, 0], [1, 0, 1]], [0, 1, 0, 1]
    >>> model = DevWeightedVote(cardinality=2).fit([[0, 1, 1]], L_dev=L_dev, y_dev=y_dev)
    >>> model.accuracy_.round(2).tolist()
    [0.83, 0.61, 0.69]
    >>> model.predict([[0, 1, 1], [1, 0, -1]]).tolist()  # LF 0 (4/4 right on dev) outweighs LFs 1 and 2
    [0, 1]
    """

    name = "DevWeightedVote"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("accuracy_", "threshold_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "prior_accuracy": {"low": 0, "high": 1},
                             "prior_strength": {"low": 0}}
    accuracy_: np.ndarray

    def __init__(self, cardinality: int | None = None, *, prior_accuracy: float = 0.7, prior_strength: float = 5.0,
                 metric: str = "acc", n_folds: int = 5, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.prior_accuracy = prior_accuracy
        self.prior_strength = prior_strength
        self.metric = metric
        self.n_folds = n_folds

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Measure LF accuracies on the dev gold rows (``L`` fixes the shape; it needs no labels)."""
        arr, dev, y = check_dev(self, L, L_dev, y_dev)
        voted = dev >= 0
        correct = (dev == y[:, None]) & voted
        strength = self.prior_strength
        self.accuracy_ = (correct.sum(axis=0) + strength * self.prior_accuracy) / (voted.sum(axis=0) + strength)
        self._tune_threshold(arr, dev, y)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        k = self.cardinality_
        acc = np.clip(np.asarray(self.accuracy_, dtype=np.float64), 1e-3, 1 - 1e-3)
        weight = np.log(acc) - np.log((1 - acc) / (k - 1))
        scores = np.zeros((len(arr), k))
        for j in range(arr.shape[1]):
            voted = arr[:, j] >= 0
            scores[np.flatnonzero(voted), arr[voted, j]] += weight[j]
        scores -= scores.max(axis=1, keepdims=True)
        proba: np.ndarray = np.exp(scores)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba


def trusted_lfs(dev: np.ndarray, y: np.ndarray, several: np.ndarray | None = None) -> np.ndarray:
    """``(m,)`` the LFs not shown by the dev rows to be wrong on most of their votes (the chance that an LF is right
    on half its votes or more, with a uniform prior on its precision, is at least 5%), and those that vote several
    classes (``several``, ``(m,)`` bool: crowd workers, classifiers, trusted as a whole).

    Examples
    --------
    >>> dev = np.array([[0, 1, 1]] * 3 + [[1, 1, -1]] * 5)  # right on 3 of 8 votes, 0 of 8, 0 of 3
    >>> trusted_lfs(dev, np.array([0] * 8)).tolist(), trusted_lfs(np.tile(dev, (2, 1)), np.zeros(16, int)).tolist()
    ([True, False, True], [True, False, False])
    """
    from scipy.stats import beta

    voted = np.count_nonzero(dev >= 0, axis=0)
    right = np.count_nonzero((dev >= 0) & (dev == np.asarray(y)[:, None]), axis=0)
    trusted: np.ndarray = beta.sf(0.5, right + 1, voted - right + 1) >= 0.05
    return trusted if several is None else trusted | np.asarray(several, dtype=bool)


def untrusted_note(model: Any, lf_names: Sequence[str]) -> str | None:
    """The warning naming the LFs a fitted model's dev gold shows wrong on most of their votes (``trusted_`` False)
    while ``restrict_to_voted=True`` lets them force their class, with the fix for a run config and for a
    notebook's Workbench; None when there are none (:func:`warn_untrusted` logs it).

    Examples
    --------
    >>> from weaksup.models import DevNaiveBayes
    >>> L = np.array([[1, -1], [1, 0], [-1, 0], [1, -1]] * 10)  # LF 0 votes 1: right on 10 of its 30 votes
    >>> model = DevNaiveBayes(2).fit(L, L_dev=L, y_dev=np.array([0, 0, 0, 1] * 10))
    >>> print(untrusted_note(model, ["late_report", "small"]))  # doctest: +ELLIPSIS
    LF(s) ['late_report'] vote one class ... label_model=DevNaiveBayes(restrict_to_voted="trusted") in a Workbench ...
    """
    trusted = getattr(model, "trusted_", None)
    restrict = getattr(model, "restrict_to_voted", None)
    if trusted is None or restrict == "trusted" or not restrict or np.all(trusted):
        return None
    names = [str(lf_names[int(j)]) for j in np.flatnonzero(~np.asarray(trusted, dtype=bool))]
    name = type(model).__name__
    return (f"LF(s) {names} vote one class and the dev gold shows them wrong on most of their votes; the label model "
            f"({name}, restrict_to_voted = true) gives every row only they vote on their class, at one confidence. "
            "Fix or drop these LFs, or set [label_model.params] restrict_to_voted = \"trusted\" in the run config, "
            f"or label_model={name}(restrict_to_voted=\"trusted\") in a Workbench (their votes then count as evidence "
            "without forcing their class)")


def warn_untrusted(model: Any, lf_names: Sequence[str]) -> str | None:
    """Log (and return) :func:`untrusted_note`: the warning naming the LFs a fitted model's dev gold shows wrong on
    most of their votes while ``restrict_to_voted=True`` lets them force their class; None when there are none.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> warn_untrusted(MajorityVote(2).fit(np.array([[0], [1]])), ["kw"]) is None  # (no trusted_: nothing to say)
    True
    """
    note = untrusted_note(model, lf_names)
    if note is not None:
        logger.warning("%s", note)
    return note
