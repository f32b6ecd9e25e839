"""Text preparation: normalising, masking and duplicates, on a copy, keeping every row."""

from __future__ import annotations

import pandas as pd
import pytest

from weaksup.data import prepare
from weaksup.errors import DataError


def test_prepare_normalises_on_a_copy_and_keeps_every_row():
    raw = pd.DataFrame({"row_id": ["a", "b", "c", "d", "e"],
                        "text": ["ＣＨＥＣＫ  out\t", "check out\ufeff", None, "CHECK... out!!", "mail me@x.org www.x.com 12,5"]})
    original = raw.copy()
    clean, report = prepare(raw, lowercase_into="text_lower", mask=["url", "email", "number"])
    pd.testing.assert_frame_equal(raw, original)  # the input is untouched
    assert clean["row_id"].tolist() == raw["row_id"].tolist()  # every row, in order
    assert clean["text"].tolist()[:2] == ["CHECK out", "check out"]
    assert clean["text"].isna().tolist() == [False, False, True, False, False]
    assert clean.loc[4, "text"] == "mail <EMAIL> <URL> <NUM>"
    assert clean.loc[0, "text_lower"] == "check out"
    assert clean["duplicate_of"].tolist() == ["", "", "", "", ""]
    assert clean["near_duplicate_of"].tolist() == ["", "a", "", "a", ""]
    assert report.to_dict() == {"rows": 5, "missing_text": 1, "exact_duplicates": 0, "near_duplicates": 2,
                                "text_changed": 3}


def test_nfkc_composes_accents_so_an_accented_keyword_still_matches():
    import unicodedata

    from weaksup import apply_lfs, keyword_lf

    texts = ["cafe\u0301 au lait", "caf\u00e9", "\ufb01ne", "plain"]  # decomposed é, composed é, the "fi" ligature
    clean, _ = prepare(pd.DataFrame({"row_id": list("abcd"), "text": texts}))
    assert clean["text"].tolist() == [unicodedata.normalize("NFKC", t) for t in texts]
    assert clean["text"].tolist()[:3] == ["caf\u00e9 au lait", "caf\u00e9", "fine"]
    votes = apply_lfs([keyword_lf("cafe", "caf\u00e9", 1)], clean).column("cafe").tolist()
    assert votes == [1, 1, -1, -1]


def test_exact_duplicates_after_normalisation(youtube):
    clean, report = prepare(youtube.drop(columns=["label", "split"]))
    assert report.rows == 1956 and report.exact_duplicates >= 3  # at least the three repeated comment ids
    repeated = clean[clean["row_id"].str.endswith("#2")]
    assert (repeated["duplicate_of"] == repeated["row_id"].str[:-2]).all()
    assert report.near_duplicates >= report.exact_duplicates


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": "body"}, r"text column 'body'.*columns are"),
    ({"id_column": "id"}, r"id column 'id'"),
    ({"mask": ["phone"]}, r"unknown mask.*\['phone'\].*choose from"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(DataError, match=message):
        prepare(pd.DataFrame({"row_id": ["a"], "text": ["x"]}), **kwargs)


def test_prepare_keeps_rows_of_a_frame_whose_index_does_not_start_at_zero():
    frame = pd.DataFrame({"row_id": ["a", "b"], "text": ["Hi  there", "x"]}, index=[500, 501])
    clean, report = prepare(frame, lowercase_into="lower")
    assert clean["text"].tolist() == ["Hi there", "x"] and clean["lower"].tolist() == ["hi there", "x"]
    assert report.missing_text == 0


@pytest.mark.parametrize("normalize", [True, False])
def test_blank_texts_are_missing(normalize):
    frame = pd.DataFrame({"row_id": list("abcd"), "text": ["hi", "", "  \t\n", "\u3000"]})
    clean, report = prepare(frame, normalize=normalize, duplicates=False)
    assert clean["text"].isna().tolist() == [False, True, True, True] and report.missing_text == 3


def test_a_category_of_strings_is_text():
    clean, _ = prepare(pd.DataFrame({"row_id": ["a", "b"], "text": pd.Categorical(["x  y", "z"])}))
    assert clean["text"].tolist() == ["x y", "z"]
