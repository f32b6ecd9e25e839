"""Log a label-quality report to MLflow: one run with params, metrics, tables, figures and the HTML report.

This is the only module that imports MLflow. The library never sets the tracking URI or the
experiment for good: :func:`log_report` logs wherever MLflow is pointed (``MLFLOW_TRACKING_URI``,
``mlflow.set_tracking_uri``, ``MLFLOW_EXPERIMENT_NAME``), into the active run if there is one and
into a new run otherwise. A run (:func:`weaksup.pipeline.run`) points MLflow at its configured store
(:func:`start_run_tracking`, default :func:`default_tracking_uri`) inside :func:`tracking_scope`,
which puts the process-wide URI back afterwards, and logs itself with :func:`log_run`.

What one run holds (see :func:`log_report`):

- params: ``lf.<name>`` = LF version for every LF, ``rule_version``, label-model name and settings,
  ``gold_hash``/``gold_task``/``gold_version``, ``data_hash``, row and gold counts, splits;
- metrics (one batch): ``coverage``, ``overlap``, ``conflict``, ``abstain_rate``, ``mean_votes``, a run's
  references on the gold test rows (``final/<metric>``, ``reference/<name>/<metric>``: :func:`log_run`),
  ``lf/<name>/coverage|conflicts|emp_acc``, ``<split>/label_model/<metric>`` and
  ``<split>/majority_vote/<metric>`` (accuracy, accuracy_voted, accuracy_no_votes, labelled, macro P/R/F1, Brier,
  ECE, per-class P/R/F1);
- artifacts: ``lf_summary.json`` and ``metrics.json`` (MLflow tables), ``lf_manifest.json``,
  ``figures/*.png``, ``report.html``; the gold set as an evaluation dataset input with its hash as digest;
- tags: ``weaksup.version``, ``weaksup.stage``, ``weaksup.rule_version``, ``weaksup.gold_hash``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd

from weaksup.errors import TrackingError

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.gold import GoldSet
    from weaksup.references import References
    from weaksup.report import QualityReport

logger = logging.getLogger(__name__)

#: Seconds to wait for an MLflow server's ``/health`` before calling it unreachable.
PING_TIMEOUT = 5.0
#: While :func:`log_report` logs: seconds an MLflow request may wait for an answer, and its retries
#: (MLflow's own defaults, 120 s and 7 retries with backoff, let a server that answers ``/health`` but
#: hangs on the API stall the run for many minutes). ``MLFLOW_HTTP_REQUEST_TIMEOUT`` and
#: ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, when set, win.
REQUEST_TIMEOUT = 10.0
REQUEST_RETRIES = 1


def local_store_uri(folder: str | os.PathLike[str] | None = None) -> str:
    """The SQLite store ``<folder>/mlflow.db`` (folder: the current one) as an absolute tracking URI.

    This is MLflow's own default since 3.7, made explicit, so ``mlflow ui`` run in the same folder
    shows the runs (artifacts go to ``<folder>/mlruns``).

    Examples
    --------
    >>> local_store_uri("/srv/project")
    'sqlite:////srv/project/mlflow.db'
    """
    folder = Path(folder) if folder is not None else Path.cwd()
    return f"sqlite:///{(folder / 'mlflow.db').resolve()}"


def default_tracking_uri(folder: str | os.PathLike[str] | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else :func:`local_store_uri`.

    Only applications (the ``weaksup`` command) call ``mlflow.set_tracking_uri`` with it; the
    library never does.
    """
    return os.environ.get("MLFLOW_TRACKING_URI") or local_store_uri(folder)


