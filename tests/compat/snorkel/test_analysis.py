"""LFAnalysis: Snorkel's numbers, columns, index and dtypes, from weaksup's vote statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.compat.snorkel import LFAnalysis
from weaksup.errors import ParameterError

pytestmark = pytest.mark.snorkel


def both(L, lfs=None):
    from snorkel.labeling import LFAnalysis as SnorkelAnalysis

    return LFAnalysis(L, lfs), SnorkelAnalysis(L, lfs)


def assert_same_analysis(L, Y, lfs=None, k=2):
    ours, theirs = both(L, lfs)
    for method in ("label_coverage", "label_overlap", "label_conflict"):
        assert getattr(ours, method)() == getattr(theirs, method)(), method  # exact, to the last bit
    assert ours.lf_polarities() == theirs.lf_polarities()
    for method, kwargs in [("lf_coverages", {}), ("lf_overlaps", {}), ("lf_overlaps", {"normalize_by_coverage": True}),
                           ("lf_conflicts", {}), ("lf_conflicts", {"normalize_by_overlaps": True})]:
        assert np.array_equal(getattr(ours, method)(**kwargs), getattr(theirs, method)(**kwargs)), (method, kwargs)
    assert np.array_equal(ours.lf_empirical_accuracies(Y), theirs.lf_empirical_accuracies(Y))
    assert np.allclose(ours.lf_empirical_probs(Y, k), theirs.lf_empirical_probs(Y, k), equal_nan=True)
    weights = np.linspace(0.1, 0.9, L.shape[1])
    for kwargs in [{}, {"Y": Y}, {"est_weights": weights}, {"Y": Y.reshape(-1, 1), "est_weights": weights}]:
        pd.testing.assert_frame_equal(ours.lf_summary(**kwargs), theirs.lf_summary(**kwargs), check_exact=True)


def test_equals_snorkel_on_the_youtube_votes(comments, snorkel_lfs, snorkel_L):
    assert_same_analysis(snorkel_L, comments[1], snorkel_lfs)
    assert_same_analysis(snorkel_L, comments[1])  # without LFs: no j column, a 0..m-1 index
    summary = LFAnalysis(snorkel_L, snorkel_lfs).lf_summary(comments[1])
    assert list(summary.columns) == ["j", "Polarity", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect",
                                     "Emp. Acc."]
    assert list(summary.index) == [lf.name for lf in snorkel_lfs] and summary["Correct"].sum() > 500


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # Snorkel's 0/0 for the silent LF
def test_snorkels_meaning_where_weaksups_own_summary_differs():
    # gold -1 on some rows (Snorkel counts those votes as wrong in Emp. Acc.), an LF that never votes (0.0, not NaN),
    # three classes, rows in conflict
    rng = np.random.default_rng(0)
    L = rng.choice([-1, -1, 0, 1, 2], size=(3000, 6))
    L[:, 4] = -1
    Y = rng.integers(-1, 3, 3000)
    assert_same_analysis(L, Y, k=3)
    accuracies = LFAnalysis(L).lf_empirical_accuracies(Y)
    assert accuracies[4] == 0.0 and 0 < accuracies[0] < 1


def test_a_million_rows_in_whole_array_operations():
    rng = np.random.default_rng(1)
    L = rng.choice(np.array([-1, -1, -1, 0, 1], dtype=np.int64), size=(1_000_000, 10))
    Y = rng.integers(0, 2, 1_000_000)
    summary = LFAnalysis(L).lf_summary(Y)
    voted = L != -1
    assert np.array_equal(summary["Coverage"].to_numpy(), voted.sum(axis=0) / len(L))
    assert np.array_equal(summary["Correct"].to_numpy(), ((L == Y[:, None]) & voted).sum(axis=0))
    assert LFAnalysis(L).label_overlap() == (voted.sum(axis=1) > 1).mean()


def test_a_wrong_number_of_lfs_is_named(snorkel_lfs):
    with pytest.raises(ParameterError, match=r"Number of LFs \(13\) and number of LF matrix columns \(2\)"):
        LFAnalysis(np.zeros((3, 2), dtype=int), snorkel_lfs)


def test_the_lf_names_of_a_vote_matrix_are_checked_against_the_lfs(comments, snorkel_lfs, snorkel_L):
    from weaksup import Registry
    from weaksup.votes import VoteMatrix

    names = [lf.name for lf in snorkel_lfs]
    votes = VoteMatrix(snorkel_L, lf_names=names)
    expected = LFAnalysis(snorkel_L, snorkel_lfs).lf_summary(comments[1])
    # the LFs in another order: the columns follow the LFs' names, not their positions
    reordered = LFAnalysis(votes, snorkel_lfs[::-1]).lf_summary(comments[1])
    assert list(reordered.index) == names[::-1] and list(reordered["j"]) == list(range(len(names)))
    pd.testing.assert_frame_equal(reordered.drop(columns="j"), expected.drop(columns="j").loc[names[::-1]])
    with pytest.raises(ParameterError, match=rf"not in the votes: \['{names[0]}'\].*only in the votes: \['other'\]"):
        LFAnalysis(VoteMatrix(snorkel_L, lf_names=["other", *names[1:]]), snorkel_lfs)
    # a weaksup Registry (as apply_lfs takes it)
    registry = Registry(snorkel_lfs)
    pd.testing.assert_frame_equal(LFAnalysis(votes, registry).lf_summary(comments[1]), expected)
    with pytest.raises(ParameterError, match=rf"lfs\[0\] is a str \('{names[0]}'\), which has no name"):
        LFAnalysis(votes, names)
