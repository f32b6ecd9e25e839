"""VoteStacker: reads every label's votes (a label with no LF of its own is predicted from another label's votes),
chooses its strength on dev by cross-fitting, keeps labels it is not clearly worse on, and round-trips through JSON."""

import json

import numpy as np
import pytest

from tests.multilabel.test_models import synthetic
from weaksup.errors import LabelModelError
from weaksup.multilabel import MULTILABEL_MODELS, MultiLabelMajority, MultiLabelSpace, MultiLabelVotes, VoteStacker
from weaksup.multilabel.models_base import f1_per_label
from weaksup.multilabel.models_stack import C_GRID, label_evidence, own_votes
from weaksup.multilabel.persist import load_multilabel_model, multilabel_model_from_dict, multilabel_model_to_dict


def grief_from_sadness(n=1600, seed=0):
    """'grief' has no LF of its own and comes with 'sadness' + 'remorse' votes together; 'sadness' has an LF,
    'remorse' has an LF, 'joy' is independent."""
    rng = np.random.default_rng(seed)
    space = MultiLabelSpace(["sadness", "remorse", "grief", "joy"])
    Y = np.zeros((n, 4), dtype=bool)
    Y[:, 2] = rng.random(n) < 0.15
    Y[:, 0] = Y[:, 2] | (rng.random(n) < 0.2)
    Y[:, 1] = Y[:, 2] | (rng.random(n) < 0.1)
    Y[:, 3] = ~Y[:, 0] & (rng.random(n) < 0.3)
    V = np.full((n, 3, 4), -1, dtype=np.int8)
    V[:, 0, 0] = np.where(Y[:, 0] & (rng.random(n) < 0.85), 1, -1)
    V[:, 1, 1] = np.where(Y[:, 1] & (rng.random(n) < 0.85), 1, -1)
    V[:, 2, 3] = np.where(Y[:, 3] & (rng.random(n) < 0.8), 1, -1)
    return MultiLabelVotes(V, ["kw_sad", "kw_sorry", "kw_joy"], space), Y


def test_is_registered_and_a_label_without_lfs_gets_f1_from_other_labels_votes():
    assert MULTILABEL_MODELS["vote_stacker"] is VoteStacker
    votes, Y = grief_from_sadness()
    dev, rest = np.arange(800), np.arange(800, 1600)
    model = VoteStacker().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]), seed=0)
    stacked = f1_per_label(Y[rest], model.predict(votes.take(rest)))
    majority = f1_per_label(Y[rest], MultiLabelMajority().fit(votes.take(rest)).predict(votes.take(rest)))
    assert majority[2] == 0.0  # no LF says anything about grief
    assert stacked[2] > 0.5 and not model.backoff_[2]
    assert stacked[[0, 1, 3]].min() > 0.8  # the labels with LFs are still read


def test_c_is_chosen_on_dev_and_recorded():
    votes, Y = synthetic()
    model = VoteStacker().fit(votes.take(range(600, 1200)), dev=(votes.take(range(600)), Y[:600]))
    assert set(model.C_scores_) == {str(C) for C in C_GRID}
    assert model.C_ == max(C_GRID, key=lambda C: model.C_scores_[str(C)])
    fixed = VoteStacker(C=0.5).fit(votes, dev=(votes.take(range(600)), Y[:600]))
    assert fixed.C_ == 0.5 and fixed.C_scores_ == {}
    assert f1_per_label(Y[600:], model.predict(votes.take(range(600, 1200))))[1] > 0.7  # 'b' from a's votes


def test_backoff_margin_keeps_close_labels_with_the_stacker():
    votes, Y = synthetic()
    dev = (votes.take(range(600)), Y[:600])
    strict = VoteStacker(backoff_margin=0.0).fit(votes, dev=dev)
    loose = VoteStacker(backoff_margin=1.0).fit(votes, dev=dev)
    assert loose.backoff_.sum() <= strict.backoff_.sum()
    assert not loose.backoff_[Y[:600].sum(axis=0) >= loose.min_positives].any()
    rare = VoteStacker(min_positives=10_000).fit(votes, dev=dev)
    assert rare.backoff_.all()  # too few dev positives everywhere: every label decided by its majority vote


def test_features_and_errors():
    votes = MultiLabelVotes([[[1, -1], [0, 1]], [[-1, -1], [-1, -1]]], ["x", "y"], MultiLabelSpace(["a", "b"]))
    assert label_evidence(votes).shape == (2, 7)
    assert own_votes(votes, 1, np.array([1])).tolist()[0] == [1.0, 1.0, np.log(2), 1.0, 0.0]
    Y = np.array([[True, False], [False, True]])
    for bad in ({"C": 0}, {"C": "x"}, {"own_scale": -1}, {"backoff_margin": -0.1}):
        with pytest.raises(LabelModelError):
            VoteStacker(**bad).fit(votes, dev=(votes, Y))
    with pytest.raises(LabelModelError, match="learns from dev gold"):
        VoteStacker().fit(votes)


def test_round_trip_through_json(tmp_path):
    votes, Y = grief_from_sadness()
    model = VoteStacker(cells=True).fit(votes.take(range(800, 1600)), dev=(votes.take(range(800)), Y[:800]))
    again = multilabel_model_from_dict(json.loads(json.dumps(multilabel_model_to_dict(model))))
    assert isinstance(again, VoteStacker) and again.C_ == model.C_ and again.cells is True
    np.testing.assert_array_equal(again.predict_proba(votes), model.predict_proba(votes))
    np.testing.assert_array_equal(again.predict(votes), model.predict(votes))
    from weaksup.multilabel.persist import save_multilabel_model

    loaded = load_multilabel_model(save_multilabel_model(model, tmp_path / "label_model.json"))
    np.testing.assert_array_equal(loaded.predict(votes), model.predict(votes))


def test_weaksup_run_with_vote_stacker_saves_a_model_that_reloads(tmp_path, monkeypatch):
    from tests.multilabel.ml_project import SPACE, make_ml_project
    from weaksup.config import load_config
    from weaksup.pipeline import load_run, run

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path, n=400, gold_rows=300, label_model={"name": "vote_stacker", "seed": 0})
    result = run(load_config(config), progress=False)
    assert result.label_model == "VoteStacker" and result.metrics["macro_f1"] > 0.7
    doc = json.loads((tmp_path / "out" / "label_model.json").read_text())
    assert doc["class"] == "VoteStacker" and "C_" in doc["state"] and "coef_" in doc["state"]
    saved = load_run(tmp_path / "out")
    loaded = saved.model()
    assert isinstance(loaded, VoteStacker) and loaded.C_ == doc["state"]["C_"]
    labels = saved.labels
    machine = (labels["review_status"] != "reviewed").to_numpy()
    votes = MultiLabelVotes.from_vote_matrix(saved.votes(), SPACE)
    probs = labels[[f"prob_{x}" for x in SPACE.labels]].to_numpy()
    assert machine.sum() > 50
    np.testing.assert_allclose(loaded.predict_proba(votes)[machine], probs[machine], atol=1e-6)
