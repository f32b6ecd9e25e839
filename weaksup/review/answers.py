"""The answers of a review round: one row per (row, annotator) annotation, checked against the label space."""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup._io import check_readable, readable
from weaksup.data.delimited import bad_encoding, wrong_separator
from weaksup.data.files import MAGIC
from weaksup.errors import Problem, Problems, ReviewImportError, location
from weaksup.labels import LabelSpace
from weaksup.review.annotators import one_name_per_user

#: The columns of :attr:`Answers.frame`.
COLUMNS = ("row_id", "label", "annotator", "timestamp", "task_id", "annotation_id", "lead_time", "origin",
           "annotator_id", "project_id")


@dataclass(frozen=True)
class ExportContents:
    """What an export holds besides its answers (:mod:`weaksup.review.export_contents` gathers it).

    Attributes
    ----------
    tasks : mapping
        Task id -> row id of every task of a Label Studio export, answered or not.
    annotation_ids : frozenset of str
        Every annotation id of the export (cancelled and malformed ones too).
    projects : frozenset of str
        The Label Studio project ids it names (its JSON export does; JSON-MIN and CSV do not).
    queued : frozenset of str
        Row ids whose task carries a ``review_reason``: picked by a run's review queue (`weaksup review export`).
    """

    tasks: Mapping[str, str] = field(default_factory=dict)
    annotation_ids: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    queued: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answers:
    """The annotations read from one export file.

    Attributes
    ----------
    frame : DataFrame
        One row per kept annotation, with :data:`COLUMNS` (strings; ``lead_time`` a float or NaN).
        ``origin`` is Label Studio's (``prediction``: the pre-filled suggestion accepted unchanged,
        ``prediction-changed``, ``manual``; empty when the export does not say), ``annotator_id`` its user
        id, ``project_id`` its project (JSON export only) (``annotator`` is the e-mail when known, else ``user-<id>``: a user id that one answer of the export names
        by e-mail is that e-mail in all of them, see :mod:`weaksup.review.annotators`).
    file : str
        The file read.
    format : str
        ``"labelstudio-json"``, ``"labelstudio-json-min"``, ``"labelstudio-csv"`` or ``"csv"``.
    cancelled : int
        Annotations skipped because the annotator cancelled (skipped) the task.
    unanswered : int
        Tasks or annotations without a choice for the label (left out).
    problems : tuple of Problem
        What is wrong with the export, when it was read with ``collect=True`` (else a reader raises them): the
        answers with a problem are not in :attr:`frame`; :func:`~weaksup.review.importing.import_answers` reports
        them in one error with its own (row ids not in the data, disagreements) and imports nothing.
    rejected : tuple of (str, str)
        ``(row_id, where)`` of the answers left out for those problems (their row ids are checked too).
    contents : ExportContents
        The export's tasks, annotation ids, projects and review-queue rows (empty for a review sheet but its queue
        rows).
    places : tuple of str
        Where each answer of :attr:`frame` is, for messages: ``line N`` (a CSV) or ``task N``.
    """

    frame: pd.DataFrame = field(repr=False)
    file: str
    format: str
    cancelled: int = 0
    unanswered: int = 0
    problems: tuple[Problem, ...] = field(default=(), repr=False)
    rejected: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    contents: ExportContents = field(default_factory=ExportContents, repr=False)
    places: tuple[str, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    def summary(self) -> str:
        """A one-line account, e.g. ``review.json (labelstudio-json): 48 annotations of 40 rows, 2 cancelled``."""
        rows = self.frame["row_id"].nunique() if len(self.frame) else 0
        extra = [f"{n} {what}" for n, what in ((self.cancelled, "cancelled (skipped)"),
                                              (self.unanswered, "without an answer")) if n]
        return (f"{self.file} ({self.format}): {len(self.frame)} annotation(s) of {rows} row(s)"
                + (f"; left out: {', '.join(extra)}" if extra else ""))


def closest_class(label: Any, classes: Iterable[Any]) -> Any | None:
    """The class ``label`` is most likely a misspelling of (case ignored, then the closest by :mod:`difflib`), or
    None when no class is close: ``'SPAM'`` and ``'Billing'`` are spam and billing misspelt, ``'bug'`` is no ham.

    Examples
    --------
    >>> [closest_class(x, ["ham", "spam"]) for x in ["SPAM", "spamm", "bug"]]
    ['spam', 'spam', None]
    """
    lowered = {str(c).lower(): c for c in classes}
    close = difflib.get_close_matches(str(label).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def build_answers(records: list[dict[str, Any]], problems: Problems | None, label_space: LabelSpace, *,
                  file: str, fmt: str, cancelled: int, unanswered: int, collect: bool = False,
                  contents: ExportContents | None = None) -> Answers:
    """Check the records (label in the label space, row id present, ISO timestamps) and raise every problem at once
    (``collect=True``: keep them in :attr:`Answers.problems` instead, with the good records in the frame).

    Each record has :data:`COLUMNS` and ``where`` (e.g. ``"task 17"`` or ``"line 5"``) for messages;
    ``problems`` holds those the reader found already (see :func:`export_problems`). Each Label Studio user gets
    one name (:func:`~weaksup.review.annotators.one_name_per_user`). ``contents``: what the export holds besides
    (:attr:`Answers.contents`).
    """
    problems = problems if problems is not None else export_problems(file)
    space = list(label_space)
    good: list[dict[str, Any]] = []
    rejected: list[tuple[str, str]] = []
    for rec in records:
        found = len(problems)
        where, label = rec["where"], rec["label"]
        if not rec["row_id"]:
            problems.add("missing_row_id", "no row id: the task's data has no 'row_id' (export the tasks with "
                         "`weaksup review export`, which puts it in data.row_id)", where=location(file, at=where))
        if label not in label_space:
            who = f" by {rec['annotator']!r}" if rec["annotator"] else ""
            close = closest_class(label, space)
            meant = f" (did you mean {close!r}?)" if close is not None else ""
            problems.add("unknown_label", f"row_id {rec['row_id']!r}: label {label!r}{who} is not in the label space "
                         f"{space}{meant}; correct the answer, or make the labeling config's <Choice> values the task's "
                         "classes (`weaksup review export` writes that config)", where=location(file, at=where),
                         expected=space, got=label)
        stamp = rec["timestamp"]
        if stamp and pd.isna(pd.to_datetime(stamp, errors="coerce", format="ISO8601", utc=True)):
            problems.add("bad_timestamp", f"timestamp {stamp!r} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)",
                         where=location(file, at=where))
        if len(problems) > found:
            rejected.append((text(rec["row_id"]), location(file, at=where)))
        else:
            good.append(rec)
    if not collect:
        problems.raise_if_any(ReviewImportError, fix=FIX_EXPORT)
    frame = pd.DataFrame.from_records([{c: rec.get(c) for c in COLUMNS} for rec in good], columns=list(COLUMNS))
    for col in COLUMNS:
        if col != "lead_time":
            frame[col] = frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
    frame["lead_time"] = pd.to_numeric(frame["lead_time"], errors="coerce")
    renames = one_name_per_user([frame])
    if renames:
        frame["annotator"] = frame["annotator"].replace(renames)
    # where each answer is: its line in a CSV (a row id the data lacks is named there too), else its task
    places = tuple(rec["where"] if fmt.endswith("csv") or not text(rec["task_id"]) else f"task {text(rec['task_id'])}"
                   for rec in good)
    return Answers(frame, file, fmt, cancelled, unanswered, tuple(problems), tuple(rejected),
                   contents or ExportContents(), places)


#: How to fix the problems of an export's answers.
#: How to fix an export that is not UTF-8 text (an Excel sheet saved as CSV in a Windows code page).
UTF8_FIX = "re-save it as UTF-8 (Excel: CSV UTF-8 (Comma delimited); or iconv -f cp1252 -t utf-8)"
FIX_EXPORT = "Nothing was imported; fix the export (or the labeling config) and import it again."


def export_problems(file: str) -> Problems:
    """A :class:`~weaksup.errors.Problems` for the export ``file`` (raised as a ``ReviewImportError``).

    Examples
    --------
    >>> problems = export_problems("review.json")
    >>> problems.add("missing_row_id", "no row id", where="review.json: task 3")
    >>> str(next(iter(problems)))
    'review.json: task 3: no row id'
    """
    return Problems(f"review export {file}")


def text(value: Any) -> str:
    """A cell or JSON value as a trimmed string; missing as ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def delimiter(file: Path) -> str:
    """A tab for a ``.tsv`` file or one whose header has more tabs than commas (Label Studio names its TSV export
    ``<project>.csv``), else a comma.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "project-3.csv"
    >>> _ = path.write_text("annotator\\tid\\tlabel\\n4\\t101\\tspam\\n")
    >>> delimiter(path) == "\\t"
    True
    """
    if file.suffix.lower() == ".tsv":
        return "\t"
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError):
        return ","
    return "\t" if header.count("\t") > header.count(",") else ","


def check_export(file: Path) -> None:
    """``file``, an annotation export, exists, is a file, can be read and is not compressed; else a
    :class:`ReviewImportError` naming what it is instead and the fix.

    Examples
    --------
    >>> import tempfile
    >>> check_export(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    weaksup.errors.ReviewImportError: review export '...' is a folder; give the file exported from ... CSV)
    """
    with readable("the path given", ReviewImportError):
        if file.is_dir():
            raise ReviewImportError(f"review export {str(file)!r} is a folder; give the file exported from Label "
                                    "Studio (JSON, JSON-MIN or CSV) or the review sheet (the filled-in review CSV)")
        if not file.is_file():
            raise ReviewImportError(f"review export {str(file)!r} does not exist")
        check_readable(file, "the path given", ReviewImportError)
        with open(file, "rb") as handle:
            head = handle.read(8)
    for magic, (kind, fix) in MAGIC.items():  # the run inputs' rule and words (weaksup.data.files.check_file)
        if kind.endswith("-compressed") and head.startswith(magic):
            if kind.startswith("gzip") and file.suffix.lower() != ".gz":  # gunzip -k wants a .gz name
                fix = f"gunzip it (gunzip -c FILE > {file.with_name(f'{file.stem}-unzipped{file.suffix}')})"
            raise ReviewImportError(f"review export {file} is {kind}: {fix.replace('FILE', str(file))} first, then "
                                    "import the file it gives")


def not_utf8(file: Path) -> ReviewImportError:
    """The error for an export that is not UTF-8 text (``<file> line N: bytes ... are not valid utf-8; ...``)."""
    error = bad_encoding(file, fix=UTF8_FIX, error=ReviewImportError)
    assert isinstance(error, ReviewImportError)
    return error


def read_csv_rows(file: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The header and the ``(line number, row)`` pairs of a CSV (or ``.tsv``) file; line numbers count from 1."""
    check_export(file)
    sep = delimiter(file)
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=sep)
            rows = []
            line = 1
            for row in reader:
                rows.append((line + 1, row))
                line = reader.line_num
            header = list(reader.fieldnames or [])
    except UnicodeDecodeError:
        raise not_utf8(file) from None
    except csv.Error as exc:
        raise ReviewImportError(f"{file}: cannot read as CSV: {exc}") from None
    if message := wrong_separator(file, header, "re-save it with commas (Excel: CSV UTF-8 (Comma delimited)) and "
                                                "import it again"):
        raise ReviewImportError(message)
    return header, rows