def start_tracking(
    experiment: str,
    *,
    uri: str | None = None,
    require: bool = False,
    require_option: str = "--require-tracking",
    warn: Callable[[str], None] | None = None,
) -> str | None:
    """For applications (the ``weaksup`` command, a run): point MLflow at ``uri`` (default
    :func:`default_tracking_uri`), check that it answers, and select ``experiment``, before any work.

    Returns the URI, or None when nothing will be logged (MLflow missing or the store unreachable):
    then ``warn`` is told why, unless ``require`` makes it a :class:`TrackingError` naming
    ``require_option``.
    """
    warn = warn or logger.warning
    try:
        import mlflow
    except ImportError as exc:
        message = f"MLflow is not installed ({exc}); pip install 'weaksup[mlflow]'"
        if require:
            raise TrackingError(message) from None
        warn(f"{message}; this run will NOT be logged to MLflow")
        return None
    uri = uri or default_tracking_uri()
    if uri != os.environ.get("MLFLOW_TRACKING_URI"):  # MLflow reads the variable itself when it is set
        mlflow.set_tracking_uri(uri)
    try:
        check_tracking(uri)
        mlflow.set_experiment(experiment)
    except Exception as exc:  # TrackingError, or MLflow failing to open the store
        if require:
            raise TrackingError(f"{exc} (nothing was run: {require_option})") from None
        warn(f"{exc}; this run will NOT be logged to MLflow; its outputs are still written "
             f"({require_option} makes this an error)")
        return None
    return uri


@contextlib.contextmanager
def tracking_scope(enabled: bool = True) -> Iterator[None]:
    """Leave MLflow's process-wide tracking URI (and ``MLFLOW_TRACKING_URI``) and its loggers' levels as they
    were before the block.

    Uses only MLflow's public API (``get_tracking_uri``/``set_tracking_uri``). When ``enabled`` is
    False, MLflow is not touched (nor imported: that alone takes seconds).

    Examples
    --------
    >>> with tracking_scope(enabled=False):
    ...     pass
    """
    if not enabled:
        yield
        return
    env = os.environ.get("MLFLOW_TRACKING_URI")
    try:
        import mlflow
    except ImportError:  # no MLflow: nothing to restore
        yield
        return
    # MLflow and alembic chat at INFO on a new database: quiet them for the block (unless the root logger asks
    # for INFO), and give them back their own levels after it.
    chatty = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [log.level for log in chatty]
    if logging.getLogger().level > logging.INFO:
        for log in chatty:
            log.setLevel(logging.WARNING)
    previous = mlflow.get_tracking_uri()
    # MLflow's set_tracking_uri also sets MLFLOW_TRACKING_URI, so only a URI that differs from the variable
    # was pinned in this process; otherwise it came from the variable or MLflow's default, and is unset
    # again (None), not pinned, so that later changes of the variable still count.
    pinned = previous if env is not None and previous != env else None
    try:
        yield
    finally:
        for log, level in zip(chatty, levels, strict=True):
            log.setLevel(level)
        mlflow.set_tracking_uri(pinned)  # type: ignore[arg-type]  # (None unsets it)
        if env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = env


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


