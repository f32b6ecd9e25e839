"""Choosing, label by label, the model whose decisions are best on dev (cross-fitted)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.models_joint import VoteLogistic
from weaksup.multilabel.models_perlabel import PerLabelDawidSkene, PerLabelDevNaiveBayes
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)


class LabelwiseSelector(MultiLabelModel):
    """For each label, the candidate model (each with its own majority-vote back-off) whose cross-fitted dev F1
    on that label is highest; its probabilities and threshold decide the label.

    The candidates are :class:`~weaksup.multilabel.VoteLogistic` (every label's votes: co-occurrence),
    :class:`~weaksup.multilabel.PerLabelDevNaiveBayes` and :class:`~weaksup.multilabel.PerLabelDawidSkene`,
    in that order of preference on ties. Each candidate's dev F1 per label (``cv_f1_``) comes from decisions
    whose thresholds were tuned on the other dev folds, so the choice is made on held-out figures.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> space = MultiLabelSpace(["a", "b"])
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.random((300, 2)) < 0.3
    >>> values = np.where(rng.random((300, 3, 2)) < 0.7, np.where(Y[:, None, :], 1, -1), -1)
    >>> votes = MultiLabelVotes(values, ["x", "y", "z"], space)
    >>> model = LabelwiseSelector().fit(votes, dev=(votes.take(range(150)), Y[:150]))
    >>> len(model.choice_), bool((model.predict(votes.take(range(150, 300))) == Y[150:]).mean() > 0.85)
    (2, True)
    """

    name = "labelwise_selector"
    uses_dev_gold = True
    tunes_thresholds = False
    #: Which candidate decides each label.
    choice_: list[str]
    candidates_: dict[str, MultiLabelModel]
    selected_thresholds_: np.ndarray

    def candidates(self) -> dict[str, MultiLabelModel]:
        """Fresh candidate models, in order of preference."""
        shared: dict[str, Any] = {"n_folds": self.n_folds, "min_positives": self.min_positives,
                  "threshold_strength": self.threshold_strength, "backoff": self.backoff}
        return {"vote_logistic": VoteLogistic(**shared), "dev_naive_bayes": PerLabelDevNaiveBayes(**shared),
                "dawid_skene": PerLabelDawidSkene(**shared)}

    def fit(self, votes: MultiLabelVotes, *, dev: tuple[MultiLabelVotes, np.ndarray] | None = None,
            seed: int = 0) -> LabelwiseSelector:
        """Fit every candidate (dev gold required), then pick each label's candidate by its cross-fitted dev F1."""
        if not self.backoff:
            raise LabelModelError("LabelwiseSelector compares the candidates' cross-fitted dev F1, which needs "
                                  "backoff=True")
        super().fit(votes, dev=dev, seed=seed)
        self.thresholds_ = self.selected_thresholds_
        return self

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        assert dev_votes is not None and Y is not None
        assert isinstance(dev_votes, MultiLabelVotes)
        self.candidates_ = {name: model.fit(votes, dev=(dev_votes, Y), seed=self.seed_)
                            for name, model in self.candidates().items()}
        names = list(self.candidates_)
        scores = np.array([getattr(self.candidates_[n], "cv_f1_", np.zeros(votes.k)) for n in names])
        best = scores.argmax(axis=0)  # the first (preferred) candidate on ties
        self.choice_ = [names[b] for b in best]
        self.cv_f1_ = scores.max(axis=0)
        self.selected_thresholds_ = np.array([self.candidates_[names[b]].thresholds_[c] for c, b in enumerate(best)])
        logger.info("LabelwiseSelector choices: %s", dict(zip(votes.space.labels, self.choice_)))

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        proba = np.zeros((votes.n, votes.k))
        for name, model in self.candidates_.items():
            cols = [c for c, chosen in enumerate(self.choice_) if chosen == name]
            if cols:
                proba[:, cols] = model.predict_proba(votes)[:, cols]
        return proba
