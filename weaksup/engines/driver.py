"""The driver of an engine run (:func:`run_engine`): input parts -> pattern counts (map/reduce on the engine) ->
label model fitted on the counts -> labels written by the engine into a staging folder -> commit (a versioned
run with ``latest``) -> gold metrics (the label model's from the report, the final labels' by a join on the gold rows
and the references beside them, :mod:`weaksup.engines.references`; named as in :mod:`weaksup.engines.summary`) -> the
summary.

The driver never holds a vote matrix: only the distinct vote patterns with their counts and the gold rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.config import RunConfig
from weaksup.engines.batch import BatchSpec, InputPart, list_input_parts
from weaksup.engines.cache import VoteCache
from weaksup.engines.commit import StagedRun
from weaksup.engines.config import EngineConfig, check_engine_config
from weaksup.engines.parts import vote_dir
from weaksup.engines.predict import PredictionTable
from weaksup.engines.stats import DevGold, fit_on_counts, new_label_model
from weaksup.engines.summary import FINAL_SPLIT, EngineResult, Phases, final_metrics, gold_classes
from weaksup.engines.tallies import pattern_tallies, watched_labels, written_tallies
from weaksup.errors import ConfigError, DataError
from weaksup.tracking import tracking_off_note

if TYPE_CHECKING:
    from weaksup.engines import Engine

logger = logging.getLogger(__name__)


def engine_settings(config: RunConfig, name: str | None = None) -> EngineConfig:
    """``[engine]`` with ``--engine name`` applied, checked."""
    engine = config.engine or EngineConfig()
    if name is not None:
        engine = dataclasses.replace(engine, name=name)
    check_engine_config(engine, config.source)
    return engine


def check_supported(config: RunConfig) -> None:
    """What engines do not run yet, refused before any work (each with the fix)."""
    if config.end_model.enabled and config.label_model.tie_break != "abstain":
        raise ConfigError(f"{config.source}: end_model with label_model.tie_break = "
                          f"{config.label_model.tie_break!r}: the streaming run seeds its ties per chunk, an engine "
                          "cannot give the same labels; use tie_break = \"abstain\" or drop --engine")
    if config.output_path.suffix.lower() != ".parquet":
        raise ConfigError(f"{config.source}: output.path = {config.output.path!r}: an engine writes its labels as "
                          "Parquet parts (runs/<task>/<run id>/labels/); set output.path to a .parquet path, or drop "
                          "--engine for one labels file in another format")


def check_budgets(spec: BatchSpec, engine: str) -> None:
    """A prompted LF's budget (``max_calls``, ``max_tokens`` of its ChatClient) is counted in one process: on Dask
    or Spark each worker process would count its own, and the run could spend a multiple of it, so it is refused
    there (the local engine and the streaming run keep it)."""
    if engine not in ("dask", "spark"):
        return
    capped = [lf.name for lf in spec.lfs() if getattr(getattr(lf, "client", None), "max_calls", None) is not None
              or getattr(getattr(lf, "client", None), "max_tokens", None) is not None]
    if capped:
        raise ConfigError(f"{spec.config.source}: prompted LF(s) {capped} have a budget (max_calls/max_tokens), "
                          f"which each {engine} worker process would count on its own; run them with --engine local "
                          "or without --engine (the budget then holds), or drop the cap")


def run_fingerprint(spec: BatchSpec, parts: list[InputPart], gold_hash: str | None = None) -> str:
    """The run id: a hash of the config (without the ``[engine]`` settings that leave the labels as they are),
    the LFs, the parts and the gold set's content (a rerun of the same inputs resumes the same staging folder; a
    new part, a changed LF, a new gold version or another ``engine.max_patterns`` is a new run, so that no run
    mixes parts labeled by two label models)."""
    doc = {k: v for k, v in spec.config.to_dict().items() if k != "engine"}
    engine = spec.config.engine
    labels_from = {"max_patterns": engine.max_patterns if engine is not None else None, "gold_hash": gold_hash}
    text = json.dumps([doc, spec.lf_ids, [p.key for p in parts], labels_from], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_engine(config: RunConfig, *, engine: Engine | str | None = None, fresh: bool = False) -> EngineResult:
    """Run the config on an engine and commit a versioned run ``<output folder>/runs/<task>/<run id>/``.

    Parameters
    ----------
    config : RunConfig
    engine : Engine or str, optional
        An engine object, or its name (default: ``[engine] name``, else ``local``).
    fresh : bool
        Drop a staging folder left by an earlier attempt of this run (no partition-level resume).

    Returns
    -------
    EngineResult

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"example": "youtube_spam"},
    ...     "lfs": {"modules": ["m"]}, "end_model": {"enabled": False}, "output": {"path": "out/labels.parquet"}})
    >>> run_engine(config)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <dict>: input.example = 'youtube_spam': engines read Parquet parts; ...
    """
    from weaksup.pipeline.folder import FolderLock

    started = time.perf_counter()  # (the run's timings start here: the checks and the lock's wait are its setup)
    engine_settings(config, engine if isinstance(engine, str) else None)
    check_supported(config)
    parts = list_input_parts(config)
    check_has_rows(config, parts)  # (Parquet input, some rows) before anything is written
    check_input_columns(config, parts)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    with FolderLock(config.output_dir):  # one run at a time in an output folder (as the streaming run)
        return run_locked(config, engine=engine, fresh=fresh, started=started)


def check_has_rows(config: RunConfig, parts: list[InputPart]) -> None:
    """An input whose parts hold no rows is an error, as in the streaming run (not a committed 0-row run).

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "parts"},
    ...     "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.parquet"}})
    >>> check_has_rows(config, [InputPart(0, "parts/a.parquet", "k", 0)])
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: input parts has no rows; nothing to label
    """
    if sum(p.rows for p in parts) == 0:
        raise DataError(f"input {config.input.example or config.input.path} has no rows; nothing to label")


def check_input_columns(config: RunConfig, parts: list[InputPart]) -> None:
    """``[end_model] exclude_columns`` names columns of the input (its first part's schema), checked before any
    work as the streaming run checks it (:func:`weaksup.pipeline.end_columns.check_exclude_columns`)."""
    if config.end_model.exclude_columns and parts:
        from weaksup.data.files import file_columns
        from weaksup.pipeline.end_columns import check_exclude_columns

        check_exclude_columns(config, file_columns(Path(parts[0].path)))


def run_locked(config: RunConfig, *, engine: Engine | str | None = None, fresh: bool = False,
               started: float | None = None) -> EngineResult:
    """:func:`run_engine` holding the lock on the output folder; its timings (``EngineResult.timings``: the phases
    of :data:`weaksup.engines.summary.PHASES` it went through) start at ``started`` (``time.perf_counter()``,
    default: now) and add up to their ``total``."""
    from weaksup.engines import get_engine
    from weaksup.pipeline.paths import check_run_paths
    from weaksup.pipeline.plan import load_run_gold
    from weaksup.tasks import task_type

    phases = Phases(started)
    settings = engine_settings(config, engine if isinstance(engine, str) else None)
    check_supported(config)
    parts = list_input_parts(config, settings.partitions)
    spec = BatchSpec.from_config(config)
    check_run_paths(config)
    task = task_type(config.task.type)
    space = spec.label_space()
    gold = load_run_gold(config, task, space)  # ([gold] version: the pinned one, as weaksup run reads it)
    gold_ids = frozenset(gold.frame["row_id"].astype(str)) if gold is not None else frozenset()
    runner: Engine = get_engine(settings.name, settings) if engine is None or isinstance(engine, str) else engine
    check_budgets(spec, runner.name)
    votes_at = vote_dir(spec)
    cache = VoteCache.of(spec, votes_at)
    if fresh:
        import shutil

        shutil.rmtree(cache.root, ignore_errors=True)
    todo = [cache.missing(p, spec.lf_ids, spec.uncacheable, fault_tolerant=config.lfs.fault_tolerant) for p in parts]
    computed = sum(len(x) for x in todo)
    phases.lap("setup")
    start = getattr(runner, "start", None)  # (Dask and Spark: the cluster or session, timed on its own)
    try:
        if start is not None:
            start()
            phases.lap("engine start")
        counts, gold_votes = runner.vote_counts(spec, parts, votes_at, gold_ids)
        check_ids_across_parts(spec, parts, votes_at)
        phases.lap("read+clean+apply+count")
        dev = dev_gold(config, spec, gold, gold_votes, parts)
        fit = fit_on_counts(spec, config, counts, dev)
        reviewed = {} if dev is None or gold is None else dict(zip(task.gold_targets(gold, "dev", space)[0],
                                                                  dev.targets.tolist()))
        table = PredictionTable.of(spec, fit.model, reviewed)
        end_info: dict[str, Any] = {"enabled": False}
        phases.lap("fit")
        if config.end_model.enabled:  # (the text's end model, or the rows' columns' without a text column)
            from weaksup.engines.endmodel import fit_end_model, part_starts

            template = new_label_model(spec, config, dev is not None)
            labeler, end_info = fit_end_model(config, spec, parts, votes_at, template, reviewed)
            table = dataclasses.replace(table, labeler=labeler, starts=part_starts(parts))
            phases.lap("end model fit")
        staged = StagedRun(config.output_dir, run_fingerprint(spec, parts, getattr(gold, "hash", None)),
                           task=config.task.name)
        if fresh:  # (the votes were recomputed too: the cache was dropped before voting)
            staged.abandon()
            staged = StagedRun(config.output_dir, staged.run_id, task=config.task.name)
        runner.write_labels(spec, table, parts, staged)
        task.save_model(fit.model, staged.path / "label_model.json")
        phases.lap("predict+route+write" if table.labeler is None else "end model predict+route+write")
    finally:
        runner.close()
    if start is not None:
        phases.lap("engine close")
    if table.labeler is None:  # labels follow the vote patterns: counted from the patterns
        dev_rows = gold_votes[gold_votes[spec.id_column].astype(str).isin(set(reviewed))] if reviewed else None
        tallies = pattern_tallies(table, counts, dev_rows)
    else:  # the end model labels from the text or the columns: counted in the written parts
        tallies = written_tallies(staged)
    label_counts, status_counts = tallies.labels, tallies.statuses
    watched = watched_labels(config, spec, gold, staged)  # the gold test rows' written labels, read once
    metrics: dict[str, float] = {}
    split, outcome = final_split(config, gold), None
    if split is not None:  # the final (written) labels' final/<metric> and the references, where the plain run has them
        from weaksup.engines.references import final_references

        from weaksup.final.references import end_model_off_note

        outcome = final_references(spec, gold, staged, split, table, parts=parts, gold_votes=gold_votes, counts=counts,
                                   off_note=end_model_off_note(end_info), written=watched)
    references = None if outcome is None else outcome.references
    report = None
    if config.output.report or config.mlflow.enabled or gold is not None:  # (the gold metrics: as in the plain run)
        from weaksup.engines.report import engine_report

        html = staged.path / "report.html" if config.output.report else None  # (with the references section)
        report, model_metrics = engine_report(config, spec, fit.model, counts, gold_votes, html, references,
                                              written=(tallies, watched), end_model=end_info)
        metrics.update(model_metrics)  # the label model's and majority vote's, by the plain run's names
    if outcome is not None:
        metrics.update(outcome.metrics)
    info = {"engine": runner.name, "lf_ids": list(spec.lf_ids), "rule_version": spec.rule_version,
            "label_model": type(fit.model).__name__, "patterns": fit.patterns, "fit_note": fit.note,
            "metrics": metrics, "config": {k: v for k, v in config.to_dict().items()},
            "input_parts": [{"path": p.path, "key": p.key, "rows": p.rows} for p in parts], "end_model": end_info}
    run_dir = staged.commit(parts, info)
    phases.lap("evaluate+report+commit")
    mlflow_run = None
    if report is not None:
        try:
            if config.mlflow.enabled:
                from weaksup.engines.report import log_engine_run

                total = max(int(counts["count"].sum()), 1)
                summary = {"rows": float(total), "needs_review_share": status_counts.get("needs_review", 0) / total,
                           "reviewed_rows": float(status_counts.get("reviewed", 0)),
                           **final_metrics(metrics)}
                mlflow_run = log_engine_run(config, report, gold, summary, json.loads(
                    (run_dir / "manifest.json").read_text(encoding="utf-8")), spec.rule_version, references)[1]
        finally:
            report.close()
        phases.lap("mlflow" if config.mlflow.enabled else "evaluate+report+commit")
    timings = phases.done()
    result = EngineResult(runner.name, staged.run_id, run_dir, int(counts["count"].sum()), len(parts),
                          sum(1 for x in todo if len(x) == len(spec.lf_ids)), computed,
                          len(parts) * len(spec.lf_ids) - computed, fit.patterns, type(fit.model).__name__, fit.note,
                          label_counts, status_counts, metrics, timings, config.gold.split, mlflow_run,
                          dict(runner.faults), references, "" if outcome is None else outcome.note,
                          gold_classes(report), mlflow_note=tracking_off_note(config))
    logger.info("engine run finished:\n%s", result.summary())
    return result


#: Ids are checked unique across parts up to this many rows (8 bytes a row on the driver); beyond, within parts only.
ID_CHECK_ROWS = 20_000_000


def check_ids_across_parts(spec: BatchSpec, parts: list[InputPart], votes_at: Path) -> None:
    """Row ids are unique across parts (within a part the part's step checks them), with the streaming run's check
    (:func:`weaksup.pipeline.inputs.check_unique_ids`: the error names both files, the rows and the id)."""
    import pyarrow as pa

    from weaksup.engines.batch import read_part
    from weaksup.engines.parts import id_hashes
    from weaksup.pipeline.inputs import check_unique_ids

    total = sum(p.rows for p in parts)
    if len(parts) < 2:
        return
    if total > ID_CHECK_ROWS:
        logger.info("ids are checked unique within each part; across parts only up to %d rows", ID_CHECK_ROWS)
        return

    def ids_of(i: int) -> pa.Array:
        return pa.array(read_part(parts[i], [spec.id_column], strings=[spec.id_column])[spec.id_column])

    hashes = np.concatenate([id_hashes(spec, p, votes_at) for p in parts])
    check_unique_ids(spec.config, hashes, [p.rows for p in parts], ids_of)


def dev_gold(config: RunConfig, spec: BatchSpec, gold: Any, gold_votes: pd.DataFrame,
             parts: list[InputPart]) -> DevGold | None:
    """The dev gold rows' votes (joined on the row id) and class ids; a gold id absent from the input is a
    :class:`~weaksup.errors.GoldSetError` (as in the streaming run: the first part's ids tell gold ids that lost
    their leading zeros)."""
    if gold is None:
        return None
    from weaksup.tasks import task_type

    found = set(gold_votes[spec.id_column].astype(str)) if len(gold_votes) else set()
    absent = sorted(set(gold.frame["row_id"].astype(str)) - found)
    if absent:
        from weaksup.engines.batch import read_part
        from weaksup.gold.origins import absent_ids_error

        some = read_part(parts[0], [spec.id_column], strings=[spec.id_column])[spec.id_column].head(10_000) \
            if parts else pd.Series([], dtype=object)
        raise absent_ids_error(gold, absent, str(config.input.path), some.astype(str).tolist())
    if "dev" not in gold.counts():
        return None
    ids, targets = task_type(config.task.type).gold_targets(gold, "dev", spec.label_space())
    by_id = gold_votes.set_index(gold_votes[spec.id_column].astype(str))
    votes = by_id.loc[ids, list(spec.lf_ids)].to_numpy(dtype=np.int8)
    return DevGold(votes, np.asarray(targets, dtype=np.int64))


def final_split(config: RunConfig, gold: Any) -> str | None:
    """The gold split the final (written) labels are measured on as ``final/<metric>``, or None where the plain run
    writes no ``final/*``: it measures its final labels on the gold test rows beside its references
    (:func:`weaksup.pipeline.end_stage.class_references`), which need a gold set with dev and test rows, the end
    model on or off (without a text column the references read the rows' columns).

    Examples
    --------
    >>> from weaksup.gold import GoldSet
    >>> from weaksup.labels import LabelSpace
    >>> rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"],
    ...                      "annotator": ["x", "x"]})
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "parts", "text_column": "text"},
    ...     "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.parquet"}})
    >>> final_split(config, GoldSet("t", 1, LabelSpace(["ham", "spam"]), rows, "0"))
    'test'
    >>> final_split(config, GoldSet("t", 1, LabelSpace(["ham", "spam"]), rows[rows["split"] == "test"], "0")) is None
    True
    """
    if gold is None:
        return None
    counts = gold.counts()
    return FINAL_SPLIT if counts.get(FINAL_SPLIT) and counts.get("dev") else None

