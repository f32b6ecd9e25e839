"""A hidden Markov model over the tag chain (Lison et al. 2020, the model of skweak and WRENCH's HMM).

The hidden state of each token is its tag (``O``, ``B-T``, ``I-T``...); the tags follow a Markov
chain (start probabilities and a transition matrix, zero where the scheme forbids a bigram). Given
the tag, every LF independently emits what it put on the token: its own tag, or nothing (``-1``,
an outcome like any other: an LF that misses little says ``O`` by its silence). EM fits it with
numpy forward-backward (documents of similar length batched, see
:func:`weaksup.spans.decode.doc_chunks`); Dirichlet pseudo-counts pull each LF toward being right
(emitting the hidden tag, or nothing on ``O``). With dev gold (``dev_weight > 0``) the dev tokens
join the fit with their posteriors fixed to the gold tags, each counted ``dev_weight`` times: the
gold emission and transition counts act as an informed prior the unlabeled documents refine.
"""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
from scipy import sparse

from weaksup.errors import ParameterError
from weaksup.models.dawid_skene import vote_confusion_counts, vote_matrix, vote_scores
from weaksup.spans.decode import allowed_transitions, doc_chunks, types_to_tags
from weaksup.spans.models_base import DevGold, SpanLabelModel, gold_tags, type_votes
from weaksup.spans.models_majority import type_proba_mv
from weaksup.spans.space import SpanSpace
from weaksup.spans.votes import SpanVotes

__all__ = ["SpanHMM", "forward_backward", "tag_bigrams"]

logger = logging.getLogger(__name__)


