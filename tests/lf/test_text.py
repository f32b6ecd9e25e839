"""Keyword and regex LFs: semantics, and vectorised votes equal to row-wise votes."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weaksup import ABSTAIN, apply_lfs, keyword_lf, regex_lf
from weaksup.errors import LFDefinitionError
from weaksup.lf.batch import Batch

# Texts mixing ASCII words, keywords, and the characters on which RE2 and Python differ.
TRICKY = ["İ", "ı", "ſ", "K", "é", "ß", "٣", "\u00a0", "\x0b", "\x1c", "\n", "\ufeff", "😀", "_", "$", "Σ"]
WORDS = ["sub", "subscribe", "Subscribe", "check", "out", "my", "channel", "http://x.com", "free", "kis", "ok"]
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(TRICKY), st.text(max_size=3)), max_size=8).map(
    lambda parts: "".join(p + (" " if i % 2 else "") for i, p in enumerate(parts))
)
columns = st.lists(st.one_of(texts, st.none()), min_size=1, max_size=30)

LFS = [
    keyword_lf("kw_any", ["subscribe", "sub", "kis"], 1),
    keyword_lf("kw_all", ["my", "channel"], 1, mode="all"),
    keyword_lf("kw_substring", ["ub", "$"], 1, word_boundary=False),
    keyword_lf("kw_case", ["Subscribe"], 1, case_sensitive=True),
    regex_lf("re_check", r"check.*out", 1, flags=re.IGNORECASE),
    regex_lf("re_word", r"\bsub\w*\b", 0),
    regex_lf("re_digits_space", r"\d\s*\S", 0),
    regex_lf("re_dollar", r"out$", 1),
    regex_lf("re_lookaround", r"(?<!my )channel", 1),  # Python fallback
    regex_lf("re_multiline", r"^out", 1, flags=re.MULTILINE),
]


def _rowwise(lf, values):
    return np.array([lf({"text": v}) for v in values])


def shared_literals(lfs):
    """What apply_lfs hands a Batch: every LF's prefilter literals, for one shared pass."""
    needs = {}
    for lf in lfs:
        for field, lowered, words in lf.literal_needs():
            needs.setdefault((field, lowered), set()).update(words)
    return needs


@settings(max_examples=150, deadline=None)
@given(columns, st.booleans())
def test_vectorised_equals_rowwise_on_any_text(values, shared):
    batch = Batch(pd.DataFrame({"text": pd.Series(values, dtype="str")}), shared_literals(LFS) if shared else None)
    for lf in LFS:
        got = lf.vote_batch(batch)
        want = _rowwise(lf, batch.values("text"))
        assert got.tolist() == want.tolist(), lf.name


@pytest.mark.parametrize("shared", [False, True])
def test_prefiltered_columns_agree_with_python(shared):
    # Mostly rows without any keyword, so the literal prefilter path runs, plus rows that
    # only Python's case folding matches ("ſub", "İ") and rows the guard must catch.
    tricky = ["ſub here", "SUB", "my channel", "İt is my CHANNEL", "check\nout", "out\n", "٣ million",
              "x\x0bout", "Subscribe٣", "free $", "kis", None]
    values = ["nothing to see"] * 200 + tricky
    batch = Batch(pd.DataFrame({"text": pd.Series(values, dtype="str")}), shared_literals(LFS) if shared else None)
    for lf in LFS:
        assert lf.vote_batch(batch).tolist() == _rowwise(lf, batch.values("text")).tolist(), lf.name
    assert LFS[0].vote_batch(batch)[200] == 1  # "ſub" is found by Python's folding, not by the prefilter


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_string_and_object_columns_give_the_same_votes(dtype):
    df = pd.DataFrame({"text": pd.Series(["Subscribe!", None, "check it out", "ſub"], dtype=dtype)})
    votes = apply_lfs(LFS, df)
    # Python's re.IGNORECASE folds the long s "ſ" to "s", so "ſub" is the keyword "sub"
    assert votes.column("kw_any").tolist() == [1, -1, -1, 1]
    assert votes.column("re_check").tolist() == [-1, -1, 1, -1]


def test_keyword_semantics():
    lf = keyword_lf("kw", ["sub", "check out"], 1)
    assert lf({"text": "SUB now"}) == 1
    assert lf({"text": "please Check Out"}) == 1
    assert lf({"text": "subscribe"}) == ABSTAIN  # word boundary by default
    assert lf({"text": None}) == ABSTAIN and lf({"text": 3}) == ABSTAIN
    assert keyword_lf("kw2", "sub", 1, word_boundary=False)({"text": "subscribe"}) == 1
    assert keyword_lf("kw3", "Sub", 1, case_sensitive=True)({"text": "sub"}) == ABSTAIN
    both = keyword_lf("kw4", ["my", "channel"], 1, mode="all")
    assert both({"text": "my channel"}) == 1 and both({"text": "channel"}) == ABSTAIN
    # "no word character on either side", also for keywords that start with punctuation
    assert keyword_lf("kw5", "$$$", 1)({"text": "win $$$ now"}) == 1


