"""Saving a fitted multi-label label model as JSON and loading it back: every registered model predicts the same
after the round trip; old, foreign and broken files are LabelModelErrors naming the fix."""

import json

import numpy as np
import pytest

from tests.multilabel.test_models import synthetic
from weaksup.errors import LabelModelError
from weaksup.multilabel import MULTILABEL_MODELS, LabelwiseSelector, MultiLabelMajority
from weaksup.multilabel.persist import (
    load_multilabel_model,
    multilabel_model_from_dict,
    multilabel_model_to_dict,
    save_multilabel_model,
)


@pytest.mark.parametrize("name", sorted(MULTILABEL_MODELS))
def test_every_model_predicts_the_same_after_a_round_trip(name, tmp_path):
    votes, Y = synthetic()
    model = MULTILABEL_MODELS[name]().fit(votes.take(range(800)), dev=(votes.take(range(400)), Y[:400]), seed=3)
    path = save_multilabel_model(model, tmp_path / "label_model.json")
    again = load_multilabel_model(path)
    assert type(again) is type(model) and again.get_params() == model.get_params()
    assert again.lf_ids_ == model.lf_ids_ and again.space_ == model.space_ and again.seed_ == 3
    rest = votes.take(range(800, 1200))
    np.testing.assert_array_equal(again.predict_proba(rest), model.predict_proba(rest))
    np.testing.assert_array_equal(again.predict(rest), model.predict(rest))
    np.testing.assert_array_equal(again.thresholds_, model.thresholds_)
    doc = json.loads(path.read_text())  # the summary a reader looks at is still there
    assert doc["class"] == type(model).__name__ and set(doc["thresholds"]) == set(votes.space.labels)


def test_a_selector_keeps_its_choices_and_candidates():
    votes, Y = synthetic()
    model = LabelwiseSelector().fit(votes, dev=(votes.take(range(400)), Y[:400]))
    again = multilabel_model_from_dict(json.loads(json.dumps(multilabel_model_to_dict(model))))
    assert isinstance(again, LabelwiseSelector) and again.choice_ == model.choice_
    assert set(again.candidates_) == set(model.candidates_)
    np.testing.assert_array_equal(again.backoff_, model.backoff_)


def test_bad_files_are_errors_that_name_the_fix(tmp_path):
    votes, _ = synthetic(n=100)
    doc = multilabel_model_to_dict(MultiLabelMajority().fit(votes))
    with pytest.raises(LabelModelError, match="does not exist"):
        load_multilabel_model(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(LabelModelError, match="not a saved multi-label model"):
        load_multilabel_model(tmp_path / "bad.json")
    with pytest.raises(LabelModelError, match="not a saved multi-label"):
        multilabel_model_from_dict({"format": "weaksup.LabelModel"})
    old = {k: v for k, v in doc.items() if k != "state"}  # written before the state was saved
    with pytest.raises(LabelModelError, match="run `weaksup run CONFIG` again"):
        multilabel_model_from_dict(old)
    with pytest.raises(LabelModelError, match="unknown multi-label model class 'Nope'"):
        multilabel_model_from_dict({**doc, "class": "Nope"})
    with pytest.raises(LabelModelError, match="format_version 99"):
        multilabel_model_from_dict({**doc, "format_version": 99})
    with pytest.raises(LabelModelError, match="malformed MultiLabelMajority"):
        multilabel_model_from_dict({**doc, "params": {"no_such": 1}})
    with pytest.raises(LabelModelError, match="not fitted"):
        multilabel_model_to_dict(MultiLabelMajority())
