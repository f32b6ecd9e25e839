"""Human review of a multi-label run in Label Studio: tasks with multi-choice predictions out, the
annotated label sets back in as a new version of the multi-label gold set.

Out (:func:`export_multilabel_review`): the run's ``needs_review`` rows, least sure first (gold rows are
never exported: dev rows are reviewed already, test rows measure the labels; one row per distinct text, none
repeating a gold row's: :func:`weaksup.review.repeats.distinct_rows`), as Label Studio tasks
whose prediction is the run's label set (``{"choices": ["joy", "love"]}``, ``score`` the confidence),
beside a labeling config with ``<Choices choice="multiple">`` (:func:`multilabel_labeling_config`).

In (:func:`read_multilabel_export`, :func:`import_multilabel_answers`): Label Studio's JSON export (each
annotation's ``result`` holds a ``choices`` list) or JSON-MIN export (the control's key holds the list, or
``{"choices": [...]}``); an annotation that chose nothing is the empty set, a cancelled one is left out.
The answers become the next version of the gold set (earlier versions stay on disk); a row answered
again gets the new annotator's row beside the earlier ones (the label sets are their majority per label).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from weaksup.errors import Problems, ReviewImportError, location
from weaksup.gold.lock import gold_lock
from weaksup.validation import check_columns
from weaksup.multilabel.gold import MultiLabelGoldSet, load_multilabel_gold, write_multilabel_gold
from weaksup.multilabel.gold_files import SEPARATOR
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.review.answers import text
from weaksup.review.labelstudio_answers import FROM_NAME, TO_NAME, annotator_name, other_controls
from weaksup.review.repeats import DistinctCandidates, distinct_rows


def is_multilabel_run(run_dir: str | os.PathLike[str]) -> bool:
    """Whether ``run_dir`` holds a run of a ``multilabel`` task (its ``run.json``)."""
    try:
        doc = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("task_type") == "multilabel"


def multilabel_labeling_config(space: MultiLabelSpace, *, from_name: str = FROM_NAME, to_name: str = TO_NAME) -> str:
    """The Label Studio labeling config (XML) of a multi-label text task: one checkbox per label.

    Examples
    --------
    >>> print(multilabel_labeling_config(MultiLabelSpace(["joy", "anger"])))
    <View>
      <Header value="Suggested: $suggested_labels ($confidence)"/>
      <Text name="text" value="$text"/>
      <Choices name="label" toName="text" choice="multiple" showInline="true">
        <Choice value="joy"/>
        <Choice value="anger"/>
      </Choices>
    </View>
    """
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in space.labels)
    return ("<View>\n  <Header value=\"Suggested: $suggested_labels ($confidence)\"/>\n"
            f"  <Text name={quoteattr(to_name)} value=\"$text\"/>\n"
            f"  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)} choice=\"multiple\" "
            f"showInline=\"true\">\n{choices}\n  </Choices>\n</View>")


def to_multilabel_tasks(queue: pd.DataFrame, *, model_version: str, text_column: str = "text",
                        fields: Iterable[str] = (), from_name: str = FROM_NAME, to_name: str = TO_NAME
                        ) -> list[dict[str, Any]]:
    """Label Studio tasks for the rows of ``queue`` (``row_id``, ``text_column``, ``labels`` lists or None,
    ``confidence``), in its order; the run's label set is the task's prediction.

    Examples
    --------
    >>> q = pd.DataFrame({"row_id": ["r1"], "text": ["so happy, love you"], "labels": [["joy", "love"]],
    ...                   "confidence": [0.62]})
    >>> task = to_multilabel_tasks(q, model_version="rules-1")[0]
    >>> task["data"]["suggested_labels"], task["predictions"][0]["result"][0]["value"]
    ('joy, love', {'choices': ['joy', 'love']})
    """
    tasks = []
    for pos, row in enumerate(queue.to_dict("records")):
        labels = [str(x) for x in row["labels"]] if row["labels"] is not None and not _missing(row["labels"]) else None
        confidence = round(float(row["confidence"]), 6)
        data: dict[str, Any] = {"row_id": text(row["row_id"]),
                                "text": "" if _missing(row[text_column]) else str(row[text_column]),
                                "suggested_labels": ", ".join(labels) if labels else "(none)",
                                "confidence": confidence, "priority": pos + 1}
        data.update({name: None if _missing(row[name]) else str(row[name]) for name in fields})
        task: dict[str, Any] = {"data": data}
        if labels is not None:
            task["predictions"] = [{"model_version": str(model_version), "score": confidence,
                                    "result": [{"id": f"ws{pos}", "from_name": from_name, "to_name": to_name,
                                                "type": "choices", "value": {"choices": labels}}]}]
        tasks.append(task)
    return tasks


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def export_multilabel_review(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                             budget: int | None = None, fields: Iterable[str] = (),
                             mask: bool | None = None) -> tuple[int, Path]:
    """Write the review tasks of a multi-label run (``RUN_DIR/review/tasks.json`` by default) and the labeling
    config beside them; returns the number of tasks and the tasks file.

    One task per distinct text (with the ``fields`` shown), its least sure row, as in a classification review queue
    (:func:`weaksup.review.repeats.distinct_rows`): copies of a queued text, or of a gold row's text, are left out.

    ``mask``: mask e-mails, phone and card numbers in the text (default: when the config lists
    ``review.sensitive_fields``); ``fields`` listed there go out as ``<REDACTED>`` unless ``mask`` is False. As for
    every review export, each name in ``review.sensitive_fields`` must be a column of the input
    (:func:`~weaksup.review.privacy.check_run_sensitive_fields`): a misspelt one stops the export.
    """
    n, target, _ = _write_review(run_dir, out=out, budget=budget, fields=fields, mask=mask)
    return n, target


def _write_review(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None, budget: int | None,
                  fields: Iterable[str], mask: bool | None) -> tuple[int, Path, DistinctCandidates]:
    """:func:`export_multilabel_review`, with the rows left out as repeated texts."""
    from weaksup.pipeline import load_run
    from weaksup.review.labelstudio import write_tasks
    from weaksup.review.privacy import check_run_sensitive_fields, mask_frame, mask_text

    run = load_run(run_dir)
    cfg = run.config
    space = MultiLabelSpace(cfg.task.labels, exclusive=cfg.task.exclusive, none_label=cfg.task.none_label or None)
    labels = run.labels
    gold = load_multilabel_gold(cfg.resolve(cfg.gold.path, "gold.path"), space=space) if cfg.gold.path else None
    held = set(gold.frame["row_id"].astype(str)) if gold is not None else set()
    queue = labels[(labels["review_status"] == "needs_review") & ~labels["row_id"].astype(str).isin(held)]
    text_column = cfg.input.text_column or "text"
    data = run.read_input()
    check_run_sensitive_fields(cfg.review.sensitive_fields, data.columns, run_dir=run_dir)
    data = data.assign(row_id=data[cfg.input.id_column].astype(str))
    fields = list(fields)
    check_columns(data.columns, fields, where=str(run.config.input.example or run.config.input.path),
                  what="--field column", fix="Give a column of the input (repeat --field for several)")
    columns = list(dict.fromkeys(["row_id", text_column, *fields]))
    shown = data[columns].rename(columns={text_column: "text"})
    queue = queue[["row_id", "labels", "confidence"]].assign(row_id=queue["row_id"].astype(str)).merge(
        shown, on="row_id", how="left")
    seen = list(dict.fromkeys(["text", *(f for f in fields if f != text_column)]))  # what a reviewer sees
    distinct = distinct_rows(queue[seen], -queue["confidence"].to_numpy(dtype=np.float64),
                             gold=shown[shown["row_id"].isin(held)])
    queue = queue[distinct.keep].sort_values("confidence", kind="stable")  # least sure first
    if budget is not None:
        queue = queue.head(budget)
    if mask or (mask is None and cfg.review.sensitive_fields):
        queue["text"] = queue["text"].map(mask_text)
    if mask is not False:  # a sensitive --field column goes out as <REDACTED>, as in a classification export
        redact = [f for f in fields if f in cfg.review.sensitive_fields and f not in ("row_id", text_column)]
        queue = mask_frame(queue, redact=redact)[0]
    queue["labels"] = [_as_list(v) for v in queue["labels"]]
    rule_version = str(run.manifest.get("rule_version", ""))
    tasks = to_multilabel_tasks(queue, model_version=rule_version, fields=[f for f in fields if f != text_column])
    target = Path(out) if out is not None else Path(run_dir) / "review" / "tasks.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_tasks(tasks, target, config=multilabel_labeling_config(space))
    return len(tasks), target, distinct


def _as_list(value: Any) -> list[str] | None:
    """A labels cell as read back (a list, an array, a ``;``-joined string, or null); None when it names no
    label: an empty set and an abstain are one empty cell in CSV, so neither pre-fills a review task (a CSV run
    and a Parquet run export the same tasks)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    labels = [x for x in value.split(SEPARATOR) if x] if isinstance(value, str) else [str(x) for x in value]
    return labels or None


