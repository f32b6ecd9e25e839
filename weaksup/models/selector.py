"""Choosing the label model by repeated cross-validation on dev gold: :class:`DevSelector`, weaksup's default."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, break_ties
from weaksup.models.dev import DevAwareModel, check_dev, f1_threshold
from weaksup.models.calibrate import IDENTITY, calibrated, cross_fitted_calibration
from weaksup.models.fitting import fit_label_model
from weaksup.models.sampling import multiset_sample

logger = logging.getLogger(__name__)

#: Resamples of the dev rows behind each standard error of a score difference.
N_BOOTSTRAP = 200
#: At most this many rows of ``L`` (a seeded sample) are given to the cross-validation refits of the dev-aware
#: candidates (which learn from the dev rows; ``L`` only smooths their tables).
CV_ROWS = 20_000
#: ``candidates="auto"`` with two classes: Dawid-Skene is the fallback. Its two-class tables (how often each LF
#: votes each way, or abstains, on each class) are well determined by the votes, and in repeated half/half splits
#: of the WRENCH-format dev sets it predicted held-out rows better than majority vote on most two-class sets.
AUTO_BINARY = ("DawidSkene", "MajorityVote", "DevWeightedVote", "DevNaiveBayes")
#: ``candidates="auto"`` with more classes: majority vote is the fallback. With ``k`` classes EM must find
#: ``k (k + 1)`` numbers per LF; from LFs that each vote one class it overrules them (TREC, ChemProt, DomainNet).
AUTO_MULTICLASS = ("MajorityVote", "DawidSkene", "DevWeightedVote", "DevNaiveBayes")


class DevSelector(DevAwareModel):
    """Pick the label model that predicts the dev gold best: the fallback unless another is clearly better.

    Every candidate gets honest dev predictions: an unsupervised one is fitted on ``L`` and never
    sees a dev label; a dev-aware one is refitted ``n_repeats`` times ``n_folds``-fold (stratified,
    each repeat with other folds; with at most :data:`CV_ROWS` rows of ``L``) and predicts each dev
    row from the fits without it. Its score is the mean over repeats of the metric on those
    predictions. The rule is "within noise, the simpler": ``candidates`` run from the fallback
    (Dawid-Skene or majority vote) to the most complex, and the first whose score is within
    ``n_se`` standard errors plus ``margin`` points of the best score wins (the standard error of
    the paired difference, from bootstrap resamples of the dev rows). So a richer model replaces
    the fallback only when the dev rows show more than noise, which a small dev split seldom does.

    The winner, fitted on ``L`` and all dev rows, answers ``predict_proba``, calibrated on its
    out-of-fold dev predictions (``calibrate=True``): mixed with the uniform distribution (a weight
    from :data:`weaksup.models.calibrate.MIXES`) and at the temperature of :func:`weaksup.calibration.fit_temperature`,
    whichever pair fits the dev gold best (likelihood). The calibration is kept only if, fitted on
    one half of the dev rows and applied to the other (both ways), it lowers their expected
    calibration error. It never changes a row's most probable class. With ``metric="f1"`` the
    threshold on ``P(class 1)`` is tuned on the same (calibrated) out-of-fold predictions.

    Parameters
    ----------
    cardinality : int, optional
    candidates : "auto" or sequence of str
        Names in :data:`weaksup.models.MODELS`, the fallback first, then the others from the simplest:
        ``"auto"`` is Dawid-Skene (learns from ``L`` only) then majority vote (learns nothing) for two
        classes, the other way round for more, then :class:`DevWeightedVote` and :class:`DevNaiveBayes`
        (which learn more and more from the dev gold). Majority vote is always among them.
    n_se : float, default 0.5
        How many standard errors a more complex candidate must gain to be preferred (0.5 predicted held-out
        dev rows better than 0 or 1 in repeated half/half splits of the WRENCH-format dev sets).
    margin : float, default 0.0
        Dev points (accuracy or F1, in %) a more complex candidate must gain beyond ``n_se`` standard errors.
    n_repeats : int, default 3
        Repeats of the cross-validation of the dev-aware candidates.
    calibrate : bool, default True
        Calibrate the winner's probabilities on its out-of-fold dev predictions (see above).
    metric : {"acc", "f1"}, default "acc"
    n_folds : int, default 5
    seed : int, default 0

    Examples
    --------
    >>> L_dev = [[0, 0, 1], [1, 1, 0], [0, 1, -1], [1, 0, 1], [0, -1, 0], [1, 1, -1], [-1, 0, 1], [0, 1, 1]] * 8
    >>> y_dev = [0, 1, 0, 1, 0, 1, 0, 0] * 8  # LF 0 is always right, LFs 1 and 2 are noisy
    >>> model = DevSelector(cardinality=2).fit(L_dev, L_dev=L_dev, y_dev=y_dev)
    >>> model.selected_, model.dev_scores_["MajorityVote"], model.predict([[0, 1, 1]]).tolist()
    ('DevWeightedVote', 71.875, [0])
    """

    name = "DevSelector"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("selected_", "dev_scores_", "dev_se_", "best_estimator_", "mix_", "temperature_", "threshold_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "n_se": {"low": 0}, "margin": {},
                             "n_repeats": {"low": 1, "integer": True}, "calibrate": (True, False)}
    selected_: str
    dev_scores_: dict[str, float]
    dev_se_: dict[str, float]
    best_estimator_: BaseLabelModel
    temperature_: float
    mix_: float

    def __init__(self, cardinality: int | None = None, *,
                 candidates: Sequence[str] | str = "auto",
                 n_se: float = 0.5, margin: float = 0.0, n_repeats: int = 3, calibrate: bool = True,
                 metric: str = "acc", n_folds: int = 5, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.candidates = candidates
        self.n_se = n_se
        self.margin = margin
        self.n_repeats = n_repeats
        self.calibrate = calibrate
        self.metric = metric
        self.n_folds = n_folds

    def _make(self, name: str) -> BaseLabelModel:
        from weaksup.models import MODELS

        if name not in MODELS or name == type(self).__name__:
            raise LabelModelError(f"unknown candidate {name!r}; choose from {sorted(set(MODELS) - {'DevSelector'})}")
        model = MODELS[name](cardinality=self.cardinality_, seed=self.seed)
        accepted = model.get_params(deep=False)
        # the candidates' own thresholds stay off (the selector tunes one), and DevNaiveBayes does not try EM
        # tables of its own (Dawid-Skene is a candidate beside it)
        # (nor calibrates itself: the selector calibrates the winner), nor stacks a head on its votes
        return model.set_params(**{key: value for key, value in (("metric", "acc"), ("n_folds", self.n_folds),
                                                                 ("unlabeled", "ignore"), ("calibrate", False),
                                                                 ("stack", False))
                                   if key in accepted})

    def candidate_names(self) -> tuple[str, ...]:
        """The candidates in order, the fallback first (``"auto"``: :data:`AUTO_BINARY` for two classes, else
        :data:`AUTO_MULTICLASS`); needs ``cardinality_`` (set by ``fit``) when ``candidates="auto"``."""
        if self.candidates == "auto":
            return AUTO_BINARY if self.cardinality_ == 2 else AUTO_MULTICLASS
        return tuple(self.candidates)

    def check_params(self) -> Self:
        """The declared constraints, and ``candidates``: a non-empty list of names of label models."""
        super().check_params()
        names = self.candidates
        if names == "auto":
            return self
        if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names \
                or not all(isinstance(name, str) for name in names):
            raise LabelModelError(f"DevSelector: candidates must be a list of label model names (or 'auto'), e.g. "
                                  f"['MajorityVote', 'DevNaiveBayes']; got {names!r}")
        return self

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Score every candidate on dev (repeated cross-validation), keep the winner fitted on all dev rows."""
        arr, dev, y = check_dev(self, L, L_dev, y_dev)
        candidates = self.candidate_names()
        seeds = [self.seed + 7919 * r for r in range(self.n_repeats)]
        fitted: dict[str, BaseLabelModel] = {}
        oof: dict[str, list[np.ndarray]] = {}
        # the cross-validation refits learn from dev; L only smooths them: a seeded sample will do (order-free)
        sample = multiset_sample(arr, CV_ROWS, self.seed)
        for name in candidates:
            model = self._make(name)
            if isinstance(model, DevAwareModel):
                fit_with_dev: Callable[..., BaseLabelModel] = model.fit
                fitted[name] = fit_with_dev(arr, L_dev=dev, y_dev=y)
                oof[name] = [model.honest_dev_proba(sample, dev, y, seed) if len(y) > 1 else model.predict_proba(dev)
                             for seed in seeds]
            else:  # fitted on the distinct vote rows with their counts when it takes them (the same fit)
                fitted[name] = fit_label_model(model, arr)
                oof[name] = [model.predict_proba(dev)] * len(seeds)
        preds = {name: [_predict(proba, y, self.metric) for proba in oof[name]] for name in candidates}
        self.dev_scores_ = {name: _mean_score(preds[name], y, self.metric) for name in candidates}
        best = max(candidates, key=lambda name: (self.dev_scores_[name], -candidates.index(name)))
        self.dev_se_ = _paired_se(preds, best, y, self.metric, self.seed)
        self.selected_ = next(name for name in candidates if self.dev_scores_[name]
                              >= self.dev_scores_[best] - self.n_se * self.dev_se_[name] - self.margin)
        logger.info("DevSelector dev scores %s (standard errors against %s: %s); selected %s",
                    self.dev_scores_, best, self.dev_se_, self.selected_)
        self.best_estimator_ = fitted[self.selected_]
        stacked = np.concatenate(oof[self.selected_]) if len(y) else np.zeros((0, self.cardinality_))
        y_stacked = np.tile(y, len(seeds))
        self.mix_, self.temperature_ = IDENTITY
        if self.calibrate and len(y) >= 2:
            self.mix_, self.temperature_ = cross_fitted_calibration(stacked, y_stacked, len(y), self.seed)
            stacked = calibrated(stacked, self.mix_, self.temperature_)
        self.threshold_ = f1_threshold(stacked[:, 1], y_stacked) if self.metric == "f1" else None
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """The probabilities of the selected model (``best_estimator_``), calibrated (``mix_``, ``temperature_``)."""
        arr = self._check_L(L)  # first: unfitted, it has no best_estimator_ (NotFittedError, not AttributeError)
        proba = self.best_estimator_.predict_proba(arr)
        if self.mix_ == 0.0 and self.temperature_ == 1.0:
            return proba
        return calibrated(proba, self.mix_, self.temperature_)


