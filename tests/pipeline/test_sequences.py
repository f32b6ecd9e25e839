"""A temporal label model says where its items' order comes from: an order column, or ``file_order = true``.

Without either, a run used to take the file order as the order (and the whole input as one sequence), so a
shuffled input was smoothed over random neighbours without a word.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.errors import ConfigError

CONFIG = REPO / "configs" / "tennis.toml"
BASE = 'base = "DevNaiveBayes", strength = 0.5, floor = 0.1'


def _shuffled(tmp_path, n: int | None = None):
    frames = pd.read_csv(REPO / "data" / "tennis" / "frames.csv")
    frames = frames if n is None else frames.head(n)
    path = tmp_path / "shuffled.csv"
    frames.sample(frac=1, random_state=0).to_csv(path, index=False)
    return path


def _run(tmp_path, capsys, monkeypatch, params: str, data=None, out=None) -> tuple[int, str]:
    from weaksup.cli import main

    monkeypatch.chdir(REPO)
    args = ["run", str(CONFIG), "--set", f"label_model.params={{ {params} }}", "--set",
            f"output.path={out or tmp_path / 'out' / 'labels.parquet'}"]
    if data is not None:
        args += ["--set", f"input.path={data}"]
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0), capsys.readouterr().err


def test_a_temporal_run_without_an_order_column_exits_2_before_writing(tmp_path, capsys, monkeypatch):
    code, err = _run(tmp_path, capsys, monkeypatch, BASE, data=_shuffled(tmp_path))
    assert code == 2, err
    assert "label_model.params names no order_column" in err
    assert "the rows of the whole input (no label_model.params.sequence_column: one sequence)" in err
    assert "label_model.params.order_column" in err and "label_model.params.sequence_column" in err
    assert "label_model.params.file_order = true" in err
    assert not (tmp_path / "out").exists()  # refused before any row is read: no run folder


def test_a_sequence_column_without_an_order_column_is_refused_too(tmp_path, capsys, monkeypatch):
    code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, sequence_column = "video"', data=_shuffled(tmp_path))
    assert code == 2, err
    assert "the rows of each 'video' sequence would be taken in file order" in err


def test_file_order_and_an_order_column_together_are_refused(tmp_path, capsys, monkeypatch):
    code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, order_column = "frame", file_order = true')
    assert code == 2, err
    assert "names order_column = 'frame' and sets file_order = true; choose one" in err


def test_file_order_true_takes_each_sequences_rows_in_file_order(tmp_path):
    from weaksup.config import load_config
    from weaksup.pipeline.sequences import run_order

    path = _shuffled(tmp_path, n=40)
    frames = pd.read_csv(path)
    plan = SimpleNamespace(config=load_config(CONFIG, [f"input.path={path}",
                                                       f"output.path={tmp_path}/out/labels.parquet"]))
    model = SimpleNamespace(sequence_column="video", order_column="", file_order=True)
    assert run_order(plan, model, 40).order.tolist() == list(range(40))  # one video: the file order, unsorted
    sorted_ = run_order(plan, SimpleNamespace(sequence_column="video", order_column="frame"), 40)
    assert frames["frame"].to_numpy()[sorted_.order].tolist() == list(range(40))
    with pytest.raises(ConfigError, match="names no order_column"):
        run_order(plan, SimpleNamespace(sequence_column="video", order_column=""), 40)


def test_the_file_order_opt_in_is_a_model_parameter_it_checks():
    from weaksup.models.temporal import TemporalLabelModel
    from weaksup.errors import LabelModelError

    assert TemporalLabelModel(2, file_order=True).check_params().get_params()["file_order"] is True
    with pytest.raises(LabelModelError, match="file_order"):
        TemporalLabelModel(2, file_order="yes").check_params()


# --- the order column: text read as times, checked before any LF runs, ties warned -------------------------------


def _timed(tmp_path, *, every: int = 20, shuffle: bool = True):
    """The tennis frames with ``ts``: each frame's time as ISO 8601 with its Europe/Berlin offset, ``every`` seconds
    apart from 2024-10-27 00:00 (the night the clocks go back: 02:00-03:00 happens twice, +02:00 then +01:00);
    rows shuffled."""
    frames = pd.read_csv(REPO / "data" / "tennis" / "frames.csv")
    start = pd.Timestamp("2024-10-27 00:00", tz="Europe/Berlin")
    times = start + pd.to_timedelta(frames["frame"] * every, unit="s")
    frames["ts"] = [t.isoformat() for t in times]
    path = tmp_path / "timed.csv"
    (frames.sample(frac=1, random_state=0) if shuffle else frames).to_csv(path, index=False)
    return frames, path


def _labels(path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("row_id").reset_index(drop=True)


def test_iso_times_with_offsets_across_a_clock_change_order_by_instant(tmp_path, capsys, monkeypatch):
    frames, data = _timed(tmp_path)
    late = frames.loc[frames["video"] == "dev", "ts"]
    assert late.str.endswith("+02:00").any() and late.str.endswith("+01:00").any()  # the dev video crosses it
    assert sorted(late.iloc[350:750]) != list(late.iloc[350:750])  # as text they would interleave the two hours
    runs = {}
    for column in ("ts", "frame"):  # the times, and the frame index: the same order
        out = tmp_path / column / "labels.parquet"
        code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, sequence_column = "video", order_column = '
                         f'"{column}"', data=data, out=out)
        assert code == 0, err
        runs[column] = _labels(out)[["row_id", "label", "prob_rally"]]
    pd.testing.assert_frame_equal(runs["ts"], runs["frame"])


def test_a_text_order_column_that_is_not_times_exits_2_before_any_lf_runs(tmp_path, capsys, monkeypatch):
    frames, _ = _timed(tmp_path, shuffle=False)
    frames.loc[[3, 700], "ts"] = ["soon", "27/10/2024 02:00"]
    frames.to_csv(data := tmp_path / "bad.csv", index=False)
    code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, sequence_column = "video", order_column = "ts"',
                     data=data)
    assert code == 2, err
    assert (f"label_model.params.order_column = 'ts' of {data} holds text that is not a time in 2 row(s) (row "
            "'train:00003' has 'soon', row 'train:00700' has '27/10/2024 02:00'): a text order column is read as "
            "ISO 8601 times") in err
    assert "Write numbers (e.g. a sample index or seconds) or ISO 8601 times in that column" in err
    out = tmp_path / "out"
    assert not (out / "labels.parquet").exists() and not list(out.glob(".weaksup-stage-*"))  # no votes kept either


def test_an_order_column_the_input_lacks_exits_2_before_any_lf_runs(tmp_path, capsys, monkeypatch):
    code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, sequence_column = "video", order_column = "time"')
    assert code == 2, err
    columns = ["row_id", "video", "frame", *(f"det_{j}" for j in range(6))]
    assert err.strip().endswith(f"label_model.params.order_column = 'time' is not a column of "
                                f"data/tennis/frames.csv (its columns: {columns}): name one of them"), err
    assert "missing column" not in err and not list((tmp_path / "out").glob(".weaksup-stage-*"))
    code, err = _run(tmp_path, capsys, monkeypatch, f'{BASE}, sequence_column = "clip", order_column = "frame"')
    assert code == 2 and "label_model.params.sequence_column = 'clip' is not a column of" in err, err


def test_a_timestamp_column_with_a_zone_orders_by_instant(tmp_path):
    from weaksup.config import load_config
    from weaksup.pipeline.sequences import run_order

    frames, _ = _timed(tmp_path, shuffle=False)
    frames = frames[frames["video"] == "dev"].copy()
    frames["ts"] = pd.to_datetime(frames["ts"], utc=True).dt.tz_convert("Europe/Berlin")
    shuffled = frames.sample(frac=1, random_state=1)
    shuffled.to_parquet(path := tmp_path / "timed.parquet", index=False)
    plan = SimpleNamespace(config=load_config(CONFIG, [f"input.path={path}",
                                                       f"output.path={tmp_path}/out/labels.parquet"]))
    ro = run_order(plan, SimpleNamespace(sequence_column="video", order_column="ts"), len(shuffled))
    assert shuffled["frame"].to_numpy()[ro.order].tolist() == frames["frame"].tolist()


def test_rows_sharing_an_order_value_are_warned_about_and_keep_file_order(tmp_path, caplog):
    from weaksup.config import load_config
    from weaksup.pipeline.inputs import input_identity
    from weaksup.pipeline.sequences import run_order

    frames = pd.read_csv(REPO / "data" / "tennis" / "frames.csv").head(40)
    repeats = frames.iloc[[5, 30]].assign(row_id=lambda f: f["row_id"] + "-again")
    data = pd.concat([frames, repeats], ignore_index=True)
    data.to_csv(path := tmp_path / "repeats.csv", index=False)
    config = load_config(CONFIG, [f"input.path={path}", f"output.path={tmp_path}/out/labels.parquet"])
    with caplog.at_level("WARNING", logger="weaksup"):
        input_identity(config)  # what a run checks when it starts, before any LF runs
    assert ("2 row(s) share their order value with an earlier row of their sequence (sequence, order: "
            "[('train', 5), ('train', 30)]); ties keep the file order") in caplog.text
    ro = run_order(SimpleNamespace(config=config), SimpleNamespace(sequence_column="video", order_column="frame"), 42)
    assert data["row_id"].to_numpy()[ro.order][5:7].tolist() == ["train:00005", "train:00005-again"]
