"""Reading, validating and writing gold set folders (see :mod:`weaksup.gold` for the format)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup._io import atomic_path, readable
from weaksup.data.delimited import bad_encoding, wrong_separator
from weaksup.errors import GoldSetError, LabelSpaceError, Problems, location
from weaksup.gold.lock import gold_lock
from weaksup.gold.core import (
    FORMATS,
    KEPT,
    MANIFEST,
    OPTIONAL,
    REQUIRED,
    SPLITS,
    GoldSet,
    as_text,
    content_hash,
    empty_frame,
    logger,
)
from weaksup.gold.versions import (
    ESCAPED_FILES,
    VERSIONS,
    plan_version,
    publish_manifest,
    select_version,
    warn_if_edited,
)
from weaksup.labels import LabelSpace
from weaksup.spreadsheet import unescape_cell, write_csv
from weaksup.validation import as_label_space

_UTF8_FIX = "re-save as UTF-8 (e.g. iconv -f cp1252 -t utf-8, or Excel's 'CSV UTF-8')"


def load_gold(
    path: str | os.PathLike[str],
    *,
    row_ids: Iterable[Any] | None = None,
    label_space: LabelSpace | Sequence[str] | None = None,
    version: int | str | None = None,
) -> GoldSet:
    """Load and validate the gold set in a folder (or the folder of a ``manifest.json``).

    Parameters
    ----------
    path : path-like
        ``gold_sets/<task>`` or its ``manifest.json``.
    row_ids : iterable, optional
        The ids of the dataset the gold set labels; every gold id must be among them.
    label_space : LabelSpace or sequence of str, optional
        The label space the caller expects (e.g. the registry's); it must equal the manifest's.
    version : int or str, optional
        An earlier version to load (its files stay on disk, see :mod:`weaksup.gold.versions`);
        default the current one.

    Raises
    ------
    GoldSetError
        With every problem found (``.problems``), each naming the file, the line and the column:
        a missing or malformed manifest, missing or empty files, missing columns, blank ids, unknown
        labels, bad splits or timestamps, duplicate ids, a row in two splits, ids not in the dataset.

    Examples
    --------
    >>> load_gold("gold_sets/youtube_spam").describe()  # doctest: +ELLIPSIS
    'youtube_spam v1 (hash ...; 286 dev + 290 test)'
    """
    with readable("gold.path", GoldSetError):  # a file or folder without read permission: named, with the fix
        return _load_gold(Path(path), row_ids, label_space, version)


def _load_gold(folder: Path, row_ids: Iterable[Any] | None, label_space: LabelSpace | Sequence[str] | None,
               version: int | str | None) -> GoldSet:
    if folder.name == MANIFEST:
        folder = folder.parent
    problems = Problems(f"gold set {folder}")
    manifest, space, files, id_column = _read_manifest(folder, problems, version)
    escaped = {str(name) for name in manifest.get(ESCAPED_FILES) or []}
    if space is not None and label_space is not None:
        expected = as_label_space(label_space, where="load_gold(label_space=)")
        if expected != space:
            problems.add("label_space_differs", f"the gold set's label space {list(space)} differs from the expected "
                         f"{list(expected)}; label the gold set with the task's classes, in the same order",
                         where=location(str(folder / MANIFEST), column="label_space"), expected=list(expected),
                         got=list(space))
    records: list[dict[str, Any]] = []
    for file in files:
        records.extend(_read_file(file, id_column, problems, escaped=file.name in escaped))
    frame = pd.DataFrame.from_records(records) if records else empty_frame()
    fix = _validate(frame, space, row_ids, problems) if space is not None and records else None
    problems.raise_if_any(GoldSetError, fix=fix or "")
    assert space is not None  # (no label space in the manifest is one of the problems raised above)
    first = ["row_id", *REQUIRED, *OPTIONAL]
    frame = frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)
    digest = content_hash(frame, space, manifest["task"])
    warn_if_edited(folder, manifest, digest, logger)
    gold = GoldSet(manifest["task"], manifest["version"], space, frame, digest, folder, manifest,
                   pinned=version is not None)
    logger.info("loaded gold set %s", gold.describe())
    return gold


def write_gold(
    frame: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    task: str,
    label_space: LabelSpace | Sequence[str],
    version: int | str = 1,
    description: str = "",
    file_name: str | None = None,
    row_ids: Iterable[Any] | None = None,
    history: Sequence[dict[str, Any]] | None = None,
    escape_formulas: bool = True,
    unknown_fix: str = "label_space",
) -> GoldSet:
    """Validate ``frame`` as a gold set and write it as ``version`` (label file, then manifest, each atomically).

    ``frame`` needs ``row_id``, ``label`` and ``split`` columns, and may have ``annotator`` and
    ``timestamp`` (part of the content hash) and ``origin``, ``annotator_id``, ``annotation_id``
    (:data:`~weaksup.gold.core.KEPT`: kept, outside the hash); other columns are not written. Nothing is written
    when it has problems: the :class:`GoldSetError` lists them at the ``_file``/``_line`` the rows carry (rows
    read by :func:`weaksup.gold.edits.read_label_file`), else at the frame's row positions (:func:`row_locations`),
    and says to add unknown classes to ``unknown_fix``. The manifest records the content hash.

    A folder that holds a gold set already gets a new version: earlier versions' files are never
    overwritten, the new rows go to ``labels-<content hash>.csv`` (``file_name`` by default) and the
    manifest's ``versions`` points at each version's file (see :mod:`weaksup.gold.versions`). In a CSV
    file, cells a spreadsheet would run as formulas are written with a leading ``'`` (unless
    ``escape_formulas=False``) and read back without it. ``history`` replaces the manifest's import
    history (by default kept).

    Examples
    --------
    >>> import tempfile
    >>> rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    >>> gold = write_gold(rows, tempfile.mkdtemp(), task="demo", label_space=["ham", "spam"])
    >>> gold.counts()
    {'dev': 1, 'test': 1}
    """
    space = as_label_space(label_space, where="write_gold(label_space=)")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GoldSetError(f"write_gold: {folder} is a file; a gold set is a folder (gold_sets/<task>): pass a "
                           "folder path")
    fmt = FORMATS.get(Path(file_name).suffix.lower()) if file_name is not None else None
    problems = Problems(f"gold frame for {folder}")
    if file_name is not None and fmt is None:
        raise GoldSetError(f"{file_name}: unsupported gold file type; use .csv or .jsonl")
    missing = [c for c in ("row_id", *REQUIRED) if c not in frame.columns]
    if missing:
        raise GoldSetError(f"gold frame: missing column(s) {missing}; it has {list(frame.columns)}")
    out = frame[[c for c in ("row_id", *REQUIRED, *OPTIONAL, *KEPT) if c in frame.columns]].copy()
    out = as_text(out)
    out = out.drop(columns=[c for c in (*OPTIONAL, *KEPT) if c in out and not (out[c] != "").any()])
    files, lines = row_locations(frame)
    checked = out.assign(_file=files, _line=lines)
    for col in OPTIONAL:
        checked[col] = checked[col] if col in checked else ""
    problems.raise_if_any(GoldSetError, fix=_validate(checked, space, row_ids, problems, unknown_fix) or "")
    digest = content_hash(out, space, task)
    with gold_lock(folder, create=True):  # read the manifest, plan, write, publish: one writer at a time
        previous = _previous_manifest(folder)
        name, write, versions = plan_version(previous, folder, version=version, digest=digest, file_name=file_name)
        escaped = [str(f) for f in (previous or {}).get(ESCAPED_FILES) or [] if str(f) != name or not write]
        fresh = write and not (folder / name).exists()  # a new file: removed if the manifest fails
        if write:
            with atomic_path(folder / name) as tmp:
                if FORMATS[Path(name).suffix.lower()] == "csv":
                    write_csv(out, tmp, escape=escape_formulas)
                else:
                    out.to_json(tmp, orient="records", lines=True, force_ascii=False)
            if escape_formulas and FORMATS[Path(name).suffix.lower()] == "csv":
                escaped.append(name)
        splits = {s: int((out.drop_duplicates("row_id")["split"] == s).sum()) for s in SPLITS}
        versions = [{**e, "splits": splits} if str(e.get("version")) == str(version) else e for e in versions]
        manifest: dict[str, Any] = {
            "task": task, "version": version, "label_space": list(space), "files": [name],
            "id_column": "row_id", "splits": splits, "content_hash": digest, "description": description,
            VERSIONS: versions,
        }
        publish_manifest(folder, manifest, escaped=escaped, history=history, previous=previous,
                         written=folder / name if fresh else None)
        return load_gold(folder)


# --- reading and validation -------------------------------------------------------------------


def _previous_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of the gold set already in ``folder`` (None when there is none)."""
    if not (folder / MANIFEST).is_file():
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GoldSetError(f"{folder / MANIFEST}: not valid JSON ({exc}); a new version is written beside the "
                           "earlier ones, so the manifest must be readable: fix it first") from None
    if not isinstance(manifest, dict):
        raise GoldSetError(f"{folder / MANIFEST}: must hold a JSON object; got {type(manifest).__name__}")
    return manifest


