"""A labeling run from a config: load -> clean -> apply -> fit -> predict -> route -> write -> evaluate -> report.

The input is read in chunks (``input.chunk_rows``), so memory does not grow with the number of rows
beyond the vote matrix (``n x m`` small integers). Votes are saved per chunk in ``<run dir>/votes/``
as the run goes, keyed by each LF's ``name@version``: a run that was killed picks up from the last
finished chunk, and after editing one LF only that LF's column is recomputed.

The run folder (the folder of ``output.path``)::

    labels.parquet | .csv | .jsonl   one row per input row, in input order (see LABEL_COLUMNS)
    votes/part-00000.parquet ...     the vote matrix, one VoteMatrix file per chunk, plus index.json
    label_model.json                 the fitted label model
    report.html                      the label-quality report (with a gold set)
    run.json                         what ran: config, LFs, gold set, counts, metrics, timings

Every file is written atomically: it is whole or absent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import json
import logging
import os
import platform
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup._io import atomic_path
from weaksup.config import OUTPUT_FORMATS, ConfigError, RunConfig
from weaksup.errors import DataError, GoldSetError, LabelModelError, MissingColumnError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix, distinct_rows

logger = logging.getLogger(__name__)

#: The fixed columns of the labels output, in order; ``prob_<class>`` columns follow ``confidence``.
LABEL_COLUMNS = ["row_id", "label", "confidence", "sources", "n_votes", "conflict", "review_status",
                 "rule_version", "label_model"]
REVIEW_STATUSES = ("auto", "needs_review", "reviewed")
_EXAMPLES = ("youtube_spam",)
_RUN_FORMAT = "weaksup.Run"


# ---------------------------------------------------------------------- results
@dataclass
class RunResult:
    """What a run did: counts, metrics, where things were written, and stage timings (seconds)."""

    config: RunConfig
    run_dir: Path
    labels_path: Path
    n_rows: int
    n_lfs: int
    rule_version: str
    label_model: str
    coverage: float
    label_counts: dict[str, int]
    status_counts: dict[str, int]
    conflicts: int
    faults: dict[str, int]
    prep: dict[str, int]
    chunks: dict[str, int]
    timeouts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    gold: dict[str, Any] | None = None
    report_path: Path | None = None
    mlflow_uri: str | None = None
    mlflow_run_id: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """A short human-readable account of the run."""
        total = max(self.n_rows, 1)
        lines = [
            f"{self.n_rows:,} rows, {self.n_lfs} LFs (rule_version {self.rule_version}), "
            f"label model {self.label_model}",
            f"rows with at least one vote: {self.coverage:.1%}; rows with conflicting votes: {self.conflicts:,}",
            "labels: " + ", ".join(f"{name} {n:,} ({n / total:.1%})" for name, n in self.label_counts.items()),
            "review: " + ", ".join(f"{name} {n:,}" for name, n in self.status_counts.items()),
            f"chunks: {self.chunks.get('computed', 0)} computed, {self.chunks.get('reused', 0)} reused "
            f"from saved votes ({self.chunks.get('columns_reused', 0)} LF columns reused)",
        ]
        if self.prep.get("missing_text") or self.prep.get("exact_duplicates") or self.prep.get("near_duplicates"):
            lines.append(f"cleaning: {self.prep.get('missing_text', 0):,} rows without text (abstained on), "
                         f"{self.prep.get('exact_duplicates', 0):,} exact and "
                         f"{self.prep.get('near_duplicates', 0):,} near duplicates")
        faulty = {k: v for k, v in self.faults.items() if v}
        if faulty:
            lines.append(f"LF faults (rows abstained): {faulty}")
        slow = {k: v for k, v in self.timeouts.items() if v}
        if slow:
            lines.append(f"LFs past lfs.lf_timeout (rows abstained): {slow}")
        if self.metrics:
            shown = ["accuracy", "accuracy_covered", "coverage", "macro_f1", "brier", "ece"]
            lines.append(f"on the gold {self.gold['split']} split ({self.gold['describe']}): "
                         + ", ".join(f"{k} {self.metrics[k]:.3f}" for k in shown if k in self.metrics))
        lines.append(f"labels: {self.labels_path}")
        lines.append(f"run folder: {self.run_dir} (votes/, label_model.json, run.json"
                     + (", report.html)" if self.report_path else ")"))
        if self.mlflow_run_id:
            lines.append(f"MLflow run {self.mlflow_run_id} at {self.mlflow_uri}")
        lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.timings.items()))
        return "\n".join(lines)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, stage: str, started: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


# ---------------------------------------------------------------------- set-up
@dataclass
class _Setup:
    registry: Any
    label_space: LabelSpace
    gold: Any
    model_cls: type
    columns: list[str] | None


def resolve_label_model(name: str, has_dev_gold: bool) -> type:
    """The label model class a config names; ``default`` is weaksup's recommendation
    (:data:`weaksup.models.DEFAULT_MODEL` with dev gold, else MajorityVote)."""
    from weaksup import models

    if name == "default":
        name = models.DEFAULT_MODEL if has_dev_gold else "MajorityVote"
    if name not in models.MODELS:
        raise LabelModelError(f"unknown label model {name!r}; choose 'default' or one of {sorted(models.MODELS)} "
                              "(label_model.name)")
    return models.MODELS[name]


def select_lfs(config: RunConfig) -> Any:
    """The registry of the config's LF modules, restricted to ``lfs.tags`` / ``lfs.names``."""
    from weaksup.registry import Registry

    modules = [_module_spec(config, m) for m in config.lfs.modules]
    registry = Registry.from_modules(*modules)
    if config.lfs.tags or config.lfs.names:
        registry = registry.select(tags=config.lfs.tags or None, names=config.lfs.names or None)
        if not registry:
            raise ConfigError(f"{config.source}: lfs.tags = {config.lfs.tags} selects no LF")
    return registry


def _setup(config: RunConfig) -> _Setup:
    """Everything checked before any row is read: LFs, label space, gold set, label model, output folder."""
    from weaksup.registry import Registry

    registry = select_lfs(config)
    space = registry.label_space
    if config.task.labels:
        wanted = LabelSpace(config.task.labels)
        if space is not None and space != wanted:
            raise ConfigError(f"{config.source}: task.labels = {list(wanted)} differs from the label space of the "
                              f"LF modules {list(space)}; make them equal (or drop task.labels)")
        space = wanted
    if space is None:
        raise ConfigError(f"{config.source}: the label space is unknown: set task.labels = [...] or define a "
                          "LabelSpace in the LF module")
    if registry.label_space is None:
        registry = Registry(registry.lfs, label_space=space)
    gold = None
    if config.gold.path:
        from weaksup.gold import load_gold

        gold = load_gold(config.resolve(config.gold.path, "gold.path"), label_space=space)
    model_cls = resolve_label_model(config.label_model.name, gold is not None and "dev" in gold.counts())
    _check_model_params(config, model_cls)
    _check_writable(config.output_dir, config)
    columns: list[str] | None = None
    if all(lf.fields for lf in registry.lfs):
        needed = [config.input.id_column, *config.input.fields]
        if config.input.text_column:
            needed.append(config.input.text_column)
        needed += [f for lf in registry.lfs for f in lf.fields]
        columns = list(dict.fromkeys(needed))
    return _Setup(registry, space, gold, model_cls, columns)


