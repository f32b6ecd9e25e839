"""Gold aligned once to the vote rows: the same labels as the GoldSet's own matching, split by split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.alignment import AlignedGold, gold_ids
from weaksup.errors import GoldSetError, WeakSupError
from weaksup.gold import write_gold
from weaksup.votes import VoteMatrix


@pytest.fixture()
def votes_and_gold(tmp_path):
    votes = VoteMatrix([[0, 1], [1, 1], [0, -1], [-1, -1], [1, 0]], row_ids=["a", "b", "c", "d", "e"])
    rows = pd.DataFrame({"row_id": ["a", "b", "c", "e", "e", "zz"], "label": ["x", "y", "y", "x", "y", "x"],
                         "split": ["dev", "test", "dev", "test", "test", "dev"],
                         "annotator": ["", "", "", "ann1", "ann2", ""]})  # e: a tie; zz: not among the votes
    return votes, write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])


def test_a_gold_set_is_aligned_like_goldset_y_in_every_split(votes_and_gold):
    votes, gold = votes_and_gold
    aligned = AlignedGold.of(gold, votes)
    assert aligned.y.tolist() == gold.y(votes.row_ids).tolist() == [0, 1, 1, -1, -1]
    for split in ("dev", "test", None):
        assert aligned.y_in(split).tolist() == gold.y(votes.row_ids, split=split).tolist(), split
    rows, y = aligned.rows("dev")
    assert rows.tolist() == [0, 2] and y.tolist() == [0, 1]
    assert aligned.hash == gold.hash and aligned.counts == gold.counts() and aligned.source is gold
    assert aligned.label_space == gold.label_space


def test_restricting_to_one_split_keeps_its_rows_and_takes_its_hash(votes_and_gold):
    votes, gold = votes_and_gold
    dev = AlignedGold.of(gold, votes).restrict("dev")
    assert dev.y.tolist() == gold.split("dev").y(votes.row_ids).tolist()
    assert dev.hash == gold.split("dev").hash and list(dev.counts) == ["dev"]
    assert dev.rows("test")[0].tolist() == []


def test_an_array_has_no_splits_and_must_have_one_label_per_row():
    votes = VoteMatrix([[0], [1], [1]])
    aligned = AlignedGold.of(np.array([1, -1, 0]), votes)
    assert aligned.y_in("test").tolist() == [1, -1, 0] and aligned.hash == "" and aligned.source is None
    assert gold_ids([1, -1, 0], votes).tolist() == [1, -1, 0]
    with pytest.raises(GoldSetError, match="gold has 2 labels but the vote matrix has 3 rows"):
        AlignedGold.of([0, 1], votes)


def test_aligned_gold_is_handed_on_as_is_but_only_to_votes_of_its_length(votes_and_gold):
    votes, gold = votes_and_gold
    aligned = AlignedGold.of(gold, votes)
    assert AlignedGold.of(aligned, votes) is aligned
    with pytest.raises(GoldSetError, match="the aligned gold has 5 rows but the vote matrix has 2") as caught:
        AlignedGold.of(aligned, VoteMatrix([[0], [1]]))
    assert isinstance(caught.value, (WeakSupError, ValueError))


def test_an_unknown_split_names_the_known_ones(votes_and_gold):
    votes, gold = votes_and_gold
    with pytest.raises(GoldSetError, match=r"unknown gold split 'train'; splits are \['dev', 'test'\]"):
        AlignedGold.of(gold, votes).rows("train")


def test_integer_row_ids_align_with_a_gold_set_and_its_splits(tmp_path):
    rows = pd.DataFrame({"row_id": [101, 102, 103], "label": ["x", "y", "y"], "split": ["dev", "test", "test"]})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])
    votes = VoteMatrix([[0], [1], [1], [0]], row_ids=np.array([103, 101, 102, 999]))
    aligned = AlignedGold.of(gold, votes)
    assert aligned.y.tolist() == [1, 0, 1, -1]
    assert aligned.y_in("dev").tolist() == [-1, 0, -1, -1] and aligned.y_in("test").tolist() == [1, -1, 1, -1]


def test_a_series_gold_aligns_by_its_index_not_its_position():
    # evaluate(votes, pd.Series(y, index=shuffled_ids)) read the Series by position: gold silently misaligned
    from weaksup import evaluate
    from weaksup.models import MajorityVote

    votes = VoteMatrix(np.array([[0, 0], [1, 1], [1, -1], [0, -1]]), row_ids=["a", "b", "c", "d"])
    by_id = pd.Series([1, 0, 1], index=["c", "a", "b"])  # another order, and no gold for d
    assert AlignedGold.of(by_id, votes).y.tolist() == [0, 1, 1, -1]
    numbered = VoteMatrix(votes.values, row_ids=np.array([10, 11, 12, 13]))
    assert AlignedGold.of(pd.Series([1, 0], index=["11", "10"]), numbered).y.tolist() == [0, 1, -1, -1]
    model = MajorityVote(cardinality=2).fit(votes)
    assert evaluate(votes, by_id, model, split=None).model.accuracy == 1.0  # by position: 1 of 3
    with pytest.raises(GoldSetError, match=r"4 of its 4 index entries not among the vote matrix's row ids .*to_numpy"):
        AlignedGold.of(pd.Series([0, 1, 1, 0], index=[7, 8, 9, 10]), votes)
    # a column of a frame indexed 0..n-1 beside row ids 1..n: two of three would match, shifted (review finding)
    shifted = VoteMatrix(np.array([[0], [1], [1]]), row_ids=np.array([1, 2, 3]))
    with pytest.raises(GoldSetError, match="1 of its 3 index entries not among"):
        AlignedGold.of(pd.Series([0, 1, 1]), shifted)
