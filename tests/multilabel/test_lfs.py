"""Multi-label LF kinds: keyword / regex / wrapped classification LFs and the generic decorator."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

from weaksup.errors import LFDefinitionError
from weaksup.lf import keyword_lf, threshold_lf
from weaksup.multilabel.lfs import (
    MAX_FUNCTION_LABELS,
    MultiLabelLF,
    multilabel_keyword_lf,
    multilabel_labeling_function,
    multilabel_lf,
    multilabel_regex_lf,
)


@multilabel_labeling_function(labels=["curiosity", "confusion", "neutral"], fields=["text"])
def question(x):
    "A question: curious (confused when it says 'what'), not neutral."
    if "?" not in x.text:
        return None
    if "what" in x.text.lower():
        return {"confusion": True, "neutral": False}
    return ["curiosity"]


def test_keyword_says_yes_and_no():
    lf = multilabel_keyword_lf("kw_thanks", ["thanks", "thank you"], "gratitude", no=["anger", "neutral"])
    assert lf({"text": "Thank you so much"}) == {"gratitude": True, "anger": False, "neutral": False}
    assert lf({"text": "thanksgiving dinner"}) == {}  # word boundaries, as the classification kind
    assert lf.vote_labels == ("gratitude", "anger", "neutral") and lf.kind == "multilabel_keyword"
    only_no = multilabel_keyword_lf("kw_lol_not_anger", ["lol", "haha"], ["anger", "annoyance"], no=True)
    assert only_no({"text": "haha ok"}) == {"anger": False, "annoyance": False}
    assert only_no.yes == () and only_no.no == ("anger", "annoyance")


def test_regex_kind_and_its_vectorised_inner_lf():
    lf = multilabel_regex_lf("rx_q", r"\?\s*$", ["curiosity"], flags=re.IGNORECASE)
    assert lf({"text": "why?  "}) == {"curiosity": True} and lf({"text": "ok"}) == {}
    assert lf.vectorised and lf.thread_safe and lf.inner.kind == "regex" and lf.fields == ("text",)
    assert [p.pattern for p in lf.patterns] == [r"\?\s*$"]


def test_versions_follow_the_definition():
    a = multilabel_keyword_lf("kw", ["love"], "love")
    assert a.version == multilabel_keyword_lf("kw", ["love"], "love").version
    assert a.lf_id == f"kw@{a.version}"
    assert a.version != multilabel_keyword_lf("kw", ["love", "adore"], "love").version  # keywords
    assert a.version != multilabel_keyword_lf("kw", ["love"], "joy").version  # the label
    assert a.version != multilabel_keyword_lf("kw", ["love"], "love", no=True).version  # yes -> no
    assert a.version != multilabel_keyword_lf("kw", ["love"], "love", no=["anger"]).version
    pinned = multilabel_keyword_lf("kw", ["love"], "love", version="v1")
    assert pinned.lf_id == "kw@v1" and pinned.explicit_version


def test_generic_function_returns_sets_dicts_or_none():
    assert question({"text": "why not?"}) == {"curiosity": True}
    assert question({"text": "what is this?"}) == {"confusion": True, "neutral": False}
    assert question({"text": "ok"}) == {}
    assert question.kind == "multilabel_generic" and question.vote_labels == ("curiosity", "confusion", "neutral")
    assert question.description.startswith("A question")
    one = multilabel_labeling_function(lambda x: "joy", labels=["joy"], name="always_joy")
    assert one({"text": ""}) == {"joy": True}


def test_generic_versions_hash_the_source():
    def f(x):
        return {"joy"}

    def g(x):
        return {"joy"} if x.text else None

    a = multilabel_labeling_function(f, labels=["joy"], name="same")
    b = multilabel_labeling_function(g, labels=["joy"], name="same")
    c = multilabel_labeling_function(f, labels=["joy", "love"], name="same")
    assert len({a.version, b.version, c.version}) == 3
    assert a.version == multilabel_labeling_function(f, labels=["joy"], name="same").version


@pytest.mark.parametrize(("result", "message"), [
    ({"jooy"}, "returned label 'jooy', which is not one of its labels"),
    ({"joy": "yes"}, "values must be True (yes) or False (no)"),
    (3, "returned 3 (int); a multi-label LF returns a set or list"),
])
def test_generic_bad_results_name_the_lf_and_the_label(result, message):
    lf = multilabel_labeling_function(lambda x: result, labels=["joy", "love"], name="bad_lf")
    with pytest.raises(LFDefinitionError, match=re.escape(message)) as info:
        lf({"text": "x"})
    assert "'bad_lf'" in str(info.value)


def test_definition_errors():
    with pytest.raises(LFDefinitionError, match="both in label= \\(yes\\) and no="):
        multilabel_keyword_lf("kw", "x", ["joy"], no=["joy"])
    with pytest.raises(LFDefinitionError, match="label must be a label name"):
        multilabel_keyword_lf("kw", "x", [])
    with pytest.raises(LFDefinitionError, match="label must be a label name"):
        multilabel_regex_lf("rx", "x", 3)
    with pytest.raises(LFDefinitionError, match=f"at most {MAX_FUNCTION_LABELS}"):
        multilabel_labeling_function(lambda x: None, labels=[f"l{i}" for i in range(32)], name="wide")
    with pytest.raises(LFDefinitionError, match="unexpected keyword"):
        multilabel_labeling_function(labels=["a"], lable="b")
    with pytest.raises(LFDefinitionError, match="pass the name as a keyword"):
        multilabel_labeling_function("name", labels=["a"])
    with pytest.raises(LFDefinitionError, match="already a multi-label LF"):
        multilabel_lf(question, "joy")
    with pytest.raises(LFDefinitionError, match="needs a labeling function"):
        multilabel_lf("kw", "joy")


def test_wrapping_a_classification_lf():
    short = threshold_lf("short", "n_words < 3", label=0)
    lf = multilabel_lf(short, "neutral", name="short_is_neutral")
    assert lf({"n_words": 2}) == {"neutral": True} and lf({"n_words": 9}) == {}
    assert lf.inner is short and lf.name == "short_is_neutral" and lf.kind == "multilabel_wrap"
    no = multilabel_lf(keyword_lf("kw_lol", "lol", 1), ["anger"], no=True)
    assert no({"text": "lol"}) == {"anger": False} and no.name == "kw_lol"


def test_immutable_picklable_and_described():
    lf = multilabel_keyword_lf("kw_sorry", ["sorry"], "remorse")
    with pytest.raises(AttributeError, match="immutable"):
        lf.vote_labels = ("joy",)
    back = pickle.loads(pickle.dumps(lf))
    assert back.lf_id == lf.lf_id and back({"text": "so sorry"}) == {"remorse": True}
    again = pickle.loads(pickle.dumps(question))
    assert again is question  # a module-level decorated LF pickles by reference
    manifest = lf.manifest()
    assert manifest["labels"] == ["remorse"] and manifest["yes"] == ["remorse"] and manifest["inner_kind"] == "keyword"
    assert isinstance(lf, MultiLabelLF)


def test_decode_is_vectorised_for_packed_votes():
    codes = np.array([question.inner({"text": t}) for t in ["why?", "what?", "fine"]])
    assert question.decode(codes).tolist() == [[1, -1, -1], [-1, 1, 0], [-1, -1, -1]]
