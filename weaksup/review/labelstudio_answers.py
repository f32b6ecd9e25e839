"""Label Studio, in: its exports read back into checked :class:`~weaksup.review.answers.Answers`.

Label Studio's three table-like export formats (see its export guide):

- **JSON**: a list of tasks, each with ``id``, ``data`` and ``annotations``; an annotation has ``result``
  (the same items as predictions), ``completed_by``, ``was_cancelled``, ``created_at``/``updated_at``,
  ``lead_time``. Cancelled (skipped) annotations are exported but not answers: they are left out and counted.
- **JSON-MIN**: one record per annotation: the task's ``data`` keys, ``id`` (the task id), one key per
  control tag (``"label": "spam"``), ``annotator``, ``annotation_id``, ``created_at``, ``updated_at``, ``lead_time``.
- **CSV**: the JSON-MIN records as rows; a value that is not a plain string is a JSON string.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from weaksup.errors import Problems, ReviewError, ReviewImportError, location
from weaksup.gold.provenance import ACCEPTED
from weaksup.labels import LabelSpace
from weaksup.review.answers import (
    Answers,
    build_answers,
    check_export,
    delimiter,
    export_problems,
    not_utf8,
    read_csv_rows,
    text,
)
from weaksup.review.export_contents import check_not_api_error, flat_contents, json_contents
from weaksup.validation import as_label_space, check_choice

#: The ``name`` of the ``<Choices>`` tag (``from_name`` of results) and of the ``<Text>`` tag (``to_name``).
FROM_NAME, TO_NAME = "label", "text"
#: The export formats :func:`read_export` reads.
FORMATS = ("labelstudio", "labelstudio-min", "labelstudio-csv")


def detect_format(path: str | os.PathLike[str]) -> str:
    """``labelstudio``, ``labelstudio-min``, ``labelstudio-csv`` or ``csv`` (weaksup's plain review CSV)."""
    file = Path(path)
    check_export(file)
    if file.suffix.lower() in (".csv", ".tsv"):
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle, delimiter=delimiter(file)), [])
        except UnicodeDecodeError:
            raise not_utf8(file) from None
        return "csv" if "suggested_label" in header and "annotation_id" not in header else "labelstudio-csv"
    items = _load_json(file)
    if isinstance(items, dict) or any(isinstance(t, dict) and ("annotations" in t or "completions" in t)
                                      for t in items):
        return "labelstudio"
    return "labelstudio-min"


def read_export(
    path: str | os.PathLike[str],
    label_space: LabelSpace | Sequence[str],
    *,
    format: str | None = None,
    from_name: str = FROM_NAME,
    id_key: str = "row_id",
    annotators: Mapping[Any, str] | None = None,
    collect: bool = False,
    name: str | None = None,
) -> Answers:
    """Read a Label Studio export (JSON, JSON-MIN or CSV) into checked :class:`~weaksup.review.answers.Answers`.

    Cancelled (skipped) annotations are left out and counted; tasks without an answer are counted.
    Every problem (malformed tasks, missing row ids, several choices, labels outside the label space,
    bad timestamps) is collected, and one :class:`~weaksup.errors.ReviewImportError` names
    each with the file and the task id.

    Annotators are recorded by e-mail when the export carries it (``completed_by`` as a user object, or
    ``created_username``) or ``annotators`` maps their user id to it (e.g. from the server's user list),
    else as ``user-<id>``; a user id that one answer names by e-mail is that e-mail in every answer of the export.
    An answer's ``origin`` is ``prediction`` when the pre-filled suggestion was
    submitted unchanged (a ``prediction`` result whose class is not the task's ``suggested_label`` counts as
    ``prediction-changed``).

    Parameters
    ----------
    annotators : mapping, optional
        Label Studio user id (int or str) -> e-mail.
    collect : bool, default False
        Keep the answers' problems in :attr:`Answers.problems <weaksup.review.answers.Answers.problems>` instead of
        raising them, for :func:`~weaksup.review.importing.import_answers` to report with its own in one error.
    name : str, optional
        What messages and the gold set's history call the export (default: its path), e.g. ``project 3 at
        http://127.0.0.1:8080`` for one pulled into a temporary file.
    """
    space = as_label_space(label_space, where="read_export(label_space=)")
    fmt = format or detect_format(path)
    check_choice(fmt, FORMATS, name="the Label Studio export format", error=ReviewError)
    file = name or str(path)
    if annotators is not None and not isinstance(annotators, Mapping):
        raise ReviewError(f"annotators must map Label Studio user ids to e-mails, e.g. {{4: 'ann@lab.org'}}; got "
                          f"{type(annotators).__name__}")
    emails = {user_id(k) or text(k): text(v) for k, v in (annotators or {}).items() if text(v)}
    if fmt == "labelstudio":
        return _read_json(Path(path), file, space, from_name, id_key, emails, collect)
    if fmt == "labelstudio-min":
        items = _load_json(Path(path))
        if isinstance(items, dict):
            items = [items]
        if items and all(isinstance(t, dict) and isinstance(t.get("data"), dict) and "annotations" not in t
                         for t in items):  # tasks to import into Label Studio, as `weaksup review export` writes them
            raise ReviewImportError(f"{file} holds review tasks without answers (what `weaksup review export` writes "
                                    "for Label Studio to import), not an export of answers: import it into a Label "
                                    "Studio project, annotate, then export the project (JSON, JSON-MIN or CSV) and "
                                    "import that")
        rows = [(f"record {i}", item) for i, item in enumerate(items)]
        return _read_flat(rows, space, file, fmt, from_name, id_key, emails, collect)
    return _read_flat(_csv_rows(Path(path), id_key), space, file, fmt, from_name, id_key, emails, collect)


