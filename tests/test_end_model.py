"""The end model: rows it learns from, weights, use as a model-score LF, and the YouTube measurement."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup import ABSTAIN, apply_lfs, model_score_lf, train_end_model
from weaksup.end_model import end_model_rows
from weaksup.errors import EndModelError

TEXTS = ["subscribe to my channel", "check out my channel now", "free money click here", "my channel has free stuff",
         "love this song", "great song so good", "best video ever", "this song is my favourite",
         "nobody voted on this", "unsure about this one"]
PROBA = np.array([[.1, .9], [.2, .8], [.05, .95], [.3, .7], [.9, .1], [.8, .2], [.7, .3], [.95, .05],
                  [.6, .4], [.5, .5]])
VOTES = np.array([[1], [1], [1], [1], [0], [0], [0], [0], [-1], [0]])


def test_rows_without_votes_abstains_and_nan_are_left_out():
    end = train_end_model(TEXTS, PROBA, votes=VOTES)
    # row 8 has no vote, row 9 sits at chance (weight 0): 8 rows are learned from
    assert end.n_train_rows_ == 8 and list(end.classes_) == [0, 1]
    frame = pd.DataFrame({"label": ["spam"] * 4 + ["ham"] * 4 + ["", "ham"], "n_votes": [1] * 8 + [0, 1],
                          "prob_ham": PROBA[:, 0], "prob_spam": PROBA[:, 1]})
    assert end_model_rows(frame).tolist() == [True] * 8 + [False, True]
    assert train_end_model(TEXTS, frame).n_train_rows_ == 8
    with_nan = PROBA.copy()
    with_nan[0] = np.nan
    assert not end_model_rows(with_nan)[0]


def test_rows_without_text_are_kept_as_empty_texts_in_training_and_prediction():
    texts = pd.Series(TEXTS).astype(object)
    texts[[1, 6]] = [None, np.nan]
    end = train_end_model(texts, PROBA, votes=VOTES)
    assert end.n_train_rows_ == 8
    proba = end.predict_proba(pd.Series([np.nan, "free money click here", None, 3], dtype=object))
    assert proba.shape == (4, 2) and np.allclose(proba[0], proba[2]) and proba[1, 1] > proba[0, 1]


def test_weights_policies_and_errors():
    for policy in ("confidence", "proba", None, np.linspace(0.1, 1, len(TEXTS))):
        end = train_end_model(TEXTS, PROBA, votes=VOTES, sample_weight=policy)
        assert end.predict(["subscribe to my channel"]).tolist() == [1]
    assert train_end_model(TEXTS, PROBA, votes=VOTES, min_confidence=0.85).n_train_rows_ == 4
    with pytest.raises(EndModelError, match="sample_weight must be one of"):
        train_end_model(TEXTS, PROBA, sample_weight="margin")
    with pytest.raises(EndModelError, match="at least two classes"):
        train_end_model(TEXTS[:4], PROBA[:4])
    with pytest.raises(EndModelError, match="X has 3 rows but probabilistic_labels has 10"):
        train_end_model(TEXTS[:3], PROBA)
    with pytest.raises(EndModelError, match="prob_<class> columns"):
        train_end_model(TEXTS, pd.DataFrame({"label": ["x"] * 10}))


def test_seeded_and_deterministic():
    a = train_end_model(TEXTS, PROBA, votes=VOTES, seed=3).predict_proba(TEXTS)
    b = train_end_model(TEXTS, PROBA, votes=VOTES, seed=3).predict_proba(TEXTS)
    assert np.array_equal(a, b)


def test_custom_model_is_cloned():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    template = make_pipeline(CountVectorizer(), MultinomialNB())
    end = train_end_model(pd.Series(TEXTS), PROBA, votes=VOTES, model=template)
    assert end is not template and not hasattr(template[-1], "classes_")
    assert end.predict(["free money"]).tolist() == [1]


def test_end_model_becomes_a_model_score_lf_for_the_next_round():
    end = train_end_model(TEXTS, PROBA, votes=VOTES)
    lf = model_score_lf("end_model", end, thresholds={0: 0.6, 1: 0.6})
    frame = pd.DataFrame({"text": ["check out my channel", "such a great song", None]})
    votes = apply_lfs([lf], frame).values[:, 0].tolist()
    assert votes == [1, 0, ABSTAIN]
    assert votes[:2] == end.predict(frame["text"][:2].tolist()).tolist()


@pytest.mark.slow
def test_youtube_end_model_beats_the_label_model_on_test(tmp_path):
    spec = importlib.util.spec_from_file_location("end_model_bench", REPO / "benchmarks" / "end_model.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--json", str(tmp_path / "end.json")])
    assert result["n_test"] == 290 and result["n_rows"] == 1956
    assert 0 < result["n_end_model_train_rows"] < 1956 - 290  # the test rows and the rows without votes are out
    assert result["end_model_acc"] > result["label_model_acc"]
    assert result["label_model_acc"] > result["snorkel_label_model_acc"]


def test_rows_of_any_feature_container_and_probabilities_for_every_class_id():
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    from weaksup.end_model import class_proba, n_rows, take_rows

    sparse = csr_matrix(np.eye(4))
    assert n_rows(sparse) == 4 and take_rows(sparse, np.array([3, 0])).toarray()[0, 3] == 1.0
    assert take_rows(pd.Series(TEXTS), np.array([1])).tolist() == [TEXTS[1]]
    assert take_rows(TEXTS, np.array([True] + [False] * 9)).tolist() == [TEXTS[0]]
    # trained on a sparse matrix: train_end_model takes any features its model takes
    end = train_end_model(csr_matrix(np.eye(10)), PROBA, votes=VOTES, model=LogisticRegression())
    assert end.n_train_rows_ == 8
    clf = LogisticRegression().fit([[0.0], [1.0], [2.0]], [0, 2, 2])  # class 1 never seen
    proba = class_proba(clf, [[0.0], [2.0]], 3)
    assert proba.shape == (2, 3) and np.all(proba[:, 1] == 0) and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(EndModelError, match="not class ids 0..1"):
        class_proba(clf, [[0.0]], 2)


def test_features_names_the_representation_as_model_does():
    # issue 19 writes train_end_model(..., features="embeddings"); features= once was the texts' parameter name
    by_name = train_end_model(TEXTS, PROBA, votes=VOTES, features="tfidf")
    by_model = train_end_model(TEXTS, PROBA, votes=VOTES, model="tfidf")
    probe = ["subscribe to my channel", "nice song"]
    assert np.allclose(by_name.predict_proba(probe), by_model.predict_proba(probe))
    with pytest.raises(EndModelError, match="one of features= or model="):
        train_end_model(TEXTS, PROBA, features="tfidf", model="tfidf")
    with pytest.raises(EndModelError, match="features must be one of"):
        train_end_model(TEXTS, PROBA, features="bag_of_words")


def test_the_old_keyword_of_the_texts_is_named_with_its_fix():
    """Case: `train_end_model(features=texts, probabilistic_labels=p)` (the texts' keyword before they were named X)
    raised a bare TypeError for the missing X."""
    with pytest.raises(EndModelError, match=r"no X \(the texts; features= got a list\): pass the texts first.*or as X=.*features= names "
                                            r"the representation"):
        train_end_model(features=TEXTS, probabilistic_labels=PROBA)
    with pytest.raises(EndModelError, match="no probabilistic_labels"):
        train_end_model(X=TEXTS)
    by_keyword = train_end_model(X=TEXTS, probabilistic_labels=PROBA, votes=VOTES)
    assert np.allclose(by_keyword.predict_proba(TEXTS), train_end_model(TEXTS, PROBA, votes=VOTES).predict_proba(TEXTS))
