"""Embedding LF kinds: votes, margins, versions, one embedding pass per batch in apply_lfs, the real MiniLM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import apply_lfs
from weaksup.embed import (
    CallableEmbedder,
    EmbeddingCache,
    embedding_lf,
    examples_from_gold,
    knn_lf,
    normalise_text,
    text_key,
    zero_shot_lf,
)
from weaksup.data.clean import prepare
from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, LabelSpace

VOWELS = "aeiou"


class Letters:
    """A toy embedder: counts of the vowels (plus a little), counting calls and texts."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.array([[t.count(c) + 0.05 for c in VOWELS] for t in texts])


@pytest.fixture
def toy():
    letters = Letters()
    return letters, CallableEmbedder(letters, model_id="letters"), EmbeddingCache(":memory:")


EXAMPLES = {0: ["aaa", "a a a a"], 1: ["ooo", "oo o"]}


def test_embedding_lf_votes_nearest_class_and_abstains_below_margin(toy):
    _, embedder, cache = toy
    lf = embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache)
    assert (lf({"text": "aaaa"}), lf({"text": "ooooo"}), lf({"text": None})) == (0, 1, ABSTAIN)
    assert lf({"text": "ao"}) == ABSTAIN  # equally close to both classes: no lead
    wide = embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache, margin=0.8)
    assert wide({"text": "aaao"}) == ABSTAIN and lf({"text": "aaao"}) == 0
    strict = embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache, min_similarity=0.999)
    assert strict({"text": "aaao"}) == ABSTAIN and strict({"text": "aaaa"}) == 0


def test_versions_hash_model_examples_and_parameters(toy):
    _, embedder, cache = toy
    base = embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache)
    same = embedding_lf("proto", {1: ["oo o", "ooo"], 0: ["aaa", "a  a a a"]}, embedder=embedder)
    assert base.version == same.version  # order, whitespace and the cache location do not matter
    changed = [
        embedding_lf("proto", {0: ["aaa"], 1: ["ooo", "oo o"]}, embedder=embedder),
        embedding_lf("proto", EXAMPLES, embedder=embedder, margin=0.1),
        embedding_lf("proto", EXAMPLES, embedder=embedder, k=2),
        embedding_lf("proto", EXAMPLES, embedder=CallableEmbedder(Letters(), model_id="other")),
        embedding_lf("proto", EXAMPLES),  # the bundled model (not loaded to build the LF)
    ]
    assert len({base.version, *(lf.version for lf in changed)}) == 6
    zs = zero_shot_lf("zs", {0: "a", 1: "o"}, embedder=embedder)
    assert zs.version != zero_shot_lf("zs", {0: "a", 1: "o o"}, embedder=embedder).version
    assert zs.params["model"] == "letters" and base.kind == "embedding" and zs.kind == "zero_shot"


def test_a_row_never_votes_from_its_own_text(toy):
    _, embedder, cache = toy
    examples = {0: ["aaa", "ae"], 1: ["ooo"]}
    lf = embedding_lf("proto", examples, embedder=embedder, cache=cache)
    assert lf({"text": "ae"}) == 0  # nearest other example of class 0 is "aaa"...
    # ...and "ooo", class 1's only example, has only class 0 left: nothing to compare with, so it abstains
    # (it voted 0 before: class 1 scored -inf, an infinite lead for class 0)
    assert lf({"text": "ooo"}) == ABSTAIN
    keep = embedding_lf("proto", examples, embedder=embedder, cache=cache, exclude_identical=False)
    assert keep({"text": "ooo"}) == 1


def letters_ab(texts):
    return [[t.count(c) + 0.1 for c in "ab"] for t in texts]


@pytest.mark.parametrize("make", [
    lambda: embedding_lf("proto", {0: ["aaa"], 1: ["bbb"]}, embedder=letters_ab, cache=EmbeddingCache(":memory:")),
    lambda: knn_lf("knn", {0: ["aaa"], 1: ["bbb"]}, k=1, embedder=letters_ab, cache=EmbeddingCache(":memory:")),
])
def test_a_row_that_is_its_class_only_example_never_gets_the_other_class(make):
    lf = make()
    votes = apply_lfs([lf], pd.DataFrame({"text": ["aaa", "bbb", "aaaa", "bbbb"]})).values[:, 0].tolist()
    assert votes == [ABSTAIN, ABSTAIN, 0, 1]  # was [1, 0, 0, 1]: each example voted the other class


