"""Label models that learn from a dev gold split (the WRENCH ``valid`` split stands for it); never the test split.

Each one is fitted as ``fit(L, L_dev=..., y_dev=...)``: ``L`` holds the (unlabeled) votes the
labels are for, ``L_dev``/``y_dev`` the votes and gold class ids of the dev rows. With
``metric="f1"`` (two classes, positive class 1) the decision threshold on ``P(class 1)`` is the
one that maximises F1 on out-of-fold dev predictions; ``predict_proba`` is unchanged by it.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.labels import ABSTAIN
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
    k = model.cardinality or max(2, int(max(arr.max(initial=0), dev.max(initial=0), y.max(initial=0))) + 1)
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
    return out_of_fold_predict(copy, dev, y, L=L, n_splits=n_folds, seed=model.seed).proba


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


class DevNaiveBayes(DevAwareModel):
    """Naive Bayes over each LF's outcome (its vote, or abstaining), counted on dev gold; weaksup's default.

    For every LF ``j``, class ``y`` and outcome ``o`` (abstain or a class), ``P(o | y)`` is the
    dev count of rows of class ``y`` where LF ``j`` had outcome ``o``, plus ``smoothing``
    pseudo-rows spread as LF ``j``'s outcomes are over all rows (dev and ``L``, labels unused):
    an LF seen on few dev rows says little, an LF that fires more on one class says so even if
    it never votes for it, and a vote never seen on dev is not impossible. The class prior is
    the dev class balance (plus one per class). The posterior multiplies the prior and each LF's
    ``P(o | y)``. With ``restrict_to_voted`` (default), a row with votes gets probability 0 for
    classes no LF voted for: the model reweights the LFs but never overrules all of them, which
    keeps it close to majority vote when the dev split is small or differs from the data.

    With ``unlabeled="auto"`` the same tables are also learned without labels from ``L`` by EM
    (:class:`DawidSkene`); they replace the dev-counted ones
    only if they predict the dev gold better (lower Brier score than the out-of-fold dev
    predictions, before any restriction). That wins when ``L`` is large and the LFs behave
    as the model assumes; the dev counts win when they do not (the usual case on WRENCH).

    Parameters
    ----------
    cardinality : int, optional
        The number of classes (else inferred from the votes and ``y_dev``).
    smoothing : float, default 3.0
        Pseudo-rows of the shrinkage toward "the LF fires the same on every class"; must be > 0.
    restrict_to_voted : bool, default True
        Only voted-for classes can be predicted on rows with votes.
    unlabeled : {"auto", "ignore"}, default "auto"
        Whether to try tables learned from ``L`` without labels (see above).
    max_unlabeled : int, default 100_000
        At most this many rows of ``L`` (a seeded sample) are used for the smoothing (the EM sees every row).
    metric : {"acc", "f1"}, default "acc"
        ``"f1"`` (two classes) tunes the threshold on ``P(class 1)`` for binary F1 on dev.
    n_folds : int, default 5
        Folds of the out-of-fold dev predictions the F1 threshold is tuned on.
    seed : int, default 0
        Seeds the folds, the EM sample and ``predict(tie_break="seeded_random")``.

    Examples
    --------
    >>> L_dev = [[0, 0, 1], [1, 1, 0], [0, 1, -1], [1, 0, 1], [0, -1, 0], [1, 1, -1], [-1, 0, 1], [0, 1, 1]] * 4
    >>> y_dev = [0, 1, 0, 1, 0, 1, 0, 0] * 4  # LF 0 is right whenever it votes, LFs 1 and 2 are noisy
    >>> model = DevNaiveBayes(cardinality=2).fit([[0, 1, 1], [1, -1, 0]] * 10, L_dev=L_dev, y_dev=y_dev)
    >>> model.source_, model.predict_proba([[0, 1, 1], [-1, -1, -1]]).round(2).tolist()
    ('dev', [[0.93, 0.07], [0.98, 0.02]])
    >>> model.predict([[0, 1, 1], [1, 0, 0]]).tolist()  # LF 0 outweighs the two others
    [0, 1]
    """

    name = "DevNaiveBayes"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("class_prior_", "log_conditional_", "source_", "dev_brier_", "threshold_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "smoothing": {"low": 0, "low_open": True},
                             "restrict_to_voted": (True, False), "unlabeled": ("auto", "ignore"),
                             "max_unlabeled": {"low": 1, "integer": True}}
    class_prior_: np.ndarray
    log_conditional_: np.ndarray
    source_: str
    dev_brier_: dict[str, float] | None

    def __init__(self, cardinality: int | None = None, *, smoothing: float = 3.0, restrict_to_voted: bool = True,
                 unlabeled: str = "auto", max_unlabeled: int = 100_000, metric: str = "acc", n_folds: int = 5,
                 seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.smoothing = smoothing
        self.restrict_to_voted = restrict_to_voted
        self.unlabeled = unlabeled
        self.max_unlabeled = max_unlabeled
        self.metric = metric
        self.n_folds = n_folds

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Count each LF's outcomes per class on the dev gold rows (and, with ``unlabeled="auto"``, try EM on ``L``)."""
        full, dev, y = check_dev(self, L, L_dev, y_dev)
        arr = full
        if len(arr) > self.max_unlabeled:  # a seeded sample of L is plenty for the smoothing's spread
            rows = np.random.default_rng(self.seed).choice(len(arr), self.max_unlabeled, replace=False)
            arr = arr[np.sort(rows)]
        self.log_conditional_, self.class_prior_ = self._dev_tables(arr, dev, y)
        self.source_, self.dev_brier_ = "dev", None
        if self.unlabeled == "auto" and len(arr) and len(y):
            self._try_unlabeled(full, arr, dev, y)
        self._tune_threshold(arr, dev, y)
        return self

    def _dev_tables(self, arr: np.ndarray, dev: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log P(outcome o of LF j | class y)`` as ``(m, k, k + 1)`` and the class prior, from dev counts."""
        k, m = self.cardinality_, self.n_lfs_
        width = k + 1  # outcome o = vote + 1: 0 is abstain
        # how each LF's outcomes are spread over all rows, with half a row per outcome so none is impossible
        seen, seen_dev = (np.stack([(part == o - 1).sum(axis=0) for o in range(width)], axis=1) for part in (arr, dev))
        spread = 0.5 + (seen + seen_dev)
        spread = (spread / spread.sum(axis=1, keepdims=True))[:, None, :]
        # dev counts[j, y, o], one bincount over all (row, LF) pairs
        cells = (np.arange(m) * width + y[:, None] * (m * width)) + dev + 1
        counts = np.bincount(cells.ravel(), minlength=k * m * width).reshape(k, m, width).transpose(1, 0, 2)
        table = (counts + self.smoothing * spread) / (counts.sum(axis=2, keepdims=True) + self.smoothing)
        return np.log(table), (np.bincount(y, minlength=k) + 1.0) / (len(y) + k)

    def _try_unlabeled(self, full: np.ndarray, arr: np.ndarray, dev: np.ndarray, y: np.ndarray) -> None:
        """Replace the dev tables by EM tables from all of ``L`` (``full``, fitted on its distinct rows with their
        counts) if those predict the dev gold better (Brier); ``arr`` is the sample the dev tables were smoothed on."""
        from weaksup.models.dawid_skene import DawidSkene, naive_bayes_proba
        from weaksup.models.fitting import fit_label_model

        em = fit_label_model(DawidSkene(self.cardinality_, seed=self.seed), full)
        em_log_conditional, em_prior = np.log(em.confusion_), em.class_prior_
        from_dev = refit_out_of_fold(self, arr, dev, y, self.n_folds, {"restrict_to_voted": False, "unlabeled": "ignore"})
        from_em = naive_bayes_proba(dev, em_log_conditional, np.log(em_prior))
        brier = self.dev_brier_ = {"dev": brier_score(from_dev, y), "unlabeled": brier_score(from_em, y)}
        if brier["unlabeled"] < brier["dev"]:
            self.log_conditional_, self.class_prior_, self.source_ = em_log_conditional, em_prior, "unlabeled"
        logger.info("DevNaiveBayes dev Brier %s: tables from %s", self.dev_brier_, self.source_)

    def _honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.honest_dev_proba(L, dev, y, self.seed)

    def honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        if self.source_ == "unlabeled":  # EM never saw the dev labels
            return self.predict_proba(dev)
        return refit_out_of_fold(self, L, dev, y, self.n_folds, {"unlabeled": "ignore", "seed": seed})

    def predict_proba(self, L: Any) -> np.ndarray:
        from weaksup.models.dawid_skene import naive_bayes_scores, outcome_matrix, softmax_rows, vote_counts

        arr = self._check_L(L)
        outcomes = outcome_matrix(arr, self.cardinality_)
        log_prior = np.log(np.asarray(self.class_prior_, dtype=np.float64))
        scores = naive_bayes_scores(outcomes, np.asarray(self.log_conditional_, dtype=np.float64), log_prior)
        if self.restrict_to_voted:
            votes = vote_counts(outcomes, self.n_lfs_, self.cardinality_)
            scores[(votes == 0) & (arr != ABSTAIN).any(axis=1)[:, None]] = -np.inf
        return softmax_rows(scores)
