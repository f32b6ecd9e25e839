"""Rows without text and the end model (weaksup.final.texts): which rows have a text, and the final probabilities of
a block where the end model labels only those; the rule of the streaming run's ``final_block``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.config import RunConfig
from weaksup.final.texts import final_outcome, present_texts
from weaksup.final_labels import FinalLabeler
from weaksup.models import DevNaiveBayes
from weaksup.pipeline.end_stage import final_block

TEXTS = np.array(["buy cheap pills", "free money now", "subscribe to my channel", "nice song", "love this video",
                  "great tune"] * 5, dtype=object)
L = np.array([[1, -1], [1, -1], [-1, 1], [0, -1], [0, -1], [-1, -1]] * 5)


def config(no_votes: str) -> RunConfig:
    return RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "text_column": "text"},
                                "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"},
                                "label_model": {"no_votes": no_votes}})


def test_present_texts_reads_cleanings_none_as_no_text():
    texts, present = present_texts(pd.Series(["a b", None, np.nan, "c"], dtype=object))
    assert texts.tolist() == ["a b", "", "", "c"] and present.tolist() == [True, False, False, True]
    texts, present = present_texts(["x", None])
    assert texts.dtype == object and present.tolist() == [True, False]


@pytest.mark.parametrize("no_votes", ["abstain", "predict"])
def test_final_outcome_is_the_streaming_runs_rule(no_votes):
    y = np.array([1, 1, 1, 0, 0, 0] * 2 + [-1] * 18)
    labeler = FinalLabeler(DevNaiveBayes(2), n_folds=3).fit(TEXTS, L, np.arange(30), y)
    model = DevNaiveBayes(2).fit(L, L_dev=L[:12], y_dev=y[:12])
    present = np.ones(30, dtype=bool)
    present[[0, 5, 11, 17]] = False  # voted (0) and unvoted (5, 11, 17) rows without text
    start = 100
    expected = final_block(config(no_votes), labeler, model, TEXTS, L, start, present)
    proba, source = final_outcome(L, present, 2,
                                  lambda rows: (labeler.predict_proba(TEXTS[rows], L[rows], rows + start),
                                                labeler.label_source(L[rows])),
                                  lambda rows: model.predict_proba(L[rows]), guess_unvoted=no_votes == "predict")
    np.testing.assert_array_equal(proba, expected[0])
    assert source.tolist() == expected[1].tolist()
    assert source[0] == "label_model"  # no text, an LF voted: the label model's label
    unvoted = [source[r] for r in (5, 11, 17)]  # no text, no vote: nobody's, unless the label model guesses
    assert unvoted == (["label_model"] * 3 if no_votes == "predict" else [None] * 3)
