"""Per-label decision thresholds tuned on (honest) dev probabilities, and turning probabilities into label sets."""

from __future__ import annotations

import numpy as np

from weaksup.errors import ParameterError
from weaksup.models import f1_threshold
from weaksup.multilabel.space import MultiLabelSpace


#: :func:`half_f1_threshold` keeps half the best F1 only where the dev F1 there reaches this share of the best.
HALF_F1_KEPT = 0.9
#: How :func:`tune_thresholds` sets a label's own threshold: the best cut of its dev F1 curve, or half its best F1.
THRESHOLD_RULES = ("best_cut", "half_f1")


def pooled_threshold(proba: np.ndarray, Y: np.ndarray) -> float:
    """The one threshold with the best micro F1 over every (row, label) cell: the fallback of rare labels.

    Examples
    --------
    >>> pooled_threshold(np.array([[0.9, 0.2], [0.4, 0.7]]), np.array([[True, False], [False, True]]))
    0.55
    """
    return f1_threshold(np.asarray(proba, dtype=np.float64).ravel(), np.asarray(Y).ravel().astype(np.int64))


def plateau_threshold(scores: np.ndarray, y: np.ndarray, plateau: float = 0.9) -> float:
    """The median of the thresholds whose binary F1 on ``(scores, y)`` reaches ``plateau`` x the best F1.

    A lower-variance choice than the single best cut (:func:`~weaksup.models.f1_threshold`, which
    ``plateau >= 1`` returns): on a few dozen positives the F1 curve is jagged and its peak moves with every
    row, its high plateau much less.

    Examples
    --------
    >>> scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    >>> y = np.array([1, 1, 0, 1, 0, 1, 0, 0])
    >>> f1_threshold(scores, y), plateau_threshold(scores, y, 1.0), round(plateau_threshold(scores, y, 0.8), 2)
    (0.25, 0.25, 0.3)
    """
    if plateau >= 1.0 or not len(scores) or not (y == 1).any():
        return f1_threshold(scores, y)
    cuts, f1 = f1_curve(scores, y)
    return float(np.median(cuts[f1 >= f1.max() * plateau]))


