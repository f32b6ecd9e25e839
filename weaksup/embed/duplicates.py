"""Near-duplicates at scale: by meaning (embeddings + an ANN index) and by surface (MinHash-LSH).

Which serves which case:

* :func:`semantic_duplicates` finds rows that *say the same thing* in other words ("check out my channel" /
  "visit my channel pls"): cosine similarity of sentence embeddings above a threshold, neighbours from a USearch
  HNSW index (approximate; ``exact=True`` for brute force). Use it to label a paraphrase family at once, or to keep
  paraphrases of a test row out of dev.
* :func:`surface_duplicates` finds rows that share *most of their characters* (copy-paste spam with a changed name
  or link, templated messages): estimated Jaccard similarity of character shingles, from ``datasketch``'s
  MinHash-LSH. No model, linear in the rows, millions of rows on a laptop; it misses paraphrases by design.

:func:`ann_recall` measures the ANN index against exact search on a sample of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.embed.cache import embed, normalise_texts
from weaksup.embed.embedder import require
from weaksup.errors import ParameterError

__all__ = ["ann_recall", "semantic_duplicates", "surface_duplicates"]


def _index(vectors: np.ndarray) -> Any:
    index_module = require("usearch.index", "Semantic near-duplicates")
    index = index_module.Index(ndim=vectors.shape[1], metric="cos", dtype="f32")
    index.add(np.arange(len(vectors)), vectors, threads=1)  # one thread, in row order: the same graph on every run
    return index


def _neighbours(vectors: np.ndarray, k: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, similarities)`` of every row's ``k`` nearest rows (itself included), ``vectors`` being distinct."""
    index_module = require("usearch.index", "Semantic near-duplicates")
    k = min(k, len(vectors))
    if exact:
        found = index_module.search(vectors, vectors, k, index_module.MetricKind.Cos, exact=True)
    else:
        found = _index(vectors).search(vectors, k)
    return np.asarray(found.keys, dtype=np.int64), 1.0 - np.asarray(found.distances, dtype=np.float64)


def _copies(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by identical vector, groups in order of their first row: ``(rows by group, each group's start in
    those, each group's size)``."""
    _, first, inverse = np.unique(np.ascontiguousarray(vectors), axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))  # groups in order of their first row
    group = rank[np.asarray(inverse).reshape(-1)]
    members = np.argsort(group, kind="stable")
    count = np.bincount(group, minlength=len(first))
    return members, np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64), count


