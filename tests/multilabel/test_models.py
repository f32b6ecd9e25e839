"""Multi-label label models: majority-vote semantics, thresholds tuned on honest dev, back-off, co-occurrence,
exclusivity and the none label in predict, the registry and its errors."""

import numpy as np
import pytest

from weaksup.errors import LabelModelError, LabelSpaceError, NotFittedError, ParameterError
from weaksup.multilabel import (
    DEFAULT_MULTILABEL_MODEL,
    MULTILABEL_MODELS,
    LabelwiseSelector,
    MultiLabelMajority,
    MultiLabelSpace,
    MultiLabelVotes,
    PerLabelDevNaiveBayes,
    VoteLogistic,
    decide,
    resolve_multilabel_model,
    tune_thresholds,
)
from weaksup.multilabel.models_base import f1_per_label

SPACE = MultiLabelSpace(["a", "b", "c", "none"], exclusive=[["a", "c"]], none_label="none")


def synthetic(n=1200, seed=0):
    """Labels a (30%), b (= a on 90% of a's rows, never otherwise: no LF of its own), c (20%, not with a),
    none when nothing else. LF 0: good for a; LF 1: says yes to a on half of all rows (noise); LF 2: good for c."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, 4), dtype=bool)
    Y[:, 0] = rng.random(n) < 0.3
    Y[:, 1] = Y[:, 0] & (rng.random(n) < 0.9)
    Y[:, 2] = ~Y[:, 0] & (rng.random(n) < 0.3)
    Y[:, 3] = ~Y[:, :3].any(axis=1)
    V = np.full((n, 3, 4), -1, dtype=np.int8)
    V[:, 0, 0] = np.where(Y[:, 0] & (rng.random(n) < 0.8), 1, -1)
    V[:, 1, 0] = np.where(rng.random(n) < 0.5, 1, -1)
    V[:, 1, 2] = np.where(Y[:, 0] & (rng.random(n) < 0.5), 0, -1)
    V[:, 2, 2] = np.where(Y[:, 2] & (rng.random(n) < 0.8), 1, np.where(rng.random(n) < 0.05, 1, -1))
    return MultiLabelVotes(V, ["good_a", "noisy_a", "good_c"], SPACE), Y


def test_majority_semantics():
    votes = MultiLabelVotes(
        [[[1, -1, -1, -1], [1, -1, -1, -1]],   # yes, yes -> a
         [[1, -1, -1, -1], [0, -1, -1, -1]],   # tie -> no -> none
         [[-1, -1, -1, -1], [-1, -1, -1, -1]],  # nothing -> none
         [[1, 1, 1, -1], [1, -1, 1, 1]]],      # a and c both yes (exclusive): a tie on margin keeps one
        ["x", "y"], SPACE)
    mv = MultiLabelMajority().fit(votes)
    pred = mv.predict(votes)
    assert pred[0].tolist() == [True, False, False, False]
    assert pred[1].tolist() == [False, False, False, True]
    assert pred[2].tolist() == [False, False, False, True]
    assert pred[3, 1] and pred[3, :3:2].sum() == 1 and not pred[3, 3]  # exclusivity; 'none' loses to b
    assert mv.predict_proba(votes)[1, 0] == 0.5 and mv.predict_proba(votes)[2].tolist() == [0, 0, 0, 0]
    # dev gold does not change majority vote
    assert np.array_equal(MultiLabelMajority().fit(votes, dev=(votes, np.zeros((4, 4), bool))).predict(votes), pred)


@pytest.mark.parametrize("name", sorted(MULTILABEL_MODELS))
def test_every_model_keeps_the_contract(name):
    votes, Y = synthetic()
    dev, rest = np.arange(600), np.arange(600, 1200)
    model = MULTILABEL_MODELS[name]().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]), seed=1)
    proba = model.predict_proba(votes.take(rest))
    pred = model.predict(votes.take(rest))
    assert proba.shape == (600, 4) and pred.shape == (600, 4) and pred.dtype == bool
    assert ((proba >= 0) & (proba <= 1)).all()
    assert model.thresholds_.shape == (4,)
    assert not (pred[:, 0] & pred[:, 2]).any()  # exclusive group
    assert np.array_equal(pred[:, 3], ~pred[:, :3].any(axis=1))  # none exactly when nothing else
    clone = type(model)(**model.get_params())
    assert clone.get_params() == model.get_params()


@pytest.mark.parametrize("name", sorted(MULTILABEL_MODELS))
def test_no_model_predicts_the_none_label_beside_another_even_from_gold_and_votes_that_do(name, tmp_path):
    """Dev gold as GoEmotions' raters give it (a fifth of the rows carry 'none' with another label) and an LF that
    says yes to 'none' on rows that carry a: the label sets still keep the space's rules, and so does the model
    saved and loaded back."""
    from weaksup.multilabel.persist import load_multilabel_model, save_multilabel_model

    votes, Y = synthetic(600)
    rng = np.random.default_rng(3)
    Y = Y.copy()
    Y[:, 3] |= Y[:, :3].any(axis=1) & (rng.random(len(Y)) < 0.2)
    Y[::30, 0] = Y[::30, 2] = True  # and a few rows with both labels of the exclusive group
    assert SPACE.broken_rules(Y)
    V = np.concatenate([votes.values, np.full((votes.n, 1, 4), -1, dtype=np.int8)], axis=1)
    V[:, 3, 3] = np.where(Y[:, 3], 1, -1)  # yes to 'none' wherever the gold has it, a's rows included
    votes = MultiLabelVotes(V, [*votes.lf_ids, "says_none"], SPACE)
    dev, rest = np.arange(300), np.arange(300, 600)
    model = MULTILABEL_MODELS[name]().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]), seed=1)
    save_multilabel_model(model, tmp_path / "label_model.json")
    for fitted in (model, load_multilabel_model(tmp_path / "label_model.json")):
        pred = fitted.predict(votes)
        assert not SPACE.broken_rules(pred)
        assert np.array_equal(pred[:, 3], ~pred[:, :3].any(axis=1))  # none exactly when nothing else
    assert (pred[:, :3].any(axis=1) & (V[:, 3, 3] == 1)).any()  # rows where the none LF said yes got other labels


def test_dev_aware_models_beat_majority_where_an_lf_is_noisy():
    votes, Y = synthetic()
    dev, rest = np.arange(600), np.arange(600, 1200)
    mv = f1_per_label(Y[rest], MultiLabelMajority().fit(votes).predict(votes.take(rest)))
    for cls in (PerLabelDevNaiveBayes, VoteLogistic, LabelwiseSelector):
        f1 = f1_per_label(Y[rest], cls().fit(votes.take(rest), dev=(votes.take(dev), Y[dev])).predict(votes.take(rest)))
        assert f1[0] > mv[0] + 0.05, (cls.__name__, f1, mv)  # the noisy LF is down-weighted on 'a'


def test_vote_logistic_reads_co_occurrence():
    """'b' has no LF of its own: only a model reading the other labels' votes can find it."""
    votes, Y = synthetic()
    dev, rest = np.arange(600), np.arange(600, 1200)
    vl = VoteLogistic().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))
    nb = PerLabelDevNaiveBayes().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))
    f1_vl = f1_per_label(Y[rest], vl.predict(votes.take(rest)))
    f1_nb = f1_per_label(Y[rest], nb.predict(votes.take(rest)))
    assert f1_vl[1] > 0.7 and f1_nb[1] < 0.5, (f1_vl, f1_nb)
    assert not vl.backoff_[1]


