"""Joint multi-label models: each label is read from every label's votes (co-occurrence and exclusivity)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from scipy import sparse

from weaksup.errors import LabelModelError
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)


def vote_features(votes: MultiLabelVotes, cells: np.ndarray) -> sparse.csr_matrix:
    """Sparse features of every row: a yes and a no indicator per (LF, label) cell of ``cells`` (``(c, 2)`` LF and
    label indices), then each label's ``log1p`` yes and no counts and whether any LF voted yes on it.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> votes = MultiLabelVotes([[[1, -1], [0, 1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
    >>> vote_features(votes, np.array([[0, 0], [1, 0], [1, 1]])).shape
    (1, 12)
    """
    cell_votes = votes.values[:, cells[:, 0], cells[:, 1]] if len(cells) else np.empty((votes.n, 0), np.int8)
    yes, no = votes.counts()
    dense = np.hstack([np.log1p(yes), np.log1p(no), (yes > 0).astype(np.float64)])
    return sparse.hstack([sparse.csr_matrix(cell_votes == 1, dtype=np.float64),
                          sparse.csr_matrix(cell_votes == 0, dtype=np.float64),
                          sparse.csr_matrix(dense)], format="csr")


class VoteLogistic(MultiLabelModel):
    """Per-label logistic regression on all labels' votes, fitted on dev gold (a stacked / second-stage model).

    What the per-label models ignore, it learns from dev: which other labels' votes go with a label
    (an LF for "joy" firing is evidence for "excitement"; any emotion LF firing is evidence against
    "neutral"), and how much to trust each LF on each label. Thresholds are tuned on cross-fitted
    dev probabilities (each dev row scored by models fitted without its fold), shrunk toward a pooled
    threshold for labels with few dev positives; exclusivity and the none label are enforced in
    :meth:`predict`. A label with fewer than two dev positives (or negatives) gets its smoothed dev rate.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 strength of each label's regression.
    class_weight : {None, "balanced"}, default None
    n_folds, min_positives, threshold_strength :
        See :class:`~weaksup.multilabel.models_base.MultiLabelModel`.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> space = MultiLabelSpace(["a", "b", "none"], none_label="none")
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.random((400, 3)) < [0.3, 0.3, 0.0]
    >>> Y[:, 2] = ~Y[:, :2].any(axis=1)
    >>> values = np.full((400, 2, 3), -1)
    >>> values[:, 0, 0] = np.where(Y[:, 0] & (rng.random(400) < 0.8), 1, -1)  # an LF for 'a' ...
    >>> values[:, 1, 1] = np.where(Y[:, 1] & (rng.random(400) < 0.8), 1, -1)  # ... one for 'b', none for 'none'
    >>> votes = MultiLabelVotes(values, ["x", "y"], space)
    >>> model = VoteLogistic().fit(votes, dev=(votes.take(range(200)), Y[:200]))
    >>> bool((model.predict(votes.take(range(200, 400)))[:, 2] == Y[200:, 2]).mean() > 0.85)
    True
    """

    name = "vote_logistic"
    uses_dev_gold = True
    cells_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray

    def __init__(self, *, C: float = 1.0, class_weight: str | None = None, n_folds: int = 5, min_positives: int = 5,
                 threshold_strength: float = 10.0) -> None:
        super().__init__(n_folds=n_folds, min_positives=min_positives, threshold_strength=threshold_strength)
        self.C = C
        self.class_weight = class_weight

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        from sklearn.linear_model import LogisticRegression

        if not isinstance(self.C, (int, float)) or self.C <= 0:
            raise LabelModelError(f"VoteLogistic: C must be a number > 0; got {self.C!r}")
        if self.class_weight not in (None, "balanced"):
            raise LabelModelError(f"VoteLogistic: class_weight must be None or 'balanced'; got {self.class_weight!r}")
        assert dev_votes is not None and Y is not None
        voted = (votes.values != -1).any(axis=0) | (dev_votes.values != -1).any(axis=0)
        self.cells_ = np.argwhere(voted)
        X = vote_features(dev_votes, self.cells_)
        self.coef_ = np.zeros((votes.k, X.shape[1]))
        self.intercept_ = np.zeros(votes.k)
        for c in range(votes.k):
            y = Y[:, c]
            positives = int(y.sum())
            if positives < 2 or len(y) - positives < 2:
                rate = (positives + 0.5) / (len(y) + 1.0)
                self.intercept_[c] = np.log(rate / (1 - rate))
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000, solver="liblinear")
            lr.fit(X, y)
            self.coef_[c], self.intercept_[c] = lr.coef_[0], lr.intercept_[0]

    def predict_proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        scores: Any = vote_features(votes, self.cells_) @ self.coef_.T + self.intercept_
        proba: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(scores), -50, 50)))
        return proba
