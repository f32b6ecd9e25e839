"""``weaksup review pull`` of a project whose classes are not the task's stops at once, naming the project (id, title,
URL) with the check ``push`` makes (:func:`weaksup.review.labelstudio_api.check_project_classes`), not one line per
answer; its messages name ``project N at URL``, never the temporary file the export was pulled into."""

from __future__ import annotations

import httpx
import pytest

from tests.review.helpers import TICKETS, tickets_project
from weaksup.cli import main
from weaksup.errors import ReviewError
from weaksup.gold import load_gold
from weaksup.review.labelstudio import labeling_config
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI, check_project_classes

URL = "http://127.0.0.1:8080"


def _project(labels, pid=1, title="spam review"):
    return {"id": pid, "title": title, "parsed_label_config": {"label": {"type": "Choices", "labels": labels}}}


def test_check_project_classes_names_the_project_both_class_lists_and_the_fix():
    check_project_classes(_project(TICKETS), TICKETS, URL, fix="pull another project")
    with pytest.raises(ReviewError) as info:
        check_project_classes(_project(["ham", "spam"]), TICKETS, URL, fix="pull another project")
    assert str(info.value) == (f"project 1 'spam review' at {URL} labels ['ham', 'spam'], but the run's classes are "
                               f"{TICKETS}; pull another project")
    with pytest.raises(ReviewError, match="has no <Choices name='label'>"):
        check_project_classes({"id": 2, "title": "x", "parsed_label_config": {}}, TICKETS, URL, fix="-")


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.mark.slow
def test_pull_of_another_project_or_an_empty_one_names_the_project(label_studio, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    url = label_studio.url
    with LabelStudioAPI(url) as api:
        spam = api.create_project("pull check spam", labeling_config(["ham", "spam"]),
                                  description="weaksup task: tickets")
        empty = api.create_project("pull check empty", labeling_config(TICKETS), description="weaksup task: tickets")
        tasks = [{"data": {"row_id": f"T00{30 + i}", "text": "a ticket"}} for i in range(3)]
        api.import_tasks(int(spam["id"]), tasks)
        api.import_tasks(int(empty["id"]), tasks)
        listed = api.task_data(int(spam["id"]))
    admin = httpx.Client(base_url=url, headers=label_studio.headers, timeout=60)
    for task in admin.get("/api/tasks", params={"project": spam["id"], "page_size": 100}).json()["tasks"]:
        result = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["ham"]}}]
        assert admin.post(f"/api/tasks/{task['id']}/annotations", json={"result": result}).status_code == 201
    assert len(listed) == 3
    code, _, err = cli(capsys, "review", "pull", str(spam["id"]), "--url", url, "--config", "config.toml")
    assert code == 2 and "Traceback" not in err
    assert (f"project {spam['id']} 'pull check spam' at {url} labels ['ham', 'spam'], but the run's classes are "
            f"{TICKETS}") in err
    assert "weaksup-pull-" not in err and "not in the label space" not in err
    code, _, err = cli(capsys, "review", "pull", str(empty["id"]), "--url", url, "--config", "config.toml")
    assert code == 2 and "nothing to import" in err
    assert f"project {empty['id']} at {url}" in err and "weaksup-pull-" not in err
    assert load_gold(folder / "gold" / "tickets").version == 1
