"""Fitting a label model the one way every caller does, and its honest (out-of-fold) dev predictions.

A model gets the dev gold split only when it learns from it (``uses_dev_gold``), and a model that
takes ``sample_weight`` (``supports_sample_weight``) is fitted on the distinct vote rows weighted by
how often each occurs: the same fit, much faster on millions of rows with a few hundred patterns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np

from weaksup.models.base import BaseLabelModel
from weaksup.errors import LabelModelError
from weaksup.validation import check_votes
from weaksup.vote_patterns import distinct_rows
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseLabelModel)


def fit_label_model(model: ModelT, L: Any, *, L_dev: Any = None, y_dev: Any = None, distinct: bool = True,
                    lf_names: Sequence[str] | None = None) -> ModelT:
    """Fit ``model`` on the votes ``L``, with the dev gold only if it learns from it; returns the model.

    Parameters
    ----------
    model : BaseLabelModel
        An unfitted model; it is fitted in place and returned.
    L : VoteMatrix or array of int, shape (n, m)
        The votes of every row to label (``-1`` = abstain).
    L_dev, y_dev : array, optional
        The votes and gold class ids of the dev rows, passed only when ``type(model).uses_dev_gold``.
    distinct : bool, default True
        When ``type(model).supports_sample_weight``, fit on the distinct rows of ``L`` with their
        counts as ``sample_weight`` (the same fit, faster). ``False`` fits on ``L`` as given.
    lf_names : sequence of str, optional
        The LFs' names (else those of a vote matrix ``L``): a warning names the LFs the dev gold shows wrong on most
        of their votes where the model lets them force their class (:func:`weaksup.models.dev.warn_untrusted`).

    Returns
    -------
    BaseLabelModel
        ``model``, fitted.

    Examples
    --------
    >>> from weaksup.models import DawidSkene, DevNaiveBayes, MajorityVote
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, 1, 1]])
    >>> fit_label_model(MajorityVote(cardinality=2), L, L_dev=L[:2], y_dev=[0, 1]).n_lfs_  # dev gold unused
    3
    >>> ds = fit_label_model(DawidSkene(cardinality=2), L)  # fitted on the 3 distinct rows, weighted
    >>> bool(np.allclose(ds.confusion_, DawidSkene(cardinality=2).fit(L).confusion_))
    True
    >>> fit_label_model(DevNaiveBayes(cardinality=2, unlabeled="ignore"), L, L_dev=L[:2], y_dev=[0, 1]).source_
    'dev'
    """
    kwargs: dict[str, Any] = {}
    if type(model).uses_dev_gold and L_dev is not None and y_dev is not None:
        kwargs = {"L_dev": L_dev, "y_dev": y_dev}
        logger.info("fitting %s with the %d dev gold rows", type(model).__name__, len(y_dev))
    if distinct and type(model).supports_sample_weight:
        # sorted: a weighted fit depends on the order only through its floating-point sums, and the engines fit
        # on the same patterns in the same order (weaksup.engines.stats.fit_on_counts), so the fits are bit-equal
        patterns, inverse = distinct_rows(L.values if isinstance(L, VoteMatrix) else check_votes(
            L, getattr(model, "cardinality", None), where="fit_label_model(L)", error=LabelModelError))
        kwargs["sample_weight"] = np.bincount(inverse, minlength=len(patterns))
        L = patterns if not isinstance(L, VoteMatrix) else VoteMatrix(  # keeps the LF names (lf_names_in_)
            patterns, lf_names=L.lf_names, lf_versions=L.lf_versions, label_space=L.label_space)
    model.fit(L, **kwargs)
    if lf_names is not None or isinstance(L, VoteMatrix):
        from weaksup.models.dev import warn_untrusted

        warn_untrusted(model, list(lf_names) if lf_names is not None else L.lf_names)
    return model


def dev_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number of each dev row: shuffled with ``seed``, then dealt out class by class (stratified).

    Examples
    --------
    >>> dev_folds(np.array([0, 0, 1, 1, 1, 0]), 2, seed=0).tolist()
    [1, 0, 0, 1, 1, 0]
    """
    order = np.random.default_rng(seed).permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]
    folds = np.empty(len(y), dtype=np.int64)
    folds[order] = np.arange(len(y)) % max(n_folds, 1)
    return folds


