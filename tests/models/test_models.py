"""The contract every label model keeps: shapes, probabilities, save/load, seeds, degenerate inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from weaksup import VoteMatrix
from weaksup.errors import LabelModelError, NotFittedError
from weaksup.models import MODELS, BaseLabelModel, DawidSkene, MajorityVote, SnorkelLabelModel

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 3, 400)
L = np.where(RNG.random((400, 6)) < 0.5, np.where(RNG.random((400, 6)) < 0.8, Y[:, None], RNG.integers(0, 3, (400, 6))), -1)

NUMPY_ONLY = [MODELS[name] for name in sorted(MODELS) if MODELS[name] is not SnorkelLabelModel]
#: Every model; Snorkel's needs torch and Snorkel, so it carries the ``snorkel`` marker.
ALL = [pytest.param(MODELS[name], marks=[pytest.mark.snorkel, pytest.mark.slow]) if MODELS[name] is SnorkelLabelModel else MODELS[name]
       for name in sorted(MODELS)]


def fit(cls: type[BaseLabelModel], votes, y=None, **params) -> BaseLabelModel:
    """Fit any model; dev-aware ones get the first 200 rows (or all) as dev gold."""
    model = cls(**params)
    if not cls.uses_dev_gold:
        return model.fit(votes)
    votes = np.asarray(votes)
    y = Y[: len(votes)] if y is None else np.asarray(y)
    dev = slice(0, min(200, len(votes)))
    return model.fit(votes, L_dev=votes[dev], y_dev=y[dev])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_shapes_probabilities_and_accuracy(cls):
    model = fit(cls, VoteMatrix(L), cardinality=3)
    proba = model.predict_proba(VoteMatrix(L))
    assert proba.shape == (400, 3) and np.isfinite(proba).all() and (proba >= 0).all()
    assert np.allclose(proba.sum(axis=1), 1)
    covered = (L != -1).any(axis=1)
    assert (model.predict(L, tie_break="hash")[covered] == Y[covered]).mean() > 0.8  # LFs are 80%+ accurate
    assert model.cardinality_ == 3 and model.n_lfs_ == 6


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_save_load_round_trip_without_pickle(cls, suffix, tmp_path):
    model = fit(cls, L, cardinality=3)
    path = model.save(tmp_path / f"model{suffix}")
    back = BaseLabelModel.load(path)
    assert type(back) is cls and back.get_params() == model.get_params()
    assert np.array_equal(back.predict_proba(L), model.predict_proba(L))
    assert np.array_equal(back.predict(L, tie_break="hash"), model.predict(L, tie_break="hash"))
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:  # loads without pickle
            assert data.files == ["model"]
    else:
        assert path.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # atomic: no temporary file left


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_same_seed_same_result(cls):
    a = fit(cls, L, cardinality=3, seed=7)
    b = fit(cls, L, cardinality=3, seed=7)
    assert np.array_equal(a.predict_proba(L), b.predict_proba(L))
    assert np.array_equal(a.predict(L, tie_break="seeded_random"), b.predict(L, tie_break="seeded_random"))


@pytest.mark.parametrize("cls", NUMPY_ONLY, ids=lambda c: c.__name__)
def test_degenerate_inputs(cls):
    # rows 0 and 3 all abstain, LFs 1 and 2 never fire, class 1 is never voted (but is in the dev gold)
    odd = np.array([[-1, -1, -1], [0, -1, -1], [0, -1, -1], [-1, -1, -1]] * 5)
    model = fit(cls, odd, y=np.array([1, 0, 0, 1] * 5), cardinality=2)
    proba = model.predict_proba(odd)
    assert proba.shape == (20, 2) and np.allclose(proba.sum(axis=1), 1) and np.isfinite(proba).all()
    assert model.predict(odd, tie_break="hash")[1] == 0
    unseen = model.predict_proba([[1, 1, 0]])  # votes never seen in fit are not impossible
    assert np.isfinite(unseen).all() and np.allclose(unseen.sum(), 1)
    two = fit(cls, L[:, :2] % 2, y=Y % 2, cardinality=2)  # fewer than 3 LFs
    assert two.predict_proba(L[:, :2] % 2).shape == (400, 2)
    one_class = fit(cls, np.zeros((10, 3), dtype=int), y=np.zeros(10, dtype=int), cardinality=2)
    assert one_class.predict(np.zeros((2, 3), dtype=int), tie_break="hash").tolist() == [0, 0]


@pytest.mark.snorkel
def test_snorkel_needs_three_lfs_and_says_so():
    with pytest.raises(LabelModelError, match="at least 3 LFs.*MajorityVote or DawidSkene"):
        SnorkelLabelModel(cardinality=2).fit(L[:, :2] % 2)
    model = SnorkelLabelModel(cardinality=2, seed=1).fit(np.array([[-1, -1, -1], [0, -1, -1], [0, 0, -1]] * 4))
    proba = model.predict_proba([[-1, -1, -1], [0, 0, 0]])
    assert np.allclose(proba.sum(axis=1), 1) and np.isfinite(proba).all()


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(NotFittedError, match="MajorityVote is not fitted"):
        MajorityVote().predict_proba(L)
    with pytest.raises(LabelModelError, match=r"L: vote 2 at row \d+, column \d is outside the label space \(ids 0..1"):
        MajorityVote(cardinality=2).fit(L)
    with pytest.raises(LabelModelError, match="6 LF columns; the model was fitted on 3"):
        MajorityVote(cardinality=3).fit(L[:, :3]).predict(L)
    with pytest.raises(LabelModelError, match="unknown tie_break 'coin'"):
        MajorityVote(cardinality=3).fit(L).predict(L, tie_break="coin")
    with pytest.raises(LabelModelError, match="integer votes"):
        DawidSkene().fit([[0.5, 1.0]])
    with pytest.raises(LabelModelError, match="below -1"):
        DawidSkene().fit([[0, -2]])
    bad = tmp_path / "m.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(LabelModelError, match="not a weaksup label model"):
        BaseLabelModel.load(bad)
    bad.write_text("{oops")
    with pytest.raises(LabelModelError, match="m.json: not a saved label model"):
        BaseLabelModel.load(bad)
    doc = MajorityVote(cardinality=2).fit([[0, 1]]).to_dict()
    with pytest.raises(LabelModelError, match="format_version 99"):
        BaseLabelModel.from_dict({**doc, "format_version": 99})
    with pytest.raises(LabelModelError, match="unknown model 'Nope'"):
        BaseLabelModel.from_dict({**doc, "model": "Nope"})
    with pytest.raises(LabelModelError, match="does not exist"):
        BaseLabelModel.load(tmp_path / "missing.npz")


@settings(max_examples=25, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 30), st.integers(1, 5)), elements=st.integers(-1, 2)),
       st.integers(0, 2**16))
def test_any_vote_matrix_gives_valid_probabilities(votes, seed):
    y = np.random.default_rng(seed).integers(0, 3, len(votes))
    for cls in NUMPY_ONLY:
        model = fit(cls, votes, y=y, cardinality=3, seed=seed)
        proba = model.predict_proba(votes)
        assert proba.shape == (len(votes), 3) and np.isfinite(proba).all() and (proba >= 0).all()
        assert np.allclose(proba.sum(axis=1), 1)
        for policy in ("abstain", "seeded_random", "hash"):
            assert set(model.predict(votes, tie_break=policy).tolist()) <= {-1, 0, 1, 2}
