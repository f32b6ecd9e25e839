"""The Spark side of :mod:`weaksup.engines.spark`: the session the engine starts (:func:`start_session`: retries in
local mode, bound to 127.0.0.1, the workers on this interpreter), a progress bar of a job group's finished tasks
(:func:`task_progress`, from Spark's status tracker) and what a failed Spark job says (:func:`spark_reason`)."""

from __future__ import annotations

import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from weaksup.engines.config import EngineConfig
from weaksup.engines.spark_jvm import driver_options

#: Attempts of a task before Spark gives up on it (Spark's own default on a cluster; asked of local masters too).
TASK_ATTEMPTS = 4
#: Seconds between two looks at a job's finished tasks (the progress bar).
POLL_SECONDS = 0.5


def local_master(master: str, attempts: int = TASK_ATTEMPTS) -> str:
    """``master`` with task retries: ``local[N]`` becomes ``local[N,attempts]`` (local mode runs a failed task
    once unless its master says otherwise); other masters are returned as they are.

    Examples
    --------
    >>> local_master("local[2]"), local_master("local"), local_master("local[*,2]"), local_master("yarn")
    ('local[2,4]', 'local[1,4]', 'local[*,2]', 'yarn')
    """
    if master == "local":
        return f"local[1,{attempts}]"
    found = re.fullmatch(r"local\[(\d+|\*)\]", master)
    return f"local[{found.group(1)},{attempts}]" if found else master


def is_local(master: str) -> bool:
    """Whether ``master`` runs Spark in this process's JVM (``local``, ``local[...]``).

    Examples
    --------
    >>> is_local("local[2]"), is_local("spark://host:7077")
    (True, False)
    """
    return master == "local" or master.startswith("local[")


def session_conf(options: EngineConfig) -> dict[str, str]:
    """The Spark settings of a session the engine starts: for a local master, bound to 127.0.0.1, no web UI,
    few shuffle partitions and the driver's memory from ``executor_memory``; otherwise the executors' memory.

    Examples
    --------
    >>> session_conf(EngineConfig(name="spark"))["spark.driver.host"]
    '127.0.0.1'
    >>> session_conf(EngineConfig(name="spark", master="yarn", executor_memory="4g"))
    {'spark.task.maxFailures': '4', 'spark.executor.memory': '4g'}
    """
    conf = {"spark.task.maxFailures": str(TASK_ATTEMPTS)}
    if is_local(options.master):
        conf.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                     "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(max(2, options.workers)),
                     "spark.ui.showConsoleProgress": "false"})
        if options.executor_memory:
            conf["spark.driver.memory"] = options.executor_memory
    elif options.executor_memory:
        conf["spark.executor.memory"] = options.executor_memory
    return conf


def start_session(options: EngineConfig, conf: dict[str, str] | None = None) -> Any:
    """A ``SparkSession`` for ``options.master`` (:func:`local_master`) with :func:`session_conf` and ``conf``.

    For a local master the Python workers run this interpreter (``PYSPARK_PYTHON``, unless set), Spark binds
    to 127.0.0.1 (``SPARK_LOCAL_IP``, unless set) and a JVM started here gets the quick-start options of
    :func:`weaksup.engines.spark_jvm.driver_options` (unless ``conf`` sets ``spark.driver.extraJavaOptions``).
    An active session is returned as it is (its settings win).

    Examples
    --------
    >>> session = start_session(EngineConfig(name="spark"))  # doctest: +SKIP
    >>> session.sparkContext.master  # doctest: +SKIP
    'local[2,4]'
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    settings = {**session_conf(options), **(conf or {})}
    jvm = None
    if is_local(options.master):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if "spark.driver.extraJavaOptions" not in settings and getattr(SparkContext, "_gateway", None) is None:
            jvm = driver_options()  # this start launches the JVM: a quick JIT and the class-data archive
            if jvm.options:
                settings["spark.driver.extraJavaOptions"] = jvm.java_options
    builder = SparkSession.builder.master(local_master(options.master)).appName("weaksup")
    for key, value in settings.items():
        builder = builder.config(key, value)
    with quiet_pandas_warning():
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - PySpark raises its own classes, and Py4J's, for a failed start
            from weaksup.errors import ConfigError

            raise ConfigError(f"engine.master = {options.master!r}: Spark could not start a session ({exc}); check "
                              "engine.master, that Java 17+ is installed (java -version, JAVA_HOME) and that the "
                              "cluster is reachable, or run without --engine spark") from exc
    if jvm is not None:
        jvm.started(getattr(getattr(getattr(SparkContext, "_gateway", None), "proc", None), "pid", None))
    return session


@contextmanager
def quiet_pandas_warning() -> Iterator[None]:
    """PySpark 4 warns that it does not fully support pandas 3 on every pandas call; the engine's tasks exchange
    only integers and bytes with Spark, so the warning says nothing about them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


def task_attempts(context: Any) -> int:
    """How many times Spark runs a task before giving up: ``F`` of a ``local[N,F]`` master, 1 for another local
    master, else ``spark.task.maxFailures``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> task_attempts(SimpleNamespace(master="local[2,4]")), task_attempts(SimpleNamespace(master="local[2]"))
    (4, 1)
    """
    master = str(context.master)
    found = re.fullmatch(r"local\[[^,\]]+,(\d+)\]", master)
    if found:
        return int(found.group(1))
    if is_local(master):
        return 1
    return int(context.getConf().get("spark.task.maxFailures", str(TASK_ATTEMPTS)))


def spark_reason(exc: BaseException) -> str:
    """The last line of a Spark error that says why (the Python exception of the failed task, when there is one).

    Examples
    --------
    >>> spark_reason(RuntimeError("Job aborted\\nTraceback ...\\nRuntimeError: part 3 (p.parquet): boom\\n\\tat x"))
    'RuntimeError: part 3 (p.parquet): boom'
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    python = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*:", line)]
    if python:
        return python[-1][:500]
    return (lines[0] if lines else type(exc).__name__)[:500]


@contextmanager
def task_progress(context: Any, group: str, total: int, what: str, *, disable: bool | None = None
                  ) -> Iterator[None]:
    """A tqdm bar (``spark <what>``, in parts) of the finished tasks of the jobs of ``group``, polled from
    ``context.statusTracker()`` every :data:`POLL_SECONDS` on a thread while the body runs (``disable`` None:
    shown on a terminal only).

    Examples
    --------
    >>> with task_progress(session.sparkContext, "my-group", 4, "votes"):  # doctest: +SKIP
    ...     rows = job_in_group("my-group").collect()
    """
    from tqdm.auto import tqdm

    stop = threading.Event()
    tracker = context.statusTracker()

    def finished() -> int:
        done = 0
        for job in tracker.getJobIdsForGroup(group):
            info = tracker.getJobInfo(job)
            for stage in info.stageIds if info is not None else ():
                found = tracker.getStageInfo(stage)
                done += found.numCompletedTasks if found is not None else 0
        return min(done, total)

    with tqdm(total=total, desc=f"spark {what}", unit="part", disable=disable) as bar:
        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                bar.update(max(0, finished() - bar.n))

        thread = threading.Thread(target=poll, name=f"weaksup-{group}-progress", daemon=True)
        if not bar.disable:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread.is_alive():
                thread.join()
        if not bar.disable:
            bar.update(max(0, finished() - bar.n))
