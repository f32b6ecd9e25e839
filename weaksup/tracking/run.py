"""A labeling run (:func:`weaksup.pipeline.run`) as one MLflow run: :func:`start_run_tracking` before any work,
:func:`log_run` once the labels are written (see :mod:`weaksup.tracking` for what it holds)."""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup._io import pid_alive, process_identity
from weaksup.errors import TrackingError
from weaksup.tracking import bounded_requests, flatten, start_tracking
from weaksup.tracking.report import log_report

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel
    from weaksup.pipeline.plan import RunPlan
    from weaksup.pipeline.result import RunResult
    from weaksup.pipeline.voting import AppliedVotes
    from weaksup.references import GoldReferences
    from weaksup.report import QualityReport

logger = logging.getLogger(__name__)

#: Git tags MLflow sets from the entry point's folder (the weaksup checkout when run as ``python -m weaksup``):
#: a run keeps only the project folder's (:func:`weaksup.tracking.git.git_tags`), never weaksup's own.
FOREIGN_GIT_TAGS = ("mlflow.source.git.commit", "mlflow.source.git.repoURL", "mlflow.source.git.branch")
#: The tag a run that failed while logging gets: what went wrong (the run is FAILED, with what it logged).
FAILURE_TAG = "weaksup.failure"
#: The tags naming the process that logs a run (host name, pid): a later run ends it KILLED if that process is gone.
HOST_TAG, PID_TAG = "weaksup.host", "weaksup.pid"
#: The logging process's pid namespace and start time (:func:`weaksup._io.process_identity`), where ``/proc`` has it.
PROCESS_TAG = "weaksup.process"


def start_run_tracking(config: RunConfig) -> str | None:
    """For a run: point MLflow at the configured store (``mlflow.tracking_uri``, else
    ``MLFLOW_TRACKING_URI``, else ``./mlflow.db``) and check that it answers, before any work.

    Returns the URI, or None when the run will not be logged (disabled, not installed, or
    unreachable: a warning says so, or a :class:`TrackingError` with ``mlflow.require``).
    """
    from weaksup.errors import ConfigError

    settings = config.mlflow
    if not settings.enabled:
        if settings.require:
            raise ConfigError(f"{config.source}: mlflow.require = true but mlflow.enabled = false")
        return None
    return start_tracking(settings.experiment, uri=settings.tracking_uri or None, require=settings.require,
                          require_option="mlflow.require = true", warn=logger.warning)


def run_stage(config: RunConfig) -> str:
    """What made a run, for its ``weaksup.stage`` tag and its name: ``"report"`` or ``"demo"`` for the runs
    ``weaksup report``/``demo`` make from their flags (their config's ``source``), ``"run"`` otherwise.

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x"}, "input": {"path": "x.csv"}, "lfs": {"modules": ["x"]},
    ...        "output": {"path": "out/labels.csv"}}
    >>> run_stage(RunConfig.from_dict(doc, source="weaksup report")), run_stage(RunConfig.from_dict(doc))
    ('report', 'run')
    """
    from weaksup.report.command import REPORT_SOURCES

    return config.source.removeprefix("weaksup ") if config.source in REPORT_SOURCES else "run"


def run_name(task: str, rule_version: str, gold_version: int | str | None = None, stage: str = "run") -> str:
    """The MLflow run name of a run: task, rule version and, with a gold set, its version (so runs before and
    after a gold change have different names); a ``stage`` other than ``"run"`` (:func:`run_stage`) is added.

    Examples
    --------
    >>> run_name("youtube_spam", "3f2a9c1e", 2)
    'youtube_spam-3f2a9c1e-gold2'
    >>> run_name("youtube_spam", "3f2a9c1e")
    'youtube_spam-3f2a9c1e'
    >>> run_name("youtube_spam", "3f2a9c1e", 2, stage="report")
    'youtube_spam-3f2a9c1e-gold2-report'
    """
    return (f"{task}-{rule_version}" + (f"-gold{gold_version}" if gold_version is not None else "")
            + ("" if stage == "run" else f"-{stage}"))


