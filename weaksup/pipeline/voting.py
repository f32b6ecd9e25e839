"""The apply stage of a run: read, clean and vote chunk by chunk on worker threads, reusing saved votes."""

from __future__ import annotations

import ctypes
import io
import logging
import os
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup.config import RunConfig
from weaksup.data.columns import stored_as_text
from weaksup.errors import DataError, MissingColumnError
from weaksup.labels import ABSTAIN
from weaksup.pipeline.inputs import (changed_by_cleaning, check_fields, check_unique_ids, chunk_ids, clean_chunk,
                                     duplicate_counts, read_chunks)
from weaksup.pipeline.plan import RunPlan
from weaksup.pipeline.vote_store import VoteStore, write_file

if TYPE_CHECKING:
    from weaksup.lf.core import LabelingFunction

logger = logging.getLogger(__name__)
#: One INFO line per chunk voted, when no progress bar is shown (stderr is not a terminal: a batch job, a log
#: file). The ``weaksup`` command shows this logger's INFO lines without ``-v``; ``--no-progress`` silences them.
progress_logger = logging.getLogger("weaksup.progress")

#: Beyond this many LFs a chunk's votes are kept column by column while it is voted (see vote_chunk).
WIDE_LFS = 64


@dataclass(frozen=True)
class AppliedVotes:
    """The whole vote matrix of a run (LFs in the order of ``plan.registry``) and what the summary needs.

    ``gold_positions`` maps each gold row id to its row position; ``prep`` counts rows, rows without
    text and duplicates; ``chunks`` counts chunks and LF columns computed or reused.
    """

    values: np.ndarray
    gold_positions: dict[str, int]
    faults: dict[str, int]
    timeouts: dict[str, int]
    prep: dict[str, int]
    chunks: dict[str, int]

    @property
    def coverage(self) -> float:
        """The share of rows with at least one vote (a row's largest vote is not ABSTAIN: no rows x LFs mask,
        which at a thousand LFs would take as much memory as the votes). Text cells (a spans run's: the
        document last) count a row whose LF cells hold some span."""
        if not self.values.size:
            return 0.0
        if self.values.dtype == object:
            return float(np.mean([any(cell != "[]" for cell in row[:-1]) for row in self.values]))
        return float((self.values.max(axis=1) != ABSTAIN).mean())


@dataclass(frozen=True)
class ChunkVotes:
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
    text_changed: int = 0  # rows whose text cleaning changed


