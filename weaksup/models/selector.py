"""Choosing the label model by its dev score: :class:`DevSelector`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, break_ties
from weaksup.models.dev import DevAwareModel, check_dev, f1_threshold, refit_out_of_fold

logger = logging.getLogger(__name__)


class DevSelector(DevAwareModel):
    """Pick the candidate label model with the best dev score; majority vote unless another beats it.

    Unsupervised candidates are fitted on ``L`` and scored on the dev rows; dev-aware ones
    are scored on out-of-fold dev predictions (never on rows they were fitted on). A candidate
    replaces the first one (majority vote by default) only if it beats it by more than
    ``margin`` points; among the others, the best score wins (earlier on ties). The winner is
    refitted with all dev rows and answers ``predict_proba``/``predict``.

    Parameters
    ----------
    cardinality : int, optional
    candidates : sequence of str
        Names in :data:`weaksup.models.MODELS`; the first is the fallback.
    margin : float, default 1.0
        Dev points (accuracy or F1, in %) a candidate must gain over the fallback.
    metric : {"acc", "f1"}, default "acc"
    n_folds : int, default 5
    seed : int, default 0

    Examples
    --------
    >>> L_dev = [[0, 0, 1], [1, 1, 0], [0, 1, -1], [1, 0, 1], [0, -1, 0], [1, 1, -1], [-1, 0, 1], [0, 1, 1]] * 4
    >>> y_dev = [0, 1, 0, 1, 0, 1, 0, 0] * 4
    >>> model = DevSelector(cardinality=2).fit(L_dev, L_dev=L_dev, y_dev=y_dev)
    >>> model.selected_, model.dev_scores_["MajorityVote"], model.predict([[0, 1, 1]]).tolist()
    ('DevNaiveBayes', 71.875, [0])
    """

    name = "DevSelector"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("selected_", "dev_scores_", "best_estimator_", "threshold_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "margin": {}}
    selected_: str
    dev_scores_: dict[str, float]
    best_estimator_: BaseLabelModel

    def __init__(self, cardinality: int | None = None, *,
                 candidates: Sequence[str] = ("MajorityVote", "DevNaiveBayes", "DevWeightedVote",
                                                            "DawidSkene"),
                 margin: float = 1.0, metric: str = "acc", n_folds: int = 5, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.candidates = candidates
        self.margin = margin
        self.metric = metric
        self.n_folds = n_folds

    def _make(self, name: str) -> BaseLabelModel:
        from weaksup.models import MODELS

        if name not in MODELS or name == type(self).__name__:
            raise LabelModelError(f"unknown candidate {name!r}; choose from {sorted(set(MODELS) - {'DevSelector'})}")
        model = MODELS[name](cardinality=self.cardinality_, seed=self.seed)
        accepted = model.get_params(deep=False)
        return model.set_params(**{key: value for key, value in (("metric", self.metric), ("n_folds", self.n_folds))
                                   if key in accepted})

    def check_params(self) -> Self:
        """The declared constraints, and ``candidates``: a non-empty list of names of label models."""
        super().check_params()
        names = self.candidates
        if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names \
                or not all(isinstance(name, str) for name in names):
            raise LabelModelError(f"DevSelector: candidates must be a list of label model names, e.g. "
                                  f"['MajorityVote', 'DevNaiveBayes']; got {names!r}")
        return self

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Score every candidate on dev, keep the winner refitted on all dev rows."""
        arr, dev, y = check_dev(self, L, L_dev, y_dev)
        candidates = tuple(self.candidates)
        if not candidates:
            raise LabelModelError("DevSelector needs at least one candidate model name")
        scores: dict[str, float] = {}
        dev_proba: dict[str, np.ndarray] = {}
        fitted: dict[str, BaseLabelModel] = {}
        for name in candidates:
            model = self._make(name)
            if type(model).uses_dev_gold:
                fit_with_dev: Callable[..., BaseLabelModel] = model.fit  # its class declares L_dev, y_dev
                fitted[name] = fit_with_dev(arr, L_dev=dev, y_dev=y)
                dev_proba[name] = refit_out_of_fold(model, arr, dev, y, self.n_folds)
            else:
                fitted[name] = model.fit(arr)
                dev_proba[name] = model.predict_proba(dev)
            scores[name] = _dev_score(dev_proba[name], y, self.metric)
        fallback = candidates[0]
        best = max(candidates, key=lambda name: (scores[name], -candidates.index(name)))
        if scores[best] - scores[fallback] <= self.margin:
            best = fallback
        logger.info("DevSelector dev scores %s; selected %s", scores, best)
        self.selected_, self.dev_scores_, self.best_estimator_ = best, scores, fitted[best]
        self.threshold_ = f1_threshold(dev_proba[best][:, 1], y) if self.metric == "f1" else None
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """The probabilities of the selected model (``best_estimator_``)."""
        return self.best_estimator_.predict_proba(self._check_L(L))


def _dev_score(proba: np.ndarray, y: np.ndarray, metric: str) -> float:
    """Dev accuracy (ties broken by hash), or the best binary F1 over thresholds, in %."""
    if metric == "f1":
        pred = (proba[:, 1] >= f1_threshold(proba[:, 1], y)).astype(np.int64)
        tp = int(((pred == 1) & (y == 1)).sum())
        return 100 * 2 * tp / max(int(pred.sum()) + int((y == 1).sum()), 1)
    return 100 * float((break_ties(proba, "hash") == y).mean()) if len(y) else 0.0
