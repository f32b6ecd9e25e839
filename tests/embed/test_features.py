"""Embeddings as end-model features: train_end_model(..., model="embeddings")."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from weaksup.embed.features import EmbeddingFeatures
from weaksup.end_model import default_end_model, train_end_model
from weaksup.errors import EndModelError


def spam_axis(texts):
    return [[t.count("sub") + t.count("channel"), t.count("song") + t.count("love"), 1.0] for t in texts]


def test_embedding_features_clone_and_pickle():
    features = EmbeddingFeatures(spam_axis, cache=":memory:")
    assert clone(features).get_params() == features.get_params()
    out = pickle.loads(pickle.dumps(features)).transform(np.array(["sub channel", "love song"], dtype=object))
    assert out.tolist() == [[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]


def test_train_end_model_on_embeddings_with_a_callable_embedder():
    texts = ["sub to my channel", "my channel sub", "channel channel", "love this song", "song love", "great song"]
    proba = np.array([[.1, .9], [.2, .8], [.3, .7], [.9, .1], [.8, .2], [.7, .3]])
    model = default_end_model(features="embeddings", embedder=spam_axis)
    model.steps[0][1].set_params(cache=":memory:")
    end = train_end_model(texts, proba, model=model)
    assert end.predict(["please sub my channel", "what a song, love it"]).tolist() == [1, 0]
    with pytest.raises(EndModelError, match="features must be one of"):
        train_end_model(texts, proba, model="bert")


@pytest.mark.slow
def test_train_end_model_embeddings_by_name_uses_the_bundled_model():
    texts = ["subscribe to my channel", "check out my channel please", "visit my website for free money",
             "I love this song", "this song is amazing", "great music video"]
    proba = np.array([[.1, .9], [.2, .8], [.1, .9], [.9, .1], [.8, .2], [.9, .1]])
    end = train_end_model(texts, proba, model="embeddings")
    assert [name for name, _ in end.steps] == ["embeddings", "classifier"]
    assert end.predict(["subscribe to my youtube channel", "what a beautiful song"]).tolist() == [1, 0]


def test_tfidf_and_embeddings_side_by_side():
    model = default_end_model(features="tfidf+embeddings", embedder=spam_axis)
    model.steps[0][1].transformer_list[1][1].set_params(cache=":memory:")
    texts = ["sub to my channel", "my channel sub", "channel channel", "love this song", "song love", "great song"]
    end = train_end_model(texts, np.array([[0, 1]] * 3 + [[1, 0]] * 3, dtype=float), model=model,
                          sample_weight=None)
    assert end.predict(["channel sub", "love song"]).tolist() == [1, 0]
    assert end.steps[0][1].transform(["channel"]).shape[1] > 3  # TF-IDF columns and the 3 embedding columns


def test_ensemble_averages_a_tfidf_and_an_embedding_classifier_with_weights():
    from weaksup.end_model import SoftVote

    model = default_end_model(features="ensemble", embedder=spam_axis, C=10.0, embeddings_C=0.5)
    assert isinstance(model, SoftVote) and [name for name, _ in model.estimators] == ["tfidf", "embeddings"]
    model.estimators[1][1].steps[0][1].set_params(cache=":memory:")
    texts = ["sub to my channel", "my channel sub", "channel channel", "love this song", "song love", "great song",
             "unsure row"]
    proba = np.array([[0, 1]] * 3 + [[1, 0]] * 3 + [[0.5, 0.5]], dtype=float)
    end = train_end_model(texts, proba, model=model)
    assert end.n_train_rows_ == 6  # the row at chance has weight 0 and is left out
    assert end.predict(["channel sub", "love song"]).tolist() == [1, 0]
    parts = [fitted.predict_proba(["channel sub", "love song"]) for fitted in end.estimators_]
    np.testing.assert_allclose(end.predict_proba(["channel sub", "love song"]), (parts[0] + parts[1]) / 2)
    assert end.estimators_[1].steps[-1][1].C == 0.5 and end.estimators_[0].steps[-1][1].C == 10.0
    weighted = train_end_model(texts, proba, model=model, sample_weight=np.array([1, 1, 1, 1, 1, 1, 0.0]))
    np.testing.assert_allclose(weighted.predict_proba(texts), end.predict_proba(texts))  # same rows, same weights
