"""Span majority vote and token-level Dawid-Skene, both on the token votes of the LFs.

Majority vote with ``vote_on="tags"`` is WRENCH's protocol: each token's label is the BIO tag most
LFs gave it, an LF that tagged no span there does not vote (abstains) unless no LF tagged the token
(then it is ``O``), and ties (``B-T`` against ``I-T`` mostly) are broken by Snorkel's hash
(:func:`weaksup.models.base.break_ties` ``"hash"``). WRENCH hashes a token's position in the whole
split, which reproduces its published numbers on the ``lf_rec`` LFs (BC5CDR 81.67 vs 81.71 published,
NCBI-Disease 72.37 vs 72.37, LaptopReview 67.43 vs 67.43; test entity F1; ``benchmarks/span_models.py``'s
``majority (WRENCH ties)``) but gives a document other spans in another batch; this model hashes the
token's document and place in it (:func:`~weaksup.spans.models_base.tie_keys`), so a document gets the
same spans whatever else is predicted with it (81.66 / 72.85 / 67.37). ``vote_on="types"`` votes the entity type
instead (a run of one type is one span), which settles the ``B``/``I`` disagreements of LFs that
tag overlapping spans.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from weaksup.errors import ParameterError
from weaksup.models.base import break_ties, class_counts
from weaksup.models.dawid_skene import DawidSkene, naive_bayes_proba
from weaksup.models.fitting import fit_label_model
from weaksup.spans.decode import spans_with_confidence, types_to_tags
from weaksup.spans.models_base import DevGold, SpanLabelModel, tie_keys, type_votes
from weaksup.spans.span import ScoredSpan
from weaksup.spans.votes import SpanVotes

__all__ = ["SpanDawidSkene", "SpanMajorityVote", "type_proba_mv"]

VOTE_ON = ("tags", "types")
UNTAGGED = ("wrench", "abstain")


def type_proba_mv(types: np.ndarray, n_types: int) -> np.ndarray:
    """``(T, 1 + n_types)`` vote shares of the types (column 0: ``O``, all the mass where no LF voted).

    Examples
    --------
    >>> type_proba_mv(np.array([[1, -1, 2], [-1, -1, -1]]), 2).tolist()
    [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]
    """
    counts = class_counts(types, n_types + 1)
    counts[counts.sum(axis=1) == 0, 0] = 1.0
    shares: np.ndarray = counts / counts.sum(axis=1, keepdims=True)
    return shares


class SpanMajorityVote(SpanLabelModel):
    """Majority vote over the LFs that tagged each token (see the module doc for the protocol).

    ``-1`` (no span from that LF) is an abstain; a token no LF tagged is ``O``. The token marginals
    are the vote shares, a span's confidence the product of its tokens' shares.

    Parameters
    ----------
    vote_on : {"tags", "types"}, default "tags"
        Vote the BIO tags (WRENCH's protocol) or the entity types.
    tie_break : {"hash", "seeded_random"}, default "hash"
        How a tied token is decided (:func:`weaksup.models.base.break_ties`, keyed by
        :func:`~weaksup.spans.models_base.tie_keys`: the same in any batch).

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.spans.space import SpanSpace
    >>> v = SpanVotes([3], ["a@1", "b@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": [0, 0], "lf": [0, 1], "start": [0, 0], "end": [2, 1], "label": ["A", "A"]}))
    >>> SpanMajorityVote().fit(v).predict(v)
    [[ScoredSpan(start=0, end=2, label='A', confidence=1.0)]]
    """

    name = "majority"

    def __init__(self, vote_on: str = "tags", tie_break: str = "hash") -> None:
        self.vote_on = vote_on
        self.tie_break = tie_break

    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """Record the space and LFs (majority vote learns nothing)."""
        if self.vote_on not in VOTE_ON:
            raise ParameterError(f"SpanMajorityVote vote_on must be one of {list(VOTE_ON)}; got {self.vote_on!r}")
        if self.tie_break not in ("hash", "seeded_random"):
            raise ParameterError(f"SpanMajorityVote tie_break must be 'hash' or 'seeded_random'; got "
                                 f"{self.tie_break!r}")
        self.remember(votes)
        return self

    def vote_shares(self, votes: SpanVotes) -> np.ndarray:
        """Shares over the tags (``vote_on="tags"``) or ``O`` and the types (``"types"``)."""
        values = votes.token_votes().values
        if self.vote_on == "types":
            return type_proba_mv(type_votes(values, votes.space), votes.space.n_types)
        return type_proba_mv(values, votes.space.n_tags - 1)

    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        shares = self.vote_shares(votes)
        return shares if self.vote_on == "tags" else types_to_tags(shares, votes.doc_offsets, votes.space)

    def predict(self, votes: SpanVotes) -> list[list[ScoredSpan]]:
        """The spans of the voted tags (ties broken by ``tie_break``; an ``I-T`` after ``O`` starts a span)."""
        self.check_votes(votes)
        space = votes.space
        shares = self.vote_shares(votes)
        winner = break_ties(shares, self.tie_break, 0, keys=tie_keys(votes))
        if self.vote_on == "tags":
            return spans_with_confidence(winner, shares, votes.doc_offsets, space, self.temperature_)
        proba = types_to_tags(shares, votes.doc_offsets, space)
        prev = np.r_[0, winner[:-1]]
        prev[votes.doc_offsets[:-1][votes.doc_offsets[:-1] < len(winner)]] = 0
        typ = np.maximum(winner - 1, 0)
        tags = np.where(winner == 0, 0, np.where(prev == winner, space.inside_ids[typ], space.begin_ids[typ]))
        return spans_with_confidence(tags, proba, votes.doc_offsets, space, self.temperature_)


class SpanDawidSkene(SpanLabelModel):
    """Token-level Dawid-Skene: :class:`weaksup.models.DawidSkene` on each token's entity-type votes.

    Classes are ``O`` and the types. With ``untagged="wrench"`` (the default, WRENCH's
    ``SeqLabelModelWrapper``) every LF votes ``O`` on a token no LF tagged, and an LF that tagged
    nothing where another did abstains; with ``"abstain"`` an LF's ``-1`` is always its abstain
    outcome (which Dawid-Skene models as evidence too). On the dev (valid) documents of the three
    WRENCH span sets "wrench" scored 84.7 / 83.2 / 75.2 entity F1 against 73.4 / 74.9 / 75.2.
    Fitted on the distinct vote rows with their counts as ``sample_weight``. The type marginals
    become tag marginals by :func:`weaksup.spans.decode.types_to_tags`.

    Parameters
    ----------
    n_iter : int, default 100
    smoothing : float, default 0.01
        As in :class:`weaksup.models.DawidSkene`.
    untagged : {"wrench", "abstain"}, default "wrench"
        How an LF's ``-1`` counts (see above).

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.spans.space import SpanSpace
    >>> v = SpanVotes([4, 4], ["a@1", "b@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": [0, 0, 1], "lf": [0, 1, 0], "start": [1, 1, 0], "end": [3, 3, 1], "label": ["A"] * 3}))
    >>> [[s[:3] for s in doc] for doc in SpanDawidSkene().fit(v).predict(v)]
    [[(1, 3, 'A')], [(0, 1, 'A')]]
    """

    name = "dawid_skene"
    fitted = ("class_prior_", "confusion_")
    class_prior_: np.ndarray
    confusion_: np.ndarray

    def __init__(self, n_iter: int = 100, smoothing: float = 0.01, untagged: str = "wrench") -> None:
        self.n_iter = n_iter
        self.smoothing = smoothing
        self.untagged = untagged

    def class_votes(self, votes: SpanVotes) -> np.ndarray:
        """``(T, m)`` class votes (0: ``O``, ``1 + type index``, ``-1``: abstain) under ``untagged``."""
        types = type_votes(votes.token_votes().values, votes.space)
        if self.untagged == "wrench":
            types = types.copy()
            types[(types < 0).all(axis=1)] = 0
        return types

    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """Fit Dawid-Skene by EM on the distinct token vote rows (``dev`` unused)."""
        if self.untagged not in UNTAGGED:
            raise ParameterError(f"SpanDawidSkene untagged must be one of {list(UNTAGGED)}; got {self.untagged!r}")
        self.remember(votes)
        types = self.class_votes(votes)
        model = DawidSkene(cardinality=votes.space.n_types + 1, n_iter=self.n_iter, smoothing=self.smoothing,
                           seed=seed)
        fit_label_model(model, types)
        self.class_prior_, self.confusion_ = model.class_prior_, model.confusion_
        return self

    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        proba = naive_bayes_proba(self.class_votes(votes), np.log(self.confusion_), np.log(self.class_prior_))
        return types_to_tags(proba, votes.doc_offsets, votes.space)
