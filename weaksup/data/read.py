"""Reading inputs whole (:func:`read_table`) and finding the files behind an input path (:func:`input_files`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import DataError

#: The file suffixes an input may have (a folder input is a Parquet dataset of part files).
INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet")

#: The first bytes of data a text input cannot be: compressed or binary formats, and how to fix each.
MAGIC = {
    b"\x1f\x8b": ("gzip-compressed", "gunzip it (gunzip -k FILE)"),
    b"BZh": ("bzip2-compressed", "decompress it (bunzip2 -k FILE)"),
    b"\xfd7zXZ\x00": ("xz-compressed", "decompress it (unxz -k FILE)"),
    b"\x28\xb5\x2f\xfd": ("zstd-compressed", "decompress it (zstd -d FILE)"),
    b"PK\x03\x04": ("a zip archive", "extract the file from it (unzip FILE)"),
    b"PAR1": ("a Parquet file", "give it the .parquet suffix"),
}

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_file(path: Path) -> None:
    """Refuse an input that is not a regular file (a FIFO or a device would block or never end) or whose
    first bytes show compressed or binary data under a text suffix (``.csv``, ``.tsv``, ``.jsonl``).

    Compressed data is refused rather than decompressed on the fly: the suffix says text, so another tool
    reading the same path would fail too, and one command fixes it for all of them.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"input {str(path)!r} cannot be read ({exc.strerror or exc}); check input.path "
                        "(a symlink loop, or a folder without permission?)") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise DataError(f"input {str(path)!r} is {kind}, not a regular file; weaksup reads inputs from files "
                        "(it would wait forever on a pipe or never reach the end of a device): save the data "
                        "to a file and point input.path at it")
    if path.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson"):
        with open(path, "rb") as fh:
            head = fh.read(8)
        for magic, (kind, fix) in MAGIC.items():
            if head.startswith(magic):
                raise DataError(f"{path}: the file holds {kind} data, not {path.suffix} text; "
                                f"{fix.replace('FILE', str(path))} and point input.path at the result")


def read_table(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV, JSON Lines or Parquet file (by extension) into a DataFrame.

    Errors name the file and say what was expected. A CSV read with no options, or with ``dtype``
    naming columns kept as text (``{"id": str}``), goes through the strict reader of
    :func:`iter_chunks` (every line has the header's fields, header names are unique, quotes close);
    other pandas options fall back to :func:`pandas.read_csv`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> _ = path.write_text('{"row_id": "a", "text": "hi"}\\n')
    >>> read_table(path)["text"].tolist()
    ['hi']
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"input file {str(path)!r} does not exist")
    if not path.is_dir():
        check_file(path)
    suffix = path.suffix.lower()
    dtype = kwargs.get("dtype")
    if suffix in (".csv", ".tsv") and set(kwargs) <= {"dtype"} and (
            dtype is None or (isinstance(dtype, dict) and all(v is str for v in dtype.values()))):
        return _strict_csv(path, set(dtype or ()))
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", **kwargs)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, **kwargs)
        if suffix == ".parquet" or path.is_dir():
            return pd.read_parquet(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read as {suffix or 'Parquet folder'}: {exc}") from exc
    raise DataError(f"{path}: unsupported input format {suffix!r}; use .csv, .tsv, .jsonl or .parquet")


def _strict_csv(path: Path, strings: set[str]) -> pd.DataFrame:
    """A whole CSV/TSV file through the strict reader; its errors as ``<file>: cannot read as .csv: ...``."""
    import sys

    from weaksup.data.delimited import csv_chunks, read_header

    try:
        frames = list(csv_chunks(path, sys.maxsize, None, strings, "utf-8"))
    except DataError as exc:
        detail = str(exc).removeprefix(str(path)).lstrip(": ")
        raise DataError(f"{path}: cannot read as {path.suffix.lower()}: {detail}") from None
    if not frames:
        return pd.DataFrame(columns=read_header(path, "utf-8"))
    return frames[0]


def input_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files behind an input path: the file itself, or the Parquet parts of a folder in name order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["part-1.parquet", "part-0.parquet"]:
    ...     pd.DataFrame({"row_id": [name], "text": ["hi"]}).to_parquet(folder / name)
    >>> [p.name for p in input_files(folder)]
    ['part-0.parquet', 'part-1.parquet']
    """
    path = Path(path)
    if not path.exists() and path.is_symlink():
        check_file(path)  # a dangling link or a loop: say so
    if not path.exists():
        raise DataError(f"input {str(path)!r} does not exist; check input.path (relative paths start at the "
                        "project folder)")
    if path.is_dir():
        parts = sorted(p for p in path.rglob("*.parquet") if not p.is_dir() and not p.name.startswith((".", "_")))
        if not parts:
            raise DataError(f"input folder {str(path)!r} holds no .parquet files; a folder input is a Parquet "
                            "dataset (part files); give a file path for CSV or JSON Lines")
        for part in parts:
            check_file(part)
        return parts
    check_file(path)
    if path.suffix.lower() not in INPUT_SUFFIXES:
        raise DataError(f"{path}: unsupported input format {path.suffix!r}; use .csv, .tsv, .jsonl, .parquet "
                        "or a folder of .parquet parts")
    return [path]
