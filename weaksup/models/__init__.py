"""Label models: turn a vote matrix into probabilistic labels, behind one scikit-learn-style contract.

Every model has ``fit(L, ...) -> self``, ``predict_proba(L) -> (n, k)``, ``predict(L, *, tie_break=...)``,
fitted attributes ending in ``_``, an explicit ``seed``, and ``save``/``LabelModel.load`` (JSON or npz, no
pickle). ``L`` is a :class:`~weaksup.VoteMatrix` or an int array (``-1`` = abstain).
"""

from __future__ import annotations

from weaksup.models.base import LabelModel, break_ties
from weaksup.models.dawid_skene import DawidSkene
from weaksup.models.dev import DevNaiveBayes, DevSelector, DevWeightedVote, f1_threshold
from weaksup.models.majority import MajorityVote
from weaksup.models.snorkel import SnorkelLabelModel

#: Every model class by name (for loading saved models and for configs).
MODELS: dict[str, type[LabelModel]] = {
    cls.__name__: cls
    for cls in (MajorityVote, DawidSkene, SnorkelLabelModel, DevWeightedVote, DevNaiveBayes, DevSelector)
}
#: The model weaksup recommends when a dev gold split exists (MajorityVote without one).
DEFAULT_MODEL = "DevNaiveBayes"


def default_label_model(cardinality: int | None = None, *, dev_gold: bool = True, metric: str = "acc",
                        seed: int = 0) -> LabelModel:
    """weaksup's recommended label model: :class:`DevNaiveBayes` with a dev gold split, else :class:`MajorityVote`.

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
    DevNaiveBayes(cardinality=2, smoothing=3.0, restrict_to_voted=True, unlabeled='auto', max_unlabeled=100000,
                  metric='f1', n_folds=5, seed=0)
    >>> default_label_model(3, dev_gold=False)
    MajorityVote(cardinality=3, seed=0)
    """
    if not dev_gold:
        return MajorityVote(cardinality, seed=seed)
    return MODELS[DEFAULT_MODEL](cardinality, metric=metric, seed=seed)


__all__ = ["DEFAULT_MODEL", "MODELS", "DawidSkene", "DevNaiveBayes", "DevSelector", "DevWeightedVote", "LabelModel",
           "MajorityVote", "SnorkelLabelModel", "break_ties", "default_label_model", "f1_threshold"]
