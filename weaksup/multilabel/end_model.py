"""A multi-label end model: a text classifier trained on the label model's (probabilistic) label sets and the dev
gold, cross-fitted so that no row's prediction comes from a classifier that was trained on that row.

One binary logistic regression per label on TF-IDF word 1-2-grams (one-vs-rest). Soft targets (the label model's
probabilities) are learned as weighted rows: each row once as a positive with weight ``p`` and once as a negative
with weight ``1 - p``; hard targets (the label sets) as they are. :func:`cross_fitted_proba` gives every row
out-of-fold probabilities: on dev rows they are honest for tuning thresholds, on the rows to label they are what a
classifier that never saw the row predicts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from weaksup.errors import ParameterError
from weaksup.multilabel.models_base import fold_ids

logger = logging.getLogger(__name__)

__all__ = ["cross_fitted_proba", "ovr_proba", "text_features"]


def text_features(texts: Sequence[str]) -> Any:
    """Sparse TF-IDF features (word 1-2-grams seen in at least two texts, sublinear tf) of ``texts``.

    Fitted on the texts themselves (no labels: every row to label may be in it).

    Examples
    --------
    >>> text_features(["so happy", "so sad", "happy day", "sad day"]).shape
    (4, 4)
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32)
    return vectorizer.fit_transform(list(texts)).tocsr()


def ovr_proba(X_train: Any, targets: np.ndarray, X_pred: Any, *, C: float = 10.0, seed: int = 0) -> np.ndarray:
    """``(n_pred, k)`` probabilities of one logistic regression per label trained on ``targets`` ``(n, k)`` in
    [0, 1] (bool label sets, or probabilities learned as weighted positive and negative rows).

    A label whose targets are all one value predicts that value everywhere.

    Examples
    --------
    >>> from scipy import sparse
    >>> X = sparse.csr_matrix(np.eye(4))
    >>> T = np.array([[1, 0.2], [1, 0.1], [0, 0.9], [0, 0.8]])
    >>> P = ovr_proba(X, T, X)
    >>> bool(P[0, 0] > 0.5 > P[2, 0]), bool(P[2, 1] > 0.5 > P[0, 1])
    (True, True)
    """
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    T = np.asarray(targets, dtype=np.float64)
    if T.ndim != 2 or T.shape[0] != X_train.shape[0] or ((T < 0) | (T > 1)).any():
        raise ParameterError(f"targets must be ({X_train.shape[0]}, k) values in [0, 1]; got shape {T.shape}")
    soft = not np.isin(T, (0.0, 1.0)).all()
    X_fit = sparse.vstack([X_train, X_train], format="csr") if soft else X_train
    out = np.zeros((X_pred.shape[0], T.shape[1]))
    for c in range(T.shape[1]):
        t = T[:, c]
        if np.all(t == t[0]) and t[0] in (0.0, 1.0):
            out[:, c] = t[0]
            continue
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=2000, random_state=seed)
        if soft:
            y = np.r_[np.ones(len(t)), np.zeros(len(t))]
            clf.fit(X_fit, y, sample_weight=np.r_[t, 1.0 - t] + 1e-9)
        else:
            clf.fit(X_fit, t.astype(int))
        out[:, c] = clf.predict_proba(X_pred)[:, 1]
    return out


def cross_fitted_proba(X: Any, targets: np.ndarray, *, n_folds: int = 5, C: float = 10.0, seed: int = 0,
                       train: np.ndarray | None = None) -> np.ndarray:
    """``(n, k)`` out-of-fold probabilities of :func:`ovr_proba` for every row of ``X``: each fold predicted by a
    classifier trained on the other folds' rows (only those in ``train``, a bool mask, when given).

    Examples
    --------
    >>> from scipy import sparse
    >>> X = sparse.csr_matrix(np.repeat(np.eye(2), 10, axis=0))
    >>> T = np.repeat([[1.0], [0.0]], 10, axis=0)
    >>> P = cross_fitted_proba(X, T)
    >>> bool((P[:10] > 0.5).all() and (P[10:] < 0.5).all())
    True
    """
    T = np.asarray(targets, dtype=np.float64)
    n = X.shape[0]
    if n_folds < 2 or n < n_folds:
        raise ParameterError(f"cross-fitting needs n_folds >= 2 and at least that many rows; got {n_folds} folds "
                             f"for {n} rows")
    keep = np.ones(n, dtype=bool) if train is None else np.asarray(train, dtype=bool)
    folds = fold_ids(n, n_folds, seed)
    out = np.zeros(T.shape)
    for f in range(n_folds):
        held = folds == f
        fit_rows = np.flatnonzero(~held & keep)
        logger.info("end model fold %d/%d: %d training rows", f + 1, n_folds, len(fit_rows))
        out[held] = ovr_proba(X[fit_rows], T[fit_rows], X[np.flatnonzero(held)], C=C, seed=seed)
    return out
