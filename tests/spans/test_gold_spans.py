"""Gold char spans meet the documents: every span off the tokens or off its text in one error; a span's text
survives pickling and copying."""

from __future__ import annotations

import copy
import pickle

import pytest

from weaksup.errors import GoldSetError
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.gold_spans import GoldSpan, check_token_spans


def test_every_misaligned_gold_span_is_named_in_one_error_the_first_ones_listed():
    docs = [SpanDoc.from_text(f"call 0906{i} now") for i in range(60)]
    ids = [f"r{i:02d}" for i in range(60)]
    good = [[(5, 5 + len(f"0906{i}"), "PHONE")] for i in range(60)]
    assert check_token_spans(docs, good, ids, where="span gold set (dev split)")[3] == [Span(1, 2, "PHONE")]
    cut = [[(5, 8, "PHONE")] for _ in range(60)]
    cut[1] = [GoldSpan(5, 5 + len("09061"), "PHONE", "09062")]  # right tokens, wrong text
    with pytest.raises(GoldSetError) as info:
        check_token_spans(docs, cut, ids, where="span gold set (dev split)")
    message = str(info.value)
    assert "span gold set (dev split) has 60 problems" in message
    assert "span gold set (dev split): row 'r00': the span 5..8 '090' (PHONE) does not fall on token" in message
    assert "row 'r01': the span 5..10 (PHONE) says its text is '09062' but the row's text there is '09061'" in message
    assert "row 'r49'" in message and "row 'r50'" not in message and "... and 10 more" in message
    assert len(info.value.problems) == 60


def test_a_gold_spans_text_survives_pickling_and_copying():
    span = GoldSpan(0, 4, "MONEY", "£500")
    for back in (pickle.loads(pickle.dumps(span)), copy.deepcopy(span), copy.copy(span)):
        assert back == (0, 4, "MONEY") and back.text == "£500" and isinstance(back, GoldSpan)