def test_rare_label_backs_off_to_majority_vote():
    votes, Y = synthetic()
    Y_dev = Y[:600].copy()
    Y_dev[:, 2] &= np.cumsum(Y_dev[:, 2]) <= 3  # only 3 dev positives of 'c' (min_positives 5)
    model = VoteLogistic().fit(votes.take(np.arange(600, 1200)), dev=(votes.take(np.arange(600)), Y_dev))
    assert model.backoff_[2]
    yes, no = votes.take(np.arange(600, 1200)).counts()
    proba = model.predict_proba(votes.take(np.arange(600, 1200)))[:, 2]
    assert np.array_equal(proba >= model.thresholds_[2], yes[:, 2] > no[:, 2])  # decided as its majority vote
    assert len(np.unique(proba)) == 2  # with the two dev-calibrated probabilities of that decision


def test_thresholds_shrink_rare_labels_to_the_fallback():
    rng = np.random.default_rng(0)
    Y = rng.random((500, 2)) < [0.3, 0.004]
    P = np.clip(Y * 0.4 + rng.random((500, 2)) * 0.5, 0, 1)
    t = tune_thresholds(P, Y, default=np.array([0.2, 0.77]))
    assert 0.3 < t[0] < 0.6 and t[1] == 0.77
    assert tune_thresholds(P, Y, strength=0.0, min_positives=0)[1] != 0.77
    with pytest.raises(ParameterError, match="must both be"):
        tune_thresholds(P, Y[:, :1])
    with pytest.raises(ParameterError, match="do not fit"):
        decide(P, np.array([0.5, 0.5]), SPACE)


