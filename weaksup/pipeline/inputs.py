"""A run's input as the config describes it: its identity, its chunks, where a row is, and the id checks.

The generic readers are in :mod:`weaksup.data`; a shipped example (``input.example``) is read through
:func:`weaksup.datasets.get_example`, the one seam that knows where an example's files are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup._io import check_readable, readable
from weaksup.data.clean import CLEANING_VERSION
from weaksup.config import RunConfig
from weaksup.errors import ConfigError, DataError, MissingColumnError
from weaksup.validation import check_columns

if TYPE_CHECKING:
    from weaksup.datasets import Example
    from weaksup.registry import Registry


def example_of(config: RunConfig) -> Example:
    """The shipped example ``input.example`` names (a :class:`ConfigError` lists the choices)."""
    from weaksup.datasets import EXAMPLES, get_example

    if config.input.example not in EXAMPLES:
        raise ConfigError(f"{config.source}: input.example = {config.input.example!r} is not a shipped "
                          f"example; choose one of {sorted(EXAMPLES)} or give input.path")
    return get_example(config.input.example)


def input_identity(config: RunConfig) -> tuple[list[Path], dict[str, Any], list[tuple[int, int, int]]]:
    """The input files, what identifies the rows the LFs see (the files' size and sha256, cleaning, chunking),
    and the files' :func:`file_stamps` taken before they were hashed (for :func:`check_inputs_unchanged`).

    Saved votes are reused only when the identity is unchanged. A file's content, not its modification time,
    identifies it: a file copied back with its old time (``cp -p``, ``rsync -a``) after an edit is a new input."""
    from weaksup.data import input_files
    from weaksup.pipeline.input_columns import check_named_columns

    if config.input.example:
        files = list(example_of(config).files)
    else:
        with readable("input.path"):
            files = input_files(config.resolve(config.input.path, "input.path"), encoding=config.input.encoding)
    check_named_columns(config, files)  # the columns the config names are the input's
    with readable("input.path"):
        stamps = file_stamps(files)
        hashes = [file_sha256(f) for f in files]
    identity = {
        "files": [[str(f), size, sha] for f, (size, _, _), sha in zip(files, stamps, hashes)],
        "example": config.input.example, "id_column": config.input.id_column,
        "text_column": config.input.text_column, "chunk_rows": config.input.chunk_rows,
        "encoding": config.input.encoding, "clean": dataclasses.asdict(config.clean),
        "cleaning_version": CLEANING_VERSION,
        "versions": {"pandas": pd.__version__, "pyarrow": pa.__version__},
    }
    return files, identity, stamps


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (hex), read in blocks.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.csv"; _ = path.write_bytes(b"id")
    >>> file_sha256(path)[:12]
    'a56145270ce6'
    """
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_stamps(files: list[Path]) -> list[tuple[int, int, int]]:
    """Each file's (size, modification time, inode): what changes when a file is written or replaced."""
    stamps = []
    for f in files:
        st = f.stat()
        stamps.append((st.st_size, st.st_mtime_ns, st.st_ino))
    return stamps


def check_inputs_unchanged(files: list[Path], stamps: list[tuple[int, int, int]]) -> None:
    """A DataError when an input file was written or replaced since ``stamps`` were taken (the run read it
    more than once: its labels would mix two inputs)."""
    for f, before in zip(files, stamps):
        try:
            now = file_stamps([f])[0]
        except OSError:
            now = None
        if now != before:
            raise DataError(f"{f} changed while the run read it (it was written, replaced or removed during the "
                            "run): the labels would mix the old and the new input, so nothing was published; run "
                            "again once the file is in place")


def input_read_paths(config: RunConfig) -> list[Path]:
    """What ``input.path`` reads, for the check that inputs are never outputs: the file, the folder, or every
    file a glob pattern matches; an output a pattern would match once written (the next run would read the
    run's own outputs) is refused here.

    Raises
    ------
    ConfigError
        When ``output.path``, the report or a file of the run folder matches the pattern.

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "data/*.csv"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "data/labels.csv"}})
    >>> input_read_paths(config)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <dict>: output.path .../data/labels.csv matches input.path 'data/*.csv': a later run ...
    """
    from weaksup.data import input_files, is_pattern, matches_pattern, pattern_base

    path = config.resolve(config.input.path, "input.path")
    if not is_pattern(path):
        check_readable(path, "input.path")
        return [path]
    base = pattern_base(path)
    real = base.resolve() / path.relative_to(base)  # (the pattern with its folder's symbolic links followed)
    written = [("output.path", config.output_path), ("the report", config.report_path),
               *((f"the run folder's {name}", config.output_dir / name)
                 for name in ("run.json", "label_model.json", "votes/part-00000.parquet", "votes/index.json",
                              "clean/part-00000.parquet", "report.html"))]
    for key, target in written:
        if matches_pattern(target, path) or matches_pattern(target.resolve(), real):
            raise ConfigError(f"{config.source}: {key} {target} matches input.path {config.input.path!r}: a later "
                              "run would read the run's own output as input; give output.path a folder the pattern "
                              "does not match (e.g. runs/<task>/labels.parquet), or narrow the pattern")
    return input_files(path, encoding=config.input.encoding)


def several_files(config: RunConfig) -> bool:
    """Whether ``input.path`` is a folder or a glob pattern (its rows come from several files).

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "data/*.csv"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}})
    >>> several_files(config)
    True
    """
    from weaksup.data import is_pattern

    if config.input.example:
        return False
    try:
        path = config.resolve(config.input.path, "input.path")
    except Exception:  # noqa: BLE001 - a message helper never fails
        return False
    return path.is_dir() or is_pattern(path)


def read_chunks(config: RunConfig, columns: list[str] | None) -> Iterator[pd.DataFrame]:
    """The input in chunks of ``input.chunk_rows`` rows, each indexed by row position."""
    from weaksup.data import iter_chunks

    if config.input.example:
        yield from example_of(config).iter_chunks(chunk_rows=config.input.chunk_rows, columns=columns)
        return
    strings = [config.input.id_column] + ([config.input.text_column] if config.input.text_column else [])
    with readable("input.path"):
        yield from iter_chunks(config.resolve(config.input.path, "input.path"), chunk_rows=config.input.chunk_rows,
                               columns=columns, string_columns=strings, required=[config.input.id_column],
                               encoding=config.input.encoding)


def clean_frame(config: RunConfig, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` cleaned as ``[clean]`` says (the text the LFs see), and its rows without text.

    Unchanged (and 0) when the input has no text column.
    """
    clean, missing, _ = clean_chunk(config, frame)
    return clean, missing


def clean_chunk(config: RunConfig, frame: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """:func:`clean_frame`, and also how many rows' text the cleaning changed (for the run summary)."""
    from weaksup.data import prepare

    if not config.input.text_column:
        return frame, 0, 0
    clean, report = prepare(frame, text=config.input.text_column, id_column=config.input.id_column,
                            normalize=config.clean.normalize, lowercase_into=config.clean.lowercase_into or None,
                            mask=config.clean.mask, duplicates=False)
    return clean, int(report.missing_text), int(report.text_changed)


def changed_by_cleaning(config: RunConfig, chunk: pd.DataFrame, text_hash: np.ndarray) -> int:
    """How many rows of a raw ``chunk`` cleaning changes, given the saved hashes of its cleaned texts
    (:func:`weaksup.data.duplicate_keys`; all 0 when duplicates are off): a row changed when the hash of
    its raw text differs. Without hashes the chunk is cleaned again to count."""
    from weaksup.data import duplicate_keys

    text = config.input.text_column
    if not text:
        return 0
    if config.clean.duplicates == "off":
        return clean_chunk(config, chunk)[2]
    raw, _ = duplicate_keys(pa.array(chunk[text], from_pandas=True, type=pa.large_string()), near=False)
    return int(((raw != 0) & (raw != text_hash)).sum())


def cleaning_note(config: RunConfig, prep: dict[str, int]) -> str:
    """The run summary's line on text cleaning: how many rows it changed and the key that turns it off.

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "comments.csv"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}})
    >>> cleaning_note(config, {"rows": 1956, "text_changed": 1672})
    'text cleaning (Unicode NFKC, zero-width characters, whitespace) changed 1,672 of 1,956 rows before the LFs saw them (clean.normalize = false turns it off)'
    """
    if not config.input.text_column:
        return ""
    changed, rows = prep.get("text_changed", 0), prep.get("rows", 0)
    steps = (["Unicode NFKC, zero-width characters, whitespace"] if config.clean.normalize else []) + \
        [f"masks {list(config.clean.mask)}"] * bool(config.clean.mask)
    if not steps:
        return (f"text cleaning: off (clean.normalize = false); {changed:,} blank text(s) read as missing"
                if changed else "text cleaning: off (clean.normalize = false): the LFs see the text as in the file")
    off = "clean.normalize = false turns it off" if not config.clean.mask else \
        "clean.normalize = false and clean.mask = [] turn it off"
    return f"text cleaning ({'; '.join(steps)}) changed {changed:,} of {rows:,} rows before the LFs saw them ({off})"


def where(config: RunConfig, position: int) -> str:
    """Where row ``position`` is, for messages: the real line of a CSV or JSON Lines row (quoted fields
    spanning lines and blank lines counted: the file is scanned, on this error path only), the part file
    of a Parquet folder's row.

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "comments.csv"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}})
    >>> where(config, 7)  # (a file that cannot be read: the line assumes one line per row)
    'comments.csv row 7 (line 9)'
    """
    from weaksup.data import locate_row

    if config.input.example:
        return f"row {position} of the {config.input.example} example"
    try:
        path = config.resolve(config.input.path, "input.path")
    except Exception:  # noqa: BLE001 - a message helper never fails
        path = Path(config.input.path)
    return locate_row(path, position, encoding=config.input.encoding, name=config.input.path)


def chunk_ids(config: RunConfig, chunk: pd.DataFrame) -> pa.Array:
    """The chunk's row ids as an Arrow string array, checked: present, not blank, unique in the chunk."""
    import polars as pl

    column = config.input.id_column
    check_columns(chunk.columns, [column], where=config.input.example or config.input.path, what="id column",
                  fix="Set input.id_column to the column holding unique row ids")
    raw = chunk[column]
    if not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype(str).where(raw.notna(), None)
    ids = pa.array(raw, from_pandas=True, type=pa.large_string())
    series = pl.Series(ids)
    missing = (series.is_null() | (series.str.strip_chars() == "")).fill_null(True)
    if missing.any():
        first = int(missing.arg_true()[0])
        raise DataError(f"{where(config, int(chunk.index[first]))}: empty {column!r}; every row needs an id "
                        f"({int(missing.sum())} row(s) in this chunk lack one)")
    if series.n_unique() != len(series):  # (several times cheaper than is_duplicated on unique ids)
        repeated = series.is_duplicated()
        first = series[int(repeated.arg_true()[0])]
        same = (series == first).fill_null(False).arg_true()  # the rows of that one id, not of every repeated id
        rows = [int(chunk.index[int(r)]) for r in same[:6]]
        others = series.filter(repeated).n_unique() - 1
        also = f", also at {where(config, rows[1])}" if several_files(config) else ""
        raise DataError(repeated_id(config, first, where(config, rows[0]), f"rows {rows}{also}", others))
    return ids


def repeated_id(config: RunConfig, value: object, at: str, detail: str, others: int = 0) -> str:
    """The message for an id of ``input.id_column`` repeated in the input (in one chunk or across chunks, in a run
    or an engine's part): where (``at``), the other rows (``detail``), how many ``others`` ids repeat too, and the
    fix (for one file, or for the files of a folder).

    Examples
    --------
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "id_column": "id"},
    ...                               "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"}})
    >>> print(repeated_id(config, "k", "a.csv row 9", "also row 2"))  # doctest: +ELLIPSIS
    a.csv row 9: id 'k' is not unique (also row 2); 'id' must identify each row once: deduplicate ... id k the id 'k#n')
    """
    fix = _ACROSS if several_files(config) else _ONE_FILE
    detail += f"; {others} other id(s) repeat too" if others else ""
    return f"{at}: id {value!r} is not unique ({detail}); {config.input.id_column!r} must identify each row once{fix}"


def check_fields(config: RunConfig, registry: Registry, chunk: pd.DataFrame) -> None:
    """The first chunk has every column an LF reads and the text column."""
    present = [str(c) for c in chunk.columns]
    source = config.input.example or config.input.path
    for lf in registry.lfs:
        missing = [f for f in lf.fields if f not in present]
        if missing:
            raise MissingColumnError(f"labeling function {lf.name!r} (defined at {lf.source}) reads column(s) "
                                     f"{missing}, which {source} does not have; its columns are {present}")
    if config.input.text_column:
        check_columns(present, [config.input.text_column], where=source, what="text column",
                      fix='Set input.text_column to the column the LFs read, or input.text_column = "" for data '
                          "without text (LFs that read other columns)")


def check_unique_ids(config: RunConfig, hashes: np.ndarray, part_rows: list[int],
                     part_ids: Callable[[int], pa.Array]) -> None:
    """Ids must be unique across chunks (within a chunk they are checked as it is read).

    ``hashes`` are the 64-bit hashes of every row's id; ``part_rows`` the rows of each chunk and
    ``part_ids(i)`` the ids of chunk ``i``, read only to tell a repeated id from a hash collision.
    """
    import polars as pl

    series = pl.Series(hashes)
    if series.n_unique() == len(hashes):
        return
    first = int(series.is_duplicated().arg_true()[0])
    rows = np.flatnonzero(hashes == hashes[first])[:2]
    bounds = np.cumsum([0, *part_rows])
    found = []
    for row in rows:
        part = int(np.searchsorted(bounds, row, side="right") - 1)
        found.append(part_ids(part)[int(row - bounds[part])].as_py())
    if found[0] != found[1]:  # a 64-bit hash collision between different ids: harmless
        return
    also = where(config, int(rows[0])) if several_files(config) else f"row {int(rows[0])}"
    raise DataError(repeated_id(config, found[0], where(config, int(rows[1])), f"also {also}"))


#: The fix for an id repeated across the files of a folder or pattern.
_ACROSS = (" across all the files of input.path (ids are read from input.id_column as they are, never generated): "
           "deduplicate the rows, choose another id column, or write unique ids into the files "
           "(weaksup.data.make_row_ids gives the n-th repeat of an id k the id 'k#n'; prefixing each file's ids with "
           "its name keeps files apart)")
#: The fix for an id repeated in one input file (in one chunk or in two).
_ONE_FILE = (": deduplicate the input, choose another id column, or derive unique ids (ids are read from "
             "input.id_column as they are, never generated; weaksup.data.make_row_ids gives the n-th repeat of an "
             "id k the id 'k#n')")


def duplicate_counts(text_hash: np.ndarray, loose_hash: np.ndarray) -> tuple[int, int]:
    """Rows whose cleaned text (exact) or letters-and-digits (near) repeat an earlier row's; 0 hashes are
    rows without text."""
    import polars as pl

    counts = []
    for hashes in (text_hash, loose_hash):
        present = pl.Series(hashes).filter(pl.Series(hashes) != 0)
        counts.append(int(len(present) - present.n_unique()))
    return counts[0], counts[1]
