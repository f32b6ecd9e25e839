"""Clusters of similar rows and their vote profile (without a workbench)."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.clusters import cluster_texts, cluster_view, vote_profile
from weaksup.errors import DataError, ParameterError

TEXTS = ["subscribe to my channel", "please subscribe to my channel", "love this song", "this song is great",
         "check out my channel", "great song"]


def test_cluster_view_profiles_votes_and_gold():
    L = np.array([[1, -1], [1, 1], [0, -1], [0, 1], [-1, -1], [0, -1]])
    view = cluster_view(TEXTS, L, ["ham", "spam"], np.array(list("abcdef")), n=2,
                        gold=np.array([1, -1, 0, 0, -1, -1]), n_examples=2)
    assert view.table["size"].sum() == 6 and set(view.assignments.index) == set("abcdef")
    assert {"coverage", "votes_ham", "votes_spam", "conflict", "n_gold", "gold_spam", "terms", "examples"} \
        <= set(view.table.columns)
    assert all(len(e) <= 2 for e in view.table["examples"])
    assert sorted(sum((view.rows(c) for c in view.table.index), [])) == list("abcdef")
    with pytest.raises(KeyError, match="no cluster 7"):  # a NotFoundError: still a KeyError, as before
        view.rows(7)


def test_vote_profile_counts_conflicts_with_the_shared_rule():
    L = np.array([[1, -1], [1, 1], [-1, -1], [0, 1]])
    table = vote_profile(np.array([0, 0, 1, 1]), L, ["ham", "spam"])
    assert table["conflict"].tolist() == [0.0, 0.5] and table["coverage"].tolist() == [1.0, 0.5]


def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match="positive integer"):
        cluster_texts(TEXTS, 0)
    with pytest.raises(DataError, match=r"embeddings must have shape \(6, d\)"):
        cluster_texts(TEXTS, 2, embeddings=np.ones((5, 2)))
    assert cluster_texts([], 3).labels.shape == (0,)
