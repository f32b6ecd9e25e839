"""The span LF kinds on hand-made documents: matches, alignment, case, overlaps, versions, batch = one by one."""

from __future__ import annotations

import pickle
import re

import pytest

from weaksup.errors import ConfigError, LFDefinitionError
from weaksup.registry import Registry
from weaksup.spans import (
    Span,
    SpanDoc,
    gazetteer_lf,
    is_span_lf,
    span_labeling_function,
    span_model_lf,
    span_regex_lf,
    token_pattern_lf,
)

DOCS = [SpanDoc.from_text(t) for t in [
    "Congestive heart failure and heart pain after Lithium carbonate .",
    "",
    "heart",
    "failure of the heart failure clinic ; lithium",
    "aspirin-induced asthma and hepatitis B in LITHIUM users",
]]


def test_gazetteer_longest_leftmost_match_without_overlaps():
    lf = gazetteer_lf("dis", ["heart", "heart failure", "congestive heart failure", "failure of"], label="Disease")
    assert lf(DOCS[0]) == [Span(0, 3, "Disease"), Span(4, 5, "Disease")]
    # leftmost wins over a longer match starting inside it: "failure of" then "heart failure" from token 3
    assert lf(DOCS[3]) == [Span(0, 2, "Disease"), Span(3, 5, "Disease")]
    two = gazetteer_lf("ab", ["a b", "b c d"], label="X")
    assert two("a b c d") == [Span(0, 2, "X")]  # no overlapping second match


def test_gazetteer_case_options_and_types():
    terms = {"Lithium carbonate": "Chemical", "lithium": "Chemical", "heart failure": "Disease"}
    lower = gazetteer_lf("g", terms)
    exact = gazetteer_lf("g", terms, case="exact")
    assert lower(DOCS[0]) == [Span(1, 3, "Disease"), Span(7, 9, "Chemical")]
    assert exact(DOCS[0]) == [Span(1, 3, "Disease"), Span(7, 9, "Chemical")]
    assert lower(DOCS[4]) == [Span(6, 7, "Chemical")] and exact(DOCS[4]) == []
    assert exact("lithium carbonate") == [Span(0, 1, "Chemical")]  # "carbonate" alone is no term
    assert lower.span_labels == ("Chemical", "Disease") and lower.manifest()["labels"] == ["Chemical", "Disease"]
    with pytest.raises(LFDefinitionError, match="listed as 'Chemical' and as 'Disease'"):
        gazetteer_lf("g", {"Lead": "Chemical", "lead": "Disease"})
    assert len(gazetteer_lf("g", {"Lead": "Chemical", "lead": "Disease"}, case="exact").terms) == 2
    with pytest.raises(LFDefinitionError, match="case must be"):
        gazetteer_lf("g", ["a"], label="X", case="upper")
    with pytest.raises(LFDefinitionError, match="label="):
        gazetteer_lf("g", ["a"])


def test_gazetteer_terms_tokenized_like_the_documents():
    doc = SpanDoc.from_text("Parkinson's disease (PD)", tokenizer="regex")
    lf = gazetteer_lf("pd", ["Parkinson's disease", "PD"], label="Disease", tokenizer="regex")
    assert lf(doc) == [Span(0, 4, "Disease"), Span(5, 6, "Disease")]
    assert gazetteer_lf("pd", ["Parkinson's disease"], label="Disease")(doc) == []  # whitespace terms: no match


def test_gazetteer_batch_equals_one_by_one_and_never_crosses_documents():
    lf = gazetteer_lf("dis", ["heart failure", "lithium", "heart", "users"], label="Disease")
    assert lf.spans_batch(DOCS) == [lf.spans(d) for d in DOCS]
    cross = [SpanDoc.from_text("my heart"), SpanDoc.from_text("failure here")]
    assert gazetteer_lf("hf", ["heart failure"], label="D").spans_batch(cross) == [[], []]