def vote_chunk(plan: RunPlan, store: VoteStore, i: int, chunk: pd.DataFrame) -> ChunkVotes:
    """Check, clean and vote one chunk, reusing its saved LF columns; saves the chunk's part (not the index).

    Only reads ``plan`` and writes chunk ``i``'s own files, so chunks can be voted on several threads.
    """
    from weaksup.data import as_text_series, duplicate_keys

    config = plan.config
    lfs = plan.registry.lfs
    columns, owners = plan.task.vote_columns(lfs, plan.label_space)  # classification: one column per LF
    text = config.input.text_column
    ids = chunk_ids(config, chunk)
    saved = store.get(i, ids, plan.vote_space)
    saved_columns = saved.columns if saved is not None else {}
    stale = {owners[j] for j, column in enumerate(columns) if column.lf_id not in saved_columns}
    if saved is not None and not config.lfs.fault_tolerant:  # saved by a fault-tolerant run: recomputed, so it raises
        stale |= faulted_lfs(lfs, saved.faults, saved.timeouts)
    todo = [lf for j, lf in enumerate(lfs) if j in stale or not lf.cacheable]  # not cacheable: recompute
    # Many LFs: Fortran order, each LF's column contiguous, so LFs write their votes in place and the part
    # is saved without copying them (Arrow takes contiguous columns as they are; a strided column of rows
    # wider than a cache line costs a cache miss a vote); the run puts the chunk in row order when it takes it
    order: Literal["C", "F"] = "F" if len(columns) > WIDE_LFS else "C"
    block = np.full((len(chunk), len(columns)), ABSTAIN, dtype=plan.task.vote_dtype(plan.label_space), order=order)
    faults: dict[str, int] = {}
    timeouts: dict[str, int] = {}
    recomputed = {id(lf) for lf in todo}
    for j, column in enumerate(columns):
        if saved is not None and id(lfs[owners[j]]) not in recomputed:
            block[:, j] = saved_columns[column.lf_id]
    for lf in lfs:
        if saved is not None and id(lf) not in recomputed:
            faults[lf.name] = int(saved.faults.get(lf.name, 0))
            timeouts[lf.name] = int(saved.timeouts.get(lf.name, 0))
    missing_text = text_changed = 0
    if saved is not None and not todo:
        th, lh = saved.text_hash, saved.loose_hash
        if text:
            missing_text = int((th == 0).sum())
            text_changed = changed_by_cleaning(config, chunk, th)
        if config.output.write_clean and not clean_part_path(config, i).is_file():  # votes reused, chunk not cleaned
            write_clean_part(config, i, clean_chunk(
                config, chunk.assign(**{config.input.id_column: as_text_series(ids, chunk.index)}))[0])
    else:
        clean = chunk.assign(**{config.input.id_column: as_text_series(ids, chunk.index)})
        th = lh = np.zeros(len(clean), np.uint64)
        clean, missing_text, text_changed = clean_chunk(config, clean)
        if text and config.clean.duplicates != "off":
            th, lh = duplicate_keys(pa.array(clean[text], from_pandas=True, type=pa.large_string()),
                                    near=config.clean.duplicates == "near")
        if todo:
            into = block if len(todo) == len(lfs) else None  # every column computed: written straight into the block
            try:
                values, fresh_faults, fresh_timeouts = plan.task.apply(
                    todo, clean, label_space=plan.label_space, id_column=config.input.id_column,
                    fault_tolerant=config.lfs.fault_tolerant, lf_timeout=config.lfs.lf_timeout or None, out=into)
            except DataError as exc:  # a threshold LF over a column of text: say how the input file made it text
                fields = getattr(exc, "text_fields", None)
                if fields and exc.args:
                    exc.args = (f"{exc.args[0]}. {stored_as_text(config.input.path, fields[0])}", *exc.args[1:])
                raise
            if values is not block:
                targets = [j for j, owner in enumerate(owners) if id(lfs[owner]) in recomputed]
                for j, column in zip(targets, values.T):
                    block[:, j] = column
            for lf in todo:
                faults[lf.name] = int(fresh_faults.get(lf.name, 0))
                timeouts[lf.name] = int(fresh_timeouts.get(lf.name, 0))
        if config.output.write_clean:
            write_clean_part(config, i, clean)
    entry = None
    if todo or saved is None or list(saved_columns) != [column.lf_id for column in columns]:
        entry = store.write_part(i, ids, block, columns, plan.vote_space, faults, timeouts, th, lh)
    return ChunkVotes(ids, block, th, lh, faults, timeouts, missing_text, computed=saved is None or bool(todo),
                      columns_computed=len(todo), entry=entry, text_changed=text_changed)


def faulted_lfs(lfs: list[LabelingFunction], faults: dict[str, int], timeouts: dict[str, int]) -> set[int]:
    """The positions in ``lfs`` of the LFs whose saved column recorded faults or timeouts on some rows.

    Such a column holds abstains a fault-tolerant run put in place of the LF's errors; a run without
    ``lfs.fault_tolerant`` recomputes it rather than reuse it, so the LF's error stops it as it stops a fresh run.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> lfs = [keyword_lf("a", "x", 1), keyword_lf("b", "y", 1), keyword_lf("c", "z", 1)]
    >>> sorted(faulted_lfs(lfs, {"a": 0, "b": 3}, {"c": 1}))
    [1, 2]
    """
    return {j for j, lf in enumerate(lfs) if faults.get(lf.name, 0) or timeouts.get(lf.name, 0)}


def known_rows(config: RunConfig) -> int | None:
    """The rows of the input when its files say so without a read (Parquet metadata), else None.

    Examples
    --------
    >>> known_rows(RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv"},
    ...                                 "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}}))
    """
    import pyarrow.parquet as pq

    from weaksup.data import input_files

    if config.input.example:
        return None
    try:
        files = input_files(config.resolve(config.input.path, "input.path"), encoding=config.input.encoding)
        if not files or any(f.suffix.lower() != ".parquet" for f in files):
            return None
        return sum(int(pq.ParquetFile(f).metadata.num_rows) for f in files)
    except Exception:  # noqa: BLE001 - a progress helper never fails; the read names what is wrong
        return None


