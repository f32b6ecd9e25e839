"""The RE2 translation agrees with Python's re on every row its guard does not send to Python."""

from __future__ import annotations

import re
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from weaksup.lf._re2 import translate

# Every code point except surrogates, one per row.
CHARS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
ARRAY = pa.array(CHARS, type=pa.large_string())


def _re2(pattern: str) -> np.ndarray:
    return pc.match_substring_regex(ARRAY, pattern).to_numpy(zero_copy_only=False)


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [(r"^\w$", 0), (r"^\W$", 0), (r"^\d$", 0), (r"^\D$", 0), (r"^\s$", 0), (r"^\S$", 0),
     (r"^[a-z]$", re.IGNORECASE), (r"^[kis]$", re.IGNORECASE), (r"^[^a-z_0-9]$", re.IGNORECASE),
     (r"^\w$", re.ASCII), (r"^\s$", re.ASCII), (r"^[k]$", re.IGNORECASE | re.ASCII)],
)
def test_guard_covers_every_code_point_where_engines_differ(pattern, flags):
    t = translate(pattern, flags)
    assert t is not None and t.guard is not None
    compiled = re.compile(pattern, flags)
    python = np.fromiter((compiled.search(ch) is not None for ch in CHARS), dtype=bool, count=len(CHARS))
    differ = python != _re2(t.pattern)
    guarded = _re2(t.guard)
    assert not (differ & ~guarded).any(), [hex(ord(CHARS[i])) for i in np.flatnonzero(differ & ~guarded)[:10]]
    # the guard is not a blanket "anything non-ASCII" where it need not be
    if pattern.startswith("^[") and not flags & re.ASCII:
        assert guarded.sum() < 10


def test_dollar_before_final_newline_is_guarded():
    t = translate(r"out$")
    texts = pa.array(["check out", "check out\n", "out\nthere"], type=pa.large_string())
    re2 = pc.match_substring_regex(texts, t.pattern).to_pylist()
    python = [re.search(r"out$", s) is not None for s in texts.to_pylist()]
    guard = pc.match_substring_regex(texts, t.guard).to_pylist()
    assert python == [True, True, False]
    assert [r if not g else p for r, p, g in zip(re2, python, guard)] == python
    assert guard == [False, True, False]


@pytest.mark.parametrize("pattern", [r"(?<!no )free", r"(a)\1", r"(?>ab)c", r"a{2000}", r"a++"])
def test_untranslatable_patterns_return_none(pattern):
    assert translate(pattern) is None


def test_translation_keeps_syntax_python_and_re2_read_differently():
    # Python reads "{,3}" as {0,3}; RE2 would read it literally: translation must expand it.
    t = translate(r"^ab{,3}c$")
    assert pc.match_substring_regex(pa.array(["abbc", "ab{,3}c"]), t.pattern).to_pylist() == [True, False]


@pytest.mark.parametrize("pattern", [r"^İ$", r"^ı$", r"^[İ]$", r"^[^ı]$", r"^[Ā-Ȁ]$", r"^[^Ā-Ȁ]$", r"^[ı-ſ]$"])
def test_dotted_and_dotless_i_in_a_case_insensitive_pattern_match_ascii_i_in_both_engines(pattern):
    # Python's re.IGNORECASE puts I, i, İ and ı in one class; RE2 folds İ and ı to nothing. Non-ASCII rows
    # are guarded, but an ASCII "i" row is not: the translation itself must match it as Python does.
    t = translate(pattern, re.IGNORECASE)
    assert t is not None and t.guard is not None
    compiled = re.compile(pattern, re.IGNORECASE)
    python = np.fromiter((compiled.search(ch) is not None for ch in CHARS), dtype=bool, count=len(CHARS))
    differ = python != _re2(t.pattern)
    guarded = _re2(t.guard)
    assert not (differ & ~guarded).any(), [hex(ord(CHARS[i])) for i in np.flatnonzero(differ & ~guarded)[:10]]
