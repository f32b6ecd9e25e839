"""Reading chat answers as labels."""

from __future__ import annotations

import math

import pytest

from weaksup.labels import ABSTAIN
from weaksup.prompt import parse_answer
from weaksup.prompt.parse import choice_prefix

CHOICES = {"ham": 0, "spam": 1, "not spam": 0}


@pytest.mark.parametrize("text, label, reason", [
    ("spam", 1, "choice"), ("  Spam.\n", 1, "choice"), ('"HAM"', 0, "choice"), ("**spam**", 1, "choice"),
    ("Answer: spam", 1, "choice"), ("The label is ham", 0, "choice"), ("This comment is spam.", 1, "choice"),
    ("not spam", 0, "choice"), ("Not Spam!", 0, "choice"),
    ('{"label": "spam"}', 1, "json"), ('```json\n{"label": "ham"}\n```', 0, "json"),
    ('{"label": "unsure"}', ABSTAIN, "unsure"), ('{"answer": "spam"}', ABSTAIN, "unparseable"),
    ('{"label": 1}', ABSTAIN, "unparseable"), ("[1, 2]", ABSTAIN, "unparseable"),
    ("unsure", ABSTAIN, "unsure"), ("I don't know.", ABSTAIN, "unsure"), ("Answer: unclear", ABSTAIN, "unsure"),
    ("", ABSTAIN, "unparseable"), ("maybe", ABSTAIN, "unparseable"), ("spam or ham", ABSTAIN, "unparseable"),
    ("spammy", ABSTAIN, "unparseable"),
])
def test_answers(text, label, reason):
    parsed = parse_answer(text, CHOICES)
    assert (parsed.label, parsed.reason) == (label, reason)


def test_logprob_confidence_is_the_share_over_the_choices():
    top = [{"token": "spam", "logprob": math.log(0.6)}, {"token": "ham", "logprob": math.log(0.2)},
           {"token": "The", "logprob": math.log(0.2)}]
    parsed = parse_answer("spam", {"ham": 0, "spam": 1}, logprobs=top, min_margin=0.4)
    assert parsed.label == 1 and parsed.confidence == pytest.approx(0.75)
    assert parse_answer("spam", {"ham": 0, "spam": 1}, logprobs=top, min_margin=0.6).reason == "margin"
    # The text disagreeing with the most likely first token: abstain (sampling at temperature > 0)
    assert parse_answer("ham", {"ham": 0, "spam": 1}, logprobs=top).label == ABSTAIN
    # Logprobs naming no choice: the answer stands without a confidence
    assert parse_answer("spam", {"ham": 0, "spam": 1}, logprobs=[{"token": "{", "logprob": 0.0}]).confidence is None


def test_a_token_counts_for_the_one_choice_it_starts():
    assert choice_prefix(" Sp", {"ham": 0, "spam": 1}) == "spam"
    assert choice_prefix("s", {"spam": 1, "sport": 0}) is None
    assert choice_prefix("", {"spam": 1}) is None


def test_a_choice_spelled_like_an_unsure_word_is_a_choice():
    choices = {"billing": 0, "none": 1}
    assert parse_answer("None", choices).label == 1 and parse_answer('{"label": "none"}', choices).label == 1
    assert parse_answer("Answer: none", choices).label == 1
    assert parse_answer("unsure", choices).label == ABSTAIN  # the other unsure words still abstain
    assert parse_answer("none", {"ham": 0, "spam": 1}).label == ABSTAIN  # where "none" is no choice


def test_an_lf_with_such_a_choice_gets_a_new_version_and_others_keep_theirs(tmp_path):
    from weaksup import LabelSpace, prompt_lf
    from weaksup.prompt import ChatClient

    client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tmp_path / "c.sqlite3")
    plain = prompt_lf("p", "Spam? {text}", labels=["ham", "spam"], label_space=LabelSpace(["ham", "spam"]),
                      client=client)
    assert "choice_words" not in plain.params
    none = prompt_lf("n", "Topic? {text}", labels=["billing", "none"], label_space=LabelSpace(["billing", "none"]),
                     client=client)
    assert none.params["choice_words"] == "before unsure"
