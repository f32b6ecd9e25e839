"""Majority vote and its weighted variant."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from weaksup.models.base import BaseLabelModel, as_votes, class_counts


class MajorityVote(BaseLabelModel):
    """Each row's label is the class most LFs voted for; a row with no vote gets the uniform distribution.

    Probabilities are the vote shares. ``predict(L, tie_break="hash")`` reproduces WRENCH's
    published majority-vote numbers exactly.

    Examples
    --------
    >>> mv = MajorityVote(cardinality=2).fit([[0, 0, 1], [1, -1, -1], [-1, -1, -1], [0, 1, -1]])
    >>> mv.predict_proba([[0, 0, 1], [-1, -1, -1]]).round(2).tolist()
    [[0.67, 0.33], [0.5, 0.5]]
    >>> mv.predict([[0, 0, 1], [0, 1, -1]]).tolist()
    [0, -1]
    """

    name = "MajorityVote"
    uses_dev_gold = False
    supports_sample_weight = False

    def fit(self, L: Any) -> Self:
        """Record the shape of the problem (majority vote learns nothing)."""
        self.check_params()
        arr = as_votes(L, self.cardinality)
        self.cardinality_ = self._k(arr)
        self.n_lfs_ = arr.shape[1]
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        counts = class_counts(arr, self.cardinality_)
        counts[counts.sum(axis=1) == 0] = 1.0
        proba: np.ndarray = counts / counts.sum(axis=1, keepdims=True)
        return proba
