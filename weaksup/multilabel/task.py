"""The ``multilabel`` task type of ``weaksup run`` (``[task] type = "multilabel"``): the hooks of
:class:`weaksup.tasks.TaskType` for rows that carry a set of labels.

- **Label space**: ``[task] labels`` (required), ``exclusive`` groups and a ``none_label``
  (:class:`~weaksup.multilabel.MultiLabelSpace`).
- **Votes**: the run's vote matrix has one int8 column per (LF, label) the LF can vote on (its
  ``vote_labels``), named ``"{lf_id}::{label}"``, values ``1`` yes / ``0`` no / ``-1`` abstain: the columns
  :meth:`MultiLabelVotes.to_vote_matrix <weaksup.multilabel.MultiLabelVotes.to_vote_matrix>` writes, so the
  vote store saves, reuses and resumes them unchanged (an edited LF recomputes its own columns only).
- **Label models**: :data:`~weaksup.multilabel.models.MULTILABEL_MODELS` (``"default"``:
  :func:`~weaksup.multilabel.models.resolve_multilabel_model`), dev gold from a multi-label gold set
  (:mod:`weaksup.multilabel.gold`).
- **Outputs** (:mod:`weaksup.multilabel.outputs`), **report** (:mod:`weaksup.multilabel.report`).

Examples
--------
>>> from weaksup.tasks import task_type
>>> task = task_type("multilabel")
>>> space = task.label_space(["joy", "anger", "neutral"], none_label="neutral")
>>> task.label_columns(space)[:4]
['row_id', 'labels', 'confidence', 'prob_joy']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.errors import ConfigError, LabelSpaceError
from weaksup.labels import LabelSpace

if TYPE_CHECKING:
    import pyarrow as pa

    from weaksup.config import RunConfig
    from weaksup.lf.core import LabelingFunction
    from weaksup.multilabel.gold import MultiLabelGoldSet
    from weaksup.multilabel.models_base import MultiLabelModel
    from weaksup.multilabel.report import MultiLabelReport
    from weaksup.multilabel.space import MultiLabelSpace
    from weaksup.multilabel.votes import MultiLabelVotes
    from weaksup.registry import Registry
    from weaksup.review.routing import RoutingPolicy
    from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

#: The classes of one stored (LF, label) vote column: ``0`` no, ``1`` yes.
VOTE_SPACE = LabelSpace(["no", "yes"])


@dataclass(frozen=True)
class LabelColumn:
    """One column of a multi-label run's vote matrix: an LF's (``name@version``) votes on one label."""

    lf: str
    label: str

    @property
    def name(self) -> str:
        """``"{lf}::{label}"`` (the column name of :meth:`MultiLabelVotes.to_vote_matrix`)."""
        return f"{self.lf}::{self.label}"

    @property
    def lf_id(self) -> str:
        """The column's id in the vote store: its :attr:`name` (the LF's version is part of it)."""
        return self.name

    @property
    def version(self) -> str:
        """Empty: the LF's version is part of :attr:`name`."""
        return ""


def vote_labels(lf: LabelingFunction, space: MultiLabelSpace) -> tuple[str, ...]:
    """The labels ``lf`` can vote on, fixed by its definition: a multi-label LF's ``vote_labels``; a
    classification LF says yes to the label whose index it votes (its declared ``labels``, else every label).

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf
    >>> vote_labels(multilabel_keyword_lf("kw", "thanks", "gratitude", no=["anger"]),
    ...             MultiLabelSpace(["gratitude", "anger", "joy"]))
    ('gratitude', 'anger')
    """
    from weaksup.multilabel.lfs import MultiLabelLF

    if isinstance(lf, MultiLabelLF):
        return tuple(lf.vote_labels)
    ids = sorted({int(c) for c in getattr(lf, "labels", ()) or () if 0 <= int(c) < space.k})
    return tuple(space.labels[c] for c in ids) or space.labels


