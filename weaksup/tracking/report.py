"""Log a label-quality report to MLflow (:func:`log_report`): params, metrics, tables, figures, the HTML report
and the gold set as an evaluation dataset (see :mod:`weaksup.tracking`)."""

from __future__ import annotations

import json

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from weaksup.errors import TrackingError
from weaksup.tracking import bounded_requests, check_tracking
from weaksup.tracking.datasets import quiet_schema_hints

if TYPE_CHECKING:
    from weaksup.gold import GoldSet
    from weaksup.report import QualityReport

logger = logging.getLogger(__name__)


def mlflow_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame MLflow's ``log_table`` stores: index as a column, lists as strings."""
    out = frame.reset_index()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = out[col].map(str)
        if pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object)  # MLflow selects text columns as "object"
    return out


def log_report(
    report: QualityReport,
    *,
    gold: GoldSet | None = None,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    strict: bool = False,
) -> str | None:
    """Log ``report`` to MLflow as one run (the active one, or a new one); return the run id.

    Parameters
    ----------
    report : QualityReport
        From :func:`weaksup.report.build_report`.
    gold : GoldSet, optional
        Also logged as the run's evaluation dataset, with its content hash as the digest.
    run_name : str, optional
        The new run's name (ignored when a run is active).
    tags : mapping, optional
        Extra run tags.
    strict : bool
        When False (default), a store that is unreachable or fails gives a logged warning and
        ``None`` (the labeling's own outputs are not affected); when True, a :class:`TrackingError`.
    """
    try:
        import mlflow
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("MLflow logging needs mlflow: pip install 'weaksup[mlflow]'") from exc
    import weaksup

    uri = mlflow.get_tracking_uri()
    try:
        check_tracking(uri)
    except TrackingError as exc:
        if strict:
            raise
        logger.warning("the run was NOT logged to MLflow: %s", exc)
        return None
    all_tags = {"weaksup.version": weaksup.__version__, "weaksup.stage": "evaluate",
                "weaksup.rule_version": report.params.get("rule_version", ""), **dict(tags or {})}
    if "gold_hash" in report.params:
        all_tags["weaksup.gold_hash"] = report.params["gold_hash"]
    active = mlflow.active_run()
    try:
        with bounded_requests():
            run = active or mlflow.start_run(run_name=run_name)
            try:
                _log_contents(mlflow, report, gold, all_tags)
            finally:
                if active is None:
                    mlflow.end_run()
    except Exception as exc:  # MLflow raises MlflowException, requests and OS errors alike
        if strict:
            raise TrackingError(f"logging the run to MLflow at {uri} failed: {exc}") from exc
        logger.warning("the run was NOT logged to MLflow at %s: %s", uri, exc)
        return None
    logger.info("logged MLflow run %s to %s", run.info.run_id, uri)
    return str(run.info.run_id)


def _log_contents(mlflow: Any, report: QualityReport, gold: GoldSet | None, tags: Mapping[str, str]) -> None:
    mlflow.set_tags(dict(tags))
    mlflow.log_params(report.params)
    mlflow.log_metrics(report.metrics())  # one batch, not one request per metric
    with quiet_schema_hints():
        mlflow.log_table(mlflow_table(report.summary), artifact_file="lf_summary.json")
        table = report.metrics_table()
        if table is not None:
            mlflow.log_table(mlflow_table(table.rename_axis("metric")), artifact_file="metrics.json")
    mlflow.log_dict({"lfs": report.manifest, "rule_version": report.params.get("rule_version", "")},
                    "lf_manifest.json")
    for name, fig in report.build_figures().items():
        mlflow.log_figure(fig, f"figures/{name}.png")
    mlflow.log_text(report.to_html(), "report.html")
    if gold is not None:
        from mlflow.data.sources import LocalArtifactDatasetSource  # type: ignore[attr-defined]

        source = LocalArtifactDatasetSource(str(gold.path.resolve() if gold.path else gold.task))
        frame = gold.frame.drop(columns=["_file", "_line"], errors="ignore")
        if "spans" in frame:  # a span gold set: its char-offset spans as JSON text
            frame = frame.assign(spans=[json.dumps([list(x) for x in v]) for v in frame["spans"]])
        target = next(c for c in ("labels", "spans", "label") if c in frame)
        with quiet_schema_hints():  # a multi-label gold set's targets are its `labels` column
            dataset = mlflow.data.from_pandas(frame, source=source, targets=target,
                                              name=f"gold:{gold.task}@v{gold.version}", digest=gold.hash)
        mlflow.log_input(dataset, context="evaluation")
