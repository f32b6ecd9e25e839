"""The estimator contract every label model keeps (scikit-learn's, plus weaksup's capabilities and storage),
and the one way models are fitted with dev gold (``weaksup.models.fitting``)."""

from __future__ import annotations

import inspect
import logging

import numpy as np
import pytest
from sklearn.base import clone

from tests.models.test_models import L, Y
from weaksup.errors import LabelModelError, WeakSupError
from weaksup.models import (
    MODELS,
    BaseLabelModel,
    DawidSkene,
    DevNaiveBayes,
    DevSelector,
    DevStacker,
    DevWeightedVote,
    MajorityVote,
    SnorkelLabelModel,
    TemporalLabelModel,
    default_label_model,
    dev_folds,
    fit_label_model,
    out_of_fold_predict,
    out_of_fold_proba,
    resolve_label_model,
)

DEV = slice(0, 200)


#: A maker of one instance of every model (non-default parameters where it has them), and of the default model.
MAKERS = {
    "DawidSkene": lambda: DawidSkene(3, n_iter=50, smoothing=0.1, seed=2),
    "DevNaiveBayes": lambda: DevNaiveBayes(3, smoothing=2.0, unlabeled="ignore", seed=2),
    "DevNaiveBayes-em-centre": lambda: DevNaiveBayes(3, shrink_toward="unlabeled", seed=2),
    "DevSelector": lambda: DevSelector(3, candidates=("MajorityVote", "DevWeightedVote"), n_se=1.0, margin=0.5,
                                       n_repeats=2, calibrate=False, seed=2),
    "DevStacker": lambda: DevStacker(3, Cs=(0.1, 1.0), gate_se=-1e9, min_dev=20, seed=2),
    "DevWeightedVote": lambda: DevWeightedVote(3, prior_strength=2.0, seed=2),
    "MajorityVote": lambda: MajorityVote(3, seed=2),
    "SnorkelLabelModel": lambda: SnorkelLabelModel(3, n_epochs=50, class_balance=[0.4, 0.3, 0.3], seed=2),
    "TemporalLabelModel": lambda: TemporalLabelModel(3, base="DevWeightedVote", transitions="both", strength=0.8,
                                                     floor=0.05, seed=2),
    "default_label_model": lambda: default_label_model(3),
}


@pytest.fixture(params=[pytest.param(name, marks=[pytest.mark.snorkel, pytest.mark.slow] if name == "SnorkelLabelModel" else [])
                        for name in MAKERS])
def model(request) -> BaseLabelModel:
    """A fresh instance of each model."""
    return MAKERS[request.param]()


def test_every_model_is_in_the_contract_tests():
    assert {type(make()).__name__ for make in MAKERS.values()} == set(MODELS)


def _fit(model: BaseLabelModel) -> BaseLabelModel:
    if type(model).uses_dev_gold:
        return model.fit(L, L_dev=L[DEV], y_dev=Y[DEV])
    return model.fit(L)


def test_init_only_stores_its_parameters_and_clone_copies_them(model):
    assert vars(model) == model.get_params(deep=False)  # nothing else is set (or checked) in __init__
    copy = clone(model)
    assert type(copy) is type(model) and copy is not model and copy.get_params() == model.get_params()
    fitted = clone(_fit(clone(model)))  # a clone of a fitted model is unfitted
    assert vars(fitted) == model.get_params(deep=False)


def test_get_params_set_params_round_trip(model):
    params = model.get_params()
    assert list(params) == [p for p in inspect.signature(type(model).__init__).parameters if p != "self"]
    other = type(model)()
    assert other.set_params(**params) is other and other.get_params() == params
    assert repr(other) == repr(model)
    assert model.set_params(seed=11).seed == 11
    with pytest.raises(LabelModelError, match=rf"{type(model).__name__} has no parameter 'Y_dev'; its parameters"):
        model.set_params(Y_dev=1)


def test_fit_returns_self_and_fitted_attributes_end_in_underscore(model):
    params = model.get_params(deep=False)
    assert _fit(model) is model
    assert model.get_params(deep=False) == params  # fit never changes a parameter
    learned = set(vars(model)) - set(params)
    assert learned and all(name.endswith("_") and not name.startswith("_") for name in learned), learned


