"""The embedding cache: each distinct text is computed once per model, on disk across calls and objects."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.embed import CallableEmbedder, EmbeddingCache, embed, normalise_text, text_key


class Counting:
    """A callable embedder counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)


def test_same_texts_twice_compute_once(tmp_path):
    counter = Counting()
    embedder = CallableEmbedder(counter, model_id="counting")
    texts = [f"short text {i % 50_000}" for i in range(100_000)]  # 50k distinct, each twice
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    first = embed(texts, embedder, cache=cache, progress=False)
    assert len(counter.texts) == 50_000 and len(set(counter.texts)) == 50_000
    second = embed(texts, embedder, cache=cache, progress=False)
    assert len(counter.texts) == 50_000  # the second pass computed nothing
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[50_000])
    assert cache.count("counting") == 50_000


def test_cache_persists_on_disk_and_keys_by_model(tmp_path):
    path = tmp_path / "e.sqlite"
    counter = Counting()
    embed(["a b", "c"], CallableEmbedder(counter, model_id="m1"), cache=EmbeddingCache(path))
    reopened = EmbeddingCache(path)  # a new process would open the file like this
    embed(["c", "a b"], CallableEmbedder(counter, model_id="m1"), cache=reopened)
    assert counter.texts == ["a b", "c"]
    embed(["c"], CallableEmbedder(counter, model_id="m2"), cache=reopened)  # another model: its own vectors
    assert counter.texts == ["a b", "c", "c"]
    assert reopened.count() == 3


def test_normalised_texts_share_a_key():
    counter = Counting()
    out = embed(["Buy  now", " Buy\nnow ", "Buy now", None], CallableEmbedder(counter, model_id="n"),
                cache=EmbeddingCache(":memory:"))
    assert counter.texts == ["Buy now", ""]
    np.testing.assert_array_equal(out[0], out[2])
    assert normalise_text("Cafe\u0301") == "Caf\u00e9"  # NFC
    assert text_key("a") != text_key("b")


def test_no_disk_cache_still_dedupes_within_a_call():
    counter = Counting()
    embedder = CallableEmbedder(counter, model_id="x")
    embed(["a", "a", "b"], embedder, cache=False)
    embed(["a"], embedder, cache=False)
    assert counter.texts == ["a", "b", "a"]


def test_a_wrong_shape_is_a_clear_error():
    from weaksup.errors import ParameterError

    with pytest.raises(ParameterError, match="one vector per text"):
        embed(["a", "b"], lambda texts: [1.0, 2.0], cache=False)


def test_nan_vectors_are_an_error_and_never_cached():
    from weaksup.errors import ParameterError

    cache = EmbeddingCache(":memory:")
    broken = CallableEmbedder(lambda texts: [[float("nan"), 1.0] if t == "b" else [1.0, 0.0] for t in texts],
                              model_id="broken")
    with pytest.raises(ParameterError, match=r"returned NaN or infinite values for 1 of 2 items") as info:
        embed(["a", "b"], broken, cache=cache)
    assert getattr(info.value, "stops_run", False) and cache.count("broken") == 0
