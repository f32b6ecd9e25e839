"""``weaksup review push`` / ``pull`` of a MULTI-LABEL run against a real Label Studio server.

Push sends the multi-choice tasks ``weaksup review export`` writes for a multi-label run (``<Choices
choice="multiple">`` with the run's labels, the run's label sets as predictions) into a new project; an annotator
who signed up through the web form answers two tasks through the API (two labels; one label), and pull takes the
label sets into the next version of the run's multi-label gold set. Before the fix both commands read the gold set
as a single-label one and stopped at "missing column(s) ['label']".
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.multilabel.ml_project import NOISY_LF, SPACE, make_ml_project, number_review_texts
from tests.review.helpers import cli
from weaksup.config import load_config
from weaksup.multilabel.gold import load_multilabel_gold
from weaksup.pipeline import run
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI

pytestmark = pytest.mark.slow

ANN, ANN_PASSWORD = "ml-annotator@weaksup.test", "ml-annotator-pass"


def _choices(*labels: str) -> list[dict]:
    return [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": list(labels)}}]


@pytest.fixture()
def ml_run(tmp_path, monkeypatch):
    """A run of the synthetic multi-label tickets project (``tests.multilabel.ml_project``) in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)  # else every row to review repeats a gold row's text: none is queued
    lfs = tmp_path / "ticket_lfs.py"
    lfs.write_text(lfs.read_text(encoding="utf-8") + NOISY_LF, encoding="utf-8")
    run(load_config(config), progress=False)
    return tmp_path


def test_multilabel_push_answer_pull_writes_the_next_gold_version(label_studio, ml_run, capsys, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    url, run_dir, gold_dir = label_studio.url, ml_run / "out", ml_run / "gold_sets" / "tickets"
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "tickets ml round trip",
                         "--budget", 5)
    assert code == 0, err
    assert "5 task(s) pushed, 0 already there" in out and "missing column" not in out + err
    pushed = json.loads((run_dir / "review" / "tasks.json").read_text(encoding="utf-8"))
    assert len(pushed) == 5  # the tasks `weaksup review export` writes for a multi-label run
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "tickets ml round trip",
                         "--budget", 5)
    assert code == 0 and "0 task(s) pushed, 5 already there" in out  # pushing again adds nothing
    admin = httpx.Client(base_url=url, headers=label_studio.headers, timeout=60)
    with LabelStudioAPI(url) as api:
        project = api.project("tickets ml round trip")
    assert 'choice="multiple"' in project["label_config"]  # multi-choice, with the run's labels
    assert project["parsed_label_config"]["label"]["labels"] == list(SPACE.labels)
    assert project["description"].startswith("weaksup task: tickets")
    listed = admin.get("/api/tasks", params={"project": project["id"], "page_size": 100}).json()["tasks"]
    full = [admin.get(f"/api/tasks/{t['id']}").json() for t in listed]
    assert len(full) == 5 and {t["data"]["row_id"] for t in full} == {t["data"]["row_id"] for t in pushed}
    predicted = {t["data"]["row_id"]: t["predictions"][0]["result"][0]["value"]["choices"] for t in full
                 if t["predictions"]}
    sent = {t["data"]["row_id"]: t["predictions"][0]["result"][0]["value"]["choices"] for t in pushed
            if t.get("predictions")}
    assert predicted == sent and any(len(v) > 1 for v in sent.values())  # the run's label sets, several labels
    annotator = httpx.Client(base_url=url, timeout=60,
                             headers={"Authorization": f"Token {label_studio.sign_up(ANN, ANN_PASSWORD)}"})
    first, second = full[0], full[1]
    for task, labels in ((first, ("billing", "bug")), (second, ("praise",))):
        reply = annotator.post(f"/api/tasks/{task['id']}/annotations", json={"result": _choices(*labels)})
        assert reply.status_code == 201, reply.text
    code, out, err = cli(capsys, "review", "pull", "tickets ml round trip", "--url", url, "--run", run_dir)
    assert code == 0, err
    assert "is now version 2" in out and "missing column" not in out + err
    assert f"project {project['id']} at {url}" in out and "weaksup-pull-" not in out  # not the temporary file
    gold = load_multilabel_gold(gold_dir)
    assert gold.version == 2 and load_multilabel_gold(gold_dir, version=1).version == 1  # version 1 kept
    new = gold.frame[gold.frame["row_id"].isin([first["data"]["row_id"], second["data"]["row_id"]])]
    assert sorted(zip(new["row_id"], new["annotator"], new["split"])) == sorted(
        [(first["data"]["row_id"], ANN, "dev"), (second["data"]["row_id"], ANN, "dev")])
    sets = gold.label_sets("dev")
    assert sets[first["data"]["row_id"]] == ("billing", "bug") and sets[second["data"]["row_id"]] == ("praise",)
    code, out, err = cli(capsys, "review", "pull", str(project["id"]), "--url", url, "--run", run_dir)
    assert code == 0, err
    assert "unchanged at version 2" in out and load_multilabel_gold(gold_dir).version == 2  # the same answers again


def test_multilabel_push_refuses_classification_queue_options(label_studio, ml_run, capsys, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    code, _, err = cli(capsys, "review", "push", ml_run / "out", "--url", label_studio.url, "--project",
                       "tickets ml options", "--order", "uncertainty")
    assert code == 2 and "--order: options of a classification review queue" in err
    assert "[task] review_margin" in err and "review.threshold" not in err
    with LabelStudioAPI(label_studio.url) as api:
        assert api.find_project("tickets ml options") is None  # nothing created


def test_multilabel_push_and_pull_refuse_a_single_choice_project(label_studio, ml_run, capsys, monkeypatch):
    from weaksup.review.labelstudio import labeling_config

    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    url, run_dir = label_studio.url, ml_run / "out"
    with LabelStudioAPI(url) as api:  # the run's labels, but one choice per task
        single = api.create_project("tickets single choice", labeling_config(list(SPACE.labels)),
                                    description="weaksup task: tickets")
    for args in (("push", run_dir, "--project", single["id"]), ("pull", single["id"], "--run", run_dir)):
        code, _, err = cli(capsys, "review", *args, "--url", url)
        assert code == 2 and "Traceback" not in err
        assert f"project {single['id']} 'tickets single choice' at {url} takes one label per task" in err
        assert "but the run is multi-label" in err
    with LabelStudioAPI(url) as api:
        assert api.task_data(int(single["id"])) == []  # nothing pushed
    assert load_multilabel_gold(ml_run / "gold_sets" / "tickets").version == 1  # nothing pulled
