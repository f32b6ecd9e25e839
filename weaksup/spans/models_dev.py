"""A dev-aware span model: which candidate spans are right, learned from the dev gold (span level).

The candidates of a document are every span some LF tagged, plus the spans of the type majority
vote (runs of one voted type, which join overlapping LF spans). Each candidate is described by
which LFs tagged exactly it, which tagged an overlapping span of its type or of another type, its
type and its length; a logistic regression fitted on the dev candidates (target: the span is in
the gold, exactly) gives each candidate its probability of being right -- in effect every LF's
span-level precision, and how it changes when other LFs agree or disagree. Decoding keeps the most
probable candidates at or above ``threshold`` that overlap no kept span, so the spans are
BIO-valid; a span's confidence is its probability (at ``temperature_``, 1 unless the selector set one).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from weaksup.errors import LabelModelError, ParameterError
from weaksup.spans.decode import tempered
from weaksup.spans.models_base import DevGold, SpanLabelModel
from weaksup.spans.models_majority import SpanMajorityVote
from weaksup.spans.span import ScoredSpan
from weaksup.spans.votes import SpanVotes

__all__ = ["SpanDevClassifier", "candidate_features", "fit_logistic"]

#: Span lengths told apart by the features (longer spans share the last one).
LENGTHS = 4


def candidate_features(votes: SpanVotes) -> tuple[pd.DataFrame, np.ndarray]:
    """The candidate spans of every document and their ``(n, 3m + n_types + LENGTHS + 2)`` features.

    Examples
    --------
    >>> from weaksup.spans.space import SpanSpace
    >>> v = SpanVotes([3], ["a@1", "b@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": [0, 0], "lf": [0, 1], "start": [0, 0], "end": [2, 1], "label": ["A", "A"]}))
    >>> cands, x = candidate_features(v)
    >>> cands[["start", "end"]].values.tolist(), x[:, :2].tolist()
    ([[0, 1], [0, 2]], [[0.0, 1.0], [1.0, 0.0]])
    """
    space, m = votes.space, votes.m
    spans = votes.spans[["doc", "lf", "start", "end", "label"]].copy()
    mv = SpanMajorityVote(vote_on="types").fit(votes).predict(votes)
    mv_rows = pd.DataFrame([(d, s.start, s.end, s.label) for d, doc in enumerate(mv) for s in doc],
                           columns=["doc", "start", "end", "label"])
    keys = ["doc", "start", "end", "label"]
    cands = pd.concat([spans[keys], mv_rows]).drop_duplicates().sort_values(keys, kind="stable")
    cands = cands.reset_index(drop=True)
    n = len(cands)
    x = np.zeros((n, 3 * m + space.n_types + LENGTHS + 2))
    if n == 0:
        return cands, x
    cands["row"] = np.arange(n)
    pairs = cands.merge(spans, on="doc", suffixes=("", "_lf"))
    overlap = (pairs["start_lf"] < pairs["end"]) & (pairs["start"] < pairs["end_lf"])
    pairs = pairs[overlap]
    same_label = (pairs["label_lf"] == pairs["label"]).to_numpy()
    exact = same_label & (pairs["start_lf"] == pairs["start"]).to_numpy() & (pairs["end_lf"] == pairs["end"]).to_numpy()
    kind = np.where(exact, 0, np.where(same_label, 1, 2))
    x[pairs["row"].to_numpy(), kind * m + pairs["lf"].to_numpy()] = 1.0
    type_index = {t: i for i, t in enumerate(space.types)}
    x[np.arange(n), 3 * m + cands["label"].map(type_index).to_numpy()] = 1.0
    length = np.minimum((cands["end"] - cands["start"]).to_numpy(), LENGTHS) - 1
    x[np.arange(n), 3 * m + space.n_types + length] = 1.0
    mv_keys = set(map(tuple, mv_rows[keys].itertuples(index=False)))
    x[:, -2] = [tuple(r) in mv_keys for r in cands[keys].itertuples(index=False)]
    x[:, -1] = x[:, :m].sum(axis=1) / max(m, 1)
    return cands.drop(columns="row"), x


def fit_logistic(x: np.ndarray, y: np.ndarray, C: float = 1.0, n_iter: int = 50) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by Newton's method: minimises ``||w||^2 / 2 + C * sum(log loss)``
    (the intercept unpenalised, scikit-learn's objective); returns ``(w, b)``.

    Examples
    --------
    >>> x = np.array([[0.0], [0.0], [1.0], [1.0]])
    >>> w, b = fit_logistic(x, np.array([0, 0, 1, 1]), C=10.0)
    >>> bool(w[0] > 2 and b < -1)
    True
    """
    n, d = x.shape
    xb = np.c_[x, np.ones(n)]
    reg = np.r_[np.ones(d), 0.0] / C
    theta = np.zeros(d + 1)

    def loss(t: np.ndarray) -> float:
        z = xb @ t
        return float(np.logaddexp(0.0, z).sum() - z @ y + 0.5 * (reg * t * t).sum())

    current = loss(theta)
    for _ in range(n_iter):
        p = 1.0 / (1.0 + np.exp(-(xb @ theta)))
        grad = xb.T @ (p - y) + reg * theta
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        size = 1.0
        while size > 1e-4 and loss(theta - size * step) > current:
            size /= 2
        new = loss(theta - size * step)
        theta = theta - size * step
        if current - new < 1e-10 * max(1.0, abs(current)):
            break
        current = new
    return theta[:d].copy(), float(theta[d])


