"""Native preprocessors: ``@labeling_function(pre=[...])``, computed once per row per chain, vectorised, versioned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import apply_lfs
from weaksup.errors import LFApplyError, LFDefinitionError
from weaksup.lf import Preprocessor, Row, labeling_function, preprocessor

CALLS = {"words": 0, "batches": 0}


@preprocessor
def words(x):
    CALLS["words"] += 1
    x.words = x.text.lower().split()
    return x


@preprocessor(vectorized=True)
def lengths(frame):
    CALLS["batches"] += 1
    return {"n_chars": frame["text"].str.len(), "n_words": frame["text"].str.split().str.len()}


def word_lf(word, label):
    @labeling_function(name=f"has_{word}", pre=[words], resources={"word": word, "label": label})
    def has(x, word, label):
        return label if word in x.words else -1

    return has


FIVE = [word_lf(w, lab) for w, lab in [("subscribe", 1), ("check", 1), ("song", 0), ("love", 0), ("channel", 1)]]


@pytest.fixture
def texts():
    return pd.DataFrame({"text": ["Subscribe to my channel", "love this song", "check it out", "wow", "song song"]})


def test_a_preprocessor_shared_by_five_lfs_runs_once_per_row(texts):
    CALLS["words"] = 0
    votes = apply_lfs(FIVE, texts)
    assert CALLS["words"] == len(texts)  # not 5 x len(texts), as Snorkel would
    assert votes.values.tolist() == [[1, -1, -1, -1, 1], [-1, -1, 0, 0, -1], [-1, 1, -1, -1, -1],
                                     [-1, -1, -1, -1, -1], [-1, -1, 0, -1, -1]]
    CALLS["words"] = 0
    assert [lf(texts.iloc[0].to_dict()) for lf in FIVE] == votes.values[0].tolist()  # row-at-a-time calls agree
    assert CALLS["words"] == 5
    CALLS["words"] = 0
    apply_lfs(FIVE, pd.concat([texts] * 3, ignore_index=True), chunk_rows=4)
    assert CALLS["words"] == 15  # once per row across batches too


def test_memoize_runs_once_per_distinct_row():
    seen = []

    @preprocessor(memoize=True)
    def tagged(x):
        seen.append(x.text)
        x.tag = x.text[:1]
        return x

    @labeling_function(pre=[tagged])
    def starts_with_s(x):
        return 1 if x.tag == "s" else -1

    @labeling_function(pre=[tagged, words])  # a longer chain shares its first step
    def two_words(x):
        return 0 if len(x.words) == 2 and x.tag else -1

    frame = pd.DataFrame({"text": ["sub now", "hi", "sub now", "hi", "so good"] * 2})
    votes = apply_lfs([starts_with_s, two_words], frame)
    assert sorted(seen) == ["hi", "so good", "sub now"]
    assert votes.values[:5].tolist() == [[1, 0], [-1, -1], [1, 0], [-1, -1], [1, 0]]


def test_a_vectorised_preprocessor_runs_once_per_batch(texts):
    @labeling_function(pre=[lengths])
    def short(x):
        return 0 if x.n_words < 3 else -1

    @labeling_function(pre=[lengths])
    def long_text(x):
        return 1 if x.n_chars > 20 else -1

    CALLS["batches"] = 0
    frame = pd.concat([texts] * 4, ignore_index=True)
    votes = apply_lfs([short, long_text], frame, chunk_rows=8)
    assert CALLS["batches"] == 3  # 20 rows in batches of 8, shared by both LFs
    assert votes.values[:5].tolist() == [[-1, 1], [-1, -1], [-1, -1], [0, -1], [0, -1]]
    assert short({"text": "so good"}) == 0  # one row: a one-row frame


def test_preprocessors_are_part_of_the_version():
    def build(factor):
        @preprocessor
        def score(x):
            x.score = len(x.text) * factor
            return x

        @labeling_function(name="scored", pre=[score])
        def scored(x):
            return 1 if x.score > 10 else -1

        return scored

    assert build(1).version == build(1).version != build(2).version
    plain = labeling_function(name="scored")(lambda x: 1 if x.score > 10 else -1)
    assert build(1).version != plain.version and build(1).params["pre"] == ["score"]


def test_a_failing_or_none_returning_preprocessor_faults_every_lf_using_it():
    @preprocessor
    def picky(x):
        if "?" in x.text:
            raise ValueError("no questions")
        return None if x.text == "none" else x

    @labeling_function(pre=[picky])
    def one(x):
        return 1

    @labeling_function(pre=[picky])
    def two(x):
        return 0

    frame = pd.DataFrame({"text": ["ok", "why?", "none", "fine"]})
    votes = apply_lfs([one, two], frame, fault_tolerant=True)
    assert votes.values.tolist() == [[1, 0], [-1, -1], [-1, -1], [1, 0]]
    assert votes.faults == {"one": 2, "two": 2}
    with pytest.raises(LFApplyError, match=r"'one'.*its preprocessor raised ValueError: no questions on row id 1"):
        apply_lfs([one], frame)


def test_snorkel_preprocessors_work_in_native_lfs():
    from snorkel.preprocess import preprocessor as snorkel_preprocessor

    @snorkel_preprocessor(memoize=True)
    def upper(x):
        x.upper = x.text.upper()
        return x

    @labeling_function(pre=[upper])
    def shouts(x):
        return 1 if x.upper == x.text else -1

    assert apply_lfs([shouts], pd.DataFrame({"text": ["HI", "hi"]})).values[:, 0].tolist() == [1, -1]
    assert shouts({"text": "HEY"}) == 1


def test_bad_preprocessors_are_refused_and_rows_take_new_fields():
    with pytest.raises(LFDefinitionError, match=r"LF 'bad': pre=\[...\] takes preprocessors.*got builtin_function"):
        labeling_function(name="bad", pre=[len])(lambda x: 1)
    with pytest.raises(LFDefinitionError, match="needs a callable"):
        Preprocessor("not callable")  # type: ignore[arg-type]
    row = Row(text="a")
    row.polarity = 0.5
    assert row["polarity"] == 0.5 and row.polarity == 0.5
    del row.polarity
    assert "polarity" not in row
    assert np.array_equal(apply_lfs(FIVE[:1], pd.DataFrame({"text": []}, dtype=str)).values.shape, (0, 1))


def _three_words(x):
    return 1 if len(x.words) >= 3 else -1


def test_export_refuses_to_drop_preprocessors():
    wrapped = labeling_function(name="three_words", pre=[words])(_three_words)
    with pytest.raises(LFDefinitionError, match=r"'three_words'.*has preprocessors.*@labeling_function\(pre=\[...\]\)"):
        wrapped.to_source()