def run_description(task: str, summary: str, stage: str = "run") -> str:
    """The run's MLflow description (``mlflow.note.content``, Markdown): the run summary, without its timings.

    Examples
    --------
    >>> print(run_description("spam", "1,956 rows\\nseconds: fit 0.1"))
    weaksup run of **spam**
    <BLANKLINE>
    ```
    1,956 rows
    ```
    """
    lines = [line for line in summary.splitlines() if not line.startswith("seconds:")]
    return f"weaksup {stage} of **{task}**\n\n```\n" + "\n".join(lines) + "\n```"


def tracking_off_note(config: RunConfig) -> str:
    """The summary line of a run that MLflow does not log because ``mlflow.enabled`` is false, saying how to log
    it; ``""`` when tracking is on.

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x"}, "input": {"path": "x.csv"}, "lfs": {"modules": ["x"]},
    ...        "output": {"path": "out/labels.csv"}, "mlflow": {"enabled": False}}
    >>> print(tracking_off_note(RunConfig.from_dict(doc, source="configs/x.toml")))
    MLflow: off (mlflow.enabled = false), this run is not logged; to log runs set [mlflow] enabled = true in configs/x.toml, or pass --tracking to weaksup run
    """
    if config.mlflow.enabled:
        return ""
    where = "the run config" if config.source.startswith("<") else config.source  # ("<dict>": built in Python)
    return ("MLflow: off (mlflow.enabled = false), this run is not logged; to log runs set [mlflow] enabled = true "
            f"in {where}, or pass --tracking to weaksup run")


def config_params(config: RunConfig, labels: Sequence[str] = ()) -> dict[str, str]:
    """The ``config.<section>.<key>`` params of a run, in one form whichever way its config was built (a TOML
    file, ``weaksup report``'s flags, a dict), so that equal settings log equal params.

    - An absolute path under the project folder is logged relative to it (POSIX ``/``); other values as given.
    - Defaults the run fills in are logged filled in: an empty ``task.labels`` as the label space the run used
      (``labels``), an empty ``output.report_path`` as where the report goes (the run folder's ``report.html``).
    - Values are cut at 500 characters (MLflow's limit).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x"}, "input": {"path": "/srv/p/data/x.csv"}, "lfs": {"modules": ["x"]},
    ...        "output": {"path": "out/labels.csv"}, "gold": {"path": "/elsewhere/gold"}}
    >>> params = config_params(RunConfig.from_dict(doc, project="/srv/p"), labels=["ham", "spam"])
    >>> params["config.input.path"], params["config.gold.path"], params["config.task.labels"]
    ('data/x.csv', '/elsewhere/gold', "['ham', 'spam']")
    >>> params["config.output.report_path"]
    'out/report.html'
    """
    root = Path(config.project)

    def relative(value: Any) -> Any:
        if isinstance(value, list):
            return [relative(v) for v in value]
        if isinstance(value, str) and os.path.isabs(value):
            path = Path(os.path.normpath(value))
            return path.relative_to(root).as_posix() if path.is_relative_to(root) else value
        return value

    doc = config.to_dict()
    if not doc["task"]["labels"] and labels:
        doc["task"]["labels"] = list(labels)
    doc["output"]["report_path"] = str(config.report_path)
    return {f"config.{key}": str(relative(value))[:500] for key, value in flatten(doc).items()}


