"""Dawid-Skene: each LF has a confusion matrix over the classes, learned by EM (in NumPy)."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy import sparse

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, as_votes, row_max


def outcome_matrix(L: np.ndarray, k: int) -> sparse.csr_array:
    """Sparse ``(n, m * (k + 1))`` one-hot of every LF's outcome ``o = vote + 1`` (``o = 0``: abstained).

    Column ``j * (k + 1) + o`` is 1 where LF ``j`` had outcome ``o``; each row has ``m`` ones.
    """
    n, m = L.shape
    cols = (L + 1).astype(np.int32) + np.arange(m, dtype=np.int32) * (k + 1)
    index = np.int64 if n * m >= 2**31 else np.int32
    indptr = np.arange(0, n * m + 1, m, dtype=index) if m else np.zeros(n + 1, dtype=index)  # no LFs: empty rows
    return sparse.csr_array((np.ones(n * m), cols.ravel(), indptr), shape=(n, m * (k + 1)))


def vote_matrix(L: np.ndarray, k: int) -> sparse.csr_array:
    """:func:`outcome_matrix` without its abstain entries: a one only where LF ``j`` voted (column
    ``j * (k + 1) + vote + 1``). Sparse LFs abstain on most rows, so it holds a fraction of the entries.

    Examples
    --------
    >>> vote_matrix(np.array([[0, -1], [-1, 1]]), 2).toarray().tolist()
    [[0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]
    """
    n, m = L.shape
    flat = L.reshape(-1)  # row-major: each row's columns in order, as CSR wants them
    cells = np.flatnonzero(flat >= 0)
    index: type[np.signedinteger[Any]] = np.int64 if len(cells) >= 2**31 else np.int32
    indptr = np.zeros(n + 1, dtype=index)
    if m:
        np.cumsum(np.bincount(cells // m, minlength=n), out=indptr[1:])
    columns: np.ndarray = (cells % max(m, 1)).astype(index)
    columns *= k + 1
    columns += flat[cells]
    columns += 1
    return sparse.csr_array((np.ones(len(cells)), columns, indptr), shape=(n, m * (k + 1)))


def vote_scores(votes: sparse.csr_array, log_conf: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """:func:`naive_bayes_scores` from :func:`vote_matrix`: every LF's abstain term, plus for each vote the
    difference between voting and abstaining (the same numbers, from the votes only)."""
    m, k, width = log_conf.shape
    gain = log_conf - log_conf[:, :, :1]
    scores: np.ndarray = votes @ gain.transpose(0, 2, 1).reshape(m * width, k)
    scores += log_conf[:, :, 0].sum(axis=0) + log_prior
    return scores


def vote_confusion_counts(votes: sparse.csr_array, q: np.ndarray, m: int,
                          class_totals: np.ndarray | None = None) -> np.ndarray:
    """:func:`confusion_counts` from :func:`vote_matrix`: a row of class ``y`` that no vote of LF ``j`` accounts
    for is an abstain of LF ``j`` (``class_totals``: ``q.sum(axis=0)``, when the caller has it)."""
    counts = confusion_counts(votes, q, m)
    totals = np.ones(len(q)) @ q if class_totals is None else class_totals  # a column sum (faster than axis=0)
    counts[:, :, 0] = np.maximum(totals[None, :] - counts[:, :, 1:].sum(axis=2), 0.0)
    return counts


def naive_bayes_scores(outcomes: sparse.csr_array, log_conf: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """``log P(y) + sum_j log P(outcome of LF j | y)`` for every row, ``(n, k)``, up to a row constant.

    ``outcomes`` is :func:`outcome_matrix`; ``log_conf[j, y, o]`` is ``log P(LF j's outcome is o | class y)``
    (so abstaining is evidence too).
    """
    m, k, width = log_conf.shape
    scores: np.ndarray = outcomes @ log_conf.transpose(0, 2, 1).reshape(m * width, k) + log_prior
    return scores


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise ``exp(s) / sum(exp(s))``, safe for large and ``-inf`` scores (not all ``-inf``)."""
    proba: np.ndarray = scores - row_max(scores)[:, None]
    np.exp(proba, out=proba)
    total = proba[:, 0].copy()
    for c in range(1, proba.shape[1]):
        total += proba[:, c]
    proba /= total[:, None]
    return proba


def naive_bayes_proba(L: np.ndarray, log_conf: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """Posterior over classes with LFs independent given the class (see :func:`naive_bayes_scores`).

    Computed from the votes directly, one table look-up per LF and class (no one-hot matrix: a
    quarter of the time on a million rows).

    Examples
    --------
    >>> log_conf = np.log(np.array([[[0.2, 0.7, 0.1], [0.2, 0.1, 0.7]]]))  # one LF, right 7 times in 8 when it votes
    >>> naive_bayes_proba(np.array([[0], [1], [-1]]), log_conf, np.log([0.5, 0.5])).round(3).tolist()
    [[0.875, 0.125], [0.125, 0.875], [0.5, 0.5]]
    """
    return softmax_rows(naive_bayes_columns(L, log_conf, log_prior).T)


#: Rows scored at a time by :func:`naive_bayes_columns` (a block's votes and scores stay in the CPU cache).
_SCORE_ROWS = 1 << 14


def naive_bayes_columns(L: np.ndarray, log_conf: np.ndarray, log_prior: np.ndarray, *,
                        restrict_to_voted: bool = False) -> np.ndarray:
    """``(k, n)`` naive Bayes log-scores (:func:`naive_bayes_scores`, transposed), by table look-ups on the votes.

    With ``restrict_to_voted``, a row with votes scores ``-inf`` for every class no LF voted for.
    Rows are scored a block at a time, and the LFs a group at a time: each group's outcomes are one
    number that indexes a table of the summed log-terms of every combination of them (for two
    classes, 6 LFs per look-up instead of one).

    Examples
    --------
    >>> log_conf = np.log(np.array([[[0.5, 0.4, 0.1], [0.5, 0.1, 0.4]]]))
    >>> np.exp(naive_bayes_columns(np.array([[0], [-1]]), log_conf, np.log([0.5, 0.5]))).round(2).tolist()
    [[0.2, 0.25], [0.05, 0.25]]
    >>> naive_bayes_columns(np.array([[0], [-1]]), log_conf, np.log([0.5, 0.5]), restrict_to_voted=True)[1].tolist()
    [-inf, -1.3862943611198906]
    """
    n, m = L.shape
    k = log_conf.shape[1]
    columns = np.empty((k, n))  # one row per class: contiguous sums
    columns[:] = np.asarray(log_prior, dtype=np.float64)[:, None]
    groups = [range(j, min(j + _group_size(k), m)) for j in range(0, m, _group_size(k))]
    in_range = L.size == 0 or (int(L.min()) >= -1 and int(L.max()) < k)  # (else np.take says what is wrong)
    if len(groups) == m or not in_range or (restrict_to_voted and k > 62):
        _columns_by_lf(L, log_conf, columns, restrict_to_voted)
        return columns
    width = k + 1
    tables, masks = [], []
    bit = np.array([0] + [1 << c for c in range(k)], dtype=np.int64)  # outcome o = vote + 1 -> its class bit
    for group in groups:
        table, mask = log_conf[group[0]], bit
        for j in group[1:]:  # every combination of the group's outcomes: the sum of its LFs' log-terms
            table = (table[:, :, None] + log_conf[j][:, None, :]).reshape(k, -1)
            mask = (mask[:, None] | bit[None, :]).reshape(-1)
        tables.append(np.ascontiguousarray(table))
        masks.append(mask)
    offsets = [sum(width ** i for i in range(len(group))) for group in groups]  # the + 1 of every outcome
    size = min(n, _SCORE_ROWS)
    term, key = np.empty(size), np.empty(size, dtype=np.intp)
    voted = np.empty(size, dtype=np.int64)  # a bit per class some LF voted for
    for start in range(0, n, _SCORE_ROWS):
        block = L[start:start + _SCORE_ROWS]
        size = len(block)
        out, t, index, seen = columns[:, start:start + size], term[:size], key[:size], voted[:size]
        seen[:] = 0
        for g, (group, table) in enumerate(zip(groups, tables)):
            index[:] = block[:, group[0]]  # the group's outcomes as one number, first LF most significant
            for j in group[1:]:  # (integer arithmetic: no BLAS threads for a small product)
                index *= width
                index += block[:, j]
            index += offsets[g]
            for c in range(k):
                out[c] += np.take(table[c], index, out=t)
            if restrict_to_voted:
                seen |= np.take(masks[g], index)
        if restrict_to_voted:
            some_vote = seen != 0
            for c in range(k):  # a class nobody voted for, on a row with votes: impossible
                out[c][some_vote & (seen & (1 << c) == 0)] = -np.inf
    return columns


#: At most this many outcome combinations per group of LFs that :func:`naive_bayes_columns` looks up at once.
_GROUP_OUTCOMES = 1024


def _group_size(k: int) -> int:
    """LFs per look-up group: the most whose ``(k + 1) ** size`` outcome combinations stay within the limit."""
    size = 1
    while (k + 1) ** (size + 1) <= _GROUP_OUTCOMES:
        size += 1
    return size


def _columns_by_lf(L: np.ndarray, log_conf: np.ndarray, columns: np.ndarray, restrict_to_voted: bool) -> None:
    """:func:`naive_bayes_columns` one LF at a time (adds to ``columns`` in place)."""
    n, m = L.shape
    k = log_conf.shape[1]
    size = min(n, _SCORE_ROWS)
    outcome, term = np.empty(size, dtype=np.intp), np.empty(size)
    voted = np.empty((k, size), dtype=bool)  # voted[c]: some LF of the row voted c
    for start in range(0, n, _SCORE_ROWS):
        block = L[start:start + _SCORE_ROWS]
        size = len(block)
        out, o, t, seen = columns[:, start:start + size], outcome[:size], term[:size], voted[:, :size]
        seen[:] = False
        for j in range(m):
            np.add(block[:, j], 1, out=o, casting="unsafe")
            for c in range(k):
                out[c] += np.take(log_conf[j, c], o, out=t)
                if restrict_to_voted:
                    seen[c] |= o == c + 1
        if restrict_to_voted and m:
            some_vote = np.logical_or.reduce(seen, axis=0)
            for c in range(k):  # a class nobody voted for, on a row with votes: impossible
                out[c][some_vote & ~seen[c]] = -np.inf


def vote_counts(outcomes: sparse.csr_array, m: int, k: int) -> np.ndarray:
    """``(n, k)`` number of LFs voting for each class in each row, from :func:`outcome_matrix`."""
    counts: np.ndarray = outcomes @ np.tile(np.vstack([np.zeros(k), np.eye(k)]), (m, 1))
    return counts


def confusion_counts(outcomes: sparse.csr_array, q: np.ndarray, m: int) -> np.ndarray:
    """``counts[j, y, o]``: soft count of rows of class y (weights ``q``) where LF j's outcome is o (vote + 1)."""
    k = q.shape[1]
    counts: np.ndarray = (outcomes.T @ q).reshape(m, k + 1, k).transpose(0, 2, 1)
    return counts


def dawid_skene_em(votes: sparse.csr_array, weight: np.ndarray, q: np.ndarray, m: int, *, n_iter: int = 100,
                   tol: float = 1e-5, smoothing: float = 0.01,
                   binary: bool | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Dawid-Skene EM from the class probabilities ``q`` (``(n, k)``, overwritten) of the rows of ``votes``
    (:func:`vote_matrix` of ``m`` LFs, each row counted ``weight`` times): ``(class prior, confusion, iterations)``.
    It stops when the prior and the confusion tables move less than ``tol``.

    With ``binary`` (default: two classes and ``smoothing > 0``) it runs on ``P(class 1)`` alone, at half the
    sparse products: class 0's counts are the weighted vote totals minus class 1's, and the E-step needs only
    the log-odds; the same numbers up to rounding (the same iterations and predictions on the shared sets).

    Examples
    --------
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, 1, 1]])
    >>> q = np.array([[0.7, 0.3], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> prior, confusion, _ = dawid_skene_em(vote_matrix(L, 2), np.ones(4), q, 3)
    >>> prior.round(2).tolist(), confusion[0].round(2).tolist()
    ([0.5, 0.5], [[0.0, 0.99, 0.0], [0.0, 0.0, 0.99]])
    """
    from scipy.special import expit

    k = q.shape[1]
    binary = k == 2 and smoothing > 0 if binary is None else binary
    state = q[:, 1].copy() if binary else q  # P(class 1), or every class's probability
    vote_totals = votes.T @ weight if binary else None  # each LF-outcome column's weighted count over both classes
    prior: np.ndarray | None = None
    conf: np.ndarray | None = None
    total_weight = float(weight.sum())
    iteration = 0
    for _ in range(n_iter):
        iteration += 1
        if vote_totals is not None:
            total1 = float(np.einsum("i,i->", weight, state))
            totals = np.array([total_weight - total1, total1])
            state *= weight
            ones = votes.T @ state
            counts = np.stack([vote_totals - ones, ones]).reshape(2, m, 3).transpose(1, 0, 2)
            counts[:, :, 0] = np.maximum(totals[None, :] - counts[:, :, 1:].sum(axis=2), 0.0)
        else:
            totals = np.einsum("i,ij->j", weight, state)  # (not BLAS: its threads spin on between the EM steps)
            state *= weight[:, None]  # (recomputed below)
            counts = vote_confusion_counts(votes, state, m, totals)
        new_prior = (totals + 1.0) / (total_weight + k)
        raw = counts + smoothing
        new_conf = raw / raw.sum(axis=2, keepdims=True)
        converged = (prior is not None and conf is not None
                     and max(np.abs(new_prior - prior).max(), np.abs(new_conf - conf).max(initial=0.0)) < tol)
        prior, conf = new_prior, new_conf
        if converged:
            break
        log_conf, log_prior = np.log(conf), np.log(prior)
        if vote_totals is not None:
            gain = log_conf - log_conf[:, :, :1]
            log_odds = votes @ (gain[:, 1, :] - gain[:, 0, :]).reshape(m * 3)
            log_odds += (log_conf[:, 1, 0].sum() - log_conf[:, 0, 0].sum()) + (log_prior[1] - log_prior[0])
            state = expit(log_odds)
        else:
            state = softmax_rows(vote_scores(votes, log_conf, log_prior))
    assert prior is not None and conf is not None  # n_iter >= 1
    return prior, conf, iteration


class DawidSkene(BaseLabelModel):
    """Dawid & Skene (1979): per-LF confusion matrices and a class prior, fitted by EM.

    Abstaining is one of each LF's outcomes, so an LF that only ever votes one class still
    tells the classes apart by how often it fires on each.

    Parameters
    ----------
    cardinality : int, optional
        The number of classes (inferred from the votes otherwise).
    n_iter : int, default 100
        EM iterations at most.
    tol : float, default 1e-5
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
    uses_dev_gold = False
    supports_sample_weight = True
    _fitted = ("class_prior_", "confusion_", "n_iter_")
    parameter_constraints = {"n_iter": {"low": 1, "integer": True}, "tol": {"low": 0}, "smoothing": {"low": 0}}
    class_prior_: np.ndarray
    confusion_: np.ndarray
    n_iter_: int

    def __init__(self, cardinality: int | None = None, *, n_iter: int = 100, tol: float = 1e-5,
                 smoothing: float = 0.01, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.n_iter = n_iter
        self.tol = tol
        self.smoothing = smoothing

    def fit(self, L: Any, *, sample_weight: Any = None) -> Self:
        """Fit by EM from majority vote.

        ``sample_weight`` (one non-negative number per row) counts a row that many times: fitting
        the distinct rows of ``L`` weighted by how often each occurs is the same fit, much faster.

        Examples
        --------
        >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, 1, 1]])
        >>> full = DawidSkene().fit(L)
        >>> weighted = DawidSkene().fit(L[:3], sample_weight=[1, 2, 1])
        >>> bool(np.allclose(full.confusion_, weighted.confusion_))
        True
        """
        self.check_params()
        arr = as_votes(L, self.cardinality)
        k = self.cardinality_ = self._k(arr)
        self.n_lfs_ = arr.shape[1]
        weight = np.ones(len(arr)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weight.shape != (len(arr),):
            raise LabelModelError(f"sample_weight must hold one weight per row of L ({len(arr)} rows); "
                                  f"got shape {weight.shape}")
        bad = np.flatnonzero(~np.isfinite(weight) | (weight < 0))
        if len(bad):
            raise LabelModelError(f"sample_weight must be finite and >= 0; row {int(bad[0])} has {weight[bad[0]]}")
        votes = vote_matrix(arr, k)  # abstains are implied: EM costs what the votes cost
        counts = vote_counts(votes, self.n_lfs_, k)  # class_counts(arr, k), from the votes
        counts[counts.sum(axis=1) == 0] = 1.0
        q = counts / counts.sum(axis=1, keepdims=True)  # start from majority vote
        self.class_prior_, self.confusion_, self.n_iter_ = dawid_skene_em(
            votes, weight, q, self.n_lfs_, n_iter=self.n_iter, tol=self.tol, smoothing=self.smoothing)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        return naive_bayes_proba(arr, np.log(np.asarray(self.confusion_)), np.log(np.asarray(self.class_prior_)))
