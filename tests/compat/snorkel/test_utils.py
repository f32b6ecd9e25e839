"""probs_to_preds, get_label_buckets, filter_unlabeled_dataframe and the scorer against Snorkel's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.compat.snorkel import (
    Scorer,
    filter_unlabeled_dataframe,
    get_label_buckets,
    metric_score,
    preds_to_probs,
    probs_to_preds,
)
from weaksup.errors import ParameterError

pytestmark = pytest.mark.snorkel


def tied_probs(k: int, n: int = 400, seed: int = 0) -> np.ndarray:
    """Probabilities with many exact and near (< 1e-5) ties, and gaps just above the tolerance."""
    rng = np.random.default_rng(seed)
    probs = rng.integers(1, 4, size=(n, k)).astype(float) + rng.choice([0, 4e-6, 2e-5], size=(n, k))
    probs[rng.random(n) < 0.2] = 1.0  # all classes tied
    return probs / probs.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("policy", [None, "abstain", "random"])
def test_probs_to_preds_equals_snorkels(k, policy):
    from snorkel.utils import probs_to_preds as snorkel_probs_to_preds

    probs = tied_probs(k)
    kwargs = {} if policy is None else {"tie_break_policy": policy}  # None: the default ("random", the hash)
    ours, theirs = probs_to_preds(probs, **kwargs), snorkel_probs_to_preds(probs, **kwargs)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert (ours == -1).any() == (policy == "abstain")
    assert np.array_equal(probs_to_preds(probs, "abstain", tol=0.1), snorkel_probs_to_preds(probs, "abstain", tol=0.1))


def test_true_random_draws_among_the_tied_classes_and_follows_numpys_seed():
    from snorkel.utils import probs_to_preds as snorkel_probs_to_preds

    probs = tied_probs(3, n=2000)
    np.random.seed(5)
    first = probs_to_preds(probs, "true-random")
    np.random.seed(5)
    assert np.array_equal(first, probs_to_preds(probs, "true-random"))  # repeatable under np.random.seed
    tied = np.abs(probs - probs.max(axis=1, keepdims=True)) < 1e-5
    assert tied[np.arange(len(probs)), first].all()  # always one of the tied classes
    alone = tied.sum(axis=1) == 1
    assert np.array_equal(first[alone], snorkel_probs_to_preds(probs, "true-random")[alone])
    multi = tied.sum(axis=1) == 3
    assert len(set(first[multi].tolist())) == 3  # and a real draw


def test_an_unknown_policy_or_one_class_is_an_error():
    with pytest.raises(ParameterError, match=r"tie_break_policy='hash' policy not recognized; Snorkel's policies "
                                             r"are \['abstain', 'random', 'true-random'\]"):
        probs_to_preds(np.full((2, 2), 0.5), "hash")
    with pytest.raises(ValueError, match="at least 2 classes"):
        probs_to_preds(np.ones((3, 1)))


def test_label_buckets_equal_snorkels():
    from snorkel.analysis import get_label_buckets as snorkel_buckets

    rng = np.random.default_rng(1)
    gold, pred, third = rng.integers(0, 3, 500), rng.integers(-1, 3, 500), rng.integers(0, 2, (500, 1))
    for arrays in [(gold, pred), (gold, pred, third), (pred,)]:
        ours, theirs = get_label_buckets(*arrays), snorkel_buckets(*arrays)
        assert list(ours) == list(theirs)  # same keys in the same order
        assert all(np.array_equal(ours[key], theirs[key]) for key in theirs)
    with pytest.raises(ValueError, match="same number of elements"):
        get_label_buckets(gold, pred[:10])


def test_filter_unlabeled_dataframe_equals_snorkels():
    from snorkel.labeling import filter_unlabeled_dataframe as snorkel_filter

    rng = np.random.default_rng(2)
    L = rng.choice([-1, -1, -1, 0, 1], size=(300, 3))
    X = pd.DataFrame({"text": [f"row {i}" for i in range(300)]}, index=rng.permutation(300))
    probs = rng.dirichlet([1, 1], 300)
    (ours_X, ours_y), (their_X, their_y) = filter_unlabeled_dataframe(X, probs, L), snorkel_filter(X, probs, L)
    pd.testing.assert_frame_equal(ours_X, their_X)
    assert np.array_equal(ours_y, their_y) and 0 < len(ours_X) < 300


@pytest.mark.parametrize("metric", ["accuracy", "coverage", "precision", "recall", "f1", "f1_micro", "f1_macro",
                                    "matthews_corrcoef", "roc_auc"])
def test_scorer_equals_snorkels(metric):
    from snorkel.analysis import Scorer as SnorkelScorer
    from snorkel.analysis import metric_score as snorkel_metric_score

    rng = np.random.default_rng(3)
    golds, preds = rng.integers(0, 2, 200), rng.integers(-1, 2, 200)
    probs = rng.dirichlet([1, 1], 200)
    assert Scorer([metric]).score(golds, preds, probs) == SnorkelScorer([metric]).score(golds, preds, probs)
    voted = {"filter_dict": {"preds": [-1]}}
    assert metric_score(golds, preds, probs, metric, **voted) == snorkel_metric_score(golds, preds, probs, metric,
                                                                                        **voted)


def test_scorer_errors_and_one_hot():
    with pytest.raises(ParameterError, match="Unrecognized metric: 'acc'"):
        Scorer(["acc"])
    with pytest.raises(ParameterError, match="f1 not supported for multiclass"):
        metric_score(np.array([0, 2]), np.array([0, 2]), metric="f1")
    assert preds_to_probs(np.array([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ParameterError, match="abstained vote"):
        preds_to_probs(np.array([0, -1]), 2)