def read_multilabel_export(path: str | os.PathLike[str], space: MultiLabelSpace, *, from_name: str = FROM_NAME,
                           id_key: str = "row_id") -> pd.DataFrame:
    """The label sets of a Label Studio JSON or JSON-MIN export: ``row_id``, ``labels`` (tuple), ``annotator``,
    ``timestamp``; one row per (non-cancelled) annotation.

    Raises
    ------
    ReviewImportError
        Every problem at once (a task without data or row id, a label not in the space), each with its place.
    """
    file = Path(path)
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReviewImportError(f"{file}: not a readable Label Studio JSON export ({exc})") from None
    items = [items] if isinstance(items, dict) else items
    items = items if isinstance(items, list) else []
    problems = Problems(f"Label Studio export {file}")
    records: list[dict[str, Any]] = []
    minimal = [t for t in items if isinstance(t, dict) and not ("annotations" in t or "completions" in t)]
    if minimal and not any(from_name in t for t in minimal):
        keys = sorted({k for t in minimal for k in t} - {"id", "annotator", "annotation_id", "created_at",
                                                         "updated_at", "lead_time", id_key})
        raise ReviewImportError(f"{file}: no task holds an answer under the control tag {from_name!r} (JSON-MIN "
                                f"keys: {keys[:12]}); pass the <Choices> name as --from-name")
    for i, task in enumerate(items):
        data = task.get("data", task) if isinstance(task, dict) else None
        row_id = text(data.get(id_key)) if isinstance(data, dict) else ""
        where = location(str(file), at=f"task {text(task.get('id')) if isinstance(task, dict) else i}")
        if not row_id:
            problems.add("no_row_id", f"no {id_key!r} in the task data (tasks written by weaksup carry it)",
                         where=where)
            continue
        if "annotations" in task or "completions" in task:
            answers = [(a.get("result") or [], a) for a in task.get("annotations", task.get("completions")) or []
                       if isinstance(a, dict) and not (a.get("was_cancelled") or a.get("skipped"))]
            answers = [(result, a) for result, a in answers
                       if not other_controls(result, from_name, "choices", problems, where=where)]
            chosen = [([c for r in result if isinstance(r, dict) and r.get("from_name") == from_name
                        for c in (r.get("value") or {}).get("choices", [])], a) for result, a in answers]
        elif from_name not in task:  # JSON-MIN leaves out a control nobody answered: not an empty label set
            continue
        else:  # JSON-MIN: the control's key holds the choices
            value = task.get(from_name)
            value = value.get("choices", []) if isinstance(value, dict) else value
            chosen = [([] if value is None else [value] if isinstance(value, str) else list(value), task)]
        for names, ann in chosen:
            unknown = [x for x in names if x not in space.labels]
            if unknown:
                problems.add("unknown_label", f"label(s) {unknown} are not in {list(space.labels)}", where=where)
                continue
            records.append({"row_id": row_id, "labels": tuple(x for x in space.labels if x in names),
                            "annotator": annotator_name(ann.get("completed_by", ann.get("annotator")),
                                                        username=ann.get("created_username")),
                            "timestamp": text(ann.get("updated_at") or ann.get("created_at"))})
    problems.raise_if_any(ReviewImportError)
    return pd.DataFrame(records, columns=["row_id", "labels", "annotator", "timestamp"])


