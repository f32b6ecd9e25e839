"""The per-batch core every engine runs: input parts, the picklable :class:`BatchSpec`, and :func:`vote_frame`.

The same pure functions run on a pandas batch wherever it is (the driver, a Dask worker, a Spark executor):
clean (:func:`weaksup.pipeline.inputs.clean_chunk`) -> apply the LFs (:meth:`weaksup.tasks.TaskType.apply`) ->
vote columns, so an engine's votes equal the streaming run's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup.data.clean import CLEANING_VERSION
from weaksup.config import RunConfig
from weaksup.errors import ConfigError, DataError, LFDefinitionError, WeakSupError

if TYPE_CHECKING:
    from weaksup.lf.core import LabelingFunction
    from weaksup.registry import Registry

#: LFs imported in this process, by (modules, tags, names): a worker imports the modules once.
_LOADED: dict[tuple[Any, ...], list[LabelingFunction]] = {}


@dataclass(frozen=True)
class InputPart:
    """One part of the input: ``index`` (its order), ``path``, ``key`` (a content key: relative path, size and
    mtime hashed, so a changed file is a new part), ``rows`` (from the Parquet metadata) and ``row_groups`` (the
    row groups this part reads; empty: the whole file)."""

    index: int
    path: str
    key: str
    rows: int
    row_groups: tuple[int, ...] = ()


def part_key(relative: str, size: int, digest: str, row_groups: Sequence[int] = ()) -> str:
    """The content key of a part (hex sha256): its path under the input folder, its size, the sha256 of its bytes
    (``digest``: a file copied back with its old modification time after an edit is a new part) and row groups.

    Examples
    --------
    >>> part_key("a.parquet", 10, "5")[:12]
    'a8099ca9dd2d'
    """
    text = f"{relative}\x00{size}\x00{digest}\x00{','.join(map(str, row_groups))}"
    return hashlib.sha256(text.encode()).hexdigest()


def list_input_parts(config: RunConfig, partitions: int = 0) -> list[InputPart]:
    """The input's Parquet parts in row order: a file (one part, or one part per row group when ``partitions``
    asks for more) or a folder of parts (sorted by name: a daily drop adds parts).

    Raises
    ------
    ConfigError
        For a shipped example, CSV or JSON Lines input: engines read Parquet (the message names the command).
    """
    import pyarrow.parquet as pq

    from weaksup.data import input_files
    from weaksup.pipeline.inputs import file_sha256

    if config.input.example:
        raise ConfigError(f"{config.source}: input.example = {config.input.example!r}: engines read Parquet parts; "
                          "convert it (python -m weaksup.engines.convert CONFIG FOLDER) and set input.path")
    root = config.resolve(config.input.path, "input.path")
    files = input_files(root, encoding=config.input.encoding)
    if any(f.suffix.lower() != ".parquet" for f in files):
        raise ConfigError(f"{config.source}: input.path = {config.input.path!r} is not Parquet; engines read Parquet "
                          "parts: convert it with `python -m weaksup.engines.convert CONFIG FOLDER` (or pandas "
                          "read_csv(...).to_parquet(...)) and point input.path at the folder")
    base = root if root.is_dir() else root.parent
    parts: list[InputPart] = []
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # hashlib reads without the GIL
        digests = list(pool.map(file_sha256, files))
    for file, digest in zip(files, digests):
        size = file.stat().st_size
        relative = str(file.relative_to(base))
        meta = pq.ParquetFile(file).metadata
        groups: list[tuple[int, ...]] = [()]
        if len(files) == 1 and partitions > 1 and meta.num_row_groups > 1:
            groups = [tuple(int(g) for g in chunk) for chunk in np.array_split(np.arange(meta.num_row_groups),
                                                                           min(partitions, meta.num_row_groups))]
        for group in groups:
            rows = sum(meta.row_group(g).num_rows for g in group) if group else meta.num_rows
            parts.append(InputPart(len(parts), str(file), part_key(relative, size, digest, group),
                                   int(rows), group))
    return parts


def read_part(part: InputPart, columns: Sequence[str] | None, *, strings: Sequence[str] = ()) -> pd.DataFrame:
    """A part's rows (its row groups when it is a slice) as pandas, ``strings`` columns as text (as the streaming
    run reads them: :func:`weaksup.data.as_text`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.parquet"
    >>> pd.DataFrame({"row_id": [1, 2], "text": ["a", "b"]}).to_parquet(path)
    >>> read_part(InputPart(0, str(path), "k", 2), ["row_id"], strings=["row_id"])["row_id"].tolist()
    ['1', '2']
    """
    import pyarrow.parquet as pq

    from weaksup.data import as_text

    try:
        handle = pq.ParquetFile(part.path)
        wanted = list(columns) if columns is not None else None
        table = handle.read_row_groups(list(part.row_groups), columns=wanted) if part.row_groups \
            else handle.read(columns=wanted)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DataError(f"{part.path}: cannot read as Parquet ({type(exc).__name__}: {exc}); re-write the part or "
                        "remove it from the input folder") from None
    wanted_strings = set(strings)
    return pd.DataFrame({name: (as_text(table.column(name)).to_pandas() if name in wanted_strings
                                else table.column(name).to_pandas()) for name in table.column_names},
                        index=pd.RangeIndex(table.num_rows))


@dataclass(frozen=True)
class BatchSpec:
    """What a worker needs to vote a batch, built once on the driver and pickled to the workers.

    ``config`` (the run config, plain data), ``modules`` (LF module specs: dotted names or ``.py`` paths),
    ``lf_ids`` / ``lf_names`` in order, ``label_names``, ``rule_version``, ``columns`` (the columns the LFs
    read; None: all), ``uncacheable`` (LF ids whose votes are never reused), ``ship_paths`` (files and package
    folders to send to workers).
    """

    config: RunConfig
    modules: tuple[str, ...]
    lf_ids: tuple[str, ...]
    lf_names: tuple[str, ...]
    label_names: tuple[str, ...]
    rule_version: str
    columns: tuple[str, ...] | None
    uncacheable: tuple[str, ...] = ()
    ship_paths: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: RunConfig, registry: Registry | None = None) -> BatchSpec:
        """Import the LF modules on the driver (checked as the streaming run checks them) and describe them."""
        from weaksup.pipeline.paths import lf_module_paths
        from weaksup.pipeline.plan import module_spec, select_lfs
        from weaksup.tasks import task_type

        if config.task.type != "classification":
            raise ConfigError(f"{config.source}: task.type = {config.task.type!r}: the engines run classification "
                              "tasks only (for now); drop --engine and [engine] to run it as a streaming run")
        task = task_type(config.task.type)
        registry, space = task.resolve_space(config, registry if registry is not None else select_lfs(config))
        lfs = registry.lfs
        columns: tuple[str, ...] | None = None
        if all(lf.fields for lf in lfs):
            needed = [config.input.id_column, *config.input.fields, *([config.input.text_column] * bool(
                config.input.text_column)), *(f for lf in lfs for f in lf.fields)]
            columns = tuple(dict.fromkeys(needed))
        ship = [str(p.path) for spec in config.lfs.modules for p in lf_module_paths(config, spec)]
        return cls(config=config, modules=tuple(module_spec(config, m) for m in config.lfs.modules),
                   lf_ids=tuple(lf.lf_id for lf in lfs), lf_names=tuple(lf.name for lf in lfs),
                   label_names=tuple(task.space_names(space)), rule_version=registry.rule_version,
                   columns=columns, uncacheable=tuple(lf.lf_id for lf in lfs if not lf.cacheable),
                   ship_paths=tuple(dict.fromkeys(ship)))

    @property
    def id_column(self) -> str:
        return self.config.input.id_column

    @property
    def strings(self) -> tuple[str, ...]:
        """The columns read as text: the id and the text."""
        text = self.config.input.text_column
        return (self.id_column, text) if text else (self.id_column,)

    def label_space(self) -> Any:
        """The task's label space."""
        from weaksup.tasks import task_type

        return task_type(self.config.task.type).label_space(list(self.label_names))

    def lfs(self) -> list[LabelingFunction]:
        """The LFs, imported once per process (a worker adds the project folder to ``sys.path``).

        Raises
        ------
        LFDefinitionError
            A module that cannot be imported here, naming it and the fix; LFs that differ from the driver's.
        """
        cache_key = (self.modules, tuple(self.config.lfs.tags), tuple(self.config.lfs.names), self.lf_ids)
        if cache_key in _LOADED:
            return _LOADED[cache_key]
        if os.path.isdir(self.config.project) and self.config.project not in sys.path:
            sys.path.insert(0, self.config.project)
        lfs = self._import_lfs()
        if tuple(lf.lf_id for lf in lfs) != self.lf_ids:
            # a long-lived worker imported an earlier version of these modules (the user edited them between runs
            # on a running cluster): forget it and import the version just shipped, once
            forget_modules(self.modules)
            lfs = self._import_lfs()
        found = tuple(lf.lf_id for lf in lfs)
        if found != self.lf_ids:
            raise LFDefinitionError(f"the LF modules on this worker define {list(found)[:5]}..., the driver's "
                                    f"{list(self.lf_ids)[:5]}...: the workers run other code; ship the same modules "
                                    "([engine] ship_modules = true) or install the same version on every worker")
        _LOADED[cache_key] = lfs
        return lfs

    def _import_lfs(self) -> list[LabelingFunction]:
        from weaksup.registry import Registry

        try:
            registry = Registry.from_modules(*self.modules)
        except (ImportError, WeakSupError) as exc:
            raise LFDefinitionError(
                f"the LF module(s) {list(self.modules)} cannot be imported on this worker ({exc}); ship them with "
                "[engine] ship_modules = true (Spark addPyFile / Dask upload_file, the default) or install them on "
                "the workers (pip install your LF package there)") from None
        if self.config.lfs.tags or self.config.lfs.names:
            registry = registry.select(tags=self.config.lfs.tags or None, names=self.config.lfs.names or None)
        return list(registry.lfs)


