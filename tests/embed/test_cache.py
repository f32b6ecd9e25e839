"""The embedding cache: each distinct text is computed once per model, on disk across calls and objects."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from weaksup.embed import (
    CallableEmbedder,
    EmbeddingCache,
    default_cache,
    embed,
    normalise_text,
    text_key,
)


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


RAW_AND_CLEANED = ["Buy now\ufeff", "\ufeffBuy  now", "Buy\u200b now", "Bu\u200dy\u00a0now", "\ufb01ne  day\t"]


def test_raw_and_cleaned_texts_share_one_key_and_one_vector():
    # `weaksup run` embeds the text weaksup.data.clean.prepare leaves; the Workbench and a gold file give the raw
    # text: one key for both, so a row is recognised as its own example and its vector is computed once
    from weaksup.data.clean import prepare

    raw = pd.DataFrame({"row_id": range(len(RAW_AND_CLEANED)), "text": RAW_AND_CLEANED})
    cleaned = prepare(raw, duplicates=False)[0]["text"].tolist()
    assert cleaned != RAW_AND_CLEANED
    assert [normalise_text(t) for t in RAW_AND_CLEANED] == [normalise_text(t) for t in cleaned] \
        == ["Buy now", "Buy now", "Buy now", "Buy now", "fine day"]
    counter = Counting()
    embedder, cache = CallableEmbedder(counter, model_id="n"), EmbeddingCache(":memory:")
    embed(RAW_AND_CLEANED, embedder, cache=cache)
    embed(cleaned, embedder, cache=cache)
    assert counter.texts == ["Buy now", "fine day"]  # before: 6 texts, the raw forms apart from the cleaned ones
    from weaksup.embed import normalise_texts

    assert normalise_texts(RAW_AND_CLEANED) == normalise_texts(cleaned) == [normalise_text(t) for t in cleaned]
    assert normalise_texts([None, float("nan"), pd.NA, " \u200b ", 42]) == ["", "", "", "", "42"]


def test_the_key_is_stable_under_cleaning_twice():
    # removing a zero-width joiner can leave a letter and a combining accent side by side: the key composes them
    text = "e\u200d\u0301 caf\u00e9"
    assert normalise_text(text) == normalise_text(normalise_text(text)) == "\u00e9 caf\u00e9"


def test_a_tilde_in_the_cache_variable_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", "~/vectors/e.sqlite")
    cache = default_cache()
    assert cache.path == str(tmp_path / "home" / "vectors" / "e.sqlite")  # before: ./~/vectors/e.sqlite
    assert (tmp_path / "home" / "vectors" / "e.sqlite").is_file() and not (tmp_path / "~").exists()
    assert EmbeddingCache("~/other.sqlite").path == str(tmp_path / "home" / "other.sqlite")


@pytest.mark.parametrize("where", ["folder", "file_in_a_file"])
def test_a_cache_path_that_cannot_be_opened_stops_the_run_naming_the_variable(tmp_path, monkeypatch, where):
    from weaksup.errors import ParameterError

    (tmp_path / "afile").write_text("x")
    bad = tmp_path if where == "folder" else tmp_path / "afile" / "e.sqlite"
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(bad))
    with pytest.raises(ParameterError, match=rf"WEAKSUP_EMBED_CACHE={re.escape(str(bad))!s}.*") as info:
        default_cache()  # before: a folder opened, then every lookup raised sqlite3.OperationalError per row
    assert getattr(info.value, "stops_run", False)
    assert "set WEAKSUP_EMBED_CACHE to a file path" in str(info.value)
    with pytest.raises(ParameterError, match="cannot be opened"):
        EmbeddingCache(bad)


def test_a_bad_cache_variable_stops_a_fault_tolerant_run(tmp_path, monkeypatch):
    from weaksup import apply_lfs
    from weaksup.embed import embedding_lf
    from weaksup.errors import ParameterError

    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path))
    lf = embedding_lf("proto", {0: ["a"], 1: ["b"]}, embedder=CallableEmbedder(Counting(), model_id="c"))
    with pytest.raises(ParameterError, match="WEAKSUP_EMBED_CACHE"):  # before: every row abstained, faults logged
        apply_lfs([lf], pd.DataFrame({"text": ["a", "b"]}), fault_tolerant=True, progress=False)
