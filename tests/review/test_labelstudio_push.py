"""`weaksup review push` streams its tasks file: read a piece at a time, sent one import request at a time."""

from __future__ import annotations

import functools
import json
import re
import tracemalloc

import httpx
import numpy as np
import pandas as pd
import pytest

from weaksup.errors import ReviewError
from weaksup.review.labelstudio import to_tasks, write_tasks
from weaksup.review.labelstudio_api import LabelStudioAPI, task_batches
from weaksup.review.labelstudio_push import encode_task, push_file, read_tasks, request_batches

N = 30_000
# texts with what a streamed JSON reader must not trip on: brackets, commas and quotes inside strings, escapes,
# non-ASCII, newlines, and long texts that cross the pieces the file is read in
TEXTS = ['check "my" channel], [{"x": 1},', "naïve café ☕ \u2028", "line\nbreak\\", "", "x" * 5000, "sub2me"]


@pytest.fixture(scope="module")
def queue_file(tmp_path_factory):
    """A large synthetic review queue written by the real writer (`weaksup review export`'s)."""
    rng = np.random.default_rng(0)
    queue = pd.DataFrame({"row_id": [f"r{i}" for i in range(N)],
                          "text": [TEXTS[i % len(TEXTS)] + f" #{i}" for i in range(N)],
                          "label": rng.choice(["spam", "ham", ""], N), "confidence": rng.random(N)})
    tasks = to_tasks(queue, model_version="rules-1")
    path, _ = write_tasks(tasks, tmp_path_factory.mktemp("queue") / "tasks.json", config="<View/>")
    return path, tasks


@pytest.mark.parametrize("piece", [7, 1 << 20])
def test_read_tasks_gives_the_files_tasks_in_order(queue_file, piece):
    path, tasks = queue_file
    assert list(read_tasks(path, piece=piece)) == tasks == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "said"), [("", "does not start with '['"), ('{"data": {}}', "does not start"),
                                            ('[{"data": {}}', "ends without ']'"), ('[{"data": {}} x', "'x' where"),
                                            ('[{"data": {', "ends inside a task"), ("[1]", "an item is a int"),
                                            ('[{"data": {}},', "ends without ']'")])
def test_a_file_that_is_not_a_tasks_array_is_named(tmp_path, text, said):
    (tmp_path / "tasks.json").write_text(text, encoding="utf-8")
    with pytest.raises(ReviewError, match=f"tasks.json is not a tasks file .*{re.escape(said)}.*weaksup review export"):
        list(read_tasks(tmp_path / "tasks.json", piece=3))
    assert list(read_tasks(_write(tmp_path / "empty.json", " [ ] "))) == []


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_requests_come_one_at_a_time_from_the_stream_by_the_byte_and_count_rule(queue_file):
    path, tasks = queue_file
    read = 0

    def counted():
        nonlocal read
        for task in read_tasks(path):
            read += 1
            yield task

    sizes = [len(encode_task(t)) for t in tasks]
    max_bytes = 400_000
    expected = task_batches(sizes, max_bytes=max_bytes, max_tasks=1000)  # the rule on the whole list
    got = []
    for batch in request_batches(counted(), max_bytes=max_bytes, max_tasks=1000):
        assert read <= sum(len(b) for b in got) + len(batch) + 1  # this request and the task after it, no more
        assert 2 + sum(map(len, batch)) + len(batch) - 1 <= max_bytes
        got.append(batch)
    assert [len(b) for b in got] == [len(r) for r in expected] and len(got) > N // 1000
    assert [e for b in got for e in b] == [encode_task(t) for t in tasks]


def test_streaming_a_large_queue_holds_one_request_not_the_file(queue_file):
    path, _ = queue_file
    tracemalloc.start()
    try:  # (a piece of 64k characters: what the reader holds besides the request is small beside the file)
        sent = sum(len(b) for b in request_batches(read_tasks(path, piece=1 << 16), max_bytes=500_000, max_tasks=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent == N and peak < path.stat().st_size / 10, (peak, path.stat().st_size)  # json.load: > 1x


class _Server:
    """Label Studio's task list and import endpoints, answered in-process (httpx's MockTransport)."""

    def __init__(self, there=(), tasks_yielded=None):
        self.there = list(there)
        self.imports: list[list[dict]] = []
        self.yielded_at_import: list[int] = []
        self.tasks_yielded = tasks_yielded

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/tasks":
            page = int(request.url.params["page"])
            rows = self.there[(page - 1) * 500:page * 500]
            if not rows and page > 1:
                return httpx.Response(404)
            return httpx.Response(200, json={"tasks": [{"data": {"row_id": r}} for r in rows],
                                             "total": len(self.there)})
        batch = json.loads(request.content)
        self.imports.append(batch)
        if self.tasks_yielded is not None:
            self.yielded_at_import.append(self.tasks_yielded())
        return httpx.Response(201, json={"task_count": len(batch)})


@pytest.fixture
def server(monkeypatch):
    made = _Server()
    monkeypatch.setattr(httpx, "Client", functools.partial(httpx.Client, transport=httpx.MockTransport(made)))
    return made


def test_import_tasks_sends_a_stream_request_by_request(server):
    yielded = 0

    def tasks():
        nonlocal yielded
        for i in range(5000):
            yielded += 1
            yield {"data": {"row_id": f"r{i}", "text": "hello"}}

    server.tasks_yielded = lambda: yielded
    with LabelStudioAPI("http://127.0.0.1:9", token="abcdef123456") as api:
        assert api.import_tasks(7, tasks(), chunk=1000) == 5000
    assert [len(b) for b in server.imports] == [1000] * 5
    assert server.yielded_at_import == [1001, 2001, 3001, 4001, 5000]  # the whole stream was not read first


def test_a_stream_with_a_task_too_large_stops_at_it_saying_what_was_imported(server):
    tasks = ({"data": {"row_id": f"r{i}", "image": "A" * (500 if i == 3 else 10)}} for i in range(6))
    with LabelStudioAPI("http://127.0.0.1:9", token="abcdef123456") as api:
        with pytest.raises(ReviewError, match=r"row 'r3' .* the 2 task\(s\) before it were imported"):
            api.import_tasks(7, tasks, chunk=2, max_bytes=100)
    assert [len(b) for b in server.imports] == [2]


def test_push_file_sends_the_rows_not_in_the_project_yet(server, queue_file):
    path, tasks = queue_file
    server.there = [f"r{i}" for i in range(0, N, 3)]  # two pages and more of tasks already there
    with LabelStudioAPI("http://127.0.0.1:9", token="abcdef123456") as api:
        sent, there = push_file(api, 7, path)
    pushed = [t for batch in server.imports for t in batch]
    assert (sent, there) == (N - len(server.there), len(server.there))
    assert pushed == [t for i, t in enumerate(tasks) if i % 3]  # in the file's order, each once