def _expand(left: np.ndarray, right: np.ndarray, sim: np.ndarray, members: np.ndarray, start: np.ndarray,
            count: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group pairs as row pairs: every row of ``left`` with every row of ``right`` (a group with itself: each pair
    of its rows once)."""
    size_left, size_right = count[left], count[right]
    total = size_left * size_right
    pair = np.repeat(np.arange(len(left)), total)
    offset = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
    at_left, at_right = offset // size_right[pair], offset % size_right[pair]
    keep = (left[pair] != right[pair]) | (at_left < at_right)
    pair, at_left, at_right = pair[keep], at_left[keep], at_right[keep]
    return (members[start[left[pair]] + at_left], members[start[right[pair]] + at_right], sim[pair])


def semantic_duplicates(texts: Sequence[Any] | np.ndarray, *, threshold: float = 0.9, k: int = 10,
                        embedder: Any = None, vectors: np.ndarray | None = None, exact: bool = False) -> pd.DataFrame:
    """Pairs of rows whose embeddings have cosine similarity ``>= threshold``.

    Parameters
    ----------
    texts : sequence
        The rows (embedded through the shared cache unless ``vectors`` is given).
    threshold : float, default 0.9
    k : int, default 10
        Neighbours looked at per distinct vector: a row with near-duplicates of more than ``k - 1`` other vectors
        lists the ``k - 1`` nearest. Exact copies (rows with the same vector, e.g. the same normalised text) are
        searched once and then all paired with each other (similarity 1) and with their copy's neighbours, so they
        do not use up those places: ``m`` copies of a text give ``m * (m - 1) / 2`` pairs.
    embedder : optional
        See :func:`~weaksup.embed.get_embedder`.
    vectors : array (n, d), optional
        Precomputed embeddings.
    exact : bool, default False
        Brute-force search instead of the HNSW index (quadratic; for checking recall).

    The pairs are the same on every run for the same input: copies no longer tie for the ``k`` places, and the
    index is built on one thread, in row order.

    Returns
    -------
    DataFrame
        ``left``, ``right`` (row positions, ``left < right``, exact copies included), ``similarity``; sorted by
        similarity, highest first. Rows without text (missing, empty or blank) are in no pair, as in
        :func:`surface_duplicates`.

    Examples
    --------
    >>> v = np.array([[1, 0], [0.99, 0.1], [0, 1]], dtype=np.float32)
    >>> semantic_duplicates(["a", "b", "c"], vectors=v, threshold=0.95)[["left", "right"]].values.tolist()
    [[0, 1]]
    """
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold must be a cosine similarity in (0, 1]; got {threshold!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ParameterError(f"k must be a whole number >= 2 (a row and at least one neighbour); got {k!r}")
    data = np.asarray(vectors if vectors is not None else embed(texts, embedder), dtype=np.float32)
    if data.ndim != 2:
        raise ParameterError(f"vectors must be a 2-D array (rows x dimensions); got shape {data.shape}")
    if len(data) != len(texts):
        raise ParameterError(f"vectors has {len(data)} rows but there are {len(texts)} texts")
    rows = np.flatnonzero([bool(t) for t in normalise_texts(texts)])  # rows without text are no one's duplicate
    if len(rows) < 2:
        return pd.DataFrame({"left": [], "right": [], "similarity": []})
    members, start, count = _copies(data[rows])  # exact copies: one search each, paired afterwards
    reps = members[start]
    unit = data[rows][reps] / np.maximum(np.linalg.norm(data[rows][reps], axis=1, keepdims=True), 1e-12)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(unit) >= 2:
        keys, sims = _neighbours(unit, int(k), exact)
        left = np.repeat(np.arange(len(unit)), keys.shape[1])
        right, sim = keys.reshape(-1), sims.reshape(-1)
        keep = (sim >= threshold - 1e-6) & (left != right) & (right >= 0)
        found.append(_expand(left[keep], right[keep], np.minimum(sim[keep], 1.0), members, start, count))
    copied = np.flatnonzero(count > 1)
    self_sim = np.minimum(np.einsum("ij,ij->i", unit[copied], unit[copied]).astype(np.float64), 1.0)
    copied, self_sim = copied[self_sim >= threshold - 1e-6], self_sim[self_sim >= threshold - 1e-6]
    found.append(_expand(copied, copied, self_sim, members, start, count))
    left, right, sim = (np.concatenate(parts) for parts in zip(*found))
    left, right = rows[left], rows[right]
    pairs = pd.DataFrame({"left": np.minimum(left, right), "right": np.maximum(left, right), "similarity": sim})
    pairs = pairs.drop_duplicates(["left", "right"]).sort_values(["similarity", "left", "right"],
                                                                 ascending=[False, True, True])
    return pairs.reset_index(drop=True)


def ann_recall(vectors: np.ndarray, *, k: int = 10, sample: int = 1000, seed: int = 0) -> float:
    """Recall@k of the HNSW index against exact search, over a seeded sample of query rows.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((500, 16)).astype(np.float32)
    >>> ann_recall(x, k=5, sample=100) > 0.9
    True
    """
    index_module = require("usearch.index", "Semantic near-duplicates")
    data = np.asarray(vectors, dtype=np.float32)
    data = data / np.maximum(np.linalg.norm(data, axis=1, keepdims=True), 1e-12)
    k = min(k, len(data))
    rows = np.random.default_rng(seed).choice(len(data), min(sample, len(data)), replace=False)
    approx = np.asarray(_index(data).search(data[rows], k).keys)
    exact = np.asarray(index_module.search(data, data[rows], k, index_module.MetricKind.Cos, exact=True).keys)
    hits = sum(len(set(a.tolist()) & set(e.tolist())) for a, e in zip(approx, exact))
    return hits / exact.size


def surface_duplicates(texts: Sequence[Any] | np.ndarray, *, threshold: float = 0.8, shingle: int = 5,
                       num_perm: int = 128, seed: int = 1) -> pd.DataFrame:
    """Pairs of rows whose character ``shingle``-grams have estimated Jaccard similarity ``>= threshold``.

    MinHash signatures (``num_perm`` permutations) in a MinHash-LSH index (``datasketch``): candidates come from
    banding, and each candidate pair is kept when its estimated Jaccard similarity reaches ``threshold``.

    Returns
    -------
    DataFrame
        ``left``, ``right`` (positions, ``left < right``), ``jaccard`` (estimated); highest first.

    Examples
    --------
    >>> texts = ["Check out my new music channel and subscribe: www.a.com",
    ...          "check out my new music channel and subscribe!  www.b.com", "I love this song"]
    >>> surface_duplicates(texts, threshold=0.6)[["left", "right"]].values.tolist()
    [[0, 1]]
    """
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold must be a Jaccard similarity in (0, 1]; got {threshold!r}")
    datasketch = require("datasketch", "Surface near-duplicates")
    lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches = []
    for i, text in enumerate(normalise_texts(texts)):
        norm = text.lower()
        grams = {norm[j:j + shingle] for j in range(max(len(norm) - shingle + 1, 1))} if norm else set()
        sketch = datasketch.MinHash(num_perm=num_perm, seed=seed)
        sketch.update_batch([g.encode("utf-8") for g in grams])
        sketches.append(sketch)
        if grams:
            lsh.insert(i, sketch)
    pairs = []
    for i, sketch in enumerate(sketches):
        for j in lsh.query(sketch) if not sketch.is_empty() else ():
            if j > i:
                jaccard = float(sketch.jaccard(sketches[j]))
                if jaccard >= threshold:
                    pairs.append((i, int(j), jaccard))
    out = pd.DataFrame(pairs, columns=["left", "right", "jaccard"])
    return out.sort_values(["jaccard", "left", "right"], ascending=[False, True, True]).reset_index(drop=True)
