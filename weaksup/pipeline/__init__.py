"""A labeling run from a config: load -> clean -> apply -> fit -> predict -> route -> write -> evaluate -> report.

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

Every file is written atomically: it is whole or absent.

=================  ==================================================================================
``plan``           :class:`RunPlan`: LFs, label space, gold set, label model, task type, checked once
``inputs``         the config's input: identity, chunks, row positions in messages, id checks
``voting``         the apply stage (chunks voted on worker threads)
``vote_store``     :class:`VoteStore`: saved vote parts, reuse and resume
``stages``         the fit, write (predict + route) and report stages
``outputs``        the labels output: columns, one chunk's table, the writer
``manifest``       ``run.json``, :class:`Run` and :func:`load_run`, :func:`load_votes`
``result``         :class:`RunResult`
=================  ==================================================================================
"""

from __future__ import annotations

import logging
import time

from weaksup.config import RunConfig
from weaksup.errors import ConfigError
from weaksup.pipeline.inputs import input_identity
from weaksup.pipeline.manifest import (Run, load_run, load_votes, manifest_text, remove_stale_temporaries,
                                       run_manifest, write_manifest)
from weaksup.pipeline.outputs import LABEL_COLUMNS
from weaksup.pipeline.plan import RunPlan, select_lfs
from weaksup.pipeline.result import RunResult, Timer
from weaksup.pipeline.stages import fit_stage, report_stage, write_stage
from weaksup.pipeline.vote_store import VoteStore
from weaksup.pipeline.voting import apply_stage

logger = logging.getLogger(__name__)

#: Where :func:`run` may stop early.
STOP_AFTER = ("apply", "fit")


def run(config: RunConfig, *, resume: bool = False, fresh: bool = False, progress: bool | None = None,
        stop_after: str | None = None) -> RunResult:
    """Run the whole flow a config describes and write the run folder.

    Set-up (:class:`RunPlan`: LFs, label space, gold set, label model, output folder) and the MLflow
    store are checked before any row is read. Then the stages: apply (votes saved chunk by chunk),
    fit the label model, predict, route and write the labels, build the report (metrics on the gold
    split), log the run to MLflow (``[mlflow]``), and write ``run.json``. MLflow's process-wide
    tracking URI is left as it was.

    Parameters
    ----------
    config : RunConfig
        From :func:`weaksup.config.load_config`.
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
    """
    from weaksup.tracking import tracking_scope

    if resume and fresh:
        raise ConfigError("--resume and --fresh contradict each other; drop one")
    if stop_after is not None and stop_after not in STOP_AFTER:
        raise ConfigError(f"stop_after must be one of {list(STOP_AFTER)} or None; got {stop_after!r}")
    with tracking_scope(config.mlflow.enabled and stop_after is None):
        return _run(config, resume=resume, fresh=fresh, progress=progress, stop_after=stop_after)


def _run(config: RunConfig, *, resume: bool, fresh: bool, progress: bool | None, stop_after: str | None
         ) -> RunResult:
    """:func:`run` inside its tracking scope: set-up, then each stage timed, then ``run.json`` once."""
    from weaksup.tracking import log_run, start_run_tracking

    timer = Timer()
    started = time.perf_counter()
    plan = RunPlan.from_config(config)
    run_dir = config.output_dir
    remove_stale_temporaries(run_dir)
    files, identity = input_identity(config)
    votes_dir = run_dir / "votes"
    if resume and not (votes_dir / "index.json").exists():
        raise ConfigError(f"--resume: {votes_dir} holds no saved votes of an earlier run; run without --resume")
    store = VoteStore(votes_dir, identity, reuse=config.output.reuse_votes and not fresh)
    if resume:
        logger.warning("resuming: %d chunk(s) of votes were saved by the earlier run", store.done)
    uri = start_run_tracking(config) if stop_after is None else None
    timer.add("setup", started)

    t = time.perf_counter()
    applied = apply_stage(plan, store, progress=progress)
    timer.add("read+clean+apply", t)
    result = RunResult(config=config, run_dir=run_dir, labels_path=config.output_path, n_rows=len(applied.values),
                       n_lfs=len(plan.registry.lfs), rule_version=plan.registry.rule_version, label_model="",
                       coverage=applied.coverage, label_counts={}, status_counts={}, conflicts=0,
                       faults=applied.faults, timeouts=applied.timeouts, prep=applied.prep, chunks=applied.chunks,
                       timings=timer.seconds)
    if stop_after == "apply":
        return result

    t = time.perf_counter()
    model = fit_stage(plan, applied)
    model.save(run_dir / "label_model.json")
    timer.add("fit", t)
    result.label_model = type(model).__name__
    if stop_after == "fit":
        return result

    t = time.perf_counter()
    written = write_stage(plan, applied, model, store, progress=progress)
    timer.add("predict+route+write", t)
    result.label_counts, result.status_counts = written.label_counts, written.status_counts
    result.conflicts = written.conflicts

    report = None
    if config.output.report or plan.gold is not None:
        t = time.perf_counter()
        report = report_stage(plan, applied, model, store.key)
        if report.evaluation is not None and plan.gold is not None:
            result.metrics = {k: float(v) for k, v in report.evaluation.model.as_dict().items()}
            result.metrics.update({f"majority_vote.{k}": float(v)
                                   for k, v in report.evaluation.baseline.as_dict().items()})
            result.gold = {"task": plan.gold.task, "version": plan.gold.version, "hash": plan.gold.hash,
                           "split": config.gold.split, "counts": plan.gold.counts(),
                           "describe": plan.gold.describe()}
        if config.output.report:
            result.report_path = report.write_html(config.report_path)
        timer.add("evaluate+report", t)

    if uri is not None and report is not None:
        t = time.perf_counter()
        total = max(result.n_rows, 1)
        summary = {"rows": result.n_rows, "coverage": result.coverage,
                   "needs_review_share": result.status_counts["needs_review"] / total,
                   "reviewed_rows": result.status_counts["reviewed"], "conflict_share": result.conflicts / total}
        doc = manifest_text(run_manifest(result, plan, files))  # logged as it is before the MLflow run id
        result.mlflow_uri, result.mlflow_run_id = uri, log_run(config, report, plan.gold, summary, doc,
                                                               run_name=f"{config.task.name}-{result.rule_version}")
        timer.add("mlflow", t)
    write_manifest(run_dir / "run.json", run_manifest(result, plan, files))
    if report is not None:
        report.close()
        result.report = report
    result.timings["total"] = time.perf_counter() - started
    logger.info("run finished in %.1f s", result.timings["total"])
    return result


__all__ = ["LABEL_COLUMNS", "Run", "RunPlan", "RunResult", "VoteStore", "load_run", "load_votes", "run",
           "select_lfs"]
