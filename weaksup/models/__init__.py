"""Label models: turn a vote matrix into probabilistic labels, behind one scikit-learn-style contract."""

from weaksup.models.base import LabelModel, break_ties
from weaksup.models.majority import MajorityVote

#: Every model class by name (for loading saved models and for configs).
MODELS: dict[str, type[LabelModel]] = {cls.__name__: cls for cls in (MajorityVote,)}

__all__ = ["MODELS", "LabelModel", "MajorityVote", "break_ties"]