def test_registry_and_errors():
    assert resolve_multilabel_model("default", has_dev_gold=True) is MULTILABEL_MODELS[DEFAULT_MULTILABEL_MODEL]
    assert resolve_multilabel_model("default", has_dev_gold=False) is MultiLabelMajority
    with pytest.raises(LabelModelError, match="unknown multi-label model 'snorkel'"):
        resolve_multilabel_model("snorkel", has_dev_gold=True)
    votes, Y = synthetic(200)
    with pytest.raises(LabelModelError, match="learns from dev gold"):
        VoteLogistic().fit(votes)
    with pytest.raises(LabelModelError, match=r"Y_dev has shape \(200, 3\)"):
        VoteLogistic().fit(votes, dev=(votes, Y[:, :3]))
    with pytest.raises(LabelModelError, match="C must be"):
        VoteLogistic(C=0).fit(votes, dev=(votes, Y))
    with pytest.raises(LabelModelError, match="n_folds"):
        MultiLabelMajority(n_folds=0).fit(votes)
    with pytest.raises(LabelModelError, match="no parameter 'alpha'"):
        MultiLabelMajority().set_params(alpha=1)
    with pytest.raises(NotFittedError):
        MultiLabelMajority().predict(votes)
    other = MultiLabelVotes(votes.values[:, :2], ["good_a", "noisy_a"], SPACE)
    with pytest.raises(LabelModelError, match="was fitted on the LFs"):
        MultiLabelMajority().fit(votes).predict(other)
    with pytest.raises(LabelSpaceError):
        SPACE.index("zzz")


def test_thresholds_come_from_cross_fitted_dev_probabilities():
    votes, Y = synthetic()
    dev = votes.take(np.arange(600))
    model = VoteLogistic().fit(votes, dev=(dev, Y[:600]))
    honest = model.dev_proba(votes, dev, Y[:600])
    in_sample = model.predict_proba(dev)
    assert honest.shape == in_sample.shape and not np.allclose(honest, in_sample)  # not the final model's fit
    assert np.array_equal(VoteLogistic().fit(votes, dev=(dev, Y[:600])).thresholds_, model.thresholds_)  # seeded


def test_selector_picks_per_label_by_cross_fitted_dev_f1():
    votes, Y = synthetic()
    dev, rest = np.arange(600), np.arange(600, 1200)
    model = LabelwiseSelector().fit(votes.take(rest), dev=(votes.take(dev), Y[dev]))
    assert len(model.choice_) == 4 and set(model.choice_) <= set(model.candidates())
    for c, name in enumerate(model.choice_):
        candidate = model.candidates_[name]
        assert model.cv_f1_[c] == max(m.cv_f1_[c] for m in model.candidates_.values())
        assert model.thresholds_[c] == candidate.thresholds_[c]
    assert model.choice_[1] == "vote_logistic"  # only it can see 'b' (no LF of its own)
    with pytest.raises(LabelModelError, match="backoff=True"):
        LabelwiseSelector(backoff=False).fit(votes, dev=(votes, Y))


def test_plateau_thresholds_take_the_middle_of_the_near_best_cuts():
    from weaksup.models import f1_threshold
    from weaksup.multilabel.thresholds import plateau_threshold

    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.1
    scores = np.clip(y * 0.25 + rng.random(400) * 0.6, 0, 1)
    assert plateau_threshold(scores, y.astype(int), 1.0) == f1_threshold(scores, y.astype(int))
    wide = plateau_threshold(scores, y.astype(int), 0.8)
    assert 0 < wide < 1 and wide != f1_threshold(scores, y.astype(int))
    P, G = scores[:, None], y[:, None]
    assert tune_thresholds(P, G, strength=0, plateau=0.8)[0] == pytest.approx(wide)
    with pytest.raises(ParameterError, match="plateau"):
        tune_thresholds(P, G, plateau=0)
