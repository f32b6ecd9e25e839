"""The ``[engine]`` table of a run config: where ``weaksup run`` executes (local, Dask or Spark) and its settings.

Examples
--------
>>> EngineConfig().name, EngineConfig().max_patterns
('local', 200000)
>>> check_engine_config(EngineConfig(name="spork"), "run.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
weaksup.errors.ConfigError: run.toml: engine.name = 'spork' is not an engine; choose one of ['dask', 'local', 'spark'] ...
>>> check_engine_config(EngineConfig(name="spark", master="localhost"), "run.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
weaksup.errors.ConfigError: run.toml: engine.master = 'localhost' is not a Spark master URL; give local[N] ...
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from weaksup.errors import ConfigError

#: The engines ``weaksup run --engine`` and ``[engine] name`` accept.
ENGINE_NAMES = ("local", "dask", "spark")

#: The Spark master URLs Spark accepts (its ``SparkMasterRegex``, N threads at least 1): ``local``, ``local[N]``,
#: ``local[*]``, ``local[N,F]``, ``local[*,F]`` (F task attempts), ``local-cluster[N,C,M]``, ``yarn``,
#: ``spark://HOST:PORT[,HOST:PORT...]``, ``k8s://...``, ``mesos://...``.
SPARK_MASTER = re.compile(
    r"local"
    r"|local\[([1-9][0-9]*|\*)(\s*,\s*[1-9][0-9]*)?\]"
    r"|local-cluster\[\s*[1-9][0-9]*\s*,\s*[1-9][0-9]*\s*,\s*[1-9][0-9]*\s*\]"
    r"|yarn"
    r"|spark://([\w.\-]+|\[[0-9A-Fa-f:]+\]):[0-9]+(,([\w.\-]+|\[[0-9A-Fa-f:]+\]):[0-9]+)*"
    r"|(k8s|mesos)://\S+"
)
#: A Dask scheduler address: ``tcp://HOST:PORT`` (or ``tls://``, ``ucx://``, ``ws://``, ``wss://``), or ``HOST:PORT``.
DASK_SCHEDULER = re.compile(r"((tcp|tls|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d+")


@dataclass(frozen=True)
class EngineConfig:
    """``[engine]``: ``name`` (local, dask, spark), ``master`` (Spark), ``scheduler`` (a Dask address; empty: a
    LocalCluster), ``workers``, ``partitions`` (0: one per input part), ``executor_memory`` (a Spark hint such as
    ``"2g"``), ``max_patterns`` (above it the label model is fitted on a seeded stratified sample), ``ship_modules``
    (send the LF modules to the workers)."""

    name: str = "local"
    master: str = "local[2]"
    scheduler: str = ""
    workers: int = 2
    partitions: int = 0
    executor_memory: str = ""
    max_patterns: int = 200_000
    ship_modules: bool = True


def check_engine_config(engine: EngineConfig, source: str) -> None:
    """Refuse an unknown engine name or an out-of-range setting, naming the key and the fix.

    Raises
    ------
    ConfigError
        Every problem at once.
    """
    problems = []
    if engine.name not in ENGINE_NAMES:
        problems.append(f"engine.name = {engine.name!r} is not an engine; choose one of {sorted(ENGINE_NAMES)} "
                        "(or drop [engine] and --engine for the streaming run)")
    if engine.name == "spark" and not SPARK_MASTER.fullmatch(engine.master):
        problems.append(f"engine.master = {engine.master!r} is not a Spark master URL; give local[N] (this machine, N "
                        "cores; local[*]: all of them; local[N,F]: F task attempts), yarn, spark://HOST:PORT, "
                        "k8s://HOST:PORT or mesos://HOST:PORT")
    if engine.name == "dask" and engine.scheduler and not DASK_SCHEDULER.fullmatch(engine.scheduler):
        problems.append(f"engine.scheduler = {engine.scheduler!r} is not a Dask scheduler address; give "
                        "tcp://HOST:PORT (the address `dask scheduler` prints, port 8786 by default), or leave it "
                        "empty for a local cluster")
    if engine.workers < 1:
        problems.append(f"engine.workers must be at least 1; got {engine.workers}")
    if engine.partitions < 0:
        problems.append(f"engine.partitions must be 0 (one per input part) or more; got {engine.partitions}")
    if engine.max_patterns < 1:
        problems.append(f"engine.max_patterns must be at least 1; got {engine.max_patterns}")
    if engine.executor_memory and not (engine.executor_memory[:-1].isdigit()
                                       and engine.executor_memory[-1].lower() in "kmgt"):
        problems.append(f"engine.executor_memory = {engine.executor_memory!r}: give a size such as '2g' or '512m'")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))


def with_engine_name(engine: EngineConfig | None, name: str | None) -> EngineConfig | None:
    """The engine settings a run uses: ``--engine name`` overrides ``[engine] name``; None when neither is given
    (the streaming run).

    Examples
    --------
    >>> with_engine_name(None, None) is None, with_engine_name(None, "dask").name
    (True, 'dask')
    """
    if name is None:
        return engine
    return dataclasses.replace(engine or EngineConfig(), name=name)
