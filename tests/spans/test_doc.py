"""SpanDoc tokenizers and offsets; spans to tags (overlaps) and tags to spans (BIO repair)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from weaksup.errors import DataError, LabelSpaceError, ParameterError
from weaksup.spans.doc import ScoredSpan, Span, SpanDoc, spans_from_tags, tags_from_spans, tokenize
from weaksup.spans.space import SpanSpace

SPACE = SpanSpace(["Chemical", "Disease"])


def test_whitespace_and_regex_tokenizers_keep_char_offsets():
    text = "Cisplatin-induced  nephrotoxicity (CIN)."
    doc = SpanDoc.from_text(text)
    assert doc.tokens == ("Cisplatin-induced", "nephrotoxicity", "(CIN).")
    doc = SpanDoc.from_text(text, tokenizer="regex")
    assert doc.tokens == ("Cisplatin", "-", "induced", "nephrotoxicity", "(", "CIN", ")", ".")
    assert all(text[s:e] == t for t, s, e in zip(doc.tokens, doc.starts, doc.ends))


@pytest.mark.slow  # importing spaCy takes seconds
def test_spacy_tokenizer_is_the_blank_english_one():
    spacy = pytest.importorskip("spacy")
    text = "The laptop's  battery isn't great."
    doc = SpanDoc.from_text(text, tokenizer="spacy")
    expected = [t.text for t in spacy.blank("en")(text) if not t.is_space]
    assert list(doc.tokens) == expected and "'s" in doc.tokens and "n't" in doc.tokens
    assert all(text[s:e] == t for t, s, e in zip(doc.tokens, doc.starts, doc.ends))


def test_spacy_tokenizer_without_spacy_names_the_extra(monkeypatch):
    from weaksup.errors import ConfigError
    from weaksup.spans.doc import spacy_tokenizer

    spacy_tokenizer.cache_clear()
    monkeypatch.setitem(sys.modules, "spacy", None)  # what an environment without spaCy shows the import
    try:
        with pytest.raises(ConfigError, match=r"pip install weaksup\[spacy\]"):
            SpanDoc.from_text("a b", tokenizer="spacy")
    finally:
        spacy_tokenizer.cache_clear()


def test_callable_tokenizer_and_its_bad_offsets():
    doc = SpanDoc.from_text("abcdef", tokenizer=lambda text: [(0, 2), (2, 6)])
    assert doc.tokens == ("ab", "cdef")
    for bad in ([(0, 2), (1, 3)], [(0, 9)], [(2, 2)], ["xy"]):
        with pytest.raises(DataError, match="tokenizer"):
            SpanDoc.from_text("abcdef", tokenizer=lambda text, bad=bad: bad)
    with pytest.raises(ParameterError, match="whitespace"):
        tokenize("abc", "nltk")


def test_from_tokens_joins_with_one_space():
    doc = SpanDoc.from_tokens(["copper", "toxicosis", "."])
    assert doc.text == "copper toxicosis ." and doc.n_tokens == 3
    assert doc.starts == (0, 7, 17) and doc.ends == (6, 16, 18)
    assert doc.char_span(Span(0, 2, "Disease")) == (0, 16)
    assert doc.text[slice(*doc.char_span(ScoredSpan(1, 2, "Disease", 0.5)))] == "toxicosis"
    with pytest.raises(DataError):
        SpanDoc.from_tokens("copper toxicosis")
    with pytest.raises(DataError, match="3 tokens"):
        doc.char_span(Span(2, 4, "Disease"))


def test_token_span_takes_every_overlapping_token():
    doc = SpanDoc.from_tokens(["copper", "toxicosis", "."])
    assert doc.token_span(0, 6) == (0, 1)
    assert doc.token_span(3, 9) == (0, 2)  # partial overlaps count
    assert doc.token_span(6, 7) is None  # only the space
    assert doc.token_span(16, 18) == (2, 3)
    assert doc.token_span(5, 5) is None


def test_empty_document():
    doc = SpanDoc.from_text("   ")
    assert doc.n_tokens == 0 and doc.token_span(0, 3) is None
    assert tags_from_spans([], 0, SPACE).tolist() == [] and spans_from_tags([], SPACE) == []


def test_tags_from_spans_bio_and_io():
    spans = [Span(1, 3, "Chemical"), Span(3, 4, "Disease")]
    assert tags_from_spans(spans, 5, SPACE).tolist() == [0, 1, 2, 3, 0]
    assert tags_from_spans(spans, 5, SPACE).dtype == np.int16
    io = SpanSpace(["Chemical", "Disease"], scheme="IO")
    assert tags_from_spans(spans, 5, io).tolist() == [0, 1, 1, 2, 0]


def test_overlaps_longest_wins_then_first():
    tags = tags_from_spans([Span(0, 2, "Chemical"), Span(1, 4, "Disease"), Span(3, 5, "Chemical")], 6, SPACE)
    assert tags.tolist() == [0, 3, 4, 4, 0, 0]  # the 3-token span wins; both shorter ones overlap it
    tags = tags_from_spans([Span(0, 2, "Disease"), Span(1, 3, "Chemical")], 3, SPACE)
    assert spans_from_tags(tags, SPACE) == [Span(0, 2, "Disease")]  # same length: the first listed


def test_tags_from_spans_rejects_bad_spans():
    with pytest.raises(DataError, match="3 tokens"):
        tags_from_spans([Span(2, 4, "Chemical")], 3, SPACE)
    with pytest.raises(DataError):
        tags_from_spans([Span(2, 2, "Chemical")], 3, SPACE)
    with pytest.raises(LabelSpaceError, match="Gene"):
        tags_from_spans([Span(0, 1, "Gene")], 3, SPACE)


def test_spans_from_tags_repairs_bio():
    # O I-C I-C | B-D I-D | I-C (after D) | B-C B-C | I-D at the end
    tags = [0, 2, 2, 3, 4, 2, 1, 1, 4]
    assert spans_from_tags(tags, SPACE) == [
        Span(1, 3, "Chemical"), Span(3, 5, "Disease"), Span(5, 6, "Chemical"), Span(6, 7, "Chemical"),
        Span(7, 8, "Chemical"), Span(8, 9, "Disease")]
    assert spans_from_tags([-1, 1, -1, 2], SPACE) == [Span(1, 2, "Chemical"), Span(3, 4, "Chemical")]
    with pytest.raises(LabelSpaceError):
        spans_from_tags([0, 7], SPACE)


def test_round_trip_of_non_overlapping_spans():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        cuts = np.sort(rng.choice(np.arange(n + 1), size=min(n + 1, 8), replace=False))
        spans = [Span(int(a), int(b), str(rng.choice(SPACE.types))) for a, b in zip(cuts[:-1:2], cuts[1::2])]
        assert spans_from_tags(tags_from_spans(spans, n, SPACE), SPACE) == spans


def test_span_rows_from_votes_match_each_column_decoded_alone():
    from weaksup.spans.tags import span_arrays_from_tags, span_rows_from_votes

    rng = np.random.default_rng(3)
    offsets = np.r_[0, np.cumsum(rng.integers(0, 12, size=40))]
    values = rng.integers(-1, SPACE.n_tags, size=(int(offsets[-1]), 4))
    doc, lf, start, end, types = span_rows_from_votes(values, offsets, SPACE)
    for j in range(4):
        s, e, t = span_arrays_from_tags(np.where(values[:, j] < 0, 0, values[:, j]), offsets, SPACE)
        mine = lf == j
        assert (offsets[doc[mine]] + start[mine]).tolist() == s.tolist()
        assert (offsets[doc[mine]] + end[mine]).tolist() == e.tolist() and types[mine].tolist() == t.tolist()
    assert all(0 <= a < b <= offsets[d + 1] - offsets[d] for d, a, b in zip(doc, start, end))
