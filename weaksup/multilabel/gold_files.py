"""Reading and checking the label files of a multi-label gold set (see :mod:`weaksup.multilabel.gold`); what a
review import tells of its answers is :mod:`weaksup.multilabel.review_answers`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import Problems, location
from weaksup.gold.core import FORMATS, OPTIONAL, SPLITS
from weaksup.multilabel.outputs import labels_from_cell
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.spreadsheet import unescape_cell

#: What joins a row's labels in a gold file's ``labels`` cell.
SEPARATOR = ";"


def split_labels(cell: Any) -> tuple[str, ...]:
    """The label names of a gold ``labels`` cell: ``;``-joined names or a list; an empty or missing cell, and a run's
    CSV empty-set cell ``[]``, are the empty set (:func:`~weaksup.multilabel.outputs.labels_from_cell`, the one
    reader of a labels cell, with ``empty_cell="empty set"``).

    Examples
    --------
    >>> split_labels("joy; love"), split_labels(""), split_labels(None), split_labels("[]")
    (('joy', 'love'), (), (), ())
    """
    return tuple(labels_from_cell(cell, empty_cell="empty set") or ())


def read_label_file(file: Path, id_column: str, column: str, sep: str, problems: Problems, *, escaped: bool
          ) -> list[dict[str, Any]]:
    """The records of one label file (``labels`` cells normalised to ``;``-joined), tagged ``_file``/``_line``;
    a missing column is added to ``problems``."""
    name = str(file)
    raw: list[tuple[int, dict[str, Any]]] = []
    if FORMATS[file.suffix.lower()] == "csv":
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            line = 1
            for row in reader:
                raw.append((line + 1, row))
                line = reader.line_num
            header = set(reader.fieldnames or [])
    else:
        header = set()
        with open(file, encoding="utf-8") as handle:
            for line_no, text in enumerate(handle, start=1):
                if text.strip():
                    try:
                        obj = json.loads(text)
                    except ValueError as exc:
                        problems.add("bad_json", f"not valid JSON ({exc})", where=location(name, line_no))
                        continue
                    if isinstance(obj, dict):
                        if isinstance(obj.get(column), list):
                            obj[column] = sep.join(str(x) for x in obj[column])
                        header |= set(obj)
                        raw.append((line_no, obj))
    missing = [c for c in (id_column, column, "split") if c not in header]
    if missing:
        problems.add("missing_column", f"missing column(s) {missing}; multi-label gold files need "
                     f"{[id_column, column, 'split']} (optional {list(OPTIONAL)})", where=location(name, 1))
        return []
    records = []
    for line, row in raw:
        lacking = [c for c in (id_column, column) if c not in row]
        if lacking:  # a JSON Lines line may lack a key the other lines have
            problems.add("missing_key", f"no {lacking} on this line; every line needs {[id_column, column, 'split']}",
                         where=location(name, line))
            continue
        rec: dict[str, Any] = {k: ("" if v is None else str(unescape_cell(v) if escaped else v).strip())
               for k, v in row.items() if k is not None}
        rec["row_id"] = rec.pop(id_column)
        rec["labels"] = SEPARATOR.join(labels_from_cell(rec.pop(column), empty_cell="empty set", sep=sep) or ())
        for col in OPTIONAL:
            rec.setdefault(col, "")
        rec["_file"], rec["_line"] = name, line
        records.append(rec)
    return records


def validate_rows(frame: pd.DataFrame, space: MultiLabelSpace, problems: Problems) -> None:
    """Add a problem for each blank id, unknown label, bad split, row in two splits or duplicate id."""
    known = set(space.labels)
    split_of: dict[str, tuple[str, str, int]] = {}
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for file, line, rid, labels, split, annotator in zip(frame["_file"], frame["_line"], frame["row_id"],
                                                        frame["labels"], frame["split"], frame["annotator"]):
        if not rid:
            problems.add("blank_id", "blank row id", where=location(file, line, "row_id"))
            continue
        unknown = [x for x in split_labels(labels) if x not in known]
        if unknown:
            problems.add("unknown_label", f"unknown label(s) {unknown}", where=location(file, line, "labels"))
        if split not in SPLITS:
            problems.add("unknown_split", f"unknown split {split!r}; use one of {list(SPLITS)}",
                         where=location(file, line, "split"))
        elif split_of.setdefault(rid, (split, file, line))[0] != split:
            prev = split_of[rid]
            problems.add("split_conflict", f"id {rid!r} is in {split!r} here but in {prev[0]!r} at {prev[1]}:"
                         f"{prev[2]}; a row belongs to one split", where=location(file, line, "split"))
        if (rid, annotator) in seen:
            f0, l0 = seen[(rid, annotator)]
            problems.add("duplicate_id", f"duplicate id {rid!r}: first at {f0}:{l0}; keep one row per annotator",
                         where=location(file, line, "row_id"))
        else:
            seen[(rid, annotator)] = (file, line)


def empty_set_problem(row_id: str, none_label: str) -> str:
    """What is wrong with a gold row whose label set is empty when the space has a none label, and the fix.

    Examples
    --------
    >>> empty_set_problem("r7", "neutral")  # doctest: +ELLIPSIS
    "row 'r7': an empty label set, and the label space has the none label 'neutral': ..."
    """
    return (f"row {row_id!r}: an empty label set, and the label space has the none label {none_label!r}: the label "
            f"model gives such a row {none_label!r}, so it could never be matched; write {none_label!r} (none of the "
            "other labels applies), or leave the row out")


def empty_set_note(what: str, none_label: str, ids: list[str], where: list[str]) -> str:
    """The warning about gold rows whose (decided) label set is empty though the space has a none label, naming
    them (``file:line``), or ``""`` when there are none.

    Examples
    --------
    >>> empty_set_note("gold set t v1", "none", ["a", "b"], ["labels.csv:3", ""])  # doctest: +ELLIPSIS
    "gold set t v1: 2 row(s) have an empty label set though the label space has the none label 'none' (a \
(labels.csv:3), b): ..."
    """
    if not ids:
        return ""
    named = ", ".join(f"{r} ({w})" if w else r for r, w in list(zip(ids, where))[:10])
    more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
    return (f"{what}: {len(ids)} row(s) have an empty label set though the label space has the none label "
            f"{none_label!r} ({named}{more}): the label model gives such a row {none_label!r}, so they can never be "
            f"matched and each costs recall and exact-set accuracy; write {none_label!r} on them in a new gold "
            "version (weaksup gold add), or leave them out")
