"""Per-label models: each label on its own, from its binary votes (``1`` yes, ``0`` no, ``-1`` abstain).

A label's binary votes are exactly the binary models' convention (class 1 = yes, class 0 = no, ``-1``
abstain), so :class:`~weaksup.models.DevNaiveBayes` and :class:`~weaksup.models.DawidSkene` are reused
as they are, one per label, on the LFs that ever vote on that label.
"""

from __future__ import annotations

import logging
import numpy as np

from weaksup.models import BaseLabelModel, DawidSkene, DevNaiveBayes, fit_label_model
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)


class MultiLabelMajority(MultiLabelModel):
    """Per-label majority vote, the baseline: a label is on when more LFs say yes than no (abstain counts as no).

    ``P(label)`` is the share of yes among the yes/no votes (0 without any); the threshold stays just
    above 0.5 (ties are "no"), dev or not.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
    >>> space = MultiLabelSpace(["a", "b", "none"], none_label="none")
    >>> votes = MultiLabelVotes([[[1, 1, -1], [1, 0, -1]], [[-1, -1, -1], [0, -1, -1]]], ["x", "y"], space)
    >>> MultiLabelMajority().fit(votes).predict(votes).astype(int).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """

    name = "majority"
    uses_dev_gold = False
    tunes_thresholds = False
    base_threshold = 0.5 + 1e-9

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        pass

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        yes, no = self._check_votes(votes).counts()
        total = yes + no
        proba: np.ndarray = np.divide(yes, total, out=np.zeros(yes.shape), where=total > 0)
        return proba


class PerLabelBinary(MultiLabelModel):
    """One binary label model per label, on the LFs that vote on it; :meth:`binary_model` says which."""

    #: ``(k,)`` the LF columns each label's model was fitted on.
    columns_: list[np.ndarray]
    models_: list[BaseLabelModel | None]
    #: Probability of a label no LF votes on (its dev rate, else 0).
    base_rate_: np.ndarray

    def binary_model(self) -> BaseLabelModel:
        """A fresh binary model for one label."""
        raise NotImplementedError

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        voted = (votes.values != -1).any(axis=0)
        if dev_votes is not None:
            voted |= (dev_votes.values != -1).any(axis=0)
        self.columns_, self.models_ = [], []
        self.base_rate_ = (Y.mean(axis=0) if Y is not None and len(Y) else np.zeros(votes.k)).astype(np.float64)
        for c in range(votes.k):
            cols = np.flatnonzero(voted[:, c])
            self.columns_.append(cols)
            if not len(cols) or (self.uses_dev_gold and (Y is None or not len(Y))):
                self.models_.append(None)
                continue
            L = votes.values[:, cols, c]
            if self.uses_dev_gold:
                assert dev_votes is not None and Y is not None
                model = fit_label_model(self.binary_model(), L, L_dev=dev_votes.values[:, cols, c],
                                        y_dev=Y[:, c].astype(np.int64))
            else:
                model = fit_label_model(self.binary_model(), L)
            self.models_.append(model)

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        proba = np.tile(self.base_rate_, (votes.n, 1))
        for c, (cols, model) in enumerate(zip(self.columns_, self.models_)):
            if model is not None:
                proba[:, c] = model.predict_proba(votes.values[:, cols, c])[:, 1]
        return proba


class PerLabelDevNaiveBayes(PerLabelBinary):
    """Per-label :class:`~weaksup.models.DevNaiveBayes` (counted on dev gold; abstaining is evidence too).

    ``restrict_to_voted`` is off: most multi-label LFs only ever say yes, and a label must be able to
    stay off when a weak LF fires. Thresholds are tuned on cross-fitted dev probabilities.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
    >>> space = MultiLabelSpace(["a", "b"])
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.random((300, 2)) < 0.3
    >>> values = np.where(rng.random((300, 3, 2)) < 0.8, np.where(Y[:, None, :], 1, -1), -1)
    >>> votes = MultiLabelVotes(values, ["x", "y", "z"], space)
    >>> model = PerLabelDevNaiveBayes().fit(votes, dev=(votes.take(range(100)), Y[:100]))
    >>> bool((model.predict(votes) == Y).mean() > 0.9)
    True
    """

    name = "dev_naive_bayes"
    uses_dev_gold = True

    def __init__(self, *, smoothing: float = 3.0, unlabeled: str = "ignore", n_folds: int = 5,
                 min_positives: int = 5, threshold_strength: float = 10.0, backoff: bool = True) -> None:
        super().__init__(n_folds=n_folds, min_positives=min_positives, threshold_strength=threshold_strength,
                         backoff=backoff)
        self.smoothing = smoothing
        self.unlabeled = unlabeled

    def binary_model(self) -> BaseLabelModel:
        return DevNaiveBayes(2, smoothing=self.smoothing, restrict_to_voted=False, unlabeled=self.unlabeled,
                             seed=getattr(self, "seed_", 0))


class PerLabelDawidSkene(PerLabelBinary):
    """Per-label :class:`~weaksup.models.DawidSkene` (EM without labels); dev gold only tunes the thresholds.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
    >>> space = MultiLabelSpace(["a"])
    >>> votes = MultiLabelVotes([[[1], [1], [-1]], [[0], [0], [0]], [[1], [-1], [1]], [[-1], [0], [0]]] * 5,
    ...                         ["x", "y", "z"], space)
    >>> PerLabelDawidSkene().fit(votes).predict(votes)[:4, 0].tolist()
    [True, False, True, False]
    """

    name = "dawid_skene"
    uses_dev_gold = False

    def binary_model(self) -> BaseLabelModel:
        return DawidSkene(2)
