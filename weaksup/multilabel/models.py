"""The multi-label label models by name, and weaksup's recommendation (``"default"``).

Every model follows :class:`~weaksup.multilabel.models_base.MultiLabelModel`: ``fit(votes, *, dev=(dev_votes,
Y_dev), seed=0)``, ``predict_proba(votes) -> (n, k)``, ``thresholds_``, ``predict(votes) -> (n, k) bool``.
"""

from __future__ import annotations

from weaksup.errors import LabelModelError
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.models_blend import VoteBlend
from weaksup.multilabel.models_joint import VoteLogistic
from weaksup.multilabel.models_perlabel import MultiLabelMajority, PerLabelDawidSkene, PerLabelDevNaiveBayes
from weaksup.multilabel.models_select import LabelwiseSelector
from weaksup.multilabel.models_stack import VoteStacker

#: Every multi-label model by name.
MULTILABEL_MODELS: dict[str, type[MultiLabelModel]] = {
    "majority": MultiLabelMajority,
    "dev_naive_bayes": PerLabelDevNaiveBayes,
    "dawid_skene": PerLabelDawidSkene,
    "vote_logistic": VoteLogistic,
    "vote_stacker": VoteStacker,
    "labelwise_selector": LabelwiseSelector,
    "vote_blend": VoteBlend,
}
#: The recommendation with dev gold (without it: "majority"); chosen by nested dev macro F1 (see
#: :data:`~weaksup.multilabel.models_blend.BLEND_MEMBERS`).
DEFAULT_MULTILABEL_MODEL = "vote_blend"


def resolve_multilabel_model(name: str, has_dev_gold: bool) -> type[MultiLabelModel]:
    """The model class a config names; ``"default"`` is the recommendation (per-label majority without dev gold).

    Examples
    --------
    >>> resolve_multilabel_model("default", has_dev_gold=True).__name__
    'VoteBlend'
    >>> resolve_multilabel_model("default", has_dev_gold=False).__name__
    'MultiLabelMajority'
    >>> resolve_multilabel_model("dev_naive_bayes", has_dev_gold=False)
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: multi-label model 'dev_naive_bayes' learns from dev gold, and there is none: \
add a dev gold set or choose 'dawid_skene' or 'majority'
    """
    if name == "default":
        name = DEFAULT_MULTILABEL_MODEL if has_dev_gold else "majority"
    if name not in MULTILABEL_MODELS:
        raise LabelModelError(f"unknown multi-label model {name!r}; choose 'default' or one of "
                              f"{sorted(MULTILABEL_MODELS)} (label_model.name)")
    cls = MULTILABEL_MODELS[name]
    if cls.uses_dev_gold and not has_dev_gold:
        unsupervised = sorted(n for n, c in MULTILABEL_MODELS.items() if not c.uses_dev_gold)
        raise LabelModelError(f"multi-label model {name!r} learns from dev gold, and there is none: add a dev gold "
                              f"set or choose {' or '.join(repr(n) for n in unsupervised)}")
    return cls


__all__ = ["DEFAULT_MULTILABEL_MODEL", "MULTILABEL_MODELS", "LabelwiseSelector", "MultiLabelMajority", "MultiLabelModel",
           "PerLabelDawidSkene", "PerLabelDevNaiveBayes", "VoteBlend", "VoteLogistic", "VoteStacker",
           "resolve_multilabel_model"]
