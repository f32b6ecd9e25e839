"""LabelStudioAPI without a server: its checks and the errors a user meets first (the real server: test_labelstudio_server)."""

from __future__ import annotations

import socket

import pytest

from weaksup.errors import ReviewError, WeakSupError
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI, project_labels, task_of_project


def test_the_token_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ReviewError, match=r"set \$LABEL_STUDIO_API_KEY to your API token \(Label Studio at "
                                          r"http://127\.0\.0\.1:8080"):
        LabelStudioAPI("http://127.0.0.1:8080/")
    monkeypatch.setenv(TOKEN_ENV, "  abcdef123456 ")
    with LabelStudioAPI("http://127.0.0.1:8080/") as api:
        assert api.url == "http://127.0.0.1:8080"


@pytest.mark.parametrize("url", ["localhost:8080", "", "ftp://host"])
def test_a_url_without_scheme_is_refused(url):
    with pytest.raises(ReviewError, match="give it as http://HOST:PORT"):
        LabelStudioAPI(url, token="abcdef123456")


def test_a_server_that_is_down_names_the_url_and_the_fix():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with LabelStudioAPI(url, token="abcdef123456") as api, pytest.raises(WeakSupError) as info:
        api.projects()
    assert f"cannot reach Label Studio at {url}" in str(info.value) and "--url" in str(info.value)


def test_project_labels_and_task():
    project = {"id": 3, "title": "t", "description": "weaksup task: sms; review queue of run /r (rules 1a)",
               "parsed_label_config": {"label": {"type": "Choices", "labels": ["ham", "spam"]}}}
    assert project_labels(project) == ["ham", "spam"] and task_of_project(project) == "sms"
    assert task_of_project({"description": "made by hand"}) == ""
    with pytest.raises(ReviewError, match=r"no <Choices name='sentiment'> tag in its labeling config \(its control "
                                          r"tags: \['label'\]\)"):
        project_labels(project, "sentiment")