def _load_json(file: Path) -> Any:
    check_export(file)
    try:
        items = json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ReviewImportError(f"{file}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); export the project "
                                "again from Label Studio (Export > JSON, JSON-MIN or CSV)") from None
    except UnicodeDecodeError:
        raise not_utf8(file) from None
    check_not_api_error(file, items)
    if not isinstance(items, list | dict):
        raise ReviewImportError(f"{file}: a Label Studio export holds a list of tasks; got a JSON "
                                f"{type(items).__name__}")
    return items


def _read_json(file: Path, name: str, space: LabelSpace, from_name: str, id_key: str, emails: dict[str, str],
               collect: bool) -> Answers:
    items = _load_json(file)
    if isinstance(items, dict):
        items = [items]
    problems = export_problems(name)
    records: list[dict[str, Any]] = []
    cancelled = unanswered = 0
    for i, task in enumerate(items):
        if not isinstance(task, dict):
            problems.add("not_a_task", f"expected a task object; got {type(task).__name__}",
                         where=location(name, at=f"item {i}"))
            continue
        task_id = text(task.get("id"))
        where = f"task {task_id}" if task_id else f"item {i} (no task id)"
        data = task.get("data")
        if not isinstance(data, dict):
            problems.add("no_task_data", "no 'data' object; a Label Studio task has "
                         "{\"id\": ..., \"data\": {...}, \"annotations\": [...]}", where=location(name, at=where))
            continue
        row_id = text(data.get(id_key))
        annotations = task.get("annotations", task.get("completions"))
        if annotations is None or annotations == []:
            unanswered += 1
            continue
        if not isinstance(annotations, list):
            problems.add("bad_annotations", f"'annotations' must be a list; got {type(annotations).__name__}",
                         where=location(name, at=where))
            continue
        for j, ann in enumerate(annotations):
            at = f"{where}, annotation {text(ann.get('id')) or j}" if isinstance(ann, dict) else f"{where}, annotation {j}"
            if not isinstance(ann, dict):
                problems.add("bad_annotation", f"expected an annotation object; got {type(ann).__name__}",
                             where=location(name, at=at))
                continue
            if ann.get("was_cancelled") or ann.get("skipped"):
                cancelled += 1
                continue
            result = ann.get("result")
            if not isinstance(result, list):
                problems.add("bad_result", f"'result' must be a list of result items; got {type(result).__name__}",
                             where=location(name, at=at))
                continue
            label = _choice_of_result(result, from_name, name, at, problems)
            unanswered += label is None
            if label is None or label is _BAD:
                continue
            by = ann.get("completed_by")
            records.append({
                "where": at, "row_id": row_id, "label": label,
                "annotator": annotator_name(by, emails=emails, username=ann.get("created_username")),
                "annotator_id": user_id(by), "timestamp": text(ann.get("updated_at") or ann.get("created_at")),
                "task_id": task_id, "annotation_id": text(ann.get("id")), "lead_time": ann.get("lead_time"),
                "project_id": text(ann.get("project") or task.get("project")),
                "origin": answer_origin([r.get("origin") for r in result
                                         if isinstance(r, dict) and r.get("from_name") == from_name],
                                        label, text(data.get("suggested_label"))),
            })
    return build_answers(records, problems, space, file=name, fmt="labelstudio", cancelled=cancelled,
                         unanswered=unanswered, collect=collect, contents=json_contents(items, id_key))


