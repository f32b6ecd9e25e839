"""What a run checks and builds once from its config, before any row is read: the :class:`RunPlan`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from weaksup._io import atomic_path
from weaksup.config import RunConfig
from weaksup.errors import ConfigError, DataError
from weaksup.labels import LabelSpace
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
    label_space : LabelSpace
    gold : GoldSet or None
        The gold set of ``gold.path``.
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
    label_space: LabelSpace
    gold: GoldSet | None
    model_cls: type[BaseLabelModel]
    columns: list[str] | None
    policy: RoutingPolicy

    @property
    def has_dev_gold(self) -> bool:
        """Whether the gold set has a dev split (the label model may fit on it; those rows are ``reviewed``)."""
        return self.gold is not None and "dev" in self.gold.counts()

    @classmethod
    def from_config(cls, config: RunConfig) -> RunPlan:
        """Check the LFs, the label space, the gold set, the label model and the output folder.

        Raises a :class:`~weaksup.errors.WeakSupError` naming the config key at the first problem.
        """
        from weaksup.registry import Registry

        task = task_type(config.task.type)
        registry = select_lfs(config)
        space = registry.label_space
        if config.task.labels:
            wanted = task.label_space(config.task.labels)
            if space is not None and space != wanted:
                raise ConfigError(f"{config.source}: task.labels = {list(wanted)} differs from the label space of "
                                  f"the LF modules {list(space)}; make them equal (or drop task.labels)")
            space = wanted
        if space is None:
            raise ConfigError(f"{config.source}: the label space is unknown: set task.labels = [...] or define a "
                              "LabelSpace in the LF module")
        if registry.label_space is None:
            registry = Registry(registry.lfs, label_space=space)
        gold = None
        if config.gold.path:
            from weaksup.gold import load_gold

            gold = load_gold(config.resolve(config.gold.path, "gold.path"), label_space=space)
        model_cls = task.resolve_model(config.label_model.name, has_dev_gold=gold is not None and "dev" in gold.counts())
        check_model_params(config, model_cls)
        check_writable(config.output_dir, config)
        columns: list[str] | None = None
        if all(lf.fields for lf in registry.lfs):
            needed = [config.input.id_column, *config.input.fields]
            if config.input.text_column:
                needed.append(config.input.text_column)
            needed += [f for lf in registry.lfs for f in lf.fields]
            columns = list(dict.fromkeys(needed))
        return cls(config, task, registry, space, gold, model_cls, columns, config.review.policy)


def select_lfs(config: RunConfig) -> Registry:
    """The registry of the config's LF modules, restricted to ``lfs.tags`` / ``lfs.names``."""
    from weaksup.registry import Registry

    modules = [module_spec(config, m) for m in config.lfs.modules]
    registry = Registry.from_modules(*modules)
    if config.lfs.tags or config.lfs.names:
        registry = registry.select(tags=config.lfs.tags or None, names=config.lfs.names or None)
        if not registry:
            raise ConfigError(f"{config.source}: lfs.tags = {config.lfs.tags} selects no LF")
    return registry


def module_spec(config: RunConfig, spec: str) -> str:
    """LF modules are dotted names (imported from the project folder) or ``.py`` paths (checked like
    every config path)."""
    if spec.endswith(".py") or "/" in spec or os.sep in spec:
        return str(config.resolve(spec, "lfs.modules"))
    return spec


def check_model_params(config: RunConfig, model_cls: type[BaseLabelModel]) -> None:
    """``label_model.params`` are parameters of the label model's constructor."""
    accepted = set(model_cls.param_names()) - {"cardinality", "seed"}
    unknown = sorted(set(config.label_model.params) - accepted)
    if unknown:
        raise ConfigError(f"{config.source}: label_model.params {unknown} are not parameters of "
                          f"{model_cls.__name__}; it takes {sorted(accepted)}")


def check_writable(folder: Path, config: RunConfig) -> None:
    """The run folder exists (it is created) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".weaksup-write-check") as tmp:
            tmp.write_bytes(b"")
        (folder / ".weaksup-write-check").unlink()
    except OSError as exc:
        raise DataError(f"cannot write to the output folder {folder} ({exc.strerror or exc}); "
                        f"fix its permissions or change output.path in {config.source}") from None
