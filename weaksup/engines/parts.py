"""The map steps every engine runs on one input part (the engines only distribute them):

- :func:`part_votes`: the part's votes, from the vote cache where saved, voting only the missing LF columns;
- :func:`count_part`: its pattern counts and gold rows (the map of the fit's reduce);
- :func:`label_part`: its labels written to the staging folder (skipped when already finished: resume).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from weaksup.engines.batch import BatchSpec, InputPart, read_part, vote_frame
from weaksup.engines.cache import VoteCache
from weaksup.engines.commit import PartResult, StagedRun
from weaksup.engines.predict import PredictionTable, label_arrow
from weaksup.engines.stats import gold_patterns, merge_pattern_counts, pattern_counts


@dataclass(frozen=True)
class PartStats:
    """What :func:`count_part` sends back to the driver: ``counts`` (patterns), ``gold`` (the gold rows' id and
    votes), ``computed`` (LF columns voted here rather than read from the cache), ``rows``."""

    counts: pd.DataFrame
    gold: pd.DataFrame
    computed: int
    rows: int
    #: Rows each LF (by name) faulted on in this part (abstained under ``lfs.fault_tolerant``).
    faults: dict[str, int] = field(default_factory=dict)


def merge_part_stats(stats: list[PartStats]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The reduce of the fit: the parts' pattern counts summed exactly, their gold rows, the LF columns voted."""
    counts = merge_pattern_counts([s.counts for s in stats])
    return counts, pd.concat([s.gold for s in stats], ignore_index=True), sum(s.computed for s in stats)


def part_faults(stats: list[PartStats]) -> dict[str, int]:
    """The rows each LF faulted on, summed over the parts (LFs with none left out)."""
    total: dict[str, int] = {}
    for s in stats:
        for name, n in s.faults.items():
            total[name] = total.get(name, 0) + n
    return {name: n for name, n in total.items() if n}


def vote_dir(spec: BatchSpec) -> Path:
    """The vote cache folder of an engine run: ``<output folder>/engine_votes`` (``votes/`` is the streaming run's)."""
    return spec.config.output_dir / "engine_votes"


def part_votes(spec: BatchSpec, part: InputPart, votes_at: Path | None = None,
               faults: dict[str, int] | None = None) -> tuple[pd.DataFrame, int]:
    """``[id_column] + lf_ids`` of a part and how many LF columns were voted (the rest came from the cache);
    ``faults`` (when given) gets each LF name's count of rows it faulted on, voted now or when it was cached."""
    cache = VoteCache.of(spec, votes_at if votes_at is not None else vote_dir(spec))
    todo = cache.missing(part, spec.lf_ids, spec.uncacheable, fault_tolerant=spec.config.lfs.fault_tolerant)
    found: dict[str, int] = {}
    if todo:
        frame = read_part(part, spec.columns, strings=spec.strings)
        fresh = vote_frame(spec, frame, part=part.path, only=todo, faults=found)
        for lf_id in todo:
            cache.put(part, lf_id, fresh[lf_id].to_numpy(), found.get(lf_id, 0))
        ids = fresh[spec.id_column]
    else:
        ids = read_part(part, [spec.id_column], strings=[spec.id_column])[spec.id_column]
        fresh = pd.DataFrame(index=pd.RangeIndex(len(ids)))
    columns: dict[str, object] = {spec.id_column: ids.to_numpy(dtype=object)}
    for lf_id in spec.lf_ids:
        if lf_id in fresh.columns:
            columns[lf_id] = fresh[lf_id].to_numpy(dtype=np.int8)
        else:
            saved = cache.get(part, lf_id)
            if saved is None:  # removed between the check and the read: vote it now
                frame = read_part(part, spec.columns, strings=spec.strings)
                saved = vote_frame(spec, frame, part=part.path, only=[lf_id], faults=found)[lf_id].to_numpy(
                    dtype=np.int8)
                cache.put(part, lf_id, saved, found.get(lf_id, 0))
                todo.append(lf_id)
            else:
                found[lf_id] = cache.faults(part, lf_id)
            columns[lf_id] = saved
    if faults is not None:
        for lf_id, n in found.items():
            name = lf_id.partition("@")[0]
            faults[name] = faults.get(name, 0) + n
    return pd.DataFrame(columns), len(todo)


def id_hashes(spec: BatchSpec, part: InputPart, votes_at: Path | None = None,
              ids: pd.Series | None = None) -> np.ndarray:
    """The 64-bit hashes of a part's row ids (as the streaming run hashes them), saved beside its votes."""
    import os

    import polars as pl
    import pyarrow as pa

    cache = VoteCache.of(spec, votes_at if votes_at is not None else vote_dir(spec))
    path = cache.ids_file(part)
    try:
        saved: np.ndarray = np.load(path, allow_pickle=False)
        if len(saved) == part.rows:
            return saved
    except (OSError, ValueError):
        pass
    if ids is None:
        ids = read_part(part, [spec.id_column], strings=[spec.id_column])[spec.id_column]
    hashes: np.ndarray = pl.Series(pa.array(ids.to_numpy(dtype=object), type=pa.large_string())).hash(seed=0).to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".ids.{os.getpid()}.tmp.npy")
    np.save(tmp, hashes, allow_pickle=False)
    os.replace(tmp, path)
    return hashes


def count_part(spec: BatchSpec, part: InputPart, votes_at: Path | None, gold_ids: frozenset[str]) -> PartStats:
    """The map of the fit: a part's pattern counts and gold rows."""
    faults: dict[str, int] = {}
    votes, computed = part_votes(spec, part, votes_at, faults)
    if len(votes) != part.rows:
        from weaksup.errors import DataError

        raise DataError(f"{part.path}: {len(votes)} rows read, its metadata says {part.rows}; the part changed during "
                        "the run: run again")
    id_hashes(spec, part, votes_at, votes[spec.id_column])
    return PartStats(pattern_counts(votes, spec.lf_ids), gold_patterns(votes, gold_ids), computed, len(votes),
                     faults)


def label_part(spec: BatchSpec, table: PredictionTable, part: InputPart, staged: StagedRun,
               votes_at: Path | None = None) -> PartResult:
    """The map of the write: a part's labels into the staging folder (a finished part is kept as it is)."""
    if staged.done(part):
        return staged.result(part)
    votes, _ = part_votes(spec, part, votes_at)
    final = None
    if table.labeler is not None:
        from weaksup.engines.endmodel import final_proba, read_end_part

        frame = read_end_part(spec, part)  # (the text, or every column of a tabular input)
        L = votes[list(spec.lf_ids)].to_numpy(dtype=np.int8)
        final = final_proba(spec.config, table.labeler, table.model, frame, L, table.starts[part.index])
    return staged.write_part(part, label_arrow(table, votes, final))