def test_with_k_2_a_class_is_scored_from_its_other_examples():
    examples = {0: ["aaa", "aab a"], 1: ["bbb", "bbab"]}
    lf = embedding_lf("proto", examples, k=2, embedder=letters_ab, cache=EmbeddingCache(":memory:"))
    rows = pd.DataFrame({"text": ["aaa", "aab a", "bbb", "bbab", "aaaa"]})
    assert apply_lfs([lf], rows).values[:, 0].tolist() == [0, 0, 1, 1, 0]  # was [1, 0, 0, 1, 0]


def test_one_class_left_votes_only_with_min_similarity():
    examples = {0: ["aaa"], 1: ["bbb", "ab"]}
    rows = pd.DataFrame({"text": ["aaa"]})
    plain = embedding_lf("proto", examples, embedder=letters_ab, cache=EmbeddingCache(":memory:"))
    assert apply_lfs([plain], rows).values[:, 0].tolist() == [ABSTAIN]
    # as an LF built from class 1's examples alone: it votes where it is similar enough, abstains elsewhere
    near = embedding_lf("near", examples, embedder=letters_ab, cache=EmbeddingCache(":memory:"), min_similarity=0.5)
    far = embedding_lf("far", examples, embedder=letters_ab, cache=EmbeddingCache(":memory:"), min_similarity=0.9)
    assert apply_lfs([near, far], rows).values[0].tolist() == [1, ABSTAIN]


def test_knn_lf_needs_a_clear_majority(toy):
    _, embedder, cache = toy
    examples = {0: ["a", "aa", "aaa", "aaaa"], 1: ["o", "oo", "ooa"]}
    lf = knn_lf("knn", examples, k=3, min_share=0.9, embedder=embedder, cache=cache)
    assert lf({"text": "aaaaa"}) == 0 and lf({"text": "ooooo"}) == 1
    loose = knn_lf("knn", examples, k=7, min_share=0.5, embedder=embedder, cache=cache)
    strict = knn_lf("knn", examples, k=7, min_share=0.9, embedder=embedder, cache=cache)
    assert loose({"text": "aaaaa"}) == 0 and strict({"text": "aaaaa"}) == ABSTAIN  # 4 of 7 neighbours


def test_zero_shot_lf_and_bad_definitions(toy):
    _, embedder, cache = toy
    lf = zero_shot_lf("zs", {"ham": "aaaa", "spam": ["oooo", "uuuu"]}, embedder=embedder, cache=cache,
                      label_space=LabelSpace(["ham", "spam"]))
    assert (lf({"text": "a a"}), lf({"text": "uu"}), lf.labels) == (0, 1, (0, 1))
    with pytest.raises(LFDefinitionError, match="at least two classes"):
        zero_shot_lf("zs", {0: "a"}, embedder=embedder)
    with pytest.raises(LFDefinitionError, match="no non-empty"):
        embedding_lf("e", {0: ["  "], 1: ["o"]}, embedder=embedder)
    with pytest.raises(LFDefinitionError, match="margin"):
        embedding_lf("e", EXAMPLES, embedder=embedder, margin=-1)
    with pytest.raises(LFDefinitionError, match=r"cache must be an EmbeddingCache.*got str"):
        embedding_lf("e", EXAMPLES, embedder=embedder, cache=":memory:")  # refused when written, not when voting


def test_apply_lfs_embeds_each_batch_once_for_every_lf(toy):
    letters, embedder, cache = toy
    lfs = [embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache),
           knn_lf("knn", EXAMPLES, k=2, min_share=1.0, embedder=embedder, cache=cache),
           zero_shot_lf("zs", {0: "a", 1: "o"}, embedder=embedder, cache=cache)]
    data = pd.DataFrame({"id": range(6), "text": ["aaaa", "oooo", "ao", None, "aaaaa a", "o o o"]})
    votes = apply_lfs(lfs, data, id_column="id", progress=False)
    assert votes.values[:, 0].tolist() == [0, 1, ABSTAIN, ABSTAIN, 0, 1]
    assert votes.values[:, 2].tolist() == [0, 1, ABSTAIN, ABSTAIN, 0, 1]
    rows_embedded = letters.texts
    apply_lfs(lfs, data, id_column="id", progress=False)
    assert letters.texts == rows_embedded  # everything came from the cache the second time
    assert letters.texts == len({"aaaa", "oooo", "ao", "", "aaaaa a", "o o o"}) + 4 + 2  # rows + examples + descriptions


