"""A discriminative vote stacker on dev gold: :class:`DevStacker`, and the stacking head :class:`DevNaiveBayes` uses.

Multinomial logistic regression on the one-hot votes (each LF x each class it votes), offset by the naive Bayes
model's log-probabilities: with the L2 penalty at its strongest it *is* the naive Bayes model, and the dev rows
pull it away only as far as cross-validation on them says is worth it (:func:`fit_stack_head`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple, Self

import numpy as np
from scipy import optimize, sparse

from weaksup.errors import LabelModelError
from weaksup.models.base import break_ties, row_max
from weaksup.models.calibrate import IDENTITY, calibrated, cross_fitted_calibration
from weaksup.models.dev import coarse_f1_threshold, f1_threshold
from weaksup.models.fitting import dev_folds
from weaksup.models.naive_bayes import DevNaiveBayes

logger = logging.getLogger(__name__)

#: Floor of the naive Bayes probabilities before their log is taken as the offset (a class the naive Bayes model
#: rules out, e.g. one nobody voted for, stays nearly ruled out).
FLOOR = 1e-6
#: Resamples of the dev rows behind the standard error of the stacker's gain over naive Bayes.
N_BOOTSTRAP = 200
#: The stacking settings of ``DevNaiveBayes(stack=True)``: :class:`DevStacker`'s defaults.
STACK_DEFAULTS: dict[str, Any] = {"Cs": (0.01, 0.03, 0.1, 0.3, 1.0), "n_se": 1.0, "gate_se": 2.0, "min_dev": 50}


class StackHead(NamedTuple):
    """A fitted stacking head (``C == 0``: none, naive Bayes alone) and what the dev rows showed."""

    #: The chosen inverse penalty (0.0: naive Bayes alone).
    C: float
    #: ``[W.ravel(), b, s]`` of :func:`fit_offset_logistic` (empty when ``C == 0``).
    coef: np.ndarray
    #: The calibration of the stacked probabilities (:func:`weaksup.models.calibrate.calibrated`).
    mix: float
    temperature: float
    #: With ``metric="f1"`` and ``C > 0``: the threshold on the stacked ``P(class 1)``.
    threshold: float | None
    #: Why naive Bayes stays alone, or the held-out dev figures that kept the stacker.
    note: str


def fit_offset_logistic(X: sparse.csr_array, offset: np.ndarray, y: np.ndarray, C: float, *,
                        weight: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Parameters ``[W.ravel(), b, s]`` of the multinomial logistic regression ``softmax(s * offset + X W + b)``
    fitted to ``y`` by L-BFGS, with the L2 penalty ``(|W|^2 + |b|^2 + (s - 1)^2) / (2 C)`` (so a small ``C``
    keeps it at ``softmax(offset)``); ``weight`` weighs the rows, ``start`` is a warm start.

    Examples
    --------
    >>> X = sparse.csr_array(np.array([[1.0, 0.0], [0.0, 1.0]] * 5))
    >>> theta = fit_offset_logistic(X, np.zeros((10, 2)), np.array([0, 1] * 5), C=10.0)
    >>> bool(offset_logistic_proba(X, np.zeros((10, 2)), theta)[0, 0] > 0.9)
    True
    """
    n, d = X.shape
    k = offset.shape[1]
    rows, XT = np.arange(n), X.T.tocsr()
    center = np.zeros(d * k + k + 1)
    center[-1] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b, s = theta[:d * k].reshape(d, k), theta[d * k:-1], theta[-1]
        z = X @ W
        z += s * offset
        z += b
        z -= row_max(z)[:, None]
        e = np.exp(z)
        total = e[:, 0].copy()
        for c in range(1, k):  # column by column: much faster than along axis 1 for a few columns
            total += e[:, c]
        g = e / total[:, None]  # the probabilities, then the gradient of the loss in z
        picked = z[rows, y] - np.log(total)
        g[rows, y] -= 1.0
        if weight is not None:
            picked *= weight
            g *= weight[:, None]
        delta = theta - center
        value = -float(picked.sum()) + float(delta @ delta) / (2 * C)
        grad = np.concatenate([(XT @ g).ravel(), g.sum(axis=0), [float(np.vdot(g, offset))]]) + delta / C
        return value, grad

    result = optimize.minimize(loss, center if start is None else start, jac=True, method="L-BFGS-B",
                               options={"maxiter": 500})
    theta: np.ndarray = result.x
    return theta


