"""Span review: Label Studio NER tasks out, span annotations back into a new span gold version (a REAL server in
the slow test: tasks pushed, annotated through the API by two users, exported as JSON, imported into gold v2)."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from tests.spans.conftest import TYPES
from weaksup.cli import main
from weaksup.errors import GoldSetError, ReviewImportError
from weaksup.spans.gold import load_span_gold, write_span_gold
from weaksup.spans.review import (SpanAnswers, import_span_answers, read_span_export,
                                  span_agreement, span_labeling_config, span_task)


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _region(start, end, label, text):
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}


def test_tasks_carry_the_spans_as_scored_predictions():
    row = {"row_id": "d1", "text": "Aspirin caused renal failure .",
           "spans": [{"start": 0, "end": 7, "label": "Chemical", "confidence": 0.9},
                     {"start": 15, "end": 28, "label": "Disease", "confidence": 0.4}]}
    task = span_task(row, model_version="r1")
    assert task["data"] == {"row_id": "d1", "text": row["text"], "confidence": 0.4, "review_reason": "uncertain_span"}
    result = task["predictions"][0]["result"]
    assert [r["value"]["text"] for r in result] == ["Aspirin", "renal failure"]
    assert [r["score"] for r in result] == [0.9, 0.4] and task["predictions"][0]["score"] == 0.4
    config = span_labeling_config(TYPES)
    assert '<Labels name="label" toName="text">' in config and '<Text name="text" value="$text"/>' in config


def test_a_json_export_imports_into_the_next_gold_version(tmp_path):
    text = "Aspirin caused renal failure ."
    tasks = [{"id": 1, "data": {"row_id": "d1", "text": text}, "annotations": [
        {"completed_by": 1, "result": [_region(0, 7, "Chemical", text), _region(15, 28, "Disease", text)]},
        {"completed_by": 2, "result": [_region(0, 7, "Chemical", text)]},
        {"completed_by": 3, "result": [_region(0, 7, "Chemical", text), _region(15, 28, "Disease", text)]},
        {"completed_by": 4, "result": [], "was_cancelled": True}]},
        {"id": 2, "data": {"row_id": "d9", "text": "Nothing ."}, "annotations": [{"completed_by": 1, "result": []}]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    answers = read_span_export(path, TYPES)
    assert answers.cancelled == 1 and len(answers.frame) == 4
    assert 0 < span_agreement(answers) < 1
    write_span_gold([{"row_id": "d1", "split": "test", "spans": []}, {"row_id": "d2", "split": "dev", "spans": []}],
                    tmp_path / "gold", task="toy", types=TYPES)
    gold = import_span_answers(answers, tmp_path / "gold", task="toy", types=TYPES)
    assert gold.version == 2 and gold.counts() == {"dev": 2, "test": 1}
    spans = gold.spans()
    assert spans["d1"] == [(0, 7, "Chemical"), (15, 28, "Disease")]  # 2 of 3 annotators marked the disease
    assert spans["d9"] == [] and spans["d2"] == []
    assert gold.frame.set_index("row_id").loc["d1", "split"] == "test"  # a row keeps its split
    assert load_span_gold(tmp_path / "gold", version=1).spans()["d1"] == []
    files = sorted(p.name for p in (tmp_path / "gold").iterdir())
    again = import_span_answers(answers, tmp_path / "gold", task="toy", types=TYPES)  # the same answers again
    assert again.version == 2 and again.hash == gold.hash
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == files
    bad = [{"id": 3, "data": {"row_id": "d1", "text": text}, "annotations": [
        {"completed_by": 1, "result": [_region(0, 7, "Drug", text)]}]}]
    path.write_text(json.dumps(bad))
    with pytest.raises(ReviewImportError, match="entity type 'Drug' is not one of"):
        read_span_export(path, TYPES)
    path.write_text(json.dumps({"not": "a list"}))
    with pytest.raises(ReviewImportError, match="export the project as JSON"):
        read_span_export(path, TYPES)



def test_answers_that_are_not_span_regions_under_the_tag_are_refused_not_imported_as_no_entities(tmp_path):
    text = "ASA and IBU reduced pain ."
    path = tmp_path / "export.json"

    def refused(result, needle):
        path.write_text(json.dumps([{"id": 7, "data": {"row_id": "d6", "text": text},
                                     "annotations": [{"completed_by": 1, "result": result}]}]))
        with pytest.raises(ReviewImportError) as info:
            read_span_export(path, TYPES)
        assert needle in str(info.value)

    region = _region(0, 3, "Chemical", text)
    refused([{**region, "from_name": "ner"}], "no answer from the control tag 'label', but labels from ['ner']; "
            "pass the <Labels> name as from_name (--from-name ner)")
    refused([{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["spam"]}}],
            "holds ['choices'] results and no <Labels> regions: this is not the export of a span review project")
    shifted = {**region, "value": {**region["value"], "start": 4, "end": 7}}  # says "ASA", points at "and"
    refused([shifted], "region 4..7 says its text is 'ASA' but the task's text there is 'and'")
    path.write_text(json.dumps([{"id": 1, "row_id": "d6", "label": [{"start": 0, "end": 3, "labels": ["Chemical"]}]}]))
    with pytest.raises(ReviewImportError, match=r"JSON-MIN export; export the project as JSON \(not JSON-MIN\)"):
        read_span_export(path, TYPES)


@pytest.fixture(scope="module")
def span_run(tmp_path_factory):
    """A finished spans run of the synthetic project (its gold set copied beside): ``BASE``."""
    from tests.spans.conftest import make_span_project
    from weaksup.config import load_config
    from weaksup.pipeline import run

    base = tmp_path_factory.mktemp("span_run")
    config = make_span_project(base, extra="[review]\nthreshold = 0.95\n")  # more documents to review
    run(load_config(config, project=base), progress=False)
    return base


def test_answers_for_rows_or_tokens_the_run_does_not_have_are_refused(span_run, tmp_path):
    gold_dir = shutil.copytree(span_run / "gold_sets" / "toy", tmp_path / "gold")
    rows = [json.loads(line) for line in (span_run / "out" / "spans.jsonl").read_text().splitlines()]
    text = rows[100]["text"]
    import pandas as pd

    unknown = SpanAnswers(pd.DataFrame({"row_id": ["nope"], "annotator": ["a"], "text": [""], "spans": [[]]}))
    with pytest.raises(GoldSetError, match="not documents of the run"):
        import_span_answers(unknown, gold_dir, task="toy", types=TYPES, run_dir=span_run / "out")
    cut = SpanAnswers(pd.DataFrame({"row_id": [rows[100]["row_id"]], "annotator": ["a"], "text": [text],
                                    "spans": [[(0, 3, "Chemical")]]}))
    with pytest.raises(GoldSetError, match="does not fall on token boundaries"):
        import_span_answers(cut, gold_dir, task="toy", types=TYPES, run_dir=span_run / "out")


def test_review_flags_a_spans_run_cannot_honour_exit_2_and_its_text_is_never_exported_unmasked(span_run, tmp_path,
                                                                                                capsys):
    out = tmp_path / "tasks.json"
    code, _, err = cli(capsys, "review", "export", span_run / "out", "--threshold", "0.1", "--out", out)
    assert code == 2 and "--threshold: options of a classification review queue; a spans run's queue" in err
    code, _, err = cli(capsys, "review", "export", span_run / "out", "--mask", "--out", out)
    assert code == 2 and "--mask: a spans review cannot mask the text, since its spans are character offsets" in err
    assert not out.exists()
    manifest = span_run / "out" / "run.json"
    saved = manifest.read_text()
    doc = json.loads(saved)
    doc["config"]["review"]["sensitive_fields"] = ["text"]
    try:
        manifest.write_text(json.dumps(doc))
        code, _, err = cli(capsys, "review", "export", span_run / "out", "--out", out)
        assert code == 2 and "review.sensitive_fields holds the text column 'text'" in err and not out.exists()
        code, said, err = cli(capsys, "review", "export", span_run / "out", "--no-mask", "--out", out)
        assert code == 0 and out.exists(), err  # the user's explicit choice
    finally:
        manifest.write_text(saved)
    gold_dir = shutil.copytree(span_run / "gold_sets" / "toy", tmp_path / "gold")
    export = tmp_path / "export.json"
    export.write_text("[]")
    code, _, err = cli(capsys, "review", "import", export, "--task", "other", "--gold-dir", gold_dir)
    assert code == 2 and "is for task 'toy', not 'other'" in err
    code, _, err = cli(capsys, "review", "import", export, "--task", "toy", "--gold-dir", gold_dir, "--format", "csv")
    assert code == 2 and "--format csv: a span import reads Label Studio's JSON export only" in err
    assert json.loads((gold_dir / "manifest.json").read_text())["task"] == "toy"


@pytest.mark.slow
def test_label_studio_round_trip_into_gold_v2(label_studio, span_run, tmp_path, capsys):
    code, out, err = cli(capsys, "review", "export", span_run / "out", "--budget", 5, "--out", tmp_path / "tasks.json")
    assert code == 0, err
    assert "5 document(s) of the spans run" in out
    tasks_path = tmp_path / "tasks.json"
    tasks = json.loads(tasks_path.read_text())
    gold_ids = set(load_span_gold(span_run / "gold_sets" / "toy").frame["row_id"])
    assert not {t["data"]["row_id"] for t in tasks} & gold_ids  # gold documents are never queued
    assert [t["data"]["review_reason"] for t in tasks].count("uncovered") == 1  # the run's one document with no span
    scores = [t["predictions"][0]["score"] for t in tasks if t["data"]["review_reason"] == "uncertain_span"]
    assert scores == sorted(scores)  # least sure first
    config = (tmp_path / "tasks.labeling_config.xml").read_text()
    admin = httpx.Client(base_url=label_studio.url, headers=label_studio.headers, timeout=60)
    project = admin.post("/api/projects", json={"title": "weaksup spans", "label_config": config})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    imported = admin.post(f"/api/projects/{pid}/import", json=tasks).json()
    assert imported["task_count"] == 5 and imported["prediction_count"] == 5
    listed = admin.get("/api/tasks", params={"project": pid, "page_size": 100}).json()["tasks"]
    full = [admin.get(f"/api/tasks/{t['id']}").json() for t in listed]
    expected = {}
    for k, task in enumerate(full):
        text, prediction = task["data"]["text"], task["predictions"][0]
        regions = [r for r in prediction["result"]]
        if task["data"]["review_reason"] == "uncovered":  # no prediction region: the entity every LF missed drawn
            first = text.split()[0]
            result = [_region(0, len(first), "Chemical", text)]
        elif k == 0:  # the prediction accepted unchanged
            result = [{**r, "origin": "prediction"} for r in regions]
        elif k == 1:  # one span dropped, a new one drawn on the first token
            first = text.split()[0]
            result = regions[1:] + [_region(0, len(first), "Chemical", text)]
        elif k == 2:  # no entity in the document
            result = []
        else:
            result = regions
        reply = admin.post(f"/api/tasks/{task['id']}/annotations", json={"result": result, "lead_time": 2.0})
        assert reply.status_code == 201, reply.text
        expected[task["data"]["row_id"]] = sorted({(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                                   for r in result})
    export = tmp_path / "export.json"
    from weaksup.review.labelstudio_api import LabelStudioAPI

    with LabelStudioAPI(label_studio.url, token=label_studio.token) as api:
        export.write_bytes(api.export(pid, "JSON"))
    answers = read_span_export(export, TYPES)
    assert set(answers.frame["row_id"]) == set(expected)
    from tests.review.helpers import repoint_gold

    gold_dir = shutil.copytree(span_run / "gold_sets" / "toy", tmp_path / "gold")
    run_dir = repoint_gold(shutil.copytree(span_run / "out", tmp_path / "run"), gold_dir)  # a run reading the copy
    code, out, err = cli(capsys, "review", "import", export, "--task", "toy", "--gold-dir", gold_dir, "--run",
                         run_dir)
    assert code == 0, err
    assert "is now version 2" in out and "5 annotation(s), 0 cancelled" in out
    gold = load_span_gold(gold_dir)
    assert gold.version == 2 and gold.counts()["dev"] == 40 + 5
    spans = gold.spans()
    for row_id, want in expected.items():
        assert spans[row_id] == want
    assert load_span_gold(gold_dir, version=1).counts() == {"dev": 40, "test": 40}


def test_regions_that_cut_the_runs_tokens_are_named_by_export_file_and_task_fixed_in_label_studio(span_run, tmp_path):
    gold_dir = shutil.copytree(span_run / "gold_sets" / "toy", tmp_path / "gold")
    rows = [json.loads(line) for line in (span_run / "out" / "spans.jsonl").read_text().splitlines()]
    tasks = [{"id": 40 + k, "data": {"row_id": rows[i]["row_id"], "text": rows[i]["text"]}, "annotations": [
        {"completed_by": 1, "result": [_region(0, 3, "Chemical", rows[i]["text"])]}]} for k, i in enumerate((100, 101))]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(GoldSetError) as info:
        import_span_answers(read_span_export(path, TYPES), gold_dir, task="toy", types=TYPES, run_dir=span_run / "out")
    message = str(info.value)
    assert f"Label Studio export {path} has 2 problems" in message
    for k, i in enumerate((100, 101)):
        assert f"{path}: task {40 + k}: row {rows[i]['row_id']!r}: the span 0..3" in message
    assert message.count("fix the region in Label Studio") == 2 and "in the gold set" not in message


def test_an_import_against_a_run_tokenizes_the_answers_before_it_locks_the_gold_set(span_run, tmp_path, capsys,
                                                                                   monkeypatch):
    """Tokenizing the answered documents (checking the regions against the run's tokens) is done with the gold
    folder free: another import of the same gold set does not wait meanwhile."""
    import threading

    from tests.review.helpers import repoint_gold
    from weaksup.gold.lock import gold_lock
    from weaksup.spans.doc import SpanDoc

    gold_dir = shutil.copytree(span_run / "gold_sets" / "toy", tmp_path / "gold")
    run_dir = repoint_gold(shutil.copytree(span_run / "out", tmp_path / "run"), gold_dir)
    rows = [json.loads(line) for line in (span_run / "out" / "spans.jsonl").read_text().splitlines()]
    tasks = [{"id": 1, "data": {"row_id": rows[100]["row_id"], "text": rows[100]["text"]},
              "annotations": [{"completed_by": 1, "result": []}]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    free_while_tokenizing = []
    from_text = SpanDoc.from_text

    def watched(text, *args, **kwargs):
        def try_lock():
            try:
                with gold_lock(gold_dir, timeout=0.05):
                    free_while_tokenizing.append(True)
            except GoldSetError:
                free_while_tokenizing.append(False)

        other = threading.Thread(target=try_lock)  # another writer: gold_lock is reentrant within a thread only
        other.start()
        other.join()
        return from_text(text, *args, **kwargs)

    monkeypatch.setattr(SpanDoc, "from_text", staticmethod(watched))
    code, out, err = cli(capsys, "review", "import", export, "--task", "toy", "--gold-dir", gold_dir, "--run", run_dir)
    assert code == 0, err
    assert free_while_tokenizing and all(free_while_tokenizing)
