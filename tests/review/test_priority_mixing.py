"""The mixed review order: the budget is shared between reasons, uncovered rows by text cluster, deterministically."""

import numpy as np
import pytest

from weaksup.review import ReviewError, review_order, uncertainty_score
from weaksup.review.mixing import QUEUE_REASONS, divisor_split, interleave, mixed_review_order, row_reasons

TOPICS = {
    "music": ["love this song so much", "this song is my favourite tune", "best song of the year, great beat",
              "the singer has an amazing voice in this song", "song on repeat all day, what a melody"],
    "games": ["who plays minecraft with me tonight", "minecraft server is down again", "this game level is hard",
              "new minecraft update looks great", "the game crashed on the last level"],
    "food": ["recipe for pizza with extra cheese", "my pizza dough never rises", "cheese and tomato pizza is best",
             "baking bread and pizza at home", "the pizza oven reached full heat"],
}


def scenario(n_voted=60, seed=0):
    """Uncovered rows at the maximal entropy (as a run with no_votes = "abstain"), voted rows below it."""
    rng = np.random.default_rng(seed)
    texts, n_votes, conflict, proba = [], [], [], []
    for topic, sentences in TOPICS.items():
        for i in range(20):
            texts.append(f"{sentences[i % 5]} {topic} {i}")
            n_votes.append(0)
            conflict.append(False)
            proba.append([0.5, 0.5])
    for i in range(n_voted):
        p = rng.uniform(0.55, 0.99)
        texts.append(f"check out my channel number {i} subscribe for video {i * 7}")
        n_votes.append(1 + i % 3)
        conflict.append(i % 4 == 0)
        proba.append([p, 1 - p])
    return np.array(proba), np.array(n_votes), np.array(conflict), np.array(texts, dtype=object)


def test_divisor_split_follows_the_documented_rule():
    assert divisor_split([100, 25, 0, 4], 10) == [6, 3, 0, 1]  # sqrt weights 10, 5, 0, 2
    assert divisor_split([100, 25, 0, 4], 10, "count") == [8, 2, 0, 0]
    assert divisor_split([100, 25, 0, 4], 10, "equal") == [4, 3, 0, 3]
    assert divisor_split([2, 1, 0, 0], 10) == [2, 1, 0, 0]  # no more than there is
    for budget in range(0, 40):
        split = divisor_split([30, 7, 3, 12], budget)
        assert sum(split) == budget and all(s <= a for s, a in zip(split, [30, 7, 3, 12]))
        if budget:
            bigger = divisor_split([30, 7, 3, 12], budget + 1)
            assert all(b >= s for b, s in zip(bigger, split))  # a larger budget never takes a row away


def test_interleave_is_a_weighted_round_robin():
    order = interleave([4, 4], [4, 4], "equal")
    assert order.tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
    assert sorted(interleave([3, 0, 2], [9, 0, 4]).tolist()) == list(range(5))


def test_entropy_alone_spends_the_budget_on_rows_without_votes_the_mix_does_not():
    proba, n_votes, conflict, texts = scenario()
    entropy_pick = review_order(uncertainty_score(proba), budget=20)
    assert (n_votes[entropy_pick] == 0).all()  # the failure of issue 15: every reviewed row had no vote
    mixed = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, budget=20)
    reasons = mixed.reasons.tolist()
    assert len(mixed.positions) == 20 and len(set(mixed.positions.tolist())) == 20
    assert mixed.available == {"model_disagreement": 0, "lf_conflict": 15, "low_margin": 45, "uncovered": 60}
    # sqrt weights: 15 -> 3.9, 45 -> 6.7, 60 -> 7.7 of 18.3: 4, 7 and 9 of 20 rows (Sainte-Lague)
    assert mixed.counts() == {"model_disagreement": 0, "lf_conflict": 4, "low_margin": 7, "uncovered": 9}
    assert set(reasons) == {"lf_conflict", "low_margin", "uncovered"}
    assert reasons[:3] != [reasons[0]] * 3  # interleaved, not one reason after the other
    np.testing.assert_array_equal(row_reasons(proba, n_votes, conflict=conflict)[mixed.positions], mixed.reasons)
    # within a reason, the least sure rows first
    margin = uncertainty_score(proba, "margin")
    low = mixed.positions[mixed.reasons == "low_margin"]
    assert margin[low].min() >= np.sort(margin[(n_votes > 0) & ~conflict])[-15]


def test_uncovered_rows_are_taken_across_text_clusters():
    proba, n_votes, conflict, texts = scenario()
    mixed = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, budget=20, n_clusters=3)
    uncovered = mixed.positions[mixed.reasons == "uncovered"]
    topics = {texts[i].split()[-2] for i in uncovered}
    assert topics == set(TOPICS)  # all three topics of the rows the LFs miss, not the first one only
    assert len(set(mixed.clusters[mixed.reasons == "uncovered"].tolist())) == 3
    assert (mixed.clusters[mixed.reasons != "uncovered"] == -1).all()


def test_model_disagreement_is_its_own_reason_most_different_first():
    proba, n_votes, conflict, texts = scenario()
    other = proba.copy()
    flip = np.array([70, 75, 90])  # voted rows where a second model names the other class
    other[flip] = other[flip][:, ::-1]
    mixed = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, other=other, budget=30)
    assert mixed.available["model_disagreement"] == 3
    got = mixed.positions[mixed.reasons == "model_disagreement"]
    assert sorted(got.tolist()) == flip.tolist()
    distance = np.abs(proba[got] - other[got]).sum(axis=1)
    assert (np.diff(distance) <= 1e-12).all()
    ids = np.where(np.isin(np.arange(len(proba)), flip), 1 - proba.argmax(axis=1), -1)
    by_ids = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, other=ids, budget=30)
    assert sorted(by_ids.positions[by_ids.reasons == "model_disagreement"].tolist()) == flip.tolist()


def test_deterministic_for_a_seed_candidates_and_budget_respected():
    proba, n_votes, conflict, texts = scenario()
    a = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, budget=25, seed=4)
    b = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, budget=25, seed=4)
    assert a.positions.tolist() == b.positions.tolist() and a.reasons.tolist() == b.reasons.tolist()
    allowed = np.zeros(len(proba), dtype=bool)
    allowed[::3] = True
    some = mixed_review_order(proba, n_votes, texts=texts, conflict=conflict, candidates=allowed)
    assert sorted(some.positions.tolist()) == np.flatnonzero(allowed).tolist()  # every candidate, once
    assert len(mixed_review_order(proba, n_votes, texts=texts, budget=0).positions) == 0
    no_text = mixed_review_order(proba, n_votes, conflict=conflict, budget=10)
    assert len(no_text.positions) == 10 and set(no_text.reasons) <= set(QUEUE_REASONS)


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": "log"}, "unknown budget split weights='log'"),
    ({"budget": -2}, "budget must be a whole number"),
    ({"n_clusters": 0}, "n_clusters"),
    ({"texts": ["a"]}, "one text per row"),
    ({"other": np.array([0, 5, 1])}, r"class ids must be -1 \(none\) or 0..1"),
    ({"other": np.ones((3, 3)) / 3}, r"must have shape \(3, 2\)"),
    ({"conflict": [True]}, r"conflict must hold one value per row \(3\)"),
])
def test_bad_inputs_say_what_and_where(kwargs, match):
    with pytest.raises(ReviewError, match=match):
        mixed_review_order(np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]]), [0, 2, 1], **kwargs)
    with pytest.raises(ReviewError, match="NaN"):
        mixed_review_order(np.array([[np.nan, 0.5]]), [1])
