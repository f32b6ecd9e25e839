"""What stops an import, found in one pass: the export's problems (labels, row ids, times), answers for rows the
data lacks, gold rows the data lacks, and, with ``on_conflict="error"``, rows whose annotators disagree. They are
raised together in one :class:`~weaksup.errors.ReviewImportError`, each kind with its fix, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from weaksup.errors import ReviewImportError, location
from weaksup.labels import LabelSpace
from weaksup.review.answers import FIX_EXPORT, Answers, closest_class, export_problems

#: How to fix each kind of problem an import finds itself.
FIXES = {
    "unknown_row_id": "Answers for rows the data lacks: were the tasks exported from another run or dataset? Import "
                      "with the --run (or --config) of the data the tasks came from, or remove those tasks from the "
                      "export.",
    "gold_row_not_in_data": "Gold rows the data lacks (an earlier import that could not check row ids added them): "
                            "write a version without them (weaksup.gold.write_gold(frame without those rows, "
                            "GOLD_DIR, task=..., label_space=..., version=N+1)), or give the --run of their data.",
    "annotators_disagree": "Rows whose annotators disagree: resolve them (e.g. a third annotator, or the project "
                           "lead's call) and export again, or import with --on-conflict keep (the gold set's majority "
                           "decides) or skip.",
}


def conflicts(new: pd.DataFrame, previous_labels: pd.Series) -> pd.DataFrame:
    """Rows whose new annotations disagree with each other or with the previous gold label.

    Examples
    --------
    >>> new = pd.DataFrame({"row_id": ["a", "a", "b"], "label": ["ham", "spam", "ham"],
    ...                     "annotator": ["x", "y", "x"], "task_id": ["1", "1", "2"]})
    >>> conflicts(new, pd.Series({"b": "spam"}))[["row_id", "labels", "previous_gold"]].to_dict("records")
    [{'row_id': 'a', 'labels': 'x=ham; y=spam', 'previous_gold': ''}, {'row_id': 'b', 'labels': 'x=ham', \
'previous_gold': 'spam'}]
    """
    out = []
    prev = previous_labels.to_dict()
    for row_id, group in new.groupby("row_id", sort=False):
        labels = set(group["label"])
        before = prev.get(row_id, "")
        if len(labels) > 1 or (before and labels != {before}):
            pairs = "; ".join(f"{a or '(anonymous)'}={lab}" for a, lab in zip(group["annotator"], group["label"]))
            out.append({"row_id": row_id, "task_id": ",".join(sorted(set(group["task_id"]) - {""})),
                        "labels": pairs, "previous_gold": before if before and labels != {before} else ""})
    return pd.DataFrame(out, columns=["row_id", "task_id", "labels", "previous_gold"])


#: The fewest answers the "export of another project" check judges: fewer are named one by one.
MIN_ANSWERS_ONE_PROJECT = 5


def check_one_project(answers: Answers, space: LabelSpace) -> None:
    """One error, not one per answer, when most answers' labels are outside the label space and no class is close
    to them (:func:`~weaksup.review.answers.closest_class`): an export of another project (its labels and the
    task's named). Typos, fewer than :data:`MIN_ANSWERS_ONE_PROJECT` answers and review sheets (``format == "csv"``,
    typed by hand) are left to the per-answer messages and their "did you mean" hints.

    Examples
    --------
    >>> from weaksup.review.answers import COLUMNS, build_answers
    >>> recs = [{**dict.fromkeys(COLUMNS, ""), "where": f"task {i}", "row_id": f"r{i}", "label": lab}
    ...         for i, lab in enumerate(["bug", "feature", "bug", "other", "bug"])]
    >>> answers = build_answers(recs, None, ["ham", "spam"], file="p.json", fmt="labelstudio", cancelled=0,
    ...                         unanswered=0, collect=True)
    >>> try:
    ...     check_one_project(answers, LabelSpace(["ham", "spam"]))
    ... except ReviewImportError as exc:
    ...     print(str(exc)[:69])
    p.json: 5 of 5 answers' labels are not the task's classes: the export
    """
    total = len(answers.frame) + len(answers.rejected)
    if answers.format == "csv" or total < MIN_ANSWERS_ONE_PROJECT:
        return
    outside = [p.got for p in answers.problems if p.code == "unknown_label"]
    foreign = [label for label in outside if closest_class(label, space) is None]
    if len(foreign) > total - len(foreign):
        raise ReviewImportError(
            f"{answers.file}: {len(outside)} of {len(answers.frame) + len(answers.rejected)} answers' labels are not "
            f"the task's classes: the export seems to be of another project (its labels "
            f"{sorted(set(map(str, outside)) | set(answers.frame['label']))}; the task's {list(space)}); import the "
            "export of the project made for this task's run (`weaksup review export` or `push`), or check --task")


def check_import(answers: Answers, *, row_ids: Iterable[Any] | None, old: pd.DataFrame,
                 disagreements: pd.DataFrame | None, data: str | None = None) -> None:
    """Raise one :class:`~weaksup.errors.ReviewImportError` with every problem of the import, if there is any.

    ``answers.problems`` are the export's (read with ``collect=True``); with ``row_ids`` (the data's), every answer
    (those left out for another problem too) and every row of the gold set ``old`` must be a row of the data;
    ``disagreements`` (given with ``on_conflict="error"``) are listed too. ``data`` names what ``row_ids`` are of
    (e.g. ``the run runs/tix``); each answer is named where it is (:attr:`Answers.places
    <weaksup.review.answers.Answers.places>`: its task, or its line in a CSV).

    Examples
    --------
    >>> from weaksup.review.answers import COLUMNS
    >>> frame = pd.DataFrame({c: [""] for c in COLUMNS}).assign(row_id="r9", label="ham", task_id="3")
    >>> answers = Answers(frame, "export.json", "labelstudio")
    >>> try:
    ...     check_import(answers, row_ids=["r1"], old=frame.iloc[:0], disagreements=None)
    ... except ReviewImportError as exc:
    ...     print(str(exc).splitlines()[1].strip())
    export.json: task 3: row_id 'r9' is not a row of the dataset
    """
    problems = export_problems(answers.file)
    problems.extend(answers.problems)
    if row_ids is not None:
        known = {str(r) for r in row_ids}
        places = answers.places if len(answers.places) == len(answers.frame) else [
            f"task {t}" if t else None for t in answers.frame["task_id"]]
        where = [location(answers.file, at=at) for at in places]
        of = f" of {data}" if data else ""
        for row_id, at in [*zip(answers.frame["row_id"], where), *answers.rejected]:
            if row_id and row_id not in known:
                problems.add("unknown_row_id", f"row_id {row_id!r} is not a row of the dataset{of}", where=at)
        if len(old):
            lacking = old[~old["row_id"].astype(str).isin(known)].drop_duplicates("row_id")
            for rec in lacking.to_dict("records"):
                line = location(str(rec["_file"]), int(rec["_line"])) if pd.notna(rec.get("_file")) else None
                problems.add("gold_row_not_in_data", f"gold row {rec['row_id']!r} (already in the gold set) is not a "
                             f"row of the dataset{of}", where=line)
    if disagreements is not None:
        for c in disagreements.to_dict("records"):
            problems.add("annotators_disagree", f"row_id {c['row_id']!r}: annotators disagree: {c['labels']}",
                         where=location(answers.file, at=f"task {c['task_id']}" if c["task_id"] else None))
    codes = {p.code for p in problems}
    fixes = [fix for code, fix in FIXES.items() if code in codes]
    if answers.problems and not fixes:
        problems.raise_if_any(ReviewImportError, fix=FIX_EXPORT)
    if answers.problems:
        fixes.insert(0, "The export's answers: fix the export (or the labeling config).")
    problems.raise_if_any(ReviewImportError, fix="\n".join(
        ["Nothing was imported; fix every problem listed, then import again:", *(f"  - {f}" for f in fixes)]))
