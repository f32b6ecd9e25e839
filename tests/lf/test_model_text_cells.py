"""Model-score LFs on text columns holding non-text cells: a text pipeline's LF treats a number in a text column as
the other text LFs (keyword, regex) do, abstaining, instead of the vectoriser raising AttributeError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from weaksup import ABSTAIN, apply_lfs, model_score_lf
from weaksup.lf import keyword_lf

TEXTS = ["subscribe to my channel", "check out my channel", "free money here", "love this song",
         "great song", "beautiful voice", "subscribe now", "nice video"]
Y = [1, 1, 1, 0, 0, 0, 1, 0]


@pytest.fixture(scope="module")
def text_model():
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(TEXTS, Y)


def test_text_pipeline_abstains_on_non_text_cells_like_keyword_lfs(text_model):
    """A number in a text column is no text: the text pipeline's LF abstains there, as keyword and regex LFs do,
    instead of the vectoriser raising AttributeError ('int' object has no attribute 'lower')."""
    lf = model_score_lf("clf", text_model, thresholds={0: 0.6, 1: 0.6})
    keyword = keyword_lf("kw", "123", label=1)
    assert lf({"text": 123}) == ABSTAIN == keyword({"text": 123})
    assert lf({"text": 4.5}) == ABSTAIN
    mixed = pd.DataFrame({"text": ["subscribe to my channel", 123, "love this song", 7.0, None]})
    votes = apply_lfs([lf, keyword], mixed)
    assert votes.column("clf").tolist() == [1, ABSTAIN, 0, ABSTAIN, ABSTAIN]
    assert votes.column("kw").tolist() == [ABSTAIN] * 5
    assert apply_lfs([lf], pd.DataFrame({"text": [1, 2, 3]})).column("clf").tolist() == [ABSTAIN] * 3
    assert [lf({"text": t}) for t in mixed["text"]] == votes.column("clf").tolist()


def test_numeric_scorer_on_one_column_still_gets_numbers():
    seen: list[object] = []

    def scaled(values: list[float]) -> np.ndarray:
        seen.extend(values)
        return np.asarray(values, dtype=float) / 10

    lf = model_score_lf("scaled", scaled, field="n", above={1: 0.5})
    assert apply_lfs([lf], pd.DataFrame({"n": [9, 1]})).column("scaled").tolist() == [1, ABSTAIN]
    assert lf({"n": 7}) == 1 and seen == [9, 1, 7]
