"""``lf_names_in_``: a model fitted on a vote matrix refuses votes with other LFs or another column order
(scikit-learn's ``feature_names_in_``), keeps the names when saved, and leaves plain arrays unchecked."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from tests.models.test_contract import MAKERS
from tests.models.test_models import L, Y
from weaksup import VoteMatrix
from weaksup.errors import LabelModelError
from weaksup.models import BaseLabelModel, DawidSkene, MajorityVote, TemporalLabelModel, default_label_model
from weaksup.models import fit_label_model

NAMES = [f"lf_{c}" for c in "abcdef"]
VOTES = VoteMatrix(L, lf_names=NAMES, lf_versions=["1"] * 6)
DEV = np.arange(200)


def _fit(model: BaseLabelModel, votes=VOTES, dev_votes=None) -> BaseLabelModel:
    if type(model).uses_dev_gold:
        return model.fit(votes, L_dev=votes.take(DEV) if dev_votes is None else dev_votes, y_dev=Y[DEV])
    return model.fit(votes)


@pytest.fixture(params=[pytest.param(name, marks=[pytest.mark.snorkel, pytest.mark.slow] if name == "SnorkelLabelModel"
                                     else []) for name in MAKERS])
def model(request) -> BaseLabelModel:
    return MAKERS[request.param]()


def test_the_lfs_a_model_was_fitted_on_are_recorded(model):
    fitted = _fit(model)
    assert fitted.lf_names_in_ == NAMES and fitted.lf_versions_in_ == ["1"] * 6
    fitted = _fit(fitted, votes=L, dev_votes=L[DEV])  # refitted on arrays: no names, as scikit-learn
    assert not hasattr(fitted, "lf_names_in_") and not hasattr(fitted, "lf_versions_in_")


def test_votes_in_another_column_order_are_refused_naming_the_fix(model):
    fitted = _fit(model)
    shuffled = VOTES.select(NAMES[::-1])
    for method in (fitted.predict, fitted.predict_proba):
        with pytest.raises(LabelModelError, match=r"fitted on the LFs \['lf_a', .*another order.*"
                                                  r"votes.select\(model.lf_names_in_\)"):
            method(shuffled)
    # the fix the message names gives the labels of the fitted order; a plain array is not checked
    assert np.array_equal(fitted.predict(shuffled.select(fitted.lf_names_in_)), fitted.predict(VOTES))
    assert np.array_equal(fitted.predict_proba(VOTES.values), fitted.predict_proba(VOTES))


def test_votes_of_other_lfs_are_refused_naming_them():
    fitted = MajorityVote(3).fit(VOTES)
    renamed = VoteMatrix(L, lf_names=[*NAMES[:5], "lf_new"])
    with pytest.raises(LabelModelError, match=r"no column for \['lf_f'\]; LFs the model was not fitted on: "
                                              r"\['lf_new'\].*refit MajorityVote on these LFs"):
        fitted.predict(renamed)
    with pytest.raises(LabelModelError, match=r"no column for \['lf_f'\]"):  # fewer columns: names come first
        fitted.predict_proba(VOTES.select(NAMES[:5]))


def test_the_dev_votes_must_have_the_lfs_of_L():
    with pytest.raises(LabelModelError, match=r"DevNaiveBayes.fit: L_dev has the LFs .* L_dev.select\(L.lf_names\)"):
        default_label_model(3).fit(VOTES, L_dev=VOTES.take(DEV).select(NAMES[::-1]), y_dev=Y[DEV])
    fitted = default_label_model(3).fit(L, L_dev=VOTES.take(DEV), y_dev=Y[DEV])  # names from the dev votes
    assert fitted.lf_names_in_ == NAMES


def test_the_walkthrough_repro_now_raises():
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    cols = [np.where(rng.random(n) < .7, np.where(rng.random(n) < a, y, 1 - y), -1) for a in (.95, .9, .6, .55)]
    vm = VoteMatrix(np.stack(cols, 1), lf_names=["a", "b", "c", "d"])
    m = default_label_model(2).fit(vm, L_dev=vm.take(np.arange(100)), y_dev=y[:100])
    with pytest.raises(LabelModelError, match="another order"):
        m.predict(vm.select(["d", "c", "b", "a"]))


def test_fit_label_model_keeps_the_names_when_it_fits_on_distinct_rows():
    fitted = fit_label_model(DawidSkene(3), VOTES)
    assert fitted.lf_names_in_ == NAMES
    assert np.allclose(fitted.confusion_, fit_label_model(DawidSkene(3), L).confusion_)  # the same fit
    with pytest.raises(LabelModelError, match="another order"):
        fitted.predict(VOTES.select(NAMES[::-1]))


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_saved_model_keeps_its_lf_names_and_checks_them(model, suffix, tmp_path):
    loaded = BaseLabelModel.load(_fit(model).save(tmp_path / f"m{suffix}"))
    assert loaded.lf_names_in_ == NAMES and loaded.lf_versions_in_ == ["1"] * 6
    with pytest.raises(LabelModelError, match="another order"):
        loaded.predict(VOTES.select(NAMES[::-1]))


def test_a_model_saved_without_lf_names_still_loads(tmp_path):
    doc = MajorityVote(3).fit(VOTES).to_dict()
    del doc["fitted"]["lf_names_in_"], doc["fitted"]["lf_versions_in_"]
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    old = BaseLabelModel.load(tmp_path / "old.json")
    assert not hasattr(old, "lf_names_in_")
    assert old.predict(VOTES.select(NAMES[::-1])).shape == (len(L),)  # nothing to check against: unchecked


def test_another_lf_version_is_logged_not_refused(caplog):
    fitted = MajorityVote(3).fit(VOTES)
    newer = VoteMatrix(L, lf_names=NAMES, lf_versions=["1"] * 5 + ["2"])
    with caplog.at_level(logging.WARNING, logger="weaksup.models.lf_names"):
        assert np.array_equal(fitted.predict(newer), fitted.predict(VOTES))
    assert "other versions of LF(s) ['lf_f (1 -> 2)']" in caplog.text


def test_temporal_fit_chain_and_plain_predict_check_the_names():
    base = MajorityVote(3).fit(VOTES)
    model = TemporalLabelModel(3, base="MajorityVote").fit_chain(base, VOTES)
    assert model.lf_names_in_ == NAMES
    with pytest.raises(LabelModelError, match="another order"):
        model.plain_predict(VOTES.select(NAMES[::-1]))
