"""Fitted models as files: skops loaded with its trusted types checked, pickles only with a pinned hash."""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from weaksup import apply_lfs, model_score_lf
from weaksup.errors import LFDefinitionError
from weaksup.lf.artefacts import file_sha256, save_model

TEXTS = ["subscribe to my channel", "check out my channel", "free money here", "love this song",
         "great song", "beautiful voice", "subscribe now", "nice video"]
Y = [1, 1, 1, 0, 0, 0, 1, 0]
FRAME = pd.DataFrame({"text": TEXTS + ["subscribe", "song", None]})


def _fit(c: float = 10.0):
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=c)).fit(TEXTS, Y)


class Planted:
    """Unpickling this touches a file: the side effect a hostile pickle would have."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


class Shouting(ClassifierMixin, BaseEstimator):
    """A custom estimator: a type skops does not trust by default."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.array([sum(c.isupper() for c in t) / max(len(t), 1) for t in X])
        return np.column_stack([1 - p, p])


def test_skops_round_trip_through_model_score_lf(tmp_path):
    model = _fit()
    path = save_model(model, tmp_path / "models" / "clf.skops")
    in_memory = model_score_lf("clf", model, thresholds={0: 0.6, 1: 0.6})
    saved = model_score_lf("clf", path, thresholds={0: 0.6, 1: 0.6})
    votes = apply_lfs([saved], FRAME).column("clf")
    assert np.array_equal(votes, apply_lfs([in_memory], FRAME).column("clf")) and set(votes) == {-1, 0, 1}
    assert saved.model_file == path and saved.model_sha256 == file_sha256(path)
    manifest = saved.manifest()
    assert manifest["model_file"] == str(path) and manifest["model_sha256"] == file_sha256(path)
    assert pickle.loads(pickle.dumps(saved))({"text": "subscribe now"}) == saved({"text": "subscribe now"})


def test_version_follows_the_model_file(tmp_path):
    path = save_model(_fit(10.0), tmp_path / "clf.skops")
    first = model_score_lf("clf", path, thresholds={1: 0.6})
    assert model_score_lf("clf", path, thresholds={1: 0.6}).version == first.version  # same file, same version
    assert model_score_lf("clf", str(path), thresholds={1: 0.7}).version != first.version
    save_model(_fit(0.01), path)  # the file is replaced by another model
    assert model_score_lf("clf", path, thresholds={1: 0.6}).version != first.version
    moved = tmp_path / "elsewhere" / "renamed.skops"
    moved.parent.mkdir()
    moved.write_bytes(path.read_bytes())  # where the file sits is not part of what the LF does
    assert model_score_lf("clf", moved, thresholds={1: 0.6}).version == \
        model_score_lf("clf", path, thresholds={1: 0.6}).version


SAVE_IN_A_PROCESS = """
import sys
from sklearn.ensemble import RandomForestClassifier
from tests.lf.test_artefacts import _fit
from weaksup.lf.artefacts import save_model
save_model(_fit(), sys.argv[1] + "/pipeline.skops")
save_model(RandomForestClassifier(n_estimators=3, random_state=0).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]),
           sys.argv[1] + "/forest.skops")
"""