def test_gazetteer_term_files_and_versions(tmp_path):
    txt = tmp_path / "drugs.txt"
    txt.write_text("# a comment\nlithium\n\nheart failure\n")
    csv = tmp_path / "terms.csv"
    csv.write_text("term,label\nlithium,Chemical\nheart failure,Disease\n")
    from_txt = gazetteer_lf("g", txt, label="Chemical")
    from_csv = gazetteer_lf("g", csv)
    assert from_txt(DOCS[0]) == [Span(1, 3, "Chemical"), Span(7, 8, "Chemical")]
    assert from_csv(DOCS[0]) == [Span(1, 3, "Disease"), Span(7, 8, "Chemical")]
    same = gazetteer_lf("g", ["heart failure", "lithium"], label="Chemical")
    assert gazetteer_lf("g", ["lithium", "heart failure"], label="Chemical").version == same.version
    assert gazetteer_lf("g", ["lithium", "heart failure", "x"], label="Chemical").version != same.version
    assert gazetteer_lf("g", ["lithium", "heart failure"], label="Chemical", case="exact").version != same.version
    with pytest.raises(LFDefinitionError, match="does not exist"):
        gazetteer_lf("g", tmp_path / "nope.txt", label="X")
    bad = tmp_path / "bad.csv"
    bad.write_text("word,type\na,X\n")
    with pytest.raises(LFDefinitionError, match="'term'"):
        gazetteer_lf("g", bad)


def test_regex_alignment_of_matches_ending_mid_token():
    doc = SpanDoc.from_text("dopamine-induced tremor ; nephrotoxicity")
    assert span_regex_lf("a", r"dopamine", label="C")(doc) == [Span(0, 1, "C")]  # expand: the whole token
    assert span_regex_lf("a", r"dopamine", label="C", align="contract")(doc) == []
    assert span_regex_lf("a", r"dopamine", label="C", align="strict")(doc) == []
    assert span_regex_lf("a", r"\S+induced tremor", label="C", align="strict")(doc) == [Span(0, 2, "C")]
    assert span_regex_lf("a", r"induced tremor ;", label="C", align="contract")(doc) == [Span(1, 3, "C")]
    assert span_regex_lf("a", r"toxicity", label="D")(doc) == [Span(3, 4, "D")]
    assert span_regex_lf("a", r" ; ", label="D", align="contract")(doc) == [Span(2, 3, "D")]
    assert span_regex_lf("a", r"  ", label="D")(SpanDoc.from_text("a  b")) == []  # only whitespace: no token


def test_regex_case_groups_overlaps_and_versions():
    doc = DOCS[4]
    assert span_regex_lf("li", r"lithium", label="C")(doc) == []
    assert span_regex_lf("li", r"lithium", label="C", case_sensitive=False)(doc) == [Span(6, 7, "C")]
    assert span_regex_lf("g", r"(\w+)-induced (\w+)", label="D", group=2)(doc) == [Span(1, 2, "D")]
    both = span_regex_lf("o", {r"hepatitis B": "D", r"hepatitis": "D", r"\bB in": "C"})
    assert both(doc) == [Span(3, 4, "D"), Span(3, 5, "D"), Span(4, 6, "C")]  # overlapping matches all kept
    assert both.span_labels == ("D", "C")
    base = span_regex_lf("v", r"itis", label="D")
    assert span_regex_lf("v", r"itis", label="D").version == base.version
    assert span_regex_lf("v", r"osis", label="D").version != base.version
    assert span_regex_lf("v", r"itis", label="D", align="strict").version != base.version
    assert span_regex_lf("v", re.compile("itis", re.I), label="D").version != base.version
    with pytest.raises(LFDefinitionError, match="invalid pattern"):
        span_regex_lf("v", r"(", label="D")
    with pytest.raises(LFDefinitionError, match="no group 3"):
        span_regex_lf("v", r"(a)", label="D", group=3)


@pytest.mark.parametrize("pattern", [r"[^x]{5,}", r"\w+ure\b", r"^\w+", r"heart$", r"(?<=the )\w+", r"\bB\b",
                                     r"t\W"])
def test_regex_batch_over_the_joined_corpus_equals_one_by_one(pattern):
    lf = span_regex_lf("r", pattern, label="X")
    assert lf.spans_batch(DOCS) == [lf.spans(d) for d in DOCS]
    assert lf.joinable is (pattern not in (r"^\w+", r"heart$", r"(?<=the )\w+"))