def forward_backward(log_em: np.ndarray, offsets: np.ndarray, start: np.ndarray,
                     trans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Posterior tag marginals of every token under an HMM, batched over documents.

    Parameters
    ----------
    log_em : array of float, shape (T, S)
        ``log P(observations of token t | state s)`` (up to a per-token constant).
    offsets : array of int, shape (n_docs + 1,)
    start : array of float, shape (S,)
        First-state probabilities.
    trans : array of float, shape (S, S)
        Transition probabilities (rows sum to 1).

    Returns
    -------
    gamma : (T, S) marginals; first : (S,) expected first states; xi : (S, S) expected transitions;
    loglik : the log-likelihood up to the per-token constants of ``log_em``.

    Examples
    --------
    >>> trans = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> log_em = np.log([[0.9, 0.1], [0.5, 0.5]])
    >>> forward_backward(log_em, np.array([0, 2]), np.array([0.5, 0.5]), trans)[0].round(2).tolist()
    [[0.9, 0.1], [0.82, 0.18]]
    """
    n_tokens, n_states = log_em.shape
    shift = log_em.max(axis=1, keepdims=True) if n_tokens else np.zeros((0, 1))
    em = np.exp(log_em - shift)
    gamma = np.zeros((n_tokens, n_states))
    first = np.zeros(n_states)
    xi = np.zeros((n_states, n_states))
    loglik = float(shift.sum())
    for _docs, index, lengths in doc_chunks(offsets):
        n_docs, width = index.shape
        valid = np.arange(width)[None, :] < lengths[:, None]
        e = em[index]
        e[~valid] = 1.0
        alpha = np.empty((n_docs, width, n_states))
        scale = np.empty((n_docs, width))
        a = start[None, :] * e[:, 0]
        for t in range(width):
            if t:
                a = (alpha[:, t - 1] @ trans) * e[:, t]
            c = a.sum(axis=1)
            c[c <= 0] = 1e-300
            alpha[:, t] = a / c[:, None]
            scale[:, t] = c
        beta = np.empty_like(alpha)
        beta[:, width - 1] = 1.0
        for t in range(width - 2, -1, -1):
            beta[:, t] = ((e[:, t + 1] * beta[:, t + 1]) @ trans.T) / scale[:, t + 1, None]
        g = alpha * beta
        g /= np.maximum(g.sum(axis=2, keepdims=True), 1e-300)
        gamma[index[valid]] = g[valid]
        first += g[:, 0].sum(axis=0)
        after = (e[:, 1:] * beta[:, 1:]) / scale[:, 1:, None] * valid[:, 1:, None]
        xi += np.einsum("dts,dtr->sr", alpha[:, :-1], after) * trans
        loglik += float(np.log(scale)[valid].sum())
    return gamma, first, xi, loglik


def tag_bigrams(tags: np.ndarray, offsets: np.ndarray, n_tags: int) -> tuple[np.ndarray, np.ndarray]:
    """``(first, pairs)``: counts of each document's first tag and of the tag bigrams within documents.

    Examples
    --------
    >>> f, p = tag_bigrams(np.array([0, 1, 2, 0]), np.array([0, 3, 4]), 3)
    >>> f.tolist(), p.astype(int).tolist()
    ([2.0, 0.0, 0.0], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    """
    starts = offsets[:-1][np.diff(offsets) > 0]
    first = np.bincount(tags[starts], minlength=n_tags).astype(np.float64)
    inner = np.ones(len(tags), dtype=bool)
    inner[offsets[:-1][offsets[:-1] < len(tags)]] = False
    nxt = np.flatnonzero(inner)
    pairs = np.zeros((n_tags, n_tags))
    np.add.at(pairs, (tags[nxt - 1], tags[nxt]), 1.0)
    return first, pairs


class SpanHMM(SpanLabelModel):
    """HMM over the tag chain fitted by EM (see the module doc); ``dev_weight > 0`` learns from dev gold too.

    Parameters
    ----------
    n_iter : int, default 1
        EM iterations at most. One (an M-step from the type majority vote, then forward-backward) is
        the default: on the dev (valid) documents of the three WRENCH span sets more iterations let
        the hidden chain drift toward the one LF it fits best (dev F1 84.9 / 83.5 / 75.2 at 1 against
        83.3 / 75.2 / 75.2 at 5).
    tol : float, default 1e-4
        Stop when the log-likelihood per token improves less than this.
    prior_strength : float, default 5.0
        Dirichlet pseudo-count, per LF and tag, on the LF emitting the right tag (nothing on ``O``).
    smoothing : float, default 0.1
        Pseudo-count on every emission and allowed transition.
    emission_weight : float, default 1.0
        The LFs' log-likelihoods are multiplied by it (below 1 tempers LFs that repeat each other).
    dev_weight : float, default 0.0
        How many times each dev gold token counts (0: unsupervised, the dev gold is not used).

    Examples
    --------
    >>> import pandas as pd
    >>> v = SpanVotes([4, 4], ["a@1", "b@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": [0, 0, 1], "lf": [0, 1, 0], "start": [1, 1, 0], "end": [3, 3, 1], "label": ["A"] * 3}))
    >>> [[s[:3] for s in doc] for doc in SpanHMM().fit(v).predict(v)]
    [[(1, 3, 'A')], [(0, 1, 'A')]]
    """

    name = "hmm"
    fitted = ("start_", "trans_", "emission_", "n_iter_")
    start_: np.ndarray
    trans_: np.ndarray
    emission_: np.ndarray
    n_iter_: int

    def __init__(self, n_iter: int = 1, tol: float = 1e-4, prior_strength: float = 5.0, smoothing: float = 0.1,
                 emission_weight: float = 1.0, dev_weight: float = 0.0) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.prior_strength = prior_strength
        self.smoothing = smoothing
        self.emission_weight = emission_weight
        self.dev_weight = dev_weight

    def check_params(self) -> None:
        """Raise a ParameterError naming the first bad parameter."""
        if not (isinstance(self.n_iter, int) and self.n_iter >= 1):
            raise ParameterError(f"SpanHMM n_iter must be an integer >= 1; got {self.n_iter!r}")
        for name in ("tol", "prior_strength", "smoothing", "dev_weight"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
                raise ParameterError(f"SpanHMM {name} must be a number >= 0; got {value!r}")
        if not (isinstance(self.emission_weight, (int, float)) and 0 < self.emission_weight <= 10):
            raise ParameterError(f"SpanHMM emission_weight must be in (0, 10]; got {self.emission_weight!r}")

    def prior(self, m: int, space: SpanSpace) -> np.ndarray:
        """``(m, S, S + 1)`` Dirichlet pseudo-counts of the emissions (outcome 0: no span)."""
        n = space.n_tags
        prior = np.full((m, n, n + 1), self.smoothing)
        prior[:, 0, 0] += self.prior_strength
        prior[:, np.arange(1, n), np.arange(2, n + 1)] += self.prior_strength
        return prior

    def m_step(self, counts: np.ndarray, first: np.ndarray, pairs: np.ndarray, space: SpanSpace) -> None:
        """Set the parameters from expected counts (emission, first-tag and bigram counts)."""
        allowed_start, allowed = allowed_transitions(space)
        start = np.where(allowed_start, first + self.smoothing, 0.0)
        self.start_ = start / start.sum()
        trans = np.where(allowed, pairs + self.smoothing, 0.0)
        self.trans_ = trans / trans.sum(axis=1, keepdims=True)
        self.emission_ = counts / counts.sum(axis=2, keepdims=True)

    def log_emissions(self, votes: sparse.csr_array) -> np.ndarray:
        """``(T, S)`` weighted log-likelihood of each token's votes under each tag."""
        scores: np.ndarray = vote_scores(votes, np.log(self.emission_), np.zeros(self.emission_.shape[1]))
        return scores * self.emission_weight

    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """EM from the majority vote's type shares (dev tokens, if used, clamped to their gold tags)."""
        self.check_params()
        self.remember(votes)
        space = votes.space
        n = space.n_tags
        values = votes.token_votes().values
        obs = vote_matrix(values, n)
        prior = self.prior(votes.m, space)
        fixed_counts = np.zeros_like(prior)
        fixed_first, fixed_pairs = np.zeros(n), np.zeros((n, n))
        use_dev = dev is not None and self.dev_weight > 0
        if dev is not None and use_dev:
            dev_votes = self.check_votes(dev[0])
            tags = gold_tags(dev_votes, dev[1])
            onehot = np.eye(n)[tags] * self.dev_weight
            fixed_counts = vote_confusion_counts(vote_matrix(dev_votes.token_votes().values, n), onehot, votes.m)
            first, pairs = tag_bigrams(tags, dev_votes.doc_offsets, n)
            fixed_first, fixed_pairs = first * self.dev_weight, pairs * self.dev_weight
        types = type_votes(values, space)
        gamma = 0.9 * types_to_tags(type_proba_mv(types, space.n_types), votes.doc_offsets, space) + 0.1 / n
        first = gamma[votes.doc_offsets[:-1][np.diff(votes.doc_offsets) > 0]].sum(axis=0)
        offsets = votes.doc_offsets
        inner = np.ones(len(gamma), dtype=bool)
        inner[offsets[:-1][offsets[:-1] < len(gamma)]] = False
        pairs = gamma[np.flatnonzero(inner) - 1].T @ gamma[inner]
        previous = -np.inf
        n_tok = max(len(gamma), 1)
        for iteration in range(1, self.n_iter + 1):
            self.n_iter_ = iteration
            counts = vote_confusion_counts(obs, gamma, votes.m) + prior + fixed_counts
            self.m_step(counts, first + fixed_first, pairs + fixed_pairs, space)
            gamma, first, pairs, loglik = forward_backward(self.log_emissions(obs), offsets, self.start_,
                                                           self.trans_)
            if (loglik - previous) / n_tok < self.tol:
                break
            previous = loglik
        logger.info("SpanHMM: %d EM iterations", self.n_iter_)
        return self

    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        obs = vote_matrix(votes.token_votes().values, votes.space.n_tags)
        return forward_backward(self.log_emissions(obs), votes.doc_offsets, self.start_, self.trans_)[0]