def test_the_same_model_saved_in_two_processes_gives_the_same_file_and_the_same_lf_version(tmp_path):
    # skops named members by memory address and stamped the time; TF-IDF keeps id(stop_words): every export was a
    # new file, a new LF version, and its votes were computed again
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", SAVE_IN_A_PROCESS, str(tmp_path / run)], check=True, cwd=root)
    for name in ("pipeline.skops", "forest.skops"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert model_score_lf("clf", tmp_path / "a" / "pipeline.skops", thresholds={1: 0.6}).version == \
        model_score_lf("clf", tmp_path / "b" / "pipeline.skops", thresholds={1: 0.6}).version
    saved = model_score_lf("clf", tmp_path / "a" / "pipeline.skops", thresholds={1: 0.6})
    assert np.array_equal(apply_lfs([saved], FRAME).column("clf"),
                          apply_lfs([model_score_lf("clf", _fit(), thresholds={1: 0.6})], FRAME).column("clf"))
    forest = sio.load(tmp_path / "b" / "forest.skops", trusted=["sklearn.tree._tree.Tree",
                                                              "sklearn.ensemble._forest.RandomForestClassifier",
                                                              "sklearn.tree._classes.DecisionTreeClassifier"])
    assert forest.predict([[0.0], [3.0]]).tolist() == [0, 1]


def test_a_skops_file_with_an_untrusted_type_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "custom.skops"
    sio.dump(Shouting().fit(TEXTS, Y), path)
    with pytest.raises(LFDefinitionError) as info:
        model_score_lf("loud", path, thresholds={1: 0.5})
    message = str(info.value)
    type_name = f"{Shouting.__module__}.Shouting"
    assert str(path) in message and "'loud'" in message and type_name in message
    assert f"trusted=['{type_name}']" in message
    trusted = model_score_lf("loud", path, thresholds={1: 0.5}, trusted=[type_name])  # the user vouches for it
    assert trusted({"text": "BUY NOW"}) == 1 and trusted({"text": "nice"}) == -1


def test_a_damaged_or_unknown_file_is_refused(tmp_path):
    damaged = tmp_path / "clf.skops"
    damaged.write_bytes(save_model(_fit(), tmp_path / "ok.skops").read_bytes()[:300])
    with pytest.raises(LFDefinitionError, match=r"clf\.skops.*not a readable skops file.*skops\.io\.dump"):
        model_score_lf("clf", damaged, thresholds={1: 0.6})
    with pytest.raises(LFDefinitionError, match=r"unknown model format '\.bin'.*skops"):
        model_score_lf("clf", tmp_path / "clf.bin", thresholds={1: 0.6})
    with pytest.raises(LFDefinitionError, match=r"missing\.skops' does not exist"):
        model_score_lf("clf", tmp_path / "missing.skops", thresholds={1: 0.6})
    with pytest.raises(LFDefinitionError, match="model_sha256= and trusted= are for a model given as a file"):
        model_score_lf("clf", _fit(), thresholds={1: 0.6}, model_sha256="0" * 64)


def test_a_pickle_is_never_unpickled_without_the_pinned_hash(tmp_path):
    marker = tmp_path / "side_effect_happened"
    path = tmp_path / "model.joblib"
    joblib.dump(Planted(marker), path)
    real = file_sha256(path)
    with pytest.raises(LFDefinitionError) as info:
        model_score_lf("clf", path, thresholds={1: 0.6})
    assert str(path) in str(info.value) and "model_sha256=" in str(info.value) and "skops" in str(info.value)
    assert not marker.exists()
    with pytest.raises(LFDefinitionError, match=f"its SHA-256 is {real}, not the pinned"):
        model_score_lf("clf", path, thresholds={1: 0.6}, model_sha256="0" * 64)
    assert not marker.exists()
    # The side effect is real: with its true hash pinned, the file *is* unpickled (and runs its code).
    with pytest.raises(LFDefinitionError, match="fitted estimator"):
        model_score_lf("clf", path, thresholds={1: 0.6}, model_sha256=real)
    assert marker.exists()


def test_a_joblib_file_with_its_hash_pinned_loads(tmp_path):
    model = _fit()
    path = tmp_path / "clf.joblib"
    joblib.dump(model, path)
    lf = model_score_lf("clf", path, thresholds={1: 0.6}, model_sha256=file_sha256(path).upper())
    assert np.array_equal(apply_lfs([lf], FRAME).column("clf"),
                          apply_lfs([model_score_lf("clf", model, thresholds={1: 0.6})], FRAME).column("clf"))
    with pytest.raises(LFDefinitionError, match="not the pinned"):  # a pin is checked for skops files too
        model_score_lf("clf", save_model(model, tmp_path / "clf.skops"), thresholds={1: 0.6}, model_sha256="ab")
