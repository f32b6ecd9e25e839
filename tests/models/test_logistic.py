"""DevLogisticRegression: a discriminative model of the dev gold from the LFs' outcomes."""

from __future__ import annotations

import numpy as np

from weaksup.models import BaseLabelModel, DevLogisticRegression, DevNaiveBayes
from weaksup.models.logistic import vote_features


def duplicated_lfs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary votes: LFs 0 and 1 are one LF twice (70% right), LF 2 is alone and better (80% right)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pair = np.where(rng.random(n) < 0.7, y, 1 - y)
    alone = np.where(rng.random(n) < 0.8, y, 1 - y)
    return np.stack([pair, pair, alone], axis=1).astype(np.int8), y


def test_a_duplicated_lf_is_not_counted_twice():
    dev, y_dev = duplicated_lfs(2000, seed=0)
    votes, y = duplicated_lfs(2000, seed=1)
    split = votes[:, 0] != votes[:, 2]  # the pair against the better LF: the better LF is right ~63% of the time
    logistic = DevLogisticRegression(cardinality=2).fit(votes, L_dev=dev, y_dev=y_dev)
    naive = DevNaiveBayes(cardinality=2, unlabeled="ignore").fit(votes, L_dev=dev, y_dev=y_dev)
    assert (logistic.predict(votes[split]) == votes[split, 2]).all()  # it sides with the better LF
    assert (naive.predict(votes[split]) == votes[split, 0]).all()  # naive Bayes adds the pair's two votes up
    assert (logistic.predict(votes) == y).mean() > (naive.predict(votes) == y).mean() + 0.05


def test_classes_missing_from_dev_get_no_probability_and_survive_saving(tmp_path):
    dev = np.array([[0, 0], [1, 1], [0, -1], [1, 1], [0, 0], [-1, 1]])
    y_dev = np.array([0, 1, 0, 1, 0, 1])  # class 2 never appears on dev
    model = DevLogisticRegression(cardinality=3).fit(dev, L_dev=dev, y_dev=y_dev)
    proba = model.predict_proba([[2, 2], [0, 1]])
    assert np.allclose(proba.sum(axis=1), 1) and (proba[:, 2] == 0).all()
    back = BaseLabelModel.load(model.save(tmp_path / "lr.json"))
    assert np.allclose(back.predict_proba([[2, 2], [0, 1]]), proba)
    one_class = DevLogisticRegression(cardinality=3).fit(dev, L_dev=dev, y_dev=np.zeros(6, dtype=int))
    assert np.allclose(one_class.predict_proba(dev), [7 / 9, 1 / 9, 1 / 9])  # the smoothed dev class balance


def test_vote_features_are_outcomes_and_counts():
    features = vote_features(np.array([[0, -1, 1], [-1, -1, -1]]), 2).toarray()
    assert features.shape == (2, 3 * 3 + 2)
    assert features[0].tolist() == [0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1]
    assert features[1].tolist() == [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]