def import_multilabel_answers(answers: pd.DataFrame, gold_dir: str | os.PathLike[str], *, task: str,
                              space: MultiLabelSpace, split: str = "dev") -> MultiLabelGoldSet:
    """Write ``answers`` (from :func:`read_multilabel_export`) as the next version of the multi-label gold set in
    ``gold_dir`` (version 1 when there is none); rows new to the gold set go to ``split``, answered rows keep
    theirs. Earlier versions' files are never changed; answers the gold set holds already write nothing (the
    latest version is returned).

    Examples
    --------
    >>> import tempfile
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> answers = pd.DataFrame({"row_id": ["r1"], "labels": [("joy",)], "annotator": ["ann"], "timestamp": [""]})
    >>> gold = import_multilabel_answers(answers, tempfile.mkdtemp(), task="t", space=space)
    >>> gold.version, gold.label_sets("dev").to_dict()
    (1, {'r1': ('joy',)})
    """
    folder = Path(gold_dir)
    with gold_lock(folder, create=True):  # read, merge, write: an import running meanwhile waits, then merges on top
        previous = load_multilabel_gold(folder, space=space) if (folder / "manifest.json").is_file() else None
        if previous is not None and previous.task != task:
            raise ReviewImportError(f"the gold set in {folder} is for task {previous.task!r}, not {task!r}")
        old = previous.frame[["row_id", "labels", "split", "annotator", "timestamp"]] if previous is not None \
            else pd.DataFrame(columns=["row_id", "labels", "split", "annotator", "timestamp"])
        splits = dict(zip(old["row_id"].astype(str), old["split"]))
        new = answers.assign(labels=[SEPARATOR.join(v) for v in answers["labels"]],
                             split=[splits.get(str(r), split) for r in answers["row_id"]],
                             annotator=[a or "reviewer" for a in answers["annotator"]])
        key = ["row_id", "annotator"]
        kept = old.merge(new[key], on=key, how="left", indicator=True)
        old = old[(kept["_merge"] == "left_only").to_numpy()]
        frame = pd.concat([old, new[["row_id", "labels", "split", "annotator", "timestamp"]]], ignore_index=True)
        version: int | str = 1
        if previous is not None:
            version = previous.version + 1 if isinstance(previous.version, int) else f"{previous.version}+1"
        history = list((previous.manifest.get("history") if previous is not None else None) or [])
        history.append({"version": version, "imported_rows": len(new), "source": "label studio"})
        return write_multilabel_gold(frame, folder, task=task, space=space, version=version, history=history,
                                     skip_if_unchanged=True)


