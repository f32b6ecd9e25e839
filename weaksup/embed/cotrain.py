"""Co-training: two end models on two views of the text label the rows no LF covers for each other.

The label model labels only the rows some LF votes on. Two classifiers that read the text differently -- TF-IDF
(words and characters) and sentence embeddings (meaning) -- make different mistakes, so each can teach the other
the uncovered rows it is sure of (Blum and Mitchell's co-training). :func:`co_train_labels` returns the weak labels
with those rows filled in, ready for :func:`~weaksup.train_end_model` or :func:`~weaksup.embed.weak_model_lf`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from weaksup.embed.cache import normalise_texts
from weaksup.end_model import class_proba, default_end_model, end_model_rows, train_end_model
from weaksup.errors import ParameterError
from weaksup.lf.core import is_missing

logger = logging.getLogger(__name__)

__all__ = ["co_train_labels"]


def co_train_labels(texts: Sequence[Any], probabilistic_labels: Any, *, votes: Any = None,
                    views: tuple[str, str] = ("tfidf", "embeddings"), C: tuple[float, float] = (10.0, 1.0),
                    threshold: float = 0.9, rounds: int = 3, embedder: Any = None, seed: int = 0) -> np.ndarray:
    """Weak labels with the unlabeled rows each view is sure of filled in by co-training.

    Each round, an end model per view (:func:`~weaksup.end_model.default_end_model` with ``features=views[i]``) is
    trained on the labeled rows and the rows the *other* view gave it; each then labels, for the other view, the
    unlabeled rows where its top probability reaches ``threshold`` (with its probabilities as the label). It stops
    after ``rounds`` rounds or when no view labels a new row.

    Parameters
    ----------
    texts : sequence of str
    probabilistic_labels : array (n, k)
        The label model's probabilities (one-hot rows for gold); rows without a label (``nan``, or no vote with
        ``votes``) are the ones co-training may fill.
    votes : int array (n, m), optional
        The LF votes: rows no LF voted on count as unlabeled.
    views : pair of str, default ("tfidf", "embeddings")
        The two views' ``features`` (:data:`~weaksup.end_model.FEATURES`).
    C : pair of float, default (10.0, 1.0)
        The views' logistic regression ``C`` (the defaults of TF-IDF and of embeddings).
    threshold : float, default 0.9
        A view labels an unlabeled row for the other when its top probability reaches this.
    rounds : int, default 3
    embedder : None, str or callable
        For the embedding view (see :func:`~weaksup.embed.get_embedder`).
    seed : int, default 0

    Returns
    -------
    ndarray (n, k)
        The labeled rows' probabilities as given; an unlabeled row's is the mean of the views' probabilities that
        labeled it, or ``nan`` when none was sure (empty texts stay ``nan``).

    Examples
    --------
    >>> import numpy as np
    >>> texts = ["subscribe to my channel", "check out my channel", "love this song", "great song",
    ...          "my channel needs subscribers", "what a song"]
    >>> proba = np.array([[0, 1], [0, 1], [1, 0], [1, 0], [np.nan, np.nan], [np.nan, np.nan]])
    >>> out = co_train_labels(texts, proba, views=("tfidf", "tfidf"), C=(100.0, 100.0), threshold=0.5)
    >>> out[4:].argmax(axis=1).tolist()
    [1, 0]
    """
    if len(views) != 2 or len(C) != 2:
        raise ParameterError(f"co_train_labels needs two views and two C; got views={views!r}, C={C!r}")
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"co_train_labels: threshold must be in (0, 1]; got {threshold!r}")
    if not isinstance(rounds, int) or rounds < 1:
        raise ParameterError(f"co_train_labels: rounds must be an int >= 1; got {rounds!r}")
    values = np.asarray(["" if is_missing(t) else str(t) for t in texts], dtype=object)
    proba = np.asarray(getattr(probabilistic_labels, "values", probabilistic_labels), dtype=float)
    if proba.ndim != 2 or len(proba) != len(values):
        raise ParameterError(f"co_train_labels: probabilistic_labels must be (n_texts={len(values)}, k); got shape "
                             f"{proba.shape}")
    k = proba.shape[1]
    labeled = end_model_rows(proba, votes)
    pool = np.flatnonzero(~labeled & np.array([bool(t) for t in normalise_texts(values)], dtype=bool))
    given = [np.where(labeled[:, None], proba, np.nan) for _ in views]  # each view's training labels
    templates = [default_end_model(seed, C=float(c), features=v, embedder=embedder) for v, c in zip(views, C)]
    for r in range(rounds):
        added = 0
        models = [train_end_model(values, given[i], model=templates[i], seed=seed) for i in range(2)]
        for i, other in ((0, 1), (1, 0)):
            open_rows = pool[~np.isfinite(given[other][pool]).all(axis=1)]
            if not len(open_rows):
                continue
            p = class_proba(models[i], values[open_rows], k)
            sure = p.max(axis=1) >= threshold
            given[other][open_rows[sure]] = p[sure]
            added += int(sure.sum())
        logger.info("co-training round %d: %d rows labeled", r + 1, added)
        if not added:
            break
    out = np.where(labeled[:, None], proba, np.nan)
    both = np.stack(given)[:, pool]  # (2, n_pool, k): nan where that view was not given the row
    have = np.isfinite(both).all(axis=2)
    mean = np.where(have[..., None], both, 0.0).sum(axis=0) / np.maximum(have.sum(axis=0), 1)[:, None]
    out[pool[have.any(axis=0)]] = mean[have.any(axis=0)]
    return out
