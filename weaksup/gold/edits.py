"""Gold sets by hand: a labels file read as gold rows, a new gold set, rows added as the next version, a hand
edit recorded as the next version, and what each version holds on disk (``weaksup gold``).

A team's first gold rows rarely come from weaksup: a spreadsheet someone labelled, an old annotation export.
:func:`read_label_file` reads one (CSV, TSV, JSON Lines or Parquet) into gold rows, :func:`create_gold` makes it
version 1 of a gold set, :func:`add_rows` writes it as the next version of an existing one (its rows replace the
annotations of the same row ids), and :func:`record_edit` turns a label file edited in place into the next
version. Every version stays on disk (:mod:`weaksup.gold.versions`); :func:`version_table` says which versions'
files still hold what the manifest recorded.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "spam"
>>> rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
>>> create_gold(folder, rows, task="spam", labels=["ham", "spam"]).describe()  # doctest: +ELLIPSIS
'spam v1 (hash ...; 1 dev + 1 test)'
>>> gold, change = add_rows(folder, rows.assign(label=["spam", "spam"]).head(1))
>>> gold.version, change
(2, {'added': 0, 'changed': 1, 'unchanged': 0})
>>> version_table(folder)[["version", "dev", "test", "on_disk"]].to_dict("records")
[{'version': 1, 'dev': 1, 'test': 1, 'on_disk': 'ok'}, {'version': 2, 'dev': 1, 'test': 1, 'on_disk': 'ok'}]
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from weaksup._io import readable
from weaksup.data.delimited import bad_encoding
from weaksup.errors import GoldSetError, WeakSupError
from weaksup.gold.core import KEPT, MANIFEST, OPTIONAL, SPLITS, GoldSet, as_text
from weaksup.gold.io import load_gold, write_gold
from weaksup.gold.lock import gold_lock
from weaksup.gold.versions import ESCAPED_FILES, VERSIONS, manifest_type, publish_manifest, version_entries

if TYPE_CHECKING:
    from weaksup.multilabel.gold import MultiLabelGoldSet
    from weaksup.spans.gold import SpanGoldSet

logger = logging.getLogger(__name__)

__all__ = ["add_rows", "create_gold", "load_any_gold", "read_label_file", "record_edit", "version_table"]

#: A gold set of any task type.
AnyGold = Union[GoldSet, "MultiLabelGoldSet", "SpanGoldSet"]
#: The manifest key a version gets when its file was edited in place and the edit was recorded as a later version.
EDITED = "edited_in_place"
#: Where ``weaksup gold create`` takes a class the rows have and the label space lacks.
_CREATE_FIX = "the label space given (--labels of weaksup gold create)"
_READERS = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def load_any_gold(folder: str | os.PathLike[str], version: int | str | None = None) -> AnyGold:
    """The gold set in ``folder`` (classification, multi-label or spans, as its manifest's ``type`` says).

    Examples
    --------
    >>> load_any_gold("gold_sets/youtube_spam").describe()  # doctest: +ELLIPSIS
    'youtube_spam v1 (hash ...; 286 dev + 290 test)'
    """
    kind = manifest_type(folder)
    if kind == "multilabel":
        from weaksup.multilabel.gold import load_multilabel_gold

        return load_multilabel_gold(folder, version=version)
    if kind == "spans":
        from weaksup.spans.gold import load_span_gold

        return load_span_gold(folder, version=version)
    return load_gold(folder, version=version)


def read_label_file(path: str | os.PathLike[str], *, id_column: str = "row_id", label_column: str = "label",
                    split_column: str = "split", split: str | None = None, labels_column: str = "label") -> pd.DataFrame:
    """Gold rows (``row_id``, ``labels_column``, ``split``, and ``annotator`` / ``timestamp`` when the file has
    them) from a CSV, TSV, JSON Lines or Parquet file of labelled rows, each with its ``_file`` (``path``) and
    ``_line``: the 1-based line a gold set's rows are named by (the header is line 1 of a CSV or TSV file), the
    row number (1 = the first row) in a Parquet file. A problem of the rows written as gold names that place.

    Every cell is read as text (ids keep their leading zeros). ``split`` puts every row in one split when the
    file has no split column; given with a split column, it is an error (one or the other). Multi-label
    (``labels_column="labels"``): a cell holds the ``;``-joined label set (a blank cell is the empty set, as in a
    multi-label gold file, and so is ``[]``, as a multi-label run's CSV labels file writes it), a JSON Lines or
    Parquet list the set itself (``[]`` the empty set).

    Raises
    ------
    GoldSetError
        A missing or unreadable file, or a column it lacks (naming the columns it has and the option to use).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("id,class\\n007,spam\\n008,ham\\n", encoding="utf-8")
    >>> rows = read_label_file(path, id_column="id", label_column="class", split="dev")
    >>> rows.drop(columns="_file").to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'row_id': '007', 'label': 'spam', 'split': 'dev', '_line': '2'},
     {'row_id': '008', 'label': 'ham', 'split': 'dev', '_line': '3'}]
    """
    file = Path(path)
    kind = _READERS.get(file.suffix.lower())
    if kind is None:
        raise GoldSetError(f"{file}: unsupported labels file type {file.suffix!r}; use .csv, .tsv, .jsonl or .parquet")
    if not file.is_file():
        raise GoldSetError(f"{file}: " + ("is a folder" if file.is_dir() else "no such file") +
                           "; give the file of labelled rows (--from)")
    try:
        with readable("--from", GoldSetError):  # the rules every reader of a user's file follows
            frame = _read(file, kind)
    except UnicodeDecodeError:
        raise bad_encoding(file, fix="re-save as UTF-8 (e.g. Excel's 'CSV UTF-8')",
                           error=GoldSetError) from None
    except (OSError, ValueError) as exc:
        raise GoldSetError(f"{file}: cannot be read as {kind} ({exc}); save it as UTF-8 CSV with a header "
                           "row") from None
    options = {id_column: "--id-column", label_column: "--label-column"}
    if split is None:
        options[split_column] = "--split-column (or --split dev|test for a file without one)"
    elif split_column in frame.columns:
        raise GoldSetError(f"{file}: has a split column ({split_column!r}) and --split {split} was given; use one "
                           "or the other")
    missing = [f"{name!r} ({option})" for name, option in options.items() if name not in frame.columns]
    if missing:
        raise GoldSetError(f"{file}: no column {', '.join(missing)}; it has {list(frame.columns)}: name the "
                           "columns with those options")
    _warn_numeric_ids(file, frame[id_column], id_column)
    labels = frame[label_column].map(  # a list (JSON Lines, Parquet) is a multi-label set itself; a CSV cell `[]`
        # the empty set, as a multi-label run's CSV labels file writes it (weaksup.pipeline.outputs.EMPTY_LIST_CELL)
        lambda v: ";".join(str(x) for x in v) if isinstance(v, (list, tuple, np.ndarray)) else "" if v == "[]" else v)
    out = pd.DataFrame({"row_id": frame[id_column], labels_column: labels,
                        "split": frame[split_column] if split is None else split})
    for column in OPTIONAL:
        if column in frame.columns:
            out[column] = frame[column]
    return as_text(out.assign(_file=str(file), _line=_lines(file, kind, len(out))))


def create_gold(folder: str | os.PathLike[str], rows: pd.DataFrame, *, task: str, labels: Sequence[str],
                multilabel: bool = False, none_label: str | None = None, description: str = "") -> AnyGold:
    """Version 1 of a new gold set in ``folder`` from ``rows`` (``row_id``, ``label`` or, multi-label, ``labels``
    ``;``-joined, ``split``).

    Raises
    ------
    GoldSetError
        When ``folder`` holds a gold set already (add rows to it with :func:`add_rows`), or with every problem of
        the rows (unknown labels, bad splits, blank or duplicate ids), each with its line.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise GoldSetError(f"{target}: is a file; a gold set is a folder (gold_sets/<task>)")
    if none_label is not None and not multilabel:
        raise GoldSetError("a none label is a multi-label setting: add --multilabel, or leave out --none-label")
    with gold_lock(target, create=True):  # two creates at once: the second is told the gold set exists
        if (target / MANIFEST).exists():
            raise GoldSetError(f"{target}: holds a gold set already; add the rows as its next version with "
                               f"`weaksup gold add {target} --from FILE`")
        if multilabel:
            from weaksup.multilabel import MultiLabelSpace
            from weaksup.multilabel.gold import write_multilabel_gold

            space = MultiLabelSpace(list(labels), none_label=none_label)
            return write_multilabel_gold(_renamed(rows, "labels"), target, task=task, space=space,
                                         description=description, unknown_fix=_CREATE_FIX)
        return write_gold(_renamed(rows, "label"), target, task=task, label_space=list(labels),
                          description=description, unknown_fix=_CREATE_FIX)