def f1_curve(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct cut of ``scores`` (the threshold that keeps each prefix of the ranking positive) and the binary
    F1 of ``y`` there; ``y`` must hold a positive.

    Examples
    --------
    >>> cuts, f1 = f1_curve(np.array([0.9, 0.8, 0.3]), np.array([1, 0, 1]))
    >>> cuts.round(2).tolist(), f1.round(2).tolist()
    ([0.85, 0.55, 0.0], [0.67, 0.5, 0.8])
    """
    order = np.argsort(-scores, kind="stable")
    ranked = -scores[order]
    distinct = np.unique(ranked)
    kept = np.searchsorted(ranked, distinct, side="right")
    tp = np.cumsum(y[order] == 1)[kept - 1]
    f1 = 2 * tp / (kept + (y == 1).sum())
    cuts = np.append(-(distinct[:-1] + distinct[1:]) / 2, 0.0)
    return cuts, f1


def half_f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Half the best F1 that any cut of ``scores`` reaches on ``y``: the F1-optimal threshold of calibrated
    probabilities (Lipton, Elkan and Naryanaswamy 2014, "Optimal thresholding of classifiers to maximize F1").

    The best F1 is a steadier figure than where the jagged F1 curve of a few dozen dev positives peaks, so this
    threshold moves less from one set of dev rows to another than the best cut. Probabilities far from calibrated
    (e.g. a blend whose member knows nothing of the label) can put half the best F1 where the dev F1 is low: when
    the dev F1 there is below :data:`HALF_F1_KEPT` of the best, the best cut is taken instead (also without a
    positive: :func:`~weaksup.models.f1_threshold`).

    Examples
    --------
    >>> scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    >>> round(half_f1_threshold(scores, np.array([1, 0, 1, 1, 0, 0, 0, 0])), 3)  # best F1 6/7 (top 4); cut 0.5
    0.429
    >>> half_f1_threshold(scores, np.array([1, 1, 0, 1, 0, 1, 0, 0]))  # best F1 0.8: at 0.4 it is 0.67, the best cut
    0.25
    """
    if not len(scores) or not (y == 1).any():
        return f1_threshold(scores, y)
    cuts, f1 = f1_curve(scores, y)
    half = float(f1.max() / 2)
    on = scores >= half  # the rows this threshold labels (decide: proba >= threshold)
    reached = 2 * np.count_nonzero(on & (y == 1)) / (np.count_nonzero(on) + np.count_nonzero(y == 1))
    if reached < HALF_F1_KEPT * f1.max():  # not calibrated enough for the rule: the dev curve's best cut
        return float(cuts[np.argmax(f1)])
    return half


def tune_thresholds(proba: np.ndarray, Y: np.ndarray, *, min_positives: int = 5, strength: float = 10.0,
                    default: float | np.ndarray | None = None, plateau: float = 1.0,
                    rule: str = "best_cut") -> np.ndarray:
    """``(k,)`` thresholds: each label's best-F1 threshold on the dev probabilities, shrunk toward a pooled one.

    ``proba`` must be honest (from models that did not learn from these dev rows' labels). A label with
    ``p`` dev positives gets ``w * own + (1 - w) * pooled`` with ``w = p / (p + strength)``; below
    ``min_positives`` it gets the fallback: ``default`` if given (one number, or one per label), else the
    pooled threshold (:func:`pooled_threshold`).

    Parameters
    ----------
    proba : array of float, shape (n_dev, k)
    Y : array of bool, shape (n_dev, k)
        The dev gold label sets.
    min_positives : int, default 5
    strength : float, default 10.0
        Pseudo-positives of the shrinkage (0: each label's own threshold).
    default : float or array of float, shape (k,), optional
        The fallback threshold(s) instead of the pooled one (the models pass :func:`agreement_thresholds`).
    plateau : float, default 1.0
        Each label's own threshold: the best-F1 cut (1.0), or the median of the cuts within this share of the
        best F1 (:func:`plateau_threshold`).
    rule : {"best_cut", "half_f1"}, default "best_cut"
        ``"half_f1"``: each label's own threshold is half its best dev F1 (:func:`half_f1_threshold`; ``plateau``
        unused), for calibrated probabilities.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.random((200, 2)) < [0.3, 0.01]
    >>> proba = np.clip(Y * 0.3 + rng.random((200, 2)) * 0.5, 0, 1)
    >>> t = tune_thresholds(proba, Y)
    >>> bool(0.2 < t[0] < 0.6), bool(t[1] == pooled_threshold(proba, Y))  # label 1 has 2 positives: pooled
    (True, True)
    """
    P = np.asarray(proba, dtype=np.float64)
    G = np.asarray(Y, dtype=bool)
    if P.shape != G.shape or P.ndim != 2:
        raise ParameterError(f"dev probabilities {P.shape} and gold {G.shape} must both be (n_dev, k)")
    if min_positives < 0 or strength < 0:
        raise ParameterError(f"min_positives ({min_positives}) and strength ({strength}) must be >= 0")
    if not 0 < plateau <= 1:
        raise ParameterError(f"plateau must be in (0, 1] (a share of the best F1); got {plateau}")
    if rule not in THRESHOLD_RULES:
        raise ParameterError(f"rule must be one of {list(THRESHOLD_RULES)}; got {rule!r}")
    if default is not None:
        fallback = np.broadcast_to(np.asarray(default, dtype=np.float64), (P.shape[1],)).copy()
    else:
        fallback = np.full(P.shape[1], pooled_threshold(P, G) if G.any() else 0.5)
    out = np.minimum(fallback, 1.0)
    for c in range(P.shape[1]):
        positives = int(G[:, c].sum())
        if positives < max(min_positives, 1):
            continue
        y = G[:, c].astype(np.int64)
        own = min(half_f1_threshold(P[:, c], y) if rule == "half_f1" else plateau_threshold(P[:, c], y, plateau), 1.0)
        w = positives / (positives + strength)
        out[c] = w * own + (1 - w) * out[c]
    return out


def agreement_thresholds(proba: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``(k,)`` per-label thresholds whose decisions best agree (F1) with ``reference`` decisions on the same rows.

    The fallback of labels with few dev positives: with ``reference`` the per-label majority-vote decisions on
    the (unlabeled) rows to label, such a label decides as its LFs' majority does, on the model's scale.
    A label the reference never turns on gets a threshold above 1 (never on).

    Examples
    --------
    >>> agreement_thresholds(np.array([[0.9, 0.1], [0.2, 0.3], [0.6, 0.2]]),
    ...                      np.array([[True, False], [False, False], [True, False]])).round(2).tolist()
    [0.4, 1.0]
    """
    P = np.asarray(proba, dtype=np.float64)
    R = np.asarray(reference, dtype=bool)
    return np.array([f1_threshold(P[:, c], R[:, c].astype(np.int64)) for c in range(P.shape[1])])


def decide(proba: np.ndarray, thresholds: np.ndarray, space: MultiLabelSpace) -> np.ndarray:
    """``(n, k)`` bool label sets: ``proba >= thresholds``, then exclusivity and the none label.

    In each exclusive group only the label furthest above its threshold is kept. The none label
    (exclusive with every other label) is set exactly on the rows where no other label is kept: another
    label always wins over it (on GoEmotions' dev rows, letting a confident "neutral" overrule other labels
    cost every learned model 1-3 macro-F1 points in cross-validation).

    Examples
    --------
    >>> space = MultiLabelSpace(["pos", "neg", "other", "none"], exclusive=[["pos", "neg"]], none_label="none")
    >>> proba = np.array([[0.9, 0.7, 0.6, 0.1], [0.1, 0.2, 0.1, 0.3], [0.1, 0.2, 0.55, 0.99]])
    >>> decide(proba, np.full(4, 0.5), space).astype(int).tolist()
    [[1, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    """
    P = np.asarray(proba, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != space.k or t.shape != (space.k,):
        raise ParameterError(f"probabilities {P.shape} and thresholds {t.shape} do not fit the {space.k} labels "
                             f"{list(space.labels)}")
    margin = P - t
    on = margin >= 0
    rows = np.arange(len(P))
    for group in space.exclusive_indices():
        sub = on[:, group]
        clash = sub.sum(axis=1) > 1
        if clash.any():
            best = group[np.argmax(np.where(sub, margin[:, group], -np.inf), axis=1)]
            on[np.ix_(clash, group)] = False
            on[rows[clash], best[clash]] = True
    none = space.none_index
    if none is not None:
        others = np.delete(np.arange(space.k), none)
        on[:, none] = ~on[:, others].any(axis=1)
    return on
