"""Time-series review of windows with datetime order columns (``windows(..., time=...)`` makes ``start`` a datetime).

A window run's order column is a datetime (parquet) or ISO strings (the same table read back from a CSV): the export
writes the times as strings in the ``timeFormat`` it puts on the config's ``<TimeSeries>``; numeric order columns are
written as before. Unparseable or missing times stop the export (exit 2) naming the rows. Against the real Label
Studio: its own validator accepts the config, its server accepts the tasks, and an answer comes back as gold.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.review.helpers import ls_export
from weaksup.cli import main
from weaksup.errors import ReviewError
from weaksup.gold import load_gold
from weaksup.media.series import windows
from weaksup.review.labelstudio_series import (ITEM_CHANNEL, TIME_FORMAT, TIME_FORMAT_MS, export_series_queue,
                                               series_labeling_config, series_order, to_series_tasks)

LFS = '''
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["normal", "anomaly"])


@labeling_function(fields=["temp_above"])
def overheat(x):
    return 1 if x.temp_above >= 5 else 0 if x.temp_above == 0 else ABSTAIN


@labeling_function(fields=["vibration_mean"])
def shaking(x):
    return 1 if x.vibration_mean > 2 else 0


@labeling_function(fields=["temp_mean"])
def hot_on_average(x):
    return 1 if x.temp_mean > 50 else ABSTAIN
'''

CONFIG = """
[task]
name = "machine_anomaly"
labels = ["normal", "anomaly"]
unit = "window"
window_length = 20
window_step = 10
[input]
path = "data/{name}"
id_column = "window_id"
text_column = ""
[lfs]
modules = ["lfs.py"]
[end_model]
enabled = false
[review]
threshold = 0.9
media = "series"
media_column = "start"
media_group = "group"
media_context = 3
[output]
path = "runs/{run}/labels.parquet"
[mlflow]
enabled = false
"""


def _samples() -> pd.DataFrame:
    """Two machines, 200 samples 30 s apart; too hot in samples 100..159, shaking in 120..179 (the LFs disagree on
    the windows at the edges of each, which the run routes to review: some with a draft label, some tied)."""
    parts = []
    for machine in ("m1", "m2"):
        i = np.arange(200)
        temp = 20.0 + (i % 7) * 0.1 + np.where((i >= 100) & (i < 160), 70.0, 0.0)
        vibration = np.where((i >= 120) & (i < 180), 4.0, 0.0) + (i % 3) * 0.01
        parts.append(pd.DataFrame({"timestamp": pd.date_range("2024-03-01 08:00:00", periods=200, freq="30s"),
                                   "machine": machine, "temp": temp, "vibration": vibration}))
    return pd.concat(parts, ignore_index=True)


def _windows() -> pd.DataFrame:
    """The README's window example: ``start`` is each window's first sample time (a datetime)."""
    return windows(_samples(), values=["temp", "vibration"], length=20, step=10, time="timestamp", group="machine",
                   baseline={"temp": 20.0, "vibration": None}, limit={"temp": 80.0, "vibration": 3.0})


def _project(base: Path, frame: pd.DataFrame, name: str, run: str) -> Path:
    (base / "data").mkdir(parents=True, exist_ok=True)
    if name.endswith(".csv"):
        frame.to_csv(base / "data" / name, index=False)
    else:
        frame.to_parquet(base / "data" / name)
    (base / "lfs.py").write_text(LFS, encoding="utf-8")
    (base / f"{run}.toml").write_text(CONFIG.format(name=name, run=run), encoding="utf-8")
    return base


def _cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _export(capsys, folder: Path, run: str) -> tuple[list[dict], str]:
    code, _, err = _cli(capsys, "run", f"{run}.toml")
    assert code == 0, err
    code, _, err = _cli(capsys, "review", "export", f"runs/{run}", "--out", f"review_{run}/tasks.json")
    assert code == 0, err
    tasks = json.loads((folder / f"review_{run}" / "tasks.json").read_text(encoding="utf-8"))
    config = (folder / f"review_{run}" / "tasks.labeling_config.xml").read_text(encoding="utf-8")
    return tasks, config


def _check_time_tasks(tasks: list[dict], frame: pd.DataFrame) -> None:
    """Each task's ``start`` values: TIME_FORMAT strings of its machine's window starts, in order, 3 either side."""
    by_id = frame.set_index("window_id")
    for task in tasks:
        data = task["data"]
        group, start = by_id.loc[data["row_id"], ["group", "start"]]
        starts = sorted(frame.loc[frame["group"] == group, "start"])
        at = starts.index(start)
        expected = [t.strftime("%Y-%m-%d %H:%M:%S") for t in starts[max(0, at - 3): at + 4]]
        assert data["series"]["start"] == expected
        assert [datetime.strptime(v, TIME_FORMAT) for v in expected] == starts[max(0, at - 3): at + 4]
        assert data["series"][ITEM_CHANNEL] == [int(v == start.strftime("%Y-%m-%d %H:%M:%S")) for v in expected]
        assert data["series_item"] == f"group {group}, start {start:%Y-%m-%d %H:%M:%S}"


def test_window_starts_export_with_a_time_format_from_parquet_and_csv(tmp_path, monkeypatch, capsys):
    frame = _windows()
    assert pd.api.types.is_datetime64_any_dtype(frame["start"])
    folder = _project(tmp_path, frame, "windows.parquet", "parquet")
    _project(tmp_path, frame, "windows.csv", "csv")
    assert pd.api.types.is_string_dtype(pd.read_csv(folder / "data" / "windows.csv")["start"])  # strings, as read
    monkeypatch.chdir(folder)
    tasks, config = _export(capsys, folder, "parquet")
    assert tasks, "the run routed no window to review"
    assert any(t.get("predictions") for t in tasks) and not all(t.get("predictions") for t in tasks)
    assert ('<TimeSeries name="series" value="$series" valueType="json" timeColumn="start" '
            'timeFormat="%Y-%m-%d %H:%M:%S">') in config
    assert 'column="end"' not in config and 'column="group"' not in config  # times and the sequence: not plotted
    _check_time_tasks(tasks, frame)
    csv_tasks, csv_config = _export(capsys, folder, "csv")  # the same windows, the times as CSV strings
    assert csv_config == config
    assert csv_tasks == tasks


def test_numeric_order_columns_are_exported_as_before(tmp_path):
    data = pd.DataFrame({"row_id": ["a", "b", "c"], "video": "v", "frame": [2, 0, 1], "det_0": [1.5, -1.0, 1.0]})
    queue = pd.DataFrame({"row_id": ["c"], "frame": [1], "label": ["rally"], "confidence": [0.6]})
    done = export_series_queue(queue, data, tmp_path / "tasks.json", order_column="frame", group_column="video",
                               label_space=["not_rally", "rally"], context=1)
    config = done.config_path.read_text(encoding="utf-8")
    assert '<TimeSeries name="series" value="$series" valueType="json" timeColumn="frame">' in config
    assert "timeFormat" not in config
    task = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))[0]
    assert task["data"]["series"] == {"frame": [0, 1, 2], "det_0": [-1.0, 1.0, 1.5], ITEM_CHANNEL: [0, 1, 0]}
    assert task["data"]["series_item"] == "video v, frame 1"
    assert series_order(data, "frame")[1] == ""
    order, _ = series_order(data, "frame")
    assert order.dtype == np.int64 and order.tolist() == [2, 0, 1]  # numbers: the column itself, untouched


def test_times_with_zones_and_fractions_of_a_second():
    data = pd.DataFrame({"row_id": ["a", "b", "c"], "det_0": [1, 2, 3],
                         "t": pd.to_datetime(["2024-03-01 10:00:00.5", "2024-03-01 10:00:00.25",
                                              "2024-03-01 10:00:01.123456"])})
    queue = pd.DataFrame({"row_id": ["b"], "label": [""], "confidence": [0.5]})
    times, time_format = series_order(data, "t")
    assert time_format == TIME_FORMAT_MS == "%Y-%m-%d %H:%M:%S.%L"
    series = to_series_tasks(queue, data, order_column="t", channels=["det_0"], model_version="v")[0]["data"]
    # sorted by time; milliseconds, three digits (d3 has no microseconds: 123456 us is 123 ms)
    assert series["series"]["t"] == ["2024-03-01 10:00:00.250", "2024-03-01 10:00:00.500", "2024-03-01 10:00:01.123"]
    assert series["series"]["det_0"] == [2, 1, 3] and series["series_item"] == "t 2024-03-01 10:00:00.250"
    config = series_labeling_config(["x"], order_column="t", channels=["det_0"], time_format=time_format)
    assert 'timeColumn="t" timeFormat="%Y-%m-%d %H:%M:%S.%L">' in config
    zoned = pd.DataFrame({"row_id": ["a", "b"], "det_0": [1, 2],
                          "t": pd.to_datetime(["2024-03-01 10:00", "2024-03-01 11:00"]).tz_localize("Europe/Paris")})
    times, time_format = series_order(zoned, "t")
    assert time_format == TIME_FORMAT
    assert times.tolist() == [pd.Timestamp("2024-03-01 09:00"), pd.Timestamp("2024-03-01 10:00")]  # UTC, as LS reads
    strings = pd.DataFrame({"row_id": ["a", "b"], "det_0": [1, 2],
                            "t": ["2024-03-01T10:00:00+01:00", "2024-03-01 09:30:00+00:00"]})
    assert series_order(strings, "t")[0].tolist() == [pd.Timestamp("2024-03-01 09:00"),
                                                      pd.Timestamp("2024-03-01 09:30")]


def test_unparseable_or_missing_times_are_refused_naming_the_rows():
    data = pd.DataFrame({"row_id": ["w1", "w2", "w3", "w4"], "det_0": [1, 2, 3, 4],
                         "start": ["2024-03-01 00:00:00", "yesterday", None, "03/01/2024"]})
    with pytest.raises(ReviewError) as info:
        series_order(data, "start")
    message = str(info.value)
    assert "media_column = 'start' (the order column)" in message and "in 3 row(s)" in message
    assert "row 'w2' has 'yesterday'" in message and "row 'w3' has nothing (missing)" in message
    assert "row 'w4' has '03/01/2024'" in message and "'w1'" not in message
    assert "ISO 8601" in message and "fix those values in the input" in message
    many = pd.DataFrame({"row_id": [f"r{i}" for i in range(8)], "start": ["x"] * 8})
    with pytest.raises(ReviewError, match=r"row 'r4' has 'x' and 3 more; "):
        series_order(many, "start")


def test_a_bad_time_in_the_csv_stops_the_export_with_exit_2(tmp_path, monkeypatch, capsys):
    frame = _windows().astype({"start": str})
    frame.loc[frame["window_id"] == "m2:2024-03-01T08:50:00", "start"] = "2024-13-45 08:50:00"
    folder = _project(tmp_path, frame, "windows.csv", "csv")
    monkeypatch.chdir(folder)
    code, _, err = _cli(capsys, "run", "csv.toml")
    assert code == 0, err
    code, out, err = _cli(capsys, "review", "export", "runs/csv")
    assert code == 2, out + err
    assert "media_column = 'start' (the order column)" in err
    assert "row 'm2:2024-03-01T08:50:00' has '2024-13-45 08:50:00'" in err
    assert not (folder / "runs" / "csv" / "review" / "tasks.json").exists()


def test_datetime_series_answers_come_back_as_gold(tmp_path, monkeypatch, capsys):
    frame = _windows()
    folder = _project(tmp_path, frame, "windows.csv", "csv")
    monkeypatch.chdir(folder)
    tasks, _ = _export(capsys, folder, "csv")
    answered = tasks[0]["data"]["row_id"]
    (folder / "export.json").write_text(json.dumps(ls_export(tasks, {answered: [(1, "anomaly")]}, to_name="series")),
                                        encoding="utf-8")
    code, _, err = _cli(capsys, "review", "import", "export.json", "--task", "machine_anomaly", "--run", "runs/csv",
                        "--gold-dir", "gold")
    assert code == 0, err
    gold = load_gold(folder / "gold").frame
    assert gold["row_id"].astype(str).tolist() == [answered] and gold["label"].astype(str).tolist() == ["anomaly"]


def _label_studio_python() -> Path:
    from weaksup.testing.labelstudio import LABEL_STUDIO_ENV, find_label_studio

    executable = find_label_studio()
    python = None if executable is None else executable.parent / "python"
    if python is None or not python.is_file():
        reason = (f"Label Studio is not installed: run `make labelstudio` (it builds .venv-labelstudio) or set "
                  f"${LABEL_STUDIO_ENV} to a label-studio script")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return python


VALIDATE = """
import json, sys
from label_studio.core.label_config import validate_label_config
from label_studio_sdk.label_interface import LabelInterface