def test_an_unknown_fit_keyword_is_a_type_error(model):
    with pytest.raises(TypeError, match="unexpected keyword argument 'Y_dev'"):
        model.fit(L, Y_dev=Y, class_balance=[0.5, 0.5])  # Snorkel's spelling: never silently ignored
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        model.fit(L, L_dev=L[DEV], y_dev=Y[DEV], sample_weight=np.ones(len(L)), class_balance=[0.5, 0.5])
    assert not hasattr(model, "n_lfs_")


def test_majority_vote_rejects_snorkels_fit_keywords():
    y = np.array([0, 1])
    with pytest.raises(TypeError, match="fit\\(\\) got an unexpected keyword argument 'Y_dev'"):
        MajorityVote(cardinality=2).fit([[0, 1], [1, 1]], Y_dev=y, class_balance=[0.5, 0.5])


def test_capabilities_are_declared_on_the_class(model):
    cls = type(model)
    keywords = {name for name, p in inspect.signature(cls.fit).parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert cls.uses_dev_gold == ({"L_dev", "y_dev"} <= keywords)
    assert cls.supports_sample_weight == ("sample_weight" in keywords)
    # (a model for ordered items also takes which sequence each row of L and L_dev belongs to)
    assert keywords <= {"L_dev", "y_dev", "sample_weight", "sequences", "dev_sequences"}
    assert ({"sequences", "dev_sequences"} <= keywords) == (cls is TemporalLabelModel)
    assert not any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.fit).parameters.values())


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_load_round_trip(model, suffix, tmp_path):
    _fit(model)
    back = BaseLabelModel.load(model.save(tmp_path / f"model{suffix}"))
    assert type(back) is type(model) and back.get_params() == model.get_params()
    assert np.array_equal(back.predict_proba(L), model.predict_proba(L))
    assert np.array_equal(back.predict(L, tie_break="hash"), model.predict(L, tie_break="hash"))


def test_the_base_is_abstract_and_its_old_name_is_deprecated():
    with pytest.raises(TypeError, match="abstract"):
        BaseLabelModel(cardinality=2)
    import weaksup.models

    with pytest.warns(DeprecationWarning, match="use weaksup.models.BaseLabelModel"):
        assert weaksup.models.LabelModel is BaseLabelModel
    from weaksup.compat.snorkel import LabelModel

    assert weaksup.LabelModel is LabelModel  # the name a Snorkel user types keeps Snorkel's meaning
    assert "LabelModel" not in weaksup.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        weaksup.models.Nope  # noqa: B018


# -- fit_label_model: dev gold only to the models that learn from it, distinct rows to those that weigh them --------
def test_fit_label_model_is_the_direct_fit(model):
    direct = _fit(clone(model))
    fitted = fit_label_model(clone(model), L, L_dev=L[DEV], y_dev=Y[DEV], distinct=False)
    assert np.array_equal(fitted.predict_proba(L), direct.predict_proba(L))


def test_fit_label_model_fits_distinct_rows_weighted_when_the_model_takes_weights():
    votes = np.tile(L[:50], (4, 1))
    weighted = fit_label_model(DawidSkene(3), votes, L_dev=L[DEV], y_dev=Y[DEV])  # dev gold ignored
    assert np.allclose(weighted.confusion_, DawidSkene(3).fit(votes).confusion_)
    distinct = np.unique(votes, axis=0)
    counts = np.unique(votes, axis=0, return_counts=True)[1]
    same = DawidSkene(3).fit(distinct[np.lexsort(distinct.T[::-1])], sample_weight=counts)
    assert np.allclose(weighted.confusion_, same.confusion_)
    mv = fit_label_model(MajorityVote(3), votes)  # no sample_weight: fitted on every row
    assert mv.n_lfs_ == 6


def test_fit_label_model_without_dev_gold_leaves_the_model_to_say_it_needs_some():
    with pytest.raises(LabelModelError, match="DevNaiveBayes needs dev gold labels"):
        fit_label_model(DevNaiveBayes(3), L)
    assert fit_label_model(DevNaiveBayes(3, unlabeled="ignore"), L, L_dev=L[DEV], y_dev=Y[DEV]).source_ == "dev"


