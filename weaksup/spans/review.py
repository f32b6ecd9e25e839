"""Human review of a spans run in Label Studio: NER tasks with the run's spans as predictions out, the annotated
spans back in as a new version of the span gold set.

Out (:func:`export_span_review`): the run's ``needs_review`` documents, least sure first, sharing the budget with
the documents that have no span at all, spread over text clusters (:mod:`weaksup.spans.review_queue`: gold documents
are never exported: dev ones are reviewed already, test ones measure the spans; one document per distinct text, none
repeating a gold document's), as Label Studio tasks (``data``: ``row_id``, ``text``, ``confidence``,
``review_reason``) whose prediction holds one ``labels`` region per span (char offsets into the text, ``score`` the
span's confidence; the prediction's ``score`` the least sure span's; none for a document without spans), beside a
labeling config with ``<Labels>`` on ``<Text>`` (:func:`span_labeling_config`).

In (:func:`read_span_export`, :func:`import_span_answers`): Label Studio's JSON export (each annotation's
``result`` holds ``labels`` regions with ``start``/``end``/``labels``); a cancelled annotation is left out; a
document annotated with no region has no entity. The answers become the next version of the span gold set
(earlier versions stay on disk): a document answered by several annotators keeps the spans more than half of
them marked, a document where exactly half of them marked some span is left out (tied: named by the import; see
:mod:`weaksup.spans.review_votes`), and :func:`span_agreement` measures how often they agreed (exact-match F1
between pairs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from weaksup.errors import GoldSetError, Problems, ReviewImportError, location
from weaksup.gold.lock import gold_lock
from weaksup.review.labelstudio_answers import FROM_NAME, TO_NAME, annotator_name, other_controls
from weaksup.spans.gold import SpanGoldSet, load_span_gold, next_version, write_span_gold
from weaksup.spans.gold_spans import token_spans
from weaksup.spans.review_checks import CUT_REGION_FIX, overlap_note, utf16_hint
from weaksup.spans.review_queue import UNCERTAIN_SPAN, SpanQueue, least_sure, order_span_queue
from weaksup.spans.review_votes import TIED, majority_spans, span_agreement, span_conflict_notes

#: A char span ``(start, end, label)``.
CharSpan = tuple[int, int, str]


def span_labeling_config(types: Sequence[str], *, from_name: str = FROM_NAME, to_name: str = TO_NAME) -> str:
    """The Label Studio labeling config (XML) of an NER task: one label per entity type, on the text.

    Examples
    --------
    >>> print(span_labeling_config(["Chemical", "Disease"]))
    <View>
      <Header value="Least sure span: $confidence, queued for: $review_reason"/>
      <Labels name="label" toName="text">
        <Label value="Chemical"/>
        <Label value="Disease"/>
      </Labels>
      <Text name="text" value="$text"/>
    </View>
    """
    labels = "\n".join(f"    <Label value={quoteattr(t)}/>" for t in types)
    return (f"<View>\n  <Header value=\"Least sure span: $confidence, queued for: $review_reason\"/>\n"
            f"  <Labels name={quoteattr(from_name)} toName={quoteattr(to_name)}>\n{labels}\n  </Labels>\n"
            f"  <Text name={quoteattr(to_name)} value=\"$text\"/>\n</View>")


def span_task(row: dict[str, Any], *, model_version: str, from_name: str = FROM_NAME, to_name: str = TO_NAME,
              reason: str = UNCERTAIN_SPAN) -> dict[str, Any]:
    """One Label Studio task of an output row (``row_id``, ``text``, ``spans``), its spans as the prediction and
    ``reason`` (:data:`~weaksup.spans.review_queue.SPAN_REASONS`) its ``review_reason``.

    Examples
    --------
    >>> task = span_task({"row_id": "d1", "text": "Aspirin hurts", "spans": [
    ...     {"start": 0, "end": 7, "label": "Chemical", "confidence": 0.62}]}, model_version="r1")
    >>> task["predictions"][0]["result"][0]["value"], task["predictions"][0]["score"]
    ({'start': 0, 'end': 7, 'text': 'Aspirin', 'labels': ['Chemical']}, 0.62)
    """
    text = str(row["text"])
    spans = list(row.get("spans") or [])
    least = least_sure(row)
    result = [{"id": f"s{k}", "from_name": from_name, "to_name": to_name, "type": "labels",
               "value": {"start": int(s["start"]), "end": int(s["end"]), "text": text[int(s["start"]):int(s["end"])],
                         "labels": [str(s["label"])]}, "score": round(float(s["confidence"]), 6)}
              for k, s in enumerate(spans)]
    return {"data": {"row_id": str(row["row_id"]), "text": text, "confidence": round(least, 4),
                     "review_reason": reason},
            "predictions": [{"model_version": model_version, "score": round(least, 6), "result": result}]}


def _run_manifest(run_dir: Path) -> dict[str, Any]:
    try:
        doc = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReviewImportError(f"{run_dir}: no readable run.json ({exc}); give the folder of a finished spans "
                                "run") from None
    if not isinstance(doc, dict) or doc.get("task_type") != "spans":
        raise ReviewImportError(f"{run_dir}: run.json is not a spans run's; give the folder of a `weaksup run` "
                                "with [task] type = \"spans\"")
    return doc


def run_rows(run_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A finished spans run's ``run.json`` and the rows of its labels output (``spans.jsonl``), in order."""
    from weaksup.spans.task import read_rows

    folder = Path(run_dir)
    doc = _run_manifest(folder)
    return doc, read_rows(folder / str(doc["outputs"]["labels"]))


