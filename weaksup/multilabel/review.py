"""Human review of a multi-label run in Label Studio: tasks with multi-choice predictions out, the
annotated label sets back in as a new version of the multi-label gold set.

Out (:func:`export_multilabel_review`): the run's ``needs_review`` rows, the budget shared between reasons and vote
patterns (:mod:`weaksup.multilabel.review_queue`; gold rows are never exported: dev rows are reviewed already, test rows measure the labels; one row per distinct text, none
repeating a gold row's: :func:`weaksup.review.repeats.distinct_rows`), as Label Studio tasks
whose prediction is the run's label set (``{"choices": ["joy", "love"]}``, ``score`` the confidence),
beside a labeling config with ``<Choices choice="multiple">`` (:func:`multilabel_labeling_config`).

In (:func:`read_multilabel_export`, :func:`import_multilabel_answers`): Label Studio's JSON export (each
annotation's ``result`` holds a ``choices`` list) or JSON-MIN export (the control's key holds the list, or
``{"choices": [...]}``); an annotation that chose nothing is the empty set (refused with a none label), a cancelled
one is left out. The answers become the next version of the gold set (earlier versions stay on disk); a row answered
again gets the new annotator's row beside the earlier ones (the label sets are their majority per label; a row no set
wins is left out, :func:`import_if_multilabel`), an annotator's older answer never replaces their newer one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import Problems, ReviewImportError, location
from weaksup.gold.lock import gold_lock
from weaksup.validation import check_choice, check_columns
from weaksup.multilabel.gold import MultiLabelGoldSet, load_multilabel_gold, write_multilabel_gold
from weaksup.multilabel.gold_files import SEPARATOR
from weaksup.multilabel.outputs import labels_from_cell
from weaksup.multilabel.review_answers import (answer_pool, check_empty_answers, import_notes, older_answers, read_note,
                                               set_agreement, set_conflicts)
from weaksup.multilabel.review_tasks import multilabel_labeling_config, to_multilabel_tasks
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.review.answers import text
from weaksup.review.labelstudio_answers import FROM_NAME, annotator_name, other_controls, user_id
from weaksup.review.repeats import DistinctCandidates, distinct_rows

logger = logging.getLogger(__name__)


def is_multilabel_run(run_dir: str | os.PathLike[str]) -> bool:
    """Whether ``run_dir`` holds a run of a ``multilabel`` task (its ``run.json``)."""
    try:
        doc = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("task_type") == "multilabel"


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
    from weaksup.multilabel.review_queue import order_review_queue
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
    kept = ["row_id", "labels", "confidence", *(f"prob_{x}" for x in space.labels), "n_votes", "conflict"]
    queue = queue[kept].assign(row_id=queue["row_id"].astype(str)).merge(shown, on="row_id", how="left")
    seen = list(dict.fromkeys(["text", *(f for f in fields if f != text_column)]))  # what a reviewer sees
    distinct = distinct_rows(queue[seen], -queue["confidence"].to_numpy(dtype=np.float64),
                             gold=shown[shown["row_id"].isin(held)])
    queue = order_review_queue(run, queue[distinct.keep], budget=budget)  # reasons and vote patterns mixed
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
    label: neither an empty set (``[]``) nor an abstain pre-fills a review task (a CSV run and a Parquet run export
    the same tasks)."""
    return labels_from_cell(value) or None