def _module_spec(config: RunConfig, spec: str) -> str:
    """LF modules are dotted names (imported from the project folder) or ``.py`` paths (checked like
    every config path)."""
    if spec.endswith(".py") or "/" in spec or os.sep in spec:
        return str(config.resolve(spec, "lfs.modules"))
    return spec


def _check_model_params(config: RunConfig, model_cls: type) -> None:
    accepted = set(inspect.signature(model_cls.__init__).parameters) - {"self", "cardinality", "seed"}
    unknown = sorted(set(config.label_model.params) - accepted)
    if unknown:
        raise ConfigError(f"{config.source}: label_model.params {unknown} are not parameters of "
                          f"{model_cls.__name__}; it takes {sorted(accepted)}")


def _check_writable(folder: Path, config: RunConfig) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".weaksup-write-check") as tmp:
            tmp.write_bytes(b"")
        (folder / ".weaksup-write-check").unlink()
    except OSError as exc:
        raise DataError(f"cannot write to the output folder {folder} ({exc.strerror or exc}); "
                        f"fix its permissions or change output.path in {config.source}") from None


@contextlib.contextmanager
def _tracking_scope(enabled: bool = True) -> Iterator[None]:
    """Leave MLflow's process-wide tracking URI (and ``MLFLOW_TRACKING_URI``) as they were before the run.

    A run with tracking disabled does not touch MLflow (nor import it: that alone takes seconds)."""
    if not enabled:
        yield
        return
    env = os.environ.get("MLFLOW_TRACKING_URI")
    try:
        from mlflow.tracking._tracking_service import utils as tracking_utils

        previous = tracking_utils._tracking_uri
    except ImportError:  # no MLflow: nothing to restore
        yield
        return
    try:
        yield
    finally:
        import mlflow

        mlflow.set_tracking_uri(previous)  # (this also sets MLFLOW_TRACKING_URI when previous is not None)
        if env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = env


def start_tracking(config: RunConfig) -> str | None:
    """Point MLflow at the configured store (``mlflow.tracking_uri``, else ``MLFLOW_TRACKING_URI``, else
    ``./mlflow.db``) and check that it answers. Returns the URI, or None when the run will not be
    logged (disabled, not installed, or unreachable; a warning says so unless ``mlflow.require``)."""
    from weaksup.tracking import start_tracking as start

    settings = config.mlflow
    if not settings.enabled:
        if settings.require:
            raise ConfigError(f"{config.source}: mlflow.require = true but mlflow.enabled = false")
        return None
    return start(settings.experiment, uri=settings.tracking_uri or None, require=settings.require,
                 require_option="mlflow.require = true", warn=logger.warning)


# ---------------------------------------------------------------------- input
def _input_identity(config: RunConfig) -> tuple[list[Path], dict[str, Any]]:
    """The input files, and what identifies the rows the LFs see (files, cleaning, chunking): saved votes
    are reused only when it is unchanged."""
    from weaksup.data import input_files

    if config.input.example:
        if config.input.example not in _EXAMPLES:
            raise ConfigError(f"{config.source}: input.example = {config.input.example!r} is not a shipped "
                              f"example; choose one of {list(_EXAMPLES)} or give input.path")
        from weaksup.examples import YOUTUBE_DIR

        files = sorted(YOUTUBE_DIR.glob("*.csv"))
    else:
        files = input_files(config.resolve(config.input.path, "input.path"))
    identity = {
        "files": [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files],
        "example": config.input.example, "id_column": config.input.id_column,
        "text_column": config.input.text_column, "chunk_rows": config.input.chunk_rows,
        "encoding": config.input.encoding, "clean": dataclasses.asdict(config.clean),
        "versions": {"pandas": pd.__version__, "pyarrow": pa.__version__},
    }
    return files, identity


