"""MLflow tracking: where runs go, and what a run logs (the only package that imports MLflow).

The library never sets the tracking URI or the experiment for good: :func:`log_report` logs wherever
MLflow is pointed (``MLFLOW_TRACKING_URI``, ``mlflow.set_tracking_uri``, ``MLFLOW_EXPERIMENT_NAME``), into
the active run if there is one and into a new run otherwise. A run (:func:`weaksup.pipeline.run`) points
MLflow at its configured store (:func:`start_run_tracking`, default :func:`default_tracking_uri`) inside
:func:`tracking_scope`, which puts the process-wide URI back afterwards, and logs itself with :func:`log_run`.
An experiment weaksup creates in a SQLite store keeps its artifacts beside the database
(``<folder>/mlruns/<experiment>``), wherever the process runs (:func:`use_experiment`).

What one run holds (:func:`log_report`, :func:`log_run`):

- name ``<task>-<rule_version>-gold<version>`` (:func:`run_name`; ``-report``/``-demo`` added for the runs of
  ``weaksup report``/``demo``), description (``mlflow.note.content``) = the run summary (:func:`run_description`);
- params: ``lf.<name>`` = LF version for every LF, ``rule_version``, label-model name and settings,
  ``gold_hash``/``gold_task``/``gold_version``, ``data_hash``, row and gold counts, splits, the config
  (``config.<section>.<key>``, in one form however the config was built: :func:`config_params`);
- metrics (one batch): ``coverage_all_rows`` (the share of all rows with a vote, every task type), ``overlap``,
  ``conflict``, ``abstain_rate``, ``mean_votes``, a run's references on the gold test rows (``final/<metric>``,
  ``reference/<name>/<metric>``), ``<split>/coverage`` (the gold split's rows with a vote),
  ``lf/<name>/coverage|conflicts|emp_acc``, ``<split>/label_model/<metric>`` and
  ``<split>/majority_vote/<metric>`` (accuracy, accuracy_voted, accuracy_no_votes, labelled, macro P/R/F1, Brier,
  ECE, per-class P/R/F1), the run's counts (``rows``, ``needs_review_share``, ...);
- the fitted label model as an MLflow model ``label_model`` (pyfunc: :mod:`weaksup.tracking.model`);
- datasets: the gold set (context ``evaluation``, digest = its hash), the input (``input``) and the labels
  (``labels``) (:mod:`weaksup.tracking.datasets`);
- artifacts: ``lf_summary.json`` and ``metrics.json`` (MLflow tables), ``lf_manifest.json``,
  ``figures/*.png``, ``report.html``, ``run.json`` (the run folder's, logged last), ``references.txt``,
  ``labels/<file>`` when small;
- tags: ``weaksup.version``, ``weaksup.stage`` (``run``, ``report`` or ``demo``: :func:`run_stage`), ``weaksup.task``, ``weaksup.rule_version``,
  ``weaksup.gold_hash``, ``weaksup.gold_version``, ``mlflow.source.git.commit`` and ``weaksup.git.dirty`` of the
  project folder (:mod:`weaksup.tracking.git`), ``weaksup.failure`` on a run that failed while logging.
"""

from __future__ import annotations

import contextlib
import logging
import re
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from weaksup.errors import TrackingError

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
        use_experiment(experiment, uri)
    except Exception as exc:  # TrackingError, or MLflow failing to open the store
        if require:
            raise TrackingError(f"{exc} (nothing was run: {require_option})") from None
        warn(f"{exc}; this run will NOT be logged to MLflow; its outputs are still written "
             f"({require_option} makes this an error)")
        return None
    return uri


