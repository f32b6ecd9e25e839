"""A model file saved under another scikit-learn: one warning naming the file, both versions and the fix.

Before the fix loading such a file (a shipped example model after ``pip install -U scikit-learn``) let scikit-learn
warn ``InconsistentVersionWarning`` once per estimator in it, naming neither the file nor what to do.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from weaksup import apply_lfs, model_score_lf
from weaksup.lf.artefacts import file_sha256, load_model, save_model

TEXTS = ["subscribe to my channel", "free money here", "love this song", "great song", "subscribe now", "nice video"]
Y = [1, 1, 0, 0, 1, 0]
#: An older scikit-learn version string of the same length as the installed one's (a pickle's strings keep their size).
OLD = "0." + "0" * (len(sklearn.__version__) - 2)


def fitted():
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(TEXTS, Y)


def old_joblib(path):
    """A joblib file whose estimators say they were saved under scikit-learn ``OLD``."""
    buffer = io.BytesIO()
    joblib.dump(fitted(), buffer)
    data = buffer.getvalue()
    assert sklearn.__version__.encode() in data  # (a pickle writes a repeated string once)
    path.write_bytes(data.replace(sklearn.__version__.encode(), OLD.encode()))
    return path


def old_skops(path):
    """A ``.skops`` file whose estimators say they were saved under scikit-learn ``OLD``."""
    save_model(fitted(), path)
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    schema = members["schema.json"].decode("utf-8")
    saved = json.dumps(json.dumps(sklearn.__version__))[1:-1]  # (a JSON string in the JSON schema)
    assert schema.count(saved) >= 3
    members["schema.json"] = schema.replace(saved, json.dumps(json.dumps(OLD))[1:-1]).encode("utf-8")
    path.unlink()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def load_quietly(path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_model(path, **kwargs)
    return loaded, [w for w in caught if issubclass(w.category, InconsistentVersionWarning)]


def check_one_warning(caplog, path):
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "scikit-learn" in r.getMessage()]
    assert len(said) == 1, said  # one warning for the file, not one per estimator
    assert str(path) in said[0] and f"saved with scikit-learn {OLD}" in said[0]
    assert f"loaded with scikit-learn {sklearn.__version__}" in said[0]
    assert "TfidfVectorizer" in said[0] and "LogisticRegression" in said[0]
    assert "save the model again" in said[0] and "build.py" in said[0]


def test_a_joblib_model_saved_under_another_scikit_learn_gives_one_warning_naming_the_file(tmp_path, caplog):
    path = old_joblib(tmp_path / "clf.joblib")
    caplog.set_level(logging.WARNING)
    loaded, raw = load_quietly(path, model_sha256=file_sha256(path))
    assert raw == []  # scikit-learn's own per-estimator warnings do not reach the user
    check_one_warning(caplog, path)
    assert loaded.model.predict(["subscribe now"]).tolist() == [1]  # the model still loads and predicts


def test_a_skops_model_saved_under_another_scikit_learn_gives_one_warning_naming_the_file(tmp_path, caplog):
    path = old_skops(tmp_path / "clf.skops")
    caplog.set_level(logging.WARNING)
    loaded, raw = load_quietly(path)
    assert raw == []
    check_one_warning(caplog, path)
    lf = model_score_lf("clf", path, thresholds={1: 0.5})
    votes = apply_lfs([lf], pd.DataFrame({"text": ["subscribe now", "great song"]})).column("clf")
    assert np.asarray(votes).tolist() == [1, -1]


def test_a_model_saved_under_this_scikit_learn_loads_without_a_warning(tmp_path, caplog):
    path = save_model(fitted(), tmp_path / "clf.skops")
    caplog.set_level(logging.WARNING)
    _, raw = load_quietly(path)
    assert raw == [] and not [r for r in caplog.records if "scikit-learn" in r.getMessage()]
