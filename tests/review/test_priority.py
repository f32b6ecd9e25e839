import numpy as np
import pytest

from weaksup.review import ReviewError, review_order


def test_budget_takes_the_most_uncertain_first():
    scores = np.array([0.1, 0.9, 0.5, 0.7])
    assert review_order(scores, budget=2).tolist() == [1, 3]
    assert review_order(scores).tolist() == [1, 3, 2, 0]


def test_near_duplicates_do_not_fill_a_batch():
    texts = ["Check out my channel!!! http://x.co/1"] * 30 + ["CHECK OUT my channel http://x.co/2"] * 20 + [
        "great song, love it", "who is watching in 2015?", "this video is so funny", "subscribe for free iphone"]
    scores = np.r_[np.full(50, 0.95), [0.6, 0.55, 0.5, 0.45]]
    picked = review_order(scores, texts, budget=5)
    assert len(picked) == 5
    assert sum(i < 50 for i in picked) == 1  # one of the fifty near-copies, then the varied rows
    plain = review_order(scores, budget=5)
    assert all(i < 50 for i in plain)


def test_deterministic_for_a_seed_and_seed_breaks_ties():
    scores = np.full(40, 0.5)
    texts = [f"comment number {i} about topic {i % 7}" for i in range(40)]
    a = review_order(scores, texts, budget=10, seed=3)
    assert a.tolist() == review_order(scores, texts, budget=10, seed=3).tolist()
    assert review_order(scores, budget=10, seed=1).tolist() != review_order(scores, budget=10, seed=2).tolist()


def test_everything_is_returned_without_budget_and_empty_texts_work():
    scores = np.linspace(0, 1, 12)
    texts = [None, "", "a"] * 4
    order = review_order(scores, texts)
    assert sorted(order.tolist()) == list(range(12))
    assert review_order(scores, texts, budget=0).tolist() == []


@pytest.mark.parametrize("kwargs, match", [
    ({"budget": -1}, "budget must be a whole number"),
    ({"budget": 2.5}, "budget must be a whole number"),
    ({"diversity": 2}, r"diversity must be a number in \[0, 1\]; got 2"),
    ({"near_duplicate": 0}, r"near_duplicate must be a number in \(0, 1\]; got 0"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ReviewError, match=match):
        review_order([0.1, 0.2], ["a", "b"], **kwargs)


def test_texts_must_align():
    with pytest.raises(ReviewError, match="one text per row"):
        review_order([0.1, 0.2], ["a"])
    with pytest.raises(ReviewError, match="NaN"):
        review_order([0.1, float("nan")])