class ChunkProgress:
    """The progress line of each chunk taken: rows done (of the total when known), rows per second.

    Examples
    --------
    >>> ChunkProgress(total=1000, started=0.0).line(0, 250, computed=True, now=2.0)
    'chunk 1 voted: 250 of 1,000 rows (25%), 125 rows/s'
    >>> ChunkProgress(total=None, started=0.0).line(1, 600, computed=False, now=3.0)
    'chunk 2 reused (saved votes): 600 rows, 200 rows/s'
    """

    def __init__(self, total: int | None, started: float) -> None:
        self.total, self.started = total, started

    def line(self, i: int, done: int, *, computed: bool, now: float) -> str:
        rate = done / max(now - self.started, 1e-9)
        of = f" of {self.total:,} rows ({done / self.total:.0%})" if self.total else " rows"
        return f"chunk {i + 1} {'voted' if computed else 'reused (saved votes)'}: {done:,}{of}, {rate:,.0f} rows/s"


def chunk_workers(config: RunConfig, lfs: list[LabelingFunction]) -> int:
    """Threads voting chunks at once: ``lfs.workers`` (0: one per CPU), or 1 when an LF runs user code."""
    unsafe = [lf.name for lf in lfs if not lf.thread_safe]
    if unsafe:
        logger.info("voting one chunk at a time: LF(s) %s run user code that may not be thread-safe", unsafe[:5])
        return 1
    workers = config.lfs.workers or min(os.cpu_count() or 1, 8)
    logger.info("voting chunks on %d thread(s)", workers)
    return workers


def apply_stage(plan: RunPlan, store: VoteStore, *, progress: bool | None = None) -> AppliedVotes:
    """Read, clean and vote chunk by chunk, reusing saved LF columns; returns the whole vote matrix values.

    Chunks are read in order on this thread and voted on ``lfs.workers`` threads (the string
    kernels release the GIL); their results are taken back in input order, so the votes, the
    saved parts and every error are those of a one-chunk-at-a-time run.
    """
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl
    import pyarrow.compute as pc
    from tqdm.auto import tqdm

    from weaksup.interrupt import result_of, stop_on_interrupt, stop_scope

    config = plan.config
    lfs = plan.registry.lfs
    gold_ids = pa.array(plan.gold.frame["row_id"].astype(str).unique(), type=pa.large_string()) \
        if plan.gold is not None else None
    values: list[np.ndarray] = []
    text_hashes: list[np.ndarray] = []
    loose_hashes: list[np.ndarray] = []
    id_hashes: list[np.ndarray] = []
    gold_positions: dict[str, int] = {}
    some_ids: list[str] = []  # the first chunk's, for the error of gold ids that lost their leading zeros
    faults = {lf.name: 0 for lf in lfs}
    timeouts = {lf.name: 0 for lf in lfs}
    missing_text = text_changed = 0
    stats = {"computed": 0, "reused": 0, "columns_reused": 0, "columns_computed": 0}
    position = 0
    workers = chunk_workers(config, lfs)
    disable = None if progress is None else not progress  # None: tqdm shows bars on a terminal only
    pending: deque[Future[ChunkVotes]] = deque()

    def take(result: ChunkVotes) -> None:
        nonlocal missing_text, text_changed, position
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
        text_changed += result.text_changed
        if gold_ids is not None:
            some_ids.extend(ids.slice(0, 10_000).to_pylist() if not some_ids else ())
            hits = np.flatnonzero(pc.is_in(ids, value_set=gold_ids).to_numpy(zero_copy_only=False))
            gold_positions.update(zip(ids.take(pa.array(hits)).to_pylist(), (position + hits).tolist()))
        values.append(result.block)  # as voted (column order when wide): stack_blocks copies it once, in row order
        text_hashes.append(result.text_hash)
        loose_hashes.append(result.loose_hash)
        position += n
        bar.update(n)
        if lines is not None:
            progress_logger.info(lines.line(len(values) - 1, position, computed=result.computed, now=time.monotonic()))

    with stop_scope(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="weaksup-chunk") as pool, \
            tqdm(desc="reading, cleaning, applying LFs", unit="rows", unit_scale=True, disable=disable) as bar, \
            stop_on_interrupt():  # Ctrl-C: the chunk threads send no new prompt before the pool waits for them
        # no bar shown (not a terminal) and not --no-progress: a line per chunk, so a batch job is seen alive
        lines = ChunkProgress(known_rows(config), time.monotonic()) if bar.disable and progress is not False \
            else None
        try:
            for i, chunk in enumerate(read_chunks(config, plan.columns)):
                if i == 0:
                    check_fields(config, plan.registry, chunk)
                pending.append(pool.submit(vote_chunk, plan, store, i, chunk))
                while len(pending) > workers:  # at most one chunk read ahead of the workers
                    take(result_of(pending.popleft()))
            while pending:
                take(result_of(pending.popleft()))
        except MissingColumnError:
            first = next(read_chunks(config, None), None) if position == 0 and plan.columns is not None else None
            if first is not None:  # a column an LF declares: name the LF that reads it
                check_fields(config, plan.registry, first)
            raise
        finally:
            for future in pending:
                future.cancel()
    if position == 0:
        raise DataError(f"input {config.input.example or config.input.path} has no rows; nothing to label")
    store.truncate(len(values))
    check_unique_ids(config, np.concatenate(id_hashes), store.part_rows, store.row_ids)
    exact, near = duplicate_counts(np.concatenate(text_hashes), np.concatenate(loose_hashes))
    prep = {"rows": position, "missing_text": missing_text, "exact_duplicates": exact, "near_duplicates": near,
            "text_changed": text_changed}
    if plan.gold is not None and gold_ids is not None:
        absent = [g for g in gold_ids.to_pylist() if g not in gold_positions]
        if absent:
            from weaksup.gold.origins import absent_ids_error

            raise absent_ids_error(plan.gold, absent, str(config.input.example or config.input.path), some_ids)
    return AppliedVotes(stack_blocks(values), gold_positions, faults, timeouts, prep, stats)


