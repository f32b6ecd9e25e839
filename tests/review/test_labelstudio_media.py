"""Media review against a REAL Label Studio server: an image run and an audio run exported as <Image>/<Audio> tasks
(data URLs, the draft label as a prediction), answered through the API, exported back and imported as gold; and the
served-path alternative (local-files), which needs the server's settings and a Local Files storage.
"""

from __future__ import annotations

import base64
import io
import json
import os
import textwrap

import httpx
import numpy as np
import pandas as pd
import pytest
import soundfile
from PIL import Image

from weaksup.cli import main
from weaksup.gold import load_gold
from weaksup.errors import ReviewError
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI
from weaksup.review.labelstudio_media import data_url, local_files_url, to_media_tasks

LFS = '''
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image
from weaksup import ABSTAIN, LabelSpace, labeling_function
from weaksup.media.columns import media_preprocessor

LABELS = LabelSpace({labels})


class Level:
    id, names = "tiny-level@1", ("level",)

    def __call__(self, item):
        if str(item).endswith(".wav"):  # the dominant frequency, in kHz
            samples, rate = soundfile.read(item)
            spectrum = np.abs(np.fft.rfft(samples))
            return np.array([np.argmax(spectrum) * rate / len(samples) / 1000], dtype=np.float32)
        return np.array([np.asarray(Image.open(item).convert("L")).mean() / 255], dtype=np.float32)


level = media_preprocessor(Level(), "path", prefix="m", cache=False, root=Path(__file__).parent / "data")


@labeling_function(pre=[level])
def high(x):
    return 1 if x.m_level > {high} else ABSTAIN


@labeling_function(pre=[level])
def low(x):
    return 0 if x.m_level < {low} else ABSTAIN
'''


