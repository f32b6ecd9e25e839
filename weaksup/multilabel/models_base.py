"""The multi-label label-model contract: ``fit(votes, *, dev=(dev_votes, Y_dev), seed)``, ``predict_proba``,
per-label ``thresholds_`` tuned on honest (cross-fitted) dev probabilities, and ``predict`` with exclusivity."""

from __future__ import annotations

import inspect
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np

from weaksup.errors import LabelModelError, NotFittedError
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.thresholds import agreement_thresholds, decide, tune_thresholds
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)

Dev = tuple[MultiLabelVotes, np.ndarray]


def check_gold(Y: Any, n: int, space: MultiLabelSpace, where: str = "Y_dev") -> np.ndarray:
    """``Y`` as an ``(n, k)`` bool array, or a :class:`~weaksup.errors.LabelModelError` naming the mismatch.

    Examples
    --------
    >>> check_gold([[1, 0]], 1, MultiLabelSpace(["a", "b"])).tolist()
    [[True, False]]
    """
    arr = np.asarray(Y)
    if arr.shape != (n, space.k):
        raise LabelModelError(f"{where} has shape {arr.shape}; expected ({n}, {space.k}): one row per dev vote row, "
                              f"one column per label {list(space.labels)}")
    if arr.dtype != bool and arr.size and not np.isin(arr, (0, 1)).all():
        raise LabelModelError(f"{where} must be bool (or 0/1): True where the row carries the label")
    return arr.astype(bool)