def forget_modules(modules: Sequence[str]) -> None:
    """Drop the LF modules (their whole top-level package) from this process's import caches, so the next
    import reads them from disk again; weaksup and the standard library are never dropped.

    Examples
    --------
    >>> import json
    >>> forget_modules(["json", "weaksup.lf"]); "json" in sys.modules and "weaksup.lf" in sys.modules
    True
    """
    import importlib

    tops = {Path(m).stem if m.endswith(".py") else m.split(".")[0] for m in modules}
    tops -= {"weaksup", *sys.stdlib_module_names}
    for name in list(sys.modules):
        if name.split(".")[0] in tops:
            del sys.modules[name]
    importlib.invalidate_caches()


def check_ids(spec: BatchSpec, ids: pd.Series, part: str) -> None:
    """Every row of a batch has an id, once.

    Raises
    ------
    DataError
        Naming the part, the id and both rows.
    """
    column = spec.id_column
    missing = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise DataError(f"{part or 'a batch'} row {row}: empty {column!r}; every row needs an id "
                        f"({int(missing.sum())} row(s) of this part lack one)")
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        from weaksup.pipeline.inputs import repeated_id  # one message for the run's chunks and the engines' parts

        rows = np.flatnonzero(repeated)
        first = ids.iloc[int(rows[0])]
        same = np.flatnonzero((ids == first).to_numpy())
        others = int(ids[repeated].nunique()) - 1
        raise DataError(repeated_id(spec.config, first, part or "a batch", f"rows {same[:6].tolist()} of the part",
                                    others))


