"""The LF summary (Snorkel parity on the real YouTube votes), vote statistics (computed once) and LF-pair matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import analysis, pairs
from weaksup.analysis import (
    VoteStats,
    as_vote_matrix,
    learned_weights,
    lf_pair_matrix,
    lf_summary,
    row_conflict,
    vote_stats,
)
from weaksup.apply import apply_lfs
from weaksup.errors import GoldSetError, LabelModelError, ParameterError
from weaksup.gold import write_gold
from weaksup.votes import VoteMatrix

SNORKEL_COLUMNS = ["j", "Polarity", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect", "Emp. Acc."]


@pytest.fixture(scope="module")
def votes(youtube, youtube_registry):
    return apply_lfs(youtube_registry, youtube.drop(columns=["label", "split"]), id_column="row_id")


@pytest.mark.snorkel
def test_same_numbers_as_snorkel_lfanalysis_on_the_youtube_dev_votes(youtube, youtube_registry, votes):
    from snorkel.labeling import LFAnalysis

    dev = (youtube["split"] == "dev").to_numpy()
    L_dev = votes.values[dev].astype(np.int64)
    y_dev = youtube.loc[dev, "label"].map(youtube_registry.label_space.id).to_numpy()
    weights = np.linspace(0.5, 0.95, votes.shape[1])
    snorkel_lfs = [lf.to_snorkel() for lf in youtube_registry.lfs]
    expected = LFAnalysis(L_dev, snorkel_lfs).lf_summary(Y=y_dev, est_weights=weights)
    ours = lf_summary(votes.take(np.flatnonzero(dev)), youtube_registry.lfs, gold=y_dev, model=weights)
    assert list(ours.columns[: len(SNORKEL_COLUMNS) + 1]) == [*SNORKEL_COLUMNS, "Learned Weight"]
    assert list(ours.index) == list(expected.index)
    space = youtube_registry.label_space  # shown as class names; Snorkel shows the ids
    assert ours["Polarity"].tolist() == [[space.name(c) for c in p] for p in expected["Polarity"]]
    numeric = ["j", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect", "Emp. Acc.", "Learned Weight"]
    np.testing.assert_allclose(ours[numeric].to_numpy(float), expected[numeric].to_numpy(float), rtol=0, atol=1e-12)
    assert ours["kind"].tolist() == [lf.kind for lf in youtube_registry.lfs]
    assert ours["version"].tolist() == [lf.version for lf in youtube_registry.lfs]


@pytest.mark.snorkel
def test_same_coverage_overlaps_conflicts_as_snorkel_on_all_rows(votes):
    from snorkel.labeling import LFAnalysis

    L = votes.values.astype(np.int64)
    expected = LFAnalysis(L).lf_summary()
    ours = lf_summary(votes)
    for column in ("Coverage", "Overlaps", "Conflicts"):
        np.testing.assert_allclose(ours[column].to_numpy(), expected[column].to_numpy(), rtol=0, atol=1e-12)
    analysis = LFAnalysis(L)
    stats = vote_stats(votes)
    assert stats["coverage"] == pytest.approx(analysis.label_coverage())
    assert stats["overlap"] == pytest.approx(analysis.label_overlap())
    assert stats["conflict"] == pytest.approx(analysis.label_conflict())


def test_the_lfs_may_be_a_registry_and_anything_else_is_named(youtube_registry, votes):
    by_registry = lf_summary(votes, youtube_registry)
    assert by_registry.equals(lf_summary(votes, youtube_registry.lfs))
    assert by_registry["kind"].tolist() == [lf.kind for lf in youtube_registry.lfs]
    with pytest.raises(ParameterError, match="expected labeling functions .or a Registry.; got str 'kw_check'"):
        lf_summary(votes, ["kw_check"])


def test_hand_computed_summary_with_rows_without_gold():
    # rows: gold 0, gold 1, no gold, gold 0
    votes = VoteMatrix([[0, 0, -1], [0, 1, -1], [1, 1, -1], [-1, 0, -1]], lf_names=["a", "b", "never"])
    summary = lf_summary(votes, gold=np.array([0, 1, -1, 0]))
    assert summary.loc["a", "Coverage"] == 0.75
    assert summary.loc["a", "Overlaps"] == 0.75 and summary.loc["b", "Overlaps"] == 0.75
    assert summary.loc["a", "Conflicts"] == 0.25 and summary.loc["b", "Conflicts"] == 0.25
    # a: right on row 0, wrong on row 1; its vote on the row without gold is not counted
    assert (summary.loc["a", "Correct"], summary.loc["a", "Incorrect"], summary.loc["a", "Emp. Acc."]) == (1, 1, 0.5)
    assert (summary.loc["b", "Correct"], summary.loc["b", "Incorrect"]) == (3, 0)
    assert np.isnan(summary.loc["never", "Emp. Acc."]) and summary.loc["never", "Polarity"] == []


def test_gold_set_is_matched_on_row_ids(tmp_path):
    votes = VoteMatrix([[0, 1], [1, 1], [0, -1]], row_ids=["r1", "r2", "r3"], lf_names=["a", "b"])
    rows = pd.DataFrame({"row_id": ["r3", "r2"], "label": ["y", "y"], "split": ["dev", "test"]})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])
    summary = lf_summary(votes, gold=gold)
    assert summary["Correct"].tolist() == [1, 1] and summary["Incorrect"].tolist() == [1, 0]
    assert summary.attrs["gold_hash"] == gold.hash
    dev_only = lf_summary(votes, gold=gold.split("dev"))
    assert dev_only["Correct"].tolist() == [0, 0] and dev_only["Incorrect"].tolist() == [1, 0]


def test_gold_of_the_wrong_length_names_both_lengths():
    with pytest.raises(GoldSetError, match="gold has 2 labels but the vote matrix has 3 rows"):
        lf_summary(VoteMatrix([[0], [1], [0]]), gold=[0, 1])


class _WithGetWeights:
    def get_weights(self):
        return [0.9, 0.8]


class _WithAccuracy:
    accuracy_ = np.array([0.7, 0.6])


class _WithoutWeights:
    pass


@pytest.mark.parametrize(("model", "expected"), [
    (_WithGetWeights(), [0.9, 0.8]),
    (_WithAccuracy(), [0.7, 0.6]),
    ([0.1, 0.2], [0.1, 0.2]),
])
def test_learned_weights_from_the_model(model, expected):
    assert learned_weights(model, 2).tolist() == expected
    summary = lf_summary(VoteMatrix([[0, 1], [1, -1]]), model=model)
    assert summary["Learned Weight"].tolist() == expected


def test_a_model_without_weights_gives_nan_and_a_wrong_count_is_an_error():
    assert np.isnan(learned_weights(_WithoutWeights(), 2)).all()
    with pytest.raises(LabelModelError, match="expected 3 learned weights"):
        learned_weights([0.5, 0.5], 3)


def test_vote_stats_by_hand():
    stats = vote_stats(VoteMatrix([[0, 0, -1], [0, 1, -1], [-1, -1, -1], [1, -1, -1]]))
    assert stats == {"coverage": 0.75, "overlap": 0.5, "conflict": 0.25, "abstain_rate": 0.25, "mean_votes": 1.25}


def test_pair_matrices_by_hand():
    votes = VoteMatrix([[0, 0, 1], [0, 1, -1], [-1, 1, 1], [1, -1, 0]], lf_names=["a", "b", "c"])
    overlap = lf_pair_matrix(votes, "overlap")
    conflict = lf_pair_matrix(votes, "conflict")
    assert overlap.loc["a", "b"] == 0.5 and overlap.loc["a", "c"] == 0.5 and overlap.loc["b", "c"] == 0.5
    assert conflict.loc["a", "b"] == 0.25 and conflict.loc["a", "c"] == 0.5 and conflict.loc["b", "c"] == 0.25
    assert np.diag(overlap).tolist() == [0.75, 0.75, 0.75] and np.diag(conflict).tolist() == [0, 0, 0]
    assert (conflict.to_numpy() == conflict.to_numpy().T).all() and (conflict <= overlap).all().all()
    with pytest.raises(ParameterError, match="'overlap' or 'conflict'"):
        lf_pair_matrix(votes, "agreement")


def test_row_conflict_counts_votes_and_finds_disagreement():
    L = np.array([[0, 0, -1], [0, 1, -1], [-1, -1, -1], [2, -1, 2], [-1, 1, -1]], dtype=np.int8)
    n_voting, conflict = row_conflict(L)
    assert n_voting.tolist() == [2, 2, 0, 2, 1] and conflict.tolist() == [False, True, False, False, False]
    same = row_conflict(VoteMatrix(L))
    assert np.array_equal(same[0], n_voting) and np.array_equal(same[1], conflict)


def test_vote_stats_are_computed_once_and_handed_on():
    votes = VoteMatrix([[0, 0, -1], [0, 1, -1], [-1, -1, -1], [1, -1, -1]], lf_names=["a", "b", "c"])
    stats = VoteStats.of(votes)
    assert VoteStats.of(stats) is stats and as_vote_matrix(stats) is votes
    assert stats.rates() == vote_stats(votes) == vote_stats(stats)
    assert stats.lf_votes.tolist() == [3, 2, 0] and stats.lf_conflicts.tolist() == [1, 1, 0]
    assert stats.polarity == [[0, 1], [0, 1], []]
    assert lf_summary(stats).equals(lf_summary(votes))
    assert stats.patterns is stats.patterns  # computed on first use, then kept
    assert stats.pair_matrix("overlap").equals(lf_pair_matrix(votes, "overlap"))


# 40 LFs: the distinct patterns are keyed by bytes; 120: counted on the rows, not the patterns; 0.99 abstain:
# sparse blocks; a tiny block size: many blocks of each kind
@pytest.mark.parametrize("m, abstain, cells", [(3, 0.6, None), (40, 0.6, None), (120, 0.6, None), (3, 0.99, None),
                                               (120, 0.99, None), (40, 0.6, 200), (120, 0.97, 500)])
def test_pair_matrices_from_distinct_patterns_equal_a_row_by_row_count(m, abstain, cells, monkeypatch):
    if cells is not None:
        monkeypatch.setattr(pairs, "BLOCK_CELLS", cells)
    rng = np.random.default_rng(m)
    L = rng.integers(-1, 3, size=(500, m)).astype(np.int8)
    L[rng.random(L.shape) < abstain] = -1
    L[250:] = L[:250]  # repeated patterns carry their counts
    voted = L != -1
    both = voted.T.astype(int) @ voted.astype(int)
    agree = sum((L == c).T.astype(int) @ (L == c).astype(int) for c in range(3))
    stats = VoteStats.of(L)
    np.testing.assert_array_equal(np.rint(stats.pair_matrix("overlap").to_numpy() * len(L)), both)
    np.testing.assert_array_equal(np.rint(stats.pair_matrix("conflict").to_numpy() * len(L)), both - agree)


def test_vote_stats_block_by_block_equal_one_pass(monkeypatch):
    rng = np.random.default_rng(1)
    L = rng.integers(-1, 3, size=(300, 50)).astype(np.int8)
    L[rng.random(L.shape) < 0.8] = -1
    whole = VoteStats.of(L)
    monkeypatch.setattr(pairs, "BLOCK_CELLS", 7 * 50)  # blocks of 7 rows
    blocked = VoteStats.of(L)
    for name in ("n_voting", "conflict", "lf_votes", "lf_overlaps", "lf_conflicts"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))
        assert getattr(blocked, name).dtype == getattr(whole, name).dtype
    assert blocked.polarity == whole.polarity and not blocked.shares_patterns and whole.pair_rows == len(L)


def test_pair_matrices_beyond_the_work_budget_are_estimated_on_a_sample(monkeypatch):
    rng = np.random.default_rng(2)
    L = rng.integers(-1, 2, size=(20_000, 60)).astype(np.int8)
    exact = VoteStats.of(L).pair_matrix("conflict")
    monkeypatch.setattr(analysis, "PAIR_WORK", 2 * 10**7)
    stats = VoteStats.of(L)
    assert 1000 <= stats.pair_rows < len(L)
    assert np.abs(stats.pair_matrix("conflict").to_numpy() - exact.to_numpy()).max() < 0.05
    assert stats.pair_matrix("conflict").index.tolist() == exact.index.tolist()


def test_statistics_of_an_empty_vote_matrix():
    stats = VoteStats.of(np.zeros((0, 2), dtype=np.int8))
    assert stats.rates() == {"coverage": 0.0, "overlap": 0.0, "conflict": 0.0, "abstain_rate": 0.0, "mean_votes": 0.0}
    assert stats.pair_matrix("conflict").to_numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]
