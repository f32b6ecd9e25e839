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


SPAM = {"ham": 0, "spam": 1}


@pytest.mark.parametrize("text, choices, reason", [
    ("Not spam", SPAM, "negated"), ("This is not spam.", SPAM, "negated"), ("No, it's not spam", SPAM, "negated"),
    ("I don't think this is spam", SPAM, "negated"), ("I don\u2019t think this is spam", SPAM, "negated"),
    ("It is NOT spam; it's a normal message", SPAM, "negated"), ('{"label": "not spam"}', SPAM, "negated"),
    ("Never spam", SPAM, "negated"), ("Not negative at all", {"positive": 1, "negative": 0}, "negated"),
    ("Unsure - maybe spam", SPAM, "unsure"), ("It's hard to say; possibly spam.", SPAM, "unsure"),
    ("Not sure, spam?", SPAM, "unsure"), ("I can't tell, perhaps ham", SPAM, "unsure"),
    ('{"label": "maybe spam"}', SPAM, "unsure"),
])
def test_a_negated_or_hedged_choice_abstains(text, choices, reason):
    parsed = parse_answer(text, choices)
    assert (parsed.label, parsed.reason) == (ABSTAIN, reason) and parsed.choice in choices


@pytest.mark.parametrize("text, choices, label", [
    ("spam", SPAM, 1), ("Spam.", SPAM, 1), ('{"label":"spam"}', SPAM, 1), ("The answer is spam", SPAM, 1),
    ("Spam (90% sure)", SPAM, 1), ("Spam, not a normal message", SPAM, 1),  # the negation follows the choice
    ("No. It is spam.", SPAM, 1),  # the negation is in another sentence
    ("apparent spam", SPAM, 1),  # a word ending in "nt" is no negation
    ("No", {"yes": 1, "no": 0}, 0), ("Maybe", {"yes": 1, "no": 0, "maybe": 2}, 2),  # choices spelled so are choices
    ("This comment is not spam", CHOICES, 0), ("Not spam!", CHOICES, 0),  # "not spam" is a choice here
])
def test_plain_answers_and_choices_spelled_like_negations_still_vote(text, choices, label):
    assert parse_answer(text, choices).label == label


def test_the_parser_version_moved_past_the_rule_reading_negated_answers_as_the_class():
    # version 1 read "not spam" as spam: its cached answers and LF versions must not be reused as such
    from weaksup.prompt.parse import PARSER_VERSION

    assert int(PARSER_VERSION) >= 2


YES_NO = {"spam": 1, "ham": 0}  # the README's template asks a yes/no question: "Is this YouTube comment spam?"


@pytest.mark.parametrize("text, label", [
    ("No, it's ham.", 0), ("No - ham", 0), ("No \u2014 ham", 0), ("Yes, it's spam.", 1), ("Yes - spam", 1),
    ("No doubt it's spam", 1), ("There is no doubt: spam", 1), ("Nope, ham.", 0), ("No, this is spam.", 1),
    ("Answer: No, it's ham", 0),
])
def test_a_leading_yes_or_no_is_an_answer_word_not_a_negation(text, label):
    parsed = parse_answer(text, YES_NO)
    assert (parsed.label, parsed.reason) == (label, "choice")


@pytest.mark.parametrize("text", ["No, it's not spam", "No, it isn't spam.", "No spam here", "No - not spam",
                                  "Yes, not spam", "no ham"])
def test_a_negation_binding_the_label_still_abstains(text):
    parsed = parse_answer(text, YES_NO)
    assert (parsed.label, parsed.reason) == (ABSTAIN, "negated")


@pytest.mark.parametrize("text, label", [
    ("<think>Is it spam or ham? It links a channel.</think>\nspam", 1),
    ("<think>\nspam? ham? The user loves the song.\n</think>\n\nham", 0),
    ("The comment praises the song, so not spam; ham it is.</think>ham", 0),  # a template opening <think> itself
    ("  <THINK>spam or ham</THINK> Spam.", 1),
])
def test_a_reasoning_block_before_the_answer_is_not_read(text, label):
    parsed = parse_answer(text, YES_NO)
    assert (parsed.label, parsed.reason) == (label, "choice")


def test_an_answer_cut_inside_its_reasoning_block_is_unparseable():
    parsed = parse_answer("<think>Is it spam or ham? The link suggests", YES_NO)
    assert (parsed.label, parsed.reason) == (ABSTAIN, "unparseable")


def test_logprobs_of_the_reasoning_tokens_are_not_the_answer_s_confidence():
    top = [{"token": "ham", "logprob": -0.1}, {"token": "spam", "logprob": -2.5}]  # a token inside <think>
    parsed = parse_answer("<think>ham or spam</think>spam", YES_NO, logprobs=top, min_margin=0.5)
    assert (parsed.label, parsed.confidence, parsed.reason) == (1, None, "choice")


def test_mostly_negated_answers_are_warned_about_once_per_lf(caplog):
    import logging

    from weaksup.prompt.parse import note_unparseable, unparseable_summary

    answers = ["Yes, spam"] * 6 + ["Not spam"] * 4  # the LF never votes ham: 4 in 10 abstain as negated
    with caplog.at_level(logging.WARNING, logger="weaksup"), unparseable_summary():
        for start in (0, 5):  # two batches
            parsed = [parse_answer(a, YES_NO) for a in answers[start:start + 5]]
            note_unparseable("llm", parsed, [f"r{i}" for i in range(start, start + 5)], YES_NO)
    warned = [r.getMessage() for r in caplog.records if "'llm'" in r.getMessage()]
    assert len(warned) == 1 and "4 of 10" in warned[0] and "negated" in warned[0], warned
    assert "r6" in warned[0]  # an example row


def test_a_few_negated_answers_are_not_warned_about(caplog):
    import logging

    from weaksup.prompt.parse import note_unparseable, unparseable_summary

    with caplog.at_level(logging.WARNING, logger="weaksup"), unparseable_summary():
        note_unparseable("llm", [parse_answer(a, YES_NO) for a in ["spam"] * 19 + ["not spam"]], None, YES_NO)
    assert not [r for r in caplog.records if "'llm'" in r.getMessage()]