def _gold_ids(doc: dict[str, Any]) -> set[str]:
    """The row ids of the run's gold set (none without one)."""
    path = (doc.get("config") or {}).get("gold", {}).get("path")
    if not path:
        return set()
    folder = Path(path) if Path(path).is_absolute() else Path(str(doc.get("project") or ".")) / path
    gold = load_span_gold(folder)
    return set(gold.frame["row_id"].astype(str))


def _check_sensitive_fields(run_dir: str | os.PathLike[str]) -> None:
    """The run's ``review.sensitive_fields`` name columns of its input, as for every review export (a misspelt
    text column would let the text out, where the right name refuses the export: see
    :func:`weaksup.review.targets.check_export_options`)."""
    from weaksup.pipeline import load_run
    from weaksup.pipeline.inputs import read_chunks
    from weaksup.review.privacy import check_run_sensitive_fields

    config = load_run(run_dir, verify=False).config
    if config.review.sensitive_fields:
        first = next(iter(read_chunks(config, None)), None)
        columns = list(first.columns) if first is not None else []
        check_run_sensitive_fields(config.review.sensitive_fields, columns, run_dir=run_dir)


def export_span_review(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                       budget: int | None = None) -> tuple[int, Path]:
    """Write the review tasks of a spans run (``RUN_DIR/review/tasks.json`` by default) and the labeling config
    beside them; returns the number of tasks and the tasks file.

    The routed documents (``review_reason`` ``uncertain_span``) share the budget with those that have no span
    (``uncovered``), as the reasons of a classification review queue do
    (:func:`~weaksup.spans.review_queue.order_span_queue`). One task per distinct text, its least sure document, as in a classification review queue
    (:func:`weaksup.review.repeats.distinct_rows`): copies of a queued text, or of a gold document's text, are left
    out."""
    n, target, _ = _write_review(run_dir, out=out, budget=budget)
    return n, target


def _write_review(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None,
                  budget: int | None) -> tuple[int, Path, SpanQueue]:
    """:func:`export_span_review`, with the queue (its reasons, the documents left out as repeated texts)."""
    from weaksup.review.labelstudio import write_tasks

    doc, rows = run_rows(run_dir)
    _check_sensitive_fields(run_dir)
    queue = order_span_queue(rows, _gold_ids(doc), budget=budget)
    tasks = [span_task(r, model_version=str(doc.get("rule_version", "")), reason=reason)
             for r, reason in zip(queue.rows, queue.reasons)]
    target = Path(out) if out is not None else Path(run_dir) / "review" / "tasks.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_tasks(tasks, target, config=span_labeling_config(doc.get("label_space") or []))
    return len(tasks), target, queue