def vote_frame(spec: BatchSpec, frame: pd.DataFrame, *, part: str = "", only: Sequence[str] | None = None,
               faults: dict[str, int] | None = None) -> pd.DataFrame:
    """Clean a batch, apply the LFs: ``[id_column] + lf_ids`` (int8, ``-1`` abstain), rows in order.

    ``only``: the LF ids to compute (default: all). ``part`` names the batch in errors (its path). ``faults``, when
    given, gets each computed LF id's count of rows it abstained on for a fault (``lfs.fault_tolerant``) or for
    running out of ``lfs.lf_timeout``: a run without ``fault_tolerant`` does not reuse such a column.

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "t", "labels": ["ham", "spam"]}, "input": {"path": "x.parquet"},
    ...     "lfs": {"modules": ["labeling_functions.youtube_spam"]}, "output": {"path": "out/labels.parquet"}})
    >>> spec = BatchSpec.from_config(config)
    >>> votes = vote_frame(spec, pd.DataFrame({"row_id": ["a", "b"], "author": ["x", "y"], "n_words": [4, 1],
    ...     "n_upper": [0, 0], "n_chars": [20, 4],
    ...                                          "text": ["check out my channel", "nice"]}))
    >>> list(votes.columns)[:1], votes.shape[0], str(votes.dtypes.iloc[1])
    (['row_id'], 2, 'int8')
    """
    from weaksup.data import as_text_series
    from weaksup.pipeline.inputs import clean_chunk
    from weaksup.tasks import task_type

    config = spec.config
    column = spec.id_column
    if column not in frame.columns:
        raise DataError(f"{part or 'a batch'}: no id column {column!r}; its columns are {list(frame.columns)}; "
                        "set input.id_column")
    raw = frame[column]
    if not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype(str).where(raw.notna(), None)
    ids = as_text_series(pa.array(raw, from_pandas=True, type=pa.large_string()), frame.index)
    check_ids(spec, ids, part)
    wanted = list(spec.lf_ids if only is None else only)
    lfs = [lf for lf in spec.lfs() if lf.lf_id in set(wanted)]
    out = pd.DataFrame({column: ids.to_numpy(dtype=object)})
    task = task_type(config.task.type)
    space = spec.label_space()
    if lfs:
        clean, _, _ = clean_chunk(config, frame.assign(**{column: ids}))
        values, by_name, timed_out = task.apply(lfs, clean, label_space=space, id_column=column,
                                        fault_tolerant=config.lfs.fault_tolerant,
                                        lf_timeout=config.lfs.lf_timeout or None)
        for j, lf in enumerate(lfs):
            out[lf.lf_id] = np.asarray(values[:, j], dtype=np.int8)
            if faults is not None:
                faults[lf.lf_id] = int(by_name.get(lf.name, 0)) + int(timed_out.get(lf.name, 0))
    return out[[column, *(i for i in wanted if i in out.columns)]]


def settings_key(spec: BatchSpec) -> str:
    """What the votes of a part depend on besides its content and the LF: id and text columns, cleaning."""
    config = spec.config
    doc = (config.input.id_column, config.input.text_column, dataclasses.asdict(config.clean), spec.label_names,
           CLEANING_VERSION)
    return hashlib.sha256(repr(doc).encode()).hexdigest()[:16]


def project_path(spec: BatchSpec) -> Path:
    """The project folder of the run (relative module specs resolve against it)."""
    return Path(spec.config.project)
