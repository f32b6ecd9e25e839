"""Multi-label tasks: a row carries a set of labels; LFs vote yes / no / abstain per label.

See ``/work/notes/multilabel_contract.md`` for the contract (space, votes, models, metrics).
"""

from __future__ import annotations

from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.votes import MultiLabelVotes

__all__ = ["MultiLabelSpace", "MultiLabelVotes"]