def log_run(config: RunConfig, report: QualityReport, gold: GoldSet | None, summary: Mapping[str, float],
            manifest: str, *, run_name: str, references: References | None = None) -> str | None:
    """Log a run as one MLflow run: its config (``config.<section>.<key>`` params), ``summary`` metrics,
    the ``references`` on the gold test rows (:meth:`References.as_metrics`: ``final/accuracy``,
    ``final/accuracy_no_votes``, ``final/ece``, ``reference/supervised_on_dev/accuracy``, ...), its
    ``run.json`` text (``manifest``) and the report (:func:`log_report`). Returns the run id.

    The labels are written by then, so a failure is a warning and None (a :class:`TrackingError` with
    ``mlflow.require``).
    """
    import mlflow

    try:
        with mlflow.start_run(run_name=run_name) as active:
            mlflow.log_params({f"config.{k}": str(v)[:500] for k, v in flatten(config.to_dict()).items()})
            metrics = {k: float(v) for k, v in summary.items()}
            if references is not None:  # (those the report carries are logged with it, once)
                logged = report.metrics()
                metrics.update({k: float(v) for k, v in references.as_metrics().items()
                                if math.isfinite(v) and k not in logged})
            mlflow.log_metrics(metrics)
            if references is not None:
                mlflow.log_text(references.text(), "references.txt")
            mlflow.log_text(manifest, "run.json")
            run_id = log_report(report, gold=gold, tags={"weaksup.stage": "run", "weaksup.task": config.task.name})
            return run_id or active.info.run_id
    except Exception as exc:  # the labels are written; tracking must not fail the run
        if config.mlflow.require:
            raise TrackingError(f"logging the run to MLflow failed: {exc}") from exc
        logger.warning("the run was NOT logged to MLflow: %s", exc)
        return None


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as one level of dotted keys.

    Examples
    --------
    >>> flatten({"task": {"name": "spam", "labels": []}, "seed": 0})
    {'task.name': 'spam', 'task.labels': [], 'seed': 0}
    """
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_tracking(uri: str | None = None, timeout: float = PING_TIMEOUT) -> str:
    """Check that the tracking store answers, quickly; return its URI or raise :class:`TrackingError`.

    An HTTP(S) server must answer ``GET /health`` within ``timeout`` seconds (no retries: MLflow's
    own client would retry for minutes). A SQLite or file store needs a writable folder. Other
    schemes (``databricks``, ...) are not checked.
    """
    if uri is None:
        import mlflow

        uri = mlflow.get_tracking_uri()
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the user's own server
                if response.status != 200:
                    raise TrackingError(f"MLflow server {uri} answered {response.status} on /health")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TrackingError(
                f"MLflow tracking server {uri} is unreachable ({reason}); start it (mlflow server --host "
                f"{parsed.hostname} --port {parsed.port or 80}), or point MLFLOW_TRACKING_URI at a running one"
            ) from None
    elif parsed.scheme == "sqlite":
        folder = Path(uri.split("://", 1)[1].removeprefix("/")).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise TrackingError(f"MLflow store {uri}: folder {str(folder)!r} is missing or not writable; "
                                "create it, or set MLFLOW_TRACKING_URI to a writable location")
    elif parsed.scheme in ("file", ""):
        folder = Path(parsed.path or uri)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            raise TrackingError(f"MLflow store {uri}: folder {str(folder)!r} is not writable; "
                                "set MLFLOW_TRACKING_URI to a writable location")
    return uri


def _table(frame: pd.DataFrame) -> pd.DataFrame:
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
        with _bounded_requests():
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


@contextlib.contextmanager
def _bounded_requests() -> Iterator[None]:
    """MLflow's HTTP timeout and retries bounded by :data:`REQUEST_TIMEOUT` and :data:`REQUEST_RETRIES`
    (unless the user set them), for the duration of the block."""
    wanted = {"MLFLOW_HTTP_REQUEST_TIMEOUT": f"{REQUEST_TIMEOUT:g}", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(REQUEST_RETRIES)}
    added = [key for key in wanted if key not in os.environ]
    os.environ.update({key: wanted[key] for key in added})
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def _log_contents(mlflow: Any, report: QualityReport, gold: GoldSet | None, tags: Mapping[str, str]) -> None:
    mlflow.set_tags(dict(tags))
    mlflow.log_params(report.params)
    mlflow.log_metrics(report.metrics())  # one batch, not one request per metric
    mlflow.log_table(_table(report.summary), artifact_file="lf_summary.json")
    table = report.metrics_table()
    if table is not None:
        mlflow.log_table(_table(table.rename_axis("metric")), artifact_file="metrics.json")
    mlflow.log_dict({"lfs": report.manifest, "rule_version": report.params.get("rule_version", "")},
                    "lf_manifest.json")
    for name, fig in report.build_figures().items():
        mlflow.log_figure(fig, f"figures/{name}.png")
    mlflow.log_text(report.to_html(), "report.html")
    if gold is not None:
        from mlflow.data.sources import LocalArtifactDatasetSource  # type: ignore[attr-defined]

        source = LocalArtifactDatasetSource(str(gold.path.resolve() if gold.path else gold.task))
        dataset = mlflow.data.from_pandas(gold.frame.drop(columns=["_file", "_line"]), source=source,
                                          targets="label", name=f"gold:{gold.task}@v{gold.version}", digest=gold.hash)
        mlflow.log_input(dataset, context="evaluation")
