"""The files behind an input path: one file, a folder of parts, or a glob pattern; each checked.

An input path is one of

- a file (``.csv``, ``.tsv``, ``.jsonl``/``.ndjson`` or ``.parquet``);
- a folder: every input file under it (sub-folders included), in sorted path order; names starting with
  ``.`` or ``_`` (``_SUCCESS``, ``.crc``, ``_temporary/``) are skipped, files of other suffixes ignored;
- a glob pattern (``data/*.csv``, ``exports/**/*.jsonl``): the files it matches, in sorted path order;
  hidden names are skipped as a shell skips them; a match that is a folder or has another suffix is refused.

Every file of one input has one format (``.jsonl`` and ``.ndjson`` are one format) and, for CSV, TSV and
Parquet, the same columns as the first file (in any order); JSON Lines have no header, so a key absent from
a line or a file reads as null, as it does within one file. Rows keep the files' order, then their order in
each file.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path

from weaksup._io import readable
from weaksup.errors import DataError

#: The file suffixes an input may have.
INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet")

#: The format of each suffix: the files of one input share one.
FORMATS = {".csv": "CSV", ".tsv": "TSV", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines", ".parquet": "Parquet"}

#: The characters that make an input path a glob pattern.
GLOB_CHARS = "*?["

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
        with readable("input.path"), open(path, "rb") as fh:
            head = fh.read(8)
        for magic, (kind, fix) in MAGIC.items():
            if head.startswith(magic):
                raise DataError(f"{path}: the file holds {kind} data, not {path.suffix} text; "
                                f"{fix.replace('FILE', str(path))} and point input.path at the result")


def is_pattern(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a glob pattern: it holds ``*``, ``?`` or ``[`` and no such file exists.

    Examples
    --------
    >>> is_pattern("data/*.csv"), is_pattern("data/comments.csv")
    (True, False)
    """
    return any(c in str(path) for c in GLOB_CHARS) and not Path(path).exists()


def pattern_base(pattern: str | os.PathLike[str]) -> Path:
    """The folder a glob pattern searches: its leading parts without wildcards.

    Examples
    --------
    >>> pattern_base("data/2024-*/part-*.csv").as_posix()
    'data'
    """
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in GLOB_CHARS)), len(parts))
    return Path(*parts[:fixed]) if fixed else Path(".")


