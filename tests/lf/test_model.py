"""Model-score LFs: fitted estimators and batch callables with thresholds."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from weaksup import ABSTAIN, LabelSpace, apply_lfs, model_score_lf
from weaksup.errors import LFDefinitionError

TEXTS = ["subscribe to my channel", "check out my channel", "free money here", "love this song",
         "great song", "beautiful voice", "subscribe now", "nice video"]
Y = [1, 1, 1, 0, 0, 0, 1, 0]


@pytest.fixture(scope="module")
def text_model():
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(TEXTS, Y)


def test_thresholds_vote_and_abstain_between(text_model):
    lf = model_score_lf("clf", text_model, thresholds={0: 0.6, 1: 0.6})
    df = pd.DataFrame({"text": ["subscribe to my channel", "love this song", "the", None]})
    votes = apply_lfs([lf], df).column("clf").tolist()
    proba = text_model.predict_proba(["subscribe to my channel", "love this song", "the"])
    expected = [1 if p[1] >= 0.6 else 0 if p[0] >= 0.6 else -1 for p in proba] + [ABSTAIN]
    assert votes == expected and votes[:2] == [1, 0]
    assert [lf({"text": t}) for t in df["text"]] == votes


def test_class_names_and_label_space():
    space = LabelSpace(["ham", "spam"])
    named = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(TEXTS, [space.name(y) for y in Y])
    lf = model_score_lf("clf", named, thresholds={space["spam"]: 0.5}, label_space=space)
    assert lf({"text": "subscribe to my channel"}) == 1 and lf.labels == (1,)
    with pytest.raises(LFDefinitionError, match="pass label_space"):
        model_score_lf("clf", named, thresholds={1: 0.5})
    by_name = model_score_lf("clf", named, thresholds={"spam": 0.5}, label_space=space)
    assert by_name.version == lf.version and by_name.thresholds == {1: 0.5}  # a class name is its id
    with pytest.raises(LFDefinitionError, match=r"unknown class 'spma' \(did you mean 'spam'\?\); the classes are "
                                                r"\['ham', 'spam'\]"):
        model_score_lf("clf", named, thresholds={"spma": 0.5}, label_space=space)


def test_callable_scorer_above_below_on_columns():
    def risk(frame: pd.DataFrame) -> np.ndarray:
        return (frame["amount"] / frame["limit"]).to_numpy()

    lf = model_score_lf("risk", risk, field=["amount", "limit"], above={1: 0.9}, below={0: 0.1})
    df = pd.DataFrame({"amount": [95.0, 50.0, 5.0, np.nan], "limit": [100.0, 100.0, 100.0, 100.0]})
    assert apply_lfs([lf], df).column("risk").tolist() == [1, -1, 0, -1]
    assert lf({"amount": 95.0, "limit": 100.0}) == 1


def test_definition_errors(text_model):
    with pytest.raises(LFDefinitionError, match="give thresholds"):
        model_score_lf("m", text_model)
    with pytest.raises(LFDefinitionError, match="either thresholds= or above=/below="):
        model_score_lf("m", text_model, thresholds={1: 0.5}, above={1: 0.5})
    with pytest.raises(LFDefinitionError, match="must be lower than"):
        model_score_lf("m", lambda b: np.zeros(len(b)), above={1: 0.2}, below={0: 0.5})
    with pytest.raises(LFDefinitionError, match="classes"):
        model_score_lf("m", text_model, thresholds={3: 0.5})
    with pytest.raises(LFDefinitionError, match="fitted estimator"):
        model_score_lf("m", object(), above={1: 0.5})
    with pytest.raises(LFDefinitionError, match=r"the model is not fitted \(it has no classes_\); fit it first"):
        model_score_lf("m", make_pipeline(TfidfVectorizer(), LogisticRegression()), thresholds={1: 0.5})
    with pytest.raises(LFDefinitionError, match=r"cannot tell which score column is which class; pass classes="):
        model_score_lf("m", lambda b: np.zeros((len(b), 2)), thresholds={1: 0.5})


def test_version_tracks_the_fitted_model(text_model):
    a = model_score_lf("clf", text_model, thresholds={1: 0.6})
    refit = make_pipeline(TfidfVectorizer(), LogisticRegression(C=0.1)).fit(TEXTS, Y)
    assert model_score_lf("clf", refit, thresholds={1: 0.6}).version != a.version
    assert model_score_lf("clf", text_model, thresholds={1: 0.7}).version != a.version
    assert pickle.loads(pickle.dumps(a))({"text": "subscribe now"}) == a({"text": "subscribe now"})


@pytest.mark.slow  # starts fresh interpreters
def test_version_is_the_same_in_every_process():
    # Fitted text pipelines hold sets (e.g. TfidfVectorizer.stop_words_) whose order changes with
    # Python's hash randomisation; the version must not.
    import os
    import subprocess
    import sys

    code = (
        "from sklearn.feature_extraction.text import TfidfVectorizer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from weaksup import model_score_lf\n"
        f"texts = {TEXTS!r} * 3 + ['rare words only once here']\n"
        f"y = {Y!r} * 3 + [0]\n"
        "model = make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression()).fit(texts, y)\n"
        "print(model_score_lf('clf', model, thresholds={1: 0.6}).version)\n"
        # Cython state without __dict__ (the boosting's loss, a tree's tree_) is hashed by content, not repr
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "boost = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit([[len(t)] for t in texts], y)\n"
        "print(model_score_lf('hgb', boost, field=['n'], thresholds={1: 0.6}).version)\n"
    )
    versions = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(versions) == 1 and [len(v) for v in versions.pop().split()] == [8, 8]


def test_trees_fitted_differently_have_different_versions_even_refitted_in_place():
    # A tree's fitted state is in tree_, a Cython object without __dict__: its repr is a memory address, which
    # a refit may reuse, so hashing it gave two different trees one version (and stale cached votes).
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.rand(300), "b": rng.rand(300)})
    tree = DecisionTreeClassifier(max_depth=1, random_state=0)
    seen = {}
    for cut in [0.5, 0.3, 0.8, 0.5]:
        tree.fit(X, (X.a > cut).astype(int))
        lf = model_score_lf("tree", tree, field=["a", "b"], thresholds={0: 0.9, 1: 0.9})
        votes = tuple(apply_lfs([lf], X).values[:, 0].tolist())
        seen.setdefault(lf.version, set()).add(votes)
        assert lf.cacheable
    assert len(seen) == 3 and all(len(v) == 1 for v in seen.values())  # same model, same version; else not


def test_a_model_part_whose_state_cannot_be_read_makes_the_lf_not_cacheable():
    import threading

    class Scorer:
        __slots__ = ("lock",)

        def __init__(self):
            self.lock = threading.Lock()  # cannot be pickled: its state cannot be read

        def __call__(self, texts):
            return np.array([[0.2, 0.8]] * len(texts))

    lf = model_score_lf("odd", Scorer(), thresholds={1: 0.6}, classes=[0, 1])
    assert not lf.cacheable and "lock" in lf.cache_note
