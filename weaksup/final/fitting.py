"""One fold of the final labels' cross-fitting: a label model and an end model trained on the fold's rows.

:class:`weaksup.FinalLabeler` fits, for each fold ``f``, a label model on the votes of the rows it may learn from
(and their dev gold, when it learns from gold), then an end model on that label model's weak labels of the voted
rows and on the dev gold rows (weighted, :func:`training_labels`), then again with its own labels of the rows no
LF votes on (self-training). Which rows it may learn from is the caller's: the other folds' rows (the honest
models that label fold ``f``'s dev gold rows), or those and every dev gold row (the models that label fold
``f``'s rows without gold, which never sit among their training rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from weaksup.end_model import class_proba, take_rows, train_end_model
from weaksup.final.neighbours import mix_proba, neighbour_proba
from weaksup.models.base import BaseLabelModel
from weaksup.models.fitting import fit_label_model

__all__ = ["FoldInputs", "fit_fold", "training_labels"]


def training_labels(weak: np.ndarray, gold: np.ndarray, *, dev_weight: float | None = None,
                    weak_labels: str = "confidence") -> tuple[np.ndarray, Any]:
    """The end model's training labels and ``sample_weight`` for rows with weak labels and (some) gold.

    On rows without gold (``gold < 0``): the label model's most probable class weighted by its confidence above
    chance (``weak_labels="confidence"``), or every class weighted by its probability (``"proba"``, returned with
    the weight policy ``"proba"``). On gold rows: the gold class, weighted by ``dev_weight``; by default
    ``max(1, n_weak / (4 n_gold))`` (``n_weak``: rows without gold and a weight above 0), so that the gold rows
    count for at least a fifth of the training.

    Examples
    --------
    >>> proba, weight = training_labels(np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]), np.array([-1, -1, 0]))
    >>> proba.tolist(), weight.round(2).tolist()
    ([[0.9, 0.1], [0.5, 0.5], [1.0, 0.0]], [0.8, 0.0, 1.0])
    """
    k = weak.shape[1]
    proba = weak.copy()
    conf = proba.max(axis=1) if len(proba) else np.zeros(0)
    weight = (conf - 1.0 / k) / (1.0 - 1.0 / k)
    is_gold = gold >= 0
    n_dev, n_weak = int(is_gold.sum()), int((~is_gold & (weight > 0)).sum())
    dev_w = float(dev_weight) if dev_weight is not None else max(1.0, n_weak / (4.0 * max(n_dev, 1)))
    proba[is_gold] = np.eye(k)[gold[is_gold]]
    if weak_labels == "proba":
        proba[is_gold] *= dev_w
        return proba, "proba"
    weight[is_gold] = dev_w
    return proba, weight


@dataclass(frozen=True)
class FoldInputs:
    """What every fold's models are trained from (shared by the folds of one fit).

    Attributes
    ----------
    k : int
        The number of classes.
    inputs : Any
        The end model's input rows (texts, or the shared TF-IDF matrix).
    votes : numpy.ndarray
        ``(n, m)`` LF votes.
    gold : numpy.ndarray
        ``(n,)`` gold class ids, ``-1`` without gold.
    covered : numpy.ndarray
        ``(n,)`` rows with at least one vote.
    classifier : Any
        The unfitted end model (cloned by :func:`weaksup.end_model.train_end_model`).
    labels : Callable
        ``(weak proba, gold) -> (training labels, sample_weight)`` (:func:`training_labels` with the settings).
    new_label_model : Callable
        Returns an unfitted label model.
    seed : int
    self_train : int
        Self-training rounds.
    neighbours : int
        Label propagation's neighbours (``0``: none; then ``vectors`` is ``None``).
    vectors : numpy.ndarray or None
        Unit-norm sentence embeddings of the rows, for ``neighbours``.
    """

    k: int
    inputs: Any
    votes: np.ndarray
    gold: np.ndarray
    covered: np.ndarray
    classifier: Any
    labels: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, Any]]
    new_label_model: Callable[[], BaseLabelModel]
    seed: int = 0
    self_train: int = 1
    neighbours: int = 0
    vectors: np.ndarray | None = None


def fit_fold(data: FoldInputs, train: np.ndarray) -> tuple[BaseLabelModel, Any, int]:
    """``(label model, end model, training rows)`` learned from the rows of the boolean mask ``train`` only.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> texts = np.array(["buy pills", "free money", "nice song", "love it", "buy now", "great song"] * 3)
    >>> votes = np.array([[1], [1], [0], [0], [-1], [-1]] * 3)
    >>> data = FoldInputs(2, texts, votes, np.full(18, -1), (votes >= 0).any(axis=1), None,
    ...                   training_labels, lambda: MajorityVote(cardinality=2))
    >>> lm, end, n = fit_fold(data, np.arange(18) < 12)
    >>> n, end.predict(["buy pills now"]).tolist()
    (12, [1])
    """
    votes, gold, covered, is_gold = data.votes, data.gold, data.covered, data.gold >= 0
    lm = fit_label_model(data.new_label_model(), votes[train], L_dev=votes[train & is_gold],
                         y_dev=gold[train & is_gold])
    rows = np.flatnonzero(train & (covered | is_gold))
    proba, weight = data.labels(lm.predict_proba(votes[rows]), gold[rows])
    end = train_end_model(take_rows(data.inputs, rows), proba, sample_weight=weight, model=data.classifier,
                          seed=data.seed)
    unvoted = np.flatnonzero(train & ~covered & ~is_gold)
    base_rows, base_proba, base_weight = rows, proba, weight
    near = None if data.vectors is None or not len(unvoted) else neighbour_proba(
        data.vectors[unvoted], data.vectors[rows], proba, data.neighbours)
    for _ in range(data.self_train if len(unvoted) else 0):  # its own labels of the no-vote rows
        own = class_proba(end, take_rows(data.inputs, unvoted), data.k)
        pseudo, pseudo_w = data.labels(own if near is None else mix_proba(own, near), gold[unvoted])
        rows = np.concatenate([base_rows, unvoted])
        proba = np.vstack([base_proba, pseudo])
        weight = base_weight if isinstance(base_weight, str) else np.concatenate([base_weight, pseudo_w])
        end = train_end_model(take_rows(data.inputs, rows), proba, sample_weight=weight, model=data.classifier,
                              seed=data.seed)
    return lm, end, len(rows)