@dataclass(frozen=True)
class SpanAnswers:
    """The span annotations of a Label Studio export: one row per (document, annotator) in :attr:`frame`
    (``row_id``, ``annotator``, ``text``, ``spans``: a sorted list of char spans), and the cancelled count."""

    frame: pd.DataFrame
    cancelled: int = 0
    #: The export file (what errors about its regions name, with the task id: ``task`` column of :attr:`frame`).
    source: str = ""


def read_span_export(path: str | os.PathLike[str], types: Sequence[str], *, from_name: str = FROM_NAME,
                     annotators: Mapping[str, str] | None = None) -> SpanAnswers:
    """The span annotations of a Label Studio JSON export (``annotators``: user id -> e-mail, the server's users).

    Raises
    ------
    ReviewImportError
        Every problem at once, each naming the task: not a JSON list, a task without ``row_id``, a region with
        an unknown entity type, bad offsets, or offsets whose text is not the region's ``text``.
    """
    file = Path(path)
    try:
        tasks = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReviewImportError(f"{file}: not a readable Label Studio JSON export ({exc}); export the project as "
                                "JSON") from None
    if not isinstance(tasks, list):
        raise ReviewImportError(f"{file}: a Label Studio JSON export is a list of tasks; got "
                                f"{type(tasks).__name__}; export the project as JSON (not JSON-MIN)")
    problems = Problems(f"Label Studio export {file}")
    known = set(types)
    records, cancelled, minimal = [], 0, []
    for i, task in enumerate(tasks):
        data = task.get("data") or {} if isinstance(task, dict) else {}
        row_id, text = data.get("row_id"), str(data.get("text") or "")
        where = location(str(file), at=f"task {task.get('id', i) if isinstance(task, dict) else i}")
        if isinstance(task, dict) and "annotations" not in task and "completions" not in task and "data" not in task:
            minimal.append(str(task.get("id", i)))  # said once, below
            continue
        if row_id in (None, ""):
            problems.add("missing_row_id", "the task's data has no row_id (tasks come from weaksup review export)",
                         where=where)
            continue
        for annotation in task.get("annotations") or []:
            if annotation.get("was_cancelled"):
                cancelled += 1
                continue
            result = [r for r in annotation.get("result") or [] if isinstance(r, dict)]
            if other_controls(result, from_name, "labels", problems, where=where):
                continue
            kinds = sorted({str(r.get("type")) for r in result} - {"labels", "relation"})
            if kinds and not any(r.get("type") == "labels" for r in result):
                problems.add("not_spans", f"row {row_id!r}: the answer holds {kinds} results and no <Labels> "
                             "regions: this is not the export of a span review project", where=where)
                continue
            spans: list[CharSpan] = []
            for region in result:
                if region.get("type") != "labels" or region.get("from_name") != from_name:
                    continue
                value = region.get("value") or {}
                try:
                    start, end, labels = int(value["start"]), int(value["end"]), list(value["labels"])
                except (KeyError, TypeError, ValueError):
                    problems.add("bad_region", f"a region without start/end/labels: {str(value)[:80]}", where=where)
                    continue
                for label in labels:
                    if label not in known:
                        problems.add("unknown_label", f"row {row_id!r}: entity type {label!r} is not one of "
                                     f"{list(types)}", where=where)
                    elif not 0 <= start < end <= len(text):
                        problems.add("bad_offsets", f"row {row_id!r}: region {start}..{end} is outside the text "
                                     f"({len(text)} characters)" + utf16_hint(text, start, end, value.get("text")),
                                     where=where)
                    elif isinstance(value.get("text"), str) and text[start:end] != value["text"]:
                        hint = utf16_hint(text, start, end, value["text"])
                        problems.add("bad_offsets", f"row {row_id!r}: region {start}..{end} says its text is "
                                     f"{value['text']!r} but the task's text there is {text[start:end]!r}" + (
                                         hint or " (offsets counted in another unit, e.g. UTF-16 around emoji, or a "
                                         "task text edited after export); fix the region or re-annotate it"),
                                     where=where)
                    else:
                        spans.append((start, end, str(label)))
            who = annotator_name(annotation.get("completed_by"), emails=annotators)
            if clash := overlap_note(sorted(set(spans)), text):
                problems.add("overlapping_regions", f"row {row_id!r}: {who}'s regions overlap: {clash}; the span task "
                             "is flat NER (one entity type per token): keep one region per stretch of text in Label "
                             "Studio (the right type), export again and import", where=where)
            records.append({"row_id": str(row_id), "annotator": who, "text": text, "spans": sorted(set(spans)),
                            "task": str(task.get("id", i))})
    if minimal:
        problems.add("json_min", f"{len(minimal)} task(s) without data or annotations (tasks {', '.join(minimal[:5])}"
                     f"{' ...' if len(minimal) > 5 else ''}): this looks like a JSON-MIN export; export the project "
                     "as JSON (not JSON-MIN)", where=str(file))
    problems.raise_if_any(ReviewImportError, fix=f"the entity types are {list(types)}; regions are char offsets "
                          "into the task's text")
    frame = pd.DataFrame(records, columns=["row_id", "annotator", "text", "spans", "task"])
    return SpanAnswers(frame, cancelled, str(file))