@dataclass(frozen=True)
class RunRecord:
    """What a run logs beside its report: the fitted label model (with the settings that shape its
    probabilities), the labels file, the input files, the project folder and the summary.

    ``labels`` is the file to read (in the staging folder while the run logs), ``published`` the path it is
    published at (what the labels dataset records).
    """

    model: BaseLabelModel | None
    classes: Sequence[str]
    lf_names: Sequence[str]
    lf_versions: Sequence[str]
    votes: np.ndarray
    labels: Path
    published: Path
    files: Sequence[Path]
    project: Path
    summary: str
    no_votes: str = "abstain"
    data_hash: str = ""
    rows: int = 0
    gold_version: int | str | None = field(default=None)

    @classmethod
    def of_run(cls, plan: RunPlan, staged: RunPlan, applied: AppliedVotes, model: BaseLabelModel,
               files: Sequence[Path], result: RunResult, data_hash: str) -> RunRecord:
        """The record of a run from its stages' values (``staged``: the plan writing into the staging folder)."""
        from weaksup.models.base import BaseLabelModel

        config = plan.config
        lfs = plan.registry.lfs
        classes = plan.task.space_names(plan.label_space)  # (a multi-label space's labels, a span space's types)
        return cls(model=model if isinstance(model, BaseLabelModel) else None, classes=classes,
                   lf_names=[lf.name for lf in lfs],
                   lf_versions=[lf.version for lf in lfs], votes=applied.values[:8],
                   labels=staged.config.output_path, published=config.output_path, files=list(files),
                   project=Path(config.project), summary=result.summary(), no_votes=config.label_model.no_votes,
                   data_hash=data_hash, rows=result.n_rows,
                   gold_version=None if plan.gold is None else plan.gold.version)


def log_run(config: RunConfig, report: QualityReport, gold: GoldSet | None, summary: Mapping[str, float],
            manifest: str, *, run_name: str, references: GoldReferences | None = None,
            record: RunRecord | None = None, final_manifest: Callable[[str], str] | None = None) -> str | None:
    """Log a run as one MLflow run: its config (:func:`config_params`), ``summary`` metrics,
    the ``references`` on the gold test rows (:meth:`References.as_metrics`: ``final/accuracy``,
    ``final/accuracy_no_votes``, ``final/ece``, ``reference/supervised_on_dev/accuracy``, ...), its
    ``run.json`` text (``manifest``), the report (:func:`log_report`) and, with a ``record``, the label model,
    the input and labels datasets, the git tags and the description. Returns the run id.

    ``final_manifest``, when given, is called last with the MLflow run id, before the run ends: the ``run.json``
    text it returns replaces the one logged first, so the artifact is the run folder's final ``run.json`` (with
    the run id, the fingerprints and the ``mlflow`` timing). The ``weaksup.stage`` tag is :func:`run_stage`.

    A run that fails part-way is ended FAILED with what it logged (``run.json`` as ``manifest`` gave it) and a
    ``weaksup.failure`` tag (MLflow ends it so; nothing is left that no run owns). The labels are written by
    then, so a failure is a warning and None (a :class:`TrackingError` with ``mlflow.require``).
    """
    import mlflow

    from weaksup.tracking.git import git_tags

    stage = run_stage(config)
    tags = {"weaksup.task": config.task.name, "weaksup.stage": stage, HOST_TAG: socket.gethostname(),
            PID_TAG: str(os.getpid())}
    identity = process_identity(os.getpid())
    if identity is not None:
        tags[PROCESS_TAG] = identity
    description = None
    if record is not None:
        tags.update(git_tags(record.project))
        description = run_description(config.task.name, record.summary, stage)
        if record.gold_version is not None:
            tags["weaksup.gold_version"] = str(record.gold_version)
    end_orphaned_runs(config.mlflow.experiment)
    try:
        with bounded_requests(), mlflow.start_run(run_name=run_name, description=description, tags=tags) as active:
            try:
                for tag in FOREIGN_GIT_TAGS:  # MLflow's guess from the entry point (weaksup's own checkout)
                    if tag in active.data.tags and tag not in tags:
                        mlflow.delete_tag(tag)
                _log_contents(config, report, gold, summary, manifest, references, record, stage)
                if final_manifest is not None:  # last: the run folder's run.json, with this run's id
                    mlflow.log_text(final_manifest(str(active.info.run_id)), "run.json")
            except BaseException as exc:
                _mark_failure(mlflow, exc)
                raise
            return str(active.info.run_id)
    except Exception as exc:  # the labels are written; tracking must not fail the run
        if config.mlflow.require:
            raise TrackingError(f"logging the run to MLflow failed: {exc}") from exc
        logger.warning("the run was NOT logged to MLflow (its MLflow run, if started, is FAILED): %s", exc)
        return None


