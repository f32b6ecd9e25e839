"""Rows without text in the Workbench's final labels, by the rule of ``weaksup run`` (weaksup.final.texts): the end
model neither learns from a row whose text is missing (None, NaN, empty or only whitespace) nor labels it; such a row
keeps the label model's outcome in the references (its label where an LF voted, else no label). Before, the Workbench
trained the end model on those rows as empty strings and labeled them with it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import keyword_lf
from weaksup.lf import threshold_lf
from weaksup.workbench import Workbench

HAM, SPAM = 0, 1
LABELS = ["ham", "spam"]
SPAM_TEXTS = ["subscribe to my channel", "check out my channel", "free money click here", "win a prize now",
              "sub 4 sub please", "visit my page for free gifts"]
HAM_TEXTS = ["nice song", "love this video", "great tune", "this song is amazing", "beautiful voice",
             "what a lovely melody"]
N = 120
#: Rows whose text is missing, and how; the dev gold rows among them are 3, 7, 10, 15 (the first 60 rows are dev).
MISSING: dict[int, object] = {3: None, 7: "", 10: "   ", 15: float("nan"), 70: None, 95: "\t"}
#: The rows without text that an LF still votes on (spam), through the ``flag`` field: 3 and 15 are spam rows.
FLAGGED = {3, 15, 70}


def data(flags: dict[int, int] | None = None) -> pd.DataFrame:
    rows = np.arange(N)
    y = rows % 2  # ham on even rows, spam on odd
    texts = np.array([(SPAM_TEXTS if c else HAM_TEXTS)[(i // 2) % 6] for i, c in zip(rows, y)], dtype=object)
    for row, value in MISSING.items():
        texts[row] = value
    flag = np.where((y == SPAM) & (rows % 3 == 0), 1, 0)
    for row in FLAGGED:
        flag[row] = 1
    for row, value in (flags or {}).items():
        flag[row] = value
    return pd.DataFrame({"row_id": [f"r{i}" for i in rows], "text": texts, "flag": flag})


def gold(flip: set[int] = frozenset()) -> pd.Series:
    y = {f"r{i}": LABELS[(i % 2) ^ (i in flip)] for i in range(60)}
    return pd.Series(y)


def workbench(**kwargs) -> Workbench:
    flags = kwargs.pop("flags", None)
    lfs = [keyword_lf("kw_spam", ["subscribe", "channel", "free", "win", "sub"], SPAM),
           keyword_lf("kw_ham", ["song", "love", "tune", "voice"], HAM), threshold_lf("flagged", "flag > 0", SPAM)]
    return Workbench(data(flags), gold=kwargs.pop("gold", gold()), lfs=lfs, label_space=LABELS, **kwargs)


DEV_WITHOUT_TEXT = sorted(r for r in MISSING if r < 60)
TEXT_ROWS = np.array([r for r in range(N) if r not in MISSING])


@pytest.fixture(scope="module")
def base() -> Workbench:
    return workbench()


def final_of_text_rows(wb: Workbench) -> np.ndarray:
    """The final labeler's probabilities of every row with a text (out of fold on the rows it was fitted on)."""
    labeler = wb.final_labeler()
    texts = wb.data["text"].to_numpy(dtype=object)[TEXT_ROWS]
    return labeler.predict_proba(texts, wb.votes.values[TEXT_ROWS], TEXT_ROWS)


def test_rows_without_text_are_no_training_rows(base):
    labeler = base.final_labeler()
    assert not set(labeler.dev_positions_.tolist()) & set(MISSING)
    assert len(labeler.dev_y_) == 60 - len(DEV_WITHOUT_TEXT)


def test_flipping_the_gold_or_the_votes_of_rows_without_text_changes_nothing_the_end_model_learned(base):
    expected = final_of_text_rows(base)
    flipped_gold = workbench(gold=gold(flip=set(DEV_WITHOUT_TEXT)))
    assert flipped_gold.y_dev[DEV_WITHOUT_TEXT].tolist() != base.y_dev[DEV_WITHOUT_TEXT].tolist()
    np.testing.assert_array_equal(final_of_text_rows(flipped_gold), expected)
    flipped_votes = workbench(flags={r: 1 - int(r in FLAGGED) for r in MISSING})
    assert (flipped_votes.votes.values[list(MISSING)] != base.votes.values[list(MISSING)]).any()
    np.testing.assert_array_equal(final_of_text_rows(flipped_votes), expected)
    for name in ("final", "label_model", "supervised_on_dev"):
        np.testing.assert_array_equal(flipped_gold.final_labeler().dev_proba_[name], base.final_labeler().dev_proba_[name])
        np.testing.assert_array_equal(flipped_votes.final_labeler().dev_proba_[name],
                                      base.final_labeler().dev_proba_[name])


def test_rows_without_text_keep_the_label_models_outcome_in_the_references(base):
    refs = base.summary().references
    assert refs.n_rows == refs.n_gold == 60  # every dev gold row is scored, with or without text
    silent = [r for r in DEV_WITHOUT_TEXT if r not in FLAGGED]  # no text and no vote: nobody labels them
    assert len(silent) == 2 and (base.votes.values[silent] == -1).all()
    assert refs["final"].labelled == pytest.approx(1 - len(silent) / 60)
    # the voted ones get the label model's label: flipping their gold moves final and label_model alike (the other
    # rows' labels do not move: the end model did not learn from these rows)
    voted = [r for r in DEV_WITHOUT_TEXT if r in FLAGGED]
    again = workbench(gold=gold(flip=set(voted))).summary().references

    def right(scores, name):
        return round(scores[name].accuracy * 60)

    moved = right(again, "final") - right(refs, "final")
    assert moved == right(again, "label_model") - right(refs, "label_model") == -len(voted)
    assert right(again, "majority_vote") - right(refs, "majority_vote") == -len(voted)


def test_too_few_dev_rows_with_text_are_named_in_the_summary():
    texts = ["subscribe to my channel", "nice song", None, "great song", "  ", "love it", "free money"] * 2
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(14)], "text": texts})
    gold = pd.Series({"r0": "spam", "r1": "ham", "r2": "spam", "r3": "ham", "r4": "spam", "r5": "ham"})
    wb = Workbench(frame, gold=gold, lfs=[keyword_lf("kw_sub", ["subscribe", "money"], SPAM),
                                          keyword_lf("kw_song", "song", HAM)], label_space=LABELS)
    missing = wb.summary().missing
    assert missing.startswith("the final labels could not be fitted: only 4 of the 6 dev gold rows have a text")
    assert "label at least 5 dev rows with a text" in missing