def check_against_run(answers: SpanAnswers, run_dir: str | os.PathLike[str], tokenizer: str | None = None) -> None:
    """Check span answers against the finished spans run ``run_dir``: every answered row id is one of its documents,
    with the same text, and every span falls on the run's token boundaries (its ``[task] tokenizer``, or
    ``tokenizer``); a :class:`~weaksup.errors.GoldSetError` names the row and the fix otherwise.

    It reads no gold set and takes no lock: :func:`import_if_spans` calls it before it locks the gold folder, so an
    import that tokenizes many documents does not keep another import of the same gold set waiting meanwhile.
    """
    from weaksup.spans.doc import SpanDoc

    decided = majority_spans(answers)
    doc, rows = run_rows(run_dir)
    texts = {str(r["row_id"]): str(r["text"]) for r in rows}
    tokenizer = tokenizer or str((doc.get("config") or {}).get("task", {}).get("tokenizer") or "whitespace")
    unknown = sorted(set(decided["row_id"]) - set(texts))
    if unknown:
        raise GoldSetError(f"{len(unknown)} answered row id(s) are not documents of the run {run_dir}, e.g. "
                           f"{unknown[:5]}; import the export of the tasks this run's review export wrote")
    for row in decided.itertuples(index=False):
        if row.text and row.text != texts[row.row_id]:
            raise GoldSetError(f"row {row.row_id!r}: the task's text differs from the run's document; the tasks "
                               "come from another run (or the text was masked): import against that run")
    task_of = dict(zip(answers.frame["row_id"], answers.frame["task"])) if "task" in answers.frame else {}
    problems = Problems(f"Label Studio export {answers.source}" if answers.source else "Label Studio answers")
    for r, spans in zip(decided["row_id"], decided["spans"]):
        where = location(answers.source or "Label Studio answers", at=f"task {task_of[r]}" if r in task_of else None)
        token_spans(SpanDoc.from_text(texts[r], tokenizer), spans, row_id=r, where=where, problems=problems,
                    cut_fix=CUT_REGION_FIX)
    problems.raise_if_any(GoldSetError)


def import_span_answers(answers: SpanAnswers, gold_dir: str | os.PathLike[str], *, task: str, types: Sequence[str],
                        split: str = "dev", run_dir: str | os.PathLike[str] | None = None,
                        tokenizer: str | None = None) -> SpanGoldSet:
    """Write the answers as the next version of the span gold set in ``gold_dir`` (its rows kept, answered
    documents replaced or added in ``split``); answers the gold set holds already write nothing (the latest
    version is returned). A document its annotators tie on (:func:`~weaksup.spans.review_votes.majority_spans`:
    some span marked by exactly half of them) is not written: a row the gold set holds keeps its spans.

    With ``run_dir`` (a finished spans run), the answers are checked against it first
    (:func:`check_against_run`).
    """
    decided = majority_spans(answers)
    if run_dir is not None:
        check_against_run(answers, run_dir, tokenizer)
    folder = Path(gold_dir)
    with gold_lock(folder, create=True):  # read, merge, write: an import running meanwhile waits, then merges on top
        previous = load_span_gold(folder, types=types).frame if (folder / "manifest.json").is_file() else None
        new = {r.row_id: r for r in decided.itertuples(index=False) if r.status != TIED}
        kept = [] if previous is None else [
            {"row_id": r.row_id, "split": r.split, "spans": list(r.spans), "annotator": r.annotator}
            for r in previous.itertuples(index=False) if r.row_id not in new]
        split_of = {} if previous is None else dict(zip(previous["row_id"], previous["split"]))
        answered = [{"row_id": r.row_id, "split": split_of.get(r.row_id, split), "spans": list(r.spans),
                     "annotator": r.annotator} for r in new.values()]
        return write_span_gold(kept + answered, folder, task=task, types=types, version=next_version(folder),
                               description=f"span answers imported from Label Studio ({len(answered)} document(s))",
                               skip_if_unchanged=True)


