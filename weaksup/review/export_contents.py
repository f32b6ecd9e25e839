"""What a review export holds besides its answers, and what an import tells from it.

- :func:`json_contents` and :func:`flat_contents` gather an export's tasks, annotation ids, Label Studio projects and
  review-queue rows (:class:`~weaksup.review.answers.ExportContents`).
- :func:`deleted_answers`: the gold set's Label Studio answers of the export's project that the export no longer
  has (deleted in Label Studio, or left out of the export). An import keeps them and says so (:func:`deleted_note`).
- :func:`queue_rows_in_test`: rows picked by a run's review queue that an import puts in the test split, which then
  stops being a random sample (:func:`queue_test_warning`).
- :func:`check_not_api_error`: a Label Studio API error response saved as the export.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from weaksup.errors import ReviewImportError
from weaksup.gold.origins import remove_command
from weaksup.review.answers import ExportContents, text
from weaksup.review.labelstudio_api import TOKEN_ENV

__all__ = ["check_not_api_error", "deleted_answers", "deleted_note", "flat_contents", "json_contents",
           "queue_rows_in_test", "queue_test_warning"]


def json_contents(items: Iterable[Any], id_key: str = "row_id") -> ExportContents:
    """The contents of Label Studio's JSON export (a list of tasks).

    Examples
    --------
    >>> tasks = [{"id": 26, "project": 3, "data": {"row_id": "T0137", "review_reason": "lf_conflict"},
    ...           "annotations": [{"id": 27, "project": 3}]}, {"id": 27, "data": {"row_id": "T0153"}}]
    >>> c = json_contents(tasks)
    >>> dict(c.tasks), sorted(c.annotation_ids), sorted(c.projects), sorted(c.queued)
    ({'26': 'T0137', '27': 'T0153'}, ['27'], ['3'], ['T0137'])
    """
    tasks: dict[str, str] = {}
    annotations: set[str] = set()
    projects: set[str] = set()
    queued: set[str] = set()
    for task in items:
        if not isinstance(task, dict):
            continue
        data: dict[str, Any] = task["data"] if isinstance(task.get("data"), dict) else {}
        row_id = text(data.get(id_key))
        if text(task.get("id")):
            tasks[text(task.get("id"))] = row_id
        if text(data.get("review_reason")) and row_id:
            queued.add(row_id)
        found = task.get("annotations", task.get("completions"))
        for ann in found if isinstance(found, list) else []:
            if isinstance(ann, dict):
                annotations.add(text(ann.get("id")))
                projects.add(text(ann.get("project")))
        projects.add(text(task.get("project")))
    return ExportContents(tasks, frozenset(annotations - {""}), frozenset(projects - {""}), frozenset(queued))


def flat_contents(records: Iterable[Any], id_key: str = "row_id") -> ExportContents:
    """The contents of Label Studio's JSON-MIN or CSV export, or of a review sheet (one record per answer).

    Examples
    --------
    >>> c = flat_contents([{"id": 28, "row_id": "T0237", "annotation_id": 30, "review_reason": "uncovered"}])
    >>> dict(c.tasks), sorted(c.annotation_ids), sorted(c.projects), sorted(c.queued)
    ({'28': 'T0237'}, ['30'], [], ['T0237'])
    """
    tasks: dict[str, str] = {}
    annotations: set[str] = set()
    queued: set[str] = set()
    for record in records:
        if not isinstance(record, dict):
            continue
        row_id = text(record.get(id_key))
        if text(record.get("id")):
            tasks[text(record.get("id"))] = row_id
        annotation = text(record.get("annotation_id"))
        annotations.add(annotation[:-2] if annotation.endswith(".0") else annotation)  # a CSV number read as float
        if text(record.get("review_reason")) and row_id:
            queued.add(row_id)
    return ExportContents(tasks, frozenset(annotations - {""}), frozenset(), frozenset(queued))


def deleted_answers(gold: pd.DataFrame, contents: ExportContents) -> pd.DataFrame:
    """The rows of ``gold`` (a gold set's frame) answered in Label Studio (an ``annotation_id``) in the export's
    project whose annotation the export does not hold.

    An answer is of the export's project when both name a project and it is the same one; when either does not say
    (JSON-MIN, CSV, a gold set from before projects were recorded), when the export has a task for its row.

    Examples
    --------
    >>> gold = pd.DataFrame({"row_id": ["T0165", "T0137", "T0300"], "annotator": ["admin"] * 3,
    ...                      "annotation_id": ["26", "27", "40"], "project_id": ["3", "3", "2"]})
    >>> c = ExportContents({"26": "T0137"}, frozenset({"27"}), frozenset({"3"}))
    >>> deleted_answers(gold, c)["row_id"].tolist()
    ['T0165']
    """
    if not len(gold) or "annotation_id" not in gold or not (contents.tasks or contents.annotation_ids):
        return gold.iloc[:0]
    ids = gold["annotation_id"].fillna("").astype(str)
    project = gold["project_id"].fillna("").astype(str) if "project_id" in gold else pd.Series("", index=gold.index)
    in_export = gold["row_id"].astype(str).isin(set(contents.tasks.values()))
    same = project.isin(contents.projects) if contents.projects else pd.Series(False, index=gold.index)
    unknown = (project == "") | (not contents.projects)
    gone = (ids != "") & ~ids.isin(contents.annotation_ids) & (same | (unknown & in_export))
    return gold[gone.to_numpy()]


def deleted_note(deleted: pd.DataFrame, contents: ExportContents, folder: Any) -> str:
    """One line on the gold set's answers the export no longer has (up to 5 shown), with the runnable command that
    drops them (:func:`~weaksup.gold.origins.remove_command`), or ``""``.

    Examples
    --------
    >>> gone = pd.DataFrame({"row_id": ["T0165"], "annotator": ["admin@weaksup.test"]})
    >>> print(deleted_note(gone, ExportContents(projects=frozenset({"3"})), "gold/tickets"))  # doctest: +ELLIPSIS
    1 answer(s) in the gold set from Label Studio project 3 are not in this export (deleted in Label Studio, or left \
out of the export): T0165 by admin@weaksup.test; kept in the gold set; to drop them: `weaksup gold remove gold/tickets \
--ids T0165` (every annotation of those rows goes)
    """
    if not len(deleted):
        return ""
    rows = list(dict.fromkeys(deleted["row_id"].astype(str)))
    shown = "; ".join(f"{r.row_id} by {r.annotator or '(anonymous)'}" for r in deleted.head(5).itertuples())
    more = f" and {len(deleted) - 5} more" if len(deleted) > 5 else ""
    where = (f"Label Studio project {', '.join(sorted(contents.projects))}" if contents.projects else
             "this export's Label Studio tasks")
    return (f"{len(deleted)} answer(s) in the gold set from {where} are not in this export (deleted in Label Studio, "
            f"or left out of the export): {shown}{more}; kept in the gold set; to drop them: "
            f"{remove_command(folder, rows)} (every annotation of those rows goes)")


def queue_rows_in_test(new: pd.DataFrame, added: Iterable[str], contents: ExportContents) -> list[str]:
    """The rows new to the gold set that ``new`` (the answers written, with their ``split``) puts in the test
    split and that a run's review queue picked.

    Examples
    --------
    >>> new = pd.DataFrame({"row_id": ["a", "b", "c"], "split": ["test", "test", "dev"]})
    >>> queue_rows_in_test(new, ["a", "b", "c"], ExportContents(queued=frozenset({"a", "c"})))
    ['a']
    """
    test = set(new.loc[new["split"] == "test", "row_id"].astype(str))
    return [r for r in added if r in test and r in contents.queued]


def queue_test_warning(rows: list[str]) -> str:
    """The warning for review-queue rows imported as test gold (``""`` when there are none).

    Examples
    --------
    >>> queue_test_warning(["T0030"])[:60]
    '1 row(s) new to the test split were picked by the review que'
    """
    if not rows:
        return ""
    return (f"{len(rows)} row(s) new to the test split were picked by the review queue (e.g. "
            f"{', '.join(map(repr, rows[:3]))}): the queue picks the least certain rows, so as test gold they are not "
            "a random sample and the test figures stop being an unbiased estimate; import them with --split dev "
            "(and label a random sample of rows for test)")


def check_not_api_error(file: Any, items: Any) -> None:
    """Refuse a Label Studio API error response saved as the export (``{"detail": "..."}``), quoting its detail.

    Examples
    --------
    >>> check_not_api_error("p3.json", {"detail": "Invalid token."})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    weaksup.errors.ReviewImportError: p3.json is a Label Studio API error response, not an export: 'Invalid token.'; ...
    """
    if isinstance(items, dict) and "detail" in items and not {"data", "annotations", "completions"} & set(items):
        status = f" (HTTP {text(items['status_code'])})" if text(items.get("status_code")) else ""
        raise ReviewImportError(
            f"{file} is a Label Studio API error response{status}, not an export: {text(items['detail'])!r}; export "
            "the project again (Export on the project's page, or GET /api/projects/ID/export with a valid token: "
            f"check the token, ${TOKEN_ENV}, and the project id)")