def _read_manifest(folder: Path, problems: Problems,
                   version: int | str | None = None) -> tuple[dict[str, Any], LabelSpace | None, list[Path], str]:
    where = str(folder / MANIFEST)
    if folder.is_file():
        raise GoldSetError(f"gold set {str(folder)!r} is a file; a gold set is a folder (gold_sets/<task>/, holding "
                           "manifest.json and the label files): point gold.path (or --gold-dir) at that folder")
    if not folder.is_dir():
        raise GoldSetError(f"gold set folder {str(folder)!r} does not exist; gold sets live in gold_sets/<task>/")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldSetError(
            f"{where}: missing; a gold set needs a manifest with task, version, label_space and files "
            "(see weaksup.gold.write_gold)") from None
    except json.JSONDecodeError as exc:
        raise GoldSetError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise bad_encoding(folder / MANIFEST, fix=_UTF8_FIX, error=GoldSetError) from None
    if not isinstance(manifest, dict):
        raise GoldSetError(f"{where}: must hold a JSON object; got {type(manifest).__name__}")
    if (kind := manifest.get("type", manifest.get("task_type"))) in ("multilabel", "spans"):  # not one label a row
        raise GoldSetError(f"gold set {folder} is {'a multi-label' if kind == 'multilabel' else 'a span'} gold set "
                           f"(its manifest.json says \"type\": \"{kind}\"), not a classification one: set [task] type "
                           f"= \"{kind}\" in the config to run that kind of task, or point gold.path at a classification "
                           "gold set (one label per row)")
    if version is not None and str(version) != str(manifest.get("version")):
        manifest = select_version(manifest, version, folder)
    for key in ("task", "version", "label_space", "files"):
        if key not in manifest:
            problems.add("missing_key", f"missing key {key!r}", where=location(where, column=key))
    manifest.setdefault("task", folder.name)
    manifest.setdefault("version", "")
    space = None
    if "label_space" in manifest:
        try:
            space = as_label_space(manifest["label_space"])
        except LabelSpaceError as exc:
            problems.add("bad_label_space", str(exc), where=location(where, column="label_space"))
    names = manifest.get("files", [])
    if isinstance(names, str) or not isinstance(names, list) or not names:
        if "files" in manifest:
            problems.add("bad_files", f"must be a non-empty list of file names; got {names!r}",
                         where=location(where, column="files"))
        names = []
    id_column = manifest.get("id_column", "row_id")
    files = []
    for name in names:
        file = folder / str(name)
        if Path(str(name)).suffix.lower() not in FORMATS:
            problems.add("unsupported_file_type", "unsupported gold file type; use .csv or .jsonl",
                         where=location(str(file)))
        elif not file.is_file():
            problems.add("missing_file", "listed in manifest.json but missing", where=location(str(file)))
        else:
            files.append(file)
    return manifest, space, files, id_column


