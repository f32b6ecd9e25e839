"""Forward-backward over chains of ordered items: the arithmetic of :class:`~weaksup.models.temporal.TemporalLabelModel`.

An item sequence (frames of a video, windows of a sensor series) is a Markov chain of hidden classes with a
``(k, k)`` transition matrix; each item's evidence is a ``(k,)`` likelihood. Sequences are given as the row
positions where each one starts (:func:`sequence_starts`); the rows of a sequence are contiguous and in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weaksup.errors import LabelModelError

__all__ = ["baum_welch_transitions", "count_transitions", "forward_backward", "sequence_starts"]


def sequence_starts(n: int, sequences: Any = None, *, where: str = "sequences") -> np.ndarray:
    """The first row of each sequence: ``[0]`` when ``sequences`` is None (one sequence), else the rows where the
    sequence id changes (rows of one sequence must be contiguous).

    Examples
    --------
    >>> sequence_starts(5).tolist(), sequence_starts(5, ["a", "a", "b", "b", "b"]).tolist()
    ([0], [0, 2])
    >>> sequence_starts(3, ["a", "b", "a"])
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: sequences: sequence 'a' is split (rows 0 and 2 are not contiguous); sort the \
rows by (sequence, order) first
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if sequences is None:
        return np.zeros(1, dtype=np.int64)
    ids = np.asarray(sequences)
    if len(ids) != n:
        raise LabelModelError(f"{where}: {len(ids)} sequence ids for {n} rows; give one id per row")
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    seen: dict[Any, int] = {}
    for s in starts.tolist():
        key = ids[s].item() if hasattr(ids[s], "item") else ids[s]
        if key in seen:
            raise LabelModelError(f"{where}: sequence {key!r} is split (rows {seen[key]} and {s} are not contiguous); "
                                  "sort the rows by (sequence, order) first")
        seen[key] = s
    return starts.astype(np.int64)


def _bounds(starts: np.ndarray, n: int) -> list[tuple[int, int]]:
    ends = np.r_[starts[1:], n]
    return list(zip(starts.tolist(), ends.tolist()))


def forward_backward(evidence: np.ndarray, transition: np.ndarray, initial: np.ndarray, starts: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Posterior class probabilities of each item given all items of its sequence, and the expected transition
    counts ``(k, k)`` (for :func:`baum_welch_transitions`).

    Parameters
    ----------
    evidence : array, shape (n, k)
        Each item's likelihood of each class (any positive scale per row).
    transition : array, shape (k, k)
        ``transition[a, b] = P(next class b | class a)``.
    initial : array, shape (k,)
        The class distribution of a sequence's first item.
    starts : array of int
        The first row of each sequence (:func:`sequence_starts`).

    Examples
    --------
    >>> A = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> ev = np.array([[0.9, 0.1], [0.4, 0.6], [0.9, 0.1]])  # the middle item leans to 1, its neighbours to 0
    >>> post, _ = forward_backward(ev, A, np.array([0.5, 0.5]), np.array([0]))
    >>> post.argmax(axis=1).tolist()
    [0, 0, 0]
    """
    n, k = evidence.shape
    post = np.zeros((n, k))
    xi = np.zeros((k, k))
    ev = np.clip(evidence / np.maximum(evidence.max(axis=1, keepdims=True), 1e-300), 1e-12, None)
    for lo, hi in _bounds(starts, n):
        e = ev[lo:hi]
        # alpha_t ~ M_t ... M_1 (initial * e_0) with M_t = diag(e_t) A^T; beta_t ~ N_t ... N_{m-2} 1, N_t = A diag(e_t+1)
        alpha = _scan(e[1:, :, None] * transition.T[None], initial * e[0])
        beta = _scan(transition[None] * e[1:, None, :], np.ones(k), reverse=True)
        g = alpha * beta
        post[lo:hi] = g / g.sum(axis=1, keepdims=True)
        if hi - lo > 1:
            pair = alpha[:-1, :, None] * transition[None] * (e[1:] * beta[1:])[:, None, :]
            xi += (pair / pair.sum(axis=(1, 2), keepdims=True)).sum(axis=0)
    return post, xi


def _scan(mats: np.ndarray, start: np.ndarray, *, reverse: bool = False) -> np.ndarray:
    """``(m, k)`` vectors: ``start`` and each prefix product of ``mats`` applied to it (``reverse``: suffix products,
    the vector at the end), each scaled to max 1: the forward or backward recursion as a parallel scan (log2 m
    batched matrix products instead of m small steps in Python)."""
    if reverse:
        mats = np.ascontiguousarray(mats[::-1])
    prod = mats.copy()
    d = 1
    while d < len(prod):
        new = prod[d:] @ prod[:-d]  # (the product of the 2d matrices ending at each position)
        prod[d:] = new / np.maximum(new.max(axis=(1, 2), keepdims=True), 1e-300)
        d *= 2
    out = np.empty((len(mats) + 1, len(start)))
    out[0] = start / start.max()
    if len(mats):
        vec = prod @ start
        out[1:] = vec / np.maximum(vec.max(axis=1, keepdims=True), 1e-300)
    return out[::-1] if reverse else out


def count_transitions(y: np.ndarray, k: int, starts: np.ndarray) -> np.ndarray:
    """``(k, k)`` counts of consecutive class pairs within each sequence (labels ``< 0`` break the count).

    Examples
    --------
    >>> count_transitions(np.array([0, 0, 1, 1, 0]), 2, np.array([0, 3])).tolist()  # [0, 0, 1] then [1, 0]
    [[1.0, 1.0], [1.0, 0.0]]
    """
    counts = np.zeros((k, k))
    for lo, hi in _bounds(starts, len(y)):
        a, b = y[lo:hi - 1], y[lo + 1:hi]
        ok = (a >= 0) & (b >= 0)
        np.add.at(counts, (a[ok], b[ok]), 1.0)
    return counts


def baum_welch_transitions(evidence: np.ndarray, initial: np.ndarray, starts: np.ndarray, *, stay: float = 0.9,
                           n_iter: int = 20, prior_counts: np.ndarray | None = None, tol: float = 1e-6,
                           pseudo: np.ndarray | None = None) -> np.ndarray:
    """The transition matrix that best explains the item order without labels (EM with the evidence fixed),
    started from ``stay`` on the diagonal; ``prior_counts`` (e.g. dev label transitions) are added to each
    M-step's expected counts, and ``pseudo`` (``(k,)``, default one per class) to each row of them, so that with
    little evidence each row tends to ``pseudo``'s proportions (the class prior, when that is what it holds).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(rng.integers(0, 2, 40), 25)  # runs of 25 items
    >>> ev = np.where(np.eye(2)[y] == 1, 0.7, 0.3)
    >>> A = baum_welch_transitions(ev, np.array([0.5, 0.5]), np.array([0]))
    >>> bool(A[0, 0] > 0.9 and A[1, 1] > 0.9)
    True
    """
    k = evidence.shape[1]
    extra = np.zeros((k, k)) if prior_counts is None else prior_counts
    A = np.full((k, k), (1.0 - stay) / max(k - 1, 1))
    np.fill_diagonal(A, stay)
    for _ in range(n_iter):
        _, xi = forward_backward(evidence, A, initial, starts)
        counts = xi + extra + (np.ones(k) if pseudo is None else pseudo)[None, :]
        new = counts / counts.sum(axis=1, keepdims=True)
        done = float(np.abs(new - A).max()) < tol
        A = new
        if done:
            break
    return A
