"""The contract every label model keeps: shapes, probabilities, save/load, seeds, degenerate inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from weaksup import VoteMatrix
from weaksup.errors import LabelModelError
from weaksup.models import MODELS, DawidSkene, LabelModel, MajorityVote, SnorkelLabelModel

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 3, 400)
L = np.where(RNG.random((400, 6)) < 0.5, np.where(RNG.random((400, 6)) < 0.8, Y[:, None], RNG.integers(0, 3, (400, 6))), -1)

FAST = [MajorityVote, DawidSkene]


@pytest.mark.parametrize("cls", FAST + [SnorkelLabelModel], ids=lambda c: c.__name__)
def test_shapes_probabilities_and_accuracy(cls):
    model = cls(cardinality=3).fit(VoteMatrix(L))
    proba = model.predict_proba(L)
    assert proba.shape == (400, 3) and np.isfinite(proba).all() and (proba >= 0).all()
    assert np.allclose(proba.sum(axis=1), 1)
    covered = (L != -1).any(axis=1)
    assert (model.predict(L, tie_break="hash")[covered] == Y[covered]).mean() > 0.8  # LFs are 80%+ accurate


@pytest.mark.parametrize("cls", FAST + [SnorkelLabelModel], ids=lambda c: c.__name__)
def test_save_load_round_trip_without_pickle(cls, tmp_path):
    model = cls(cardinality=3).fit(L)
    path = model.save(tmp_path / "model.json")
    back = LabelModel.load(path)
    assert type(back) is cls and back.get_params() == model.get_params()
    assert np.allclose(back.predict_proba(L), model.predict_proba(L))
    assert path.read_text().startswith("{")


@pytest.mark.parametrize("cls", FAST + [SnorkelLabelModel], ids=lambda c: c.__name__)
def test_same_seed_same_result(cls):
    a = cls(cardinality=3, seed=7).fit(L).predict_proba(L)
    b = cls(cardinality=3, seed=7).fit(L).predict_proba(L)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_degenerate_inputs(cls):
    odd = np.array([[-1, -1, -1], [0, -1, -1], [0, -1, -1], [-1, -1, -1]])  # LFs that never fire, class 1 never voted
    model = cls(cardinality=2).fit(odd)
    proba = model.predict_proba(odd)
    assert np.allclose(proba.sum(axis=1), 1) and np.isfinite(proba).all()
    assert model.predict(odd)[1] == 0
    two = cls(cardinality=2).fit(L[:, :2] % 2)  # fewer than 3 LFs
    assert two.predict_proba(L[:, :2] % 2).shape == (400, 2)


def test_snorkel_needs_three_lfs_and_says_so():
    with pytest.raises(LabelModelError, match="at least 3 LFs.*MajorityVote or DawidSkene"):
        SnorkelLabelModel(cardinality=2).fit(L[:, :2] % 2)


@pytest.mark.snorkel
def test_snorkel_adapter_predicts_like_snorkel():
    from snorkel.labeling.model import LabelModel as Snorkel

    ours = SnorkelLabelModel(cardinality=3, n_epochs=200, seed=1).fit(L)
    theirs = Snorkel(cardinality=3, verbose=False)
    theirs.fit(L, n_epochs=200, seed=1, progress_bar=False)
    assert np.allclose(ours.predict_proba(L), theirs.predict_proba(L), atol=1e-6)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(LabelModelError, match="not fitted"):
        MajorityVote().predict_proba(L)
    with pytest.raises(LabelModelError, match="holds the vote 2 but the model has cardinality 2"):
        MajorityVote(cardinality=2).fit(L)
    with pytest.raises(LabelModelError, match="6 LF columns; the model was fitted on 3"):
        MajorityVote(cardinality=3).fit(L[:, :3]).predict(L)
    with pytest.raises(LabelModelError, match="unknown tie_break 'coin'"):
        MajorityVote(cardinality=3).fit(L).predict(L, tie_break="coin")
    bad = tmp_path / "m.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(LabelModelError, match="not a weaksup label model"):
        LabelModel.load(bad)
    assert set(MODELS) >= {"MajorityVote", "DawidSkene", "SnorkelLabelModel"}


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 30), st.integers(1, 5)), elements=st.integers(-1, 2)))
def test_any_vote_matrix_gives_valid_probabilities(votes):
    for cls in FAST:
        proba = cls(cardinality=3).fit(votes).predict_proba(votes)
        assert proba.shape == (len(votes), 3) and np.isfinite(proba).all() and (proba >= 0).all()
        assert np.allclose(proba.sum(axis=1), 1)
        preds = cls(cardinality=3).fit(votes).predict(votes, tie_break="abstain")
        assert set(preds.tolist()) <= {-1, 0, 1, 2}