class SpanDevClassifier(SpanLabelModel):
    """Candidate spans scored by a logistic regression fitted on dev gold (see the module doc).

    Needs dev gold (``fit(votes, dev=(dev_votes, dev_gold))``); the votes to label are not used to fit.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 strength of the logistic regression.
    threshold : float, default 0.5
        A candidate is kept when its probability is at least this.

    Examples
    --------
    >>> from weaksup.spans.space import SpanSpace
    >>> from weaksup.spans.span import Span
    >>> v = SpanVotes([3] * 4, ["a@1", "b@1"], SpanSpace(["A"]), pd.DataFrame(
    ...     {"doc": [0, 0, 1, 1, 2, 3], "lf": [0, 1, 0, 1, 0, 1], "start": [0, 0, 1, 1, 0, 2],
    ...      "end": [2, 1, 3, 2, 2, 3], "label": ["A"] * 6}))
    >>> gold = [[Span(0, 2, "A")], [Span(1, 3, "A")], [Span(0, 2, "A")], []]
    >>> [[s[:3] for s in d] for d in SpanDevClassifier().fit(v, dev=(v, gold)).predict(v)]
    [[(0, 2, 'A')], [(1, 3, 'A')], [(0, 2, 'A')], []]
    """

    name = "span_dev"
    uses_dev_gold = True
    fitted = ("coef_", "intercept_")
    coef_: np.ndarray
    intercept_: float

    def __init__(self, C: float = 1.0, threshold: float = 0.5) -> None:
        self.C = C
        self.threshold = threshold

    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """Fit the logistic regression on the dev candidates (exact match with the dev gold as the target)."""
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ParameterError(f"SpanDevClassifier C must be a number > 0; got {self.C!r}")
        if not (isinstance(self.threshold, (int, float)) and 0 < self.threshold < 1):
            raise ParameterError(f"SpanDevClassifier threshold must be in (0, 1); got {self.threshold!r}")
        if dev is None:
            raise LabelModelError("SpanDevClassifier learns from dev gold: fit(votes, dev=(dev_votes, dev_gold)); "
                                  "without dev gold use 'majority' or 'hmm'")
        self.remember(votes)
        dev_votes, gold = self.check_votes(dev[0]), dev[1]
        cands, x = candidate_features(dev_votes)
        truth = {(d, int(s[0]), int(s[1]), str(s[2])) for d, doc in enumerate(gold) for s in doc}
        y = np.array([tuple(r) in truth for r in cands[["doc", "start", "end", "label"]].itertuples(index=False)],
                     dtype=int)
        if len(set(y.tolist())) < 2:
            self.coef_ = np.zeros(x.shape[1])
            self.intercept_ = float(np.log((y.mean() + 0.01) / (1.01 - y.mean()))) if len(y) else 0.0
            return self
        self.coef_, self.intercept_ = fit_logistic(x, y, self.C)
        return self

    def span_proba(self, votes: SpanVotes) -> tuple[pd.DataFrame, np.ndarray]:
        """The candidates of ``votes`` and their probabilities of being right."""
        cands, x = candidate_features(self.check_votes(votes))
        return cands, 1.0 / (1.0 + np.exp(-(x @ self.coef_ + self.intercept_)))

    def predict(self, votes: SpanVotes) -> list[list[ScoredSpan]]:
        """The most probable non-overlapping candidates at or above ``threshold``, per document."""
        cands, p = self.span_proba(votes)
        out: list[list[ScoredSpan]] = [[] for _ in range(votes.n_docs)]
        taken: list[np.ndarray] = [np.zeros(int(n), dtype=bool) for n in np.diff(votes.doc_offsets)]
        order = np.argsort(-p, kind="stable")
        docs, starts, ends = cands["doc"].to_numpy(), cands["start"].to_numpy(), cands["end"].to_numpy()
        labels = cands["label"].to_numpy()
        for i in order[p[order] >= self.threshold]:
            d, s, e = int(docs[i]), int(starts[i]), int(ends[i])
            if not taken[d][s:e].any():
                taken[d][s:e] = True
                out[d].append(ScoredSpan(s, e, str(labels[i]), round(tempered(float(p[i]), self.temperature_), 6)))
        return [sorted(doc) for doc in out]

    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        space = votes.space
        proba = np.zeros((int(votes.doc_offsets[-1]), space.n_tags))
        proba[:, 0] = 1.0
        for d, doc in enumerate(self.predict(votes)):
            base = int(votes.doc_offsets[d])
            for s in doc:
                t = space.types.index(s.label)
                rows = np.arange(base + s.start, base + s.end)
                proba[rows, 0] = 1.0 - s.confidence
                proba[rows[:1], space.begin_ids[t]] = s.confidence
                proba[rows[1:], space.inside_ids[t]] = s.confidence
        return proba
