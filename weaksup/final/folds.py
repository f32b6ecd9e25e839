"""The folds of the final labels' cross-fitting, and how the label model and the end model are combined.

A row's fold is a hash of its position in the dataset and the seed (:func:`row_folds`), so a new chunk of rows
finds its fold without any table; the few dev gold rows are dealt out evenly instead (:func:`dealt_folds`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weaksup.calibration import EPS, apply_temperature, fit_temperature
from weaksup.end_model import n_rows
from weaksup.errors import EndModelError

__all__ = ["choose_lm_weight", "combine", "dealt_folds", "row_folds", "vote_arrays"]

_GOLDEN = 0x9E3779B97F4A7C15


def row_folds(positions: Any, n_folds: int, seed: int = 0) -> np.ndarray:
    """The fold ``0..n_folds-1`` of each row: a hash (splitmix64) of its position and the seed.

    Examples
    --------
    >>> row_folds([0, 1, 2, 3, 4, 5], 3, seed=0).tolist() == row_folds([0, 1, 2, 3, 4, 5], 3, seed=0).tolist()
    True
    >>> round(row_folds(np.arange(30000), 3).tolist().count(0) / 1000)
    10
    """
    x = np.asarray(positions, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64((seed + 1) * _GOLDEN % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    folds: np.ndarray = (z % np.uint64(n_folds)).astype(np.int64)
    return folds


def dealt_folds(positions: Any, n_folds: int, seed: int = 0) -> np.ndarray:
    """Folds of a few rows (the dev gold rows): in the order of their position hash, dealt out in turn.

    Every fold gets ``len // n_folds`` or one more row, and a row's fold never depends on its label.

    Examples
    --------
    >>> np.bincount(dealt_folds(np.arange(100, 120), 5)).tolist()
    [4, 4, 4, 4, 4]
    """
    pos = np.asarray(positions, dtype=np.int64)
    z = row_folds(pos, 2**62, seed)  # the hash itself, folded into 0..2^62-1
    folds = np.empty(len(pos), dtype=np.int64)
    folds[np.lexsort((pos, z))] = np.arange(len(pos)) % n_folds
    return folds


def combine(lm_proba: np.ndarray, end_proba: np.ndarray, covered: np.ndarray, lm_weight: float) -> np.ndarray:
    """``(1 - w) log p_end + w log p_lm`` on covered rows, ``p_end`` elsewhere, renormalised.

    Examples
    --------
    >>> combine(np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]]), np.array([True]), 0.5).round(2).tolist()
    [[0.75, 0.25]]
    """
    log_end = np.log(np.clip(end_proba, EPS, 1.0))
    log_lm = np.log(np.clip(lm_proba, EPS, 1.0))
    z = np.where(covered[:, None], (1.0 - lm_weight) * log_end + lm_weight * log_lm, log_end)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def choose_lm_weight(lm: np.ndarray, end: np.ndarray, covered: np.ndarray, y: np.ndarray,
                     weights: Any, *, calibrate: bool = True, rule: str = "one_se") -> tuple[float, dict[float, float]]:
    """The smallest label model weight whose dev log-loss is within one standard error of the best one's.

    The one-standard-error rule of cross-validation: a few dozen dev rows rank close candidates by chance, so
    the label model only counts when dev shows that it helps beyond that noise. Each candidate is scored after
    its own temperature (``calibrate``).

    Parameters
    ----------
    lm, end : array (n, k)
        Out-of-fold probabilities of the dev rows from the label model and the end model.
    covered : bool array (n,)
        Rows with at least one vote.
    y : int array (n,)
        Their gold class ids.
    weights : sequence of float
        The candidate label model weights, in [0, 1].
    rule : {"one_se", "best"}, default "one_se"
        ``"best"``: the weight with the lowest dev log-loss, without the one-standard-error rule.

    Returns
    -------
    (float, dict)
        The chosen weight, and the dev log-loss of every candidate.

    Examples
    --------
    >>> lm = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]] * 5)
    >>> end = np.array([[0.6, 0.4], [0.4, 0.6], [0.4, 0.6], [0.5, 0.5]] * 5)
    >>> choose_lm_weight(lm, end, np.ones(20, bool), np.array([0, 1, 0, 1] * 5), (0.0, 1.0))[0]
    1.0
    """
    losses: dict[float, np.ndarray] = {}
    for w in sorted({float(w) for w in weights}):
        p = combine(lm, end, covered, w)
        if calibrate:
            p = apply_temperature(p, fit_temperature(p, y))
        losses[w] = -np.log(np.clip(p[np.arange(len(y)), y], EPS, 1.0))
    scores = {w: float(loss.mean()) for w, loss in losses.items()}
    best = min(scores, key=lambda w: (scores[w], w))
    if len(y) < 2 or rule == "best":
        return best, scores
    for w, loss in losses.items():  # smallest first
        diff = loss - losses[best]
        if diff.mean() <= diff.std(ddof=1) / np.sqrt(len(diff)):
            return w, scores
    return best, scores  # pragma: no cover - best itself always qualifies


def vote_arrays(features: Any, L: Any, positions: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``(votes, positions)`` of :class:`weaksup.FinalLabeler`'s input, checked against ``features``' rows.

    Examples
    --------
    >>> votes, pos = vote_arrays(["a", "b"], np.array([[0], [-1]]), [3, 4], "fit")
    >>> votes.shape, pos.tolist()
    ((2, 1), [3, 4])
    """
    votes = np.asarray(getattr(L, "values", L))
    if votes.ndim != 2 or not np.issubdtype(votes.dtype, np.integer):
        raise EndModelError(f"FinalLabeler.{where}: L must be an int vote matrix (n_rows, n_lfs), -1 = abstain; "
                            f"got dtype {votes.dtype} and shape {votes.shape}")
    pos = np.asarray(positions)
    if pos.shape != (len(votes),) or (len(pos) and not np.issubdtype(pos.dtype, np.integer)):
        raise EndModelError(f"FinalLabeler.{where}: positions must be one int row position per row of L "
                            f"({len(votes)}); got dtype {pos.dtype} and shape {pos.shape}")
    if n_rows(features) != len(votes):
        raise EndModelError(f"FinalLabeler.{where}: features has {n_rows(features)} rows but L has {len(votes)}; "
                            "pass the features and votes of the same rows, in the same order")
    return votes, pos.astype(np.int64)