def read_multilabel_export(path: str | os.PathLike[str], space: MultiLabelSpace, *, from_name: str = FROM_NAME,
                           id_key: str = "row_id", annotators: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """The label sets of a Label Studio JSON or JSON-MIN export: ``row_id``, ``labels`` (tuple), ``annotator``,
    ``timestamp``, ``task_id``, ``queued`` (a task of a run's review queue); one row per (non-cancelled) annotation;
    ``attrs["cancelled"]`` counts cancelled ones. ``annotators`` maps user ids to e-mails (the server's users).

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
    emails = {user_id(k) or text(k): text(v) for k, v in (annotators or {}).items() if text(v)}
    cancelled = 0
    minimal = [t for t in items if isinstance(t, dict) and not ("annotations" in t or "completions" in t)]
    if minimal and not any(from_name in t for t in minimal):
        keys = sorted({k for t in minimal for k in t} - {"id", "annotator", "annotation_id", "created_at",
                                                         "updated_at", "lead_time", id_key})
        raise ReviewImportError(f"{file}: no task holds an answer under the control tag {from_name!r} (JSON-MIN "
                                f"keys: {keys[:12]}); pass the <Choices> name as --from-name")
    for i, task in enumerate(items):
        data = task.get("data", task) if isinstance(task, dict) else None
        row_id = text(data.get(id_key)) if isinstance(data, dict) else ""
        task_id = text(task.get("id")) if isinstance(task, dict) else ""
        where = location(str(file), at=f"task {task_id or i}")
        if not row_id:
            problems.add("no_row_id", f"no {id_key!r} in the task data (tasks written by weaksup carry it)",
                         where=where)
            continue
        queued = isinstance(data, dict) and ("suggested_labels" in data or bool(text(data.get("review_reason"))))
        if "annotations" in task or "completions" in task:
            given = [a for a in task.get("annotations", task.get("completions")) or [] if isinstance(a, dict)]
            answers = [(a.get("result") or [], a) for a in given if not (a.get("was_cancelled") or a.get("skipped"))]
            cancelled += len(given) - len(answers)
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
                            "annotator": annotator_name(ann.get("completed_by", ann.get("annotator")), emails=emails,
                                                        username=ann.get("created_username")),
                            "timestamp": text(ann.get("updated_at") or ann.get("created_at")), "task_id": task_id,
                            "queued": queued})
    problems.raise_if_any(ReviewImportError)
    frame = pd.DataFrame(records, columns=["row_id", "labels", "annotator", "timestamp", "task_id", "queued"])
    frame.attrs["cancelled"] = cancelled
    return frame


def import_multilabel_answers(answers: pd.DataFrame, gold_dir: str | os.PathLike[str], *, task: str,
                              space: MultiLabelSpace, split: str = "dev") -> MultiLabelGoldSet:
    """Write ``answers`` (from :func:`read_multilabel_export`) as the next version of the multi-label gold set in
    ``gold_dir`` (version 1 when there is none); rows new to the gold set go to ``split``, answered rows keep
    theirs. Earlier versions' files are never changed; answers the gold set holds already write nothing (the
    latest version is returned), nor does an answer older than the one the gold set holds of the same annotator for
    the row (an older export imported after a newer one: :func:`~weaksup.multilabel.review_answers.older_answers`).

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
        stale = older_answers(new, old)
        if stale.any():  # the gold set keeps the newer answers
            logger.warning("%d answer(s) older than the same annotators' answers in the gold set %s are not imported "
                           "(e.g. row %r)", int(stale.sum()), folder, new["row_id"].to_numpy()[stale][0])
            new = new[~stale]
        key = ["row_id", "annotator"]
        kept = old.merge(new[key], on=key, how="left", indicator=True)
        old = old[(kept["_merge"] == "left_only").to_numpy()]
        frame = pd.concat([old, new[["row_id", "labels", "split", "annotator", "timestamp"]]], ignore_index=True)
        version: int | str = 1 if previous is None else (previous.version + 1 if isinstance(previous.version, int)
                                                         else f"{previous.version}+1")
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
                         on_conflict: str = "keep", format: str = "auto", others: Sequence[str] = (),
                         config: str | os.PathLike[str] | None = None, url: str | None = None) -> str:
    """``weaksup review import`` into a multi-label gold set (the task's gold set, or ``--run``'s or ``--config``'s
    task, is multi-label): writes the next version and returns what to print (``""`` otherwise), as a classification
    import does: answered rows must be rows of the run's (``config``'s) data; an answer older than the gold set's of
    the same annotator for the row is not imported; with a none label an empty answer is refused. ``on_conflict``:
    rows whose annotators chose different label sets are kept (more than half of them decide each label; a row no set
    wins, :func:`~weaksup.multilabel.review_answers.decided_set`, is left out and named), skipped, or an ``error``.
    ``url``: the Label Studio server whose users' e-mails name the annotators. ``others``: flags given, checked."""
    from weaksup.errors import ReviewError
    from weaksup.multilabel.gold import is_multilabel_gold
    from weaksup.review.targets import config_row_ids, gold_folder

    cfg = source = config_file = None
    if config is not None and run_dir is None:
        from weaksup.config import load_config

        cfg, source, config_file = load_config(config), f"--config {config}", config
    folder = gold_folder(task, Path(gold_dir) if gold_dir is not None else None, cfg, str(source), config)[0]
    if not (run_dir is not None and is_multilabel_run(run_dir)) and not (cfg is not None and cfg.task.type ==
                                                                        "multilabel") and not is_multilabel_gold(folder):
        return ""
    if format not in ("auto", "labelstudio", "labelstudio-min"):
        raise ReviewError(f"--format {format}: a multi-label import reads Label Studio's JSON or JSON-MIN export only; "
                          "drop it")
    if "--annotator" in others:
        raise ReviewError("--annotator: a multi-label import reads Label Studio's JSON or JSON-MIN export only (its "
                          "answers name their annotators); drop it")
    check_choice(on_conflict, ("keep", "skip", "error"), name="--on-conflict", error=ReviewError)
    run_ids, data = None, ""
    if run_dir is not None:
        from weaksup.pipeline import load_run

        run = load_run(run_dir)
        run_ids, data = set(run.labels["row_id"].astype(str)), f"the run {run_dir}"
        cfg, source, config_file = run.config, f"the run {run_dir} (its run.json)", run.manifest.get("config_source")
    elif cfg is not None:
        run_ids, data = set(config_row_ids(Path(str(config)), task)[0]), f"the data of --config {config}"
    if cfg is not None and cfg.task.type == "multilabel":
        space = MultiLabelSpace(cfg.task.labels, exclusive=cfg.task.exclusive, none_label=cfg.task.none_label or None)
    else:
        space = load_multilabel_gold(folder).space
    if url:  # annotators by e-mail, from the server's users
        from weaksup.review.labelstudio_api import LabelStudioAPI, user_emails

        with LabelStudioAPI(url) as api:
            emails = user_emails(api)
    answers = read_multilabel_export(export, space, from_name=from_name, annotators=emails if url else None)
    answers["annotator"] = [a or "reviewer" for a in answers["annotator"]]  # the name the gold set gives a blank one
    if run_ids is not None and not answers["row_id"].astype(str).isin(run_ids).all():
        stray = sorted(set(answers["row_id"].astype(str)) - run_ids)
        raise ReviewImportError(f"{export}: {len(stray)} answered row(s) are not rows of {data}, e.g. {stray[:5]}; "
                                f"import the export of this run's review, or check --run (or --config)")
    check_empty_answers(answers, export, space.none_label)
    said = [read_note(export, answers)]
    with gold_lock(folder, create=True):  # the version before is the one this import merges into
        previous = load_multilabel_gold(folder) if is_multilabel_gold(folder) else None
        old = previous.frame if previous is not None else pd.DataFrame(columns=["row_id", "labels", "annotator"])
        stale = older_answers(answers, old)
        stale_answers, answers = answers[stale], answers[~stale]
        pool = answer_pool(answers, old)
        agree, conflicts = set_agreement(pool, space.labels), set_conflicts(pool, space.labels)
        if len(conflicts) and on_conflict == "error":
            raise ReviewImportError(f"{export}: annotators chose different label sets for {len(conflicts)} row(s), e.g. "
                                    f"{list(conflicts['row_id'][:5])}; settle them in Label Studio, or --on-conflict "
                                    "keep (more than half of the annotators decide each label) or skip")
        out = conflicts if on_conflict == "skip" else conflicts[conflicts["decided"].isna()]
        answers = answers[~answers["row_id"].isin(set(out["row_id"]))]
        if not len(answers) and previous is None:
            raise ReviewImportError(f"{said[0]}; nothing to import (no answer left to write)")
        gold = import_multilabel_answers(answers, folder, task=task, space=space, split=split)
    said += import_notes(stale=stale_answers, old=old, agreement=agree, conflicts=conflicts, on_conflict=on_conflict,
                         before=previous.label_sets() if previous is not None else pd.Series(dtype=object), split=split,
                         queued_test=sorted(set(answers.loc[answers["queued"].astype(bool), "row_id"]) - set(
                             old["row_id"])) if split == "test" else [])
    if previous is not None and gold.version == previous.version:
        return "\n".join([*said, f"gold set {folder} unchanged at version {gold.version} ({gold.describe()}): " + (
            "it holds these answers already" if len(answers) else "no answer left to write") + "; no new version written"])
    rerun = gold_folder(task, folder, cfg, str(source), config_file)[1]
    return "\n".join([*said, f"gold set {folder} is now version {gold.version} ({gold.describe()}); earlier versions "
                      f"stay in their files; {rerun}"])