def columns_of(lfs: Sequence[LabelingFunction], space: MultiLabelSpace) -> tuple[list[LabelColumn], list[int]]:
    """The vote columns of ``lfs`` (grouped by LF, in LF order; labels in the space's order) and each column's LF."""
    columns: list[LabelColumn] = []
    owners: list[int] = []
    for j, lf in enumerate(lfs):
        labels = set(vote_labels(lf, space))
        for label in space.labels:
            if label in labels:
                columns.append(LabelColumn(lf.lf_id, label))
                owners.append(j)
    return columns, owners


def as_votes(L: np.ndarray, lf_names: Sequence[str], space: MultiLabelSpace, row_ids: Any = None
             ) -> MultiLabelVotes:
    """The ``(n, m, k)`` votes of a run's flattened ``(n, columns)`` vote block (columns named ``lf_id::label``)."""
    from weaksup.multilabel.votes import MultiLabelVotes
    from weaksup.votes import VoteMatrix

    vm = VoteMatrix(np.asarray(L, dtype=np.int8), lf_names=list(lf_names), row_ids=row_ids)
    return MultiLabelVotes.from_vote_matrix(vm, space)


@dataclass(frozen=True)
class MultiLabel:
    """The ``multilabel`` task type (see the module docstring and :class:`weaksup.tasks.TaskType`)."""

    name: str = "multilabel"
    summary_metrics: tuple[str, ...] = ("micro_f1", "macro_f1", "hamming", "subset_acc",
                                        "majority_vote.macro_f1")
    #: ``[task] review_margin``: a label whose probability is this near its threshold sends the row to review.
    review_margin: float = 0.1

    def configured(self, config: RunConfig) -> MultiLabel:
        """The task type with ``[task] review_margin``."""
        import dataclasses

        margin = float(config.task.review_margin)
        if not 0 <= margin < 1:
            raise ConfigError(f"{config.source}: task.review_margin must be in [0, 1); got {margin}")
        if config.review.class_thresholds:
            raise ConfigError(f"{config.source}: review.class_thresholds route classification runs; a multilabel "
                              "run sends a row to review when a label sits near its own tuned threshold (task."
                              "review_margin): drop review.class_thresholds")
        return dataclasses.replace(self, review_margin=margin)

    # ------------------------------------------------------------------ label space and gold
    def label_space(self, names: Sequence[str], *, exclusive: Sequence[Sequence[str]] = (),
                    none_label: str = "") -> MultiLabelSpace:
        from weaksup.multilabel.space import MultiLabelSpace

        try:
            return MultiLabelSpace(names, exclusive=exclusive, none_label=none_label or None)
        except LabelSpaceError as exc:
            raise ConfigError(f"[task] (multilabel): {exc}") from None

    def resolve_space(self, config: RunConfig, registry: Registry) -> tuple[Registry, MultiLabelSpace]:
        """``[task] labels`` (required), checked against the labels the LFs vote on."""
        from weaksup.multilabel.apply import check_lf_labels

        if not config.task.labels:
            raise ConfigError(f"{config.source}: a multilabel task needs its labels: set task.labels = [...] "
                              "(and optionally task.exclusive = [[...]] and task.none_label)")
        space = self.label_space(config.task.labels, exclusive=config.task.exclusive,
                                 none_label=config.task.none_label)
        check_lf_labels(registry.lfs, space)
        return registry, space

    def space_names(self, label_space: MultiLabelSpace) -> list[str]:
        return list(label_space.labels)

    def space_json(self, label_space: MultiLabelSpace) -> Any:
        return list(label_space.labels)

    def load_gold(self, path: Path, label_space: MultiLabelSpace, version: int | None = None) -> MultiLabelGoldSet:
        from weaksup.multilabel.gold import load_multilabel_gold

        return load_multilabel_gold(path, space=label_space, version=version)

    def gold_targets(self, gold: MultiLabelGoldSet, split: str, label_space: MultiLabelSpace
                     ) -> tuple[list[str], np.ndarray]:
        """The row ids of a gold split and their ``(n, k)`` bool label sets."""
        return gold.matrix(split)

    def check_gold_rows(self, split: str, ids: Sequence[str], targets: np.ndarray, L: np.ndarray, *,
                        lf_names: list[str], label_space: MultiLabelSpace) -> None:
        """Nothing to check: a label set reads the same against any row's votes."""

    # ------------------------------------------------------------------ votes
    def vote_dtype(self, label_space: MultiLabelSpace) -> np.dtype[Any]:
        return np.dtype(np.int8)

    def vote_space(self, label_space: MultiLabelSpace) -> LabelSpace:
        return VOTE_SPACE

    def vote_columns(self, lfs: Sequence[LabelingFunction], label_space: MultiLabelSpace
                     ) -> tuple[list[Any], list[int]]:
        columns, owners = columns_of(lfs, label_space)
        return list(columns), owners

    def apply(self, lfs: list[LabelingFunction], data: Any, *, label_space: MultiLabelSpace, id_column: str,
              fault_tolerant: bool, lf_timeout: float | None, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
        """Vote ``lfs`` on ``data``: their inner classification LFs in one :func:`~weaksup.apply.apply_lfs`
        pass, each decoded into its (LF, label) columns (:func:`weaksup.multilabel.apply.decode_votes`)."""
        from weaksup.apply import apply_lfs
        from weaksup.multilabel.apply import decode_votes
        from weaksup.multilabel.lfs import MultiLabelLF

        inner: list[LabelingFunction] = []
        position: dict[int, int] = {}
        for lf in lfs:
            run = lf.inner if isinstance(lf, MultiLabelLF) else lf
            position.setdefault(id(run), len(inner))
            if len(inner) < len(position):
                inner.append(run)
        vm = apply_lfs(inner, data, id_column=id_column, fault_tolerant=fault_tolerant, progress=False,
                       lf_timeout=lf_timeout)
        columns, owners = columns_of(lfs, label_space)
        values = out if out is not None else np.empty((len(vm.row_ids), len(columns)), dtype=np.int8)
        faults: dict[str, int] = {}
        timeouts: dict[str, int] = {}
        for j, lf in enumerate(lfs):
            run = lf.inner if isinstance(lf, MultiLabelLF) else lf
            decoded = decode_votes(lf, vm.values[:, position[id(run)]], label_space, vm.row_ids)
            for c, (column, owner) in enumerate(zip(columns, owners)):
                if owner == j:
                    values[:, c] = decoded[:, label_space.index(column.label)]
            faults[lf.name] = int(vm.faults.get(run.name, 0))
            timeouts[lf.name] = int(vm.timeouts.get(run.name, 0))
        return values, faults, timeouts

    # ------------------------------------------------------------------ label models
    def models(self) -> Mapping[str, type[Any]]:
        from weaksup.multilabel.models import MULTILABEL_MODELS

        return MULTILABEL_MODELS

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[Any]:
        from weaksup.multilabel.models import resolve_multilabel_model

        return resolve_multilabel_model(name, has_dev_gold)

    def check_model_params(self, config: RunConfig, model_cls: type[Any]) -> None:
        """``label_model.params`` are constructor parameters of the multi-label model."""
        params = config.label_model.params
        accepted = model_cls.param_names()
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise ConfigError(f"{config.source}: label_model.params {unknown} are not parameters of "
                              f"{model_cls.__name__}; it takes {sorted(accepted)}")

    def new_model(self, model_cls: type[Any], label_space: MultiLabelSpace, seed: int, params: Mapping[str, Any]
                  ) -> MultiLabelModel:
        model: MultiLabelModel = model_cls(**params)
        return model

    def fit(self, model: MultiLabelModel, L: np.ndarray, *, lf_names: list[str], label_space: MultiLabelSpace,
            seed: int, L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None) -> MultiLabelModel:
        """Fit on the votes of every row (and the dev gold: votes and ``(n_dev, k)`` label sets)."""
        votes = as_votes(L, lf_names, label_space)
        dev = None if L_dev is None or y_dev is None else (as_votes(L_dev, lf_names, label_space), y_dev)
        logger.info("fitting %s on %d rows x %d LFs x %d labels%s", type(model).__name__, votes.n, votes.m,
                    votes.k, "" if dev is None else f" with {len(y_dev)} dev gold rows")  # type: ignore[arg-type]
        return model.fit(votes, dev=dev, seed=seed)

    def save_model(self, model: MultiLabelModel, path: Path) -> None:
        """``label_model.json``: the model's class, parameters, labels, LFs, per-label thresholds and fitted state
        (:func:`weaksup.multilabel.persist.load_multilabel_model` reads it back)."""
        from weaksup.multilabel.persist import save_multilabel_model

        save_multilabel_model(model, path)

    # ------------------------------------------------------------------ outputs
    def label_columns(self, label_space: MultiLabelSpace) -> list[str]:
        from weaksup.multilabel.outputs import multilabel_columns

        return multilabel_columns(label_space)

    def label_table(self, model: MultiLabelModel, L: np.ndarray, *, reviewed: dict[int, Any], policy: RoutingPolicy,
                    label_space: MultiLabelSpace, lf_names: list[str], rule_version: str, tie_break: str,
                    seed: int, no_votes: str = "abstain",
                    final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        from weaksup.multilabel.outputs import chunk_table

        return chunk_table(model, L, reviewed, margin=self.review_margin, space=label_space, lf_names=lf_names,
                           rule_version=rule_version, no_votes=no_votes)

    def count_labels(self, table: pa.Table, label_space: MultiLabelSpace) -> dict[str, int]:
        from weaksup.multilabel.outputs import count_labels

        return count_labels(table, label_space)

    def watch_arrays(self, label_space: MultiLabelSpace, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((n, label_space.k), dtype=bool), np.zeros((n, label_space.k))

    def watched(self, table: pa.Table, rows: np.ndarray, label_space: MultiLabelSpace
                ) -> tuple[np.ndarray, np.ndarray]:
        from weaksup.multilabel.outputs import sets_at

        return sets_at(table, rows, label_space)

    def end_model_skip(self) -> str:
        return ("the multilabel task has no end model in the run yet: the labels are the label model's, with "
                "per-label thresholds tuned on the dev gold")

    def references(self, plan: Any, applied: Any, model: Any, end: Any, final_labels: np.ndarray,
                   final_proba: np.ndarray) -> Any:
        from weaksup.multilabel.references import compare_multilabel_references
        from weaksup.pipeline.end_stage import ReferenceOutcome, dev_rows, texts_at_each

        config = plan.config
        test, Y_test = dev_rows(plan, applied, "test")
        dev, Y_dev = dev_rows(plan, applied, "dev")
        why = ("no gold set (gold.path)" if plan.gold is None else "the gold set has no test split" if not len(test)
               else "the gold set has no dev split to train on" if not len(dev)
               else "the input has no text column" if not config.input.text_column else "")
        if why:
            return ReferenceOutcome(None, f"references: {why}, so the run's label sets are not compared with a "
                                          "classifier trained on the gold rows")
        dev_texts, test_texts = texts_at_each(plan, dev, test)  # one read of the input for both splits
        refs = compare_multilabel_references(dev_texts, Y_dev, test_texts, Y_test,
                                             final_labels, plan.label_space, n_folds=config.end_model.folds,
                                             seed=config.label_model.seed)
        return ReferenceOutcome(refs, "", refs.as_metrics())

    # ------------------------------------------------------------------ report
    def build_report(self, votes: VoteMatrix, **options: Any) -> MultiLabelReport:
        from weaksup.multilabel.report import build_multilabel_report

        options.pop("written", None)  # (no end model in a multi-label run: its label sets are the label model's)
        return build_multilabel_report(votes, **options)

    def report_metrics(self, report: Any) -> dict[str, float]:
        metrics: dict[str, float] = report.run_metrics()
        return metrics