def test_fit_label_model_logs_the_dev_rows(caplog):
    with caplog.at_level(logging.INFO, logger="weaksup.models.fitting"):
        fit_label_model(DevWeightedVote(3), L, L_dev=L[DEV], y_dev=Y[DEV])
        fit_label_model(MajorityVote(3), L, L_dev=L[DEV], y_dev=Y[DEV])
    assert [r.getMessage() for r in caplog.records] == ["fitting DevWeightedVote with the 200 dev gold rows"]


# -- out-of-fold dev predictions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [DevNaiveBayes(3, metric="acc", seed=3), DevSelector(3, seed=3), DawidSkene(3)],
                         ids=lambda m: type(m).__name__)
def test_out_of_fold_predictions_come_from_models_that_never_saw_the_row(model):
    dev = np.arange(0, 400, 3)
    y = Y[dev]
    oof = out_of_fold_predict(model, L[dev], y, L=L, n_splits=5, seed=3)
    assert not hasattr(model, "cardinality_")  # the model itself is left unfitted
    if type(model).uses_dev_gold:  # the loop it stands for: fold f's rows predicted by a model fitted without them
        folds = dev_folds(y, 5, 3)
        for f in range(5):
            held = folds == f
            fitted = clone(model).fit(L, L_dev=L[dev[~held]], y_dev=y[~held])
            assert np.array_equal(oof.proba[held], fitted.predict_proba(L[dev[held]]))
            assert np.array_equal(oof.pred[held], fitted.predict(L[dev[held]], tie_break="abstain"))
    else:  # never sees a label: one fit on L
        assert np.array_equal(oof.proba, clone(model).fit(L).predict_proba(L[dev]))
    assert np.array_equal(out_of_fold_proba(model, L[dev], y, L=L, n_splits=5, seed=3), oof.proba)
    assert (oof.pred == y).mean() > 0.8


def test_out_of_fold_folds_are_stratified_and_seeded():
    y = np.array([0] * 10 + [1] * 5)
    folds = dev_folds(y, 5, seed=1)
    assert all(np.bincount(folds[y == c], minlength=5).tolist() == [n // 5] * 5 for c, n in ((0, 10), (1, 5)))
    assert np.array_equal(folds, dev_folds(y, 5, seed=1)) and not np.array_equal(folds, dev_folds(y, 5, seed=2))


def test_resolve_label_model():
    assert resolve_label_model("default", has_dev_gold=True) is MODELS["DevNaiveBayes"]
    assert resolve_label_model("default", has_dev_gold=False) is MajorityVote
    assert resolve_label_model("DawidSkene", has_dev_gold=False) is DawidSkene
    with pytest.raises(LabelModelError, match=r"unknown label model 'Nope'; choose 'default' or one of \["):
        resolve_label_model("Nope", has_dev_gold=True)
    assert issubclass(LabelModelError, WeakSupError)


# -- declared parameter constraints: checked before any work, a LabelModelError naming the parameter ----------------


@pytest.mark.parametrize("cls", list(MODELS.values()), ids=list(MODELS))
def test_every_declared_constraint_is_checked(cls):
    cls().check_params()  # the defaults meet every constraint
    for param, rule in cls.parameter_constraints.items():
        bad = "nope" if isinstance(rule, tuple) else (rule["low"] - 1 if "low" in rule else "many")
        with pytest.raises(LabelModelError, match=rf"{cls.__name__}: {param} must be .*; got '?{bad}'?"):
            cls(**{param: bad}).check_params()
    for param, bad in (("seed", -1), ("cardinality", 1)):
        with pytest.raises(LabelModelError, match=rf"{cls.__name__}: {param} must be a whole number >= \d; got {bad}"):
            cls(**{param: bad}).check_params()


def test_fit_checks_the_parameters_first():
    for bad in (-5, "many", 2.5, True):
        with pytest.raises(LabelModelError, match="DawidSkene: n_iter must be a whole number >= 1"):
            DawidSkene(cardinality=2, n_iter=bad).fit(L)
