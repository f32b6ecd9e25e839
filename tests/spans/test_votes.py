"""SpanVotes: checks, subsets, token votes (vectorised) and the vote-matrix round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import DataError, LabelSpaceError, UnknownLFError
from weaksup.spans.doc import Span, tags_from_spans
from weaksup.spans.space import SpanSpace
from weaksup.spans.votes import SPAN_COLUMNS, SpanVotes
from weaksup.votes import VoteMatrix

SPACE = SpanSpace(["Chemical", "Disease"])


def _votes(rows, n_tokens=(4, 3, 0), lfs=("dict@1", "regex@2"), **kw):
    frame = pd.DataFrame(rows, columns=list(SPAN_COLUMNS))
    return SpanVotes(list(n_tokens), list(lfs), kw.pop("space", SPACE), frame, kw.pop("row_ids", ["a", "b", "c"]),
                     **kw)


ROWS = [(0, 0, 0, 2, "Chemical"), (0, 1, 1, 3, "Disease"), (1, 1, 0, 1, "Chemical"), (0, 0, 3, 4, "Disease"),
        (0, 0, 3, 4, "Disease")]


def test_basics_sorted_and_deduplicated():
    votes = _votes(ROWS)
    assert (votes.n_docs, votes.m, len(votes.spans)) == (3, 2, 4)
    assert votes.doc_offsets.tolist() == [0, 4, 7, 7]
    assert votes.spans[["doc", "lf", "start"]].values.tolist() == [[0, 0, 0], [0, 0, 3], [0, 1, 1], [1, 1, 0]]
    assert [votes.spans[c].dtype for c in ("doc", "lf", "start", "end")] == [np.int64, np.int32, np.int32, np.int32]
    assert pd.api.types.is_string_dtype(votes.spans["label"])
    assert votes.lf_spans(0, "dict@1") == [Span(0, 2, "Chemical"), Span(3, 4, "Disease")]
    assert votes.lf_spans(0, "regex") == [Span(1, 3, "Disease")] and votes.lf_spans(2, 1) == []
    assert votes.lf_doc_spans("regex@2") == [[Span(1, 3, "Disease")], [Span(0, 1, "Chemical")], []]
    assert votes.lf_names == ["dict", "regex"] and votes.faults == {"dict": 0, "regex": 0}


def test_token_votes():
    tv = _votes(ROWS).token_votes()
    assert tv.values.dtype == np.int8 and tv.values.shape == (7, 2)
    assert tv.values.tolist() == [[1, -1], [2, 3], [-1, 4], [3, -1], [-1, 1], [-1, -1], [-1, -1]]
    assert tv.doc(1).tolist() == [[-1, 1], [-1, -1], [-1, -1]] and tv.n_docs == 3
    assert not tv.values.flags.writeable


def test_token_votes_resolve_one_lfs_overlaps_like_tags_from_spans():
    rows = [(0, 0, 0, 2, "Chemical"), (0, 0, 1, 4, "Disease"), (0, 0, 3, 5, "Chemical"), (0, 1, 0, 2, "Disease"),
            (0, 1, 1, 3, "Chemical")]
    votes = _votes(rows, n_tokens=[6], row_ids=["a"])
    values = votes.token_votes().values
    for j in range(2):
        assert values[:, j].tolist() == [
            -1 if t == 0 else t for t in tags_from_spans(votes.lf_spans(0, j), 6, SPACE).tolist()]
    assert values[:, 0].tolist() == [-1, 3, 4, 4, -1, -1]
    assert values[:, 1].tolist() == [3, 4, -1, -1, -1, -1]  # same length: the earlier start


def test_token_votes_match_a_per_token_loop_on_random_votes():
    rng = np.random.default_rng(1)
    n_tokens = rng.integers(0, 40, size=200)
    rows = []
    for d, n in enumerate(n_tokens.tolist()):
        for lf in range(5):
            for _ in range(int(rng.integers(0, 4))):
                if n:
                    s = int(rng.integers(0, n))
                    rows.append((d, lf, s, int(rng.integers(s + 1, min(n, s + 4) + 1)), str(rng.choice(SPACE.types))))
    votes = SpanVotes(n_tokens, [f"lf{j}" for j in range(5)], SPACE, pd.DataFrame(rows, columns=list(SPAN_COLUMNS)))
    values = votes.token_votes().values
    back = SpanVotes.from_vote_matrix(votes.to_vote_matrix(), SPACE, n_tokens)
    assert np.array_equal(back.token_votes().values, values)  # overlaps resolved once, then stable
    for d in range(votes.n_docs):
        block = values[votes.doc_offsets[d]:votes.doc_offsets[d + 1]]
        for j in range(5):
            expected = tags_from_spans(votes.lf_spans(d, j), int(n_tokens[d]), SPACE).astype(int)
            assert np.where(expected == 0, -1, expected).tolist() == block[:, j].tolist()


def test_vote_matrix_round_trip():
    votes = _votes(ROWS[:3])
    vm = votes.to_vote_matrix()
    assert isinstance(vm, VoteMatrix) and vm.shape == (7, 2)
    assert vm.row_ids.tolist() == ["a#0", "a#1", "a#2", "a#3", "b#0", "b#1", "b#2"]
    assert vm.lf_names == ["dict", "regex"] and vm.lf_versions == ["1", "2"]
    assert list(vm.label_space) == list(SPACE.tags)
    back = SpanVotes.from_vote_matrix(vm, SPACE, [4, 3, 0], ["a", "b", "c"])
    assert back == votes
    with pytest.raises(DataError, match="7 token rows"):
        SpanVotes.from_vote_matrix(vm, SPACE, [4, 4, 0])


def test_take_and_select():
    votes = _votes(ROWS)
    sub = votes.take([1, 0, 1])
    assert sub.row_ids == ["b", "a", "b"] and sub.n_tokens.tolist() == [3, 4, 3]
    assert sub.lf_spans(0, 1) == sub.lf_spans(2, 1) == [Span(0, 1, "Chemical")]
    assert sub.lf_spans(1, 0) == votes.lf_spans(0, 0)
    assert votes.take(np.array([False, True, False])).row_ids == ["b"]
    assert votes.take([]).n_docs == 0
    sel = votes.select(["regex@2"])
    assert sel.lf_ids == ["regex@2"] and sel.token_votes().values[:, 0].tolist() == [-1, 3, 4, -1, 1, -1, -1]
    assert votes.select(["regex", "dict"]).lf_spans(0, 1) == votes.lf_spans(0, 0)
    with pytest.raises(UnknownLFError, match="nope"):
        votes.select(["nope"])


def test_bad_spans_name_the_document_and_the_lf():
    with pytest.raises(DataError, match=r"'regex@2'.*'b'.*3 tokens"):
        _votes([(1, 1, 2, 5, "Chemical")])
    with pytest.raises(DataError, match="'dict@1'"):
        _votes([(0, 0, 2, 2, "Chemical")])
    with pytest.raises(LabelSpaceError, match=r"'regex@2'.*'Gene'.*'a'"):
        _votes([(0, 1, 0, 1, "Gene")])
    with pytest.raises(DataError, match="outside"):
        _votes([(3, 0, 0, 1, "Chemical")])
    with pytest.raises(DataError, match="lack the columns"):
        SpanVotes([1], ["a"], SPACE, pd.DataFrame({"doc": [0]}))
    with pytest.raises(DataError, match="row_ids"):
        _votes([], row_ids=["a"])


def test_empty_votes():
    votes = _votes([], n_tokens=[0, 0], row_ids=None)
    assert votes.row_ids == ["0", "1"] and votes.token_votes().values.shape == (0, 2)
    assert votes.to_vote_matrix().shape == (0, 2)


def test_concat_and_type_values():
    votes = _votes(ROWS)
    both = SpanVotes.concat([votes.take([0]), votes.take([1, 2])])
    assert both == votes
    assert votes.token_votes().type_values()[:, 1].tolist() == [-1, 1, 1, -1, 0, -1, -1]
    with pytest.raises(Exception, match="same LFs"):
        SpanVotes.concat([votes, votes.select(["dict@1"])])


def test_votes_pickle_for_worker_processes():
    import pickle

    votes = _votes(ROWS)
    votes.token_votes()
    back = pickle.loads(pickle.dumps(votes))
    assert back == votes and back.space.tag_id("I-Disease") == 4
    assert np.array_equal(back.token_votes().values, votes.token_votes().values)
