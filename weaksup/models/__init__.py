"""Label models: turn a vote matrix into probabilistic labels, behind one scikit-learn-style contract."""

from weaksup.models.base import LabelModel, break_ties
from weaksup.models.dawid_skene import DawidSkene
from weaksup.models.dev import DevWeightedVote
from weaksup.models.majority import MajorityVote
from weaksup.models.snorkel import SnorkelLabelModel

#: Every model class by name (for loading saved models and for configs).
MODELS: dict[str, type[LabelModel]] = {cls.__name__: cls for cls in (MajorityVote, DawidSkene, SnorkelLabelModel, DevWeightedVote)}
#: The model weaksup recommends when a dev gold split exists (MajorityVote without one).
DEFAULT_MODEL = "DevWeightedVote"

__all__ = ["DEFAULT_MODEL", "MODELS", "DawidSkene", "DevWeightedVote", "LabelModel", "MajorityVote", "SnorkelLabelModel", "break_ties"]