class OutOfFold(NamedTuple):
    """Dev predictions from models that did not learn from those rows' labels."""

    #: ``(n_dev, k)`` class probabilities.
    proba: np.ndarray
    #: ``(n_dev,)`` class ids (``predict`` of the model that made each row's probabilities).
    pred: np.ndarray


def out_of_fold_predict(model: BaseLabelModel, L_dev: Any, y_dev: Any, *, L: Any = None, n_splits: int = 5,
                        seed: int = 0, tie_break: str = "abstain") -> OutOfFold:
    """Probabilities and predictions of every dev row from a copy of ``model`` that never saw its label.

    A model that learns from dev gold (``uses_dev_gold``) is refitted ``min(n_splits, n_dev)``
    times (stratified folds, :func:`dev_folds` with ``seed``), each time on ``L`` and the dev rows
    of the other folds, and predicts the held-out fold. Any other model never sees a label: one
    copy is fitted on ``L`` and predicts every dev row. ``model`` itself is left unfitted.

    Parameters
    ----------
    model : BaseLabelModel
        The model to evaluate (copied with ``sklearn.base.clone``-style ``get_params``).
    L_dev, y_dev : array
        The dev rows' votes ``(n_dev, m)`` and gold class ids ``(n_dev,)``.
    L : array, optional
        The votes the model is fitted on (every row to label); ``L_dev`` if omitted.
    n_splits : int, default 5
    seed : int, default 0
    tie_break : {"abstain", "seeded_random", "hash"}, default "abstain"
        Passed to each copy's ``predict``.

    Examples
    --------
    >>> from weaksup.models import DevWeightedVote
    >>> L_dev, y_dev = np.array([[0, 1, -1], [1, 1, 0], [0, 0, 0], [1, 0, 1]] * 3), np.array([0, 1, 0, 1] * 3)
    >>> oof = out_of_fold_predict(DevWeightedVote(cardinality=2), L_dev, y_dev, n_splits=3)
    >>> oof.proba.shape, oof.pred[:4].tolist()
    ((12, 2), [0, 1, 0, 1])
    """
    dev = L_dev.values if isinstance(L_dev, VoteMatrix) else np.asarray(L_dev)
    y = np.asarray(y_dev, dtype=np.int64)
    L = dev if L is None else L
    if not type(model).uses_dev_gold:
        fitted = _fresh(model).fit(L)
        return OutOfFold(fitted.predict_proba(dev), fitted.predict(dev, tie_break=tie_break))
    n_folds = min(n_splits, len(y))
    folds = dev_folds(y, n_folds, seed)
    proba: np.ndarray | None = None
    pred = np.full(len(y), -1, dtype=np.int64)
    for f in range(n_folds):
        held = folds == f
        fit: Callable[..., BaseLabelModel] = _fresh(model).fit  # uses_dev_gold: it takes L_dev, y_dev
        fitted = fit(L, L_dev=dev[~held], y_dev=y[~held])
        fold_proba = fitted.predict_proba(dev[held])
        if proba is None:
            proba = np.zeros((len(y), fold_proba.shape[1]))
        proba[held] = fold_proba
        pred[held] = fitted.predict(dev[held], tie_break=tie_break)
    if proba is None:  # no dev rows
        proba = np.zeros((0, model.cardinality or 2))
    return OutOfFold(proba, pred)


def out_of_fold_proba(model: BaseLabelModel, L_dev: Any, y_dev: Any, *, L: Any = None, n_splits: int = 5,
                      seed: int = 0) -> np.ndarray:
    """The ``proba`` of :func:`out_of_fold_predict`: ``(n_dev, k)`` honest dev probabilities.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> out_of_fold_proba(MajorityVote(cardinality=2), [[0, 0, 1]], [0]).round(2).tolist()
    [[0.67, 0.33]]
    """
    return out_of_fold_predict(model, L_dev, y_dev, L=L, n_splits=n_splits, seed=seed).proba


def _fresh(model: ModelT) -> ModelT:
    """An unfitted copy with the same parameters (what ``sklearn.base.clone`` does)."""
    return type(model)(**model.get_params(deep=False))