def matches_pattern(path: Path, pattern: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is (or would be, once written) matched by the glob ``pattern``: ``*``, ``?`` and
    ``[...]`` within one path part, ``**`` across any number of parts; hidden names never match.

    Examples
    --------
    >>> matches_pattern(Path("data/labels.csv"), "data/*.csv"), matches_pattern(Path("data/a/b.csv"), "data/*.csv")
    (True, False)
    >>> matches_pattern(Path("data/a/b.csv"), "data/**/*.csv")
    True
    """
    base = pattern_base(pattern)
    try:
        rel = Path(path).relative_to(base)
    except ValueError:
        return False
    rest = Path(pattern).parts[len(base.parts):] if base != Path(".") else Path(pattern).parts
    if any(part.startswith(".") for part in rel.parts):
        return False
    return _match_parts(rel.parts, tuple(rest))


def _match_parts(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


def input_files(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> list[Path]:
    """The files behind an input path (a file, a folder, or a glob pattern; see the module), checked:
    readable regular files of one format, with the same columns (CSV, TSV and Parquet headers).

    Raises
    ------
    DataError
        An empty pattern or folder (naming it), a matched folder or unknown suffix, mixed formats or
        mismatched columns (naming the files and the fix).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["b.csv", "a.csv"]:
    ...     pd.DataFrame({"row_id": [name], "text": ["hi"]}).to_csv(folder / name, index=False)
    >>> [p.name for p in input_files(folder / "*.csv")], [p.name for p in input_files(folder)]
    (['a.csv', 'b.csv'], ['a.csv', 'b.csv'])
    """
    with readable("input.path"):  # a file or folder without read permission: named, with the fix
        return _input_files(Path(path), encoding)


def _input_files(path: Path, encoding: str) -> list[Path]:
    if is_pattern(path):
        files = _matched(path)
    else:
        if not path.exists() and path.is_symlink():
            check_file(path)  # a dangling link or a loop: say so
        if not path.exists():
            raise DataError(f"input {str(path)!r} does not exist; check input.path (relative paths start at the "
                            "project folder)")
        if path.is_dir():
            files = _folder_files(path)
        else:
            check_file(path)
            if path.suffix.lower() not in INPUT_SUFFIXES:
                raise DataError(f"{path}: unsupported input format {path.suffix!r}; use .csv, .tsv, .jsonl, "
                                ".parquet, a folder of such files or a glob pattern (data/*.csv)")
            return [path]
    _check_one_format(path, files)
    _check_same_columns(path, files, encoding)
    return files


def _folder_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in INPUT_SUFFIXES and not p.is_dir()
                   and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts))
    if not files:
        raise DataError(f"input folder {str(folder)!r} holds no .csv, .tsv, .jsonl or .parquet files (names "
                        "starting with '.' or '_' are skipped); point input.path at the folder holding the data "
                        "files, or at a file")
    for file in files:
        check_file(file)
    return files


def _matched(pattern: Path) -> list[Path]:
    base = pattern_base(pattern)
    if not base.is_dir():
        raise DataError(f"input.path pattern {str(pattern)!r} matches no files: its folder {str(base)!r} does not "
                        "exist; check input.path (relative paths start at the project folder)")
    rest = str(Path(*Path(pattern).parts[len(base.parts):])) if base != Path(".") else str(pattern)
    found = sorted(p for p in base.glob(rest) if not any(part.startswith(".") for part in p.relative_to(base).parts))
    if not found:
        near = sorted(p.name for p in base.iterdir() if p.suffix.lower() in INPUT_SUFFIXES)[:5]
        hint = f" ({str(base)!r} holds e.g. {near})" if near else f" ({str(base)!r} holds no input files)"
        raise DataError(f"input.path pattern {str(pattern)!r} matches no files{hint}; fix the pattern (relative "
                        "patterns start at the project folder; ** matches any number of folders)")
    for match in found:
        if match.is_dir():
            raise DataError(f"input.path pattern {str(pattern)!r} matches the folder {str(match)!r}; a pattern must "
                            "match files only: end it with the files' suffix (e.g. 'data/*.csv'), or give the "
                            "folder itself as input.path")
        if match.suffix.lower() not in INPUT_SUFFIXES:
            raise DataError(f"input.path pattern {str(pattern)!r} matches {str(match)!r}, which is not a .csv, .tsv, "
                            ".jsonl or .parquet file; narrow the pattern to the data files (e.g. end it in '.csv')")
        check_file(match)
    return found


def _check_one_format(path: Path, files: list[Path]) -> None:
    first: dict[str, Path] = {}
    for file in files:
        first.setdefault(FORMATS[file.suffix.lower()], file)
    if len(first) > 1:
        listed = "; ".join(f"{kind}: {str(file)!r}" for kind, file in first.items())
        base = path if path.is_dir() else pattern_base(path)
        example = str(base / "**" / f"*{files[0].suffix}")
        raise DataError(f"input.path {str(path)!r} mixes formats ({listed}); the files of one input must share one "
                        f"format: convert the odd files, or narrow input.path to one suffix (e.g. {example!r})")


def _check_same_columns(path: Path, files: list[Path], encoding: str) -> None:
    """CSV, TSV and Parquet files have the columns of the first file (order aside); JSON Lines are not checked
    (no header: an absent key reads as null)."""
    if len(files) < 2 or files[0].suffix.lower() in (".jsonl", ".ndjson"):
        return
    reference = file_columns(files[0], encoding)
    for file in files[1:]:
        columns = file_columns(file, encoding)
        if set(columns) != set(reference):
            missing = [c for c in reference if c not in columns]
            extra = [c for c in columns if c not in reference]
            raise DataError(f"{file}: its columns differ from those of {files[0]}, the first file of input.path "
                            f"{str(path)!r} (missing {missing}, extra {extra}); every file of one input needs the "
                            "same columns: fix the file, or leave it out of input.path")


def unreadable_parquet(file: Path, exc: BaseException, *, part: bool = True) -> DataError:
    """The error for a Parquet file that cannot be read (truncated, or not Parquet): ``part``, one file of a
    folder or pattern (re-write it or remove it from the folder); else the one input file (re-write it).

    Examples
    --------
    >>> print(unreadable_parquet(Path("data/trunc.parquet"), OSError("too small"), part=False))  # doctest: +ELLIPSIS
    data/trunc.parquet: cannot read as Parquet (OSError: too small); the file may be truncated ...: re-write it (...)
    """
    fix = ("check the part file (re-write it, or remove it from the input folder)" if part
           else "the file may be truncated or not Parquet: re-write it (or point input.path at another file)")
    return DataError(f"{file}: cannot read as Parquet ({type(exc).__name__}: {exc}); {fix}")


def file_columns(file: Path, encoding: str = "utf-8", *, part: bool = True) -> list[str]:
    """The column names of a CSV, TSV or Parquet file, from its header or schema (not its rows); a JSON Lines
    file has no header: its columns are those of its rows. ``part``: the file is one of a folder or pattern
    (what an unreadable Parquet file's error advises).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"; _ = path.write_text("row_id,text\\na,hi\\n")
    >>> file_columns(path)
    ['row_id', 'text']
    """
    if file.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return [n for n in pq.read_schema(file).names if not n.startswith("__index_level_")]
        except Exception as exc:
            raise unreadable_parquet(file, exc, part=part) from None
    from weaksup.data.delimited import read_header

    return read_header(file, encoding)


__all__ = ["FORMATS", "INPUT_SUFFIXES", "MAGIC", "check_file", "file_columns", "input_files", "is_pattern", "matches_pattern",
           "pattern_base", "unreadable_parquet"]
