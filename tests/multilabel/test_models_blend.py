"""VoteBlend: the mean of its members' probabilities, its thresholds tuned on the mean of their honest
(cross-fitted) dev probabilities, bad member lists named, and the members kept through a JSON round trip."""

import json

import numpy as np
import pytest

from tests.multilabel.test_models import synthetic
from weaksup.errors import LabelModelError
from weaksup.multilabel import DEFAULT_MULTILABEL_MODEL, MULTILABEL_MODELS, MultiLabelMajority, VoteBlend
from weaksup.multilabel.models_base import f1_per_label
from weaksup.multilabel.models_blend import BLEND_MEMBERS
from weaksup.multilabel.persist import multilabel_model_from_dict, multilabel_model_to_dict

MEMBERS = ["dev_naive_bayes", "vote_logistic"]


def fitted(members=MEMBERS, **params):
    votes, Y = synthetic()
    model = VoteBlend(members=members, **params).fit(votes.take(range(600, 1200)), dev=(votes.take(range(600)), Y[:600]))
    return model, votes, Y


def test_is_registered_the_default_and_averages_its_members():
    assert MULTILABEL_MODELS["vote_blend"] is VoteBlend and DEFAULT_MULTILABEL_MODEL == "vote_blend"
    assert VoteBlend().members == list(BLEND_MEMBERS) == ["vote_stacker", "dev_naive_bayes"]
    model, votes, Y = fitted(backoff=False)
    rest = votes.take(range(600, 1200))
    members = [m.predict_proba(rest) for m in model.members_.values()]  # no member backs off with backoff=False
    assert all(not m.backoff_.any() for m in model.members_.values())
    np.testing.assert_allclose(model.predict_proba(rest), np.mean(members, axis=0))
    # the thresholds were tuned on the mean of the members' honest dev probabilities
    honest = np.mean([m.honest_dev_proba for m in model.members_.values()], axis=0)
    np.testing.assert_allclose(model.honest_dev_proba, honest)
    assert honest.shape == (600, 4) and not np.allclose(honest, model.predict_proba(votes.take(range(600))))


def test_beats_majority_vote_where_the_members_read_co_occurrence():
    model, votes, Y = fitted()
    rest = votes.take(range(600, 1200))
    blend = f1_per_label(Y[600:], model.predict(rest))
    majority = f1_per_label(Y[600:], MultiLabelMajority().fit(rest).predict(rest))
    assert blend[1] > 0.7 and majority[1] == 0.0  # 'b' has no LF: read from 'a's votes
    assert blend.mean() > majority.mean() + 0.1


def test_an_unsupervised_member_is_allowed():
    model, votes, Y = fitted(members=["dawid_skene", "dev_naive_bayes"])
    assert set(model.members_) == {"dawid_skene", "dev_naive_bayes"}
    assert f1_per_label(Y[600:], model.predict(votes.take(range(600, 1200))))[0] > 0.7


@pytest.mark.parametrize("members, fix", [(["vote_logistic"], "at least two"), (["vote_logistic", "vote_logistic"],
                                          "at least two"), (["vote_logistic", "labelwise_selector"], "choose from"),
                                          (["vote_logistic", "nope"], "choose from"), ("vote_logistic", "a list")])
def test_bad_members_are_named(members, fix):
    votes, Y = synthetic()
    with pytest.raises(LabelModelError, match=fix):
        VoteBlend(members=members).fit(votes, dev=(votes.take(range(300)), Y[:300]))


def test_threshold_plateau_is_checked_and_below_1_moves_the_thresholds():
    votes, Y = synthetic()
    with pytest.raises(LabelModelError, match="threshold_plateau"):
        VoteBlend(members=MEMBERS, threshold_plateau=0).fit(votes, dev=(votes.take(range(300)), Y[:300]))
    peak, _, _ = fitted(threshold_rule="best_cut")
    smooth, _, _ = fitted(threshold_rule="best_cut", threshold_plateau=0.8)
    assert peak.threshold_plateau == 1.0 and not np.allclose(peak.thresholds_, smooth.thresholds_)


def test_threshold_rule_is_checked_and_half_f1_differs_from_the_best_cut():
    votes, Y = synthetic()
    with pytest.raises(LabelModelError, match="threshold_rule"):
        VoteBlend(members=MEMBERS, threshold_rule="best").fit(votes, dev=(votes.take(range(300)), Y[:300]))
    half, _, _ = fitted()
    cut, _, _ = fitted(threshold_rule="best_cut")
    assert half.threshold_rule == "half_f1" and not np.allclose(half.thresholds_, cut.thresholds_)


def test_round_trip_keeps_members_not_the_dev_probabilities():
    model, votes, _ = fitted()
    doc = multilabel_model_to_dict(model)
    assert "honest_dev_proba" not in doc["state"] and sorted(doc["state"]["members_"]) == sorted(MEMBERS)
    again = multilabel_model_from_dict(json.loads(json.dumps(doc)))
    rest = votes.take(range(600, 1200))
    np.testing.assert_array_equal(again.predict(rest), model.predict(rest))
