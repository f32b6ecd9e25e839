"""The mixed review order: a budget shared between the reasons a row is worth a human's time.

Ranking every row by the label's entropy alone spends the whole budget on one kind of row: when the
label model abstains on rows no LF voted on, those rows all share the maximal entropy, and a batch of
them teaches the label model nothing. :func:`mixed_review_order` gives each candidate row one reason
(:data:`QUEUE_REASONS`): ``uncovered`` when no LF voted, else the first of the others that applies:

``model_disagreement``
    a second opinion (e.g. the label model's when the labels are the end model's) names another class;
    ordered by how far the two distributions are apart (total variation).
``lf_conflict``
    the row's LFs vote for different classes; ordered by the label's margin uncertainty, then the
    share of votes against the label.
``low_margin``
    the other rows with at least one vote; ordered by margin uncertainty (``1 - (p1 - p2)``).
``uncovered``
    no LF voted; clustered by text (:func:`weaksup.clusters.cluster_texts`) and taken cluster by cluster
    in proportion to cluster size, within a cluster by the label's uncertainty (the end model's, when it
    labels those rows) with the MMR diversity step, so the batch covers the topics the LFs miss.

**The budget split.** Reason ``r`` with ``n_r`` candidate rows has weight ``w_r = sqrt(n_r)``
(``weights="sqrt"``; ``"count"``: ``n_r``; ``"equal"``: 1). Its ``j``-th row (from 0, in its own order)
gets the slot key ``(j + 1/2) / w_r`` and the queue is every row by increasing key (ties: the reasons in
:data:`QUEUE_REASONS` order). This is the Sainte-Lagu\u00eb divisor rule: every prefix of the queue, so
every budget, splits its rows across the reasons in proportion to the weights, the reasons interleave
(round-robin, weighted), and a reason that runs out of rows leaves its slots to the others. Square-root
weights let big reasons take more of the budget without starving a small one. Clusters share the
``uncovered`` rows by the same rule with weight = cluster size. Everything is deterministic for a seed.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from weaksup.errors import ReviewError
from weaksup.review.priority import review_order
from weaksup.review.scores import uncertainty_score
from weaksup.validation import check_number

logger = logging.getLogger(__name__)

#: The reasons of the mixed queue, in the order a row is given the first that applies.
QUEUE_REASONS = ("model_disagreement", "lf_conflict", "low_margin", "uncovered")
#: Budget split rules of :func:`mixed_review_order` (the weight of a reason with ``n`` candidate rows).
WEIGHTS = ("sqrt", "count", "equal")
#: At most this many uncovered rows are clustered (the best-scored, ties in seeded order).
CLUSTER_ROWS = 20_000


@dataclass(frozen=True)
class MixedOrder:
    """The result of :func:`mixed_review_order`.

    Attributes
    ----------
    positions : int array
        Row positions in review order (most worth reviewing first).
    reasons : array of str
        The reason each row of ``positions`` was queued for (one of :data:`QUEUE_REASONS`).
    available : dict
        How many candidate rows each reason had.
    clusters : int array
        The text cluster of each queued ``uncovered`` row (-1 for the other reasons).
    """

    positions: np.ndarray
    reasons: np.ndarray
    available: dict[str, int] = field(default_factory=dict)
    clusters: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def counts(self) -> dict[str, int]:
        """How many queued rows each reason took.

        Examples
        --------
        >>> MixedOrder(np.array([3, 1]), np.array(["lf_conflict", "uncovered"])).counts()
        {'model_disagreement': 0, 'lf_conflict': 1, 'low_margin': 0, 'uncovered': 1}
        """
        return {r: int((self.reasons == r).sum()) for r in QUEUE_REASONS}


def row_reasons(proba: Any, n_votes: Any, *, conflict: Any = None, other: Any = None) -> np.ndarray:
    """The queue reason of every row: ``uncovered`` without votes, else the first of :data:`QUEUE_REASONS` that applies.

    Parameters
    ----------
    proba : array (n, k)
        The labels' class probabilities.
    n_votes : int array (n,)
        How many LFs voted on each row.
    conflict : array (n,), optional
        Whether the row's LFs disagree (bool, or the share of votes against the label: > 0 counts).
    other : array (n, k) of probabilities or (n,) of class ids (-1: none), optional
        A second opinion; a row whose top class differs from it is a ``model_disagreement``.

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.5, 0.5], [0.8, 0.2]])
    >>> row_reasons(proba, [2, 3, 0, 1], conflict=[False, True, False, False], other=[0, 0, 1, 1]).tolist()
    ['low_margin', 'lf_conflict', 'uncovered', 'model_disagreement']
    """
    p = _proba(proba)
    n = len(p)
    votes = _vector(n_votes, n, "n_votes").astype(np.int64)
    clash = np.zeros(n, dtype=bool) if conflict is None else _vector(conflict, n, "conflict").astype(float) > 0
    disagree = np.zeros(n, dtype=bool)
    if other is not None:
        theirs = _other_labels(other, n, p.shape[1])
        disagree = (theirs >= 0) & (theirs != p.argmax(axis=1))
    names = np.asarray(QUEUE_REASONS, dtype=object)
    code = np.where(votes == 0, 3, np.where(disagree, 0, np.where(clash, 1, 2)))
    reasons: np.ndarray = names[code]
    return reasons


def mixed_review_order(
    proba: Any,
    n_votes: Any,
    *,
    texts: Sequence[Any] | None = None,
    conflict: Any = None,
    other: Any = None,
    candidates: Any = None,
    budget: int | None = None,
    weights: str = "sqrt",
    n_clusters: int = 8,
    diversity: float = 0.3,
    near_duplicate: float = 0.9,
    seed: int = 0,
    groups: Any = None,
) -> MixedOrder:
    """Rows to review, mixing the reasons of :data:`QUEUE_REASONS` (see the module docstring for the rule).

    Parameters
    ----------
    proba : array (n, k)
        The labels' class probabilities (the final ones when an end model labels some rows).
    n_votes : int array (n,)
        How many LFs voted on each row.
    texts : sequence of str, optional
        The rows' text: clusters of uncovered rows and the MMR diversity step (none without it).
    conflict : array (n,), optional
        The row's LFs disagree (bool, or the share of votes against the label).
    other : array (n, k) or (n,), optional
        A second opinion: another model's probabilities, or its class ids (-1 where it has none).
    candidates : bool array (n,), optional
        The rows that may be queued (default: all); e.g. rows routed to review and not yet reviewed.
    budget : int, optional
        How many rows to return (all candidates when None).
    weights : {"sqrt", "count", "equal"}, default "sqrt"
        The weight of a reason with ``n_r`` candidate rows: ``sqrt(n_r)``, ``n_r`` or 1.
    n_clusters : int, default 8
        Text clusters of the uncovered rows.
    diversity, near_duplicate : float
        The MMR step within each reason (see :func:`~weaksup.review.priority.review_order`).
    seed : int, default 0
        Ties, clusters and MMR: the same inputs and seed give the same queue.
    groups : int array (n,), optional
        A group id per row (e.g. its vote pattern): each reason but ``uncovered`` shares its rows between its
        groups by the budget split rule (square-root weights of the groups' sizes), so a batch is not one
        group's rows; default: one group.

    Returns
    -------
    MixedOrder

    Examples
    --------
    >>> proba = np.array([[0.5, 0.5]] * 3 + [[0.55, 0.45], [0.9, 0.1], [0.7, 0.3]])
    >>> texts = ["free iphone", "nice song", "lol", "my channel", "great video", "check this"]
    >>> out = mixed_review_order(proba, [0, 0, 0, 2, 1, 2], texts=texts, conflict=[0, 0, 0, 1, 0, 0], budget=4)
    >>> out.reasons.tolist()
    ['uncovered', 'low_margin', 'lf_conflict', 'uncovered']
    >>> out.available
    {'model_disagreement': 0, 'lf_conflict': 1, 'low_margin': 2, 'uncovered': 3}
    """
    p = _proba(proba)
    n = len(p)
    if weights not in WEIGHTS:
        raise ReviewError(f"unknown budget split weights={weights!r}; choose one of {list(WEIGHTS)}")
    if budget is not None:
        check_number(budget, name="budget", low=0, integer=True, error=ReviewError)
    check_number(n_clusters, name="n_clusters", low=1, integer=True, error=ReviewError)
    if texts is not None and len(texts) != n:
        raise ReviewError(f"texts has {len(texts)} entries but proba has {n} rows; give one text per row")
    mask = np.ones(n, dtype=bool) if candidates is None else _vector(candidates, n, "candidates").astype(bool)
    reasons = row_reasons(p, n_votes, conflict=conflict, other=other)
    margin = uncertainty_score(p, "margin")
    score = margin.copy()
    if other is not None and np.ndim(other) == 2:
        score = np.where(reasons == "model_disagreement", 0.5 * np.abs(p - _proba(other)).sum(axis=1), score)
    if conflict is not None:  # the share of votes against the label breaks ties among conflicts
        share = _vector(conflict, n, "conflict").astype(float)
        score = np.where(reasons == "lf_conflict", margin + 1e-3 * share, score)
    uncovered = reasons == "uncovered"
    score[uncovered] = uncertainty_score(p[uncovered], "entropy")
    pools = {r: np.flatnonzero(mask & (reasons == r)) for r in QUEUE_REASONS}
    available = {r: len(rows) for r, rows in pools.items()}
    want = sum(available.values()) if budget is None else min(int(budget), sum(available.values()))
    quotas = dict(zip(QUEUE_REASONS, divisor_split([available[r] for r in QUEUE_REASONS], want, weights)))
    text_arr = None if texts is None else np.asarray(texts, dtype=object)
    picked: list[np.ndarray] = []
    cluster_of: list[np.ndarray] = []
    for reason in QUEUE_REASONS:
        rows, quota = pools[reason], quotas[reason]
        if quota == 0:
            picked.append(np.empty(0, dtype=np.int64))
            cluster_of.append(np.empty(0, dtype=np.int64))
            continue
        if reason == "uncovered":
            chosen, clusters = _by_cluster(rows, score[rows], text_arr, quota, n_clusters, diversity,
                                           near_duplicate, seed)
        else:
            ids = np.zeros(len(rows), dtype=np.int64) if groups is None else np.unique(
                _vector(groups, n, "groups")[rows], return_inverse=True)[1].reshape(-1)
            chosen = _share(rows, ids, score[rows], text_arr, quota, "sqrt", diversity, near_duplicate, seed)[0]
            clusters = np.full(len(chosen), -1, dtype=np.int64)
        picked.append(chosen)
        cluster_of.append(clusters)
    slots = interleave([len(x) for x in picked], [available[r] for r in QUEUE_REASONS], weights)
    positions = np.concatenate(picked)[slots].astype(np.int64) if want else np.empty(0, dtype=np.int64)
    names = np.concatenate([np.full(len(x), r, dtype=object) for r, x in zip(QUEUE_REASONS, picked)])
    queued_clusters = np.concatenate(cluster_of)
    out = MixedOrder(positions, names[slots] if want else names, available,
                     queued_clusters[slots] if want else queued_clusters)
    logger.info("mixed review order: %d row(s) of %d candidate(s); by reason %s", len(positions),
                int(mask.sum()), out.counts())
    return out


def divisor_split(available: Sequence[int], budget: int, weights: str = "sqrt") -> list[int]:
    """How many of ``budget`` slots each group gets under the Sainte-Lagu\u00eb rule (see the module docstring).

    Examples
    --------
    >>> divisor_split([100, 25, 0, 4], 10)
    [6, 3, 0, 1]
    >>> divisor_split([100, 25, 0, 4], 10, "count")
    [8, 2, 0, 0]
    >>> divisor_split([1, 50], 10, "equal")
    [1, 9]
    """
    sizes = [int(a) for a in available]
    order = _slot_order(sizes, min(budget, sum(sizes)), sizes, weights)
    return [int(c) for c in np.bincount(order, minlength=len(sizes))]


def interleave(taken: Sequence[int], available: Sequence[int], weights: str = "sqrt") -> np.ndarray:
    """Positions into the concatenation of the groups' rows (``taken[g]`` of group ``g``) in slot-key order.

    Examples
    --------
    >>> interleave([3, 1], [9, 1]).tolist()  # group 0 holds positions 0-2, group 1 position 3
    [0, 1, 3, 2]
    """
    sizes = [int(t) for t in taken]
    groups = _slot_order(sizes, sum(sizes), [int(a) for a in available], weights)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    seen = np.zeros(len(sizes), dtype=np.int64)
    out = np.empty(len(groups), dtype=np.int64)
    for i, g in enumerate(groups):
        out[i] = starts[g] + seen[g]
        seen[g] += 1
    return out


def _slot_order(sizes: list[int], want: int, available: list[int], weights: str) -> np.ndarray:
    """The group of each of the first ``want`` slots: the j-th row of group g has key (j + 1/2) / w_g."""
    if want <= 0:
        return np.empty(0, dtype=np.int64)
    w = np.array([np.sqrt(a) if weights == "sqrt" else float(a) if weights == "count" else 1.0
                  for a in available], dtype=np.float64)
    keys, groups = [], []
    for g, size in enumerate(sizes):
        if size and w[g] > 0:
            j = np.arange(min(size, want), dtype=np.float64)
            keys.append((j + 0.5) / w[g])
            groups.append(np.full(len(j), g, dtype=np.int64))
    if not keys:
        return np.empty(0, dtype=np.int64)
    key, group = np.concatenate(keys), np.concatenate(groups)
    order = np.lexsort((group, key))[:want]
    slots: np.ndarray = group[order]
    return slots


def _by_cluster(rows: np.ndarray, score: np.ndarray, texts: np.ndarray | None, quota: int, n_clusters: int,
                diversity: float, near_duplicate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``quota`` uncovered rows, shared between text clusters in proportion to their size."""
    if texts is None or len(rows) < 2 * n_clusters:
        sub = None if texts is None else texts[rows]
        chosen = rows[review_order(score, sub, budget=quota, diversity=diversity, near_duplicate=near_duplicate,
                                   seed=seed)]
        return chosen, np.zeros(len(chosen), dtype=np.int64)
    from weaksup.clusters import cluster_texts

    tie = np.random.default_rng(seed).permutation(len(rows))
    pool = np.lexsort((tie, -score))[:CLUSTER_ROWS]
    with warnings.catch_warnings():  # fewer distinct texts than clusters: k-means says so, the split copes
        warnings.simplefilter("ignore", category=UserWarning)
        labels = cluster_texts(texts[rows[pool]], n_clusters, seed=seed).labels
    return _share(rows[pool], labels, score[pool], texts, quota, "count", diversity, near_duplicate, seed)


def _share(rows: np.ndarray, groups: np.ndarray, score: np.ndarray, texts: np.ndarray | None, quota: int,
           weights: str, diversity: float, near_duplicate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``quota`` of ``rows``, shared between their ``groups`` (ids 0..g-1) by the budget split rule with ``weights``
    of the groups' sizes, each group's by :func:`~weaksup.review.priority.review_order`, the groups interleaved;
    returns the rows chosen and their groups."""
    sizes = np.bincount(groups, minlength=int(groups.max()) + 1 if len(groups) else 0).tolist()
    picked, names = [], []
    for c, q in enumerate(divisor_split(sizes, quota, weights)):
        members = np.flatnonzero(groups == c)
        order = review_order(score[members], None if texts is None else texts[rows[members]], budget=q,
                             diversity=diversity, near_duplicate=near_duplicate, seed=seed) if q else members[:0]
        picked.append(rows[members[order]])
        names.append(np.full(len(order), c, dtype=np.int64))
    slots = interleave([len(x) for x in picked], sizes, weights)
    return np.concatenate(picked)[slots], np.concatenate(names)[slots]


def _proba(proba: Any) -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ReviewError(f"probabilities must have shape (n_rows, n_classes); got {p.shape}")
    if not np.isfinite(p).all():
        raise ReviewError(f"probabilities hold {int((~np.isfinite(p)).any(axis=1).sum())} row(s) with NaN or "
                          "infinite values; give every row its class probabilities")
    return p


def _vector(values: Any, n: int, name: str) -> np.ndarray:
    v = np.asarray(values)
    if v.shape != (n,):
        raise ReviewError(f"{name} must hold one value per row ({n}); got shape {v.shape}")
    return v


def _other_labels(other: Any, n: int, k: int) -> np.ndarray:
    """The second opinion's class id per row (-1: none), from probabilities or class ids."""
    o = np.asarray(other)
    if o.ndim == 2:
        if o.shape != (n, k):
            raise ReviewError(f"the second opinion's probabilities must have shape ({n}, {k}); got {o.shape}")
        theirs: np.ndarray = _proba(o).argmax(axis=1)
        return theirs
    ids = _vector(o, n, "other").astype(np.int64)
    if ((ids < -1) | (ids >= k)).any():
        raise ReviewError(f"the second opinion's class ids must be -1 (none) or 0..{k - 1}; got "
                          f"{sorted(set(ids[(ids < -1) | (ids >= k)].tolist()))[:5]}")
    return ids