_BAD = object()  # a malformed answer (its problem is recorded)


def _choice_of_result(result: list[Any], from_name: str, file: str, where: str,
                      problems: Problems) -> Any:
    """The one class chosen in an annotation's ``result``; None when it has none; ``_BAD`` when malformed."""
    items = [r for r in result if isinstance(r, dict) and r.get("from_name") == from_name]
    if not items:
        if other_controls(result, from_name, "choices", problems, where=location(file, at=where)):
            return _BAD
        return None
    return _single_choice([r.get("value") for r in items], file, where, problems)


def other_controls(result: list[Any], from_name: str, kind: str, problems: Problems, *, where: str) -> bool:
    """Whether an annotation's ``result`` answered under another control tag of type ``kind`` (``"choices"``,
    ``"labels"``) and none under ``from_name``: the answer is not "nothing chosen" but under a name the import
    was not told, so a problem naming the tags found and ``--from-name`` is recorded.

    Examples
    --------
    >>> problems = Problems("export.json")
    >>> other_controls([{"from_name": "topics", "type": "choices"}], "label", "choices", problems, where="task 1")
    True
    >>> other_controls([], "label", "choices", problems, where="task 2"), len(problems)
    (False, 1)
    """
    if any(isinstance(r, dict) and r.get("from_name") == from_name for r in result):
        return False
    others = sorted({text(r.get("from_name")) for r in result if isinstance(r, dict) and r.get("type") == kind})
    if others:
        tag = "<Choices>" if kind == "choices" else "<Labels>"
        problems.add("wrong_control_tag", f"no answer from the control tag {from_name!r}, but {kind} from {others}; "
                     f"pass the {tag} name as from_name (--from-name {others[0]})", where=where)
    return bool(others)


