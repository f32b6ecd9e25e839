"""`weaksup review push` against a REAL Label Studio server: imports are split by bytes (a data-URL task holds its
image; Label Studio refuses a request over DATA_UPLOAD_MAX_MEMORY_SIZE with a 500), and a task too large for one
request is refused before the project is created (it used to leave an empty project behind)."""

from __future__ import annotations

import json

import pytest

from tests.review.test_labelstudio_media import _cli, _project
from weaksup.cli import main
from weaksup.review import labelstudio_api
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI, task_batches


@pytest.mark.slow
def test_push_splits_imports_by_bytes_and_refuses_an_oversize_task_before_creating_a_project(
        label_studio, tmp_path, monkeypatch, capsys):
    folder, _ = _project(tmp_path, "image")
    monkeypatch.chdir(folder)
    _cli("run", "config.toml")
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    monkeypatch.setattr(labelstudio_api, "MAX_REQUEST_BYTES", 300)  # below one 12x12 PNG task
    with pytest.raises(SystemExit) as info:
        main(["review", "push", "runs/tiny", "--url", label_studio.url, "--project", "too large push"])
    assert info.value.code == 2
    said = capsys.readouterr().err
    assert "review task(s) are too large to import into Label Studio (over 300 bytes of JSON each): row 'i" in said
    assert 'media_url = "local-files"' in said
    with LabelStudioAPI(label_studio.url) as api:
        assert api.find_project("too large push") is None  # nothing created

    tasks = json.loads((folder / "runs" / "tiny" / "review" / "tasks.json").read_text(encoding="utf-8"))
    sizes = [len(json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode()) for t in tasks]
    limit = max(sizes) + 2  # one task a request
    assert len(task_batches(sizes, max_bytes=limit)) == len(tasks) > 1
    monkeypatch.setattr(labelstudio_api, "MAX_REQUEST_BYTES", limit)
    _cli("review", "push", "runs/tiny", "--url", label_studio.url, "--project", "split push")
    assert f"{len(tasks)} task(s) pushed" in capsys.readouterr().out
    with LabelStudioAPI(label_studio.url) as api:
        pid = int(api.find_project("split push")["id"])  # type: ignore[index]
        stored = {d["row_id"]: d["image"] for d in api.task_data(pid)}
    assert stored == {t["data"]["row_id"]: t["data"]["image"] for t in tasks}
