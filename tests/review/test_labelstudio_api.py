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


def test_imports_are_split_by_bytes_as_well_as_by_task_count():
    from weaksup.review.labelstudio_api import MAX_REQUEST_BYTES, task_batches

    nine_mb = 12_000_000  # a 9 MB JPEG as a base64 data URL
    batches = task_batches([nine_mb] * 30)
    assert [len(b) for b in batches] == [4, 4, 4, 4, 4, 4, 4, 2]
    assert [i for b in batches for i in b] == list(range(30))  # every task once, in order
    for batch in batches:  # "[" + tasks joined by "," + "]" within the limit
        assert 2 + sum(nine_mb for _ in batch) + len(batch) - 1 <= MAX_REQUEST_BYTES
    assert task_batches([10] * 2500) == [range(0, 1000), range(1000, 2000), range(2000, 2500)]
    assert task_batches([4, 4, 4], max_bytes=2 + 4 + 1 + 4) == [range(0, 2), range(2, 3)]  # the comma counts
    assert task_batches([4, 4, 4], max_bytes=2 + 4 + 1 + 3) == [range(0, 1), range(1, 2), range(2, 3)]
    assert task_batches([]) == []


def test_a_task_too_large_for_one_request_is_refused_naming_its_row_and_the_fix():
    from weaksup.review.labelstudio_api import check_task_sizes

    tasks = [{"data": {"row_id": f"r{i}", "image": "data:image/jpeg;base64," + "A" * n}}
             for i, n in enumerate([100, 5000, 100, 7000])]
    assert check_task_sizes(tasks[::2], max_bytes=1000) == tasks[::2]
    with pytest.raises(ReviewError) as info:
        check_task_sizes(tasks, max_bytes=1000)
    message = str(info.value)
    assert message.startswith("2 review task(s) are too large to import into Label Studio (over 1,000 bytes of "
                              "JSON each): row 'r1' (5,")
    assert "row 'r3' (7," in message and "'r0'" not in message and "'r2'" not in message
    assert 'media_url = "local-files"' in message and "--budget" in message


def test_import_tasks_refuses_a_task_too_large_before_sending_anything():
    from weaksup.review.labelstudio_api import LabelStudioAPI

    with socket.socket() as free:  # nothing listens here: a request would fail with "cannot reach"
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with LabelStudioAPI(f"http://127.0.0.1:{port}", token="abcdef123456") as api:
        with pytest.raises(ReviewError, match=r"too large to import .* row 'big'"):
            api.import_tasks(1, [{"data": {"row_id": "big", "image": "A" * 500}}], max_bytes=100)