def test_examples_from_gold_samples_per_class():
    texts = [f"t{i}" for i in range(10)]
    y = np.array([0, 0, 0, 0, 1, 1, 1, -1, -1, 0])
    full = examples_from_gold(texts, y)
    assert full == {0: ["t0", "t1", "t2", "t3", "t9"], 1: ["t4", "t5", "t6"]}
    sample = examples_from_gold(texts, y, per_class=2, seed=1)
    assert [len(v) for v in sample.values()] == [2, 2] and set(sample[0]) <= set(full[0])


@pytest.mark.slow
def test_real_minilm_lfs_on_youtube_slice(youtube):
    """The bundled model: prototypes from 40 dev comments label 150 other gold comments well above chance."""
    gold = youtube[youtube["split"].isin(["dev", "test"])].reset_index(drop=True)
    y = (gold["label"] == "spam").astype(int).to_numpy()
    dev = np.flatnonzero(gold["split"] == "dev")[:40]
    other = np.flatnonzero(gold["split"] == "test")[:150]
    cache = EmbeddingCache(":memory:")
    examples = examples_from_gold(gold["text"].to_numpy()[dev], y[dev])
    proto = embedding_lf("proto", examples, k=3, margin=0.02, cache=cache)
    zs = zero_shot_lf("zs", {0: "a comment about the song or the video", 1: "subscribe to my channel, visit my link"},
                      cache=cache)
    votes = apply_lfs([proto, zs], gold.iloc[other], progress=False).values
    for j in range(2):
        voted = votes[:, j] != ABSTAIN
        assert voted.mean() > 0.5 and (votes[voted, j] == y[other][voted]).mean() > 0.75
    stored = cache.count()
    assert 150 < stored <= 150 + 40 + 2  # rows, examples and descriptions, each once
    apply_lfs([proto, zs], gold.iloc[other], progress=False)
    assert cache.count() == stored


def letters_module_level(texts):
    return [[t.count(c) + 0.05 for c in VOWELS] for t in texts]


def test_lfs_pickle_for_worker_processes(tmp_path):
    import pickle

    cache = EmbeddingCache(tmp_path / "e.sqlite")
    lf = embedding_lf("proto", EXAMPLES, embedder=letters_module_level, cache=cache)
    assert lf({"text": "aaaa"}) == 0
    copy = pickle.loads(pickle.dumps(lf))
    assert copy.version == lf.version and copy({"text": "aaaa"}) == 0 and copy({"text": "ooo o"}) == 1
    data = pd.DataFrame({"id": range(40), "text": ["aaaa", "oooo"] * 20})
    votes = apply_lfs([lf], data, id_column="id", progress=False, n_jobs=2, chunk_rows=10)
    assert votes.values[:, 0].tolist() == [0, 1] * 20


@pytest.mark.parametrize("make", [embedding_lf, knn_lf])
def test_examples_of_one_class_need_min_similarity(toy, make):
    _, embedder, cache = toy
    # before: no second class meant an infinite lead, so the class got a vote on every row
    with pytest.raises(LFDefinitionError, match=r"'one' \(\w+\): examples of one class only \(1\).*at least two "
                                                r"classes, or min_similarity="):
        make("one", {1: ["ooo", "oo o"]}, embedder=embedder, cache=cache)
    lf = make("one", {1: ["ooo", "oo o"]}, embedder=embedder, cache=cache, min_similarity=0.99)
    assert (lf({"text": "oooo"}), lf({"text": "aaaa"})) == (1, ABSTAIN)


NOT_TEXT = [42, True, 4.5, b"aaaa", ["aaaa"]]


def a_like(texts):  # a toy embedder reading "4" and "T" as "a": the str() of each cell above is close to class 0
    return np.array([[t.count("a") + t.count("4") + t.count("T") + 0.05, t.count("o") + 0.05] for t in texts])


