"""The multi-label model-score LF: a fitted one-vs-rest model's probabilities as yes / no / abstain votes."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline

from weaksup.errors import LFApplyError, LFDefinitionError
from weaksup.lf.artefacts import file_sha256, save_model
from weaksup.lf.export import export_module
from weaksup.multilabel import MultiLabelSpace, apply_multilabel_lfs
from weaksup.multilabel.lfs import multilabel_keyword_lf
from weaksup.multilabel.model_lf import MultiLabelModelLF, multilabel_model_lf
from weaksup.registry import Registry

LABELS = ["gratitude", "anger", "neutral"]
SPACE = MultiLabelSpace(LABELS, none_label="neutral")
TEXTS = ["thanks a lot", "thank you so much", "thanks friend", "i hate this", "so angry now", "hate hate",
         "it is a table", "the bus is late", "ok then"]
Y = np.array([[1, 0, 0]] * 3 + [[0, 1, 0]] * 3 + [[0, 0, 1]] * 3)


@pytest.fixture(scope="module")
def clf():
    return make_pipeline(CountVectorizer(), OneVsRestClassifier(LogisticRegression(C=10))).fit(TEXTS, Y)


def test_votes_follow_the_probabilities_and_thresholds(clf):
    lf = multilabel_model_lf("emo", clf, LABELS, yes_threshold={"gratitude": 0.5, "anger": 0.5},
                             no_threshold={"gratitude": 0.2})
    df = pd.DataFrame({"text": TEXTS + [None]})
    votes = apply_multilabel_lfs(df, [lf], SPACE, progress=False)
    P = clf.predict_proba(TEXTS)
    expected = np.full((len(TEXTS), 3), -1)
    expected[:, 0] = np.where(P[:, 0] >= 0.5, 1, np.where(P[:, 0] < 0.2, 0, -1))
    expected[:, 1] = np.where(P[:, 1] >= 0.5, 1, -1)
    assert votes.values[:-1, 0].tolist() == expected.tolist()
    assert (votes.values[-1] == -1).all()  # a missing text abstains
    assert (expected[:3, 0] == 1).all() and (expected[3:6, 1] == 1).all()  # the votes are not all abstain
    assert lf.vote_labels == ("gratitude", "anger")  # no threshold for neutral: it never votes there
    # one row at a time gives the same votes as the batch
    assert lf({"text": "thanks a lot"}) == {"gratitude": True} and lf({"text": "the bus"}).get("anger") is None


def test_batch_scoring_calls_the_model_once_per_chunk():
    calls = []

    def scorer(texts):
        calls.append(len(texts))
        return np.array([[0.9 if "thank" in t else 0.1, 0.1, 0.5] for t in texts])

    lf = multilabel_model_lf("fn", scorer, LABELS, yes_threshold=0.6)
    votes = apply_multilabel_lfs(pd.DataFrame({"text": TEXTS * 100}), [lf], SPACE, progress=False)
    assert calls == [900] and int((votes.values[:, 0, 0] == 1).sum()) == 300


def test_a_saved_model_is_versioned_by_its_file(clf, tmp_path):
    path = save_model(clf, tmp_path / "emo.skops")
    lf = multilabel_model_lf("emo", path, LABELS, yes_threshold=0.5)
    assert lf.model_sha256 == file_sha256(path) and lf.manifest()["model_sha256"] == lf.model_sha256
    assert multilabel_model_lf("emo", path, LABELS, yes_threshold=0.5).version == lf.version
    assert multilabel_model_lf("emo", path, LABELS, yes_threshold=0.6).version != lf.version
    other = make_pipeline(CountVectorizer(), OneVsRestClassifier(LogisticRegression(C=1))).fit(TEXTS, Y)
    changed = save_model(other, tmp_path / "emo2.skops")
    assert multilabel_model_lf("emo", changed, LABELS, yes_threshold=0.5).version != lf.version
    # in memory: the same fitted state, the same version; pickles and compares
    assert multilabel_model_lf("emo", clf, LABELS).version == multilabel_model_lf("emo", clf, LABELS).version
    assert pickle.loads(pickle.dumps(lf)).lf_id == lf.lf_id
    assert isinstance(lf, MultiLabelModelLF)


def test_export_writes_the_model_beside_the_module(clf, tmp_path):
    lfs = [multilabel_model_lf("emo", clf, LABELS, yes_threshold={"anger": 0.7}, no_threshold={"anger": 0.1}),
           multilabel_keyword_lf("kw_thanks", "thanks", "gratitude")]
    path = export_module(lfs, tmp_path / "mine.py")
    rebuilt = Registry.from_modules(path)
    assert (tmp_path / "mine_models" / "emo.skops").is_file()
    assert rebuilt["emo"]({"text": "so angry"}) == lfs[0]({"text": "so angry"})
    df = pd.DataFrame({"text": TEXTS})
    assert (apply_multilabel_lfs(df, rebuilt.lfs, SPACE, progress=False).values
            == apply_multilabel_lfs(df, lfs, SPACE, progress=False).values).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"labels": ["gratitude", "anger"]}, "scores 3 classes"),
    ({"yes_threshold": 1.5}, "outside [0, 1]"),
    ({"yes_threshold": {"joy": 0.5}}, "not among the model's labels"),
    ({"yes_threshold": 0.5, "no_threshold": 0.7}, "no_threshold is above yes_threshold"),
    ({"yes_threshold": None}, "never votes"),
    ({"yes_threshold": [0.5, 0.5]}, "list of 3 probabilities"),
])
def test_definition_errors_name_the_fix(clf, kwargs, message):
    with pytest.raises(LFDefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        multilabel_model_lf("emo", clf, kwargs.pop("labels", LABELS), **kwargs)


def test_a_model_whose_outputs_do_not_match_the_labels_is_named_at_apply():
    lf = multilabel_model_lf("two", lambda texts: np.zeros((len(texts), 2)), LABELS, yes_threshold=0.5)
    with pytest.raises(LFApplyError, match=r"'two' returned scores of shape \(1, 2\).*need \(1, 3\)"):
        apply_multilabel_lfs(pd.DataFrame({"text": TEXTS}), [lf], SPACE, progress=False)
    with pytest.raises(LFDefinitionError, match=r"shape \(9, 2\) for 9 rows.*one probability per label"):
        lf.inner.codes(np.zeros((9, 2)), np.zeros(9, dtype=bool))
    with pytest.raises(LFDefinitionError, match="predict_proba"):
        multilabel_model_lf("bad", object(), LABELS)


def test_training_texts_vote_from_their_held_out_probabilities(clf, tmp_path):
    from weaksup.multilabel.model_lf import save_held_out

    held = np.zeros((2, 3))
    held[0, 1] = 0.95  # out of fold, "thanks a lot" looked like anger
    path = save_held_out(tmp_path / "oof.npz", ["thanks a lot", "i hate this"], held)
    plain = multilabel_model_lf("emo", clf, LABELS, yes_threshold=0.5)
    lf = multilabel_model_lf("emo", clf, LABELS, yes_threshold=0.5, held_out=path)
    assert plain({"text": "thanks a lot"}) == {"gratitude": True}
    # the training text (also as a run's cleaning leaves it: NFKC, spaces) votes from its held-out row
    assert lf({"text": "thanks a lot"}) == {"anger": True} == lf({"text": " thanks\u200b  a lot"})
    assert lf({"text": "i hate this"}) == {} and lf({"text": "thanks friend"}) == plain({"text": "thanks friend"})
    assert lf.version != plain.version and lf.manifest()["held_out_file"] == str(path)
    df = pd.DataFrame({"text": TEXTS})
    batch = apply_multilabel_lfs(df, [lf], SPACE, progress=False).values[:, 0]
    assert batch[0].tolist() == [-1, 1, -1] and batch[3].tolist() == [-1, -1, -1]
    scored: list[list[str]] = []

    def spy(texts):
        scored.append(list(texts))
        return clf.predict_proba(texts)

    spied = multilabel_model_lf("emo", spy, LABELS, yes_threshold=0.5, held_out=path)
    assert (apply_multilabel_lfs(df, [spied], SPACE, progress=False).values[:, 0] == batch).all()
    # the model scores only the texts without held-out probabilities (an expensive scorer skips the training rows)
    assert sum(scored, []) == [t for t in TEXTS if t not in ("thanks a lot", "i hate this")]
    calls = len(scored)
    assert spied({"text": "thanks a lot"}) == {"anger": True} and len(scored) == calls  # no call at all
    four = save_held_out(tmp_path / "four.npz", ["x", "y"], np.zeros((2, 4)))
    with pytest.raises(LFDefinitionError, match=r"shape \(2, 4\) for 2 texts; the LF's 3 labels"):
        multilabel_model_lf("emo", clf, LABELS, held_out=four, yes_threshold=0.5)
    with pytest.raises(LFDefinitionError, match="does not exist"):
        multilabel_model_lf("emo", clf, LABELS, held_out=tmp_path / "nope.npz")
