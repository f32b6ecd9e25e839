"""``weaksup run --engine local|dask|spark``: the whole run on an engine, fitted on sufficient statistics.

=============  =================================================================================================
``config``     :class:`EngineConfig`: the ``[engine]`` table
``batch``      :class:`InputPart`, :func:`list_input_parts`, :func:`read_part`, :class:`BatchSpec`, :func:`vote_frame`
``stats``      :func:`pattern_counts`, :func:`merge_pattern_counts`, :func:`gold_patterns`, :func:`fit_on_counts`
``predict``    :class:`PredictionTable`, :func:`label_frame` (the streaming run's labels schema)
``cache``      :class:`VoteCache`: votes per (part key, LF id): a rerun votes only new parts and changed LFs
``parts``      the map steps every engine runs on a part: :func:`count_part`, :func:`label_part`
``commit``     :class:`StagedRun`: staging, part files with ``.ok`` sidecars, resume, versioned commit
``local``      :class:`LocalEngine`
``driver``     :func:`run_engine`: parts -> counts -> fit -> write -> commit -> gold metrics -> summary
``runs``       the committed runs of an output folder (``latest``, earlier versions)
=============  =================================================================================================

An engine (:class:`Engine`) distributes two maps: ``vote_counts`` (each part's pattern counts, merged; the gold
rows' votes) and ``write_labels`` (each part's labels into the staging folder). ``spark`` (:mod:`.spark`) and
``dask`` (:mod:`.dask`) run the same steps on their workers.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from weaksup.engines.config import ENGINE_NAMES, EngineConfig, check_engine_config
from weaksup.errors import ConfigError

if TYPE_CHECKING:  # (imported lazily: weaksup.config imports this package for EngineConfig)
    import pandas as pd

    from weaksup.engines.batch import BatchSpec, InputPart
    from weaksup.engines.commit import PartResult, StagedRun
    from weaksup.engines.predict import PredictionTable

#: Where each public name of the package lives (imported on first use).
_LAZY = {"BatchSpec": "batch", "InputPart": "batch", "list_input_parts": "batch", "read_part": "batch",
         "vote_frame": "batch", "PartResult": "commit", "StagedRun": "commit", "PredictionTable": "predict",
         "label_arrow": "predict", "label_frame": "predict", "DevGold": "stats", "FitResult": "stats",
         "fit_on_counts": "stats", "gold_patterns": "stats", "merge_pattern_counts": "stats",
         "pattern_counts": "stats", "run_engine": "driver", "EngineResult": "driver"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"weaksup.engines.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'weaksup.engines' has no attribute {name!r}")


class Engine(Protocol):
    """What an engine provides to :func:`weaksup.engines.driver.run_engine`. An engine with a cluster or session
    to start may also have a ``start()`` method: the driver then calls it before the first map and times it, and
    the engine's ``close()``, as their own phases (``engine start``, ``engine close``)."""

    @property
    def name(self) -> str: ...

    @property
    def faults(self) -> dict[str, int]: ...

    def vote_counts(self, spec: BatchSpec, parts: Sequence[InputPart], vote_dir: Path | None,
                    gold_ids: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]: ...

    def write_labels(self, spec: BatchSpec, table: PredictionTable, parts: Sequence[InputPart],
                     staged: StagedRun) -> list[PartResult]: ...

    def close(self) -> None: ...


#: The package each engine needs, and the extra that installs it.
_PACKAGES = {"dask": ("distributed", "weaksup[dask]"), "spark": ("pyspark", "weaksup[spark]")}


def get_engine(name: str, options: EngineConfig | None = None) -> Engine:
    """The engine called ``name`` with ``options`` (``[engine]``).

    Raises
    ------
    ConfigError
        An unknown name, or a missing package (naming ``pip install weaksup[spark]`` / ``weaksup[dask]``).

    Examples
    --------
    >>> get_engine("local").name
    'local'
    >>> get_engine("flink")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <engine>: engine.name = 'flink' is not an engine; ...
    """
    options = options if options is not None else EngineConfig(name=name)
    check_engine_config(EngineConfig(**{**options.__dict__, "name": name}), "<engine>")
    if name == "local":
        from weaksup.engines.local import LocalEngine

        return LocalEngine(workers=options.workers)
    package, extra = _PACKAGES[name]
    if importlib.util.find_spec(package) is None:
        raise ConfigError(f"engine {name!r} needs the {package} package, which is not installed: "
                          f"pip install '{extra}' (or run with --engine local)")
    if name == "spark":
        from weaksup.engines.spark import SparkEngine  # type: ignore[import-not-found,unused-ignore]

        engine: Engine = SparkEngine(options)
        return engine
    from weaksup.engines.dask import DaskEngine  # type: ignore[import-not-found,unused-ignore]

    engine = DaskEngine(options)
    return engine


__all__ = ["ENGINE_NAMES", "Engine", "EngineConfig", "check_engine_config", "get_engine", *_LAZY]