@contextlib.contextmanager
def tracking_scope(enabled: bool = True) -> Iterator[None]:
    """Leave MLflow's process-wide tracking URI (and ``MLFLOW_TRACKING_URI``), its selected experiment (and
    ``MLFLOW_EXPERIMENT_ID``) and its loggers' levels as they were before the block.

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
    # mlflow.set_experiment selects an experiment for the whole process (a module global and
    # MLFLOW_EXPERIMENT_ID): put both back, or a later run on another store would look for that id there.
    fluent = mlflow.tracking.fluent
    active, experiment_env = getattr(fluent, "_active_experiment_id", None), os.environ.get("MLFLOW_EXPERIMENT_ID")
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
        if hasattr(fluent, "_active_experiment_id"):
            fluent._active_experiment_id = active
        if experiment_env is None:
            os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
        else:
            os.environ["MLFLOW_EXPERIMENT_ID"] = experiment_env
        if env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = env


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


@contextlib.contextmanager
def bounded_requests() -> Iterator[None]:
    """MLflow's HTTP timeout and retries bounded by :data:`REQUEST_TIMEOUT` and :data:`REQUEST_RETRIES`
    (unless the user set them), for the duration of the block."""
    wanted = {"MLFLOW_HTTP_REQUEST_TIMEOUT": f"{REQUEST_TIMEOUT:g}",
              "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(REQUEST_RETRIES)}
    added = [key for key in wanted if key not in os.environ]
    os.environ.update({key: wanted[key] for key in added})
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)



#: Tags of an experiment weaksup creates: its kind, "Machine learning" (runs), not GenAI. (MLflow 3.17's UI opens
#: every experiment in the view its sidebar switch selects, GenAI by default, whatever the tag: checked in
#: headless Chromium; the runs are on the experiment's "Training runs" page there.)
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}


def use_experiment(name: str, uri: str | None = None) -> str:
    """Select the experiment ``name`` (``mlflow.set_experiment``), creating it if needed; returns its id.

    In a SQLite store MLflow would put a new experiment's artifacts under ``./mlruns`` of whatever folder
    the process runs in (so runs of different stores share, and orphan, one folder): an experiment
    created here keeps them beside the database, in ``<database folder>/mlruns/<name>``, and gets
    :data:`EXPERIMENT_TAGS`.

    Examples
    --------
    >>> import tempfile, mlflow
    >>> folder = tempfile.mkdtemp()
    >>> with tracking_scope():
    ...     mlflow.set_tracking_uri(local_store_uri(folder))
    ...     experiment = mlflow.get_experiment(use_experiment("demo"))
    >>> experiment.artifact_location == (Path(folder).resolve() / "mlruns" / "demo").as_uri()
    True
    """
    import mlflow

    uri = uri or mlflow.get_tracking_uri()
    if mlflow.get_experiment_by_name(name) is None:
        location = None
        if urlparse(uri).scheme == "sqlite":
            database = Path(uri.split("://", 1)[1].removeprefix("/")).resolve()
            folder = re.sub(r"[^\w.-]+", "_", name).strip("._") or "experiment"
            location = (database.parent / "mlruns" / folder).as_uri()
        try:
            mlflow.create_experiment(name, artifact_location=location, tags=dict(EXPERIMENT_TAGS))
        except Exception:  # created meanwhile by another process: set_experiment below selects it
            if mlflow.get_experiment_by_name(name) is None:
                raise
    return str(mlflow.set_experiment(name).experiment_id)


# The run's logging, in modules of their own (they import the helpers above).
from weaksup.tracking.report import log_report, mlflow_table  # noqa: E402
from weaksup.tracking.run import (RunRecord, config_params, log_run, run_description, run_name,  # noqa: E402
                                  run_stage, start_run_tracking, tracking_off_note)

__all__ = ["EXPERIMENT_TAGS", "PING_TIMEOUT", "REQUEST_RETRIES", "REQUEST_TIMEOUT", "RunRecord", "bounded_requests",
           "check_tracking", "config_params", "default_tracking_uri", "flatten", "local_store_uri", "log_report",
           "log_run", "mlflow_table", "run_description", "run_name", "run_stage", "start_run_tracking",
           "start_tracking", "tracking_off_note", "tracking_scope", "use_experiment"]
