"""The Spark engine (``weaksup[spark]``): one Spark task per input part, the map steps of
:mod:`weaksup.engines.parts` inside ``mapInPandas``, counts merged and labels committed on the driver.

Why a DataFrame of part descriptors rather than ``spark.read.parquet(...)``: Spark plans its own input splits
(``spark.sql.files.maxPartitionBytes`` cuts a large file into several splits and packs small files into one),
so a Spark partition is not an input part, while resume (a part's ``.ok`` sidecar), the vote cache (keyed by the
part's content key) and the per-part label files are. Here the driver makes ``spark.range(n, numPartitions=n)``:
partition ``i`` holds the one number ``i``, and its task reads part ``i`` with pyarrow
(:func:`~weaksup.engines.batch.read_part`, the reader of every engine: the same dtypes and text as the local
run), votes it, and sends back its result. So every row is in exactly one task, in its part's order; the driver
orders the results by part index; a task that dies (its Python worker killed, its executor lost) is run again by
Spark (``spark.task.maxFailures``; for a ``local[N]`` master the engine asks for ``local[N,4]``, since local mode
otherwise never retries) and, a part's votes and labels being pure functions of its rows written by atomic
renames, every row is written once. Finished parts are skipped on the driver (partition-level resume).

What goes back to the driver per part is small: its pattern counts and gold rows (:class:`PartStats`) or its
:class:`~weaksup.engines.commit.PartResult`, pickled in one binary cell. A :class:`~weaksup.errors.WeakSupError`
raised by a part (a repeated id, an LF module missing on the executor) comes back the same way and is raised on
the driver as it was, at once: such errors are not transient, so Spark does not retry them.

``[engine] ship_modules`` (the default): the project's LF modules go to the executors with
``SparkContext.addPyFile``, each as a zip named by its content hash (a package is zipped whole; a ``.py`` path
becomes a module of its file's name). The executors need weaksup installed, and read the input and write the
staging folder and the vote cache by the same paths as the driver (a shared file system, or local mode).
"""

from __future__ import annotations

import functools
import logging
import pickle
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.engines.batch import BatchSpec, InputPart
from weaksup.engines.commit import PartResult, StagedRun
from weaksup.engines.config import EngineConfig
from weaksup.engines.parts import PartStats, count_part, label_part, merge_part_stats, part_faults
from weaksup.engines.predict import PredictionTable
from weaksup.engines.ship import archive, ship_modules
from weaksup.engines.spark_setup import quiet_pandas_warning, spark_reason, start_session, task_attempts, \
    task_progress
from weaksup.errors import LFApplyError, WeakSupError

logger = logging.getLogger(__name__)

#: The columns a part's task sends back: its index, its pickled result, or its pickled error.
RESULT_SCHEMA = "index long, result binary, error binary"


