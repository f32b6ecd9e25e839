"""A label model for ordered items (frames, windows): an HMM over the item sequence whose per-item evidence is a
base label model's posterior from that item's LF votes (FlyingSquid's idea for video, as chain smoothing).

Each item's class is a hidden state of a Markov chain; the base model (any weaksup label model, fitted on the
votes as usual) turns an item's votes into ``P(y | votes)``, which divided by the class prior is the item's
likelihood; forward-backward gives ``P(y_i | all votes of the sequence)``, so the votes of neighbouring items
inform each item. The transition matrix is fitted on the order of the unlabeled items (EM), on the dev gold
labels' order, or both.

Rows of ``L`` are items in order; ``sequences`` (one id per row, rows of a sequence contiguous) splits them into
independent chains (none: one chain). Without ``sequences`` a call treats its rows as one sequence, so predict on
whole sequences, not on shuffled or sampled rows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.labels import ABSTAIN
from weaksup.models.base import BaseLabelModel, as_votes, break_ties
from weaksup.models.lf_names import record_lf_names
from weaksup.models.temporal_chain import (baum_welch_transitions, count_transitions, forward_backward,
                                           sequence_starts)

logger = logging.getLogger(__name__)

__all__ = ["CONFIG_NAMES", "TRANSITIONS", "TemporalLabelModel"]

#: The ``label_model.name`` values that choose this model in a config (``resolve_label_model``).
CONFIG_NAMES = ("temporal", "TemporalLabelModel")

#: Where the transition matrix comes from: the unlabeled order (EM), the dev labels' order, or both.
TRANSITIONS = ("unlabeled", "dev", "both")


class TemporalLabelModel(BaseLabelModel):
    """Chain smoothing (HMM forward-backward) of a base label model's per-item posteriors over ordered items.

    Parameters
    ----------
    cardinality : int, optional
    base : str, default "DevNaiveBayes"
        The per-item label model, by name (:data:`weaksup.models.MODELS`); fitted with the dev gold when it
        learns from it.
    base_params : dict, optional
        Its parameters.
    transitions : {"unlabeled", "dev", "both"}, default "unlabeled"
        Fit the transition matrix by EM on the order of the rows of ``L`` ("unlabeled"), by counting the class
        pairs of consecutive dev rows ("dev"; ``L_dev`` rows in order), or EM with the dev counts added ("both").
        Without dev labels, "dev" and "both" fall back to "unlabeled".
    strength : float, default 1.0
        Exponent on each item's evidence (< 1 trusts the neighbours more, > 1 the item's own votes more).
    floor : float, default 0.01
        Mixed into the base posteriors (``(1 - floor) p + floor / k``) so that neighbours can overrule an item
        its base model is certain about.
    metric : {"acc", "f1"}, default "acc"
        Passed on to a base model that takes it (``plain_predict``); the chain's labels are the most probable class.
    sequence_column, order_column : str, default ""
        In ``weaksup run``: the input columns naming each row's sequence and its position in it (the run sorts
        by them). No ``sequence_column``: the whole input is one sequence. A run refuses a temporal model
        without ``order_column`` unless ``file_order`` is true.
    file_order : bool, default False
        In ``weaksup run``: the rows are already in order in the input file, so the file order is the order
        (within each ``sequence_column`` sequence); for an input without an order column. Not with
        ``order_column``.
    seed : int, default 0

    Examples
    --------
    >>> y = np.repeat([0, 1, 0, 1], 30)
    >>> rng = np.random.default_rng(0)
    >>> L = np.where(rng.random((120, 3)) < 0.7, y[:, None], 1 - y[:, None])  # three LFs right 70% of the time
    >>> model = TemporalLabelModel(2, base="MajorityVote").fit(L)
    >>> plain = (model.base_.predict(L, tie_break="seeded_random") == y).mean()
    >>> bool((model.predict(L) == y).mean() > plain)
    True
    """

    name = "temporal"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("base_", "transition_", "initial_", "prior_")
    parameter_constraints: ClassVar[Mapping[str, Mapping[str, Any] | tuple[Any, ...]]] = {
        "transitions": TRANSITIONS, "strength": {"low": 0.0, "low_open": True},
        "floor": {"low": 0.0, "high": 1.0, "high_open": True}, "metric": ("acc", "f1"), "file_order": (False, True)}
    base_: BaseLabelModel
    transition_: np.ndarray
    initial_: np.ndarray
    prior_: np.ndarray

    def __init__(self, cardinality: int | None = None, *, base: str = "DevNaiveBayes",
                 base_params: dict[str, Any] | None = None, transitions: str = "unlabeled", strength: float = 1.0,
                 floor: float = 0.01, metric: str = "acc", sequence_column: str = "", order_column: str = "",
                 file_order: bool = False, seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.base = base
        self.base_params = base_params
        self.transitions = transitions
        self.strength = strength
        self.floor = floor
        self.metric = metric
        self.sequence_column = sequence_column
        self.order_column = order_column
        self.file_order = file_order

    def _new_base(self) -> BaseLabelModel:
        from weaksup.models import MODELS

        cls = MODELS.get(self.base)
        if cls is None or cls is TemporalLabelModel:
            choices = sorted(name for name in MODELS if name != type(self).__name__)
            raise LabelModelError(f"TemporalLabelModel: base {self.base!r} is not a per-item label model; choose one "
                                  f"of {choices} (label_model.params.base)")
        params = dict(self.base_params or {})
        if "metric" in cls.param_names():
            params.setdefault("metric", self.metric)
        params.setdefault("seed", self.seed)
        if self.cardinality is not None:
            params.setdefault("cardinality", self.cardinality)
        return cls(**params)

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None, sequences: Any = None,
            dev_sequences: Any = None) -> Self:
        """Fit the base model on ``L`` (with the dev gold when it learns from it), then the transition matrix.

        ``sequences`` / ``dev_sequences``: one sequence id per row of ``L`` / ``L_dev`` (rows of a sequence
        contiguous and in order); None: all rows one sequence.
        """
        from weaksup.models.fitting import fit_label_model

        self.check_params()
        arr = as_votes(L, self.cardinality)
        base = self._new_base()
        has_dev = L_dev is not None and y_dev is not None
        if type(base).uses_dev_gold and not has_dev:
            raise LabelModelError(f"TemporalLabelModel: base {self.base!r} needs dev gold labels (L_dev=, y_dev=); "
                                  "give them, or a base that learns without them (MajorityVote, DawidSkene)")
        return self.fit_chain(fit_label_model(base, arr, L_dev=L_dev, y_dev=y_dev, distinct=True), arr,
                              y_dev=y_dev if has_dev else None, sequences=sequences, dev_sequences=dev_sequences)

    def fit_chain(self, base: BaseLabelModel, L: Any, *, y_dev: Any = None, sequences: Any = None,
                  dev_sequences: Any = None) -> Self:
        """Fit only the chain (class prior, transition matrix) over an already fitted ``base`` model; returns the
        model. :meth:`fit` calls it; call it directly to try chain settings over one base fit.

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> L = np.array([[0, 0], [0, -1], [1, 1], [1, 1]] * 10)
        >>> base = MajorityVote(2).fit(L)
        >>> TemporalLabelModel(2, base="MajorityVote", strength=0.5).fit_chain(base, L).transition_.shape
        (2, 2)
        """
        self.check_params()
        arr = as_votes(L, self.cardinality)
        self.base_ = base
        k = base.cardinality_
        self.cardinality_, self.n_lfs_ = k, arr.shape[1]
        record_lf_names(self, L)
        proba = base.predict_proba(arr)
        mixed = (1.0 - self.floor) * proba + self.floor / k
        self.prior_ = np.clip(mixed.mean(axis=0), 1e-9, None) if len(arr) else np.full(k, 1.0 / k)
        self.prior_ = self.prior_ / self.prior_.sum()
        self.initial_ = self.prior_.copy()
        pseudo = k * self.prior_  # k pseudo-transitions per row, toward the prior (no evidence: no order)
        dev_counts = None
        if y_dev is not None and self.transitions in ("dev", "both"):
            y = np.asarray(y_dev, dtype=np.int64)
            dev_counts = count_transitions(y, k, sequence_starts(len(y), dev_sequences, where="dev_sequences"))
        if self.transitions == "dev" and dev_counts is not None:
            counts = dev_counts + pseudo[None, :]
            self.transition_ = counts / counts.sum(axis=1, keepdims=True)
        else:
            starts = sequence_starts(len(arr), sequences)
            self.transition_ = baum_welch_transitions(self._evidence(proba), self.initial_, starts,
                                                      prior_counts=dev_counts, pseudo=pseudo)
        logger.info("TemporalLabelModel: transition matrix %s (%s)", np.round(self.transition_, 3).tolist(),
                    self.transitions)
        return self

    def _evidence(self, proba: np.ndarray) -> np.ndarray:
        k = proba.shape[1]
        mixed = (1.0 - self.floor) * proba + self.floor / k
        ratio = mixed / self.prior_
        return np.asarray(ratio ** self.strength)

    def predict_proba(self, L: Any, *, sequences: Any = None) -> np.ndarray:
        """``(n, k)`` class probabilities of each item given every item of its sequence (rows in order).

        Examples
        --------
        >>> L = np.array([[0, 0], [0, -1], [-1, -1], [1, 1], [1, -1], [-1, -1]] * 5)
        >>> model = TemporalLabelModel(2, base="MajorityVote").fit(L)
        >>> p = model.predict_proba(L[:6], sequences=["a"] * 3 + ["b"] * 3)  # rows 2 and 5: no votes
        >>> model.predict(L[:6], sequences=["a"] * 3 + ["b"] * 3).tolist(), bool(p[2, 0] > 0.5 > p[5, 0])
        ([0, 0, 0, 1, 1, 1], True)
        """
        arr = self._check_L(L)
        if len(arr) == 0:
            return np.zeros((0, self.cardinality_))
        evidence = self._evidence(self.base_.predict_proba(arr))
        post, _ = forward_backward(evidence, self.transition_, self.initial_, sequence_starts(len(arr), sequences))
        return post

    def predict(self, L: Any, *, tie_break: str = "abstain", sequences: Any = None) -> np.ndarray:
        """Class ids of each item (``ABSTAIN`` on ties with ``tie_break="abstain"``)."""
        labels: np.ndarray = break_ties(self.predict_proba(L, sequences=sequences), tie_break, self.seed)
        return labels

    def plain_predict(self, L: Any, *, tie_break: str = "abstain") -> np.ndarray:
        """The base model's labels, without the order (what the chain smoothing is compared with)."""
        labels: np.ndarray = self.base_.predict(self._check_L(L), tie_break=tie_break)
        return np.where(labels < 0, ABSTAIN, labels)