def add_rows(folder: str | os.PathLike[str], rows: pd.DataFrame) -> tuple[AnyGold, dict[str, int]]:
    """Write ``rows`` into the gold set in ``folder`` as its next version: a row id they hold has its earlier
    annotations replaced by theirs; other row ids are added. Nothing is written when nothing changes.

    Returns the gold set (the new version, or the current one when unchanged) and the count of row ids
    ``added``, ``changed`` (other labels, split, annotators) and ``unchanged``.
    """
    target = Path(folder)
    with gold_lock(target):  # from reading the current version to publishing the next: one writer at a time
        current = load_any_gold(target)
        column = _label_column(current)
        rows = _renamed(rows, column)
        identity = [c for c in ("row_id", column, "split", *OPTIONAL) if c in current.frame.columns]
        before = as_text(current.frame[_written(current.frame, column, where=True)])
        mine = as_text(rows[[c for c in _written(rows, column)]]).reindex(columns=identity, fill_value="")
        if {"_file", "_line"} <= set(rows.columns):  # where each row is in the file given, for its problems
            mine[["_file", "_line"]] = as_text(rows[["_file", "_line"]]).to_numpy()
        old = {rid: _identity(group[identity]) for rid, group in before.groupby("row_id", sort=False)}
        new = {rid: _identity(group[identity]) for rid, group in mine.groupby("row_id", sort=False)}
        change = {"added": sum(rid not in old for rid in new),
                  "changed": sum(rid in old and old[rid] != ids for rid, ids in new.items()),
                  "unchanged": sum(old.get(rid) == ids for rid, ids in new.items())}
        if not change["added"] and not change["changed"]:
            return current, change
        merged = pd.concat([before[~before["row_id"].isin(set(new))], mine], ignore_index=True)
        return _write_next(current, merged), change


