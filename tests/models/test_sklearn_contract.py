"""scikit-learn's helpers work on every label model (tags, ``check_is_fitted``), an unfitted model says so with
:class:`~weaksup.errors.NotFittedError`, an unknown ``fit`` keyword names the model, and the tie-break policies
are documented as what they are (position-dependent)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import estimator_html_repr, get_tags
from sklearn.utils.validation import check_is_fitted

from tests.models.test_contract import MAKERS
from tests.models.test_models import L, Y
from weaksup.errors import NotFittedError
from weaksup.models import BaseLabelModel, DevStacker, MajorityVote, break_ties

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.fixture(params=[pytest.param(name, marks=[pytest.mark.snorkel, pytest.mark.slow] if name == "SnorkelLabelModel"
                                     else []) for name in MAKERS])
def model(request) -> BaseLabelModel:
    return MAKERS[request.param]()


def _fit(model: BaseLabelModel) -> BaseLabelModel:
    if type(model).uses_dev_gold:
        return model.fit(L, L_dev=L[:200], y_dev=Y[:200])
    return model.fit(L)


def test_sklearn_helpers_see_a_classifier_and_whether_it_is_fitted(model):
    with pytest.raises(SklearnNotFittedError, match=type(model).__name__):
        check_is_fitted(model)
    assert is_classifier(model)
    tags = get_tags(model)
    assert tags.estimator_type == "classifier" and tags.requires_fit and not tags.target_tags.required
    assert tags.input_tags.two_d_array
    assert check_is_fitted(_fit(model)) is None
    assert type(model).__name__ in estimator_html_repr(model)


def test_predict_before_fit_is_not_fitted_error_naming_the_model(model):
    name = type(model).__name__
    for method in (model.predict, model.predict_proba):
        with pytest.raises(NotFittedError, match=rf"^{name} is not fitted: call fit\(L\) first"):
            method(L)


def test_an_unknown_fit_keyword_names_the_model_and_what_fit_takes():
    with pytest.raises(TypeError, match=r"DevStacker.fit\(\) got an unexpected keyword argument 'foo'; DevStacker.fit "
                                        r"takes \(L, \*, L_dev=None, y_dev=None\)"):
        DevStacker(2).fit(L, foo=1)
    with pytest.raises(TypeError, match=r"MajorityVote.fit\(\): too many positional arguments; .* takes \(L\)"):
        MajorityVote(2).fit(L, Y)
    assert inspect.signature(DevStacker.fit) == inspect.signature(DevStacker.__mro__[1].fit)  # wrapped, same signature


def test_position_dependent_tie_breaks_are_documented_as_such():
    proba = np.full((8, 2), 0.5)  # every row a tie
    for policy in ("hash", "seeded_random"):  # the documented behaviour: the pick depends on the row's position
        whole = break_ties(proba, policy)
        assert not np.array_equal(whole, np.concatenate([break_ties(proba[i:i + 1], policy) for i in range(8)]))
    assert break_ties(proba[3:4], "abstain").tolist() == [-1] == break_ties(proba, "abstain")[3:4].tolist()
    doc = " ".join((break_ties.__doc__ or "").split())
    assert "hashes the row's position" in doc and '``"abstain"`` answers the same in any batch' in doc
    assert "``keys``" in doc and "makes both independent of the batch" in doc  # (the span models' token keys)
    keyed = break_ties(proba, "hash", keys=range(8))
    assert keyed.tolist() == [int(break_ties(proba[i:i + 1], "hash", keys=[i])[0]) for i in range(8)]
    assert "hash of the row |" not in README and "a hash of the row's position in the call" in README
