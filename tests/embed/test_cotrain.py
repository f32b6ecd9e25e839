"""co_train_labels: a TF-IDF and an embedding end model fill in the rows no LF covers for each other."""

from __future__ import annotations

import numpy as np
import pytest

from tests.embed.test_self_training import corpus, toy_embedder  # noqa: F401 (a fixture)
from weaksup.embed import co_train_labels
from weaksup.errors import ParameterError


def test_uncovered_rows_are_filled_and_labeled_rows_kept(toy_embedder):  # noqa: F811 (the imported fixture)
    texts, y = corpus()
    proba = np.where(y[:, None] == np.arange(2), 0.9, 0.1)
    proba[100:] = np.nan  # no LF covers these
    texts[-1] = ""  # an empty text is never labeled
    out = co_train_labels(texts, proba, embedder=toy_embedder, threshold=0.6)
    np.testing.assert_array_equal(out[:100], proba[:100])
    filled = np.isfinite(out[100:-1]).all(axis=1)
    assert filled.mean() > 0.8
    assert (out[100:-1][filled].argmax(axis=1) == y[100:-1][filled]).mean() > 0.95
    np.testing.assert_allclose(out[100:-1][filled].sum(axis=1), 1.0)
    assert np.isnan(out[-1]).all()


def test_rows_no_view_is_sure_of_stay_unlabeled_and_votes_mark_uncovered_rows(toy_embedder):  # noqa: F811 (the imported fixture)
    texts, y = corpus()
    proba = np.where(y[:, None] == np.arange(2), 0.9, 0.1)
    votes = np.where(np.arange(len(y)) < 100, y, -1)[:, None]
    strict = co_train_labels(texts, proba, votes=votes, embedder=toy_embedder, threshold=1.0)
    assert np.isnan(strict[100:]).all() and np.isfinite(strict[:100]).all()  # nothing reaches probability 1
    loose = co_train_labels(texts, proba, votes=votes, embedder=toy_embedder, threshold=0.6)
    assert np.isfinite(loose[100:]).all(axis=1).mean() > 0.8


def test_one_view_twice_is_self_training():
    texts, y = corpus()
    proba = np.where(y[:, None] == np.arange(2), 1.0, 0.0)
    proba[120:] = np.nan
    out = co_train_labels(texts, proba, views=("tfidf", "tfidf"), C=(10.0, 10.0), threshold=0.6, rounds=2)
    assert (out[120:].argmax(axis=1) == y[120:]).mean() > 0.9


def test_parameters_are_checked():
    texts, y = corpus(20)
    proba = np.eye(2)[y]
    for bad in ({"threshold": 0.0}, {"threshold": 1.5}, {"rounds": 0}, {"views": ("tfidf",)}, {"C": (1.0,)}):
        with pytest.raises(ParameterError, match="co_train_labels"):
            co_train_labels(texts, proba, **bad)
    with pytest.raises(ParameterError, match="shape"):
        co_train_labels(texts, proba[:5])
