"""What a run checks and builds once from its config, before any row is read: the :class:`RunPlan`.

Before anything is imported, read or written, :func:`weaksup.pipeline.paths.check_run_paths` resolves every
path the run reads and writes and refuses any overlap: inputs are never outputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.config import RunConfig
from weaksup.errors import ConfigError, LabelModelError, WeakSupError
from weaksup.labels import LabelSpace
from weaksup.pipeline.paths import check_run_paths, check_writable, lf_module_paths
from weaksup.pipeline.sequences import check_unit
from weaksup.tasks import TaskType, task_type

if TYPE_CHECKING:
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel
    from weaksup.registry import Registry
    from weaksup.review.routing import RoutingPolicy


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs from its config, checked: build it with :meth:`from_config`.

    Attributes
    ----------
    config : RunConfig
    task : TaskType
        The ``[task] type``: it chooses the vote storage, the label models, the outputs and the metrics.
    registry : Registry
        The selected LFs, with the task's label space.
    label_space : LabelSpace or MultiLabelSpace
        The task's label space (:meth:`TaskType.resolve_space`).
    gold : GoldSet or None
        The gold set of ``gold.path`` (:meth:`TaskType.load_gold`: a ``MultiLabelGoldSet`` for multilabel).
    model_cls : type
        The label model class ``label_model.name`` resolves to.
    columns : list of str or None
        The input columns to read (None: all, when an LF does not declare its fields).
    policy : RoutingPolicy
        The ``[review]`` thresholds.
    """

    config: RunConfig
    task: TaskType
    registry: Registry
    label_space: Any
    gold: GoldSet | Any | None
    model_cls: type[Any]
    columns: list[str] | None
    policy: RoutingPolicy

    @property
    def vote_columns(self) -> list[Any]:
        """The columns of the vote matrix (``name``, ``version``, ``lf_id``): one per LF for classification, one
        per (LF, label) for multilabel (:meth:`TaskType.vote_columns`)."""
        return self.task.vote_columns(self.registry.lfs, self.label_space)[0]

    @property
    def column_owners(self) -> list[int]:
        """For each vote column, the position of its LF in ``registry.lfs``."""
        return self.task.vote_columns(self.registry.lfs, self.label_space)[1]

    @property
    def vote_space(self) -> LabelSpace:
        """The classes of one stored vote column (the label space itself for classification; no/yes for
        multilabel)."""
        return self.task.vote_space(self.label_space)

    @property
    def has_dev_gold(self) -> bool:
        """Whether the gold set has a dev split (the label model may fit on it; those rows are ``reviewed``)."""
        return self.gold is not None and "dev" in self.gold.counts()

    def gold_gaps(self) -> dict[str, list[str]]:
        """Per gold split (``dev``, ``test``), the classes (multilabel: labels) it has no row of.

        A class missing from the dev split is one the label model cannot learn the LFs' behaviour on (its
        tables stay at their prior) and the classifier trained on the gold rows never predicts; one missing
        from the test split is one the metrics say nothing about. Spans runs are not checked (their gold is
        spans, not rows).
        """
        if self.gold is None:
            return {}
        from weaksup.gold.gaps import missing_classes

        names = self.task.space_names(self.label_space)
        gaps = {}
        for split in ("dev", "test"):
            if split not in self.gold.counts():
                continue
            targets = np.asarray(self.task.gold_targets(self.gold, split, self.label_space)[1])
            if targets.dtype == object:  # spans
                return {}
            if missing := missing_classes(targets, names):
                gaps[split] = missing
        return gaps

    @classmethod
    def from_config(cls, config: RunConfig) -> RunPlan:
        """Check the LFs, the label space, the gold set, the label model and the output folder.

        Raises a :class:`~weaksup.errors.WeakSupError` naming the config key at the first problem.
        """
        task = task_type(config.task.type).configured(config)
        check_run_paths(config)
        registry, space = task.resolve_space(config, select_lfs(config))
        policy = config.review.policy
        try:  # a class with its own threshold must be a class of the task (known only now when no task.labels)
            policy.check_classes(task.space_names(space))  # type: ignore[arg-type]
        except WeakSupError as exc:
            raise ConfigError(f"{config.source}: review.{exc}") from None
        gold = load_run_gold(config, task, space)
        check_unit(config, gold)  # task.unit: rows or windows, the gold set in the same unit
        model_cls = task.resolve_model(config.label_model.name, has_dev_gold=gold is not None and "dev" in gold.counts())
        check_model_installed(config, model_cls)
        task.check_model_params(config, model_cls)
        check_writable(config.output_dir, config)
        columns: list[str] | None = None
        if all(lf.fields for lf in registry.lfs):
            needed = [config.input.id_column, *config.input.fields]
            if config.input.text_column:
                needed.append(config.input.text_column)
            needed += [f for lf in registry.lfs for f in lf.fields]
            columns = list(dict.fromkeys(needed))
        return cls(config, task, registry, space, gold, model_cls, columns, policy)


