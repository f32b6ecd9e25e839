"""The temporal label model: exact chain posteriors, sequences kept apart, transitions learned, storage, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from weaksup.errors import LabelModelError
from weaksup.models import MODELS, BaseLabelModel, MajorityVote, TemporalLabelModel, resolve_label_model
from weaksup.models.temporal_chain import (baum_welch_transitions, count_transitions, forward_backward,
                                           sequence_starts)


def _chain(n_runs=40, run=20, n_lfs=3, acc=0.7, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(rng.integers(0, 2, n_runs), run)
    right = rng.random((len(y), n_lfs)) < acc
    L = np.where(right, y[:, None], 1 - y[:, None])
    L[rng.random(L.shape) < 0.2] = -1
    return L, y


def test_forward_backward_equals_brute_force_enumeration():
    rng = np.random.default_rng(3)
    k, n = 3, 5
    ev = rng.random((n, k)) + 0.05
    A = rng.random((k, k)) + 0.1
    A /= A.sum(axis=1, keepdims=True)
    init = np.array([0.5, 0.3, 0.2])
    post, xi = forward_backward(ev, A, init, np.array([0]))
    joint = np.zeros((n, k))
    pairs = np.zeros((k, k))
    for path in itertools.product(range(k), repeat=n):
        p = init[path[0]] * np.prod([A[a, b] for a, b in zip(path, path[1:])]) * np.prod(ev[np.arange(n), path])
        joint[np.arange(n), path] += p
        for a, b in zip(path, path[1:]):
            pairs[a, b] += p
    total = joint[0].sum()
    assert np.allclose(post, joint / total)
    assert np.allclose(xi, pairs / total)


def test_smoothing_beats_the_same_model_without_order():
    L, y = _chain()
    model = TemporalLabelModel(2, base="MajorityVote").fit(L)
    temporal = (model.predict(L, tie_break="hash") == y).mean()
    plain = (model.plain_predict(L, tie_break="hash") == y).mean()
    assert temporal > plain + 0.05, (temporal, plain)
    assert model.transition_[0, 0] > 0.75 and model.transition_[1, 1] > 0.75  # learned from the order, no labels


def test_sequences_are_independent_chains():
    L, _ = _chain(n_runs=10)
    model = TemporalLabelModel(2, base="MajorityVote").fit(L)
    half = len(L) // 2
    together = model.predict_proba(L, sequences=np.repeat(["a", "b"], [half, len(L) - half]))
    assert np.allclose(together[:half], model.predict_proba(L[:half]))
    assert np.allclose(together[half:], model.predict_proba(L[half:]))
    with pytest.raises(LabelModelError, match="sequence 'a' is split"):
        model.predict_proba(L[:3], sequences=["a", "b", "a"])
    assert sequence_starts(4, [1, 1, 2, 2]).tolist() == [0, 2]


def test_transitions_from_dev_labels_and_both():
    L, y = _chain(seed=1)
    dev = slice(0, 200)
    by_dev = TemporalLabelModel(2, base="DevNaiveBayes", transitions="dev").fit(L, L_dev=L[dev], y_dev=y[dev])
    counts = count_transitions(y[dev], 2, np.array([0])) + 2 * by_dev.prior_[None, :]
    assert np.allclose(by_dev.transition_, counts / counts.sum(axis=1, keepdims=True))
    both = TemporalLabelModel(2, transitions="both").fit(L, L_dev=L[dev], y_dev=y[dev])
    assert (both.predict(L) == y).mean() > 0.9
    ev = np.where(np.eye(2)[y] == 1, 0.8, 0.2)
    A = baum_welch_transitions(ev, np.array([0.5, 0.5]), np.array([0]))
    assert A[0, 0] > 0.9 and A[1, 1] > 0.9


def test_registered_saved_and_loaded(tmp_path):
    assert MODELS["TemporalLabelModel"] is TemporalLabelModel
    assert resolve_label_model("temporal", has_dev_gold=False) is TemporalLabelModel
    L, y = _chain(n_runs=8)
    model = TemporalLabelModel(2, strength=0.5, floor=0.1, sequence_column="video").fit(L, L_dev=L[:50],
                                                                                       y_dev=y[:50])
    back = BaseLabelModel.load(model.save(tmp_path / "temporal.json"))
    assert isinstance(back, TemporalLabelModel) and back.sequence_column == "video"
    assert np.array_equal(back.predict_proba(L), model.predict_proba(L))


def test_errors_name_the_fix():
    L, _ = _chain(n_runs=4)
    with pytest.raises(LabelModelError, match="base 'Nope' is not a per-item label model"):
        TemporalLabelModel(2, base="Nope").fit(L)
    with pytest.raises(LabelModelError, match="needs dev gold labels.*MajorityVote, DawidSkene"):
        TemporalLabelModel(2).fit(L)
    with pytest.raises(LabelModelError, match="strength"):
        TemporalLabelModel(2, strength=0).fit(L)
    with pytest.raises(LabelModelError, match="transitions"):
        TemporalLabelModel(2, transitions="labels").fit(L)
    with pytest.raises(LabelModelError, match="not fitted"):
        TemporalLabelModel(2).predict(L)


def test_fit_chain_reuses_a_fitted_base():
    L, y = _chain(n_runs=10)
    base = MajorityVote(2).fit(L)
    a = TemporalLabelModel(2, base="MajorityVote", strength=0.5).fit_chain(base, L)
    b = TemporalLabelModel(2, base="MajorityVote", strength=0.5).fit(L)
    assert np.allclose(a.transition_, b.transition_) and a.base_ is base
