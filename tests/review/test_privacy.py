import pandas as pd
import pytest

from weaksup.review import ReviewError, mask_frame, mask_text
from weaksup.review.privacy import luhn_ok


@pytest.mark.parametrize("raw, masked", [
    ("contact john.smith@example.com now", "contact <EMAIL> now"),
    ("UPPER@EXAMPLE.ORG and a.b-c+d@sub.domain.io", "<EMAIL> and <EMAIL>"),
    ("call 555-123-4567 today", "call <PHONE> today"),
    ("ring +1 (555) 123 4567", "ring <PHONE>"),
    ("uk +44 20 7946 0958.", "uk <PHONE>."),
    ("card 4111-1111-1111-1111 exp", "card <CARD> exp"),
    ("amex 378282246310005", "amex <CARD>"),
    ("visa 4012888888881881", "visa <CARD>"),
])
def test_masks_personal_values(raw, masked):
    assert mask_text(raw) == masked


@pytest.mark.parametrize("raw", [
    "posted 2014-11-07 at 12:30",
    "1,000,000 views and 2 billion plays",
    "song from 1999",
    "order 12345",
    "check out http://www.youtube.com/watch?v=abc123",
    "not a card 4111 1111 1111 1112 x",  # fails Luhn; too long for a phone
])
def test_leaves_other_numbers_alone(raw):
    assert mask_text(raw) == raw


def test_luhn():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")


def test_kinds_can_be_chosen():
    assert mask_text("a@b.com 555-123-4567", kinds=["email"]) == "<EMAIL> 555-123-4567"
    with pytest.raises(ReviewError, match="unknown mask kind"):
        mask_text("x", kinds=["ssn"])


def test_mask_frame_masks_text_redacts_columns_and_leaves_the_input():
    df = pd.DataFrame({"text": ["mail me: x@y.com", None, "fine"], "author": ["Ann", "Bob", None],
                       "video": ["Psy", "Psy", "Psy"]})
    out, counts = mask_frame(df, ["text"], redact=["author"])
    assert out["text"].tolist()[0] == "mail me: <EMAIL>" and out["text"].isna().tolist()[1]
    assert out["author"].tolist()[:2] == ["<REDACTED>", "<REDACTED>"] and pd.isna(out["author"].tolist()[2])
    assert out["video"].tolist() == ["Psy"] * 3
    assert counts == {"text": 1, "author": 2}
    assert df["text"][0] == "mail me: x@y.com"  # a copy


def test_mask_frame_unknown_column():
    with pytest.raises(ReviewError, match=r"cannot mask column\(s\) \['email'\].*sensitive fields"):
        mask_frame(pd.DataFrame({"text": ["a"]}), ["email"])


def test_a_misspelt_sensitive_field_is_an_error_naming_the_column_it_may_mean():
    from weaksup.review.privacy import check_sensitive_fields

    check_sensitive_fields(["author", "text"], ["row_id", "text", "author"], where="c.toml")  # all columns: fine
    with pytest.raises(ReviewError, match=r"c.toml: review.sensitive_fields names 'autor' \(did you mean 'author'\?\), "
                                          r"which is not a column of the input"):
        check_sensitive_fields(["autor"], ["row_id", "text", "author"], where="c.toml")