def select_lfs(config: RunConfig) -> Registry:
    """The registry of the config's LF modules, restricted to ``lfs.tags`` / ``lfs.names``."""
    from weaksup.registry import Registry

    modules = [module_spec(config, m) for m in config.lfs.modules]
    registry = Registry.from_modules(*modules, import_timeout=config.lfs.import_timeout or None)
    if config.lfs.tags or config.lfs.names:
        registry = registry.select(tags=config.lfs.tags or None, names=config.lfs.names or None)
        if not registry:
            raise ConfigError(f"{config.source}: lfs.tags = {config.lfs.tags} selects no LF")
    return registry


def module_spec(config: RunConfig, spec: str) -> str:
    """LF modules are dotted names (imported from the project folder) or ``.py`` paths (checked like
    every config path); both must stay in the project folder after following symbolic links
    (see :func:`lf_module_paths`)."""
    if spec.endswith(".py") or "/" in spec or os.sep in spec:
        return str(config.resolve(spec, "lfs.modules"))
    lf_module_paths(config, spec)
    return spec


def check_model_installed(config: RunConfig, model_cls: type[Any]) -> None:
    """A label model that needs an optional package (its ``missing_requirement()`` says why it cannot fit here,
    e.g. :meth:`~weaksup.models.SnorkelLabelModel.missing_requirement`) is refused while the config is checked,
    before any LF runs, with the install line."""
    missing = getattr(model_cls, "missing_requirement", None)
    problem = missing() if callable(missing) else None
    if problem is not None:
        raise ConfigError(f"{config.source}: label_model.name = {config.label_model.name!r}: {problem}")


def check_model_params(config: RunConfig, model_cls: type[BaseLabelModel]) -> None:
    """``label_model.params`` are parameters of the label model's constructor that meet the model's own
    declared constraints (:meth:`BaseLabelModel.check_params`), checked before any work."""
    accepted = set(model_cls.param_names()) - {"cardinality", "seed"}
    params = config.label_model.params
    unknown = sorted(set(params) - accepted)
    if unknown:
        takes = (f"it takes {sorted(accepted)} (each described in help({model_cls.__module__}.{model_cls.__name__}))"
                 if accepted else "it takes none: drop label_model.params")
        raise ConfigError(f"{config.source}: label_model.params {unknown} are not parameters of "
                          f"{model_cls.__name__}; {takes}")
    defaults = model_cls().get_params(deep=False)
    for name, value in params.items():
        try:
            model_cls(**{name: value}).check_params()
        except LabelModelError as exc:
            raise ConfigError(f"{config.source}: label_model.params.{name} = {value!r}: {exc} (its default is "
                              f"{defaults[name]!r}); fix the value or drop it to use the default") from None
    try:
        model_cls(seed=config.label_model.seed, **params).check_params()
    except (WeakSupError, TypeError, ValueError) as exc:
        raise ConfigError(f"{config.source}: label_model.params {params}: {model_cls.__name__} refuses them: {exc}"
                          ) from None


def load_run_gold(config: RunConfig, task: TaskType, space: Any) -> Any:
    """The gold set of a run: ``gold.path`` at ``gold.version`` (pinned; default its latest version), or None.

    Raises
    ------
    GoldSetError
        A pinned version the gold set does not have (naming ``gold.version`` and the versions it has), or a
        gold set that does not load.
    """
    if not config.gold.path:
        return None
    from weaksup.gold.versions import check_pinned_version

    path = config.resolve(config.gold.path, "gold.path")
    if config.gold.version is not None:
        check_pinned_version(path, config.gold.version, "gold.version")
    return task.load_gold(path, space, version=config.gold.version)
