"""The dev-aware default: choose the span model by its entity F1 on the dev documents (cross-validated).

Candidates, simplest first: majority vote (WRENCH's tag vote), majority vote of the types, the HMM,
and the dev-trained span classifier. An unsupervised candidate is fitted on the votes to label and
scored on the dev documents (it never sees their gold); a dev-aware one is scored on out-of-fold
dev predictions (``n_folds`` folds of documents). The first candidate whose dev F1 is within
``n_se`` standard errors of the best (the paired difference, bootstrapped over dev documents) wins,
so a richer model replaces a simpler one only when the dev documents show more than noise. The
winner is refitted with all the dev gold and its span confidences get the temperature fitted on
its honest dev predictions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.spans.decode import span_temperature
from weaksup.spans.models_base import DevGold, SpanLabelModel
from weaksup.spans.models_dev import SpanDevClassifier
from weaksup.spans.models_hmm import SpanHMM
from weaksup.spans.models_majority import SpanMajorityVote
from weaksup.spans.span import ScoredSpan, Span
from weaksup.spans.votes import SpanVotes

__all__ = ["SpanDevSelector", "doc_counts", "f1_from_counts"]

logger = logging.getLogger(__name__)

#: Bootstrap resamples of the dev documents behind each standard error.
N_BOOTSTRAP = 200


def doc_counts(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[ScoredSpan]]) -> np.ndarray:
    """``(n_docs, 3)`` exact-match true positives, predicted and gold spans per document.

    Examples
    --------
    >>> doc_counts([[Span(0, 1, "A")]], [[ScoredSpan(0, 1, "A", 0.9), ScoredSpan(2, 3, "A", 0.5)]]).tolist()
    [[1, 2, 1]]
    """
    rows = []
    for g, p in zip(gold, pred):
        keys = {tuple(s[:3]) for s in g}
        rows.append((sum(tuple(s[:3]) in keys for s in p), len(p), len(g)))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Micro F1 of summed :func:`doc_counts` (the last axis), e.g. of bootstrap resamples.

    Examples
    --------
    >>> float(f1_from_counts(np.array([[1, 2, 1], [1, 1, 2]]).sum(axis=0)))
    0.6666666666666666
    """
    tp, n_pred, n_gold = counts[..., 0], counts[..., 1], counts[..., 2]
    return np.asarray(2.0 * tp / np.maximum(n_pred + n_gold, 1))


def candidates() -> list[tuple[str, SpanLabelModel]]:
    """The default candidates and their names, simplest first.

    Examples
    --------
    >>> [name for name, _ in candidates()]
    ['majority', 'majority_types', 'hmm', 'span_dev']
    """
    return [("majority", SpanMajorityVote()), ("majority_types", SpanMajorityVote(vote_on="types")),
            ("hmm", SpanHMM()), ("span_dev", SpanDevClassifier())]


class SpanDevSelector(SpanLabelModel):
    """The span model chosen on dev gold (see the module doc); weaksup's default with dev gold.

    Parameters
    ----------
    n_folds : int, default 5
        Folds of dev documents for the dev-aware candidates.
    n_se : float, default 1.0
        How many standard errors below the best dev F1 a simpler candidate may be and still win.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.spans.space import SpanSpace
    >>> v = SpanVotes([3] * 6, ["a@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": range(6), "lf": [0] * 6, "start": [0] * 6, "end": [1] * 6, "label": ["A"] * 6}))
    >>> model = SpanDevSelector(n_folds=2).fit(v, dev=(v, [[Span(0, 1, "A")]] * 6))
    >>> model.chosen_, model.predict(v)[0][0][:3]
    ('majority', (0, 1, 'A'))
    """

    name = "dev_select"
    uses_dev_gold = True
    fitted = ("chosen_", "scores_", "winner_")
    chosen_: str
    scores_: dict[str, float]
    winner_: dict[str, Any]

    def __init__(self, n_folds: int = 5, n_se: float = 1.0) -> None:
        self.n_folds = n_folds
        self.n_se = n_se

    def honest_predictions(self, model: SpanLabelModel, votes: SpanVotes, dev: DevGold,
                           seed: int) -> list[list[ScoredSpan]]:
        """Dev predictions of ``model`` from fits that never saw the predicted document's gold."""
        dev_votes, gold = dev
        if not type(model).uses_dev_gold:
            return model.fit(votes, seed=seed).predict(dev_votes)
        n = dev_votes.n_docs
        folds = np.array_split(np.random.default_rng(seed).permutation(n), max(2, min(self.n_folds, n)))
        pred: list[list[ScoredSpan]] = [[] for _ in range(n)]
        for f, hold in enumerate(folds):
            keep = np.concatenate([folds[g] for g in range(len(folds)) if g != f])
            fitted = model.fit(votes, dev=(dev_votes.take(keep), [gold[i] for i in keep]), seed=seed)
            for i, p in zip(hold, fitted.predict(dev_votes.take(hold))):
                pred[int(i)] = p
        return pred

    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """Score every candidate on the dev documents, keep the simplest within noise of the best, refit it."""
        if dev is None or dev[0].n_docs < 2:
            got = 0 if dev is None else dev[0].n_docs
            raise LabelModelError(f"the span label model 'default' (SpanDevSelector) chooses on dev gold and needs at "
                                  f"least 2 dev documents; got {got}: add dev documents to the gold set, or set "
                                  "label_model.name = \"hmm\" (needs no dev gold) in [label_model] (in Python: "
                                  "fit(votes, dev=(dev_votes, dev_gold)), or resolve_span_model('default', "
                                  "has_dev_gold=False))")
        self.remember(votes)
        dev_votes = self.check_votes(dev[0])
        gold = list(dev[1])
        labels = [name for name, _ in candidates()]
        models = [model for _, model in candidates()]
        preds = [self.honest_predictions(m, votes, (dev_votes, gold), seed) for m in models]
        counts = np.stack([doc_counts(gold, p) for p in preds])  # (candidates, docs, 3)
        scores = f1_from_counts(counts.sum(axis=1))
        rng = np.random.default_rng(seed)
        boot = rng.integers(0, counts.shape[1], size=(N_BOOTSTRAP, counts.shape[1]))
        boot_f1 = f1_from_counts(counts[:, boot].sum(axis=2))  # (candidates, N_BOOTSTRAP)
        best = int(np.argmax(scores))
        se = (boot_f1 - boot_f1[best]).std(axis=1)
        winner = next(i for i in range(len(models)) if scores[i] >= scores[best] - self.n_se * se[i])
        self.scores_ = {label: round(float(s), 6) for label, s in zip(labels, scores)}
        self.chosen_ = labels[winner]
        logger.info("SpanDevSelector: dev F1 %s; chose %s", self.scores_, self.chosen_)
        temperature = span_temperature(preds[winner], gold)
        model = models[winner].fit(votes, dev=(dev_votes, gold), seed=seed)
        model.temperature_ = temperature
        self.winner_ = model.to_json()
        self.model = model
        return self

    def winner(self) -> SpanLabelModel:
        """The chosen model, fitted (rebuilt from :attr:`winner_` after :meth:`from_json`)."""
        if getattr(self, "model", None) is None:
            self.model = SpanLabelModel.from_json(self.winner_)
        model: SpanLabelModel = self.model
        return model

    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        return self.winner().predict_proba(votes)

    def predict(self, votes: SpanVotes) -> list[list[ScoredSpan]]:
        """The chosen model's spans, at the temperature fitted on its dev predictions."""
        return self.winner().predict(self.check_votes(votes))

