"""Task types: what a kind of labeling task provides so that a run can handle it.

A run config names its task type in ``[task] type`` (default ``"classification"``). The run asks the
task type, in one place (:class:`weaksup.pipeline.plan.RunPlan`), for everything that depends on the
kind of label; the stages (apply, fit, write, report) never test the task type themselves.

The contract (:class:`TaskType`) a task type must provide (``label_space`` below is the task's own space:
a :class:`~weaksup.labels.LabelSpace`, a :class:`~weaksup.multilabel.MultiLabelSpace`):

``name``, ``summary_metrics``, ``configured(config)``
    The value of ``[task] type``; the metric names the run summary shows; the task type with the config's
    settings of it (the plan holds that one).
``label_space(names, exclusive=, none_label=)`` / ``resolve_space(config, registry)``
    Parse ``[task]`` into the task's label space; the space of a run (from ``[task]`` and the LF
    modules) and the registry carrying it. ``space_names`` / ``space_json``: its names, its ``run.json`` form.
``load_gold(path, label_space, version=None)`` / ``gold_targets(gold, split, label_space)``
    The gold set of ``gold.path`` (at ``gold.version``, default the latest); a split's row ids and targets (class ids, or an ``(n, k)`` bool matrix).
``vote_dtype`` / ``vote_space`` / ``vote_columns(lfs, label_space)`` / ``apply(lfs, data, ...)``
    How votes are stored: the run keeps an ``n x columns`` matrix, saved column by column by the vote
    store (each column has a ``name``, a ``version`` and an ``lf_id``, its values ids of ``vote_space``,
    abstain ``-1``); ``vote_columns`` gives the columns and the LF each one belongs to (classification:
    one column per LF; multilabel: one per (LF, label)); ``apply`` votes some LFs on a chunk, their
    columns in order, with fault and timeout counts per LF.
``models()`` / ``resolve_model(name, has_dev_gold=...)`` / ``check_model_params`` / ``new_model`` / ``fit`` /
``save_model``
    The label-model registry (name -> class), the class a config's ``label_model.name`` names
    (``"default"``: the task type's recommendation, which may depend on a dev gold split), and fitting it.
``label_columns(label_space)`` / ``label_table(model, L, ..., no_votes=..., final=...)``
    The columns of the labels output, in order; predict and route one chunk of votes: its rows of the
    labels output (without ``row_id``; with ``review_status``, ``label_source`` and ``conflict``);
    ``final`` (the end stage's probabilities and ``label_source`` of the chunk) replaces the label
    model's. ``count_labels`` / ``watch_arrays`` / ``watched``: what the summary counts in a chunk, and
    the labels and probabilities written for the gold test rows.
``end_model_skip()`` / ``references(...)``
    Why the end model does not run for the task (``""``: it does); the references on the gold test rows.
``build_report(votes, ...)`` / ``report_metrics(report)``
    The quality report and metrics of a run (with a gold set: the model against majority vote; with
    ``references=``: majority vote, the label model, supervised-on-dev and the final labels on test).

The ``multilabel`` type (:mod:`weaksup.multilabel.task`): a label space of labels a row carries several of
at once (exclusive groups, a none label); votes per (row, LF, label) as ``-1``/``0``/``1`` stored as one
column per (LF, label) (:meth:`~weaksup.multilabel.MultiLabelVotes.to_vote_matrix`); label models with
per-label thresholds tuned on dev; a labels output with a ``labels`` list, one ``prob_<label>`` per label;
metrics per label and micro/macro F1, Hamming loss, subset accuracy.

The ``spans`` type (:mod:`weaksup.spans.task`): a label space of entity types (``[task] labels``, a tag
``scheme`` and a ``tokenizer``); its vote columns hold text cells rather than class ids (``vote_space`` is
:data:`~weaksup.pipeline.vote_store.ENCODED_VOTES`): one per LF with the spans it tagged in each document,
and the document itself (text and token offsets) last (:mod:`weaksup.spans.codec`), so the vote store
saves, reuses and resumes them per input row; label models over the token-level votes those give, decoded
to spans with confidences; a labels output (``spans.jsonl``) of one list of spans per row, and, through the
optional hook ``write_outputs(labels_path, values, label_space) -> {key: file name}``, further files beside it
(``spans.spacy``, ``spans.conll``); entity-level precision, recall and F1 per type beside majority vote.

Examples
--------
>>> task = task_type("classification")
>>> task.name, str(task.vote_dtype(task.label_space(["ham", "spam"])))
('classification', 'int8')
>>> task_type("regression")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
weaksup.errors.ConfigError: task.type = 'regression' is not a task type; choose one of ['classification', 'multilabel', 'spans']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from weaksup.labels import LabelSpace, smallest_vote_dtype
from weaksup.validation import as_label_space

if TYPE_CHECKING:
    import pyarrow as pa

    from weaksup.config import RunConfig
    from weaksup.lf.core import LabelingFunction
    from weaksup.models.base import BaseLabelModel
    from weaksup.registry import Registry
    from weaksup.report import QualityReport
    from weaksup.review.routing import RoutingPolicy
    from weaksup.votes import VoteMatrix


class TaskType(Protocol):
    """What a task type provides to a run (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def configured(self, config: RunConfig) -> TaskType: ...

    def label_space(self, names: Sequence[str], *, exclusive: Sequence[Sequence[str]] = (),
                    none_label: str = "") -> Any: ...

    def resolve_space(self, config: RunConfig, registry: Registry) -> tuple[Registry, Any]: ...

    def space_names(self, label_space: Any) -> list[str]: ...

    def space_json(self, label_space: Any) -> Any: ...

    def load_gold(self, path: Path, label_space: Any, version: int | None = None) -> Any: ...

    def gold_targets(self, gold: Any, split: str, label_space: Any) -> tuple[list[str], np.ndarray]: ...

    def check_gold_rows(self, split: str, ids: Sequence[str], targets: np.ndarray, L: np.ndarray, *,
                        lf_names: list[str], label_space: Any) -> None: ...

    def vote_dtype(self, label_space: Any) -> np.dtype[Any]: ...

    def vote_space(self, label_space: Any) -> LabelSpace: ...

    def vote_columns(self, lfs: Sequence[LabelingFunction], label_space: Any) -> tuple[list[Any], list[int]]: ...

    def apply(self, lfs: list[LabelingFunction], data: Any, *, label_space: Any, id_column: str,
              fault_tolerant: bool, lf_timeout: float | None, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, dict[str, int], dict[str, int]]: ...

    def models(self) -> Mapping[str, type[Any]]: ...

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[Any]: ...

    def check_model_params(self, config: RunConfig, model_cls: type[Any]) -> None: ...

    def new_model(self, model_cls: type[Any], label_space: Any, seed: int, params: Mapping[str, Any]) -> Any: ...

    def fit(self, model: Any, L: np.ndarray, *, lf_names: list[str], label_space: Any, seed: int,
            L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None) -> Any: ...

    def save_model(self, model: Any, path: Path) -> None: ...

    def label_columns(self, label_space: Any) -> list[str]: ...

    def label_table(self, model: Any, L: np.ndarray, *, reviewed: dict[int, Any], policy: RoutingPolicy,
                    label_space: Any, lf_names: list[str], rule_version: str, tie_break: str,
                    seed: int, no_votes: str = "abstain",
                    final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table: ...

    def count_labels(self, table: pa.Table, label_space: Any) -> dict[str, int]: ...

    def watch_arrays(self, label_space: Any, n: int) -> tuple[np.ndarray, np.ndarray]: ...

    def watched(self, table: pa.Table, rows: np.ndarray, label_space: Any) -> tuple[np.ndarray, np.ndarray]: ...

    def end_model_skip(self) -> str: ...

    def references(self, plan: Any, applied: Any, model: Any, end: Any, final_labels: np.ndarray,
                   final_proba: np.ndarray) -> Any: ...

    def build_report(self, votes: Any, **options: Any) -> Any: ...

    def report_metrics(self, report: Any) -> dict[str, float]: ...

    @property
    def summary_metrics(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Classification:
    """Single-label classification: one class (or abstain) per row, votes in an ``n x m`` int matrix."""

    name: str = "classification"
    #: The metrics the run summary shows (those the run has).
    summary_metrics: tuple[str, ...] = ("accuracy", "accuracy_voted", "accuracy_no_votes", "labelled", "macro_f1",
                                        "brier", "ece")

    def configured(self, config: RunConfig) -> Classification:
        return self

    def label_space(self, names: Sequence[str], *, exclusive: Sequence[Sequence[str]] = (),
                    none_label: str = "") -> LabelSpace:
        if exclusive or none_label:
            from weaksup.errors import ConfigError

            raise ConfigError("task.exclusive and task.none_label are settings of multi-label tasks; set task.type "
                              "= \"multilabel\" or drop them (classes of a classification task exclude each other)")
        return as_label_space(names, where="[task] labels")

    def resolve_space(self, config: RunConfig, registry: Registry) -> tuple[Registry, LabelSpace]:
        """The label space of ``[task] labels`` and the LF modules (they must agree), and the registry with it."""
        from weaksup.errors import ConfigError
        from weaksup.registry import Registry

        space = registry.label_space
        if config.task.labels:
            wanted = self.label_space(config.task.labels, exclusive=config.task.exclusive,
                                      none_label=config.task.none_label)
            if space is not None and space != wanted:
                raise ConfigError(f"{config.source}: task.labels = {list(wanted)} differs from the label space of "
                                  f"the LF modules {list(space)}; make them equal (or drop task.labels)")
            space = wanted
        from weaksup.multilabel.lfs import MultiLabelLF
        from weaksup.spans.lfs import is_span_lf

        other = next(("multilabel" if isinstance(lf, MultiLabelLF) else "spans" for lf in registry.lfs
                      if isinstance(lf, MultiLabelLF) or is_span_lf(lf)), None)
        if other is not None:  # LFs of another task type: a classification run (or `weaksup report`) cannot take them
            raise ConfigError(f"{config.source}: the LFs are {other} LFs, not classification ones: run them with "
                              f"[task] type = \"{other}\" in a config (weaksup run CONFIG; e.g. "
                              f"configs/{'goemotions' if other == 'multilabel' else 'bc5cdr'}.toml)")
        if space is None:
            raise ConfigError(f"{config.source}: the label space is unknown: set task.labels = [...] or define a "
                              "LabelSpace in the LF module")
        if registry.label_space is None:
            registry = Registry(registry.lfs, label_space=space)
        return registry, space

    def space_names(self, label_space: LabelSpace) -> list[str]:
        return list(label_space)

    def space_json(self, label_space: LabelSpace) -> Any:
        return list(label_space)

    def load_gold(self, path: Path, label_space: LabelSpace, version: int | None = None) -> Any:
        from weaksup.gold import load_gold

        return load_gold(path, label_space=label_space, version=version)

    def gold_targets(self, gold: Any, split: str, label_space: LabelSpace) -> tuple[list[str], np.ndarray]:
        """The row ids of a gold split and their class ids."""
        labels = gold.labels(split)
        return list(labels.index), labels.map(label_space.id).to_numpy(dtype=np.int64)

    def check_gold_rows(self, split: str, ids: Sequence[str], targets: np.ndarray, L: np.ndarray, *,
                        lf_names: list[str], label_space: LabelSpace) -> None:
        """Nothing to check: a class id reads the same against any row's votes."""

    def vote_dtype(self, label_space: LabelSpace) -> np.dtype[Any]:
        return np.dtype(smallest_vote_dtype(len(label_space)))

    def vote_space(self, label_space: LabelSpace) -> LabelSpace:
        return label_space

    def vote_columns(self, lfs: Sequence[LabelingFunction], label_space: LabelSpace
                     ) -> tuple[list[Any], list[int]]:
        """One vote column per LF: the LFs themselves (``name``, ``version``, ``lf_id``)."""
        return list(lfs), list(range(len(lfs)))

    def apply(self, lfs: list[LabelingFunction], data: Any, *, label_space: LabelSpace, id_column: str,
              fault_tolerant: bool, lf_timeout: float | None, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
        from weaksup.apply import apply_lfs

        into = out if out is not None and out.dtype == smallest_vote_dtype(len(label_space)) else None
        voted = apply_lfs(lfs, data, id_column=id_column, label_space=label_space, fault_tolerant=fault_tolerant,
                          progress=False, lf_timeout=lf_timeout, out=into)
        return voted.values, dict(voted.faults), dict(voted.timeouts)

    def models(self) -> Mapping[str, type[BaseLabelModel]]:
        from weaksup.models import MODELS

        return MODELS

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[BaseLabelModel]:
        from weaksup.models import resolve_label_model

        return resolve_label_model(name, has_dev_gold=has_dev_gold)

    def check_model_params(self, config: RunConfig, model_cls: type[Any]) -> None:
        from weaksup.pipeline.plan import check_model_params

        check_model_params(config, model_cls)

    def new_model(self, model_cls: type[Any], label_space: LabelSpace, seed: int, params: Mapping[str, Any]
                  ) -> BaseLabelModel:
        model: BaseLabelModel = model_cls(cardinality=len(label_space), seed=seed, **params)
        return model

    def fit(self, model: Any, L: np.ndarray, *, lf_names: list[str], label_space: LabelSpace, seed: int,
            L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None) -> BaseLabelModel:
        from weaksup.models.fitting import fit_label_model
        from weaksup.models.lf_names import record_lf_names
        from weaksup.votes import VoteMatrix

        fitted: BaseLabelModel = fit_label_model(model, L, L_dev=L_dev, y_dev=y_dev, lf_names=lf_names)
        # the run's votes are an array: the model records their LFs (saved in label_model.json) from no rows
        record_lf_names(fitted, VoteMatrix(np.empty((0, len(lf_names)), dtype=np.int8), lf_names=lf_names))
        return fitted

    def save_model(self, model: Any, path: Path) -> None:
        model.save(path)

    def label_columns(self, label_space: LabelSpace) -> list[str]:
        from weaksup.pipeline.outputs import label_columns

        return label_columns(label_space)

    def label_table(self, model: BaseLabelModel, L: np.ndarray, *, reviewed: dict[int, Any], policy: RoutingPolicy,
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

    def count_labels(self, table: pa.Table, label_space: LabelSpace) -> dict[str, int]:
        """Rows per class in a chunk's labels (``"(abstain)"``: no label)."""
        import pyarrow.compute as pc

        counts = dict.fromkeys([*label_space, "(abstain)"], 0)
        for entry in pc.value_counts(table.column("label")).to_pylist():
            counts[entry["values"] if entry["values"] is not None else "(abstain)"] += entry["counts"]
        return counts

    def watch_arrays(self, label_space: LabelSpace, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(n, -1, dtype=np.int64), np.zeros((n, len(label_space)))

    def watched(self, table: pa.Table, rows: np.ndarray, label_space: LabelSpace) -> tuple[np.ndarray, np.ndarray]:
        """The class ids (``-1``: abstain) and probabilities a chunk's label table holds at ``rows``."""
        import pyarrow as pa

        taken = table.take(pa.array(rows))
        names = taken.column("label").to_pylist()
        labels = np.array([-1 if name is None else label_space.id(name) for name in names], dtype=np.int64)
        proba = np.column_stack([taken.column(f"prob_{c}").to_numpy() for c in label_space])
        return labels, proba

    def end_model_skip(self) -> str:
        return ""

    def references(self, plan: Any, applied: Any, model: Any, end: Any, final_labels: np.ndarray,
                   final_proba: np.ndarray) -> Any:
        from weaksup.pipeline.end_stage import class_references

        return class_references(plan, applied, model, end, final_labels, final_proba)

    def build_report(self, votes: VoteMatrix, **options: Any) -> QualityReport:
        from weaksup.pipeline.stages import abstaining
        from weaksup.report import build_report

        if options.pop("no_votes", "predict") == "abstain" and options.get("model") is not None:
            options["model"] = abstaining(options["model"])  # scored as the run labels: no guess without a vote
        written = options.pop("written", None)  # a run's Written (weaksup.pipeline.stages.write_stage)
        if written is not None:
            from weaksup.report import WrittenLabels

            options["written"] = WrittenLabels(written.label_counts, row_ids=written.watched_rows,
                                               labels=written.watched_labels, sources=written.source_counts,
                                               proba=written.watched_proba)
        return build_report(votes, **options)

    def report_metrics(self, report: Any) -> dict[str, float]:
        """The label model's metrics on the gold split, and majority vote's (``majority_vote.<name>``); the
        coverage and row count of the split, the same for both, once as ``<split>/coverage`` and ``<split>/n_gold``
        (``coverage`` alone would read as the share of all rows, ``coverage_all_rows``). A metric no row defines
        (``accuracy_no_votes`` when every gold row has an LF vote) is left out (:func:`weaksup.metrics.defined`)."""
        from weaksup.metrics import defined

        ev = report.evaluation
        if ev is None:
            return {}
        rows = {"coverage": f"{ev.split}/coverage", "n_gold": f"{ev.split}/n_gold"}
        metrics = {rows.get(k, k): float(v) for k, v in ev.model.as_dict().items()}
        metrics.update({f"majority_vote.{k}": float(v) for k, v in ev.baseline.as_dict().items() if k not in rows})
        return defined(metrics)


def _multilabel() -> TaskType:
    from weaksup.multilabel.task import MultiLabel

    return MultiLabel()


def _spans() -> TaskType:
    from weaksup.spans.task import Spans

    return Spans()


#: The task types a run config may name in ``[task] type``.
TASK_TYPES: dict[str, TaskType] = {"classification": Classification(), "multilabel": _multilabel(),
                                   "spans": _spans()}
#: The task type of a config that names none.
DEFAULT_TASK_TYPE = "classification"


def task_type(name: str) -> TaskType:
    """The task type called ``name``; a :class:`~weaksup.config.ConfigError` names the valid ones."""
    if name not in TASK_TYPES:
        from weaksup.errors import ConfigError

        raise ConfigError(f"task.type = {name!r} is not a task type; choose one of {sorted(TASK_TYPES)}")
    return TASK_TYPES[name]
