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

from weaksup.embed.cache import embed, normalise_text
from weaksup.embed.embedder import require
from weaksup.errors import ParameterError

__all__ = ["ann_recall", "semantic_duplicates", "surface_duplicates"]


def _index(vectors: np.ndarray) -> Any:
    index_module = require("usearch.index", "Semantic near-duplicates")
    index = index_module.Index(ndim=vectors.shape[1], metric="cos", dtype="f32")
    index.add(np.arange(len(vectors)), vectors)
    return index


def _neighbours(vectors: np.ndarray, k: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, similarities)`` of every row's ``k`` nearest rows (itself included)."""
    index_module = require("usearch.index", "Semantic near-duplicates")
    k = min(k, len(vectors))
    if exact:
        found = index_module.search(vectors, vectors, k, index_module.MetricKind.Cos, exact=True)
    else:
        found = _index(vectors).search(vectors, k)
    return np.asarray(found.keys, dtype=np.int64), 1.0 - np.asarray(found.distances, dtype=np.float64)


def semantic_duplicates(texts: Sequence[Any] | np.ndarray, *, threshold: float = 0.9, k: int = 10,
                        embedder: Any = None, vectors: np.ndarray | None = None, exact: bool = False) -> pd.DataFrame:
    """Pairs of rows whose embeddings have cosine similarity ``>= threshold``.

    Parameters
    ----------
    texts : sequence
        The rows (embedded through the shared cache unless ``vectors`` is given).
    threshold : float, default 0.9
    k : int, default 10
        Neighbours looked at per row: a row with more than ``k - 1`` near-duplicates lists only ``k - 1``. Exact
        copies tie at similarity 1 and use up those places: pass each distinct text once (group copies by
        :func:`~weaksup.embed.normalise_text`) to find paraphrases among many copies.
    embedder : optional
        See :func:`~weaksup.embed.get_embedder`.
    vectors : array (n, d), optional
        Precomputed embeddings.
    exact : bool, default False
        Brute-force search instead of the HNSW index (quadratic; for checking recall).

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
    rows = np.flatnonzero([bool(normalise_text(t)) for t in texts])  # rows without text are no one's duplicate
    if len(rows) < 2:
        return pd.DataFrame({"left": [], "right": [], "similarity": []})
    data = data[rows] / np.maximum(np.linalg.norm(data[rows], axis=1, keepdims=True), 1e-12)
    keys, sims = _neighbours(data, int(k), exact)
    left = np.repeat(np.arange(len(data)), keys.shape[1])
    right, sim = keys.reshape(-1), sims.reshape(-1)
    keep = (sim >= threshold - 1e-6) & (left != right) & (right >= 0)
    left, right = rows[left[keep]], rows[right[keep]]
    pairs = pd.DataFrame({"left": np.minimum(left, right), "right": np.maximum(left, right),
                          "similarity": np.minimum(sim[keep], 1.0)})
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
    for i, text in enumerate(texts):
        norm = normalise_text(text).lower()
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
