"""Dawid-Skene: each LF has a confusion matrix over the classes, learned by EM (in NumPy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from weaksup.models.base import LabelModel, as_votes, class_counts


def naive_bayes_proba(L: np.ndarray, log_conf: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """Posterior over classes with LFs independent given the class.

    ``log_conf[j, y, o]`` is ``log P(LF j's outcome is o | class y)`` with outcome ``o = vote + 1``
    (so ``o = 0`` is abstaining: whether an LF fires is evidence too).
    """
    n, m = L.shape
    scores = np.tile(log_prior, (n, 1))
    for j in range(m):
        scores += log_conf[j][:, L[:, j] + 1].T
    scores -= scores.max(axis=1, keepdims=True)
    proba = np.exp(scores)
    return proba / proba.sum(axis=1, keepdims=True)


def confusion_counts(L: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """``counts[j, y, o]``: soft count of rows of class y (weights ``q``) where LF j's outcome is o (vote + 1)."""
    m = L.shape[1]
    counts = np.zeros((m, k, k + 1))
    for j in range(m):
        for o in range(k + 1):
            rows = L[:, j] == o - 1
            if rows.any():
                counts[j, :, o] = q[rows].sum(axis=0)
    return counts


class DawidSkene(LabelModel):
    """Dawid & Skene (1979): per-LF confusion matrices and a class prior, fitted by EM.

    Abstaining is one of each LF's outcomes, so an LF that only ever votes one class still
    tells the classes apart by how often it fires on each.

    Parameters
    ----------
    cardinality : int, optional
        The number of classes (inferred from the votes otherwise).
    n_iter : int, default 100
        EM iterations at most.
    tol : float, default 1e-6
        Stop when the class prior and confusion matrices move less than this.
    smoothing : float, default 0.01
        Pseudo-count added to every confusion cell, so unseen votes are not impossible.
    seed : int, default 0
        Unused (EM starts from majority vote), kept for the common contract.

    Examples
    --------
    >>> L = [[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, -1, 1], [0, 1, 0]]
    >>> ds = DawidSkene(cardinality=2).fit(L)
    >>> ds.predict(L).tolist()
    [0, 1, 0, 1, 0]
    """

    name = "DawidSkene"
    _fitted = ("class_prior_", "confusion_")

    def __init__(self, cardinality: int | None = None, *, n_iter: int = 100, tol: float = 1e-6,
                 smoothing: float = 0.01, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.n_iter = n_iter
        self.tol = tol
        self.smoothing = smoothing

    def fit(self, L: Any, **kwargs: Any) -> DawidSkene:
        arr = as_votes(L, self.cardinality)
        k = self.cardinality_ = self._k(arr)
        self.n_lfs_ = arr.shape[1]
        counts = class_counts(arr, k)
        counts[counts.sum(axis=1) == 0] = 1.0
        q = counts / counts.sum(axis=1, keepdims=True)  # start from majority vote
        prior = conf = None
        for iteration in range(1, self.n_iter + 1):
            self.n_iter_ = iteration
            new_prior = (q.sum(axis=0) + 1.0) / (len(q) + k)
            raw = confusion_counts(arr, q, k) + self.smoothing
            new_conf = raw / raw.sum(axis=2, keepdims=True)
            converged = prior is not None and max(np.abs(new_prior - prior).max(), np.abs(new_conf - conf).max()) < self.tol
            prior, conf = new_prior, new_conf
            if converged:
                break
            q = naive_bayes_proba(arr, np.log(conf), np.log(prior))
        self.class_prior_, self.confusion_ = prior, conf
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        return naive_bayes_proba(arr, np.log(np.asarray(self.confusion_)), np.log(np.asarray(self.class_prior_)))
