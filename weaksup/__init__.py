"""weaksup: weak supervision with fast labeling functions and honest label-quality reports.

The flow: data -> :class:`Registry` of labeling functions -> :func:`apply_lfs` ->
:class:`VoteMatrix` -> label model -> probabilistic labels -> evaluation and review.
"""

from weaksup.apply import apply_lfs
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf import (
    LabelingFunction,
    keyword_lf,
    labeling_function,
    lookup_lf,
    model_score_lf,
    regex_lf,
    threshold_lf,
)
from weaksup.models import DawidSkene, DevWeightedVote, MajorityVote, SnorkelLabelModel
from weaksup.registry import Registry
from weaksup.votes import VoteMatrix

__version__ = "0.1.0"

__all__ = [
    "ABSTAIN",
    "DawidSkene",
    "DevWeightedVote",
    "LabelSpace",
    "LabelingFunction",
    "MajorityVote",
    "Registry",
    "SnorkelLabelModel",
    "VoteMatrix",
    "__version__",
    "apply_lfs",
    "keyword_lf",
    "labeling_function",
    "lookup_lf",
    "model_score_lf",
    "regex_lf",
    "threshold_lf",
]