def remove_rows(folder: str | os.PathLike[str], row_ids: Sequence[str]) -> tuple[AnyGold, list[str]]:
    """Write the gold set in ``folder`` without the annotations of ``row_ids`` as its next version (earlier
    versions stay on disk); nothing is written when it holds none of them.

    Returns the gold set (the new version, or the current one when unchanged) and the ids removed, in the order
    given. An id it does not hold is skipped (logged).
    """
    target = Path(folder)
    with gold_lock(target):  # from reading the current version to publishing the next: one writer at a time
        current = load_any_gold(target)
        column = _label_column(current)
        held = set(current.frame["row_id"].astype(str))
        gone = [str(rid) for rid in dict.fromkeys(map(str, row_ids)) if rid in held]
        if len(gone) < len(set(map(str, row_ids))):
            logger.info("gold set %s: not in it, skipped: %s", target, sorted(set(map(str, row_ids)) - held)[:10])
        if not gone:
            return current, []
        before = as_text(current.frame[_written(current.frame, column, where=True)])
        return _write_next(current, before[~before["row_id"].isin(set(gone))].reset_index(drop=True)), gone


def record_edit(folder: str | os.PathLike[str]) -> tuple[AnyGold, int | str] | None:
    """Record a gold set whose current label file was edited in place (by hand, in a spreadsheet) as its next
    version; None when the files hold what the manifest recorded.

    The edited rows are written to a new content-addressed file (the edited file keeps the edit: the earlier
    version's labels were overwritten by it and cannot be recovered; its manifest entry says so under
    ``edited_in_place``). Returns the new version and the version that was edited.
    """
    target = Path(folder)
    with gold_lock(target):  # from reading the current version to publishing the next: one writer at a time
        current = load_any_gold(target)
        recorded = current.manifest.get("content_hash")
        if recorded in (None, current.hash):
            return None
        edited = current.version
        gold = _write_next(current, current.frame[_written(current.frame, _label_column(current), where=True)])
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        manifest[VERSIONS] = [{**e, EDITED: {"hash_now": current.hash, "recorded_as": gold.version}}
                              if str(e.get("version")) == str(edited) else e for e in version_entries(manifest)]
        publish_manifest(target, manifest, escaped=manifest.get(ESCAPED_FILES) or [], history=None, previous=manifest)
        logger.info("gold set %s: the edit of v%s recorded as v%s", target, edited, gold.version)
        return gold, edited