def f1_per_label(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``(k,)`` F1 of each label's decisions ``P`` against the gold ``Y`` (0 when neither has a positive).

    Examples
    --------
    >>> f1_per_label(np.array([[1, 0], [1, 0]], bool), np.array([[1, 0], [0, 1]], bool)).round(2).tolist()
    [0.67, 0.0]
    """
    tp = (Y & P).sum(axis=0)
    denominator = Y.sum(axis=0) + P.sum(axis=0)
    f1: np.ndarray = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
    return f1


def fold_ids(n: int, n_folds: int, seed: int) -> np.ndarray:
    """A seeded fold number ``0..n_folds-1`` for each of ``n`` rows (equal sizes, shuffled).

    Examples
    --------
    >>> np.bincount(fold_ids(10, 3, seed=0)).tolist()
    [4, 3, 3]
    """
    folds = np.empty(n, dtype=np.int64)
    folds[np.random.default_rng(seed).permutation(n)] = np.arange(n) % max(n_folds, 1)
    return folds


class MultiLabelModel(ABC):
    """Base of the multi-label label models (scikit-learn style: ``__init__`` stores parameters).

    Parameters (shared by every model)
    ----------------------------------
    n_folds : int
        Folds of the cross-fitting that gives honest dev probabilities for the thresholds (dev-aware models).
    min_positives, threshold_strength :
        Threshold shrinkage (:func:`~weaksup.multilabel.thresholds.tune_thresholds`).
    backoff : bool
        With dev gold, a label whose model decisions (thresholds cross-fitted too) are no better on dev than
        its majority vote, or that has fewer than ``min_positives`` dev positives, is decided by its majority
        vote instead, with the probabilities that decision has on dev (:attr:`backoff_`).
    """

    name: ClassVar[str] = "multilabel_model"
    #: ``fit`` learns from the dev gold (else the dev gold only tunes the thresholds).
    uses_dev_gold: ClassVar[bool] = False
    #: Thresholds are tuned on dev when it is given (else they stay at :attr:`base_threshold`).
    tunes_thresholds: ClassVar[bool] = True
    #: The threshold without dev gold.
    base_threshold: ClassVar[float] = 0.5
    space_: MultiLabelSpace
    lf_ids_: list[str]
    thresholds_: np.ndarray
    seed_: int
    #: ``(k,)`` the labels decided by their majority vote (see ``backoff``).
    backoff_: np.ndarray
    #: ``(k, 2)`` a backed-off label's probability on rows its majority says no / yes to.
    backoff_proba_: np.ndarray
    #: ``(k,)`` each label's dev F1 of its final decisions, cross-fitted (with backoff and dev gold; else unset).
    cv_f1_: np.ndarray
    #: ``(n_dev, k)`` the honest dev probabilities the thresholds were tuned on (before back-off; with dev gold
    #: only). In memory only: a saved model does not carry it.
    honest_dev_proba: np.ndarray

    def __init__(self, *, n_folds: int = 5, min_positives: int = 5, threshold_strength: float = 10.0,
                 backoff: bool = True) -> None:
        self.n_folds = n_folds
        self.min_positives = min_positives
        self.threshold_strength = threshold_strength
        self.backoff = backoff

    @classmethod
    def param_names(cls) -> list[str]:
        """The constructor parameters, in signature order."""
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor parameters: ``type(m)(**m.get_params())`` is an unfitted copy.

        Examples
        --------
        >>> from weaksup.multilabel.models import MultiLabelMajority
        >>> MultiLabelMajority().get_params()
        {'n_folds': 5, 'min_positives': 5, 'threshold_strength': 10.0, 'backoff': True}
        """
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; an unknown name is a :class:`~weaksup.errors.LabelModelError`."""
        for key, value in params.items():
            if key not in self.param_names():
                raise LabelModelError(f"{type(self).__name__} has no parameter {key!r}; its parameters are "
                                      f"{self.param_names()}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    def clone(self) -> Self:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    # ------------------------------------------------------------------ the contract
    def fit(self, votes: MultiLabelVotes, *, dev: Dev | None = None, seed: int = 0) -> Self:
        """Fit on ``votes`` (and the dev gold ``(dev_votes, Y_dev)`` when given); tune per-label thresholds on dev.

        Dev-aware models learn from the dev gold and their thresholds are tuned on cross-fitted dev
        probabilities (each dev row scored by a copy that did not see its labels); the others only use
        the dev gold for the thresholds.
        """
        self._check_params()
        if not isinstance(votes, MultiLabelVotes):
            raise LabelModelError(f"fit expects MultiLabelVotes; got {type(votes).__name__}")
        self.space_, self.lf_ids_, self.seed_ = votes.space, list(votes.lf_ids), int(seed)
        dev_votes, Y = self._check_dev(votes, dev)
        if self.uses_dev_gold and dev_votes is None:
            raise LabelModelError(f"{type(self).__name__} learns from dev gold: fit(votes, dev=(dev_votes, Y_dev)); "
                                  "without dev gold use 'majority' or 'dawid_skene'")
        self._fit(votes, dev_votes, Y)
        self.thresholds_ = np.full(votes.k, self.base_threshold)
        self.backoff_, self.backoff_proba_ = np.zeros(votes.k, dtype=bool), np.zeros((votes.k, 2))
        if dev_votes is not None and Y is not None and self.tunes_thresholds and len(Y):
            honest = self.dev_proba(votes, dev_votes, Y)
            self.honest_dev_proba = honest  # no trailing underscore: kept in memory, not in label_model.json
            yes, no = votes.counts()  # few dev positives: decide as the label's majority vote does
            fallback = agreement_thresholds(self._proba(votes), yes > no)
            self.thresholds_ = self._thresholds(honest, Y, fallback)
            if self.backoff:
                self._back_off(honest, dev_votes, Y, fallback)
        return self

    def _thresholds(self, proba: np.ndarray, Y: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        return tune_thresholds(proba, Y, min_positives=self.min_positives, strength=self.threshold_strength,
                               default=fallback)

    def cross_fitted_decisions(self, honest: np.ndarray, Y: np.ndarray, fallback: np.ndarray | None) -> np.ndarray:
        """``(n_dev, k)`` dev decisions, each fold's from thresholds tuned on the other folds (seeded folds)."""
        n_folds = max(min(self.n_folds, len(Y)), 2)
        folds = fold_ids(len(Y), n_folds, self.seed_ + 1)
        decided = np.zeros(Y.shape, dtype=bool)
        for f in range(n_folds):
            held = folds == f
            if fallback is None:
                decided[held] = honest[held] >= tune_thresholds(honest[~held], Y[~held],
                                                                strength=self.threshold_strength)
            else:
                decided[held] = honest[held] >= self._thresholds(honest[~held], Y[~held], fallback)
        return decided

    def _back_off(self, honest: np.ndarray, dev_votes: MultiLabelVotes, Y: np.ndarray, fallback: np.ndarray) -> None:
        """Compare each label's cross-fitted model decisions with its majority vote on dev; back off where no better."""
        decided = self.cross_fitted_decisions(honest, Y, fallback)
        yes, no = dev_votes.counts()
        majority = yes > no
        model_f1, majority_f1 = f1_per_label(Y, decided), f1_per_label(Y, majority)
        self.backoff_ = (model_f1 <= majority_f1) | (Y.sum(axis=0) < self.min_positives)
        self.cv_f1_ = np.where(self.backoff_, majority_f1, model_f1)
        rate = (Y.sum(axis=0) + 0.5) / (len(Y) + 1.0)
        for c in np.flatnonzero(self.backoff_):
            on = majority[:, c]
            p_yes = (Y[on, c].sum() + rate[c]) / (on.sum() + 1.0)
            p_no = (Y[~on, c].sum() + rate[c]) / ((~on).sum() + 1.0)
            self.backoff_proba_[c] = p_no, max(p_yes, p_no + 1e-6)
            self.thresholds_[c] = self.backoff_proba_[c].mean()
        logger.info("%s: %d of %d labels back off to their majority vote: %s", type(self).__name__,
                    int(self.backoff_.sum()), len(self.backoff_),
                    [self.space_.labels[c] for c in np.flatnonzero(self.backoff_)])

    def dev_proba(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes, Y: np.ndarray) -> np.ndarray:
        """Honest ``(n_dev, k)`` dev probabilities: cross-fitted for a dev-aware model, else its own."""
        n_folds = min(self.n_folds, len(Y))
        if not self.uses_dev_gold or n_folds < 2:
            return self._proba(dev_votes)
        proba = np.zeros((len(Y), votes.k))
        folds = fold_ids(len(Y), n_folds, self.seed_)
        for f in range(n_folds):
            held = folds == f
            copy = self.clone()
            copy.space_, copy.lf_ids_, copy.seed_ = self.space_, self.lf_ids_, self.seed_
            self._share(copy)
            copy._fit(votes, dev_votes.take(np.flatnonzero(~held)), Y[~held])
            proba[held] = copy._proba(dev_votes.take(np.flatnonzero(held)))
        return proba

    def _share(self, copy: MultiLabelModel) -> None:
        """Hand a cross-fitting copy the state that does not depend on the dev labels (nothing by default)."""
        return None

    @abstractmethod
    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        """Learn the model's state (the thresholds are the base class's business)."""

    @abstractmethod
    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        """``(n, k)`` the model's own probabilities (before any back-off)."""

    def predict_proba(self, votes: MultiLabelVotes) -> np.ndarray:
        """``(n, k)`` probability that each row carries each label."""
        proba = self._proba(votes)
        backoff = getattr(self, "backoff_", None)
        if backoff is not None and backoff.any():
            yes, no = votes.counts()
            cols = np.flatnonzero(backoff)
            proba[:, cols] = np.where(yes[:, cols] > no[:, cols], self.backoff_proba_[cols, 1],
                                      self.backoff_proba_[cols, 0])
        return proba

    def predict(self, votes: MultiLabelVotes) -> np.ndarray:
        """``(n, k)`` bool label sets: probabilities at or above the thresholds, exclusivity and the none label."""
        return decide(self.predict_proba(votes), self.thresholds_, self.space_)

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        name = type(self).__name__
        if not isinstance(self.n_folds, int) or self.n_folds < 1:
            raise LabelModelError(f"{name}: n_folds must be a whole number >= 1; got {self.n_folds!r}")
        if not isinstance(self.min_positives, int) or self.min_positives < 0:
            raise LabelModelError(f"{name}: min_positives must be a whole number >= 0; got {self.min_positives!r}")
        if not isinstance(self.backoff, bool):
            raise LabelModelError(f"{name}: backoff must be True or False; got {self.backoff!r}")
        if not isinstance(self.threshold_strength, (int, float)) or self.threshold_strength < 0:
            raise LabelModelError(f"{name}: threshold_strength must be >= 0; got {self.threshold_strength!r}")

    def _check_dev(self, votes: MultiLabelVotes, dev: Dev | None) -> tuple[MultiLabelVotes | None, np.ndarray | None]:
        if dev is None:
            return None, None
        if not isinstance(dev, tuple) or len(dev) != 2 or not isinstance(dev[0], MultiLabelVotes):
            raise LabelModelError("dev must be a tuple (dev_votes: MultiLabelVotes, Y_dev: (n_dev, k) bool)")
        dev_votes, Y = dev
        if dev_votes.lf_ids != votes.lf_ids or dev_votes.space != votes.space:
            raise LabelModelError("dev votes must have the same LFs (in order) and label space as the votes; "
                                  f"got {dev_votes.lf_ids[:3]}... vs {votes.lf_ids[:3]}...")
        return dev_votes, check_gold(Y, dev_votes.n, votes.space)

    def _check_votes(self, votes: MultiLabelVotes) -> MultiLabelVotes:
        if not hasattr(self, "space_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(votes) first")
        if not isinstance(votes, MultiLabelVotes) or votes.lf_ids != self.lf_ids_ or votes.space != self.space_:
            got = votes.lf_ids[:3] if isinstance(votes, MultiLabelVotes) else type(votes).__name__
            raise LabelModelError(f"{type(self).__name__} was fitted on the LFs {self.lf_ids_[:3]}... and labels "
                                  f"{list(self.space_.labels)[:3]}...; predict got {got}")
        return votes
