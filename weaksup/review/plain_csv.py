"""A plain CSV review sheet for teams without Label Studio: fill in ``label`` (and ``annotator``), send it back.

Columns: ``row_id``, ``text``, ``suggested_label``, ``confidence``, ``review_reason``, ``priority``,
``label`` (empty: the reviewer writes a class name), ``annotator`` (empty: the reviewer's name) and,
optionally, ``timestamp`` (ISO 8601; the import time when blank). Rows left without a label are not answers.

Text cells a spreadsheet would run as formulas (``=...``, ``+...``, ``-...``, ``@...``) are written with a
leading single quote (:mod:`weaksup.spreadsheet`) and read back without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup._io import atomic_path
from weaksup.errors import ReviewError, ReviewImportError
from weaksup.labels import LabelSpace
from weaksup.review.answers import Answers, ExportContents, build_answers, read_csv_rows, text
from weaksup.review.export_contents import flat_contents
from weaksup.spreadsheet import unescape_cell, write_csv
from weaksup.validation import as_label_space

#: The columns of the review sheet, in order.
COLUMNS = ("row_id", "text", "suggested_label", "confidence", "review_reason", "priority", "label", "annotator")


def write_sheet(queue: pd.DataFrame, path: str | os.PathLike[str], *, text_column: str = "text",
                extra_fields: Iterable[str] = (), escape_formulas: bool = True) -> Path:
    """Write the review sheet of a queue (``row_id``, text, ``label``, ``confidence``, ...) atomically.

    With ``escape_formulas`` (the default) every text cell a spreadsheet would run as a formula gets a
    leading ``'`` (see :func:`weaksup.spreadsheet.escape_formulas`); :func:`read_sheet` drops it again.

    Examples
    --------
    >>> import tempfile
    >>> q = pd.DataFrame({"row_id": ["c1"], "text": ["sub to me"], "label": ["spam"], "confidence": [0.61]})
    >>> path = write_sheet(q, Path(tempfile.mkdtemp()) / "review.csv")
    >>> path.read_text().splitlines()[0]
    'row_id,text,suggested_label,confidence,review_reason,priority,label,annotator'
    """
    missing = [c for c in ("row_id", text_column, "label", "confidence") if c not in queue.columns]
    if missing:
        raise ReviewError(f"the review queue lacks column(s) {missing}; it has {list(map(str, queue.columns))}")
    extra = [f for f in extra_fields if f not in ("row_id", text_column)]
    sheet = pd.DataFrame({
        "row_id": queue["row_id"].astype(str).to_numpy(),
        "text": queue[text_column].to_numpy(),
        "suggested_label": queue["label"].fillna("").astype(str).to_numpy(),
        "confidence": queue["confidence"].astype(float).round(4).to_numpy(),
        "review_reason": queue["review_reason"].to_numpy() if "review_reason" in queue else "",
        "priority": queue["priority"].to_numpy() if "priority" in queue else range(1, len(queue) + 1),
        "label": "",
        "annotator": "",
    })
    for name in extra:
        sheet[name] = queue[name].to_numpy()
    with atomic_path(path) as tmp:
        write_csv(sheet, tmp, escape=escape_formulas)
    return Path(path)


def read_sheet(path: str | os.PathLike[str], label_space: LabelSpace | Iterable[str], *,
               annotator: str = "", now: datetime | None = None, collect: bool = False) -> Answers:
    """Read a filled-in review sheet into checked :class:`~weaksup.review.answers.Answers`.

    Blank ``label`` cells are not answers (counted in ``unanswered``); a blank ``annotator`` takes
    ``annotator``, else ``sheet:<file name>`` (two reviewers' unsigned sheets are two annotators, never one
    replacing the other; the same sheet imported again changes nothing); a missing ``timestamp`` takes the
    import time. Every bad cell is reported at once with its line and row id (``collect=True``: kept in
    :attr:`Answers.problems <weaksup.review.answers.Answers.problems>` for
    :func:`~weaksup.review.importing.import_answers` to report with its own).

    Label Studio's CSV export is refused (a :class:`~weaksup.errors.ReviewImportError` naming the file and
    ``--format labelstudio-csv``): read as a sheet, its user ids would name annotators a second time beside their
    ``user-<id>`` names, and its answers would take the import time.
    """
    space = as_label_space(label_space, where="read_sheet(label_space=)")
    file = Path(path)
    header, rows = read_csv_rows(file)
    _not_a_labelstudio_export(file, header, rows)
    missing = [c for c in ("row_id", "label") if c not in header]
    if missing:
        raise ReviewImportError(f"{file}: line 1: missing column(s) {missing}; found {header}. A review sheet has "
                                f"{list(COLUMNS)} (write one with `weaksup review export --format csv`)")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    records: list[dict[str, Any]] = []
    unanswered = 0
    for line, raw in rows:
        row = {key: unescape_cell(value) for key, value in raw.items()}  # what write_sheet escaped
        label = text(row.get("label"))
        if not label:
            unanswered += 1
            continue
        records.append({
            "where": f"line {line}", "row_id": text(row.get("row_id")), "label": label,
            "annotator": text(row.get("annotator")) or annotator or f"sheet:{file.name}",
            "timestamp": text(row.get("timestamp")) or stamp,
            "task_id": f"line {line}", "annotation_id": "", "lead_time": None, "origin": "",
        })
    queued = flat_contents([row for _, row in rows]).queued  # rows of a run's review queue (their review_reason)
    return build_answers(records, None, space, file=str(file), fmt="csv", cancelled=0, unanswered=unanswered,
                         collect=collect, contents=ExportContents(queued=queued))


#: Columns of Label Studio's CSV export that a review sheet does not have.
LABEL_STUDIO_COLUMNS = ("annotation_id", "lead_time", "created_at", "updated_at")


#: The columns :func:`write_sheet` always writes that only a sheet has (beside ``row_id``, ``label``, ...).
SHEET_COLUMNS = ("suggested_label", "confidence", "review_reason", "priority")


def _not_a_labelstudio_export(file: Path, header: list[str], rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Refuse Label Studio's CSV export: an ``annotation_id`` column, or, in a header without the sheet's own
    columns (:data:`SHEET_COLUMNS`), two of its other columns (``lead_time``, ``created_at``, ``updated_at``, an
    ``id`` with ``annotator`` holding user ids). A sheet holding every sheet column is one, whatever its ``--field``
    columns are named; ``annotation_id`` still tells the export of pushed tasks (whose data has those columns)."""
    found = [c for c in LABEL_STUDIO_COLUMNS if c in header]
    users = [text(r.get("annotator")) for _, r in rows if text(r.get("annotator"))]
    if "id" in header and users and all(u.removesuffix(".0").isdigit() for u in users):
        found.append("annotator (user ids)")
    a_sheet = all(c in header for c in SHEET_COLUMNS)
    if "annotation_id" in found or (len(found) >= 2 and not a_sheet):
        raise ReviewImportError(
            f"{file}: line 1: columns {found} are Label Studio's CSV export's, not a review sheet's: import it with "
            "--format labelstudio-csv (or --format auto, which tells them apart). Read as a sheet, its user ids "
            "would become annotator names beside the user-<id> names of the same people, and its answer times the "
            "import time")