def _predict(proba: np.ndarray, y: np.ndarray, metric: str) -> np.ndarray:
    """Class ids from dev probabilities: ties broken by hash, or the best binary-F1 threshold on ``y``."""
    if metric == "f1":
        return (proba[:, 1] >= f1_threshold(proba[:, 1], y)).astype(np.int64)
    preds: np.ndarray = break_ties(proba, "hash")
    return preds


def _score(pred: np.ndarray, y: np.ndarray, metric: str) -> float:
    """Accuracy or binary F1 (positive class 1), in %."""
    if metric == "f1":
        tp = int(((pred == 1) & (y == 1)).sum())
        return 100 * 2 * tp / max(int((pred == 1).sum()) + int((y == 1).sum()), 1)
    return 100 * float((pred == y).mean()) if len(y) else 0.0


def _mean_score(preds: list[np.ndarray], y: np.ndarray, metric: str) -> float:
    return float(np.mean([_score(pred, y, metric) for pred in preds]))


def _paired_se(preds: dict[str, list[np.ndarray]], best: str, y: np.ndarray, metric: str, seed: int) -> dict[str, float]:
    """Standard error of each candidate's score minus ``best``'s: bootstrap resamples of the dev rows, shared by all."""
    if len(y) < 2:
        return {name: float("inf") for name in preds}
    rows = np.random.default_rng(seed).integers(0, len(y), (N_BOOTSTRAP, len(y)))
    boot = {name: np.array([_mean_score([pred[idx] for pred in preds[name]], y[idx], metric) for idx in rows])
            for name in preds}
    return {name: float(np.std(boot[name] - boot[best], ddof=1)) for name in preds}
