"""DevStacker: logistic regression on the one-hot votes offset by DevNaiveBayes, fitted on dev gold."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from tests.models.test_dev import synthetic
from weaksup.errors import LabelModelError
from weaksup.models import BaseLabelModel, DevNaiveBayes, DevSelector, DevStacker
from weaksup.models.stacker import fit_offset_logistic, offset_logistic_proba


def copied_lfs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary votes, every row voted on by all LFs: LF 0 (70% right) copied five times, LF 1 85% right, LF 2 60%.
    Naive Bayes counts the five copies as five votes and lets them overrule LF 1; the truth is the other way."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    weak = np.where(rng.random(n) < 0.7, y, 1 - y)
    strong = np.where(rng.random(n) < 0.85, y, 1 - y)
    other = np.where(rng.random(n) < 0.6, y, 1 - y)
    return np.stack([weak] * 5 + [strong, other], axis=1).astype(np.int8), y


def test_the_stacker_undoes_what_naive_bayes_double_counts():
    votes, y = copied_lfs(4000, seed=0)
    fit, dev, new = slice(0, 2000), slice(2000, 2600), slice(2600, None)
    stacker = DevStacker(cardinality=2).fit(votes[fit], L_dev=votes[dev], y_dev=y[dev])
    bayes = DevNaiveBayes(cardinality=2, stack=False).fit(votes[fit], L_dev=votes[dev], y_dev=y[dev])
    assert stacker.stack_C_ > 0 and stacker.stack_note_.endswith(": stacked")
    # DevNaiveBayes(stack=True) is the same model at the same knobs
    default = DevNaiveBayes(cardinality=2, stack=True).fit(votes[fit], L_dev=votes[dev], y_dev=y[dev])
    assert np.array_equal(default.predict_proba(votes), stacker.predict_proba(votes))
    right = (stacker.predict(votes[new]) == y[new]).mean()
    assert right > (bayes.predict(votes[new], tie_break="hash") == y[new]).mean() + 0.05
    assert right > 0.8


def test_thin_dev_falls_back_to_naive_bayes_and_says_so(caplog):
    votes, y = synthetic(2000, seed=1)
    with caplog.at_level(logging.INFO, logger="weaksup.models.naive_bayes"):
        model = DevStacker(cardinality=2).fit(votes, L_dev=votes[:30], y_dev=y[:30])
    bayes = DevNaiveBayes(cardinality=2, stack=False).fit(votes, L_dev=votes[:30], y_dev=y[:30])
    assert model.stack_note_ == "fewer than min_dev=50 dev rows (30): naive Bayes alone" and model.stack_C_ == 0.0
    assert any(model.stack_note_ in record.getMessage() for record in caplog.records)
    assert np.array_equal(model.predict_proba(votes), bayes.predict_proba(votes))
    assert bayes.stack_note_ == "not tried (stack=False)"
    few = np.concatenate([np.flatnonzero(y == 1)[:3], np.flatnonzero(y == 0)[:97]])  # 3 rows of class 1 < 5 folds
    assert "fewer than n_folds=5 dev rows" in DevStacker(cardinality=2).fit(votes, L_dev=votes[few],
                                                                              y_dev=y[few]).stack_note_


def test_naive_bayes_stays_when_the_stacker_does_not_beat_it_on_dev():
    votes, y = synthetic(3000, seed=2)  # conditionally independent LFs: naive Bayes is the right model
    model = DevStacker(cardinality=2, gate_se=100.0).fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    bayes = DevNaiveBayes(cardinality=2, stack=False).fit(votes[:2000], L_dev=votes[2000:], y_dev=y[2000:])
    assert model.stack_C_ == 0.0 and model.stack_note_.endswith("naive Bayes alone")
    assert np.array_equal(model.predict_proba(votes), bayes.predict_proba(votes))


def test_a_strong_penalty_keeps_the_naive_bayes_probabilities():
    votes, y = copied_lfs(1500, seed=3)
    model = DevStacker(cardinality=2, Cs=(1e-6,), n_se=0.0, gate_se=-np.inf, calibrate=False).fit(
        votes[:1000], L_dev=votes[1000:], y_dev=y[1000:])
    bayes = DevNaiveBayes(cardinality=2, stack=False, calibrate=False).fit(votes[:1000], L_dev=votes[1000:],
                                                                           y_dev=y[1000:])
    assert model.stack_C_ == 1e-6
    assert np.allclose(model.predict_proba(votes), bayes.predict_proba(votes), atol=1e-3)


def test_offset_logistic_is_scikit_learns_multinomial_regression_without_an_offset():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 300)
    dense = (rng.random((300, 6)) < 0.3 + 0.3 * (np.arange(6) % 3 == y[:, None])).astype(float)
    theta = fit_offset_logistic(sparse.csr_array(dense), np.zeros((300, 3)), y, C=0.5)
    # the penalised intercept is scikit-learn's weight on a constant column
    lr = LogisticRegression(C=0.5, fit_intercept=False, tol=1e-10, max_iter=5000)
    lr.fit(np.hstack([dense, np.ones((300, 1))]), y)
    expected = lr.predict_proba(np.hstack([dense, np.ones((300, 1))]))
    assert np.allclose(offset_logistic_proba(sparse.csr_array(dense), np.zeros((300, 3)), theta), expected, atol=1e-4)


def test_f1_metric_tunes_a_threshold_on_the_stackers_held_out_dev_predictions(tmp_path):
    votes, y = copied_lfs(3000, seed=5)
    model = DevStacker(cardinality=2, metric="f1", gate_se=-np.inf).fit(votes[:2000], L_dev=votes[2000:],
                                                                        y_dev=y[2000:])
    assert model.stack_C_ > 0 and 0 < model.threshold_ < 1
    preds = model.predict(votes)
    assert np.array_equal(preds, (model.predict_proba(votes)[:, 1] >= model.threshold_).astype(int))
    back = BaseLabelModel.load(model.save(tmp_path / "stacker.json"))
    assert np.array_equal(back.predict_proba(votes), model.predict_proba(votes))
    assert back.threshold_ == model.threshold_ and back.stack_C_ == model.stack_C_


def test_cs_must_be_positive_numbers():
    votes, y = synthetic(200, seed=6)
    for bad in ((), (0.1, -1.0), "many"):
        with pytest.raises(LabelModelError, match="DevStacker: Cs must be a non-empty list of positive numbers"):
            DevStacker(cardinality=2, Cs=bad).fit(votes, L_dev=votes, y_dev=y)


def test_the_selectors_naive_bayes_candidate_never_stacks():
    votes, y = copied_lfs(1500, seed=7)
    model = DevSelector(cardinality=2, candidates=("DevNaiveBayes",)).fit(
        votes[:1000], L_dev=votes[1000:], y_dev=y[1000:])
    assert model.selected_ == "DevNaiveBayes"
    assert model.best_estimator_.stack is False and model.best_estimator_.stack_note_ == "not tried (stack=False)"
