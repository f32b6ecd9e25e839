"""A labeling run from a config: load -> clean -> apply -> fit -> end model -> predict -> route -> write -> evaluate
-> report.

The input is read in chunks (``input.chunk_rows``), so memory does not grow with the number of rows
beyond the vote matrix (``n x m`` small integers). Votes are saved per chunk in ``<run dir>/votes/``
as the run goes, keyed by each LF's ``name@version``: a run that was killed picks up from the last
finished chunk, and after editing one LF only that LF's column is recomputed.

The run folder (the folder of ``output.path``)::

    labels.parquet | .csv | .jsonl   one row per input row, in input order (see LABEL_COLUMNS)
    votes/part-00000.parquet ...     the vote matrix, one VoteMatrix file per chunk, plus index.json
    label_model.json                 the fitted label model
    report.html                      the label-quality report (``output.report_path`` to put it elsewhere)
    run.json                         what ran: config, LFs, gold set, counts, metrics, timings

Every file is written atomically: it is whole or absent; and the run folder as a whole is one run's
output: a run takes an exclusive lock on it, works in a staging folder beside it and publishes with
renames, ``run.json`` last (:mod:`weaksup.pipeline.folder`); :func:`load_run` checks the parts agree.

=================  ==================================================================================
``plan``           :class:`RunPlan`: LFs, label space, gold set, label model, task type, checked once
``paths``          what a run reads and writes; inputs are never outputs (nor a review export's target)
``inputs``         the config's input: identity, chunks, row positions in messages, id checks
``voting``         the apply stage (chunks voted on worker threads)
``vote_store``     :class:`VoteStore`: saved vote parts, reuse and resume
``stages``         the fit, write (predict + route) and report stages
``end_stage``      the end model (final labels, ``label_source``) and the references on the gold test rows
``sequences``      ``task.unit`` (rows or windows) and a temporal label model over whole sequences, in order
``outputs``        the labels output: columns, one chunk's table, the writer
``manifest``       ``run.json``, :class:`Run` and :func:`load_run`, :func:`load_votes`
``folder``         the lock on the run folder, publishing a staged run, recovery
``staging``        :class:`Stage`: the staging folder (hard-linked votes, adopted after a kill)
``result``         :class:`RunResult`
=================  ==================================================================================
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from weaksup.config import RunConfig
from weaksup.errors import ConfigError
from weaksup.pipeline.inputs import check_inputs_unchanged, input_identity
from weaksup.pipeline.folder import FolderLock, keep_previous
from weaksup.pipeline.staging import Stage, check_resumable, user_paths
from weaksup.pipeline.manifest import (STATUSES, Run, check_not_finished, fingerprints, load_run, load_votes,
                                       manifest_text, run_manifest)
from weaksup.pipeline.outputs import LABEL_COLUMNS
from weaksup.pipeline.plan import RunPlan, select_lfs
from weaksup.pipeline.result import RunResult, Timer, prompt_usage
from weaksup.pipeline.end_stage import end_stage, final_chunks, gold_test_positions, reference_stage
from weaksup.pipeline.sequences import order_stage, smooth_stage
from weaksup.pipeline.stages import fit_stage, report_stage, write_stage
from weaksup.pipeline.vote_store import VoteStore
from weaksup.pipeline.voting import AppliedVotes, apply_stage, release_freed_memory
from weaksup.prompt.parse import unparseable_summary

if TYPE_CHECKING:
    from weaksup.models.base import BaseLabelModel

logger = logging.getLogger(__name__)

#: Where :func:`run` may stop early.
STOP_AFTER = ("apply", "fit")


def run(config: RunConfig | str | os.PathLike[str], *, resume: bool = False, fresh: bool = False,
        progress: bool | None = None, stop_after: str | None = None) -> RunResult:
    """Run the whole flow a config describes and write the run folder.

    Set-up (:class:`RunPlan`: LFs, label space, gold set, label model, output folder) and the MLflow
    store are checked before any row is read. Then the stages: apply (votes saved chunk by chunk),
    fit the label model, fit the end model (``[end_model]``, :mod:`weaksup.pipeline.end_stage`), predict,
    route and write the labels (with ``label_source``), compare the final labels with the references on
    the gold test rows, build the report (metrics on the gold split), log the run to MLflow
    (``[mlflow]``), and write ``run.json``. MLflow's process-wide
    tracking URI is left as it was.

    Parameters
    ----------
    config : RunConfig, str or path
        From :func:`weaksup.config.load_config`; a path to a TOML run config is loaded with it.
    resume : bool
        Continue a run that was stopped: an error when the run folder holds no saved votes.
        (Finished chunks and unchanged LF columns are reused by any run unless ``fresh``.)
    fresh : bool
        Ignore saved votes and recompute every chunk.
    progress : bool, optional
        Progress bars (default: tqdm decides, shown on a terminal).
    stop_after : {"apply", "fit"}, optional
        Stop after that stage (``weaksup apply`` / ``weaksup fit``).

    Returns
    -------
    RunResult

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "x"}, "input": {"path": "x.csv"},
    ...                               "lfs": {"modules": ["x"]}, "output": {"path": "out/labels.csv"}})
    >>> run(config, resume=True, fresh=True)
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: --resume and --fresh contradict each other; drop one
    >>> run({"task": {"name": "x"}})
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: run() takes a RunConfig or the path of a TOML run config; got a dict: pass load_config(path), or RunConfig.from_dict(doc)
    """
    from weaksup.tracking import tracking_scope

    if isinstance(config, (str, os.PathLike)):
        from weaksup.config import load_config

        config = load_config(config)
    elif not isinstance(config, RunConfig):
        raise ConfigError(f"run() takes a RunConfig or the path of a TOML run config; got a "
                          f"{type(config).__name__}: pass load_config(path), or RunConfig.from_dict(doc)")
    if resume and fresh:
        raise ConfigError("--resume and --fresh contradict each other; drop one")
    if stop_after is not None and stop_after not in STOP_AFTER:
        raise ConfigError(f"stop_after must be one of {list(STOP_AFTER)} or None; got {stop_after!r}")
    with tracking_scope(config.mlflow.enabled and stop_after is None):
        return _run(config, resume=resume, fresh=fresh, progress=progress, stop_after=stop_after)


def _run(config: RunConfig, *, resume: bool, fresh: bool, progress: bool | None, stop_after: str | None
         ) -> RunResult:
    """:func:`run` inside its tracking scope: set-up, the lock on the run folder, its staging folder, the
    stages, then the publish (see :mod:`weaksup.pipeline.folder`)."""
    timer = Timer()
    started = time.perf_counter()
    plan = RunPlan.from_config(config)
    run_dir = config.output_dir
    files, identity, stamps = input_identity(config)
    # Saved votes are class ids of this label space: a class added, removed or reordered changes what an id means
    # for every LF kind (a generic LF's SPAM = LABELS["spam"] keeps its version), so it keys the whole vote store.
    identity["labels"] = plan.task.space_json(plan.label_space)
    reuse = config.output.reuse_votes and not fresh
    key = VoteStore(run_dir / "votes", identity, reuse=False).key
    with user_paths(run_dir, config.source), FolderLock(run_dir):
        check_not_finished(run_dir, stop_after, config.source or "CONFIG")  # (a fit never breaks a finished run)
        if resume:
            check_resumable(run_dir, key, identity)
        stage = Stage.open(run_dir, config_source=config.source, votes_key=key, reuse=reuse,
                           clean=config.output.write_clean, resume=resume)
        previous = keep_previous(run_dir, stage.path) if stop_after is None else None
        published = False
        try:
            if resume and not stage.has_votes:
                raise ConfigError(f"--resume: {run_dir / 'votes'} holds no saved votes of an earlier run; run "
                                  "without --resume")
            result, manifest = _stages(plan, staged_plan(plan, stage.path), stage.path, files, identity,
                                       resume=resume, reuse=reuse, progress=progress, stop_after=stop_after,
                                       timer=timer, started=started, previous=previous)
            check_inputs_unchanged(files, stamps)  # the stages read the input more than once
            stage.commit_and_publish(manifest)
            published = True
            if previous is not None:
                from weaksup.compare import previous_line

                result.previous_change = previous_line(previous, json.loads(manifest))
        finally:
            if not published:
                stage.abandon()
    result.timings["total"] = time.perf_counter() - started
    logger.info("run finished in %.1f s", result.timings["total"])
    return result


def staged_plan(plan: RunPlan, stage: Path) -> RunPlan:
    """``plan`` writing into the staging folder: its labels, clean parts and (default) report go there."""
    config = plan.config
    report = config.report_path
    output = dataclasses.replace(
        config.output, path=str(stage / config.output_path.name),
        report_path=str(stage / report.name if report.parent == config.output_dir else report))
    return dataclasses.replace(plan, config=dataclasses.replace(config, output=output))


def _stages(plan: RunPlan, staged: RunPlan, stage: Path, files: list[Path], identity: dict[str, Any], *,
            resume: bool, reuse: bool, progress: bool | None, stop_after: str | None, timer: Timer,
            started: float, previous: dict[str, Any] | None = None) -> tuple[RunResult, str]:
    """The stages of a run writing into ``stage``; returns the result and the manifest's text (with fingerprints;
    the one logged to MLflow when the run was)."""
    from weaksup.tracking import start_run_tracking

    config = plan.config
    run_dir = config.output_dir
    store = VoteStore(stage / "votes", identity, reuse=reuse)
    if resume:
        logger.warning("resuming: %d chunk(s) of votes were saved by the earlier run", store.done)
    uri = start_run_tracking(config) if stop_after is None else None
    timer.add("setup", started)

    t = time.perf_counter()
    before = prompt_usage(plan.registry.lfs)
    with unparseable_summary():  # a prompted LF's unparseable answers: one warning per LF, not one per chunk
        applied = apply_stage(staged, store, progress=progress)
    release_freed_memory()  # the chunks' text and temporaries: the later stages peak on top of the votes alone
    timer.add("read+clean+apply", t)
    result = RunResult(config=config, run_dir=run_dir, labels_path=config.output_path, n_rows=len(applied.values),
                       n_lfs=len(plan.registry.lfs), rule_version=plan.registry.rule_version, label_model="",
                       coverage=applied.coverage, label_counts={}, status_counts={}, conflicts=0,
                       faults=applied.faults, timeouts=applied.timeouts, prep=applied.prep, chunks=applied.chunks,
                       not_cacheable={lf.name: lf.cache_note for lf in plan.registry.lfs if not lf.cacheable},
                       timings=timer.seconds, gold_gaps=plan.gold_gaps(),
                       prompt=prompt_usage(plan.registry.lfs, since=before), data_hash=store.key,
                       previous=previous)
    if stop_after != "apply":
        t = time.perf_counter()
        model = fit_stage(plan, applied)
        model = order_stage(plan, applied, model)  # a temporal model's chain on the (sequence, order) order
        plan.task.save_model(model, stage / "label_model.json")
        timer.add("fit", t)
        result.label_model = type(model).__name__
        if stop_after is None:
            logged = _label_and_report(plan, staged, applied, model, store, result, files, uri=uri,
                                       progress=progress, timer=timer)
            if logged is not None:
                return result, logged
    return result, final_manifest(result, plan, files, stage, STATUSES[stop_after])


def final_manifest(result: RunResult, plan: RunPlan, files: list[Path], stage: Path, status: str) -> str:
    """The text of the run's ``run.json`` as the run folder gets it: the manifest and the fingerprints of the
    files it claims in ``stage``."""
    doc = run_manifest(result, plan, files, status=status)
    doc["fingerprints"] = fingerprints(stage, doc)
    return manifest_text(doc)


def _label_and_report(plan: RunPlan, staged: RunPlan, applied: AppliedVotes, model: BaseLabelModel,
                      store: VoteStore, result: RunResult, files: list[Path], *, uri: str | None,
                      progress: bool | None, timer: Timer) -> str | None:
    """Predict, route and write the labels; build the report; log to MLflow (all into the stage). Returns the
    ``run.json`` text logged to MLflow as the run's last artifact (:func:`final_manifest`, with the MLflow run id),
    or None when the run was not logged."""
    from weaksup.tracking import RunRecord, log_run, run_name, run_stage

    config = plan.config
    t = time.perf_counter()
    end = end_stage(plan, applied)
    release_freed_memory()
    result.end_model = end.info
    if end.labeler is not None:
        timer.add("end model fit", t)
    t = time.perf_counter()
    watch = gold_test_positions(plan, applied)
    sizes = [int(part["rows"]) for part in store.parts]
    smoothed = smooth_stage(plan, applied, model)  # (None unless a temporal model: whole sequences at once)
    final = final_chunks(plan, applied, end, model, sizes) if end.labeler is not None else \
        None if smoothed is None else smoothed.chunks(sizes)
    # what the references and the report read of the model (a temporal model's posteriors: by row position)
    model_view = model if smoothed is None else cast("BaseLabelModel", smoothed)
    written = write_stage(staged, applied, model, store, progress=progress, final=final, watch=watch)
    write_outputs = getattr(plan.task, "write_outputs", None)  # (optional: the task type's further files)
    if write_outputs is not None:
        result.outputs = write_outputs(staged.config.output_path, applied.values, plan.label_space)
    timer.add("predict+route+write" if end.labeler is None else "end model predict+route+write", t)
    result.label_counts, result.status_counts = written.label_counts, written.status_counts
    result.review_held_out = written.watched_needs_review
    result.conflicts, result.source_counts = written.conflicts, written.source_counts

    t = time.perf_counter()
    outcome = reference_stage(plan, applied, model_view, end, written.watched_labels, written.watched_proba)
    result.references, result.references_note = outcome.references, outcome.note
    result.metrics.update({k: v for k, v in outcome.metrics.items() if math.isfinite(v)})
    if outcome.references is not None:
        timer.add("references", t)

    report = None
    if config.output.report or plan.gold is not None or uri is not None:  # (MLflow logs the report's figures)
        t = time.perf_counter()
        report = report_stage(plan, applied, model_view, store.key, references=outcome.references, written=written,
                              end_model=end.info)
        result.vote_stats = {k: float(v) for k, v in (getattr(report, "stats", None) or {}).items()}
        metrics = plan.task.report_metrics(report) if plan.gold is not None else {}
        if metrics and plan.gold is not None:
            result.metrics.update(metrics)
            result.gold = {"task": plan.gold.task, "version": plan.gold.version, "hash": plan.gold.hash,
                           "split": config.gold.split, "counts": plan.gold.counts(),
                           "describe": plan.gold.describe()}
        if config.output.report:
            report.write_html(staged.config.report_path)
            result.report_path = config.report_path
        timer.add("evaluate+report", t)

    if report is None:
        return None
    logged: list[str] = []
    try:  # with mlflow.require a failed log is an error: the staged run is then not published (the last one stays)
        if uri is not None:
            t = time.perf_counter()
            total = max(result.n_rows, 1)
            summary = {"rows": result.n_rows, "coverage_all_rows": result.coverage,
                       "needs_review_share": result.status_counts["needs_review"] / total,
                       "reviewed_rows": result.status_counts["reviewed"], "conflict_share": result.conflicts / total,
                       **{f"label_source_share/{name.strip('()')}": n / total
                          for name, n in result.source_counts.items()},
                       **{f"prompt/{lf}/{key}": n for lf, counts in result.prompt.items() for key, n in counts.items()}}
            doc = manifest_text(run_manifest(result, plan, files))  # kept by a run whose logging fails part-way
            record = RunRecord.of_run(plan, staged, applied, model, files, result, store.key)

            def finish(run_id: str) -> str:  # the last artifact: the run folder's run.json, with the run id
                result.mlflow_uri, result.mlflow_run_id = uri, run_id
                timer.add("mlflow", t)  # (up to here: the upload of this run.json and the run's end are not in it)
                logged.append(final_manifest(result, plan, files, staged.config.output_dir, STATUSES[None]))
                return logged[-1]

            run_id = log_run(config, report, plan.gold, summary, doc, references=outcome.references, record=record,
                             final_manifest=finish, run_name=run_name(config.task.name, result.rule_version,
                                                                      record.gold_version, run_stage(config)))
            if run_id is None:  # not logged (a warning said why): the run folder's run.json says so
                if not logged:
                    timer.add("mlflow", t)
                result.mlflow_uri, result.mlflow_run_id = uri, None
                logged.clear()
    finally:
        report.close()
    result.report = report
    return logged[-1] if logged else None


__all__ = ["LABEL_COLUMNS", "Run", "RunPlan", "RunResult", "VoteStore", "load_run", "load_votes", "run",
           "select_lfs"]
