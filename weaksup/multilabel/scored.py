"""Multi-label votes with the model LFs' probabilities beside them: what a yes/no vote throws away.

A model-score LF (:func:`~weaksup.multilabel.model_lf.multilabel_model_lf`) turns each label's probability into
yes, no or abstain at fixed thresholds. Per-label majority vote can only count those votes; a stacker that also
reads the probability (:class:`~weaksup.multilabel.VoteStacker` with ``scores=True``) learns each label's own
curve from the dev gold. :class:`ScoredVotes` carries the probabilities with the votes, row for row: taking rows
takes their scores, so every model that slices its votes (cross-fitting, nested dev) keeps them aligned.
Plain :class:`~weaksup.multilabel.MultiLabelVotes` carry none, and every model reads them as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import VoteMatrixError
from weaksup.multilabel.model_lf import MultiLabelModelLF
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.votes import MultiLabelVotes

__all__ = ["ScoredVotes", "model_lf_scores", "score_logits", "scores_of", "with_model_scores"]

#: Probabilities are clipped to ``[EPS, 1 - EPS]`` before the logit.
EPS = 1e-4


class ScoredVotes(MultiLabelVotes):
    """:class:`~weaksup.multilabel.MultiLabelVotes` plus ``s`` score sources' per-label probabilities.

    Parameters
    ----------
    values, lf_ids, space, row_ids :
        As for :class:`~weaksup.multilabel.MultiLabelVotes`.
    scores : array-like of float, shape (n, s, k)
        Each source's probability that the row carries each label; NaN where a source scores no such label.
    score_ids : sequence of str
        One unique id per source (the model LF's ``name@version``).

    Examples
    --------
    >>> space = MultiLabelSpace(["a", "b"])
    >>> votes = ScoredVotes([[[1, -1]], [[-1, 0]]], ["kw@1"], space, scores=[[[0.9, 0.2]], [[0.4, 0.1]]],
    ...                     score_ids=["m@1"])
    >>> part = votes.take([1])
    >>> type(part).__name__, part.scores.tolist(), part.score_ids
    ('ScoredVotes', [[[0.4, 0.1]]], ['m@1'])
    """

    def __init__(self, values: Any, lf_ids: Sequence[str], space: MultiLabelSpace, row_ids: Any = None, *,
                 scores: Any, score_ids: Sequence[str]) -> None:
        super().__init__(values, lf_ids, space, row_ids)
        arr = np.asarray(scores, dtype=np.float64)
        ids = [str(x) for x in score_ids]
        if arr.ndim != 3 or arr.shape[0] != self.n or arr.shape[2] != self.k or arr.shape[1] != len(ids):
            raise VoteMatrixError(f"scores must be (n={self.n}, s={len(ids)}, k={self.k}): one probability per row, "
                                  f"score source and label; got shape {arr.shape}")
        if len(set(ids)) != len(ids):
            raise VoteMatrixError(f"score ids must be unique; got {ids}")
        known = arr[~np.isnan(arr)]
        if known.size and (known.min() < 0 or known.max() > 1):
            raise VoteMatrixError("scores must be probabilities in [0, 1] (NaN: no score)")
        self.scores: np.ndarray = arr
        self.score_ids: list[str] = ids

    def take(self, rows: Any) -> ScoredVotes:
        """The votes and scores of some rows (positions or a boolean mask), ids kept."""
        idx = np.asarray(rows)
        return ScoredVotes(self.values[idx], self.lf_ids, self.space, self.row_ids[idx], scores=self.scores[idx],
                           score_ids=self.score_ids)

    def select(self, lf_ids: Sequence[str]) -> ScoredVotes:
        """The votes of the named LFs, in the given order, with every score kept."""
        picked = super().select(lf_ids)
        return ScoredVotes(picked.values, picked.lf_ids, self.space, self.row_ids, scores=self.scores,
                           score_ids=self.score_ids)

    def __eq__(self, other: object) -> bool:
        same = super().__eq__(other)
        if same is not True or not isinstance(other, ScoredVotes):
            return same if same is not True else False
        return self.score_ids == other.score_ids and np.array_equal(self.scores, other.scores, equal_nan=True)

    __hash__ = None  # type: ignore[assignment]


def scores_of(votes: MultiLabelVotes) -> tuple[np.ndarray, list[str]]:
    """``(scores (n, s, k), score_ids)`` of ``votes``; ``s = 0`` for plain votes.

    Examples
    --------
    >>> votes = MultiLabelVotes([[[1]]], ["kw@1"], MultiLabelSpace(["a"]))
    >>> scores, ids = scores_of(votes)
    >>> scores.shape, ids
    ((1, 0, 1), [])
    """
    if isinstance(votes, ScoredVotes):
        return votes.scores, list(votes.score_ids)
    return np.zeros((votes.n, 0, votes.k)), []


def score_logits(votes: MultiLabelVotes, c: int) -> np.ndarray:
    """``(n, s)`` each source's log-odds of label ``c`` (probabilities clipped to ``[1e-4, 1 - 1e-4]``; 0 where a
    source gives the label no score).

    Examples
    --------
    >>> votes = ScoredVotes([[[1]], [[-1]]], ["kw@1"], MultiLabelSpace(["a"]), scores=[[[0.5]], [[0.9]]],
    ...                     score_ids=["m@1"])
    >>> score_logits(votes, 0).round(2).tolist()
    [[0.0], [2.2]]
    """
    scores, _ = scores_of(votes)
    p = np.clip(scores[:, :, c], EPS, 1 - EPS)
    logits: np.ndarray = np.nan_to_num(np.log(p / (1 - p)), nan=0.0)
    return logits


def model_lf_scores(lfs: Iterable[Any], data: pd.DataFrame | Sequence[Any], space: MultiLabelSpace
                    ) -> tuple[np.ndarray, list[str]]:
    """``(scores (n, s, k), score_ids)``: each model-score LF's probabilities on the rows of ``data``.

    Only :class:`~weaksup.multilabel.model_lf.MultiLabelModelLF` among ``lfs`` are scored; a text of the LF's
    held-out file gets its out-of-fold probabilities (as its votes do), so dev rows the model was trained on
    are scored as unseen text. A label the model does not score is NaN. ``data`` is a frame holding the LF's
    field, or the field's values themselves.
    """
    models = [lf for lf in lfs if isinstance(lf, MultiLabelModelLF)]
    n = len(data)
    out = np.full((n, len(models), space.k), np.nan)
    for j, lf in enumerate(models):
        values = data[lf.field] if isinstance(data, pd.DataFrame) else pd.Series(list(data), dtype=object)
        proba = lf.label_probabilities(values.where(values.notna(), "").tolist())
        for i, label in enumerate(lf.model_labels):
            if label in space.labels:
                out[:, j, space.index(label)] = proba[:, i]
    return out, [lf.lf_id for lf in models]


def with_model_scores(votes: MultiLabelVotes, lfs: Iterable[Any], data: pd.DataFrame | Sequence[Any]
                      ) -> MultiLabelVotes:
    """``votes`` with the model-score LFs' probabilities on the same rows (:func:`model_lf_scores`); ``votes``
    unchanged when ``lfs`` hold no model-score LF.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from weaksup.multilabel import multilabel_model_lf
    >>> space = MultiLabelSpace(["a", "b"])
    >>> lf = multilabel_model_lf("m", DummyClassifier(strategy="prior").fit([[0], [1]], [0, 1]), ["b", "a"])
    >>> scored = with_model_scores(MultiLabelVotes([[[1, -1]]], ["kw@1"], space), [lf], ["some text"])
    >>> scored.score_ids == [lf.lf_id], scored.scores.round(2).tolist()
    (True, [[[0.5, 0.5]]])
    """
    if len(data) != votes.n:
        raise VoteMatrixError(f"{len(data)} rows of data for {votes.n} rows of votes; score the same rows")
    scores, ids = model_lf_scores(lfs, data, votes.space)
    if not ids:
        return votes
    return ScoredVotes(votes.values, votes.lf_ids, votes.space, votes.row_ids, scores=scores, score_ids=ids)
