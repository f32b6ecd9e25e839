"""``weaksup review push`` / ``pull`` of a SPANS run against a real Label Studio server.

Push sends the NER tasks ``weaksup review export`` writes for a spans run (``<Labels>`` on ``<Text>`` with the
run's entity types, the run's spans as scored predictions) into a new project; an annotator who signed up through
the web form answers through the API (one task its predicted spans plus a new one, one task no entity), and pull
takes the spans into the next version of the run's span gold set. Before the fix push built a classification
queue of the spans run and pull read the span gold set as a single-label one.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.spans.conftest import TYPES, make_span_project
from tests.review.helpers import cli
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.review.labelstudio import labeling_config
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI
from weaksup.spans.gold import load_span_gold

pytestmark = pytest.mark.slow

ANN, ANN_PASSWORD = "span-annotator@weaksup.test", "span-annotator-pass"


def _region(start: int, end: int, label: str, text: str) -> dict:
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}


@pytest.fixture()
def span_run(tmp_path, monkeypatch):
    """A run of the synthetic span project (``tests.spans.conftest``) in ``tmp_path`` (the working folder)."""
    monkeypatch.chdir(tmp_path)
    config = make_span_project(tmp_path, extra="[review]\nthreshold = 0.95\n")  # documents to review
    run(load_config(config, project=tmp_path), progress=False)
    return tmp_path


def test_spans_push_answer_pull_writes_the_next_span_gold_version(label_studio, span_run, capsys, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    url, run_dir, gold_dir = label_studio.url, span_run / "out", span_run / "gold_sets" / "toy"
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "toy spans round trip",
                         "--budget", 4)
    assert code == 0, err
    assert "4 task(s) pushed, 0 already there" in out and "4 document(s) of the spans run" in out
    pushed = json.loads((run_dir / "review" / "tasks.json").read_text(encoding="utf-8"))
    assert len(pushed) == 4 and all(r["type"] == "labels" for t in pushed for r in t["predictions"][0]["result"])
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "toy spans round trip",
                         "--budget", 4)
    assert code == 0 and "0 task(s) pushed, 4 already there" in out, err  # pushing again adds nothing
    admin = httpx.Client(base_url=url, headers=label_studio.headers, timeout=60)
    with LabelStudioAPI(url) as api:
        project = api.project("toy spans round trip")
    assert project["parsed_label_config"]["label"]["type"] == "Labels"  # NER: <Labels> with the entity types
    assert project["parsed_label_config"]["label"]["labels"] == TYPES
    assert project["description"].startswith("weaksup task: toy")
    listed = admin.get("/api/tasks", params={"project": project["id"], "page_size": 100}).json()["tasks"]
    full = [admin.get(f"/api/tasks/{t['id']}").json() for t in listed]
    assert {t["data"]["row_id"] for t in full} == {t["data"]["row_id"] for t in pushed}
    assert all(t["predictions"] and t["predictions"][0]["result"] for t in full)  # the run's spans, as predictions
    annotator = httpx.Client(base_url=url, timeout=60,
                             headers={"Authorization": f"Token {label_studio.sign_up(ANN, ANN_PASSWORD)}"})
    first, second = full[0], full[1]
    text = first["data"]["text"]
    word = text.split()[-2]  # a whole token the annotator marks as well (the last one is the final ".")
    start = text.rindex(word)
    accepted = [{k: r[k] for k in ("from_name", "to_name", "type", "value")} for r in first["predictions"][0]["result"]]
    accepted = [r for r in accepted if r["value"]["end"] <= start]  # the predicted spans before it
    answers = {first["data"]["row_id"]: accepted + [_region(start, start + len(word), "Disease", text)],
               second["data"]["row_id"]: []}  # no entity in the second document
    for task in (first, second):
        reply = annotator.post(f"/api/tasks/{task['id']}/annotations", json={"result": answers[task["data"]["row_id"]]})
        assert reply.status_code == 201, reply.text
    code, out, err = cli(capsys, "review", "pull", "toy spans round trip", "--url", url, "--run", run_dir)
    assert code == 0, err
    assert "is now version 2" in out and "missing column" not in out + err
    assert "weaksup-pull-" not in out + err  # messages name the project, not the temporary file
    gold = load_span_gold(gold_dir)
    assert gold.version == 2 and load_span_gold(gold_dir, version=1).counts() == {"dev": 40, "test": 40}
    assert gold.counts() == {"dev": 42, "test": 40}
    spans = gold.spans()
    for row_id, result in answers.items():
        assert spans[row_id] == sorted({(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                        for r in result})
    assert spans[first["data"]["row_id"]] and spans[second["data"]["row_id"]] == []
    new = gold.frame[gold.frame["row_id"].isin(list(answers))]
    assert set(new["annotator"]) == {ANN} and set(new["split"]) == {"dev"}  # annotators by e-mail
    code, out, err = cli(capsys, "review", "pull", str(project["id"]), "--url", url)  # the task from the project
    assert code == 0, err
    assert "unchanged at version 2" in out and load_span_gold(gold_dir).version == 2  # the same answers again


def test_spans_push_and_pull_refuse_a_classification_project_and_queue_options(label_studio, span_run, capsys,
                                                                                 monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    url, run_dir = label_studio.url, span_run / "out"
    code, _, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "toy spans options", "--order",
                       "uncertainty")
    assert code == 2 and "--order: options of a classification review queue; a spans run's queue" in err
    with LabelStudioAPI(url) as api:
        assert api.find_project("toy spans options") is None  # nothing created
        choices = api.create_project("toy spans choices", labeling_config(TYPES), description="weaksup task: toy")
    for args in (("push", run_dir, "--project", choices["id"]), ("pull", choices["id"], "--run", run_dir)):
        code, _, err = cli(capsys, "review", *args, "--url", url)
        assert code == 2 and "Traceback" not in err
        assert f"project {choices['id']} 'toy spans choices' at {url} has no <Labels name='label'>" in err
        assert "but the run labels spans" in err
    with LabelStudioAPI(url) as api:
        assert api.task_data(int(choices["id"])) == []  # nothing pushed
    assert load_span_gold(span_run / "gold_sets" / "toy").version == 1  # nothing pulled
