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


def own_features(votes: MultiLabelVotes, c: int) -> np.ndarray:
    """``(n, 3)`` the label's own evidence: whether any LF says yes, the majority-vote decision, and
    ``log1p(yes) - log1p(no)``.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> votes = MultiLabelVotes([[[1, -1], [0, 1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
    >>> own_features(votes, 1).tolist()
    [[1.0, 1.0, 0.6931471805599453]]
    """
    yes = np.count_nonzero(votes.values[:, :, c] == 1, axis=1)
    no = np.count_nonzero(votes.values[:, :, c] == 0, axis=1)
    return np.column_stack([yes > 0, yes > no, np.log1p(yes) - np.log1p(no)]).astype(np.float64)


def label_logistic(X: Any, y: np.ndarray, C: float, class_weight: str | None = None) -> tuple[np.ndarray | None, float]:
    """One label's L2 logistic regression on features ``X``: ``(coef, intercept)``; with fewer than two positives
    (or negatives) ``(None, log-odds of the smoothed rate)``.

    Examples
    --------
    >>> coef, b = label_logistic(np.array([[0.0], [1.0], [0.0], [1.0]]), np.array([False, True, False, True]), 1.0)
    >>> bool(coef[0] > 0), label_logistic(np.ones((3, 1)), np.array([True, False, False]), 1.0)[0] is None
    (True, True)
    """
    from sklearn.linear_model import LogisticRegression

    positives = int(y.sum())
    if positives < 2 or len(y) - positives < 2:
        rate = (positives + 0.5) / (len(y) + 1.0)
        return None, float(np.log(rate / (1 - rate)))
    lr = LogisticRegression(C=C, class_weight=class_weight, max_iter=2000, solver="liblinear").fit(X, y)
    return lr.coef_[0], float(lr.intercept_[0])


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
    own_scale : float, default 3.0
        The label's own evidence (:func:`own_features`) is scaled by this before the regression, so its
        weights are regularised ``own_scale**2`` times less than the other labels' votes: a label with few dev
        positives leans on its own LFs (as majority vote does) rather than on co-occurrence.
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
    #: The per-label Dawid-Skene fitted on the votes without labels (its log-odds are features), or None.
    unsupervised_: MultiLabelModel | None
    coef_: np.ndarray
    intercept_: np.ndarray

    def __init__(self, *, C: float = 1.0, own_scale: float = 3.0, class_weight: str | None = None,
                 unsupervised: bool = True, n_folds: int = 5, min_positives: int = 5, threshold_strength: float = 10.0,
                 backoff: bool = True) -> None:
        super().__init__(n_folds=n_folds, min_positives=min_positives, threshold_strength=threshold_strength,
                         backoff=backoff)
        self.C = C
        self.own_scale = own_scale
        self.class_weight = class_weight
        self.unsupervised = unsupervised

    def _share(self, copy: MultiLabelModel) -> None:
        if isinstance(copy, VoteLogistic) and getattr(self, "unsupervised_", None) is not None:
            copy.unsupervised_ = self.unsupervised_  # fitted without labels: the same for every fold

    def _dense(self, votes: MultiLabelVotes) -> tuple[np.ndarray, np.ndarray]:
        """The features of every label's unsupervised (Dawid-Skene) log-odds, and each label's own evidence."""
        own = np.stack([own_features(votes, c) for c in range(votes.k)], axis=1)  # (n, k, 3)
        if self.unsupervised_ is None:
            return np.empty((votes.n, 0)), own
        p = np.clip(self.unsupervised_._proba(votes), 1e-4, 1 - 1e-4)
        logit = np.log(p) - np.log1p(-p)
        return logit, np.concatenate([own, logit[:, :, None]], axis=2)

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        if not isinstance(self.C, (int, float)) or self.C <= 0:
            raise LabelModelError(f"VoteLogistic: C must be a number > 0; got {self.C!r}")
        if self.class_weight not in (None, "balanced"):
            raise LabelModelError(f"VoteLogistic: class_weight must be None or 'balanced'; got {self.class_weight!r}")
        assert dev_votes is not None and Y is not None
        voted = (votes.values != -1).any(axis=0) | (dev_votes.values != -1).any(axis=0)
        self.cells_ = np.argwhere(voted)
        if not self.unsupervised:
            self.unsupervised_ = None
        elif getattr(self, "unsupervised_", None) is None:
            from weaksup.multilabel.models_perlabel import PerLabelDawidSkene

            self.unsupervised_ = PerLabelDawidSkene(backoff=False).fit(votes, seed=self.seed_)
        shared, own = self._dense(dev_votes)
        X = sparse.hstack([vote_features(dev_votes, self.cells_), sparse.csr_matrix(shared)], format="csr")
        self.coef_ = np.zeros((votes.k, X.shape[1] + own.shape[2]))
        self.intercept_ = np.zeros(votes.k)
        for c in range(votes.k):
            coef, self.intercept_[c] = label_logistic(sparse.hstack([X, self.own_scale * own[:, c]], format="csr"),
                                                      Y[:, c], self.C, self.class_weight)
            if coef is not None:
                self.coef_[c] = coef

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        shared, own = self._dense(votes)
        X = sparse.hstack([vote_features(votes, self.cells_), sparse.csr_matrix(shared)], format="csr")
        width = own.shape[2]
        scores: Any = X @ self.coef_[:, :-width].T + self.intercept_
        for c in range(votes.k):
            scores[:, c] += self.own_scale * own[:, c] @ self.coef_[c, -width:]
        proba: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(scores), -50, 50)))
        return proba