def _project(base, kind):
    """A tiny media project: 6 files (2 clear per class, 2 in between that no LF votes on), LFs, a config."""
    folder = base / kind
    (folder / "data" / "files").mkdir(parents=True)
    rows = []
    levels = [(30, "dark"), (50, "dark"), (220, "light"), (240, "light"), (120, "dark"), (140, "light")]
    if kind == "audio":
        levels = [(300, "low"), (400, "low"), (2500, "high"), (3000, "high"), (1200, "low"), (1500, "high")]
    for i, (level, truth) in enumerate(levels):
        name = f"files/{kind}{i}." + ("png" if kind == "image" else "wav")
        if kind == "image":
            rng = np.random.default_rng(i)
            pixels = np.clip(level + rng.normal(0, 5, (12, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / "data" / name)
        else:
            t = np.arange(2000) / 8000
            soundfile.write(folder / "data" / name, 0.3 * np.sin(2 * np.pi * level * t), 8000, subtype="PCM_16")
        rows.append({"row_id": f"{kind[0]}{i}", "path": name, "truth": truth})
    pd.DataFrame(rows).to_csv(folder / "data" / "items.csv", index=False)
    labels = ["dark", "light"] if kind == "image" else ["low", "high"]
    high, low = (0.6, 0.3) if kind == "image" else (2.0, 1.0)
    (folder / "lfs.py").write_text(LFS.format(labels=labels, high=high, low=low), encoding="utf-8")
    (folder / "config.toml").write_text(textwrap.dedent(f"""
        [task]
        name = "tiny_{kind}"
        type = "classification"
        labels = {json.dumps(labels)}
        [input]
        path = "data/items.csv"
        id_column = "row_id"
        text_column = ""
        [lfs]
        modules = ["lfs.py"]
        [end_model]
        enabled = false
        [review]
        threshold = 0.9
        media = "{kind}"
        [output]
        path = "runs/tiny/labels.parquet"
        [mlflow]
        enabled = false
        """), encoding="utf-8")
    return folder, pd.DataFrame(rows)


def _cli(*args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    assert info.value.code == 0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real Label Studio server that may serve local files under a temp document root."""
    from weaksup.testing.labelstudio import LabelStudioServer, find_label_studio

    executable = find_label_studio()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Label Studio is not installed: run `make labelstudio`")
        pytest.skip("Label Studio is not installed: run `make labelstudio` (it builds .venv-labelstudio)")
    root = tmp_path_factory.mktemp("media_root")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCAL_FILES_SERVING_ENABLED", "true")
        env.setenv("LOCAL_FILES_DOCUMENT_ROOT", str(root))
        server = LabelStudioServer(executable)
        server.start(wait=False)
    try:
        yield server, root
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["image", "audio"])
def test_media_tasks_go_through_label_studio_and_back_as_gold(served, kind, monkeypatch):
    server, root = served
    folder, truth = _project(root, kind)
    monkeypatch.chdir(folder)
    _cli("run", "config.toml")
    _cli("review", "export", "runs/tiny", "--out", "review/tasks.json")
    tasks = json.loads((folder / "review" / "tasks.json").read_text(encoding="utf-8"))
    config = (folder / "review" / "tasks.labeling_config.xml").read_text(encoding="utf-8")
    assert f'<{kind.capitalize()} name="{kind}" value="${kind}"' in config
    by_row = {t["data"]["row_id"]: t for t in tasks}
    assert {"image": {"i4", "i5"}, "audio": {"a4", "a5"}}[kind] <= set(by_row)  # no LF voted on them: routed
    for row_id, task in by_row.items():
        path = folder / "data" / truth.set_index("row_id").loc[row_id, "path"]
        head, payload = task["data"][kind].split(",", 1)
        assert head == ("data:image/png;base64" if kind == "image" else "data:audio/wav;base64")
        assert base64.b64decode(payload) == path.read_bytes()  # the file itself, inline: no server needed
        if task.get("predictions"):
            assert task["predictions"][0]["result"][0]["to_name"] == kind

    api = httpx.Client(base_url=server.url, headers=server.headers, timeout=60)
    project = api.post("/api/projects", json={"title": f"tiny {kind}", "label_config": config})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    imported = api.post(f"/api/projects/{pid}/import", json=tasks)
    assert imported.status_code == 201, imported.text  # the server checked the tasks against the config's $kind
    assert imported.json()["task_count"] == len(tasks)
    listed = api.get("/api/tasks", params={"project": pid, "page_size": 100}).json()["tasks"]
    answers = truth.set_index("row_id")["truth"]
    for task in listed:
        full = api.get(f"/api/tasks/{task['id']}").json()
        assert full["data"][kind] == by_row[full["data"]["row_id"]]["data"][kind]  # stored as sent
        label = answers[full["data"]["row_id"]]
        result = [{"from_name": "label", "to_name": kind, "type": "choices", "value": {"choices": [label]}}]
        done = api.post(f"/api/tasks/{task['id']}/annotations", json={"result": result})
        assert done.status_code == 201, done.text
    export = api.get(f"/api/projects/{pid}/export", params={"exportType": "JSON"})
    assert export.status_code == 200
    (folder / "export.json").write_bytes(export.content)
    _cli("review", "import", "export.json", "--task", f"tiny_{kind}", "--run", "runs/tiny", "--gold-dir", "gold")
    gold = load_gold(folder / "gold")
    got = gold.frame.set_index("row_id")["label"].astype(str)
    assert len(got) == len(tasks) and (got == answers[got.index]).all()
    if kind == "audio":  # the API route: push creates the project with the <Audio> config, pull takes the answers
        monkeypatch.setenv(TOKEN_ENV, server.token)
        _cli("review", "push", "runs/tiny", "--url", server.url, "--project", "tiny audio push")
        with LabelStudioAPI(server.url) as ls:
            pushed = ls.find_project("tiny audio push")
        assert '<Audio name="audio" value="$audio"/>' in pushed["label_config"]
        for task in api.get("/api/tasks", params={"project": pushed["id"], "page_size": 100}).json()["tasks"]:
            assert task["data"]["audio"].startswith("data:audio/wav;base64,")
            result = [{"from_name": "label", "to_name": "audio", "type": "choices",
                       "value": {"choices": [answers[task["data"]["row_id"]]]}}]
            assert api.post(f"/api/tasks/{task['id']}/annotations", json={"result": result}).status_code == 201
        _cli("review", "pull", "tiny audio push", "--url", server.url, "--gold-dir", "gold_pulled", "--run", "runs/tiny")
        pulled = load_gold(folder / "gold_pulled").frame.set_index("row_id")["label"].astype(str)
        assert len(pulled) == len(tasks) and (pulled == answers[pulled.index]).all()


@pytest.mark.slow
def test_served_paths_need_the_servers_settings_and_a_local_files_storage(served):
    server, root = served
    media = root / "served"
    media.mkdir()
    Image.fromarray(np.full((4, 4), 200, dtype=np.uint8)).save(media / "one.png")
    url = local_files_url(media / "one.png", root)
    assert url == "/data/local-files/?d=served/one.png"
    api = httpx.Client(base_url=server.url, headers=server.headers, timeout=60)
    config = '<View><Image name="image" value="$image"/><Choices name="label" toName="image"><Choice value="a"/>' \
             '</Choices></View>'
    pid = api.post("/api/projects", json={"title": "served", "label_config": config}).json()["id"]
    assert api.get(url).status_code == 404  # enabled, but no project's Local Files storage holds the file
    storage = api.post("/api/storages/localfiles", json={"project": pid, "path": str(media), "title": "media",
                                                         "use_blob_urls": True})
    assert storage.status_code == 201, storage.text
    served_file = api.get(url)
    assert served_file.status_code == 200 and served_file.content == (media / "one.png").read_bytes()


def test_data_urls_name_the_media_type_from_the_bytes(tmp_path):
    wav = tmp_path / "tone.bin"  # no telling extension: the RIFF/WAVE header decides
    soundfile.write(wav, np.zeros(80), 8000, format="WAV", subtype="PCM_16")
    assert data_url(wav).startswith("data:audio/wav;base64,")
    jpeg = tmp_path / "x.jpg"
    Image.fromarray(np.zeros((3, 3), dtype=np.uint8)).save(jpeg)
    assert data_url(jpeg).startswith("data:image/jpeg;base64,")
    with pytest.raises(ReviewError, match="cannot read the file"):
        data_url(tmp_path / "absent.png")


def test_a_data_url_of_an_image_browsers_cannot_show_is_a_png_of_the_same_pixels(tmp_path):
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    tiff = tmp_path / "scan.tif"
    Image.fromarray(pixels).save(tiff, format="TIFF")
    for item in (tiff, tiff.read_bytes()):  # a path, and bytes without a name (the TIFF header decides)
        url = data_url(item)
        assert url.startswith("data:image/png;base64,")
        shown = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        assert shown.format == "PNG" and np.asarray(shown).tolist() == pixels.tolist()


def test_bad_media_settings_say_what_to_set(tmp_path):
    queue = pd.DataFrame({"row_id": ["r"], "path": ["a.png"], "label": ["x"], "confidence": [0.5]})
    with pytest.raises(ReviewError, match="media must be one of"):
        to_media_tasks(queue, kind="video", media_column="path", model_version="v")
    with pytest.raises(ReviewError, match="no media column 'file'"):
        to_media_tasks(queue, kind="image", media_column="file", model_version="v")
    with pytest.raises(ReviewError, match="needs media_document_root"):
        to_media_tasks(queue, kind="image", media_column="path", model_version="v", media_url="local-files")
    with pytest.raises(ReviewError, match="not under the local-files document root"):
        local_files_url(tmp_path / "a.png", tmp_path / "elsewhere")
    with pytest.raises(ReviewError, match="cannot read the file"):
        to_media_tasks(queue, kind="image", media_column="path", model_version="v", roots=[tmp_path])


def test_extra_fields_are_redacted_as_in_text_review_and_the_media_kept(tmp_path):
    from weaksup.review.labelstudio_media import export_media_queue

    Image.fromarray(np.zeros((3, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    queue = pd.DataFrame({"row_id": ["r"], "path": ["a.png"], "label": ["x"], "confidence": [0.5],
                          "owner": ["jo@example.com"], "camera": ["<b>north</b>"]})
    done = export_media_queue(queue, tmp_path / "tasks.json", kind="image", media_column="path", label_space=["x", "y"],
                              roots=[tmp_path], fields=["owner", "camera"], sensitive_fields=["owner", "path"])
    data = json.loads(done.path.read_text())[0]["data"]
    assert data["owner"] != "jo@example.com" and "jo@example.com" not in done.path.read_text()
    assert data["camera"] == "north" and data["image"].startswith("data:image/png;base64,")
    assert done.masked.get("owner") == 1


def test_rows_without_a_file_are_left_out_of_the_export_and_named(tmp_path):
    # a row without a path gets missing features, abstains and is routed to review: the whole export failed on it
    from weaksup.review.labelstudio_media import export_media_queue

    Image.fromarray(np.zeros((3, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    queue = pd.DataFrame({"row_id": ["r1", "nopath", "r2"], "path": ["a.png", None, "a.png"], "label": ["x", "", "y"],
                          "confidence": [0.5, 0.5, 0.6]})
    done = export_media_queue(queue, tmp_path / "tasks.json", kind="image", media_column="path",
                              label_space=["x", "y"], roots=[tmp_path])
    tasks = json.loads(done.path.read_text())
    assert [t["data"]["row_id"] for t in tasks] == ["r1", "r2"] and done.n_tasks == 2
    assert done.left_out == ["nopath"] and "left out: 1 row(s) without a file to show (['nopath'])" in done.summary()