def _log_contents(config: RunConfig, report: QualityReport, gold: GoldSet | None, summary: Mapping[str, float],
                  manifest: str, references: GoldReferences | None, record: RunRecord | None, stage: str) -> None:
    import mlflow

    mlflow.log_params(config_params(config, labels=() if record is None else record.classes))
    mlflow.log_text(manifest, "run.json")
    if references is not None:
        mlflow.log_text(references.text(), "references.txt")
    if record is not None and record.model is not None:  # before the metrics: MLflow copies each one to the model
        from weaksup.tracking.model import LabelModelPyfunc, log_label_model

        pyfunc = LabelModelPyfunc(record.model, record.classes, record.lf_names, record.lf_versions, record.no_votes)
        log_label_model(pyfunc, record.votes, tags={"weaksup.task": config.task.name})
    metrics = {k: float(v) for k, v in summary.items()}
    if references is not None:  # (those the report carries are logged with it, once)
        logged = report.metrics()
        metrics.update({k: float(v) for k, v in references.as_metrics().items()
                        if math.isfinite(v) and k not in logged})
    mlflow.log_metrics(metrics)
    if record is not None:
        from weaksup.pipeline.manifest import fingerprint
        from weaksup.tracking.datasets import log_datasets

        digest = str(fingerprint(record.labels)["sha256_sample"])[:16]
        log_datasets(files=record.files, labels=record.labels, published=record.published, task=config.task.name,
                     data_hash=record.data_hash, labels_digest=digest, rows=record.rows)
    log_report(report, gold=gold, tags={"weaksup.stage": stage, "weaksup.task": config.task.name}, strict=True)


def _mark_failure(mlflow: Any, exc: BaseException) -> None:
    """Say on the active run why it failed (best effort: the store may be what failed)."""
    try:
        mlflow.set_tag(FAILURE_TAG, f"{type(exc).__name__}: {exc}"[:5000])
    except Exception as tag_exc:  # the original error is what matters
        logger.debug("could not tag the failed MLflow run: %s", tag_exc)


def end_orphaned_runs(experiment: str) -> list[str]:
    """End KILLED the experiment's RUNNING runs that a weaksup process on this host started and that is gone (a
    SIGKILL, a power cut while it logged): each gets a :data:`FAILURE_TAG` saying so. Returns their run ids.

    A process is known by its pid namespace and start time (:data:`PROCESS_TAG`), so a reused pid does not keep a
    dead process's run RUNNING and a live process of another container sharing the host name is never judged
    gone. Runs of other hosts, of live processes, of other pid namespaces, and runs without :data:`HOST_TAG` /
    :data:`PID_TAG` (logged by older weaksup versions or other tools) are left alone. Best effort: a store that does not answer ends nothing.
    """
    from mlflow import MlflowClient

    host = socket.gethostname()
    ended: list[str] = []
    try:
        client = MlflowClient()
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return ended
        running = client.search_runs([found.experiment_id], max_results=1000,
                                     filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'")
        here = (process_identity(os.getpid()) or "").partition("|")[0]
        for orphan in running:
            pid = int(orphan.data.tags.get(PID_TAG, "0") or 0)
            if pid <= 0 or pid == os.getpid():
                continue
            recorded = orphan.data.tags.get(PROCESS_TAG)
            if recorded is not None:  # another pid namespace (a container sharing the host name): not ours to judge
                if recorded.partition("|")[0] != here:
                    continue
                now = process_identity(pid)  # the same start time: alive; another: its pid was reused
                if now == recorded or (now is None and pid_alive(pid)):  # (None: /proc hides it, e.g. hidepid)
                    continue
            elif pid_alive(pid):
                continue
            client.set_tag(orphan.info.run_id, FAILURE_TAG, f"the weaksup process logging it (pid {pid} on {host}) "
                                                            "died before it ended (killed); ended by a later run")
            client.set_terminated(orphan.info.run_id, "KILLED")
            ended.append(orphan.info.run_id)
            logger.warning("MLflow run %s was left RUNNING by weaksup process %d, which is gone: ended KILLED",
                           orphan.info.run_id, pid)
    except Exception as exc:  # noqa: BLE001 -- tidying must never fail the run being logged
        logger.debug("could not look for orphaned MLflow runs: %s", exc)
    return ended