def export_if_multilabel(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                         budget: int | None = None, fields: Iterable[str] = (), mask: bool | None = None,
                         format: str = "labelstudio") -> str:
    """``weaksup review export`` of a multi-label run: writes its tasks and returns what to print (``""`` when
    ``run_dir`` is not a multi-label run: the caller exports it as usual)."""
    from weaksup.errors import ReviewError

    if not is_multilabel_run(run_dir):
        return ""
    if format != "labelstudio":
        raise ReviewError(f"--format {format!r}: a multi-label run's review goes to Label Studio (--format "
                          "labelstudio: tasks with one checkbox per label)")
    n, path, distinct = _write_review(run_dir, out=out, budget=budget, fields=fields, mask=mask)
    return (f"{n} row(s) of the multi-label run {run_dir} to review: {path} (Label Studio tasks, the run's label "
            f"sets as predictions) and its labeling config {path.with_name(path.stem + '.labeling_config.xml')}"
            + (f"; {distinct.note()}" if distinct.note() else ""))


def import_if_multilabel(export: str | os.PathLike[str], *, task: str, gold_dir: str | os.PathLike[str] | None,
                         run_dir: str | os.PathLike[str] | None, split: str = "dev", from_name: str = FROM_NAME,
                         on_conflict: str = "keep", format: str = "auto", others: Sequence[str] = ()) -> str:
    """``weaksup review import`` into a multi-label gold set (the task's gold set, or ``--run``'s task, is
    multi-label): writes the next version and returns what to print (``""`` otherwise). With ``run_dir`` every
    answered row must be a row of the run; ``on_conflict``: rows whose annotators chose different label sets
    are kept (more than half of the annotators decide each label), skipped, or an ``error``. ``format`` and
    ``others`` (flags given that a multi-label import does not read) are checked."""
    from weaksup.errors import ReviewError
    from weaksup.multilabel.gold import is_multilabel_gold

    folder = Path(gold_dir) if gold_dir is not None else Path("gold_sets") / task
    multilabel_run = run_dir is not None and is_multilabel_run(run_dir)
    if not multilabel_run and not is_multilabel_gold(folder):
        return ""
    if format not in ("auto", "labelstudio", "labelstudio-min") or others:
        flags = [f"--format {format}"] if format not in ("auto", "labelstudio", "labelstudio-min") else []
        raise ReviewError(f"{', '.join([*flags, *others])}: a multi-label import reads Label Studio's JSON or JSON-MIN "
                          "export only; drop it")
    if on_conflict not in ("keep", "skip", "error"):
        raise ReviewError(f"--on-conflict {on_conflict!r}: choose keep, skip or error")
    run_ids = None
    if run_dir is not None:
        from weaksup.pipeline import load_run

        run = load_run(run_dir)
        run_ids = set(run.labels["row_id"].astype(str))
    if multilabel_run:
        cfg = run.config
        space = MultiLabelSpace(cfg.task.labels, exclusive=cfg.task.exclusive, none_label=cfg.task.none_label or None)
    else:
        space = load_multilabel_gold(folder).space
    answers = read_multilabel_export(export, space, from_name=from_name)
    if run_ids is not None and not answers["row_id"].astype(str).isin(run_ids).all():
        stray = sorted(set(answers["row_id"].astype(str)) - run_ids)
        raise ReviewImportError(f"{export}: {len(stray)} answered row(s) are not rows of the run {run_dir}, e.g. "
                                f"{stray[:5]}; import the export of this run's review, or check --run")
    disagree = answers.groupby("row_id")["labels"].nunique() > 1
    if disagree.any() and on_conflict != "keep":
        rows = list(disagree.index[disagree])
        if on_conflict == "error":
            raise ReviewImportError(f"{export}: annotators chose different label sets for {len(rows)} row(s), e.g. "
                                    f"{rows[:5]}; settle them in Label Studio, or --on-conflict keep (more than half "
                                    "of the annotators decide each label) or skip")
        answers = answers[~answers["row_id"].isin(rows)]
    with gold_lock(folder, create=True):  # the version before is the one this import merges into
        before = load_multilabel_gold(folder).version if is_multilabel_gold(folder) else None
        gold = import_multilabel_answers(answers, folder, task=task, space=space, split=split)
    if gold.version == before:
        return (f"gold set {folder} unchanged at version {gold.version} ({gold.describe()}): it holds these answers "
                "already; no new version written")
    return (f"gold set {folder} is now version {gold.version} ({gold.describe()}); earlier versions stay in their "
            "files. Re-run to use it: weaksup run CONFIG")