def offset_logistic_proba(X: sparse.csr_array, offset: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``(n, k)`` ``softmax(s * offset + X W + b)`` for the parameters of :func:`fit_offset_logistic`."""
    from weaksup.models.dawid_skene import softmax_rows

    d, k = X.shape[1], offset.shape[1]
    z = theta[-1] * offset + X @ theta[:d * k].reshape(d, k) + theta[d * k:-1]
    return softmax_rows(np.asarray(z))


def stacked_proba(votes: np.ndarray, proba: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """The stacking head ``coef`` applied to the naive Bayes probabilities ``proba`` of the rows ``votes``."""
    return offset_logistic_proba(vote_features(votes, proba.shape[1]), log_offset(proba), coef)


def too_few(y: np.ndarray, k: int, min_dev: int, n_folds: int) -> str:
    """Why the dev rows ``y`` are too few to try a stacking head, or ``""``.

    Examples
    --------
    >>> too_few(np.array([0, 1] * 10), 2, 50, 5)
    'fewer than min_dev=50 dev rows (20): naive Bayes alone'
    """
    if len(y) < min_dev:
        return f"fewer than min_dev={min_dev} dev rows ({len(y)}): naive Bayes alone"
    counts = np.bincount(y, minlength=k)
    if counts[counts > 0].min() < n_folds:
        return f"a class has fewer than n_folds={n_folds} dev rows: naive Bayes alone"
    return ""


def fit_stack_head(dev: np.ndarray, y: np.ndarray, honest: list[np.ndarray], *, metric: str, n_folds: int,
                   seed: int, calibrate: bool, thin_dev: float, Cs: Sequence[float], n_se: float, gate_se: float,
                   min_dev: int) -> StackHead:
    """The stacking head on the dev rows ``dev`` (gold ``y``), or none (``C == 0``).

    ``honest`` holds repeats of the naive Bayes model's out-of-fold probabilities of the dev rows (its offsets).
    Each repeat is cross-validated ``n_folds``-fold (other folds) for every ``C`` of ``Cs`` and for ``C = 0`` (the
    offsets alone); the smallest ``C`` whose held-out log-loss is within ``n_se`` standard errors (per-row paired
    differences) of the best is chosen, and kept only if its held-out ``metric`` beats naive Bayes' by more than
    ``gate_se`` standard errors (paired bootstrap of the dev rows). Then it is fitted on every repeat (rows weighed
    ``1 / repeats``) and calibrated, and with ``metric="f1"`` a threshold is tuned, on its held-out predictions
    (coarse with fewer than ``thin_dev`` rows of a class, as :class:`DevNaiveBayes` does).
    """
    k = honest[0].shape[1]
    why = too_few(y, k, min_dev, n_folds)
    if why:
        return StackHead(0.0, np.zeros(0), *IDENTITY, None, why)
    X = vote_features(dev, k)
    offsets = [log_offset(proba) for proba in honest]
    seeds = [seed + 7919 * r + 1 for r in range(len(offsets))]
    losses, oof = _cross_validate(X, offsets, y, seeds, n_folds, sorted(float(c) for c in Cs))
    mean = {c: float(loss.mean()) for c, loss in losses.items()}
    best = min(mean, key=lambda c: (mean[c], c))
    se = {c: float(np.std(losses[c] - losses[best], ddof=1) / np.sqrt(len(y))) for c in losses}
    C = min(c for c in losses if mean[c] <= mean[best] + n_se * se[c])
    if C == 0.0:
        return StackHead(0.0, np.zeros(0), *IDENTITY, None, f"held-out dev log-loss by C {mean}: naive Bayes alone")
    base = [_predictions(np.exp(offset), y, metric) for offset in offsets]
    mine = [_predictions(proba, y, metric) for proba in oof[C]]
    rows = np.random.default_rng(seed).integers(0, len(y), (N_BOOTSTRAP, len(y)))
    boot = [_mean_score([p[idx] for p in mine], y[idx], metric) - _mean_score([p[idx] for p in base], y[idx], metric)
            for idx in rows]
    scores = (_mean_score(base, y, metric), _mean_score(mine, y, metric), float(np.std(boot, ddof=1)))
    note = f"held-out dev {metric}: naive Bayes {scores[0]:.2f}, stacked (C={C}) {scores[1]:.2f}, se {scores[2]:.2f}"
    if scores[1] - scores[0] <= gate_se * scores[2]:
        return StackHead(0.0, np.zeros(0), *IDENTITY, None, f"{note}: naive Bayes alone")
    repeats = len(offsets)
    coef = fit_offset_logistic(sparse.vstack([X] * repeats, format="csr"), np.concatenate(offsets),
                               np.tile(y, repeats), C, weight=np.full(len(y) * repeats, 1.0 / repeats))
    stacked, y_stacked = np.concatenate(oof[C]), np.tile(y, repeats)
    mix, temperature = IDENTITY
    if calibrate:
        mix, temperature = cross_fitted_calibration(stacked, y_stacked, len(y), seed)
        stacked = calibrated(stacked, mix, temperature)
    threshold = None
    if metric == "f1" and np.bincount(y, minlength=2).min() < thin_dev:
        threshold = coarse_f1_threshold(stacked[:, 1], y_stacked)
    elif metric == "f1":
        threshold = f1_threshold(stacked[:len(y), 1], y)
    return StackHead(C, coef, mix, temperature, threshold, f"{note}: stacked")


def _cross_validate(X: sparse.csr_array, offsets: list[np.ndarray], y: np.ndarray, seeds: list[int], n_folds: int,
                    Cs: list[float]) -> tuple[dict[float, np.ndarray], dict[float, list[np.ndarray]]]:
    """Per dev row held-out log-loss of each ``C`` (mean over the repeats; ``0.0``: the offsets alone), and the
    held-out probabilities of each ``C`` in each repeat."""
    losses = {c: np.zeros(len(y)) for c in [0.0, *Cs]}
    oof: dict[float, list[np.ndarray]] = {c: [] for c in Cs}
    rows = np.arange(len(y))
    for offset, seed in zip(offsets, seeds):
        losses[0.0] -= offset[rows, y] / len(seeds)
        folds = dev_folds(y, n_folds, seed)
        held_proba = {c: np.zeros(offset.shape) for c in Cs}
        for f in range(n_folds):
            held, train = folds == f, folds != f
            start = None
            for c in Cs:  # from the strongest penalty, each fit warm-started from the previous one
                start = fit_offset_logistic(X[train], offset[train], y[train], c, start=start)
                held_proba[c][held] = offset_logistic_proba(X[held], offset[held], start)
        for c in Cs:
            losses[c] -= np.log(np.clip(held_proba[c][rows, y], 1e-12, 1.0)) / len(seeds)
            oof[c].append(held_proba[c])
    return losses, oof


def _predictions(proba: np.ndarray, y: np.ndarray, metric: str) -> np.ndarray:
    """Class ids from held-out dev probabilities: ties broken by hash, or at the best binary-F1 threshold."""
    if metric == "f1":
        return (proba[:, 1] >= f1_threshold(proba[:, 1], y)).astype(np.int64)
    preds: np.ndarray = break_ties(proba, "hash")
    return preds


def _mean_score(preds: list[np.ndarray], y: np.ndarray, metric: str) -> float:
    """Mean accuracy or binary F1 (positive class 1), in %, of each repeat's predictions."""
    if metric == "f1":
        return float(np.mean([200 * int(((p == 1) & (y == 1)).sum()) / max(int((p == 1).sum() + (y == 1).sum()), 1)
                              for p in preds]))
    return float(np.mean([100 * (p == y).mean() for p in preds]))


def vote_features(votes: np.ndarray, k: int) -> sparse.csr_array:
    """The stacker's features: one-hot votes (:func:`weaksup.models.dawid_skene.vote_matrix`)."""
    from weaksup.models.dawid_skene import vote_matrix

    return vote_matrix(votes, k)


def log_offset(proba: np.ndarray) -> np.ndarray:
    """``log`` of probabilities floored at :data:`FLOOR`: the stacker's offset."""
    out: np.ndarray = np.log(np.clip(proba, FLOOR, 1.0))
    return out


class DevStacker(DevNaiveBayes):
    """:class:`DevNaiveBayes` with a discriminative stacking head on its votes, its knobs exposed.

    ``P(y | votes) = softmax(s * log q(votes) + X W + b)``: ``q`` is the naive Bayes (calibrated) posterior,
    ``X`` the one-hot votes (LF ``j`` voting class ``c``), ``W``, ``b`` and ``s`` fitted on the dev rows by L2
    logistic regression toward ``W = 0``, ``b = 0``, ``s = 1``: toward naive Bayes. On the dev rows the offsets are
    naive Bayes' out-of-fold predictions, as on new rows it predicts without their labels. ``C`` and whether to
    stack at all are chosen on the dev rows (:func:`fit_stack_head`); with fewer than ``min_dev`` dev rows, or
    fewer than ``n_folds`` of a class, it is not tried. ``stack_note_`` says what was chosen and why (logged).
    ``DevNaiveBayes(stack=True)`` is this model at its default knobs (not the default: see :class:`DevNaiveBayes`).

    Parameters
    ----------
    cardinality : int, optional
    Cs : sequence of float, default (0.01, 0.03, 0.1, 0.3, 1.0)
        Inverse penalty strengths tried (of the summed log-loss, as scikit-learn's ``C``).
    n_se : float, default 1.0
        Standard errors of the held-out log-loss within which a smaller ``C`` (0: no head) is preferred.
    gate_se : float, default 2.0
        Standard errors by which the stacker's held-out dev metric must beat naive Bayes' to be kept.
    min_dev : int, default 50
        Fewer dev rows: naive Bayes alone.
    **the rest** :
        As :class:`DevNaiveBayes`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y_dev = rng.integers(0, 2, 300)
    >>> noisy = [np.where(rng.random(300) < 0.7, y_dev, 1 - y_dev)] * 4  # one noisy LF, copied 4 times
    >>> L_dev = np.stack([*noisy, np.where(rng.random(300) < 0.85, y_dev, 1 - y_dev)], axis=1)
    >>> model = DevStacker(cardinality=2).fit(L_dev, L_dev=L_dev, y_dev=y_dev)
    >>> model.stack_C_ > 0, model.predict([[0, 0, 0, 0, 1]]).tolist()  # naive Bayes would count 4 votes for 0
    (True, [1])
    >>> DevStacker(cardinality=2).fit(L_dev, L_dev=L_dev[:20], y_dev=y_dev[:20]).stack_note_
    'fewer than min_dev=50 dev rows (20): naive Bayes alone'
    """

    name = "DevStacker"
    parameter_constraints = {**{key: rule for key, rule in DevNaiveBayes.parameter_constraints.items()
                                if key != "stack"}, "n_se": {"low": 0}, "gate_se": {}, "min_dev": {"low": 2, "integer": True}}

    def __init__(self, cardinality: int | None = None, *, Cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0),
                 n_se: float = 1.0, gate_se: float = 2.0, min_dev: int = 50, smoothing: float = 3.0,
                 restrict_to_voted: bool | str = True, unlabeled: str = "auto", shrink_toward: str = "spread",
                 thin_dev: float = 10.0, thin_toward: str = "auto", max_unlabeled: int = 100_000,
                 calibrate: bool = True, metric: str = "acc", n_folds: int = 5, seed: int = 0) -> None:
        super().__init__(cardinality, smoothing=smoothing, restrict_to_voted=restrict_to_voted, unlabeled=unlabeled,
                         shrink_toward=shrink_toward, thin_dev=thin_dev, thin_toward=thin_toward,
                         max_unlabeled=max_unlabeled, calibrate=calibrate, metric=metric, n_folds=n_folds, seed=seed)
        del self.stack  # always stacks: not a parameter here
        self.Cs = Cs
        self.n_se = n_se
        self.gate_se = gate_se
        self.min_dev = min_dev

    def check_params(self) -> Self:
        """The declared constraints, and ``Cs``: a non-empty sequence of positive numbers."""
        super().check_params()
        if isinstance(self.Cs, str) or not isinstance(self.Cs, (list, tuple)) or not self.Cs \
                or not all(isinstance(c, (int, float)) and c > 0 for c in self.Cs):
            raise LabelModelError(f"DevStacker: Cs must be a non-empty list of positive numbers; got {self.Cs!r}")
        return self

    def stack_settings(self) -> dict[str, Any] | None:
        """This model's stacking knobs (never None: it always tries to stack)."""
        return {"Cs": self.Cs, "n_se": self.n_se, "gate_se": self.gate_se, "min_dev": self.min_dev}
