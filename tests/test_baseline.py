"""The supervised-on-dev reference: out-of-fold predictions equal scikit-learn's cross_val_predict."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.baseline import supervised_on_dev
from weaksup.end_model import default_end_model
from weaksup.errors import ParameterError
from weaksup.models.fitting import dev_folds

SPAM = ["buy cheap pills now", "free money click here", "subscribe to my channel", "win a free phone",
        "check out my page", "cheap watches for sale"]
HAM = ["i love this song", "great video thanks", "this is my favourite tune", "beautiful voice",
       "the drummer is amazing", "listening in 2015"]


def test_out_of_fold_accuracy_equals_cross_val_predict():
    from sklearn.model_selection import PredefinedSplit, cross_val_predict

    texts = np.array(SPAM * 3 + HAM * 3, dtype=object)
    y = np.array([1] * 18 + [0] * 18)
    base = supervised_on_dev(texts, y, n_folds=4, seed=7)
    folds = dev_folds(y, 4, 7)
    by_hand = cross_val_predict(default_end_model(7), texts, y, cv=PredefinedSplit(folds), method="predict_proba")
    assert np.allclose(base.dev_proba, by_hand)
    assert base.dev_accuracy == pytest.approx(float((by_hand.argmax(axis=1) == y).mean()))
    assert base.n_gold == 36 and base.model is not None
    assert base.predict(["free pills click now", "i love this voice"]).tolist() == [1, 0]


def test_rows_without_gold_are_left_out_and_classes_fill_k_columns():
    texts = np.array(SPAM * 2 + HAM * 2 + ["no gold here"] * 5, dtype=object)
    y = np.array([2] * 12 + [0] * 12 + [-1] * 5)
    base = supervised_on_dev(texts, y, n_folds=3, cardinality=3)
    assert base.n_gold == 24 and base.dev_proba.shape == (24, 3)
    assert np.all(base.dev_proba[:, 1] == 0)  # class 1 has no gold row: never predicted
    assert base.predict_proba(["cheap pills"]).shape == (1, 3)


def test_a_single_class_predicts_its_smoothed_frequency():
    base = supervised_on_dev(SPAM, [1] * 6, n_folds=2)
    assert base.model is None and base.dev_accuracy == 1.0
    assert base.predict_proba(["anything"]).round(3).tolist() == [[0.125, 0.875]]


def test_bad_input_names_the_fix():
    with pytest.raises(ParameterError, match="label at least 5 rows, or pass n_folds <= 3"):
        supervised_on_dev(SPAM[:3], [1, 0, 1])
    with pytest.raises(ParameterError, match="n_folds must be a whole number >= 2"):
        supervised_on_dev(SPAM, [1, 0, 1, 0, 1, 0], n_folds=1)
    with pytest.raises(ParameterError, match="one class id per row of features"):
        supervised_on_dev(SPAM, [1, 0])
    with pytest.raises(ParameterError, match="cardinality is 2"):
        supervised_on_dev(SPAM, [1, 0, 2, 0, 1, 0], n_folds=2, cardinality=2)


@pytest.mark.parametrize("texts", [["", " ", None] * 4, ["a", "b", "!"] * 4])
def test_gold_texts_without_words_are_an_end_model_error_not_a_value_error_traceback(texts):
    from weaksup.baseline import has_words
    from weaksup.errors import EndModelError

    assert not has_words(texts) and has_words(texts + ["ok"])
    with pytest.raises(EndModelError, match=r"none of the 12 gold rows' texts has a word"):
        supervised_on_dev(texts, [0, 1, 0, 1] * 3, n_folds=3)
    # a model of the caller's: its own "empty vocabulary" is wrapped, naming what to check
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    with pytest.raises(EndModelError, match=r"cannot be trained on the 12 gold rows' features: empty vocabulary"):
        supervised_on_dev([t or "" for t in texts], [0, 1, 0, 1] * 3, n_folds=3,
                          model=make_pipeline(CountVectorizer(), LogisticRegression()))
