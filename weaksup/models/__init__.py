"""Label models: turn a vote matrix into probabilistic labels, behind one scikit-learn-style contract.

Every model has ``fit(L, ...) -> self``, ``predict_proba(L) -> (n, k)``, ``predict(L, *, tie_break=...)``,
fitted attributes ending in ``_``, an explicit ``seed``, and ``save``/``BaseLabelModel.load`` (JSON or npz, no
pickle). ``L`` is a :class:`~weaksup.VoteMatrix` or an int array (``-1`` = abstain). What ``fit`` takes beside
``L`` is declared on the class (``uses_dev_gold``, ``supports_sample_weight``); :func:`fit_label_model` passes
exactly that.
"""

from __future__ import annotations

import warnings
from typing import Any

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, break_ties
from weaksup.models.dawid_skene import DawidSkene
from weaksup.models.dev import DevAwareModel, DevWeightedVote, f1_threshold
from weaksup.models.fitting import OutOfFold, dev_folds, fit_label_model, out_of_fold_predict, out_of_fold_proba
from weaksup.models.majority import MajorityVote
from weaksup.models.naive_bayes import DevNaiveBayes
from weaksup.models.selector import DevSelector
from weaksup.models.snorkel import SnorkelLabelModel
from weaksup.models.stacker import DevStacker
from weaksup.models.temporal import CONFIG_NAMES as TEMPORAL_NAMES
from weaksup.models.temporal import TemporalLabelModel

#: Every model class by name (for loading saved models and for configs).
MODELS: dict[str, type[BaseLabelModel]] = {
    cls.__name__: cls
    for cls in (MajorityVote, DawidSkene, SnorkelLabelModel, DevWeightedVote, DevNaiveBayes, DevSelector,
                DevStacker)
}
MODELS["TemporalLabelModel"] = TemporalLabelModel  # ordered items (frames, windows); config name "temporal"
#: The model weaksup recommends when a dev gold split exists (MajorityVote without one).
DEFAULT_MODEL = "DevNaiveBayes"


def default_label_model(cardinality: int | None = None, *, dev_gold: bool = True, metric: str = "acc",
                        seed: int = 0) -> BaseLabelModel:
    """weaksup's recommended label model: :class:`DevNaiveBayes` with a dev gold split, else :class:`MajorityVote`.

    :class:`DevSelector` (candidates scored by repeated cross-validation on the dev rows, the simplest within
    noise of the best kept, then calibrated) is better calibrated on the WRENCH sets, but on the shipped example
    with 20-100 dev rows it picks simpler models that label 4-6 points worse (``benchmarks/earn_its_keep.py``),
    so it is not the default: name it in ``[label_model]`` to use it.

    Parameters
    ----------
    cardinality : int, optional
        The number of classes.
    dev_gold : bool, default True
        Whether dev gold labels will be passed to ``fit`` (``L_dev=``, ``y_dev=``).
    metric : {"acc", "f1"}, default "acc"
        What the predictions should be good at; ``"f1"`` (binary, positive class 1) tunes the
        decision threshold on dev. Ignored without dev gold.
    seed : int, default 0

    Examples
    --------
    >>> default_label_model(2, metric="f1")  # doctest: +NORMALIZE_WHITESPACE
    DevNaiveBayes(cardinality=2, smoothing=3.0, restrict_to_voted=True, unlabeled='auto', shrink_toward='spread',
                  thin_dev=10.0, thin_toward='auto', max_unlabeled=100000, calibrate=True, stack=False, metric='f1',
                  n_folds=5, seed=0)
    >>> default_label_model(3, dev_gold=False)
    MajorityVote(cardinality=3, seed=0)
    """
    if not dev_gold:
        return MajorityVote(cardinality, seed=seed)
    return MODELS[DEFAULT_MODEL](cardinality, seed=seed).set_params(metric=metric)


def resolve_label_model(name: str, *, has_dev_gold: bool) -> type[BaseLabelModel]:
    """The label model class a config names; ``default`` is weaksup's recommendation
    (:data:`DEFAULT_MODEL` with dev gold, else MajorityVote).

    Examples
    --------
    >>> resolve_label_model("default", has_dev_gold=False).__name__
    'MajorityVote'
    >>> resolve_label_model("DawidSkene", has_dev_gold=True).__name__
    'DawidSkene'
    """
    if name == "default":
        name = DEFAULT_MODEL if has_dev_gold else "MajorityVote"
    name = "TemporalLabelModel" if name in TEMPORAL_NAMES else name  # the config name of the model for ordered items
    if name not in MODELS:
        raise LabelModelError(f"unknown label model {name!r}; choose 'default' or one of {sorted(MODELS)} "
                              "(label_model.name)")
    return MODELS[name]


def __getattr__(name: str) -> Any:
    """``LabelModel``: the deprecated name of :class:`BaseLabelModel`, kept for one release."""
    if name == "LabelModel":
        warnings.warn("weaksup.models.LabelModel is deprecated and will be removed in the next release; "
                      "use weaksup.models.BaseLabelModel (the abstract base of the label models)",
                      DeprecationWarning, stacklevel=2)
        return BaseLabelModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BaseLabelModel", "DEFAULT_MODEL", "DawidSkene", "DevAwareModel", "DevNaiveBayes", "DevSelector",
           "DevStacker", "DevWeightedVote", "MODELS", "MajorityVote", "OutOfFold", "SnorkelLabelModel", "break_ties",
           "default_label_model", "dev_folds", "f1_threshold", "fit_label_model", "out_of_fold_predict",
           "out_of_fold_proba", "resolve_label_model"]
