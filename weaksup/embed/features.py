"""Sentence embeddings as scikit-learn features, through the shared cache (the end model's ``"embeddings"``)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from weaksup.embed.cache import EmbeddingCache, default_cache, embed

__all__ = ["EmbeddingFeatures", "cache_at"]

_CACHES: dict[str, EmbeddingCache] = {}
_LOCK = threading.Lock()


def cache_at(path: str | None) -> EmbeddingCache:
    """The shared :class:`EmbeddingCache` at ``path`` (``None``: :func:`default_cache`), one per path per process.

    Examples
    --------
    >>> cache_at(":memory:") is cache_at(":memory:")
    True
    """
    if path is None:
        return default_cache()
    with _LOCK:
        if path not in _CACHES:
            _CACHES[path] = EmbeddingCache(path)
        return _CACHES[path]


class EmbeddingFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A scikit-learn transformer: texts in, embeddings out (nothing to fit; vectors come from the cache).

    Parameters
    ----------
    embedder : None, str or callable
        See :func:`~weaksup.embed.get_embedder` (``None``: the bundled all-MiniLM-L6-v2).
    cache : str, optional
        The cache file (``None``: the default cache; ``":memory:"``: one in-memory cache per process).

    Examples
    --------
    >>> def two(texts):
    ...     return [[len(t), 1.0] for t in texts]
    >>> EmbeddingFeatures(two, cache=":memory:").fit_transform(["ab", "abc"]).tolist()
    [[2.0, 1.0], [3.0, 1.0]]
    """

    def __init__(self, embedder: Any = None, cache: str | None = None) -> None:
        self.embedder = embedder
        self.cache = cache

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> EmbeddingFeatures:
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``(n, d)`` embeddings of the texts."""
        texts = X.tolist() if hasattr(X, "tolist") else list(X)
        return embed(texts, self.embedder, cache=cache_at(self.cache))

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """:meth:`transform` (there is nothing to fit)."""
        return self.transform(X)

