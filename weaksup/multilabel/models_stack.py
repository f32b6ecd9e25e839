"""A discriminative stacker over every label's votes: per label, a regularised logistic regression on all (LF, label)
yes/no votes and every label's majority-vote evidence, its strength chosen by cross-validation on the dev gold."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from scipy import sparse

from weaksup.errors import LabelModelError
from weaksup.multilabel.models_base import MultiLabelModel, f1_per_label
from weaksup.multilabel.models_joint import label_logistic
from weaksup.multilabel.scored import score_logits, scores_of
from weaksup.multilabel.votes import MultiLabelVotes

logger = logging.getLogger(__name__)

#: The inverse L2 strengths :class:`VoteStacker` chooses from by cross-validation (``C=None``).
C_GRID = (0.1, 0.3, 1.0)


def label_evidence(votes: MultiLabelVotes) -> np.ndarray:
    """``(n, 3k + 1)`` every label's majority-vote decision, whether any LF says yes, ``log1p(yes) - log1p(no)``, and
    how many labels the majority turns on: the cross-label evidence of :class:`VoteStacker`.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> votes = MultiLabelVotes([[[1, -1], [0, 1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
    >>> label_evidence(votes).round(2).tolist()
    [[0.0, 1.0, 1.0, 1.0, 0.0, 0.69, 1.0]]
    """
    yes, no = votes.counts()
    majority = (yes > no).astype(np.float64)
    return np.hstack([majority, (yes > 0).astype(np.float64), np.log1p(yes) - np.log1p(no),
                      majority.sum(axis=1, keepdims=True)])


def own_votes(votes: MultiLabelVotes, c: int, lfs: np.ndarray) -> np.ndarray:
    """``(n, 3 + 2 * len(lfs))`` label ``c``'s own evidence: any yes, majority, the yes/no log ratio, then each of
    its LFs ``lfs`` saying yes and saying no.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> votes = MultiLabelVotes([[[1, -1], [0, 1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
    >>> own_votes(votes, 0, np.array([0, 1])).round(2).tolist()
    [[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]]
    """
    column = votes.values[:, :, c]
    yes, no = np.count_nonzero(column == 1, axis=1), np.count_nonzero(column == 0, axis=1)
    return np.column_stack([yes > 0, yes > no, np.log1p(yes) - np.log1p(no),
                            column[:, lfs] == 1, column[:, lfs] == 0]).astype(np.float64)


class VoteStacker(MultiLabelModel):
    """Per label, an L2 logistic regression on the votes of ALL LFs on ALL labels, fitted on the dev gold.

    Each label reads (i) with ``cells=True``, a yes and a no indicator of every (LF, label) cell any LF voted on,
    (ii) every label's majority-vote decision, any-yes and yes/no log ratio, and how many labels the majority
    turns on (:func:`label_evidence`), and (iii) its own evidence (:func:`own_votes`) scaled by ``own_scale``
    (regularised ``own_scale**2`` times less, so a label with few dev positives leans on its own LFs).
    With ``scores=True`` and votes that carry the model LFs' probabilities
    (:class:`~weaksup.multilabel.scored.ScoredVotes`), each label's own evidence also holds each model's log-odds
    of that label (times ``score_scale``), so the stacker learns the label's own curve of the model's score, which
    the yes/no votes (and majority vote) throw away.
    So co-occurrence and cross-label evidence are learned from dev: "grief" from sadness and remorse votes,
    "annoyance" against "anger", any emotion against "neutral"; a label with no LF of its own can still be
    predicted from the others' votes. Unlike :class:`~weaksup.multilabel.VoteLogistic` it uses no unsupervised
    model's log-odds, and its strength ``C`` is chosen by cross-validation on dev.

    Thresholds are tuned on cross-fitted dev probabilities. With ``backoff`` a label falls back to its majority
    vote when its cross-fitted dev F1 is below the majority's by more than ``backoff_margin`` (the stacker is
    kept when dev cannot tell them apart: on GoEmotions' dev rows its gains are many small ones that a strict
    "better on dev" rule throws away), or when it has fewer than ``min_positives`` dev positives.

    Parameters
    ----------
    C : float or None, default None
        Inverse L2 strength; ``None`` chooses from :data:`C_GRID` by cross-fitted dev macro F1 (:attr:`C_`).
    cells : bool, default False
        Also include the per-(LF, label) yes/no indicators of every label (not only each label's summaries);
        off by default (GoEmotions' dev rows, cross-fitted: 0.4597 macro F1 without, 0.4588 with).
    own_scale : float, default 10.0
    scores : bool, default False
        Read the model LFs' probabilities the votes carry (plain votes carry none: no change). The fitted model
        then needs votes with the same score sources (:attr:`score_ids_`) to predict.
    score_scale : float, default 1.0
        The scale of the log-odds features (inside ``own_scale``).
    backoff_margin : float, default 0.02
    min_positives : int, default 10
    threshold_strength : float, default 30.0
        Pseudo-positives of the threshold shrinkage (:func:`~weaksup.multilabel.thresholds.tune_thresholds`).
    n_folds, backoff :
        See :class:`~weaksup.multilabel.models_base.MultiLabelModel`.

    The defaults were chosen on GoEmotions' dev-select rows by the cross-fitted dev macro F1 (``cv_f1_``) of
    ``own_scale`` 1 / 3 / 10, ``threshold_strength`` 0 / 3 / 10 / 30 and ``cells``: 0.4597 for these, 0.4504-0.4588
    for the others.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.random((600, 2)) < 0.3
    >>> Y[:, 1] = Y[:, 0] & (rng.random(600) < 0.9)  # 'b' goes with 'a' and has no LF of its own
    >>> values = np.full((600, 1, 2), -1)
    >>> values[:, 0, 0] = np.where(Y[:, 0] & (rng.random(600) < 0.9), 1, -1)
    >>> votes = MultiLabelVotes(values, ["x"], MultiLabelSpace(["a", "b"]))
    >>> model = VoteStacker().fit(votes, dev=(votes.take(range(300)), Y[:300]))
    >>> bool(f1_per_label(Y[300:], model.predict(votes.take(range(300, 600))))[1] > 0.7)
    True
    """

    name = "vote_stacker"
    uses_dev_gold = True
    cells_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray
    #: The strength used (``C``, or the one cross-validation chose).
    C_: float
    #: ``{C: cross-fitted dev macro F1}`` when ``C`` was chosen.
    C_scores_: dict[str, float]
    #: The score sources read (``scores=True`` and scored votes; else empty).
    score_ids_: list[str]

    def __init__(self, *, C: float | None = None, cells: bool = False, own_scale: float = 10.0,
                 scores: bool = False, score_scale: float = 1.0, backoff_margin: float = 0.02, n_folds: int = 5,
                 min_positives: int = 10, threshold_strength: float = 30.0, backoff: bool = True) -> None:
        super().__init__(n_folds=n_folds, min_positives=min_positives, threshold_strength=threshold_strength,
                         backoff=backoff)
        self.C = C
        self.cells = cells
        self.own_scale = own_scale
        self.scores = scores
        self.score_scale = score_scale
        self.backoff_margin = backoff_margin

    def _check_stacker(self) -> None:
        if self.C is not None and (not isinstance(self.C, (int, float)) or self.C <= 0):
            raise LabelModelError(f"VoteStacker: C must be a number > 0 or None (chosen on dev); got {self.C!r}")
        if not isinstance(self.own_scale, (int, float)) or self.own_scale <= 0:
            raise LabelModelError(f"VoteStacker: own_scale must be a number > 0; got {self.own_scale!r}")
        if not isinstance(self.backoff_margin, (int, float)) or self.backoff_margin < 0:
            raise LabelModelError(f"VoteStacker: backoff_margin must be a number >= 0; got {self.backoff_margin!r}")
        if not isinstance(self.scores, bool):
            raise LabelModelError(f"VoteStacker: scores must be True or False; got {self.scores!r}")
        if not isinstance(self.score_scale, (int, float)) or self.score_scale <= 0:
            raise LabelModelError(f"VoteStacker: score_scale must be a number > 0; got {self.score_scale!r}")

    def fit(self, votes: MultiLabelVotes, *, dev: tuple[MultiLabelVotes, np.ndarray] | None = None,
            seed: int = 0) -> VoteStacker:
        """Choose ``C`` by cross-fitted dev macro F1 (when ``C is None``), then fit as every model does."""
        self._check_stacker()
        self.C_scores_ = {}
        dev_ok = dev is not None and isinstance(dev, tuple) and len(dev) == 2 and isinstance(dev[0], MultiLabelVotes)
        self.score_ids_ = scores_of(dev[0])[1] if self.scores and dev_ok else []  # type: ignore[index]
        if self.C is None and dev is not None and isinstance(dev, tuple) and len(dev) == 2:
            self._choose_C(votes, dev, seed)
        elif self.C is not None:
            self.C_ = float(self.C)
        else:
            self.C_ = 0.3
        super().fit(votes, dev=dev, seed=seed)
        return self

    def _choose_C(self, votes: MultiLabelVotes, dev: tuple[MultiLabelVotes, np.ndarray], seed: int) -> None:
        """Each C of :data:`C_GRID` scored by the macro F1 of cross-fitted dev decisions (thresholds from other folds)."""
        self._check_params()
        dev_votes, Y = self._check_dev(votes, dev)
        assert dev_votes is not None and Y is not None
        self.space_, self.lf_ids_, self.seed_ = votes.space, list(votes.lf_ids), int(seed)
        for C in C_GRID:
            self.C_ = C
            decided = self.cross_fitted_decisions(self.dev_proba(votes, dev_votes, Y), Y, None)
            self.C_scores_[str(C)] = float(f1_per_label(Y, decided).mean())
        self.C_ = float(max(C_GRID, key=lambda C: self.C_scores_[str(C)]))
        logger.info("VoteStacker: C=%s chosen on dev (cross-fitted macro F1 %s)", self.C_, self.C_scores_)

    def _share(self, copy: MultiLabelModel) -> None:
        if isinstance(copy, VoteStacker):
            copy.C_ = self.C_
            copy.score_ids_ = self.score_ids_

    def _features(self, votes: MultiLabelVotes) -> sparse.csr_matrix:
        parts: list[Any] = []
        if self.cells and len(self.cells_):
            cell_votes = votes.values[:, self.cells_[:, 0], self.cells_[:, 1]]
            parts += [sparse.csr_matrix(cell_votes == 1, dtype=np.float64),
                      sparse.csr_matrix(cell_votes == 0, dtype=np.float64)]
        parts.append(sparse.csr_matrix(label_evidence(votes)))
        return sparse.hstack(parts, format="csr")

    def _own_lfs(self, c: int) -> np.ndarray:
        return np.asarray(self.cells_[self.cells_[:, 1] == c, 0], dtype=np.int64)

    def _own(self, votes: MultiLabelVotes, c: int) -> np.ndarray:
        """Label ``c``'s own evidence (:func:`own_votes`), then the read sources' log-odds of it."""
        own = own_votes(votes, c, self._own_lfs(c))
        read = getattr(self, "score_ids_", [])  # a model saved before scores existed reads none
        if not read:
            return own
        if scores_of(votes)[1] != read:
            raise LabelModelError(f"VoteStacker was fitted on the model scores {read}; these votes carry "
                                  f"{scores_of(votes)[1]} (weaksup.multilabel.scored.with_model_scores)")
        return np.hstack([own, self.score_scale * score_logits(votes, c)])

    def _fit(self, votes: MultiLabelVotes, dev_votes: MultiLabelVotes | None, Y: np.ndarray | None) -> None:
        assert dev_votes is not None and Y is not None
        if not hasattr(self, "score_ids_"):
            self.score_ids_ = []
        self.cells_ = np.argwhere((votes.values != -1).any(axis=0) | (dev_votes.values != -1).any(axis=0))
        X = self._features(dev_votes)
        width = max(3 + 2 * len(self._own_lfs(c)) for c in range(votes.k)) + len(self.score_ids_)
        self.coef_ = np.zeros((votes.k, X.shape[1] + width))
        self.intercept_ = np.zeros(votes.k)
        for c in range(votes.k):
            own = self.own_scale * self._own(dev_votes, c)
            coef, self.intercept_[c] = label_logistic(sparse.hstack([X, own], format="csr"), Y[:, c], self.C_)
            if coef is not None:
                self.coef_[c, :len(coef)] = coef

    def _proba(self, votes: MultiLabelVotes) -> np.ndarray:
        self._check_votes(votes)
        X = self._features(votes)
        d = X.shape[1]
        scores: Any = np.asarray(X @ self.coef_[:, :d].T) + self.intercept_
        for c in range(votes.k):
            own = self._own(votes, c)
            scores[:, c] += self.own_scale * own @ self.coef_[c, d:d + own.shape[1]]
        proba: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(scores), -50, 50)))
        return proba

    def _back_off(self, honest: np.ndarray, dev_votes: MultiLabelVotes, Y: np.ndarray, fallback: np.ndarray) -> None:
        """The base class's back-off, then labels within ``backoff_margin`` of their majority vote return to the
        stacker (a prior toward the model that read every label's votes, not toward the majority)."""
        super()._back_off(honest, dev_votes, Y, fallback)
        yes, no = dev_votes.counts()
        majority_f1 = f1_per_label(Y, yes > no)
        model_f1 = f1_per_label(Y, self.cross_fitted_decisions(honest, Y, fallback))
        keep = (model_f1 >= majority_f1 - self.backoff_margin) & (Y.sum(axis=0) >= self.min_positives)
        restore = self.backoff_ & keep
        if restore.any():
            own = self._thresholds(honest, Y, fallback)
            self.thresholds_[restore] = own[restore]
            self.backoff_proba_[restore] = 0.0
            self.backoff_ = self.backoff_ & ~keep
            self.cv_f1_ = np.where(self.backoff_, majority_f1, model_f1)
