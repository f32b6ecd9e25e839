"""A discriminative label model learned from dev gold: :class:`DevLogisticRegression`."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy import sparse

from weaksup.models.dawid_skene import outcome_matrix, softmax_rows, vote_counts
from weaksup.models.dev import DevAwareModel, check_dev


def vote_features(L: np.ndarray, k: int) -> sparse.csr_array:
    """``(n, m * (k + 1) + k)`` features of each row: every LF's outcome one-hot (abstain or a class), then the
    number of votes for each class.

    Examples
    --------
    >>> vote_features(np.array([[0, -1], [1, 1]]), 2).toarray().tolist()
    [[0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0]]
    """
    outcomes = outcome_matrix(L, k)
    counts = vote_counts(outcomes, L.shape[1], k)
    return sparse.hstack([outcomes, sparse.csr_array(counts)], format="csr")


class DevLogisticRegression(DevAwareModel):
    """Multinomial logistic regression from the LFs' outcomes to the dev gold class.

    Unlike the naive-Bayes models it does not assume the LFs independent given the class: two LFs
    that always fire together are not counted twice, and a pattern of votes can mean more (or less)
    than its parts. It learns only from the dev gold rows (``L`` fixes the shape), so it needs a
    dev split of some size, and it trusts the dev split's vote patterns wholly: where the rows to
    label differ from dev (WRENCH's TREC: its test questions are spread over the classes unlike its
    valid ones), it can fall far below majority vote although cross-validation on dev ranks it
    first. It is therefore not among :class:`DevSelector`'s default candidates; name it there
    (``candidates=[..., "DevLogisticRegression"]``) when the dev rows are a random sample of the data. The features are :func:`vote_features`; the penalty is L2
    with strength ``1 / C``. Classes absent from the dev rows get probability 0; with a single
    class on dev every row gets the smoothed dev class balance.

    Parameters
    ----------
    cardinality : int, optional
    C : float, default 1.0
        Inverse L2 penalty (scikit-learn's ``C``).
    max_iter : int, default 1000
        Iterations of the lbfgs solver.
    metric : {"acc", "f1"}, default "acc"
    n_folds : int, default 5
    seed : int, default 0

    Examples
    --------
    >>> L_dev = [[0, 0, 1], [1, 1, 0], [0, 1, -1], [1, 0, 1], [0, -1, 0], [1, 1, -1], [-1, 0, 1], [0, 1, 1]] * 4
    >>> y_dev = [0, 1, 0, 1, 0, 1, 0, 0] * 4
    >>> model = DevLogisticRegression(cardinality=2).fit(L_dev, L_dev=L_dev, y_dev=y_dev)
    >>> model.predict([[0, 1, 1], [1, 0, 0]]).tolist()
    [0, 1]
    """

    name = "DevLogisticRegression"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("coef_", "intercept_", "threshold_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "C": {"low": 0, "low_open": True},
                             "max_iter": {"low": 1, "integer": True}}
    #: ``(k, n_features)`` weights and ``(k,)`` intercepts; a class absent from dev has intercept ``-inf``.
    coef_: np.ndarray
    intercept_: np.ndarray

    def __init__(self, cardinality: int | None = None, *, C: float = 1.0, max_iter: int = 1000, metric: str = "acc",
                 n_folds: int = 5, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.C = C
        self.max_iter = max_iter
        self.metric = metric
        self.n_folds = n_folds

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Fit the regression on the dev rows' vote features and gold classes."""
        from sklearn.linear_model import LogisticRegression

        arr, dev, y = check_dev(self, L, L_dev, y_dev)
        k = self.cardinality_
        n_features = self.n_lfs_ * (k + 1) + k
        self.coef_ = np.zeros((k, n_features))
        present = np.unique(y)
        if len(present) < 2:  # nothing to tell apart: the smoothed dev class balance for every row
            self.intercept_ = np.log((np.bincount(y, minlength=k) + 1.0) / (len(y) + k))
        else:
            fitted = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(vote_features(dev, k), y)
            coef, intercept = fitted.coef_, fitted.intercept_
            if len(present) == 2:  # scikit-learn's binary form: one row of weights for the second class
                coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
            self.intercept_ = np.full(k, -np.inf)
            self.coef_[present], self.intercept_[present] = coef, intercept
        self._tune_threshold(arr, dev, y)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        coef = np.asarray(self.coef_, dtype=np.float64)
        scores = np.asarray(vote_features(arr, self.cardinality_) @ coef.T) + np.asarray(self.intercept_, np.float64)
        return softmax_rows(scores)