config = open(sys.argv[1], encoding="utf-8").read()
tasks = json.load(open(sys.argv[2], encoding="utf-8"))
validate_label_config(config)  # raises on an invalid config
interface = LabelInterface(config)
series = interface.get_object("series")
report = {"time_column": series.attr.get("timeColumn"), "time_format": series.attr.get("timeFormat"),
          "tasks": [interface.validate_task({"data": t["data"]}) for t in tasks],  # (its predictions: below)
          "predictions": [interface.validate_prediction(p, return_errors=True)
                          for t in tasks for p in t.get("predictions", [])]}
try:
    validate_label_config(config.replace('toName="series"', 'toName="plot"'))
    report["broken"] = "accepted"
except Exception as exc:
    report["broken"] = type(exc).__name__
print(json.dumps(report))
"""


@pytest.mark.slow
def test_label_studio_validates_the_datetime_series_config(tmp_path, monkeypatch, capsys):
    python = _label_studio_python()
    folder = _project(tmp_path, _windows(), "windows.csv", "csv")
    monkeypatch.chdir(folder)
    tasks, _ = _export(capsys, folder, "csv")
    assert tasks
    (tmp_path / "validate.py").write_text(VALIDATE, encoding="utf-8")
    done = subprocess.run([str(python), str(tmp_path / "validate.py"), "review_csv/tasks.labeling_config.xml",
                           "review_csv/tasks.json"], capture_output=True, text=True, timeout=300, check=False,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["time_column"] == "start" and report["time_format"] == TIME_FORMAT
    assert report["tasks"] == [True] * len(tasks)
    assert report["predictions"] and all(errors == [] for errors in report["predictions"])
    assert report["broken"] == "ValidationError"  # the validator does refuse a broken config


@pytest.mark.slow
def test_datetime_series_tasks_go_through_label_studio_and_back_as_gold(label_studio, tmp_path, monkeypatch,
                                                                        capsys):
    frame = _windows()
    folder = _project(tmp_path, frame, "windows.csv", "csv")
    monkeypatch.chdir(folder)
    tasks, config = _export(capsys, folder, "csv")
    assert 'timeFormat="%Y-%m-%d %H:%M:%S"' in config and tasks
    api = httpx.Client(base_url=label_studio.url, headers=label_studio.headers, timeout=60)
    project = api.post("/api/projects", json={"title": "datetime series", "label_config": config})
    assert project.status_code == 201, project.text  # the server validated the config
    pid = project.json()["id"]
    imported = api.post(f"/api/projects/{pid}/import", json=tasks)
    assert imported.status_code == 201, imported.text  # the server checked the tasks against the config's $series
    assert imported.json()["task_count"] == len(tasks)
    listed = api.get("/api/tasks", params={"project": pid, "page_size": 100}).json()["tasks"]
    first = api.get(f"/api/tasks/{listed[0]['id']}").json()
    row_id = first["data"]["row_id"]
    sent = next(t for t in tasks if t["data"]["row_id"] == row_id)
    assert first["data"]["series"] == sent["data"]["series"]  # the time strings stored as sent
    result = [{"from_name": "label", "to_name": "series", "type": "choices", "value": {"choices": ["anomaly"]}}]
    done = api.post(f"/api/tasks/{first['id']}/annotations", json={"result": result})
    assert done.status_code == 201, done.text
    export = api.get(f"/api/projects/{pid}/export", params={"exportType": "JSON"})
    assert export.status_code == 200
    (folder / "export.json").write_bytes(export.content)
    code, _, err = _cli(capsys, "review", "import", "export.json", "--task", "machine_anomaly", "--run", "runs/csv",
                        "--gold-dir", "gold")
    assert code == 0, err
    gold = load_gold(folder / "gold").frame
    assert gold["row_id"].astype(str).tolist() == [row_id] and gold["label"].astype(str).tolist() == ["anomaly"]