def version_table(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per version of the gold set in ``folder``, oldest first: ``version``, ``content_hash``, ``files``,
    labelled rows per split (``dev``, ``test``) and ``on_disk``: ``ok``, ``missing <file>``, ``edited in place
    (hash now <hash>)`` or the first problem loading it."""
    target = Path(folder)
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8")) if (target / MANIFEST).is_file() else {}
    out = []
    for entry in version_entries(manifest):
        files = [str(f) for f in entry.get("files") or []]
        row: dict[str, Any] = {"version": entry.get("version"), "content_hash": entry.get("content_hash"),
                               "files": ", ".join(files), **{s: 0 for s in SPLITS}}
        missing = [f for f in files if not (target / f).is_file()]
        if missing:
            row["on_disk"] = f"missing {', '.join(missing)}"
        else:
            try:
                gold = load_any_gold(target, version=entry.get("version"))
            except WeakSupError as exc:
                row["on_disk"] = str(exc).splitlines()[0]
            else:
                row.update(gold.counts())
                row["on_disk"] = "ok" if gold.hash == entry.get("content_hash") else (
                    f"edited in place (hash now {gold.hash})")
        out.append(row)
    return pd.DataFrame(out, columns=["version", "content_hash", "files", *SPLITS, "on_disk"])


def _read(file: Path, kind: str) -> pd.DataFrame:
    if kind == "parquet":
        return pd.read_parquet(file).astype(object).where(lambda f: f.notna(), "")
    if kind == "jsonl":
        return pd.read_json(file, lines=True, dtype=False).astype(object).where(lambda f: f.notna(), "")
    return pd.read_csv(file, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")


def _warn_numeric_ids(file: Path, ids: pd.Series, id_column: str) -> None:
    """Warn when a labels file stores its ids as numbers (a Parquet or JSON Lines int column): a gold id is the
    number's decimal text, so an id that had leading zeros ('0002623') has lost them ('2623')."""
    numbers = [v for v in ids if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))]
    if numbers:
        logger.warning(
            "%s: id column %r holds numbers (e.g. %r), not text; the gold ids are their decimal text (%r), so ids "
            "that had leading zeros in the input ('0002623') have lost them and will not match it. If the input's "
            "ids have leading zeros, write the id column as text as the input has it (e.g. df[%r] = "
            "df[%r].astype(str).str.zfill(7) for 7-digit ids, or read it with dtype=str) and create the gold set "
            "again", file, id_column, numbers[0], str(numbers[0]), id_column, id_column)


def _renamed(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """``rows`` with their label column named ``column`` (``label`` or ``labels``)."""
    other = "labels" if column == "label" else "label"
    if column not in rows.columns and other in rows.columns:
        return rows.rename(columns={other: column})
    return rows


def _label_column(gold: AnyGold) -> str:
    if isinstance(gold, GoldSet):
        return "label"
    if "labels" in gold.frame.columns:
        return "labels"
    raise GoldSetError(f"gold set {gold.task}: a span gold set takes rows from Label Studio (`weaksup review import`) "
                       "or weaksup.spans.gold.write_span_gold, not from a labels file")


def _written(frame: pd.DataFrame, column: str, *, where: bool = False) -> list[str]:
    """The columns of ``frame`` a gold set file keeps: its identity, then what is kept outside the hash (``where``:
    and the ``_file``/``_line`` of each row, which its problems name)."""
    return [c for c in ("row_id", column, "split", *OPTIONAL, *KEPT, *(("_file", "_line") if where else ()))
            if c in frame.columns]


def _identity(group: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row) for row in group.drop(columns="row_id").itertuples(index=False))


def _write_next(current: AnyGold, rows: pd.DataFrame) -> AnyGold:
    version = int(current.version) + 1 if str(current.version).isdigit() else f"{current.version}+1"
    assert current.path is not None
    fix = f"the gold set's label space (label_space in {current.path / MANIFEST}), or create a new gold set"
    if isinstance(current, GoldSet):
        return write_gold(rows, current.path, task=current.task, label_space=current.label_space, version=version,
                          description=str(current.manifest.get("description", "")), unknown_fix=fix)
    from weaksup.multilabel.gold import MultiLabelGoldSet, write_multilabel_gold

    assert isinstance(current, MultiLabelGoldSet)
    return write_multilabel_gold(rows, current.path, task=current.task, space=current.space, version=version,
                                 description=str(current.manifest.get("description", "")), unknown_fix=fix)


def _lines(file: Path, kind: str, n: int) -> list[int]:
    """The line of each of the ``n`` rows read from ``file``, numbered as a gold set's rows are (1-based, the header
    line 1, a row whose quoted cell spans lines at its first line, blank lines skipped); Parquet: the row number."""
    lines: list[int] = []
    if kind in ("csv", "tsv"):
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader, last, header = csv.reader(handle, delimiter="\t" if kind == "tsv" else ","), 0, False
            for record in reader:
                if record and header:
                    lines.append(last + 1)
                header, last = header or bool(record), reader.line_num
    elif kind == "jsonl":
        with open(file, encoding="utf-8") as handle:
            lines = [i for i, text in enumerate(handle, start=1) if text.strip()]
    first = 2 if kind in ("csv", "tsv") else 1
    return lines if len(lines) == n else list(range(first, first + n))
