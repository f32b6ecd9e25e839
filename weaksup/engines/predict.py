"""Predict by broadcast: the fitted label model and the routing settings as one picklable
:class:`PredictionTable`, and each part's labels from its votes (:func:`label_frame`), the streaming run's schema.

A label model scores a row from its votes alone, so each part predicts its distinct vote patterns once
(:meth:`weaksup.tasks.TaskType.label_table`, the function the streaming run calls) and takes its rows from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.engines.batch import BatchSpec
    from weaksup.models.base import BaseLabelModel


@dataclass(frozen=True)
class PredictionTable:
    """What every part needs to write its labels: the fitted ``model`` (its parameters travel with it), the
    label names, the LF names and ids, the routing policy and settings, and the dev gold rows (``reviewed``: row
    id -> class id; those rows keep their human label)."""

    model: BaseLabelModel
    label_names: tuple[str, ...]
    lf_names: tuple[str, ...]
    lf_ids: tuple[str, ...]
    rule_version: str
    config: RunConfig
    reviewed: dict[str, int] = field(default_factory=dict)
    #: The fitted end model (:mod:`weaksup.engines.endmodel`) and each part's first row position, or None.
    labeler: Any = None
    starts: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: BatchSpec, model: BaseLabelModel, reviewed: dict[str, int] | None = None) -> PredictionTable:
        """The table of a run's spec and fitted model."""
        return cls(model, spec.label_names, spec.lf_names, spec.lf_ids, spec.rule_version, spec.config,
                   dict(reviewed or {}))


def label_arrow(table: PredictionTable, votes: pd.DataFrame,
                final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
    """A part's labels as Arrow: ``row_id`` (text) then the task's label columns, rows in the order of ``votes``
    (``[id_column] + lf_ids``); ``final``: the end model's probabilities and ``label_source`` of those rows."""
    from weaksup.tasks import task_type

    config = table.config
    task = task_type(config.task.type)
    space = task.label_space(list(table.label_names))
    ids = votes.iloc[:, 0]
    L = votes[list(table.lf_ids)].to_numpy(dtype=np.int8) if table.lf_ids else np.zeros((len(votes), 0), np.int8)
    reviewed: dict[int, Any] = {}
    if table.reviewed:
        hits = np.flatnonzero(ids.isin(set(table.reviewed)).to_numpy())
        reviewed = {int(r): table.reviewed[str(ids.iloc[int(r)])] for r in hits}
    settings = config.label_model
    labels = task.label_table(table.model, L, reviewed=reviewed, policy=config.review.policy, label_space=space,
                              lf_names=list(table.lf_names), rule_version=table.rule_version,
                              tie_break=settings.tie_break, seed=settings.seed, no_votes=settings.no_votes,
                              final=final)
    return labels.add_column(0, "row_id", pa.array(ids.to_numpy(dtype=object), type=pa.string()))


def label_frame(table: PredictionTable, votes: pd.DataFrame) -> pd.DataFrame:
    """A part's labels as pandas (the schema of the streaming run's labels file read with pandas).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> from weaksup.models import MajorityVote
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.parquet"},
    ...     "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.parquet"}})
    >>> votes = pd.DataFrame({"row_id": ["a", "b"], "x@1": np.array([1, -1], dtype=np.int8)})
    >>> model = MajorityVote(cardinality=2).fit(np.array([[1]]))
    >>> table = PredictionTable(model, ("ham", "spam"), ("x",), ("x@1",), "r1", config)
    >>> frame = label_frame(table, votes)
    >>> frame["label"].iloc[0], bool(frame["label"].isna().iloc[1]), frame["review_status"].tolist()
    ('spam', True, ['auto', 'needs_review'])
    """
    return label_arrow(table, votes).to_pandas()