def test_token_patterns_longest_first_and_overlapping():
    heart = [{"LOWER": "heart"}]
    failure = [{"LOWER": "heart"}, {"LOWER": "failure"}]
    lf = token_pattern_lf("p", [{"label": "Disease", "pattern": heart}, {"label": "Disease", "pattern": failure},
                                {"label": "Chemical", "pattern": [{"LOWER": {"REGEX": "^lith"}}]}])
    assert lf(DOCS[0]) == [Span(1, 3, "Disease"), Span(4, 5, "Disease"), Span(7, 8, "Chemical")]
    every = token_pattern_lf("p", [{"label": "Disease", "pattern": heart}, {"label": "Disease", "pattern": failure}],
                             overlapping=True)
    assert every(DOCS[0]) == [Span(1, 2, "Disease"), Span(1, 3, "Disease"), Span(4, 5, "Disease")]
    assert token_pattern_lf("q", failure, label="Disease")(DOCS[3]) == [Span(3, 5, "Disease")]
    assert lf.spans_batch(DOCS) == [lf.spans(d) for d in DOCS]
    assert lf(SpanDoc.from_text("")) == []


def test_token_pattern_phrases_checks_versions_and_pickle():
    phrases = token_pattern_lf("ph", ["lithium carbonate", "LITHIUM"], label="Chemical", phrase_attr="LOWER")
    assert phrases(DOCS[0]) == [Span(7, 9, "Chemical")] and phrases(DOCS[4]) == [Span(6, 7, "Chemical")]
    exact = token_pattern_lf("ph", ["lithium carbonate", "LITHIUM"], label="Chemical")
    assert exact(DOCS[0]) == [] and exact(DOCS[4]) == [Span(6, 7, "Chemical")]
    assert exact.version != phrases.version
    assert token_pattern_lf("ph", ["lithium"], label="Chemical").version != exact.version
    with pytest.raises(LFDefinitionError, match="blank pipeline"):
        token_pattern_lf("bad", [{"POS": "NOUN"}], label="X")
    with pytest.raises(LFDefinitionError, match="invalid pattern"):
        token_pattern_lf("bad", [{"LOWERR": "a"}], label="X")
    with pytest.raises(LFDefinitionError, match="no type"):
        token_pattern_lf("bad", [{"pattern": [{"LOWER": "a"}]}])
    back = pickle.loads(pickle.dumps(phrases))
    assert back(DOCS[4]) == [Span(6, 7, "Chemical")] and back.lf_id == phrases.lf_id


def test_span_model_with_a_spacy_pipeline_and_a_callable():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "CHEM", "pattern": "lithium"},
                                               {"label": "ORG", "pattern": "heart"}])
    lf = span_model_lf("ner", nlp, labels=["Chemical"], label_map={"CHEM": "Chemical"})
    doc = SpanDoc.from_text("heart pain after lithium-induced tremor")  # spaCy splits "lithium-induced"
    assert lf(doc) == [Span(3, 4, "Chemical")]  # the char span aligned to the document's own token
    assert lf.spans_batch([doc, DOCS[1], doc]) == [[Span(3, 4, "Chemical")], [], [Span(3, 4, "Chemical")]]
    nlp.get_pipe("entity_ruler").add_patterns([{"label": "CHEM", "pattern": "tremor"}])
    assert span_model_lf("ner", nlp, labels=["Chemical"], label_map={"CHEM": "Chemical"}).version != lf.version

    def finder(text):
        return [{"start": m.start(), "end": m.end(), "entity_group": "DIS"} for m in re.finditer("pai", text)]

    called = span_model_lf("f", finder, labels=["Disease"], label_map={"DIS": "Disease"}, align="contract")
    assert called(doc) == []  # "pai" ends mid-token: no whole token inside
    assert span_model_lf("f", finder, labels=["Disease"], label_map={"DIS": "Disease"})(doc) == [Span(1, 2, "Disease")]
    with pytest.raises(LFDefinitionError, match="not installed"):
        span_model_lf("m", "en_core_web_nonexistent", labels=["X"])
    with pytest.raises(LFDefinitionError, match="spaCy pipeline"):
        span_model_lf("m", 42, labels=["X"])