def _read_chunks(config: RunConfig, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    from weaksup.data import iter_chunks

    if config.input.example:
        from weaksup.examples import load_youtube_spam

        frame = load_youtube_spam()
        if columns is not None:
            frame = frame[[c for c in columns if c in frame.columns]]
        for start in range(0, len(frame), config.input.chunk_rows):
            yield frame.iloc[start:start + config.input.chunk_rows]
        return
    strings = [config.input.id_column] + ([config.input.text_column] if config.input.text_column else [])
    yield from iter_chunks(config.resolve(config.input.path, "input.path"), chunk_rows=config.input.chunk_rows,
                           columns=columns, string_columns=strings, encoding=config.input.encoding)


def _where(config: RunConfig, position: int) -> str:
    """Where row ``position`` is, for messages (CSV lines assume no multi-line fields)."""
    if config.input.example:
        return f"row {position} of the {config.input.example} example"
    suffix = Path(config.input.path).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return f"{config.input.path} row {position} (line {position + 2})"
    if suffix in (".jsonl", ".ndjson"):
        return f"{config.input.path} row {position} (line {position + 1}, counting non-blank lines)"
    return f"{config.input.path} row {position}"


def _chunk_ids(config: RunConfig, chunk: pd.DataFrame) -> pa.Array:
    """The chunk's row ids as an Arrow string array, checked: present, not blank, unique in the chunk."""
    import polars as pl

    column = config.input.id_column
    if column not in chunk.columns:
        where = config.input.example or config.input.path
        raise MissingColumnError(f"{where}: no id column {column!r}; its columns are {list(map(str, chunk.columns))}."
                                 " Set input.id_column to the column holding unique row ids")
    raw = chunk[column]
    if not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype(str).where(raw.notna(), None)
    ids = pa.array(raw, from_pandas=True, type=pa.large_string())
    series = pl.Series(ids)
    missing = (series.is_null() | (series.str.strip_chars() == "")).fill_null(True)
    if missing.any():
        first = int(missing.arg_true()[0])
        raise DataError(f"{_where(config, int(chunk.index[first]))}: empty {column!r}; every row needs an id "
                        f"({int(missing.sum())} row(s) in this chunk lack one)")
    if series.n_unique() != len(series):  # (several times cheaper than is_duplicated on unique ids)
        repeated = series.is_duplicated()
        rows = [int(chunk.index[r]) for r in repeated.arg_true()[:6]]
        raise DataError(f"{_where(config, rows[0])}: id {series[int(repeated.arg_true()[0])]!r} is not unique "
                        f"(rows {rows}); {column!r} must identify each row once: deduplicate the input or choose "
                        "another id column")
    return ids


def _check_fields(config: RunConfig, registry: Any, chunk: pd.DataFrame) -> None:
    present = [str(c) for c in chunk.columns]
    for lf in registry.lfs:
        missing = [f for f in lf.fields if f not in present]
        if missing:
            where = config.input.example or config.input.path
            raise MissingColumnError(f"labeling function {lf.name!r} (defined at {lf.source}) reads column(s) "
                                     f"{missing}, which {where} does not have; its columns are {present}")
    if config.input.text_column and config.input.text_column not in present:
        raise MissingColumnError(f"{config.input.example or config.input.path}: no text column "
                                 f"{config.input.text_column!r} (input.text_column); its columns are {present}")


# ---------------------------------------------------------------------- vote store
class VoteStore:
    """The votes of a run, one file per chunk in ``<run dir>/votes/`` plus ``index.json``.

    A chunk's file holds a column per LF ``name@version``; a later run with the same input
    reuses every column whose LF is unchanged (and so resumes a killed run).
    """

    def __init__(self, folder: Path, identity: dict[str, Any], *, reuse: bool = True) -> None:
        self.folder = folder
        self.key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        self.parts: list[dict[str, Any]] = []
        index = folder / "index.json"
        if reuse and index.exists():
            try:
                doc = json.loads(index.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("%s is unreadable (%s); recomputing every chunk", index, exc)
                doc = {}
            if doc.get("key") == self.key:
                self.parts = list(doc.get("parts", []))
            elif doc:
                logger.info("the input or its cleaning changed since the saved votes; recomputing every chunk")

    @property
    def done(self) -> int:
        return len(self.parts)

    def get(self, i: int, ids: pa.Array) -> dict[str, Any] | None:
        """The saved part ``i`` (its vote columns by LF id, faults and duplicate keys) if it holds exactly
        these rows, else None."""
        import pyarrow.parquet as pq

        if i >= len(self.parts):
            return None
        entry = self.parts[i]
        if entry["rows"] != len(ids) or entry["first_id"] != ids[0].as_py() or entry["last_id"] != ids[-1].as_py():
            return None
        path = self.folder / entry["file"]
        try:
            table = pq.read_table(path)
            meta = json.loads(table.schema.metadata[b"weaksup"])
            keys = np.load(path.with_suffix(".keys.npy"), allow_pickle=False)
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            logger.warning("saved votes %s are unreadable (%s); recomputing that chunk", path, exc)
            return None
        columns = {name: table.column(name).to_numpy() for name in table.column_names if name != "row_id"}
        return {"columns": columns, "faults": meta.get("faults", {}), "timeouts": meta.get("timeouts") or {},
                "text_hash": keys[0], "loose_hash": keys[1]}

    def write_part(self, i: int, ids: pa.Array, values: np.ndarray, lfs: list[Any], label_space: LabelSpace,
                   faults: dict[str, int], timeouts: dict[str, int], text_hash: np.ndarray,
                   loose_hash: np.ndarray) -> dict[str, Any]:
        """Save part ``i`` atomically as a VoteMatrix Parquet file (plus its duplicate keys); returns its
        index entry for :meth:`record`. Safe to call for different parts from different threads."""
        import pyarrow.parquet as pq

        name = f"part-{i:05d}.parquet"
        meta = VoteMatrix(np.zeros((0, len(lfs)), np.int8), lf_names=[lf.name for lf in lfs],
                          lf_versions=[lf.version for lf in lfs], label_space=label_space, faults=faults,
                          timeouts=timeouts)._meta()
        columns = {"row_id": ids, **{lf.lf_id: pa.array(values[:, j]) for j, lf in enumerate(lfs)}}
        table = pa.table(columns).replace_schema_metadata({"weaksup": json.dumps(meta)})
        with atomic_path(self.folder / name) as tmp:
            pq.write_table(table, tmp, compression="lz4")
        with atomic_path(self.folder / f"part-{i:05d}.keys.npy") as tmp:
            np.save(tmp, np.stack([text_hash, loose_hash]), allow_pickle=False)
        return {"file": name, "rows": len(ids), "first_id": ids[0].as_py(), "last_id": ids[-1].as_py(),
                "lf_ids": [lf.lf_id for lf in lfs]}

    def record(self, i: int, entry: dict[str, Any]) -> None:
        """Index a written part (in chunk order: a run killed later resumes after the last indexed part)."""
        if i < len(self.parts):
            self.parts[i] = entry
        else:
            self.parts.append(entry)
        self._write_index()

    def truncate(self, n_parts: int) -> None:
        """Forget parts beyond the input's last chunk (the input got shorter)."""
        for entry in self.parts[n_parts:]:
            (self.folder / entry["file"]).unlink(missing_ok=True)
            (self.folder / entry["file"]).with_suffix(".keys.npy").unlink(missing_ok=True)
        if len(self.parts) > n_parts:
            del self.parts[n_parts:]
            self._write_index()

    def row_ids(self, i: int) -> pa.Array:
        import pyarrow.parquet as pq

        return pq.read_table(self.folder / self.parts[i]["file"], columns=["row_id"]).column("row_id").combine_chunks()

    def _write_index(self) -> None:
        with atomic_path(self.folder / "index.json") as tmp:
            tmp.write_text(json.dumps({"format": "weaksup.VoteParts", "key": self.key, "parts": self.parts},
                                      indent=1), encoding="utf-8")


# ---------------------------------------------------------------------- apply
@dataclass
class _Applied:
    values: np.ndarray
    lf_names: list[str]
    lf_versions: list[str]
    gold_positions: dict[str, int]
    faults: dict[str, int]
    timeouts: dict[str, int]
    prep: dict[str, int]
    chunks: dict[str, int]


def _duplicate_counts(text_hash: np.ndarray, loose_hash: np.ndarray) -> tuple[int, int]:
    """Rows whose cleaned text (exact) or letters-and-digits (near) repeat an earlier row's; 0 hashes are
    rows without text."""
    import polars as pl

    counts = []
    for hashes in (text_hash, loose_hash):
        present = pl.Series(hashes).filter(pl.Series(hashes) != 0)
        counts.append(int(len(present) - present.n_unique()))
    return counts[0], counts[1]


@dataclass
class _ChunkVotes:
    """One chunk's votes and what the run summary needs from it."""

    ids: pa.Array
    block: np.ndarray
    text_hash: np.ndarray
    loose_hash: np.ndarray
    faults: dict[str, int]
    timeouts: dict[str, int]
    missing_text: int
    computed: bool
    columns_computed: int
    entry: dict[str, Any] | None  # the store's new index entry; None when the saved part is unchanged


def _vote_chunk(config: RunConfig, setup: _Setup, store: VoteStore, i: int, chunk: pd.DataFrame) -> _ChunkVotes:
    """Check, clean and vote one chunk, reusing its saved LF columns; saves the chunk's part (not the index).

    Only reads ``setup`` and writes chunk ``i``'s own files, so chunks can be voted on several threads.
    """
    from weaksup.apply import apply_lfs
    from weaksup.data import as_text_series as _as_series, duplicate_keys, prepare
    from weaksup.votes import smallest_vote_dtype

    lfs = setup.registry.lfs
    text = config.input.text_column
    ids = _chunk_ids(config, chunk)
    saved = store.get(i, ids)
    saved_columns = saved["columns"] if saved is not None else {}
    todo = [lf for lf in lfs if lf.lf_id not in saved_columns]
    block = np.full((len(chunk), len(lfs)), ABSTAIN, dtype=smallest_vote_dtype(len(setup.label_space)))
    faults: dict[str, int] = {}
    timeouts: dict[str, int] = {}
    for j, lf in enumerate(lfs):
        if lf.lf_id in saved_columns:
            block[:, j] = saved_columns[lf.lf_id]
            faults[lf.name] = int(saved["faults"].get(lf.name, 0))
            timeouts[lf.name] = int(saved["timeouts"].get(lf.name, 0))
    missing_text = 0
    if saved is not None and not todo:
        th, lh = saved["text_hash"], saved["loose_hash"]
        if text:
            missing_text = int((th == 0).sum())
    else:
        clean = chunk.assign(**{config.input.id_column: _as_series(ids, chunk.index)})
        th = lh = np.zeros(len(clean), np.uint64)
        if text:
            clean, report = prepare(clean, text=text, id_column=config.input.id_column,
                                    normalize=config.clean.normalize,
                                    lowercase_into=config.clean.lowercase_into or None,
                                    mask=config.clean.mask, duplicates=False)
            missing_text = report.missing_text
            if config.clean.duplicates != "off":
                th, lh = duplicate_keys(pa.array(clean[text], from_pandas=True, type=pa.large_string()),
                                        near=config.clean.duplicates == "near")
        if todo:
            fresh = apply_lfs(todo, clean, id_column=config.input.id_column, label_space=setup.label_space,
                              fault_tolerant=config.lfs.fault_tolerant, progress=False,
                              lf_timeout=config.lfs.lf_timeout or None)
            for lf, column in zip(todo, fresh.values.T):
                block[:, lfs.index(lf)] = column
                faults[lf.name] = int(fresh.faults.get(lf.name, 0))
                timeouts[lf.name] = int(fresh.timeouts.get(lf.name, 0))
        if config.output.write_clean:
            _append_clean(config, i, clean)
    entry = None
    if todo or saved is None or list(saved_columns) != [lf.lf_id for lf in lfs]:
        entry = store.write_part(i, ids, block, lfs, setup.label_space, faults, timeouts, th, lh)
    return _ChunkVotes(ids, block, th, lh, faults, timeouts, missing_text, computed=saved is None or bool(todo),
                       columns_computed=len(todo), entry=entry)


def _chunk_workers(config: RunConfig, lfs: list[Any]) -> int:
    """Threads voting chunks at once: ``lfs.workers`` (0: one per CPU), or 1 when an LF runs user code."""
    unsafe = [lf.name for lf in lfs if not lf.thread_safe]
    if unsafe:
        logger.info("voting one chunk at a time: LF(s) %s run user code that may not be thread-safe", unsafe[:5])
        return 1
    workers = config.lfs.workers or min(os.cpu_count() or 1, 8)
    logger.info("voting chunks on %d thread(s)", workers)
    return workers


def apply_stage(config: RunConfig, setup: _Setup, store: VoteStore, *, progress: bool | None = None
                ) -> _Applied:
    """Read, clean and vote chunk by chunk, reusing saved LF columns; returns the whole vote matrix values.

    Chunks are read in order on this thread and voted on ``lfs.workers`` threads (the string
    kernels release the GIL); their results are taken back in input order, so the votes, the
    saved parts and every error are those of a one-chunk-at-a-time run.
    """
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl
    import pyarrow.compute as pc
    from tqdm.auto import tqdm

    lfs = setup.registry.lfs
    gold_ids = pa.array(setup.gold.frame["row_id"].astype(str).unique(), type=pa.large_string()) \
        if setup.gold is not None else None
    values, text_hashes, loose_hashes, id_hashes = [], [], [], []
    gold_positions: dict[str, int] = {}
    faults = {lf.name: 0 for lf in lfs}
    timeouts = {lf.name: 0 for lf in lfs}
    missing_text = 0
    stats = {"computed": 0, "reused": 0, "columns_reused": 0, "columns_computed": 0}
    position = 0
    workers = _chunk_workers(config, lfs)
    disable = None if progress is None else not progress  # None: tqdm shows bars on a terminal only
    pending: deque[Any] = deque()

    def take(result: _ChunkVotes) -> None:
        nonlocal missing_text, position
        if result.entry is not None:
            store.record(len(values), result.entry)
        ids, n = result.ids, len(result.ids)
        id_hashes.append(pl.Series(ids).hash(seed=0).to_numpy())
        stats["computed" if result.computed else "reused"] += 1
        stats["columns_reused"] += len(lfs) - result.columns_computed
        stats["columns_computed"] += result.columns_computed
        for name, count in result.faults.items():
            faults[name] += count
        for name, count in result.timeouts.items():
            timeouts[name] += count
        missing_text += result.missing_text
        if gold_ids is not None:
            hits = np.flatnonzero(pc.is_in(ids, value_set=gold_ids).to_numpy(zero_copy_only=False))
            gold_positions.update(zip(ids.take(pa.array(hits)).to_pylist(), (position + hits).tolist()))
        values.append(result.block)
        text_hashes.append(result.text_hash)
        loose_hashes.append(result.loose_hash)
        position += n
        bar.update(n)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="weaksup-chunk") as pool, \
            tqdm(desc="reading, cleaning, applying LFs", unit="rows", unit_scale=True, disable=disable) as bar:
        try:
            for i, chunk in enumerate(_read_chunks(config, setup.columns)):
                if i == 0:
                    _check_fields(config, setup.registry, chunk)
                pending.append(pool.submit(_vote_chunk, config, setup, store, i, chunk))
                while len(pending) > workers:  # at most one chunk read ahead of the workers
                    take(pending.popleft().result())
            while pending:
                take(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
    if position == 0:
        raise DataError(f"input {config.input.example or config.input.path} has no rows; nothing to label")
    store.truncate(len(values))
    _check_unique_ids(config, store, np.concatenate(id_hashes))
    exact, near = _duplicate_counts(np.concatenate(text_hashes), np.concatenate(loose_hashes))
    prep = {"rows": position, "missing_text": missing_text, "exact_duplicates": exact, "near_duplicates": near}
    if setup.gold is not None:
        absent = [g for g in gold_ids.to_pylist() if g not in gold_positions]
        if absent:
            raise GoldSetError(f"gold set {setup.gold.task} ({setup.gold.path}): {len(absent)} row id(s) are not in "
                               f"the input, e.g. {absent[:5]}; the gold set labels another dataset, or "
                               f"input.id_column is wrong")
    return _Applied(np.concatenate(values), [lf.name for lf in lfs], [lf.version for lf in lfs], gold_positions,
                    faults, timeouts, prep, stats)


def _check_unique_ids(config: RunConfig, store: VoteStore, hashes: np.ndarray) -> None:
    """Ids must be unique across chunks (within a chunk they are checked as it is read)."""
    import polars as pl

    series = pl.Series(hashes)
    if series.n_unique() == len(hashes):
        return
    first = int(series.is_duplicated().arg_true()[0])
    rows = np.flatnonzero(hashes == hashes[first])[:2]
    bounds = np.cumsum([0] + [p["rows"] for p in store.parts])
    found = []
    for row in rows:
        part = int(np.searchsorted(bounds, row, side="right") - 1)
        found.append(store.row_ids(part)[int(row - bounds[part])].as_py())
    if found[0] != found[1]:  # a 64-bit hash collision between different ids: harmless
        return
    raise DataError(f"{_where(config, int(rows[1]))}: id {found[0]!r} is not unique (also row {int(rows[0])}); "
                    f"{config.input.id_column!r} must identify each row once")


def _append_clean(config: RunConfig, i: int, clean: pd.DataFrame) -> None:
    folder = config.output_dir / "clean"
    folder.mkdir(exist_ok=True)
    with atomic_path(folder / f"part-{i:05d}.parquet") as tmp:
        clean.to_parquet(tmp, index=False)


# ---------------------------------------------------------------------- fit
def fit_stage(config: RunConfig, setup: _Setup, applied: _Applied) -> Any:
    """Fit the label model on every row's votes (or a ``label_model.sample_rows`` sample), with the dev
    gold split when the model takes one."""
    settings = config.label_model
    model = setup.model_cls(cardinality=len(setup.label_space), seed=settings.seed, **settings.params)
    L = applied.values
    if 0 < settings.sample_rows < len(L):
        rows = np.sort(np.random.default_rng(settings.seed).choice(len(L), settings.sample_rows, replace=False))
        L = L[rows]
    kwargs: dict[str, Any] = {}
    if setup.gold is not None and "dev" in setup.gold.counts() and "L_dev" in inspect.signature(model.fit).parameters:
        dev = setup.gold.labels("dev")
        positions = np.array([applied.gold_positions[r] for r in dev.index], dtype=np.int64)
        kwargs = {"L_dev": applied.values[positions],
                  "y_dev": dev.map(setup.label_space.id).to_numpy(dtype=np.int64)}
        logger.info("fitting %s with the %d dev gold rows", type(model).__name__, len(positions))
    if "sample_weight" in inspect.signature(model.fit).parameters:  # the same fit on the distinct vote rows
        L, inverse = distinct_rows(L)
        kwargs["sample_weight"] = np.bincount(inverse, minlength=len(L))
    return model.fit(L, **kwargs)


# ---------------------------------------------------------------------- predict, route, write
def label_rows(
    L: np.ndarray,
    proba: np.ndarray,
    *,
    label_space: LabelSpace,
    lf_names: list[str],
    threshold: float,
    class_thresholds: dict[str, float] | None = None,
    conflict_threshold: float = 1.0,
    predictions: np.ndarray | None = None,
    tie_break: str = "abstain",
    seed: int = 0,
    reviewed: dict[int, int] | None = None,
) -> dict[str, np.ndarray]:
    """The label columns of a block of rows from their votes and probabilities.

    ``label`` is the label model's prediction (``predictions``; by default the most probable class,
    ``-1`` when the top classes tie and ``tie_break="abstain"``). A row ``needs_review`` when no LF
    voted on it, when it has no label, when its confidence is under its class's threshold, or when
    the share of votes against its label exceeds ``conflict_threshold``. ``reviewed`` maps a row's
    position in the block to a human label, which wins (confidence 1).

    Examples
    --------
    >>> L = np.array([[1, 1], [0, 1], [-1, -1]])
    >>> proba = np.array([[0.1, 0.9], [0.5, 0.5], [0.4, 0.6]])
    >>> out = label_rows(L, proba, label_space=LabelSpace(["ham", "spam"]), lf_names=["a", "b"], threshold=0.7)
    >>> out["label"].tolist(), out["review_status"].tolist(), out["sources"].tolist(), out["conflict"].tolist()
    ([1, -1, 1], ['auto', 'needs_review', 'needs_review'], ['a,b', '', ''], [False, True, False])
    """
    from weaksup.models.base import break_ties

    L = np.asarray(L)
    proba = np.array(proba, dtype=np.float64)
    k = len(label_space)
    voted = L != ABSTAIN
    n_votes = voted.sum(axis=1)
    label = np.array(predictions, dtype=np.int64) if predictions is not None else break_ties(proba, tie_break, seed)
    if reviewed:
        rows = np.fromiter(reviewed.keys(), dtype=np.int64, count=len(reviewed))
        label[rows] = np.fromiter(reviewed.values(), dtype=np.int64, count=len(reviewed))
        proba[rows] = np.eye(k)[label[rows]]
    confidence = proba.max(axis=1)
    low = np.where(voted, L, k).min(axis=1)
    high = L.max(axis=1)
    conflict = (n_votes > 0) & (low < high)
    agree = voted & (L == label[:, None]) & (label[:, None] >= 0)
    against = np.where(n_votes > 0, 1.0 - agree.sum(axis=1) / np.maximum(n_votes, 1), 0.0)
    limits = np.full(len(L), threshold)
    for name, value in (class_thresholds or {}).items():
        limits[label == label_space.id(name)] = value
    needs = (n_votes == 0) | (label == ABSTAIN) | (confidence < limits) | (against > conflict_threshold)
    status = np.where(needs, 1, 0)
    if reviewed:
        status[rows] = 2
    return {"label": label, "confidence": confidence, "proba": proba, "sources": _sources(agree, lf_names),
            "n_votes": n_votes.astype(np.int32), "conflict": conflict,
            "review_status": np.asarray(REVIEW_STATUSES, dtype=object)[status]}


def _sources(agree: np.ndarray, names: list[str]) -> np.ndarray:
    """Comma-joined names of the LFs set in each row of a boolean matrix (computed once per distinct row)."""
    if agree.shape[1] == 0:
        return np.full(len(agree), "", dtype=object)
    packed = np.ascontiguousarray(np.packbits(agree, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.array([",".join(n for n, hit in zip(names, agree[i]) if hit) for i in first], dtype=object)
    return texts[inverse.ravel()]


def _label_table(cols: dict[str, np.ndarray], label_space: LabelSpace, rule_version: str, model_name: str
                 ) -> pa.Table:
    """The label columns after ``row_id`` as an Arrow table (one row per row of ``cols``)."""
    names = np.asarray([*label_space, None], dtype=object)
    label = cols["label"]
    n = len(label)
    arrays: dict[str, pa.Array] = {
        "label": pa.array(names[np.where(label == ABSTAIN, len(label_space), label)], type=pa.string()),
        "confidence": pa.array(cols["confidence"]),
    }
    for c, name in enumerate(label_space):
        arrays[f"prob_{name}"] = pa.array(cols["proba"][:, c])
    arrays.update({
        "sources": pa.array(cols["sources"], type=pa.string()),
        "n_votes": pa.array(cols["n_votes"]),
        "conflict": pa.array(cols["conflict"]),
        "review_status": pa.array(cols["review_status"], type=pa.string()),
        "rule_version": pa.repeat(pa.scalar(rule_version, pa.string()), n),
        "label_model": pa.repeat(pa.scalar(model_name, pa.string()), n),
    })
    return pa.table(arrays)


class _LabelWriter:
    """Writes label tables chunk by chunk to a temporary file that becomes ``path`` only when closed whole."""

    def __init__(self, tmp: Path, fmt: str) -> None:
        self.tmp, self.fmt = tmp, fmt
        self._writer: Any = None
        self._fh: Any = None

    def write(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
            self._writer.write_table(table)
        elif self.fmt == "csv":
            import pyarrow.csv as pacsv

            if self._writer is None:
                self._writer = pacsv.CSVWriter(str(self.tmp), table.schema)
            self._writer.write_table(table)
        else:
            if self._fh is None:
                self._fh = open(self.tmp, "w", encoding="utf-8", newline="\n")
            text = table.to_pandas().to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
            self._fh.write(text if text.endswith("\n") or not text else text + "\n")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()


def _chunk_labels(model: Any, L: np.ndarray, chunk_reviewed: dict[int, int], *, config: RunConfig,
                  setup: _Setup, lf_names: list[str], seed: int) -> pa.Table:
    """A chunk's label table, without ``row_id``.

    Label models score a row from its votes alone, so with ``tie_break = "abstain"`` each distinct
    vote pattern is predicted and routed once and the chunk's table is taken from those rows (a
    chunk of 500,000 rows has a few hundred patterns); dev-gold rows keep rows of their own. The
    other tie-breaks depend on a row's position, and run on every row.
    """
    settings, review = config.label_model, config.review
    inverse = None
    patterns, reviewed = L, chunk_reviewed
    if settings.tie_break == "abstain":
        patterns, inverse = distinct_rows(L)
        if chunk_reviewed:
            rows = np.fromiter(chunk_reviewed, dtype=np.int64, count=len(chunk_reviewed))
            inverse = inverse.copy()
            inverse[rows] = len(patterns) + np.arange(len(rows))
            reviewed = {len(patterns) + k: label for k, label in enumerate(chunk_reviewed.values())}
            patterns = np.concatenate([patterns, L[rows]])
    cols = label_rows(patterns, model.predict_proba(patterns),
                      predictions=model.predict(patterns, tie_break=settings.tie_break),
                      label_space=setup.label_space, lf_names=lf_names, threshold=review.threshold,
                      class_thresholds=review.class_thresholds, conflict_threshold=review.conflict_threshold,
                      tie_break=settings.tie_break, seed=seed, reviewed=reviewed)
    table = _label_table(cols, setup.label_space, setup.registry.rule_version, type(model).__name__)
    return table if inverse is None else table.take(pa.array(inverse))


def write_stage(config: RunConfig, setup: _Setup, applied: _Applied, model: Any, store: VoteStore,
                *, progress: bool | None = None) -> dict[str, Any]:
    """Predict chunk by chunk, route, and write the labels atomically; returns counts for the summary.

    Each chunk is written on a second thread while the next one is predicted.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.compute as pc
    from tqdm.auto import tqdm

    space = setup.label_space
    reviewed: dict[int, int] = {}
    if setup.gold is not None and "dev" in setup.gold.counts():
        dev = setup.gold.labels("dev")
        reviewed = {applied.gold_positions[r]: space.id(lbl) for r, lbl in dev.items()}
    path = config.output_path
    fmt = OUTPUT_FORMATS[path.suffix.lower()]
    label_counts = dict.fromkeys([*space, "(abstain)"], 0)
    status_counts = dict.fromkeys(REVIEW_STATUSES, 0)
    conflicts = 0
    start = 0
    with atomic_path(path) as tmp, ThreadPoolExecutor(max_workers=1, thread_name_prefix="weaksup-write") as pool, \
            tqdm(total=len(applied.values), desc="predicting, writing labels", unit="rows", unit_scale=True,
                 disable=None if progress is None else not progress) as bar:
        writer = _LabelWriter(tmp, fmt)
        writing = None
        try:
            for i, part in enumerate(store.parts):
                stop = start + part["rows"]
                chunk_reviewed = {p - start: y for p, y in reviewed.items() if start <= p < stop}
                table = _chunk_labels(model, applied.values[start:stop], chunk_reviewed, config=config,
                                         setup=setup, lf_names=applied.lf_names, seed=config.label_model.seed + i)
                table = table.add_column(0, "row_id", store.row_ids(i).cast(pa.string()))
                for column, counts in (("label", label_counts), ("review_status", status_counts)):
                    for entry in pc.value_counts(table.column(column)).to_pylist():
                        counts[entry["values"] if entry["values"] is not None else "(abstain)"] += entry["counts"]
                conflicts += int(pc.sum(table.column("conflict")).as_py() or 0)
                if writing is not None:
                    writing.result()
                writing = pool.submit(writer.write, table)
                bar.update(stop - start)
                start = stop
            if writing is not None:
                writing.result()
        finally:
            if writing is not None:
                writing.exception()  # let a pending write finish before the file is closed
            writer.close()
    return {"label_counts": label_counts, "status_counts": status_counts, "conflicts": conflicts}


# ---------------------------------------------------------------------- evaluate, report, track
def _positional_gold(gold: Any, positions: dict[str, int]) -> Any:
    """The gold set keyed by row position instead of row id (so millions of ids need not be held)."""
    frame = gold.frame.copy()
    frame["row_id"] = frame["row_id"].map(positions).astype(np.int64)
    return dataclasses.replace(gold, frame=frame)


def report_stage(config: RunConfig, setup: _Setup, applied: _Applied, model: Any, identity_key: str) -> Any:
    """The label-quality report over every row (metrics on the gold split when a gold set is given)."""
    from weaksup.report import build_report

    n = len(applied.values)
    rows = np.arange(n)
    limit = config.output.report_rows
    if 0 < limit < n:  # LF statistics on a uniform sample that keeps every gold row; metrics stay exact
        gold_rows = np.fromiter(applied.gold_positions.values(), dtype=np.int64, count=len(applied.gold_positions))
        keep = np.ones(n, dtype=bool)
        keep[gold_rows] = False
        others = np.flatnonzero(keep)
        drawn = np.random.default_rng(config.label_model.seed).choice(others, max(limit - len(gold_rows), 0),
                                                                       replace=False)
        rows = np.sort(np.concatenate([gold_rows, drawn]))
        logger.info("report: LF statistics on a sample of %d of the %d rows (output.report_rows)", len(rows), n)
    votes = VoteMatrix(applied.values[rows], row_ids=rows, lf_names=applied.lf_names,
                       lf_versions=applied.lf_versions, label_space=setup.label_space, faults=applied.faults)
    gold = data = None
    if setup.gold is not None:
        gold = _positional_gold(setup.gold, applied.gold_positions)
        text = config.input.text_column
        if text:
            data = _gold_texts(config, setup, applied.gold_positions)
    report = build_report(votes, lfs=setup.registry, gold=gold, model=model, data=data, split=config.gold.split,
                          tie_break=config.label_model.tie_break, text_column=config.input.text_column or "text",
                          id_column="row_id", title=f"Label quality: {config.task.name}")
    if report.errors is not None and "row_id" in report.errors:
        by_position = {p: r for r, p in applied.gold_positions.items()}
        report.errors["row_id"] = report.errors["row_id"].map(by_position)
    report.params["data_hash"] = identity_key
    report.params["task"] = config.task.name
    report.params["n_rows"] = str(n)
    report.params["report_rows"] = str(len(rows))
    return report


def _gold_texts(config: RunConfig, setup: _Setup, positions: dict[str, int]) -> pd.DataFrame:
    """The cleaned text of the gold rows (for the report's LF error examples), read again chunk by chunk."""
    from weaksup.data import prepare

    wanted = set(positions)
    id_col, text = config.input.id_column, config.input.text_column
    frames = []
    for chunk in _read_chunks(config, [id_col, text]):
        chunk = chunk[chunk[id_col].astype(str).isin(wanted)]
        if len(chunk):
            clean, _ = prepare(chunk.assign(**{id_col: chunk[id_col].astype(str)}), text=text, id_column=id_col,
                               normalize=config.clean.normalize, mask=config.clean.mask, duplicates=False)
            frames.append(pd.DataFrame({"row_id": clean[id_col].map(positions), text: clean[text]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"row_id": [], text: []})


def _log_run(config: RunConfig, report: Any, setup: _Setup, summary: dict[str, Any], run_json: Path) -> str | None:
    """Log the report and the run's own numbers to MLflow as one run; a failure is a warning."""
    import mlflow

    from weaksup.tracking import log_report

    try:
        with mlflow.start_run(run_name=f"{config.task.name}-{setup.registry.rule_version}") as active:
            mlflow.log_params({f"config.{k}": str(v)[:500] for k, v in _flatten(config.to_dict()).items()})
            mlflow.log_metrics({k: float(v) for k, v in summary.items()})
            mlflow.log_artifact(str(run_json))
            run_id = log_report(report, gold=setup.gold, tags={"weaksup.stage": "run", "weaksup.task": config.task.name})
            return run_id or active.info.run_id
    except Exception as exc:  # the labels are written; tracking must not fail the run
        if config.mlflow.require:
            from weaksup.errors import TrackingError

            raise TrackingError(f"logging the run to MLflow failed: {exc}") from exc
        logger.warning("the run was NOT logged to MLflow: %s", exc)
        return None


def _flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# ---------------------------------------------------------------------- the run
def run(config: RunConfig, *, resume: bool = False, fresh: bool = False, progress: bool | None = None,
        stop_after: str | None = None) -> RunResult:
    """Run the whole flow a config describes and write the run folder.

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
    """
    with _tracking_scope(config.mlflow.enabled):
        return _run(config, resume=resume, fresh=fresh, progress=progress, stop_after=stop_after)


def _run(config: RunConfig, *, resume: bool, fresh: bool, progress: bool | None, stop_after: str | None
         ) -> RunResult:
    """The body of :func:`run`."""
    if resume and fresh:
        raise ConfigError("--resume and --fresh contradict each other; drop one")
    timer = _Timer()
    started = time.perf_counter()
    setup = _setup(config)
    run_dir = config.output_dir
    _remove_stale_temporaries(run_dir)
    files, identity = _input_identity(config)
    votes_dir = run_dir / "votes"
    if resume and not (votes_dir / "index.json").exists():
        raise ConfigError(f"--resume: {votes_dir} holds no saved votes of an earlier run; run without --resume")
    store = VoteStore(votes_dir, identity, reuse=config.output.reuse_votes and not fresh)
    if resume:
        logger.warning("resuming: %d chunk(s) of votes were saved by the earlier run", store.done)
    uri = start_tracking(config) if stop_after is None else None
    timer.add("setup", started)

    t = time.perf_counter()
    applied = apply_stage(config, setup, store, progress=progress)
    timer.add("read+clean+apply", t)
    n = len(applied.values)
    coverage = float((applied.values != ABSTAIN).any(axis=1).mean()) if applied.values.shape[1] else 0.0
    base = dict(config=config, run_dir=run_dir, labels_path=config.output_path, n_rows=n, n_lfs=len(applied.lf_names),
                rule_version=setup.registry.rule_version, coverage=coverage, faults=applied.faults,
                timeouts=applied.timeouts,
                prep=applied.prep, chunks=applied.chunks, conflicts=0)
    if stop_after == "apply":
        return RunResult(label_model="", label_counts={}, status_counts={}, timings=timer.seconds, **base)

    t = time.perf_counter()
    model = fit_stage(config, setup, applied)
    model.save(run_dir / "label_model.json")
    timer.add("fit", t)
    base["label_model"] = type(model).__name__
    if stop_after == "fit":
        return RunResult(label_counts={}, status_counts={}, timings=timer.seconds, **base)

    t = time.perf_counter()
    written = write_stage(config, setup, applied, model, store, progress=progress)
    timer.add("predict+route+write", t)
    base["conflicts"] = written.pop("conflicts")
    result = RunResult(**base, **written, timings=timer.seconds)

    report = None
    if config.output.report or setup.gold is not None:
        t = time.perf_counter()
        report = report_stage(config, setup, applied, model, store.key)
        if report.evaluation is not None:
            result.metrics = {k: float(v) for k, v in report.evaluation.model.as_dict().items()}
            result.metrics.update({f"majority_vote.{k}": float(v)
                                   for k, v in report.evaluation.baseline.as_dict().items()})
            result.gold = {"task": setup.gold.task, "version": setup.gold.version, "hash": setup.gold.hash,
                           "split": config.gold.split, "counts": setup.gold.counts(),
                           "describe": setup.gold.describe()}
        if config.output.report:
            result.report_path = report.write_html(run_dir / "report.html")
        timer.add("evaluate+report", t)

    run_json = run_dir / "run.json"
    _write_run_json(run_json, result, setup, files)
    if uri is not None and report is not None:
        t = time.perf_counter()
        total = max(n, 1)
        summary = {"rows": n, "coverage": coverage, "needs_review_share": result.status_counts["needs_review"] / total,
                   "reviewed_rows": result.status_counts["reviewed"], "conflict_share": result.conflicts / total}
        result.mlflow_uri, result.mlflow_run_id = uri, _log_run(config, report, setup, summary, run_json)
        timer.add("mlflow", t)
        _write_run_json(run_json, result, setup, files)
    if report is not None:
        report.close()
    result.timings["total"] = time.perf_counter() - started
    logger.info("run finished in %.1f s", result.timings["total"])
    return result


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Temporary files a killed run left behind (``atomic_path`` names them ``.<name>.<random><suffix>``)."""
    if run_dir.is_dir():
        for folder in (run_dir, run_dir / "votes"):
            if folder.is_dir():
                for tmp in folder.glob(".*.*"):
                    if tmp.is_file() and not tmp.name.startswith(".weaksup-write-check"):
                        tmp.unlink(missing_ok=True)


def _write_run_json(path: Path, result: RunResult, setup: _Setup, files: list[Path]) -> None:
    doc = {
        "format": _RUN_FORMAT, "format_version": 1, "status": "finished",
        "task": result.config.task.name, "label_space": list(setup.label_space),
        "project": result.config.project, "config_source": result.config.source,
        "config": result.config.to_dict(),
        "input_files": [str(f) for f in files],
        "rule_version": result.rule_version,
        "lfs": setup.registry.manifest(),
        "label_model": result.label_model,
        "gold": result.gold,
        "counts": {"rows": result.n_rows, "coverage": result.coverage, "labels": result.label_counts,
                   "review_status": result.status_counts, "conflicts": result.conflicts, "faults": result.faults,
                   "timeouts": result.timeouts,
                   "prep": result.prep, "chunks": result.chunks},
        "metrics": result.metrics,
        "outputs": {"labels": result.labels_path.name, "votes": "votes/", "label_model": "label_model.json",
                    "report": result.report_path.name if result.report_path else None},
        "mlflow": {"uri": result.mlflow_uri, "run_id": result.mlflow_run_id},
        "timings": result.timings,
        "environment": {"python": platform.python_version()},
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")


# ---------------------------------------------------------------------- reading a run back
@dataclass
class Run:
    """A finished run folder, read back (see :func:`load_run`)."""

    run_dir: Path
    manifest: dict[str, Any]
    config: RunConfig

    @property
    def label_space(self) -> LabelSpace:
        return LabelSpace(self.manifest["label_space"])

    @property
    def labels_path(self) -> Path:
        return self.run_dir / self.manifest["outputs"]["labels"]

    @property
    def labels(self) -> pd.DataFrame:
        """The labels output as a DataFrame (one row per input row)."""
        path = self.labels_path
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, dtype={"row_id": str, "label": str, "sources": str}, keep_default_na=False,
                               na_values={"label": [""]})
        return pd.read_json(path, lines=True, dtype={"row_id": str})

    @property
    def gold(self) -> Any:
        if not self.config.gold.path:
            return None
        from weaksup.gold import load_gold

        return load_gold(self.config.resolve(self.config.gold.path, "gold.path"), label_space=self.label_space)

    def votes(self) -> VoteMatrix:
        """The whole vote matrix (all chunks)."""
        return load_votes(self.run_dir)

    def model(self) -> Any:
        from weaksup.models import LabelModel

        return LabelModel.load(self.run_dir / "label_model.json")

    def read_input(self) -> pd.DataFrame:
        """The input rows as the LFs saw them (read and cleaned as in the run), ids as text."""
        cfg = self.config
        frames = []
        for chunk in _read_chunks(cfg, None):
            chunk = chunk.assign(**{cfg.input.id_column: chunk[cfg.input.id_column].astype(str)})
            if cfg.input.text_column:
                from weaksup.data import prepare

                chunk, _ = prepare(chunk, text=cfg.input.text_column, id_column=cfg.input.id_column,
                                   normalize=cfg.clean.normalize, lowercase_into=cfg.clean.lowercase_into or None,
                                   mask=cfg.clean.mask, duplicates=False)
            frames.append(chunk)
        return pd.concat(frames, ignore_index=True)


def load_votes(run_dir: str | os.PathLike[str]) -> VoteMatrix:
    """The whole vote matrix saved in a run folder's ``votes/`` (all chunks, in row order)."""
    folder = Path(run_dir) / "votes"
    index = folder / "index.json"
    if not index.is_file():
        raise DataError(f"{run_dir}: no saved votes ({index} is missing); run `weaksup apply CONFIG` first")
    parts = [VoteMatrix.load(folder / p["file"]) for p in json.loads(index.read_text(encoding="utf-8"))["parts"]]
    first = parts[0]
    return VoteMatrix(np.concatenate([p.values for p in parts]), row_ids=np.concatenate([p.row_ids for p in parts]),
                      lf_names=first.lf_names, lf_versions=first.lf_versions, label_space=first.label_space,
                      faults={k: sum(p.faults.get(k, 0) for p in parts) for k in first.lf_names})


def load_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read a run folder written by :func:`run` (its ``run.json``).

    Examples
    --------
    >>> load_run("no/such/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: no/such/run: not a run folder (no run.json); run `weaksup run CONFIG` first...
    """
    folder = Path(run_dir)
    path = folder / "run.json"
    if folder.is_file() and folder.name == "run.json":
        folder, path = folder.parent, folder
    if not path.is_file():
        raise DataError(f"{run_dir}: not a run folder (no run.json); run `weaksup run CONFIG` first, or give the "
                        "folder of its output.path")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); the run folder is damaged, re-run it") from None
    if manifest.get("format") != _RUN_FORMAT:
        raise DataError(f"{path}: not a weaksup run manifest (format {manifest.get('format')!r})")
    config = RunConfig.from_dict(manifest["config"], source=str(path), project=manifest.get("project"))
    return Run(folder, manifest, config)