def export_if_spans(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                    budget: int | None = None, format: str = "labelstudio") -> str:
    """``weaksup review export`` of a spans run: writes its NER tasks and returns what to print (``""`` when
    ``run_dir`` is not a spans run: the caller exports it as usual)."""
    from weaksup.errors import ReviewError

    try:
        doc = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(doc, dict) or doc.get("task_type") != "spans":
        return ""
    if format != "labelstudio":
        raise ReviewError(f"--format {format!r}: a spans run's review goes to Label Studio (--format labelstudio: "
                          "NER tasks, <Labels> on <Text>)")
    n, path, queue = _write_review(run_dir, out=out, budget=budget)
    distinct = queue.distinct
    reasons = ", ".join(f"{k} {v} of {queue.available[k]}" for k, v in queue.counts().items())
    return (f"{n} document(s) of the spans run {run_dir} to review ({reasons}): {path} (Label Studio NER tasks, the "
            f"run's spans as scored predictions) and its labeling config "
            f"{path.with_name(path.stem + '.labeling_config.xml')}" + (f"; {distinct.note()}" if distinct.note() else ""))


def import_if_spans(export: str | os.PathLike[str], *, task: str, gold_dir: str | os.PathLike[str] | None,
                    run_dir: str | os.PathLike[str] | None, split: str = "dev", from_name: str = FROM_NAME,
                    format: str = "auto", others: Sequence[str] = (),
                    annotators: Mapping[str, str] | None = None) -> str:
    """``weaksup review import`` into a span gold set (the task's gold set, or ``--run``'s, is a span one): writes
    the next version and returns what to print (``""`` otherwise). ``format`` and ``others`` (flags given that a
    span import does not read) are checked; ``annotators`` (user id -> e-mail) names annotators by e-mail."""
    from weaksup.errors import ReviewError
    from weaksup.spans.gold import is_span_gold

    folder = Path(gold_dir) if gold_dir is not None else Path("gold_sets") / task
    if not is_span_gold(folder):
        return ""
    if format not in ("auto", "labelstudio") or others:
        flags = [f"--format {format}"] if format not in ("auto", "labelstudio") else []
        raise ReviewError(f"{', '.join([*flags, *others])}: a span import reads Label Studio's JSON export only; "
                          "drop it")
    types = list(load_span_gold(folder).types)
    answers = read_span_export(export, types, from_name=from_name, annotators=annotators)
    if run_dir is not None:  # tokenizing the answered documents takes a while: before the lock, not under it
        check_against_run(answers, run_dir)
    with gold_lock(folder):  # the version before is the one this import merges into
        previous = load_span_gold(folder, types=types)
        gold = import_span_answers(answers, folder, task=task, types=types, split=split)
    agreement = span_agreement(answers)
    agreed = "" if agreement != agreement else f"; annotators agree on {agreement:.0%} of spans (exact-match F1)"
    notes = "".join("\n" + line for line in span_conflict_notes(
        majority_spans(answers), held=set(previous.frame["row_id"]), split=split))
    if gold.version == previous.version:
        return (f"gold set {folder} unchanged at version {gold.version} ({gold.describe()}): it holds these "
                f"{len(answers.frame)} annotation(s) already{agreed}; no new version written{notes}")
    return (f"gold set {folder} is now version {gold.version} ({gold.describe()}); {len(answers.frame)} annotation(s), "
            f"{answers.cancelled} cancelled{agreed}; earlier versions stay in their files. Re-run to use it: "
            f"weaksup run CONFIG{notes}")