def test_generic_span_labeling_function():
    @span_labeling_function(labels=["Disease"], tags=["demo"])
    def pain(doc):
        """Tokens ending in 'pain'."""
        return [(i, i + 1, "Disease") for i, t in enumerate(doc.tokens) if t.endswith("pain")]

    assert pain(DOCS[0]) == [Span(5, 6, "Disease")] and pain.kind == "span_generic"
    assert pain.description == "Tokens ending in 'pain'." and pain.tags == ("demo",)
    assert pain.spans_batch(DOCS[:2]) == [[Span(5, 6, "Disease")], []]

    def out_of_range(doc):
        return [Span(0, doc.n_tokens + 1, "Disease")]

    with pytest.raises(LFDefinitionError, match="token offsets"):
        span_labeling_function(out_of_range, labels=["Disease"])(DOCS[2])
    other = span_labeling_function(name="other", labels=["Disease"])(lambda doc: [(0, 1, "Chemical")])
    with pytest.raises(LFDefinitionError, match="not among its labels"):
        other(DOCS[2])
    with pytest.raises(LFDefinitionError, match="explicit name"):
        span_labeling_function(labels=["X"])(lambda doc: [])

    def pain2(doc):
        return [(i, i + 1, "Disease") for i, t in enumerate(doc.tokens) if t.endswith("ache")]

    assert span_labeling_function(pain2, name="pain", labels=["Disease"]).version != pain.version
    with pytest.raises(LFDefinitionError, match="non-blank string other than 'O'"):
        span_labeling_function(pain2, labels=["O"])


def test_span_lfs_are_registry_lfs(tmp_path):
    module = tmp_path / "my_span_lfs.py"
    module.write_text(
        "from weaksup.spans import gazetteer_lf, span_regex_lf, span_labeling_function\n"
        "drugs = gazetteer_lf('drugs', ['lithium'], label='Chemical')\n"
        "itis = span_regex_lf('itis', r'\\w+itis', label='Disease')\n"
        "@span_labeling_function(labels=['Disease'])\n"
        "def pain(doc):\n"
        "    return [(i, i + 1, 'Disease') for i, t in enumerate(doc.tokens) if t == 'pain']\n"
    )
    registry = Registry.from_modules(module)
    assert [lf.name for lf in registry.lfs] == ["drugs", "itis", "pain"]
    assert all(is_span_lf(lf) for lf in registry.lfs) and not is_span_lf(len)
    assert [m["kind"] for m in registry.manifest()] == ["gazetteer", "span_regex", "span_generic"]
    assert registry["pain"].cacheable and registry["itis"]("acute hepatitis") == [Span(1, 2, "Disease")]
    with pytest.raises(LFDefinitionError, match="cannot vote in a classification run"):
        registry["drugs"].vote_batch(None)
    with pytest.raises(LFDefinitionError, match="SpanDoc or a str"):
        registry["drugs"](42)


def test_spacy_tokenizer_of_an_lf_is_used_on_strings():
    lf = gazetteer_lf("pd", ["Parkinson 's disease"], label="Disease", tokenizer="spacy")
    try:
        assert lf("Parkinson's disease") == [Span(0, 3, "Disease")]
    except ConfigError:  # pragma: no cover - spaCy missing
        pytest.skip("spaCy is not installed")


def test_token_offsets_of_any_integer_type_are_spans_and_floats_are_named():
    import numpy as np

    from weaksup.errors import LFDefinitionError
    from weaksup.spans.doc import Span, SpanDoc
    from weaksup.spans.lfs import to_span

    doc = SpanDoc.from_text("aspirin helps a lot")
    assert to_span((np.int64(0), np.int32(1), "Chemical"), doc, "lf") == Span(0, 1, "Chemical")
    with pytest.raises(LFDefinitionError, match=r"start and end must be whole numbers \(token offsets\)"):
        to_span((0.0, 1.0, "Chemical"), doc, "lf")
    with pytest.raises(LFDefinitionError, match="0 <= start < end <= 4"):
        to_span((np.int64(3), np.int64(9), "Chemical"), doc, "lf")


def test_a_span_model_returning_characters_outside_the_text_is_an_error_not_clipped():
    lf = span_model_lf("bytes", lambda text: [(0, 500, "CHEM")], labels=["Chemical"], label_map={"CHEM": "Chemical"})
    with pytest.raises(LFDefinitionError, match=r"returned the characters 0\.\.500 on a text of 13 characters"):
        lf("aspirin helps")
    negative = span_model_lf("neg", lambda text: [(-5, 3, "CHEM")], labels=["Chemical"], label_map={"CHEM": "Chemical"})
    with pytest.raises(LFDefinitionError, match="character offsets into the text"):
        negative("aspirin helps")
