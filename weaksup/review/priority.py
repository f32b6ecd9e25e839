"""Review order: the most informative rows first, without spending a batch on near-duplicates.

The order is greedy maximal marginal relevance (MMR) over TF-IDF character n-grams of the text:
each next row maximises ``(1 - diversity) * score - diversity * (its highest cosine similarity to
a row already picked)``, and a row at least ``near_duplicate`` similar to a picked row waits until
every other candidate is placed (one row per near-duplicate cluster comes first). Ties are broken
by a seeded permutation, so the order is the same for the same seed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from weaksup.errors import ReviewError
from weaksup.validation import check_fraction, check_number

_SEPARATORS = re.compile(r"[\W_]+")
#: Without a budget, MMR places this many rows; the rest follow by score (near-duplicates last).
MMR_LIMIT = 2000


def review_order(
    scores: Any,
    texts: Sequence[Any] | np.ndarray | None = None,
    *,
    budget: int | None = None,
    diversity: float = 0.3,
    near_duplicate: float = 0.9,
    seed: int = 0,
    pool_factor: int = 5,
) -> np.ndarray:
    """Positions of the rows in review order (most informative first), at most ``budget`` of them.

    Parameters
    ----------
    scores : array of shape (n,)
        How much reviewing each row is worth (e.g. ``uncertainty_score``); higher first.
    texts : sequence of str, optional
        The rows' text for the diversity step; without it the order is by score alone.
    budget : int, optional
        How many rows to return (all when None).
    diversity : float in [0, 1], default 0.3
        The weight of novelty against score (0: by score only).
    near_duplicate : float in (0, 1], default 0.9
        Cosine similarity from which a row counts as a near-duplicate of a picked one.
    seed : int, default 0
        Breaks ties between equal scores.
    pool_factor : int, default 5
        With a budget, MMR looks at the ``pool_factor * budget`` best-scored rows (at least 200).

    Examples
    --------
    >>> texts = ["check out my channel", "check out my channel!!", "nice song", "love this song"]
    >>> review_order([0.9, 0.8, 0.5, 0.4], texts, budget=3).tolist()  # the near-duplicate 1 waits
    [0, 2, 3]
    >>> review_order([0.9, 0.8, 0.5, 0.4], texts, diversity=0.0, near_duplicate=1.0).tolist()
    [0, 1, 2, 3]
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ReviewError(f"scores must be one number per row; got shape {s.shape}")
    if np.isnan(s).any():
        raise ReviewError(f"scores hold {int(np.isnan(s).sum())} NaN value(s); give every row a score")
    if budget is not None:
        check_number(budget, name="budget", low=0, integer=True, error=ReviewError)
    diversity = check_fraction(diversity, name="diversity", error=ReviewError)
    check_number(near_duplicate, name="near_duplicate", low=0, high=1, low_open=True, error=ReviewError)
    n = len(s)
    if texts is not None and len(texts) != n:
        raise ReviewError(f"texts has {len(texts)} entries but scores has {n}; give one text per row")
    tie = np.random.default_rng(seed).permutation(n)
    by_score = np.lexsort((tie, -s))  # highest score first, ties in seeded order
    want = n if budget is None else min(int(budget), n)
    if want == 0:
        return np.empty(0, dtype=np.int64)
    if texts is None or n < 2 or (diversity == 0.0 and near_duplicate >= 1.0):
        return by_score[:want].astype(np.int64)
    pool_size = n if budget is None else min(n, max(pool_factor * want, 200))
    pool = by_score[:pool_size]
    vectors = _tfidf([texts[i] for i in pool])
    picked = _mmr(s[pool], vectors, min(want, MMR_LIMIT), diversity, near_duplicate)
    order = pool[picked]
    if len(order) < want:  # beyond the MMR limit: the rest by score
        rest = np.setdiff1d(by_score, order, assume_unique=True)
        rest = rest[np.argsort(_rank(by_score, rest), kind="stable")]
        order = np.concatenate([order, rest[: want - len(order)]])
    result: np.ndarray = order.astype(np.int64)
    return result


def _rank(order: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The position of each item in ``order``."""
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    ranks: np.ndarray = pos[items]
    return ranks


def _tfidf(texts: list[Any]) -> Any:
    """L2-normalised TF-IDF of character 3-5-grams of the words (case, punctuation and emoji dropped)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else _SEPARATORS.sub(" ", str(t)).strip()
            for t in texts]
    if not any(d.strip() for d in docs):
        return None
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True,
                                 min_df=1, dtype=np.float32)
    try:
        return vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # only texts shorter than the n-grams
        return None


def _mmr(scores: np.ndarray, vectors: Any, want: int, diversity: float, near_duplicate: float) -> np.ndarray:
    """Greedy MMR over a pool already sorted by score; near-duplicates of picked rows come last."""
    n = len(scores)
    if vectors is None:
        return np.arange(min(want, n))
    max_sim = np.zeros(n, dtype=np.float64)
    taken = np.zeros(n, dtype=bool)
    picked: list[int] = []
    while len(picked) < want:
        open_ = ~taken & (max_sim < near_duplicate)
        if not open_.any():
            break
        value = np.where(open_, (1.0 - diversity) * scores - diversity * max_sim, -np.inf)
        i = int(np.argmax(value))  # the first maximum: the pool is in score-then-seed order
        picked.append(i)
        taken[i] = True
        sims = (vectors @ vectors[i].T).toarray().ravel()
        np.maximum(max_sim, sims, out=max_sim)
    if len(picked) < want:  # only near-duplicates left: by score, the least similar clusters first
        deferred = [i for i in range(n) if not taken[i]]
        picked.extend(deferred[: want - len(picked)])
    return np.asarray(picked, dtype=np.int64)
