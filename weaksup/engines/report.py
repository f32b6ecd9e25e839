"""The label-quality report of an engine run, built by the streaming run's own report stage
(:func:`weaksup.pipeline.stages.report_stage`) on rows drawn from the pattern counts: every gold row with its
votes, plus the other rows (all of them when they fit in ``output.report_rows``, else a seeded stratified sample
of that many; LF statistics are then estimates, the gold metrics stay exact). The driver never reads the input
for it: the LF error examples carry no text on an engine run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.config import RunConfig
from weaksup.engines.stats import merge_pattern_counts, pattern_counts
from weaksup.models.sampling import stratified_sample

if TYPE_CHECKING:
    from weaksup.engines.batch import BatchSpec
    from weaksup.engines.references import WrittenGold
    from weaksup.engines.tallies import LabelTallies
    from weaksup.models.base import BaseLabelModel
    from weaksup.references import GoldReferences


def report_rows(config: RunConfig, spec: BatchSpec, counts: pd.DataFrame, gold_votes: pd.DataFrame
                ) -> tuple[np.ndarray, dict[str, int]]:
    """The votes the report is built on: the gold rows first (their positions by id), then the other rows."""
    lf_ids = list(spec.lf_ids)
    gold_values = gold_votes[lf_ids].to_numpy(dtype=np.int8)
    rest = counts.copy()
    if len(gold_votes):
        minus = pattern_counts(gold_votes, lf_ids)
        minus["count"] = -minus["count"]
        rest = merge_pattern_counts([counts, minus])
        rest = rest[rest["count"] > 0]
    patterns, weights = rest[lf_ids].to_numpy(dtype=np.int8), rest["count"].to_numpy(dtype=np.int64)
    room = max(config.output.report_rows - len(gold_values), 0) if config.output.report_rows else int(weights.sum())
    if weights.sum() > room:
        patterns, weights = stratified_sample(patterns, weights, room, config.label_model.seed)
    values = np.concatenate([gold_values, np.repeat(patterns, weights, axis=0)]).astype(np.int8)
    positions = {str(i): p for p, i in enumerate(gold_votes[spec.id_column].astype(str))}
    return values, positions


def engine_report(config: RunConfig, spec: BatchSpec, model: BaseLabelModel, counts: pd.DataFrame,
                  gold_votes: pd.DataFrame, html: Path | None, references: GoldReferences | None = None, *,
                  written: tuple[LabelTallies, WrittenGold | None] | None = None,
                  end_model: dict[str, Any] | None = None) -> tuple[Any, dict[str, float]]:
    """The report (written to ``html`` when given) and the task's report metrics (the label model and majority
    vote on the gold split, as the streaming run records them). The ``references`` on the gold test rows
    (:func:`weaksup.engines.references.final_references`), the labels ``written`` (their tallies and the gold test
    rows' written labels, :mod:`weaksup.engines.tallies`) and what the ``end_model`` did (its ``run.json`` info) are
    shown as the streaming run's report shows them, by the same code (:func:`weaksup.pipeline.stages.report_stage`,
    :mod:`weaksup.report.html`): the references and written-labels sections, and the run's settings."""
    from weaksup.pipeline.plan import RunPlan
    from weaksup.pipeline.stages import report_stage, run_settings
    from weaksup.pipeline.voting import AppliedVotes

    values, positions = report_rows(config, spec, counts, gold_votes)
    no_text = dataclasses.replace(config, input=dataclasses.replace(config.input, text_column=""))
    plan = dataclasses.replace(RunPlan.from_config(config), config=no_text)
    applied = AppliedVotes(values, positions, {}, {}, {}, {})
    labels = None if written is None else written[0].written(written[1], positions, len(spec.label_names))
    report = report_stage(plan, applied, model, "engine", references=references, written=labels, end_model=end_model)
    # the run's settings (the report read no text for its error examples; the run cleaned and read it)
    report.params.update(run_settings(config, (end_model or {}).get("skipped")))
    report.params["n_rows"] = str(int(counts["count"].sum()))
    metrics = plan.task.report_metrics(report) if plan.gold is not None else {}
    if html is not None:
        report.write_html(html)
    return report, metrics


def log_engine_run(config: RunConfig, report: Any, gold: Any, summary: dict[str, float], manifest: dict[str, Any],
                   rule_version: str, references: GoldReferences | None = None) -> tuple[str | None, str | None]:
    """Log the engine run to MLflow as the streaming run does (:func:`weaksup.tracking.log_run`: the config, the
    ``summary`` metrics, the manifest, the report, and the ``references`` on the gold test rows: their
    ``references.txt`` and metrics, ``reference/*``, ``final/gain_over_supervised``, ...); returns the tracking URI
    and the MLflow run id (None, None when tracking is off or the store does not answer: a warning says so)."""
    import json

    from weaksup.tracking import log_run, run_name, start_run_tracking, tracking_scope

    with tracking_scope(config.mlflow.enabled):
        uri = start_run_tracking(config)
        if uri is None:
            return None, None
        name = run_name(config.task.name, rule_version, None if gold is None else gold.version)
        run_id = log_run(config, report, gold, summary, json.dumps(manifest, indent=2, default=str), run_name=name,
                         references=references)
        return uri, run_id
