"""Task types: what a kind of labeling task provides so that a run can handle it.

A run config names its task type in ``[task] type`` (default ``"classification"``). The run asks the
task type, in one place (:class:`weaksup.pipeline.plan.RunPlan`), for everything that depends on the
kind of label; the stages (apply, fit, write, report) never test the task type themselves.

The contract (:class:`TaskType`) a task type must provide:

``name``
    The value of ``[task] type``.
``label_space(names)``
    Parse the configured class names (``[task] labels``) into the task's label space.
``vote_dtype(label_space)``
    The NumPy dtype one vote is stored in (the vote matrix and the saved vote parts use it; abstain
    is ``-1``).
``models()`` / ``resolve_model(name, has_dev_gold=...)``
    The label-model registry (name -> class), and the class a config's ``label_model.name`` names
    (``"default"``: the task type's recommendation, which may depend on a dev gold split).
``label_columns(label_space)``
    The columns of the labels output, in order.
``label_table(model, L, ..., no_votes=..., final=...)``
    Predict and route one chunk of votes: its rows of the labels output (without ``row_id``); ``final``
    (the end stage's probabilities and ``label_source`` of the chunk) replaces the label model's.
``build_report(votes, ...)``
    The quality report and metrics of a run (with a gold set: the model against majority vote; with
    ``references=``: majority vote, the label model, supervised-on-dev and the final labels on test).

What the planned task types must provide beside classification:

- ``multilabel``: a label space of independent binary classes; votes stored per (row, LF, class) as
  ``-1``/``0``/``1`` (a ``(n, m, k)`` int8 array, or one vote matrix per class); label models that
  fit one binary model per class (or a joint one); a labels output with one ``prob_<class>`` and
  one ``label_<class>`` (or a list column ``labels``) per row; routing per class; metrics per class
  and micro/macro F1, subset accuracy.
- ``spans`` (NER): a label space of entity types; votes as spans (``row, start, end, type, LF``) in
  an Arrow table rather than an ``n x m`` matrix; label models over token-level votes (BIO tags)
  aggregated back to spans; a labels output of one list-of-spans column per row with confidences;
  metrics on exact and partial span matches (precision, recall, F1 per type).

Examples
--------
>>> task = task_type("classification")
>>> task.name, str(task.vote_dtype(task.label_space(["ham", "spam"])))
('classification', 'int8')
>>> task_type("regression")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
weaksup.errors.ConfigError: task.type = 'regression' is not a task type; choose one of ['classification']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from weaksup.labels import LabelSpace, smallest_vote_dtype
from weaksup.validation import as_label_space

if TYPE_CHECKING:
    import pyarrow as pa

    from weaksup.models.base import BaseLabelModel
    from weaksup.report import QualityReport
    from weaksup.review.routing import RoutingPolicy
    from weaksup.votes import VoteMatrix


class TaskType(Protocol):
    """What a task type provides to a run (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def label_space(self, names: Sequence[str]) -> LabelSpace: ...

    def vote_dtype(self, label_space: LabelSpace) -> np.dtype[Any]: ...

    def models(self) -> Mapping[str, type[BaseLabelModel]]: ...

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[BaseLabelModel]: ...

    def label_columns(self, label_space: LabelSpace) -> list[str]: ...

    def label_table(self, model: BaseLabelModel, L: np.ndarray, *, reviewed: dict[int, int], policy: RoutingPolicy,
                    label_space: LabelSpace, lf_names: list[str], rule_version: str, tie_break: str,
                    seed: int, no_votes: str = "abstain",
                    final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table: ...

    def build_report(self, votes: VoteMatrix, **options: Any) -> QualityReport: ...


@dataclass(frozen=True)
class Classification:
    """Single-label classification: one class (or abstain) per row, votes in an ``n x m`` int matrix."""

    name: str = "classification"

    def label_space(self, names: Sequence[str]) -> LabelSpace:
        return as_label_space(names, where="[task] labels")

    def vote_dtype(self, label_space: LabelSpace) -> np.dtype[Any]:
        return np.dtype(smallest_vote_dtype(len(label_space)))

    def models(self) -> Mapping[str, type[BaseLabelModel]]:
        from weaksup.models import MODELS

        return MODELS

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[BaseLabelModel]:
        from weaksup.models import resolve_label_model

        return resolve_label_model(name, has_dev_gold=has_dev_gold)

    def label_columns(self, label_space: LabelSpace) -> list[str]:
        from weaksup.pipeline.outputs import label_columns

        return label_columns(label_space)

    def label_table(self, model: BaseLabelModel, L: np.ndarray, *, reviewed: dict[int, int], policy: RoutingPolicy,
                    label_space: LabelSpace, lf_names: list[str], rule_version: str, tie_break: str,
                    seed: int, no_votes: str = "abstain",
                    final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        from weaksup.pipeline.outputs import chunk_labels, final_chunk_labels

        if final is not None:
            return final_chunk_labels(L, final[0], final[1], reviewed, policy=policy, label_space=label_space,
                                      lf_names=lf_names, rule_version=rule_version, model_name=type(model).__name__,
                                      tie_break=tie_break, seed=seed)
        return chunk_labels(model, L, reviewed, policy=policy, label_space=label_space, lf_names=lf_names,
                            rule_version=rule_version, tie_break=tie_break, seed=seed, no_votes=no_votes)

    def build_report(self, votes: VoteMatrix, **options: Any) -> QualityReport:
        from weaksup.report import build_report

        return build_report(votes, **options)


#: The task types a run config may name in ``[task] type``.
TASK_TYPES: dict[str, TaskType] = {"classification": Classification()}
#: The task type of a config that names none.
DEFAULT_TASK_TYPE = "classification"


def task_type(name: str) -> TaskType:
    """The task type called ``name``; a :class:`~weaksup.config.ConfigError` names the valid ones."""
    if name not in TASK_TYPES:
        from weaksup.errors import ConfigError

        raise ConfigError(f"task.type = {name!r} is not a task type; choose one of {sorted(TASK_TYPES)}")
    return TASK_TYPES[name]
