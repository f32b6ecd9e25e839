"""Averaging several dev-aware multi-label models: one probability per (row, label), one threshold per label."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.scored import scores_of
from weaksup.multilabel.thresholds import THRESHOLD_RULES, tune_thresholds
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)

#: The members :class:`VoteBlend` averages by default: chosen by nested dev macro F1 on GoEmotions' dev "select"
#: rows (5 folds, 4 different splits; models fitted on four folds' gold, scored on the fifth): stacker + naive Bayes
#: 0.4553, stacker + logistic + naive Bayes 0.4517, the stacker alone 0.4504, LabelwiseSelector 0.4487, per-label
#: majority vote 0.4416.
BLEND_MEMBERS = ("vote_stacker", "dev_naive_bayes")
#: The name of the extra member :class:`VoteBlend` adds when the votes carry model scores (``scored=True``).
SCORED_MEMBER = "vote_stacker+scores"


class VoteBlend(MultiLabelModel):
    """The mean of several multi-label models' probabilities, thresholded per label on honest dev probabilities.

    Each member is fitted with the dev gold as it would be alone; the blend's honest dev probabilities are the
    mean of the members' cross-fitted ones (:attr:`~weaksup.multilabel.models_base.MultiLabelModel.honest_dev_proba`,
    every member cross-fitted on the same seeded folds), so its thresholds and its majority-vote back-off are
    tuned as any single model's. Averaging models that read the votes differently (the default: a discriminative
    stacker of every label's votes, :class:`~weaksup.multilabel.VoteStacker`, and per-label naive Bayes counted on
    dev, :class:`~weaksup.multilabel.PerLabelDevNaiveBayes`) lowers the variance of each label's probabilities,
    which matters most for labels with few dev positives; per-label choices between models
    (:class:`~weaksup.multilabel.LabelwiseSelector`) are noisier there. The weaksup recommendation with dev gold
    (``"default"``).

    Parameters
    ----------
    members : sequence of str, default :data:`BLEND_MEMBERS`
        Names of :data:`~weaksup.multilabel.models.MULTILABEL_MODELS` that tune their own thresholds (at least
        two; not a selector or a blend). A member without dev gold (``dawid_skene``) is honest on dev as it is.
    scored : bool, default True
        When the dev votes carry the model LFs' probabilities (:class:`~weaksup.multilabel.scored.ScoredVotes`),
        add a third member, :data:`SCORED_MEMBER`: a :class:`~weaksup.multilabel.VoteStacker` that reads them
        (``scores=True``); plain votes (those of ``weaksup run``): the members above only. On GoEmotions' nested dev
        (dev "select" rows, 5 folds, 3 fold splits) with ``threshold_rule="half_f1"`` it raised macro F1 from
        0.4589 to 0.4649 and micro F1 from 0.5277 to 0.5320 (with the best cut it raised macro, 0.4576 to 0.4622,
        but lowered micro, 0.5261 to 0.5214, which kept it off by default until the half-F1 rule).
    threshold_rule : {"half_f1", "best_cut"}, default "half_f1"
        Each label's own threshold (before the shrinkage toward the fallback): half its best honest dev F1
        (:func:`~weaksup.multilabel.thresholds.half_f1_threshold`: the F1-optimal threshold of calibrated
        probabilities, steadier than where a jagged dev F1 curve peaks), or the best cut of that curve. Chosen on
        nested dev (as above, plain votes): macro / micro F1 0.4589 / 0.5277 against 0.4576 / 0.5261, and with
        the scored member 0.4649 / 0.5320 against 0.4622 / 0.5214; BC5CDR's nested dev 0.9306 against 0.9308.
    threshold_plateau : float, default 1.0
        With ``threshold_rule="best_cut"``: the single best cut of each label's honest dev F1 curve (1.0), or the
        median of the cuts whose F1 reaches this share of the best
        (:func:`~weaksup.multilabel.thresholds.plateau_threshold`). 0.9 was better on GoEmotions' nested dev
        (0.4563 against 0.4550, 6 splits) but worse on BC5CDR's (0.923 against 0.931, 3 splits).
    n_folds, min_positives, threshold_strength, backoff :
        See :class:`~weaksup.multilabel.models_base.MultiLabelModel`; ``n_folds`` and ``backoff`` are handed to
        every member too.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> gen = np.random.default_rng(1)
    >>> gold = gen.random((400, 3)) < [0.4, 0.2, 0.1]
    >>> cast = gen.random((400, 2, 3)) < 0.8  # two LFs say yes on 80% of each label's rows, else abstain
    >>> votes = MultiLabelVotes(np.where(cast & gold[:, None, :], 1, -1), ["kw", "rx"], MultiLabelSpace(["p", "q", "r"]))
    >>> blend = VoteBlend(members=["dev_naive_bayes", "vote_logistic"])
    >>> blend = blend.fit(votes, dev=(votes.take(range(200)), gold[:200]))
    >>> sorted(blend.members_), bool((blend.predict(votes.take(range(200, 400))) == gold[200:]).mean() > 0.85)
    (['dev_naive_bayes', 'vote_logistic'], True)
    """

    name = "vote_blend"
    uses_dev_gold = True
    #: The fitted members by name.
    members_: dict[str, MultiLabelModel]

    def __init__(self, *, members: Any = BLEND_MEMBERS, scored: bool = True, threshold_rule: str = "half_f1",
                 threshold_plateau: float = 1.0, n_folds: int = 5, min_positives: int = 5,
                 threshold_strength: float = 10.0, backoff: bool = True) -> None:
        super().__init__(n_folds=n_folds, min_positives=min_positives, threshold_strength=threshold_strength,
                         backoff=backoff)
        self.members = list(members) if isinstance(members, (list, tuple)) else members
        self.scored = scored
        self.threshold_rule = threshold_rule
        self.threshold_plateau = threshold_plateau

    def _thresholds(self, proba: np.ndarray, Y: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        if self.threshold_rule not in THRESHOLD_RULES:
            raise LabelModelError(f"VoteBlend: threshold_rule must be one of {list(THRESHOLD_RULES)}; got "
                                  f"{self.threshold_rule!r}")
        if not isinstance(self.threshold_plateau, (int, float)) or not 0 < self.threshold_plateau <= 1:
            raise LabelModelError(f"VoteBlend: threshold_plateau must be a number in (0, 1]; got "
                                  f"{self.threshold_plateau!r}")
        return tune_thresholds(proba, Y, min_positives=self.min_positives, strength=self.threshold_strength,
                               default=fallback, plateau=float(self.threshold_plateau), rule=self.threshold_rule)

    def member_models(self, scored: bool = False) -> dict[str, MultiLabelModel]:
        """Fresh member models by name (the shared parameters handed down); with ``scored`` (and ``scored=True``)
        also :data:`SCORED_MEMBER`."""
        from weaksup.multilabel.models import MULTILABEL_MODELS
        from weaksup.multilabel.models_stack import VoteStacker

        if not isinstance(self.members, list) or len(self.members) < 2 or len(set(self.members)) != len(self.members):
            raise LabelModelError(f"VoteBlend: members must be a list of at least two different model names; "
                                  f"got {self.members!r}")
        out: dict[str, MultiLabelModel] = {}
        for name in self.members:
            cls = MULTILABEL_MODELS.get(name)
            if cls is None or cls is VoteBlend or not cls.tunes_thresholds:
                usable = sorted(n for n, c in MULTILABEL_MODELS.items() if c.tunes_thresholds and c is not VoteBlend)
                raise LabelModelError(f"VoteBlend: member {name!r} is not a model whose probabilities it can "
                                      f"average; choose from {usable} (members=)")
            model = cls()
            model.set_params(n_folds=self.n_folds, backoff=self.backoff)
            out[name] = model
        if not isinstance(self.scored, bool):
            raise LabelModelError(f"VoteBlend: scored must be True or False; got {self.scored!r}")
        if scored and self.scored:
            out[SCORED_MEMBER] = VoteStacker(scores=True, n_folds=self.n_folds, backoff=self.backoff)
        return out

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        assert dev_votes is not None and Y is not None
        members = self.member_models(scored=bool(scores_of(dev_votes)[1]))
        self.members_ = {name: model.fit(votes, dev=(dev_votes, Y), seed=self.seed_) for name, model in members.items()}

    def dev_proba(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes, Y: np.ndarray) -> np.ndarray:
        """The mean of the members' honest dev probabilities (each cross-fitted when it was fitted)."""
        if not all(hasattr(m, "honest_dev_proba") for m in self.members_.values()):
            raise LabelModelError("VoteBlend: a member has no honest dev probabilities (fit the blend with dev gold)")
        proba: np.ndarray = np.mean([m.honest_dev_proba for m in self.members_.values()], axis=0)
        return proba

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        proba: np.ndarray = np.mean([m._proba(votes) for m in self.members_.values()], axis=0)
        return proba
