"""weak_model_lf: an end model trained on weak labels votes as an LF, cross-fitted on its own training texts."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from weaksup import apply_lfs, keyword_lf
from weaksup.embed import CallableEmbedder, WeakModelLF, normalise_text, text_key, weak_model_lf
from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN

HAM = ["song", "love", "music", "great", "video", "voice", "dance", "beat"]
SPAM = ["subscribe", "channel", "check", "free", "link", "visit", "win", "click"]


def corpus(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    texts = np.array([" ".join(rng.choice(SPAM if c else HAM, 4)) for c in y], dtype=object)
    return texts, y


def soft(y: np.ndarray, p: float = 0.85) -> np.ndarray:
    return np.where(y[:, None] == np.arange(2), p, 1 - p)


def bag_of_words(texts: list[str]) -> np.ndarray:
    vocab = HAM + SPAM
    return np.array([[t.split().count(w) + 0.01 for w in vocab] for t in texts], dtype=float)


@pytest.fixture
def toy_embedder(tmp_path, monkeypatch) -> CallableEmbedder:
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    return CallableEmbedder(bag_of_words, model_id="toy-bow")


def test_votes_new_rows_from_weak_labels_and_abstains_when_unsure_or_empty(toy_embedder):
    texts, y = corpus()
    lf = weak_model_lf("self_trained", texts, soft(y), embedder=toy_embedder, threshold=0.7)
    assert lf({"text": "subscribe channel free link"}) == 1
    assert lf({"text": "song love music beat"}) == 0
    assert lf({"text": ""}) == ABSTAIN and lf({"text": None}) == ABSTAIN
    assert lf({"text": "song channel"}) == ABSTAIN  # one word of each: below the threshold
    assert lf.kind == "weak_model" and lf.params["n_train_rows"] == len(texts)
    assert isinstance(lf, WeakModelLF)


def test_a_training_text_is_voted_on_by_a_fold_model_that_never_saw_it():
    texts, y = corpus(120)
    texts = np.append(texts, "zebra")  # a text only one row has, with a label its words cannot predict
    labels = np.append(y, 1)
    proba = np.eye(2)[labels]
    memorised = weak_model_lf("memo", texts, proba, features="tfidf", C=1000.0, folds=1, threshold=0.5)
    crossed = weak_model_lf("crossed", texts, proba, features="tfidf", C=1000.0, folds=5, threshold=0.5)
    assert memorised({"text": "zebra"}) == 1  # the full model remembers its own label
    p_crossed = crossed.class_proba(["zebra"])[0]
    assert p_crossed[1] < memorised.class_proba(["zebra"])[0][1] - 0.3  # out-of-fold: no memory of it
    new = ["subscribe free win now", "lovely music voice"]  # not training texts: the full model votes
    np.testing.assert_allclose(crossed.class_proba(new), memorised.class_proba(new))


def test_rows_without_a_label_are_left_out_and_the_version_follows_the_labels():
    texts, y = corpus(80)
    proba = soft(y)
    proba[:10] = np.nan
    votes = np.where(np.arange(80) < 20, ABSTAIN, y)[:, None]
    lf = weak_model_lf("st", texts, proba, features="tfidf", votes=votes, folds=2)
    assert lf.params["n_train_rows"] == 60
    same = weak_model_lf("st", texts, proba, features="tfidf", votes=votes, folds=2)
    assert same.version == lf.version
    flipped = proba.copy()
    flipped[40] = flipped[40][::-1]
    assert weak_model_lf("st", texts, flipped, features="tfidf", votes=votes, folds=2).version != lf.version
    assert weak_model_lf("st", texts, proba, features="tfidf", votes=votes, folds=2,
                         threshold=0.9).version != lf.version


def test_beside_rules_in_apply_lfs_and_pickles_for_workers():
    texts, y = corpus(100)
    lf = weak_model_lf("st", texts, soft(y), features="tfidf", folds=3)
    rule = keyword_lf("kw_subscribe", ["subscribe"], label=1)
    data = pd.DataFrame({"id": range(len(texts)), "text": texts})
    votes = apply_lfs([rule, lf], data, id_column="id", progress=False)
    column = votes.values[:, 1]
    assert (column == y)[column != ABSTAIN].mean() > 0.95 and (column != ABSTAIN).mean() > 0.8
    copy = pickle.loads(pickle.dumps(lf))
    assert copy.version == lf.version
    np.testing.assert_array_equal([copy({"text": t}) for t in texts[:20]], column[:20])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"features": "bag"}, "features must be one of"),
    ({"threshold": 0.0}, "threshold must be in"),
    ({"folds": 0}, "folds must be an int"),
    ({"C": -1.0}, "C must be > 0"),
])
def test_bad_parameters_name_the_lf_and_the_fix(kwargs, match):
    texts, y = corpus(40)
    with pytest.raises(LFDefinitionError, match=match):
        weak_model_lf("st", texts, soft(y), **kwargs)


def test_labels_must_align_with_texts():
    texts, y = corpus(40)
    with pytest.raises(LFDefinitionError, match="n_texts=40"):
        weak_model_lf("st", texts, soft(y)[:30], features="tfidf")


def test_a_training_text_is_recognised_once_cleaned():
    # `weaksup run` drops byte-order marks and zero-width characters and applies NFKC before the LF votes; the
    # training texts come from the raw file: the cleaned row must still get the fold model that never saw it
    from weaksup.data.clean import prepare

    texts, y = corpus(120)
    texts = np.append(texts, ["zebra\ufeff", "\ufb01sh  okapi"])  # a BOM; the ligature "fi" (NFKC: "fi")
    labels = np.append(y, [1, 0])
    crossed = weak_model_lf("crossed", texts, np.eye(2)[labels], features="tfidf", C=1000.0, folds=5, threshold=0.5)
    memorised = weak_model_lf("memo", texts, np.eye(2)[labels], features="tfidf", C=1000.0, folds=1, threshold=0.5)
    rows = pd.DataFrame({"row_id": ["z", "f"], "text": ["zebra\ufeff", "\ufb01sh  okapi"]})
    cleaned, _ = prepare(rows, duplicates=False)
    assert cleaned["text"].tolist() == ["zebra", "fish okapi"]
    on_raw, on_clean = crossed.class_proba(rows["text"].tolist()), crossed.class_proba(cleaned["text"].tolist())
    assert on_raw[0, 1] < memorised.class_proba(["zebra\ufeff"])[0, 1] - 0.3  # out-of-fold on the raw text
    # before: the cleaned texts were unknown, so the full model (which learned their labels) voted on them
    assert on_clean[0, 1] < memorised.class_proba(["zebra"])[0, 1] - 0.3
    assert crossed.__dict__["_fold_of"] and all(
        crossed.__dict__["_fold_of"].get(k) is not None for k in (text_key(normalise_text(t)) for t in cleaned["text"]))
