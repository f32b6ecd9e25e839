"""Preprocessor chains (``weaksup.lf.chains``): which rows LFs share, checked row by row against Snorkel's applier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier
from snorkel.labeling import labeling_function as snorkel_labeling_function
from snorkel.preprocess import preprocessor as snorkel_preprocessor

from weaksup import apply_lfs
from weaksup.lf import preprocessor
from weaksup.lf.batch import Batch
from weaksup.lf.chains import chain_rows, shared_chain_rows

pytestmark = pytest.mark.snorkel

TEXTS = pd.DataFrame({"text": ["check this out", "nice song", "check check", "free gift card", "nice song"]})


def snorkel_votes(lfs, frame):
    return PandasLFApplier(lfs).apply(frame, progress_bar=False)


def preprocessors():
    """Fresh Snorkel preprocessors (a memoised one keeps its cache on the object, across appliers)."""

    @snorkel_preprocessor()
    def lower(x):
        x.text = x.text.lower()
        return x

    @snorkel_preprocessor(memoize=True)
    def upper_memo(x):
        x.text = x.text.upper()
        return x

    @snorkel_preprocessor()
    def tokens(x):
        x.words = x.text.split()
        return x

    @snorkel_preprocessor(memoize=True)
    def tokens_memo(x):
        x.words = x.text.split()
        return x

    return {"lower": lower, "upper_memo": upper_memo, "tokens": tokens, "tokens_memo": tokens_memo}


def mutating_pair(pre):
    """An LF that changes its row (drops the first word) and one reading the first word."""

    @snorkel_labeling_function(pre=pre)
    def drops_first(x):
        x.words.pop(0)
        return 0 if len(x.words) < 2 else -1

    @snorkel_labeling_function(pre=pre)
    def starts_with_check(x):
        return 1 if x.words and x.words[0].lower() == "check" else -1

    return [drops_first, starts_with_check]


def test_the_walkthrough_repro_votes_as_snorkel_in_either_lf_order():
    df = TEXTS.head(3)
    lfs = mutating_pair([preprocessors()["tokens"]])
    expected = snorkel_votes(lfs, df)
    assert expected.tolist() == [[-1, 1], [0, -1], [0, 1]]  # starts_with_check sees its own, whole row
    assert apply_lfs(lfs, df).values.tolist() == expected.tolist()
    assert apply_lfs(lfs[::-1], df).values.tolist() == expected[:, ::-1].tolist()  # votes do not hang on LF order


@pytest.mark.parametrize("chain", [["tokens"], ["lower", "tokens"], ["upper_memo", "tokens"], ["tokens_memo"],
                                   ["lower", "tokens_memo"], ["upper_memo", "tokens_memo"]])
def test_a_chain_is_shared_exactly_when_snorkel_shares_it(chain):
    # Snorkel hands every LF the same row when the chain's last step is memoised (its memo returns the row it made
    # for an equal input), and a fresh copy per LF otherwise: an LF changing its row shows which
    def make():
        steps = preprocessors()
        return mutating_pair([steps[name] for name in chain])

    expected = snorkel_votes(make(), TEXTS)
    got = apply_lfs(make(), TEXTS).values
    np.testing.assert_array_equal(got, expected)
    shared = chain[-1].endswith("_memo")
    assert bool(expected[0, 1] == -1) is shared  # the memoised rows lost "check" to drops_first; fresh ones kept it


def test_steps_before_the_last_still_run_once_per_row():
    calls = {"first": 0, "last": 0}

    @snorkel_preprocessor()
    def first(x):
        calls["first"] += 1
        x.text = x.text.lower()
        return x

    @snorkel_preprocessor()
    def last(x):
        calls["last"] += 1
        x.words = x.text.split()
        return x

    lfs = mutating_pair([first, last])
    votes = apply_lfs(lfs, TEXTS).values
    assert calls == {"first": len(TEXTS), "last": 2 * len(TEXTS)}  # the last step once per LF, as in Snorkel
    calls.update(first=0, last=0)
    np.testing.assert_array_equal(votes, snorkel_votes(lfs, TEXTS))
    assert calls == {"first": 2 * len(TEXTS), "last": 2 * len(TEXTS)}


def test_memoised_and_native_chains_are_shared_and_unmemoised_snorkel_ones_are_not():
    steps = preprocessors()
    batch = Batch(TEXTS)
    assert chain_rows(batch, (steps["tokens_memo"],), "series") is chain_rows(batch, (steps["tokens_memo"],), "series")
    fresh = [chain_rows(batch, (steps["lower"], steps["tokens"]), "series") for _ in range(2)]
    assert fresh[0] is not fresh[1] and all(a is not b for a, b in zip(*fresh))
    assert [row.words for row in fresh[0]] == [row.words for row in fresh[1]] == [t.split() for t in TEXTS["text"]]
    # the prefix they read is computed once (each step works on a copy of it)
    assert shared_chain_rows(batch, (steps["lower"],), "series") is shared_chain_rows(batch, (steps["lower"],),
                                                                                       "series")

    @preprocessor
    def words(x):
        x.words = x.text.split()
        return x

    assert chain_rows(batch, (words,), "native") is chain_rows(batch, (words,), "native")  # weaksup's own: shared


def test_nlp_labeling_functions_share_their_memoised_docs():
    from snorkel.labeling.lf.nlp import nlp_labeling_function
    from snorkel.preprocess.nlp import SpacyPreprocessor

    import labeling_functions.snorkel_spam as spam  # Snorkel takes one spaCy configuration per process: its own

    @nlp_labeling_function(text_field="text", doc_field="doc", language=spam.spam_pipeline())
    def first_token_check(x):
        x.doc = None  # changes the row all nlp LFs share in Snorkel (its memo hands them one object)
        return -1

    @nlp_labeling_function(text_field="text", doc_field="doc", language=spam.spam_pipeline())
    def short_doc(x):
        return 0 if x.doc is not None and len(x.doc) < 3 else -1

    pre = short_doc._pre[0]
    assert isinstance(pre, SpacyPreprocessor) and pre.memoize  # Snorkel memoises nlp_labeling_function's parser
    batch = Batch(TEXTS)
    rows = chain_rows(batch, (pre,), "series")
    assert rows is chain_rows(batch, (first_token_check._pre[0],), "series")  # one Doc per text, for every nlp LF
    # distinct texts: Snorkel goes row by row and weaksup LF by LF, so a change to a memoised row would reach a
    # later row of equal content at different times
    distinct = TEXTS.drop_duplicates()
    for lfs, short in (([spam.nlp_mentions_the_music, first_token_check, short_doc], [-1, -1, -1, -1]),
                       ([spam.nlp_mentions_the_music, short_doc], [-1, 0, 0, -1])):
        pre.reset_cache()
        expected = snorkel_votes(lfs, distinct)
        assert expected[:, -1].tolist() == short  # short_doc reads the row first_token_check changed, if it ran
        np.testing.assert_array_equal(apply_lfs(lfs, distinct).values, expected)
    pre.reset_cache()  # the module's nlp LF shares this preprocessor: leave no changed rows in its memo