def test_regex_flags_and_errors():
    assert regex_lf("r", r"^hello", 1, flags=re.I | re.M)({"text": "x\nHello"}) == 1
    with pytest.raises(LFDefinitionError, match=r"'bad'.*invalid regular expression"):
        regex_lf("bad", r"(unclosed", 1)
    with pytest.raises(LFDefinitionError, match="'spam' is a class name, but no label space is known here"):
        keyword_lf("bad", "x", "spam")
    with pytest.raises(LFDefinitionError, match="mode must be"):
        keyword_lf("bad", "x", 1, mode="some")
    for keywords in (None, [], [""], 5):
        with pytest.raises(LFDefinitionError, match=r"'bad': keywords must be non-empty strings"):
            keyword_lf("bad", keywords, 1)


def test_text_lfs_pickle_and_keep_votes():
    df = pd.DataFrame({"text": ["subscribe please", "check this out", "ok"]})
    restored = [pickle.loads(pickle.dumps(lf)) for lf in LFS]
    assert apply_lfs(restored, df) == apply_lfs(LFS, df)
    assert [lf.version for lf in restored] == [lf.version for lf in LFS]


def test_version_follows_parameters():
    a = keyword_lf("kw", ["sub"], 1)
    assert keyword_lf("kw", ["sub"], 1).version == a.version
    assert keyword_lf("kw", ["sub", "subs"], 1).version != a.version
    assert keyword_lf("kw", ["sub"], 0).version != a.version
    assert keyword_lf("kw", ["sub"], 1, version="v2").lf_id == "kw@v2"


def test_regex_accepts_re_unicode_as_the_no_op_it_is():
    plain = regex_lf("r", r"\w+é", 1)
    unicode = regex_lf("r", r"\w+é", 1, flags=re.UNICODE | re.IGNORECASE)
    assert unicode.version == regex_lf("r", r"\w+é", 1, flags=re.IGNORECASE).version
    assert regex_lf("r", r"\w+é", 1, flags=re.UNICODE).version == plain.version
    assert unicode({"text": "CAFÉ"}) == 1 and "UNICODE" not in unicode.to_source().code
    with pytest.raises(LFDefinitionError, match="re.ASCII and re.UNICODE are incompatible"):
        regex_lf("r", "a", 1, flags=re.UNICODE | re.ASCII)


@pytest.mark.slow  # starts fresh interpreters
def test_keywords_given_as_a_set_have_the_same_version_in_every_process():
    import os
    import subprocess
    import sys

    code = ("from weaksup import keyword_lf\n"
            "print(keyword_lf('k', {'win', 'free', 'prize', 'claim', 'urgent', 'cash'}, 1).version)\n")
    versions = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2", "3", "4")
    }
    assert len(versions) == 1
    assert versions.pop() == keyword_lf("k", sorted({"win", "free", "prize", "claim", "urgent", "cash"}), 1).version


# Keywords and texts with the dotted capital I (whose .lower() is two code points), the sharp s, and plain ASCII.
CASE_KEYWORDS = [["İstanbul"], ["ıı"], ["İ"], ["straße"], ["STRASSE"], ["ISTANBUL"], ["hello", "İPHONE"]]
CASE_TEXTS = ["istanbul", "İstanbul", "ISTANBUL", "ıstanbul", "i\u0307stanbul", "İSTANBUL!", "x i y", "x I y", "x İ y",
              "ii", "II", "straße", "STRASSE", "strasse", "STRAẞE", "hello world", "HELLO", "my iphone", "MY IPHONE",
              "nothing", None]


@pytest.mark.parametrize("keywords", CASE_KEYWORDS)
@pytest.mark.parametrize("word_boundary", [True, False])
def test_case_insensitive_keywords_vote_alike_on_a_batch_and_on_one_row(keywords, word_boundary):
    lf = keyword_lf("kw", keywords, 1, word_boundary=word_boundary)
    values = CASE_TEXTS + ["plain ascii row"] * 200  # enough ASCII rows for the prefilter path to run
    frame = pd.DataFrame({"text": pd.Series(values, dtype="str")})
    single = [lf({"text": v}) for v in Batch(frame).values("text")]
    assert apply_lfs([lf], frame).column("kw").tolist() == single
    assert lf.vote_batch(Batch(frame, shared_literals([lf]))).tolist() == single


def test_case_insensitive_keywords_follow_re_ignorecase():
    # one rule on both paths (README, "Keywords match whole words"): each character matches its case class,
    # one code point for one, so I, i, İ and ı are one class and ß never matches "ss".
    frame = pd.DataFrame({"text": ["istanbul", "ISTANBUL", "ıstanbul", "İstanbul", "straße", "STRASSE", "STRAẞE"]})
    assert apply_lfs([keyword_lf("tr", "İstanbul", 1)], frame).column("tr").tolist() == [1, 1, 1, 1, -1, -1, -1]
    assert apply_lfs([keyword_lf("de", "straße", 1)], frame).column("de").tolist() == [-1, -1, -1, -1, 1, -1, 1]
    assert apply_lfs([keyword_lf("de", "strasse", 1)], frame).column("de").tolist() == [-1, -1, -1, -1, -1, 1, -1]
