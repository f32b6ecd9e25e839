"""The references on the gold test rows (weaksup.final.references), shared by the plain run and engine runs: the
gold-only classifier is trained on the dev texts only when the end model did not build one, and left out, saying why,
when those texts cannot train it."""

from __future__ import annotations

import numpy as np

from weaksup.config import RunConfig
from weaksup.final.references import END_MODEL_OFF, end_model_off_note, gold_test_references
from weaksup.final_labels import FinalLabeler
from weaksup.labels import LabelSpace
from weaksup.models import DevNaiveBayes, MajorityVote

CONFIG = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "text_column": "text"},
                              "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"}})
SPACE = LabelSpace(["ham", "spam"])
L = np.array([[1, 1], [0, -1], [-1, -1], [0, 0]])
Y = np.array([1, 0, 0, 0])
TEST_TEXTS = np.array(["free money", "nice song", "great song", "love it"], dtype=object)


def references(labeler, dev_texts, **kwargs):
    calls = []

    def read_texts(with_dev):
        calls.append(with_dev)
        return TEST_TEXTS, ((dev_texts, np.array([1, 0] * (len(dev_texts) // 2))) if with_dev else None)

    refs, note = gold_test_references(CONFIG, Y, L, np.arange(4), model=MajorityVote(2).fit(L), labeler=labeler,
                                      final_labels=np.array([1, 0, -1, 0]), final_proba=np.full((4, 2), 0.5),
                                      label_space=SPACE, n_dev=len(dev_texts), read_texts=read_texts, votes=L,
                                      **kwargs)
    return refs, note, calls


def test_with_the_end_model_off_the_gold_only_classifier_is_trained_on_the_dev_texts():
    refs, note, calls = references(None, np.array(["free cash", "nice tune"] * 5, dtype=object))
    assert calls == [True] and note == END_MODEL_OFF
    assert list(refs.scores) == ["majority_vote", "label_model", "supervised_on_dev", "final"]
    assert refs["label_model"].labelled == 0.75  # no_votes = "abstain": the row without a vote
    assert refs.n_gold == 10 and refs.split == "test"


def test_dev_texts_without_a_word_leave_the_gold_only_classifier_out_saying_why():
    refs, note, calls = references(None, np.array(["", "!"] * 5, dtype=object))
    assert calls == [True] and "supervised_on_dev" not in refs.scores and refs.verdict is None
    assert note.startswith(END_MODEL_OFF + "; supervised_on_dev is left out: none of the 10 dev gold rows' texts "
                           "(input.text_column = 'text') has a word")


def test_the_end_models_own_gold_only_classifier_is_used_and_no_dev_text_is_read():
    texts = np.array(["buy cheap pills", "nice song", "free money now", "love this video"] * 5, dtype=object)
    votes = np.array([[1, -1], [0, -1], [1, 1], [-1, 0]] * 5)
    labeler = FinalLabeler(DevNaiveBayes(2), n_folds=3).fit(texts, votes, np.arange(20), np.array([1, 0] * 10))
    refs, note, calls = references(labeler, np.array(["x", "y"], dtype=object))
    assert calls == [False] and note == ""
    expected = labeler.baseline_.predict(TEST_TEXTS)
    assert refs["supervised_on_dev"].accuracy == np.mean(expected == Y)


def test_an_end_model_skipped_with_enabled_true_says_the_stages_reason_not_enabled_false():
    # a tabular input with no column to learn from: the note said "the end model is off (end_model.enabled = false)"
    why = "the input has no text column (input.text_column), and no column to learn from among ['description']"
    note = end_model_off_note({"enabled": True, "skipped": why})
    assert note == f"the end model did not run ({why}): the final labels are the label model's"
    assert "enabled = false" not in note
    assert end_model_off_note({"enabled": False, "skipped": "end_model.enabled = false: ..."}) == END_MODEL_OFF
    assert end_model_off_note({"enabled": False}) == END_MODEL_OFF  # (an engine run's, end model off)
    refs, said, _ = references(None, np.array(["free cash", "nice tune"] * 5, dtype=object), off_note=note)
    assert said == note and "supervised_on_dev" in refs.scores
