"""The supervised-on-dev reference: the end model's classifier trained on the gold rows alone.

The first question about weak labels is whether they beat a classifier trained on the gold rows the user
already has. :func:`supervised_on_dev` trains that classifier (the end model's features and estimator,
:func:`weaksup.end_model.default_end_model` unless told otherwise) and scores it honestly on the gold rows
themselves: every gold row is predicted by a copy trained on the other folds (stratified, the folds of
:func:`weaksup.models.fitting.dev_folds`). The copy trained on every gold row labels new data.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from weaksup.end_model import as_texts, class_proba, default_end_model, take_rows
from weaksup.errors import EndModelError, ParameterError
from weaksup.models.fitting import dev_folds

logger = logging.getLogger(__name__)

__all__ = ["SupervisedBaseline", "has_words", "supervised_on_dev"]

#: A word of the default end model (scikit-learn's default ``token_pattern``): two or more letters or digits.
WORD = re.compile(r"\w\w")


def has_words(texts: Any) -> bool:
    """Whether any of ``texts`` holds a word the default end model learns from (two or more letters or digits).

    Blank, missing and one-character texts hold none: a classifier on texts of only those has no features.

    Examples
    --------
    >>> has_words(["", "  ", None, "a", "!?"]), has_words(["", "ok"])
    (False, True)
    """
    return any(WORD.search(text) for text in as_texts(texts).tolist())


def prior_proba(y: np.ndarray, k: int, n_rows: int) -> np.ndarray:
    """``(n_rows, k)``: every row gets the class frequencies of ``y`` (add-one smoothed).

    What a classifier that saw a single class can honestly say about a new row.

    Examples
    --------
    >>> prior_proba(np.array([1, 1, 1]), 2, 1).round(2).tolist()
    [[0.2, 0.8]]
    """
    counts = np.bincount(y, minlength=k).astype(float) + 1.0
    return np.tile(counts / counts.sum(), (n_rows, 1))


@dataclass(frozen=True)
class SupervisedBaseline:
    """A classifier trained on the gold rows alone, and its out-of-fold predictions of those rows.

    Attributes
    ----------
    n_gold : int
        The number of gold rows it learned from.
    dev_proba : numpy.ndarray
        ``(n_gold, k)`` out-of-fold probabilities of the gold rows (in the order they were given).
    dev_accuracy : float
        The accuracy of those out-of-fold predictions.
    model : sklearn estimator or None
        Fitted on every gold row; ``None`` when the gold rows hold a single class (it then predicts the
        smoothed class frequencies).
    cardinality : int
        The number of classes ``k``.
    prior : numpy.ndarray
        ``(k,)`` smoothed class frequencies of the gold rows.
    """

    n_gold: int
    dev_proba: np.ndarray
    dev_accuracy: float
    model: Any
    cardinality: int = 2
    prior: np.ndarray | None = None

    def predict_proba(self, features: Any) -> np.ndarray:
        """``(n, k)`` class probabilities of new rows.

        Examples
        --------
        >>> texts = ["buy now", "free money", "nice song", "love it"] * 3
        >>> base = supervised_on_dev(texts, [1, 1, 0, 0] * 3, n_folds=3)
        >>> base.predict_proba(["free money now"]).argmax(axis=1).tolist()
        [1]
        """
        n = len(features)
        if self.model is None:
            prior = self.prior if self.prior is not None else np.full(self.cardinality, 1.0 / self.cardinality)
            return np.tile(prior, (n, 1))
        return class_proba(self.model, features, self.cardinality)

    def predict(self, features: Any) -> np.ndarray:
        """Class ids of new rows (the most probable class).

        Examples
        --------
        >>> texts = ["buy now", "free money", "nice song", "love it"] * 3
        >>> supervised_on_dev(texts, [1, 1, 0, 0] * 3, n_folds=3).predict(["love this song"]).tolist()
        [0]
        """
        out: np.ndarray = self.predict_proba(features).argmax(axis=1)
        return out


def _fit_or_prior(model: Any, features: Any, y: np.ndarray, k: int) -> Any:
    """A fitted clone of ``model``, or ``None`` when ``y`` holds a single class."""
    from sklearn.base import clone

    if len(np.unique(y)) < 2:
        return None
    return clone(model).fit(features, y)


def supervised_on_dev(features: Any, y: Any, *, model: Any = None, n_folds: int = 5, seed: int = 0,
                      cardinality: int | None = None, folds: Any = None) -> SupervisedBaseline:
    """Train the end model's classifier on the gold rows alone and score it out-of-fold on them.

    Parameters
    ----------
    features : sequence of str, array, Series or DataFrame
        The model's input for each row (texts for the default model).
    y : array of int, shape (n,)
        Gold class ids; rows with ``-1`` have no gold and are left out.
    model : sklearn estimator, optional
        Unfitted; cloned. :func:`weaksup.end_model.default_end_model` (with ``seed``) by default.
    n_folds : int, default 5
        Stratified folds (:func:`weaksup.models.fitting.dev_folds`) for the out-of-fold predictions.
    seed : int, default 0
    cardinality : int, optional
        The number of classes; ``max(y) + 1`` (at least 2) by default.
    folds : int array, optional
        The fold ``0..n_folds-1`` of each gold row (in order), instead of the stratified folds (the final labels
        pass theirs, so that both references are scored on the same folds).

    Returns
    -------
    SupervisedBaseline

    Raises
    ------
    EndModelError
        The classifier cannot be trained on the gold rows, e.g. their texts hold no word (:func:`has_words`).

    Examples
    --------
    >>> texts = ["buy now", "free money", "nice song", "love it", "cheap pills", "great video"] * 3
    >>> base = supervised_on_dev(texts, [1, 1, 0, 0, 1, 0] * 3, n_folds=3)
    >>> base.n_gold, base.dev_proba.shape, base.dev_accuracy
    (18, (18, 2), 1.0)
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != len(features):
        raise ParameterError(f"supervised_on_dev: y must be one class id per row of features ({len(features)}); "
                             f"got shape {labels.shape}")
    labels = labels.astype(np.int64)
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ParameterError(f"supervised_on_dev: n_folds must be a whole number >= 2; got {n_folds!r}")
    gold = np.flatnonzero(labels >= 0)
    k = max(int(cardinality or 0), int(labels.max(initial=0)) + 1, 2)
    if cardinality is not None and labels.max(initial=0) >= cardinality:
        raise ParameterError(f"supervised_on_dev: y has class id {int(labels.max())} but cardinality is "
                             f"{cardinality}; pass cardinality > every class id")
    if len(gold) < n_folds:
        raise ParameterError(f"supervised_on_dev: {len(gold)} gold rows cannot be split into n_folds={n_folds} "
                             f"folds; label at least {n_folds} rows, or pass n_folds <= {max(len(gold), 2)}")
    estimator = model if model is not None else default_end_model(seed)
    X = take_rows(features, gold)
    y_gold = labels[gold]
    if folds is None:
        folds = dev_folds(y_gold, n_folds, seed)
    else:
        folds = np.asarray(folds)
        if folds.shape != (len(gold),) or (len(folds) and (folds.min() < 0 or folds.max() >= n_folds)):
            raise ParameterError(f"supervised_on_dev: folds must be one fold id 0..{n_folds - 1} per gold row "
                                 f"({len(gold)}); got shape {folds.shape}")
    if model is None and not hasattr(X, "columns") and not has_words(X):
        raise EndModelError(f"supervised_on_dev: none of the {len(gold)} gold rows' texts has a word (two or more "
                            "letters or digits), so a classifier has nothing to learn from; pass the texts of the "
                            "gold rows (blank, missing and one-character texts hold no words)")
    proba = np.zeros((len(gold), k))
    try:
        for f in range(n_folds):
            held = folds == f
            if not held.any():
                continue
            fitted = _fit_or_prior(estimator, take_rows(X, ~held), y_gold[~held], k)
            proba[held] = (prior_proba(y_gold[~held], k, int(held.sum())) if fitted is None
                           else class_proba(fitted, take_rows(X, held), k))
        final = _fit_or_prior(estimator, X, y_gold, k)
    except EndModelError:
        raise
    except ValueError as exc:  # e.g. a fold's texts without a word ("empty vocabulary")
        raise EndModelError(f"supervised_on_dev: the classifier cannot be trained on the {len(gold)} gold rows' "
                            f"features: {exc}; check that features holds the gold rows' texts") from None
    accuracy = float((proba.argmax(axis=1) == y_gold).mean())
    logger.info("supervised-on-dev: %d gold rows, out-of-fold accuracy %.3f", len(gold), accuracy)
    return SupervisedBaseline(n_gold=len(gold), dev_proba=proba, dev_accuracy=accuracy, model=final,
                              cardinality=k, prior=prior_proba(y_gold, k, 1)[0])