class SparkEngine:
    """Parts voted, counted and labeled by Spark tasks, one task per part (see the module docstring).

    Parameters
    ----------
    options : EngineConfig, optional
        ``[engine]``: ``master`` (``local[2]`` by default), ``executor_memory``, ``ship_modules``.
    session : pyspark.sql.SparkSession, optional
        A session to use as it is (not stopped here). By default the active session, or a new one
        (:func:`start_session`) stopped by :meth:`close`.

    Examples
    --------
    >>> engine = SparkEngine(EngineConfig(name="spark"))
    >>> engine.name, engine.session_started
    ('spark', False)
    >>> engine.close()  # nothing was started
    """

    name = "spark"

    def __init__(self, options: EngineConfig | None = None, *, session: Any = None) -> None:
        self.options = options if options is not None else EngineConfig(name="spark")
        self._session: Any = session
        self._owned = False
        self._shipped: dict[str, str] = {}  # module spec -> the name the executors import it by
        #: LF columns voted by the last :meth:`vote_counts` (the rest came from the vote cache).
        self.computed = 0
        #: Rows each LF faulted on in the last :meth:`vote_counts` (abstained under ``lfs.fault_tolerant``).
        self.faults: dict[str, int] = {}

    @property
    def session_started(self) -> bool:
        """Whether a session is attached (found or started lazily by the first map)."""
        return self._session is not None

    @property
    def session(self) -> Any:
        """The ``SparkSession``: the one passed in, the active one, or a new one this engine stops."""
        if self._session is None:
            from pyspark.sql import SparkSession

            active = SparkSession.getActiveSession()
            if active is not None:
                self._session = active
            else:
                self._session = start_session(self.options)
                self._owned = True
                logger.info("started a Spark session on %s", self._session.sparkContext.master)
        return self._session

    def start(self) -> None:
        """Attach the Spark session now (else the first map does: see :attr:`session`): the driver times it apart
        from the maps, as its ``engine start`` phase."""
        _ = self.session

    def worker_spec(self, spec: BatchSpec) -> BatchSpec:
        """``spec`` as the executors import it: with ``ship_modules`` each LF module is shipped once, as a
        content-named zip (:func:`~weaksup.engines.ship.archive`) added by ``SparkContext.addPyFile``."""
        if not self.options.ship_modules:
            return spec
        return ship_modules(spec, self._shipped, lambda path: self.session.sparkContext.addPyFile(
            str(archive([path], path.stem))), where="the Spark executors")

    def _map(self, what: str, step: Callable[[InputPart, Any], Any], parts: Sequence[InputPart],
             shared: Any) -> list[Any]:
        """``step(part, shared)`` in one Spark task per part (``shared`` broadcast once); results in part order.

        Raises
        ------
        WeakSupError
            The first error a part raised (by part order), as the part raised it.
        LFApplyError
            When Spark gave up on a task (it failed on every attempt), naming the stage and Spark's reason.
        """
        if not parts:
            return []
        session = self.session
        context = session.sparkContext
        board = context.broadcast(shared)
        group = f"weaksup-{what}-{uuid.uuid4().hex[:12]}"
        context.setJobGroup(group, f"weaksup {what}: {len(parts)} part(s)", True)
        task = functools.partial(_run_parts, step, tuple(parts), board)
        try:
            with quiet_pandas_warning(), task_progress(context, group, len(parts), what):
                rows = session.range(0, len(parts), 1, len(parts)).mapInPandas(task, RESULT_SCHEMA).collect()
        except KeyboardInterrupt:
            context.cancelJobGroup(group)
            raise
        except Exception as exc:
            if not type(exc).__module__.startswith(("pyspark", "py4j")):
                raise
            raise LFApplyError(
                f"Spark gave up on the {what} stage ({len(parts)} part(s)): a task failed {task_attempts(context)} "
                f"times ({spark_reason(exc)}); nothing was committed and finished parts are kept for a rerun. "
                "A Python worker that dies (an LF's C extension, memory) says only that it crashed: check the "
                "executor logs, use smaller parts or more executor memory"
            ) from None
        finally:
            board.unpersist()
        found = sorted(((int(r["index"]), r["result"], r["error"]) for r in rows), key=lambda r: r[0])
        for _, _, error in found:
            if error is not None:
                raise pickle.loads(bytes(error))
        return [pickle.loads(bytes(result)) for _, result, _ in found]

    def vote_counts(self, spec: BatchSpec, parts: Sequence[InputPart], vote_dir: Path | None,
                    gold_ids: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Map (a Spark task per part): votes -> pattern counts and gold rows; reduce on the driver: their exact
        sum (a part sends back at most one row per distinct vote pattern, never its votes)."""
        stats: list[PartStats] = self._map("votes", _count_step, parts, (self.worker_spec(spec), vote_dir, gold_ids))
        counts, gold, self.computed = merge_part_stats(stats)
        self.faults = part_faults(stats)
        return counts, gold

    def write_labels(self, spec: BatchSpec, table: PredictionTable, parts: Sequence[InputPart],
                     staged: StagedRun) -> list[PartResult]:
        """Map (a Spark task per unfinished part): its labels into the staging folder; the prediction table and
        spec are broadcast once. Finished parts (resume) are taken from their sidecars without a task."""
        todo = [p for p in parts if not staged.done(p)]
        written = self._map("labels", _label_step, todo, (self.worker_spec(spec), table, staged))
        by_index = {r.index: r for r in written}
        return [by_index[p.index] if p.index in by_index else staged.result(p) for p in parts]

    def close(self) -> None:
        """Stop the session this engine started (a session passed in or found active is left running)."""
        if self._owned and self._session is not None:
            self._session.stop()
        self._session, self._owned = None, False
        self._shipped.clear()

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count_step(part: InputPart, shared: tuple[BatchSpec, Path | None, frozenset[str]]) -> PartStats:
    """The map of the fit on an executor (:func:`~weaksup.engines.parts.count_part`)."""
    spec, vote_dir, gold_ids = shared
    return count_part(spec, part, vote_dir, gold_ids)


def _label_step(part: InputPart, shared: tuple[BatchSpec, PredictionTable, StagedRun]) -> PartResult:
    """The map of the write on an executor (:func:`~weaksup.engines.parts.label_part`)."""
    spec, table, staged = shared
    return label_part(spec, table, part, staged)


def _run_parts(step: Callable[[InputPart, Any], Any], parts: tuple[InputPart, ...], board: Any,
              batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: for each part number in the batches, ``step(part, board.value)`` pickled,
    or the :class:`~weaksup.errors.WeakSupError` it raised (any other exception fails the task: Spark retries)."""
    for batch in batches:
        rows = []
        for number in batch["id"].tolist():
            part = parts[int(number)]
            try:
                result, error = pickle.dumps(step(part, board.value)), None
            except WeakSupError as exc:
                result, error = None, pickle.dumps(exc)
            except Exception as exc:
                raise LFApplyError(f"part {part.index} ({part.path}): {type(exc).__name__}: {exc}") from exc
            rows.append({"index": part.index, "result": result, "error": error})
        yield pd.DataFrame(rows, columns=["index", "result", "error"])
