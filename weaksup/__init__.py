"""weaksup: weak supervision with fast labeling functions and honest label-quality reports."""

from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix

__version__ = "0.1.0"

__all__ = ["ABSTAIN", "LabelSpace", "VoteMatrix", "__version__"]