def stack_blocks(blocks: list[np.ndarray]) -> np.ndarray:
    """The chunks' vote blocks as one matrix, each block released once copied: about one vote matrix in
    memory at a time, where ``np.concatenate`` holds two (the pages of ``np.empty`` are only taken as
    they are written).

    Examples
    --------
    >>> blocks = [np.array([[0, 1]], dtype=np.int8), np.array([[1, -1], [0, 0]], dtype=np.int8)]
    >>> stack_blocks(blocks).tolist(), blocks
    ([[0, 1], [1, -1], [0, 0]], [])
    """
    out = np.empty((sum(len(b) for b in blocks), blocks[0].shape[1]), dtype=blocks[0].dtype)
    start = 0
    blocks.reverse()
    while blocks:
        block = blocks.pop()
        out[start:start + len(block)] = block
        start += len(block)
        del block
    return out


def release_freed_memory() -> None:
    """Hand memory freed by a stage back to the system: Arrow's pool keeps freed blocks for reuse and glibc's
    allocator keeps freed heap pages, so the peak of the next stage would stack on pages nobody uses.

    Examples
    --------
    >>> release_freed_memory()
    """
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL(None)
        trim = getattr(libc, "malloc_trim", None)  # glibc only
        if trim is not None:
            trim(0)
    except OSError:  # pragma: no cover - no C library to load
        pass


def clean_part_path(config: RunConfig, i: int) -> Path:
    """Where chunk ``i`` as cleaned is saved (``output.write_clean``): ``<run dir>/clean/part-<i>.parquet``.

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "x.csv"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}})
    >>> clean_part_path(config, 3).relative_to(config.output_dir).as_posix()
    'clean/part-00003.parquet'
    """
    return config.output_dir / "clean" / f"part-{i:05d}.parquet"


def write_clean_part(config: RunConfig, i: int, clean: pd.DataFrame) -> None:
    """Save chunk ``i`` as cleaned (``output.write_clean``) in ``<run dir>/clean/``: a chunk whose votes are
    reused is written too when its part is missing (a run that had ``write_clean`` off saved the votes)."""
    path = clean_part_path(config, i)
    path.parent.mkdir(exist_ok=True)
    buffer = io.BytesIO()
    clean.to_parquet(buffer, index=False)
    write_file(path, buffer.getbuffer())