def _read_file(file: Path, id_column: str, problems: Problems, *, escaped: bool = False) -> list[dict[str, Any]]:
    """The records of one label file, each tagged with ``_file`` and ``_line`` (``escaped``: cells unescaped)."""
    name = str(file)
    try:
        return _read_records(file, name, id_column, problems, escaped=escaped)
    except UnicodeDecodeError:
        raise bad_encoding(file, fix=_UTF8_FIX, error=GoldSetError) from None


def _read_records(file: Path, name: str, id_column: str, problems: Problems, *, escaped: bool) -> list[dict[str, Any]]:
    raw: list[tuple[int, dict[str, Any]]] = []
    if FORMATS[file.suffix.lower()] == "csv":
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                problems.add("empty_file", "empty file; expected a header row and labelled rows",
                             where=location(name, 1))
                return []
            if message := wrong_separator(file, list(header), "re-save it with commas (a gold file is .csv or .jsonl)"):
                problems.add("wrong_separator", message.removeprefix(f"{file} line 1: "), where=location(name, 1))
                return []
            columns = set(header)
            line = 1
            for row in reader:
                raw.append((line + 1, row))
                line = reader.line_num
    else:
        columns = set()
        with open(file, encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    problems.add("bad_json", f"not valid JSON: {exc.msg}", where=location(name, line))
                    continue
                if not isinstance(obj, dict):
                    problems.add("not_an_object", f"expected a JSON object; got {type(obj).__name__}",
                                 where=location(name, line))
                    continue
                columns |= set(obj)
                raw.append((line, obj))
    if not raw:
        problems.add("empty_file", "empty file: no labelled rows", where=location(name))
        return []
    missing = [c for c in (id_column, *REQUIRED) if c not in columns]
    if missing:
        problems.add("missing_column", f"missing column(s) {missing}; gold files need {[id_column, *REQUIRED]} "
                     f"(optional {list(OPTIONAL)}); found {sorted(columns)}",
                     where=location(name, 1, ", ".join(missing)))
        return []
    records = []
    for line, row in raw:
        rec: dict[str, Any] = {k: ("" if v is None else str(unescape_cell(v) if escaped else v).strip())
                               for k, v in row.items() if k is not None}
        rec["row_id"] = rec.pop(id_column)
        for col in OPTIONAL:
            rec.setdefault(col, "")
        rec["_file"], rec["_line"] = name, line
        records.append(rec)
    return records


def row_locations(frame: pd.DataFrame) -> tuple[list[str], list[Any]]:
    """Where each row of a gold frame is, for its problems: the ``_file`` and ``_line`` it carries (a file's rows
    from :func:`weaksup.gold.edits.read_label_file`: 1-based lines, the header line 1, as a gold set's own rows),
    else ``"<frame>"`` and its position in ``frame`` (0-based, as ``frame.iloc``).

    Examples
    --------
    >>> row_locations(pd.DataFrame({"row_id": ["a", "b"], "_file": ["g.csv", None], "_line": ["2", None]}))
    (['g.csv', '<frame>'], ['2', 1])
    >>> row_locations(pd.DataFrame({"row_id": ["a"]}))
    (['<frame>'], [0])
    """
    n = len(frame)
    given = zip(frame["_file"] if "_file" in frame else [""] * n, frame["_line"] if "_line" in frame else [""] * n)
    at = [(str(f), line) if isinstance(f, str) and f else ("<frame>", i) for i, (f, line) in enumerate(given)]
    return [f for f, _ in at], [line for _, line in at]


def _validate(frame: pd.DataFrame, space: LabelSpace, row_ids: Iterable[Any] | None,
              problems: Problems, unknown_fix: str = "manifest.json") -> str | None:
    """Add one problem per bad cell, duplicate or conflict in ``frame`` (all rows, all files); returns the fix
    to print once (the label space, when labels are unknown), or None."""
    known = set(space)
    wanted = None if row_ids is None else {str(r) for r in row_ids}
    where = list(zip(frame["_file"], frame["_line"]))
    for (file, line), rid, label, split, stamp in zip(where, frame["row_id"], frame["label"], frame["split"],
                                                      frame["timestamp"]):
        if not rid:
            problems.add("blank_id", "blank row id", where=location(file, line, "row_id"))
        elif wanted is not None and rid not in wanted:
            problems.add("unknown_row_id", f"id {rid!r} is not in the dataset; check the id column, or drop the row "
                         "from the gold set", where=location(file, line, "row_id"))
        if label not in known:
            problems.add("unknown_label", f"unknown label {label!r}", where=location(file, line, "label"))
        if split not in SPLITS:
            problems.add("unknown_split", f"unknown split {split!r}; use one of {list(SPLITS)}",
                         where=location(file, line, "split"))
        if stamp and pd.isna(pd.to_datetime(stamp, errors="coerce", format="ISO8601")):
            problems.add("bad_timestamp", f"{stamp!r} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)",
                         where=location(file, line, "timestamp"))
    first: dict[tuple[str, str], tuple[str, int]] = {}
    split_of: dict[str, tuple[str, str, int]] = {}
    for (file, line), rid, annotator, split in zip(where, frame["row_id"], frame["annotator"], frame["split"]):
        if not rid:
            continue
        key = (rid, annotator)
        if key in first:
            f0, l0 = first[key]
            who = f" by annotator {annotator!r}" if annotator else ""
            problems.add("duplicate_id", f"duplicate id {rid!r}{who}: first at {f0}:{l0}; keep one row (or give each "
                         "annotator's row its annotator)", where=location(file, line, "row_id"))
        else:
            first[key] = (file, line)
        if split in SPLITS:
            prev = split_of.setdefault(rid, (split, file, line))
            if prev[0] != split:
                problems.add("split_conflict", f"id {rid!r} is in {split!r} here but in {prev[0]!r} at "
                             f"{prev[1]}:{prev[2]}; a row belongs to one split", where=location(file, line, "split"))
    unknown = sorted({str(label) for label in frame["label"] if label not in known})
    if unknown:  # the label space once, not on every bad line
        return f"labels {unknown[:10]} are not in the label space {list(space)}: fix them, or add the classes to " \
            + unknown_fix
    return None