def _single_choice(values: list[Any], file: str, where: str, problems: Problems) -> Any:
    chosen: list[Any] = []
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("choices"), list):
            chosen.extend(value["choices"])
        elif isinstance(value, str):
            chosen.append(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            chosen.extend(value)
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for v in value:
                if not isinstance(v.get("choices"), list):
                    problems.add("bad_choices", f"malformed choices value {v!r}; expected "
                                 "{\"choices\": [\"<class>\"]}", where=location(file, at=where))
                    return _BAD
                chosen.extend(v["choices"])
        else:
            problems.add("bad_choices", f"malformed choices value {value!r}; expected {{\"choices\": [\"<class>\"]}}",
                         where=location(file, at=where))
            return _BAD
    chosen = [c for c in chosen if text(c)]
    if not chosen:
        return None
    if len(set(chosen)) > 1:
        problems.add("several_classes", f"{len(set(chosen))} classes chosen {sorted(set(map(str, chosen)))}; a row "
                     "takes one class (choice=\"single\" in the labeling config)", where=location(file, at=where))
        return _BAD
    return text(chosen[0])


def _csv_rows(file: Path, id_key: str) -> list[tuple[str, dict[str, Any]]]:
    header, lines = read_csv_rows(file)
    if not header:
        raise ReviewImportError(f"{file}: empty file; expected Label Studio's CSV export (a header row, then one "
                                "row per annotation)")
    if id_key not in header:
        raise ReviewImportError(f"{file}: line 1: no {id_key!r} column; found {header}. Export the tasks with "
                                "`weaksup review export` (it puts row_id in each task's data) and export the "
                                "project as CSV")
    return [(f"line {line}", row) for line, row in lines]


def _read_flat(rows: list[tuple[str, Any]], space: LabelSpace, file: str, fmt: str, from_name: str,
               id_key: str, emails: dict[str, str], collect: bool) -> Answers:
    """JSON-MIN records or CSV rows: one per annotation (cancelled ones are not exported in these formats)."""
    problems = export_problems(file)
    records: list[dict[str, Any]] = []
    unanswered = 0
    for where, item in rows:
        if not isinstance(item, dict):
            problems.add("not_a_record", f"expected a record object; got {type(item).__name__}",
                         where=location(file, at=where))
            continue
        task_id = text(item.get("id"))
        at = f"{where} (task {task_id})" if task_id and fmt == "labelstudio-csv" else (
            f"task {task_id}" if task_id else where)
        if item.get("annotation_id") not in (None, "") and text(item.get("annotation_id")):
            at = f"{at}, annotation {text(item.get('annotation_id'))}"
        if id_key not in item:
            problems.add("missing_row_id", f"no {id_key!r}: the record lacks the task's data.{id_key} (export the "
                         "tasks with `weaksup review export`)", where=location(file, at=at))
            continue
        value = item.get(from_name)
        if fmt == "labelstudio-csv" and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                problems.add("bad_choices", f"column {from_name!r}: {value!r} is not a class name or valid JSON",
                             where=location(file, at=at))
                continue
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            unanswered += 1
            continue
        label = _single_choice([value], file, at, problems)
        unanswered += label is None
        if label is None or label is _BAD:
            continue
        records.append({
            "where": at, "row_id": text(item.get(id_key)), "label": label,
            "annotator": annotator_name(item.get("annotator"), emails=emails),
            "annotator_id": user_id(item.get("annotator")),
            "timestamp": text(item.get("updated_at") or item.get("created_at")), "task_id": task_id,
            "annotation_id": text(item.get("annotation_id")), "lead_time": _float(item.get("lead_time")),
            "origin": "",
        })
    return build_answers(records, problems, space, file=file, fmt=fmt, cancelled=0, unanswered=unanswered,
                         collect=collect, contents=flat_contents([item for _, item in rows], id_key))


def annotator_name(completed_by: Any, *, emails: Mapping[str, str] | None = None, username: Any = None) -> str:
    """A stable annotator name from Label Studio's ``completed_by``/``annotator``: the e-mail, else ``user-<id>``.

    The e-mail comes from a user object, from ``emails`` (user id -> e-mail, e.g. looked up on the server) or
    from the annotation's ``created_username`` (``"First Last ann@lab.org, 4"``).

    Examples
    --------
    >>> annotator_name(3), annotator_name("3"), annotator_name({"id": 3, "email": "ann@lab.org"})
    ('user-3', 'user-3', 'ann@lab.org')
    >>> annotator_name(4, emails={"4": "bo@lab.org"}), annotator_name(5, username=" cy@lab.org, 5")
    ('bo@lab.org', 'cy@lab.org')
    """
    if isinstance(completed_by, dict):
        email = text(completed_by.get("email"))
        if email:
            return email
    uid = user_id(completed_by)
    if uid and emails and emails.get(uid):
        return emails[uid]
    found = _EMAIL.search(text(username))
    if found and (not uid or text(username).endswith(f", {uid}") or "," not in text(username)):
        return found.group(0)
    if uid:
        return f"user-{uid}"
    return "" if isinstance(completed_by, dict) else text(completed_by)


_EMAIL = re.compile(r"[^\s,<>]+@[^\s,<>]+")


def user_id(completed_by: Any) -> str:
    """Label Studio's user id in ``completed_by``/``annotator`` (a number, a user object, a CSV float), or ``""``.

    Examples
    --------
    >>> user_id(4), user_id("4.0"), user_id({"id": 4, "email": "a@b.c"}), user_id("ann@lab.org")
    ('4', '4', '4', '')
    """
    value = text(completed_by.get("id")) if isinstance(completed_by, dict) else text(completed_by)
    if value.endswith(".0") and value[:-2].isdigit():  # a CSV number read as float
        value = value[:-2]
    return value if value.isdigit() else ""


def answer_origin(origins: Sequence[Any], label: str, suggested: str = "") -> str:
    """One answer's origin from its result items': ``prediction`` only when the suggestion was kept unchanged.

    Examples
    --------
    >>> answer_origin(["prediction"], "spam", "spam"), answer_origin(["prediction"], "ham", "spam")
    ('prediction', 'prediction-changed')
    >>> answer_origin(["manual"], "ham"), answer_origin([], "ham")
    ('manual', '')
    """
    found = sorted({text(o) for o in origins if text(o)})
    if not found:
        return ""
    if found == [ACCEPTED]:
        return ACCEPTED if not suggested or suggested == "(none)" or suggested == label else "prediction-changed"
    if "prediction-changed" in found or ACCEPTED in found:
        return "prediction-changed"
    return ",".join(found)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