def test_cells_that_are_not_strings_abstain_in_every_kind():
    # before: 42, True ... voted from their str(), while keyword, regex and spaCy LFs abstain on them
    embedder, cache = CallableEmbedder(a_like, model_id="a-like"), EmbeddingCache(":memory:")
    lfs = [embedding_lf("proto", EXAMPLES, embedder=embedder, cache=cache),
           knn_lf("knn", EXAMPLES, k=2, min_share=0.5, embedder=embedder, cache=cache),
           zero_shot_lf("zs", {0: "a", 1: "o"}, embedder=embedder, cache=cache)]
    assert [lf({"text": str(NOT_TEXT[0])}) for lf in lfs] == [0, 0, 0]  # as a string, "42" does vote
    data = pd.DataFrame({"text": pd.Series(["aaaa", *NOT_TEXT, None, np.nan, pd.NA], dtype=object)})
    votes = apply_lfs(lfs, data, progress=False).values
    assert (votes[0] == 0).all() and (votes[1:] == ABSTAIN).all()
    for lf in lfs:  # row-wise as vectorised
        assert [lf({"text": v}) for v in NOT_TEXT] == [ABSTAIN] * len(NOT_TEXT)
        assert lf.params["non_text"] == "abstain"


def test_a_cleaned_row_is_still_its_own_example():
    # `weaksup run` cleans the rows (NFKC, byte-order marks and zero-width characters dropped) before the LFs see
    # them, while examples come from the raw gold file: the row must still be recognised as its own example
    raw = ["aaa\ufeff", "a\u200baa", "bbb\ufeff", "b\u00a0bb"]  # BOM, zero-width space, no-break space (NFKC)
    examples = {0: raw[:2], 1: raw[2:]}
    rows = pd.DataFrame({"row_id": range(4), "text": raw})
    cleaned, _ = prepare(rows, duplicates=False)
    assert cleaned["text"].tolist() == ["aaa", "aaa", "bbb", "b bb"]
    for make in (lambda: embedding_lf("proto", examples, embedder=letters_ab, cache=EmbeddingCache(":memory:")),
                 lambda: knn_lf("knn", examples, k=1, embedder=letters_ab, cache=EmbeddingCache(":memory:"))):
        lf = make()
        # "aaa" is class 0's only example (both raw forms clean to it): abstain; "bbb" and "b bb" vote from each other
        for frame in (rows, cleaned):  # before: the cleaned rows voted from their own examples ([0, 0, 1, 1])
            votes = apply_lfs([lf], frame, id_column="row_id", progress=False).values[:, 0].tolist()
            assert votes == [ABSTAIN, ABSTAIN, 1, 1]
    # examples written cleaned and rows read raw (the Workbench) are recognised too
    lf = embedding_lf("proto", {0: ["aaa"], 1: ["bbb"]}, embedder=letters_ab, cache=EmbeddingCache(":memory:"))
    assert apply_lfs([lf], rows, id_column="row_id", progress=False).values[:, 0].tolist() == [ABSTAIN] * 3 + [1]


@pytest.mark.slow
def test_dev_gold_examples_vote_alike_on_raw_and_cleaned_dev_rows(youtube, tmp_path):
    """The README's prototypes from the dev gold, on the dev rows as `weaksup run` cleans them (232 of the 286 end
    in a byte-order mark): before, the cleaned rows voted from their own label (accuracy 0.996 against 0.943)."""
    dev = youtube[youtube["split"] == "dev"].reset_index(drop=True)[["row_id", "text", "label"]]
    y = (dev["label"] == "spam").astype(int).to_numpy()
    assert dev["text"].str.contains("\ufeff").sum() > 200
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    examples = examples_from_gold(dev["text"].tolist(), y)
    lfs = [embedding_lf("proto", examples, margin=0.02, cache=cache), knn_lf("knn", examples, k=5, cache=cache)]
    raw = dev[["row_id", "text"]]
    cleaned, _ = prepare(raw, duplicates=False)
    on_raw = apply_lfs(lfs, raw, id_column="row_id", progress=False).to_numpy()
    on_clean = apply_lfs(lfs, cleaned, id_column="row_id", progress=False).to_numpy()
    np.testing.assert_array_equal(on_clean, on_raw)
    distinct = {normalise_text(t) for t in raw["text"]} | {normalise_text(t) for t in cleaned["text"]}
    assert distinct == {normalise_text(t) for t in raw["text"]}  # raw and cleaned texts share their keys...
    assert len(cache.get(lfs[0].embedder.model_id, [text_key(t) for t in distinct])) == cache.count() == len(distinct)
