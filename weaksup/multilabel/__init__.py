"""Multi-label tasks: a row carries a set of labels; LFs vote yes / no / abstain per label.

See ``/work/notes/multilabel_contract.md`` for the contract (space, votes, models, metrics).
"""

from __future__ import annotations

from weaksup.multilabel.apply import apply_multilabel_lfs
from weaksup.multilabel.lfs import (
    MultiLabelLF,
    multilabel_keyword_lf,
    multilabel_labeling_function,
    multilabel_lf,
    multilabel_regex_lf,
)
from weaksup.multilabel.model_lf import MultiLabelModelLF, multilabel_model_lf
from weaksup.multilabel.models import (
    DEFAULT_MULTILABEL_MODEL,
    MULTILABEL_MODELS,
    resolve_multilabel_model,
)
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.models_blend import VoteBlend
from weaksup.multilabel.models_joint import VoteLogistic
from weaksup.multilabel.models_perlabel import MultiLabelMajority, PerLabelDawidSkene, PerLabelDevNaiveBayes
from weaksup.multilabel.models_select import LabelwiseSelector
from weaksup.multilabel.models_stack import VoteStacker
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.thresholds import decide, tune_thresholds
from weaksup.multilabel.votes import MultiLabelVotes

__all__ = [
    "DEFAULT_MULTILABEL_MODEL", "LabelwiseSelector", "MULTILABEL_MODELS", "MultiLabelLF", "MultiLabelMajority",
    "MultiLabelModel", "MultiLabelModelLF", "MultiLabelSpace", "MultiLabelVotes", "PerLabelDawidSkene", "PerLabelDevNaiveBayes",
    "VoteBlend", "VoteLogistic", "VoteStacker", "apply_multilabel_lfs", "decide", "multilabel_keyword_lf", "multilabel_labeling_function",
    "multilabel_lf", "multilabel_model_lf", "multilabel_regex_lf", "resolve_multilabel_model", "tune_thresholds",
]
