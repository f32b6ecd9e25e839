"""Time-series review against a REAL Label Studio server: a tiny tennis-like run (frames of two videos, detector
columns) exported as <TimeSeries> tasks (each item's neighbourhood inline as JSON, the item marked), imported into a
project (the server checks the tasks against the config), one answered through the API, exported back and imported
as gold; and the shipped tennis config's [review] table writing such tasks.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.cli import main
from weaksup.errors import ReviewError
from weaksup.gold import load_gold
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI
from weaksup.review.labelstudio_series import ITEM_CHANNEL, series_channels, to_series_tasks

LFS = '''
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["not_rally", "rally"])


def _vote(output):
    return 1 if output > 0 else 0 if output < 0 else ABSTAIN


@labeling_function(fields=["det_0"])
def det_0(x):
    return _vote(x.det_0)


@labeling_function(fields=["det_1"])
def det_1(x):
    return _vote(x.det_1)


@labeling_function(fields=["det_2"])
def det_2(x):
    return _vote(x.det_2)
'''


def _frames():
    """Two videos of 30 frames (rows shuffled: the export sorts by frame), a rally in frames 10..19 of each; the
    detectors disagree on a few frames, which the run routes to review."""
    rows = []
    for video in ("a", "b"):
        for frame in range(30):
            truth = 1 if 10 <= frame < 20 else -1
            det_1 = -truth if frame in (9, 15, 22) else truth
            rows.append({"row_id": f"{video}:{frame:03d}", "video": video, "frame": frame, "det_0": truth,
                         "det_1": det_1, "det_2": -truth if frame % 7 == 3 else 0, "note": "x"})
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def _project(base):
    folder = base / "series"
    (folder / "data").mkdir(parents=True)
    _frames().to_csv(folder / "data" / "frames.csv", index=False)
    (folder / "lfs.py").write_text(LFS, encoding="utf-8")
    (folder / "config.toml").write_text(textwrap.dedent("""
        [task]
        name = "tiny_series"
        labels = ["not_rally", "rally"]
        [input]
        path = "data/frames.csv"
        id_column = "row_id"
        text_column = ""
        [lfs]
        modules = ["lfs.py"]
        [end_model]
        enabled = false
        [review]
        threshold = 0.9
        media = "series"
        media_column = "frame"
        media_group = "video"
        media_context = 5
        [output]
        path = "runs/tiny/labels.parquet"
        [mlflow]
        enabled = false
        """), encoding="utf-8")
    return folder


def _cli(*args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    assert info.value.code == 0


@pytest.mark.slow
def test_series_tasks_go_through_label_studio_and_back_as_gold(label_studio, tmp_path, monkeypatch):
    folder = _project(tmp_path)
    monkeypatch.chdir(folder)
    _cli("run", "config.toml")
    _cli("review", "export", "runs/tiny", "--out", "review/tasks.json")
    tasks = json.loads((folder / "review" / "tasks.json").read_text(encoding="utf-8"))
    config = (folder / "review" / "tasks.labeling_config.xml").read_text(encoding="utf-8")
    assert '<TimeSeries name="series" value="$series" valueType="json" timeColumn="frame">' in config
    assert all(f'<Channel column="{c}"' in config for c in ("det_0", "det_1", "det_2", ITEM_CHANNEL))
    assert 'column="note"' not in config and 'column="video"' not in config  # text and the sequence: not plotted
    assert tasks, "the run routed no frame to review"
    frames = _frames().set_index("row_id")
    for task in tasks:
        data = task["data"]
        video, frame = frames.loc[data["row_id"], ["video", "frame"]]
        series = data["series"]
        expected = list(range(max(0, frame - 5), min(30, frame + 6)))  # its video's frames, in order, 5 either side
        assert series["frame"] == expected
        assert series[ITEM_CHANNEL] == [int(f == frame) for f in expected]
        same = frames[frames["video"] == video].set_index("frame")
        assert series["det_1"] == same.loc[expected, "det_1"].tolist()
        assert data["series_item"] == f"video {video}, frame {frame}"
        if task.get("predictions"):
            assert task["predictions"][0]["result"][0]["to_name"] == "series"

    api = httpx.Client(base_url=label_studio.url, headers=label_studio.headers, timeout=60)
    project = api.post("/api/projects", json={"title": "tiny series", "label_config": config})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    imported = api.post(f"/api/projects/{pid}/import", json=tasks)
    assert imported.status_code == 201, imported.text  # the server checked the tasks against the config's $series
    assert imported.json()["task_count"] == len(tasks)
    listed = api.get("/api/tasks", params={"project": pid, "page_size": 100}).json()["tasks"]
    first = api.get(f"/api/tasks/{listed[0]['id']}").json()
    row_id = first["data"]["row_id"]
    assert first["data"]["series"] == next(t for t in tasks if t["data"]["row_id"] == row_id)["data"]["series"]
    truth = "rally" if 10 <= frames.loc[row_id, "frame"] < 20 else "not_rally"
    result = [{"from_name": "label", "to_name": "series", "type": "choices", "value": {"choices": [truth]}}]
    done = api.post(f"/api/tasks/{first['id']}/annotations", json={"result": result})
    assert done.status_code == 201, done.text
    export = api.get(f"/api/projects/{pid}/export", params={"exportType": "JSON"})
    assert export.status_code == 200
    (folder / "export.json").write_bytes(export.content)
    _cli("review", "import", "export.json", "--task", "tiny_series", "--run", "runs/tiny", "--gold-dir", "gold")
    gold = load_gold(folder / "gold").frame
    assert gold["row_id"].astype(str).tolist() == [row_id] and gold["label"].astype(str).tolist() == [truth]
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)  # the API route: push creates the <TimeSeries> project
    _cli("review", "push", "runs/tiny", "--url", label_studio.url, "--project", "tiny series push")
    with LabelStudioAPI(label_studio.url) as ls:
        pushed = ls.find_project("tiny series push")
    assert pushed["label_config"].strip() == config.strip()
    stored = api.get("/api/tasks", params={"project": pushed["id"], "page_size": 100}).json()["tasks"]
    assert sorted(t["data"]["row_id"] for t in stored) == sorted(t["data"]["row_id"] for t in tasks)


@pytest.mark.slow
def test_the_tennis_config_writes_series_tasks_of_routed_frames(tmp_path, monkeypatch):
    shutil.copytree(REPO / "gold_sets" / "tennis", tmp_path / "gold")
    monkeypatch.chdir(REPO)
    _cli("run", "configs/tennis.toml", "--set", f"output.path={tmp_path / 'run' / 'labels.parquet'}",
         "--set", f"gold.path={tmp_path / 'gold'}")
    _cli("review", "export", tmp_path / "run", "--budget", "8", "--out", tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 8  # the dev rows are all gold: these are routed frames of the other videos
    gold_ids = set(load_gold(tmp_path / "gold").frame["row_id"].astype(str))
    for task in tasks:
        data = task["data"]
        assert data["row_id"] not in gold_ids
        series = data["series"]
        assert set(series) == {"frame", *(f"det_{i}" for i in range(6)), ITEM_CHANNEL}
        assert sum(series[ITEM_CHANNEL]) == 1 and len(series["frame"]) <= 101
        at = series[ITEM_CHANNEL].index(1)
        assert data["series_item"].endswith(f"frame {series['frame'][at]}")
        assert series["frame"] == sorted(series["frame"])


def test_bad_series_settings_say_what_to_set():
    data = pd.DataFrame({"row_id": ["a", "b"], "video": ["v", "v"], "frame": [0, 1], "det_0": [1, -1],
                         "note": ["x", "y"]})
    with pytest.raises(ReviewError, match="media_group = 'clip' is not a column"):
        series_channels(data, order_column="frame", group_column="clip")
    with pytest.raises(ReviewError, match=r"media_channels \['note'\] are not numeric"):
        series_channels(data, order_column="frame", channels=["note"])
    with pytest.raises(ReviewError, match="order column.*not numeric"):
        series_channels(data, order_column="note")
    with pytest.raises(ReviewError, match="no numeric column to plot"):
        series_channels(data[["row_id", "frame", "note"]], order_column="frame")
    queue = pd.DataFrame({"row_id": ["w1"], "frame": [0], "label": ["x"], "confidence": [0.5]})
    with pytest.raises(ReviewError, match="'w1' of the review queue is not in the input"):
        to_series_tasks(queue, data, order_column="frame", channels=["det_0"], model_version="v")
    queue["row_id"] = ["b"]
    one = to_series_tasks(queue, data.assign(det_0=[np.nan, 2.0]), order_column="frame", channels=["det_0"],
                          model_version="v")[0]["data"]
    assert one["series"] == {"frame": [0, 1], "det_0": [None, 2.0], ITEM_CHANNEL: [0, 1]}  # NaN: a JSON null
    assert one["series_item"] == "frame 1"
