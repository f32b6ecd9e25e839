"""weaksup.media.series: windows of a time series as rows (ids, features, groups, time) and the task unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.config import RunConfig
from weaksup.errors import ConfigError, DataError, GoldSetError, ParameterError
from weaksup.media.series import windows
from weaksup.pipeline.sequences import check_unit, gold_unit


def _series() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(10.0, 0.5, 60)
    x[30:36] = 25.0  # an excursion of 6 samples
    return pd.DataFrame({"machine": ["m1"] * 40 + ["m2"] * 20, "temp": x,
                         "t": pd.date_range("2024-01-01", periods=60, freq="10s")})


def test_features_match_a_direct_computation():
    frame = _series()
    w = windows(frame, values="temp", length=10, step=5, group="machine", baseline=10.0, limit=20.0)
    m1 = frame.loc[frame.machine == "m1", "temp"].to_numpy()
    row = w.set_index("window_id").loc["m1:25"]
    seg = m1[25:35]
    assert row["temp_mean"] == pytest.approx(seg.mean()) and row["temp_std"] == pytest.approx(seg.std())
    assert row["temp_slope"] == pytest.approx(np.polyfit(np.arange(10.0), seg, 1)[0])
    assert row["temp_max_dev"] == pytest.approx(np.abs(seg - 10.0).max())
    assert row["temp_above"] == 5  # samples 30..34 of the excursion fall in 25..34
    assert w.set_index("window_id").loc["m1:0", "temp_above"] == 0


def test_window_ids_are_stable_and_windows_never_cross_series():
    frame = _series()
    w = windows(frame, values="temp", length=10, step=5, group="machine")
    assert w["window_id"].tolist() == [f"m1:{s}" for s in range(0, 31, 5)] + [f"m2:{s}" for s in (0, 5, 10)]
    assert (w["n_samples"] == 10).all() and set(w["group"]) == {"m1", "m2"}
    grown = pd.concat([frame, frame.iloc[-5:].assign(machine="m2")], ignore_index=True)  # more samples of m2
    again = windows(grown, values="temp", length=10, step=5, group="machine")
    shared = w.merge(again, on="window_id", suffixes=("", "_again"))
    assert len(shared) == len(w) and np.allclose(shared["temp_mean"], shared["temp_mean_again"])


def test_time_column_orders_samples_and_names_windows():
    frame = _series().sample(frac=1.0, random_state=1)  # shuffled rows: time orders them
    w = windows(frame, values="temp", length=6, time="t", group="machine")
    first = w.iloc[0]
    assert first["window_id"] == "m1:2024-01-01T00:00:00" and first["end"] == pd.Timestamp("2024-01-01 00:00:50")
    ordered = windows(_series(), values="temp", length=6, group="machine")
    assert np.allclose(w["temp_mean"], ordered["temp_mean"])
    assert np.allclose(w["temp_slope"] * 10, ordered["temp_slope"])  # per second vs per sample (10 s apart)


def test_default_baseline_is_the_series_median_and_several_values():
    frame = _series().assign(load=np.linspace(0, 1, 60))
    w = windows(frame, values=["temp", "load"], length=20, baseline={"temp": None, "load": 0.0})
    assert {"temp_max_dev", "load_max_dev", "load_slope"} <= set(w.columns) and "temp_above" not in w
    med = np.median(frame["temp"])
    assert w.loc[1, "temp_max_dev"] == pytest.approx(np.abs(frame["temp"][20:40] - med).max())
    assert w.loc[0, "load_slope"] == pytest.approx(1 / 59)


def test_bad_inputs_say_what_to_fix():
    frame = _series()
    with pytest.raises(ParameterError, match="length must be a whole number >= 1"):
        windows(frame, values="temp", length=0)
    with pytest.raises(ParameterError, match="step must be"):
        windows(frame, values="temp", length=5, step=2.5)
    with pytest.raises(DataError, match=r"no column \['pressure'\]"):
        windows(frame, values="pressure", length=5)
    with pytest.raises(DataError, match="without gaps"):
        windows(frame.assign(temp=frame.temp.where(frame.index != 3)), values="temp", length=5)
    with pytest.raises(DataError, match="not numbers or datetimes"):
        windows(frame.assign(t=frame.t.astype(str)), values="temp", length=5, time="t")
    with pytest.raises(ParameterError, match="limit names no value"):
        windows(frame, values="temp", length=5, limit={"other": 1.0})
    assert len(windows(frame.iloc[:3], values="temp", length=5)) == 0  # too short: no windows
    empty = windows(frame.iloc[:0], values="temp", length=5, group="machine", limit=20.0)
    assert len(empty) == 0 and list(empty.columns) == list(windows(frame, values="temp", length=5, group="machine",
                                                                   limit=20.0).columns)


def test_missing_times_and_group_ids_are_refused_naming_the_column():
    frame = _series()
    seconds = frame.assign(t=np.arange(60.0))
    for bad in (seconds.assign(t=seconds.t.where(seconds.index != 7)),  # a number NaN, as a datetime NaT
                frame.assign(t=frame.t.where(frame.index != 7))):
        with pytest.raises(DataError, match=r"time column 't' has missing times \(1 NaN/NaT/None, first at index "
                                            r"\[7\]\); .*drop or fill"):
            windows(bad, values="temp", length=5, time="t")
    no_machine = frame.assign(machine=frame.machine.where(~frame.index.isin([3, 50])))
    with pytest.raises(DataError, match=r"group column 'machine' has missing group ids \(2 NaN/NaT/None, first at "
                                        r"index \[3, 50\]\); .*fill the ids or drop"):
        windows(no_machine, values="temp", length=5, group="machine")  # never a series named "nan"


def test_group_values_rendering_alike_are_named_not_blamed_on_times():
    frame = pd.DataFrame({"sensor": [1] * 4 + ["1"] * 4, "temp": np.arange(8.0)})
    with pytest.raises(DataError, match=r"group values 1 and '1' of column 'sensor' both render to the group id "
                                        r"'1'.*astype\(str\)") as info:
        windows(frame, values="temp", length=2, group="sensor")
    assert "share a time" not in str(info.value)
    ids = windows(frame.assign(sensor=frame.sensor.astype(str)), values="temp", length=2, group="sensor")["window_id"]
    assert ids.tolist() == ["1:0", "1:2", "1:4", "1:6"]  # one series once the values are one type
    timed = pd.DataFrame({"sensor": ["a"] * 4, "t": [0, 1, 1, 2], "temp": np.arange(4.0)})
    with pytest.raises(DataError, match="2 samples share their .t. with another sample"):  # refused up front
        windows(timed, values="temp", length=1, time="t", group="sensor")


def _config(**task) -> RunConfig:
    return RunConfig.from_dict({"task": {"name": "x", **task}, "input": {"path": "w.csv"}, "lfs": {"modules": ["m"]},
                                "output": {"path": "out/labels.csv"}})


class _Gold:
    def __init__(self, manifest):
        self.manifest = manifest


def test_task_unit_is_checked_and_a_gold_set_in_another_unit_refused():
    assert check_unit(_config()) == "row"
    assert check_unit(_config(unit="window", window_length=10), _Gold({"unit": "window"})) == "window"
    with pytest.raises(ConfigError, match="choose 'row'"):
        check_unit(_config(unit="frames"))
    with pytest.raises(ConfigError, match="needs task.window_length"):
        check_unit(_config(unit="window"))
    with pytest.raises(ConfigError, match="are for task.unit = 'window'"):
        check_unit(_config(window_length=5))
    with pytest.raises(GoldSetError, match="labels rows but task.unit = 'window'.*never mix.*set_gold_unit"):
        check_unit(_config(unit="window", window_length=10), _Gold({}))
    with pytest.raises(GoldSetError, match="labels windows but task.unit = 'row'"):
        check_unit(_config(), _Gold({"unit": "window"}))
    assert gold_unit({}) == "row"


def test_a_time_repeated_within_a_group_is_refused_naming_the_rows():
    frame = _series()
    repeated = pd.concat([frame, frame.iloc[[12]]], ignore_index=True)  # sample 12 of m1 read twice: not a start
    with pytest.raises(DataError, match=r"windows: 2 samples share their 't' with another sample of the same "
                                        r"'machine' series \('m1' at 2024-01-01 00:02:00: index \[12, 60\]\); .*"
                                        r"drop or aggregate the duplicates first, e.g. "
                                        r"frame.drop_duplicates\(\['machine', 't'\]\)"):
        windows(repeated, values="temp", length=10, step=10, time="t", group="machine")
    other = frame.assign(machine=np.where(frame.index < 30, "m1", "m2"), t=frame["t"].iloc[0]
                         + pd.to_timedelta(np.r_[np.arange(30), np.arange(30)] * 10, unit="s"))
    assert len(windows(other, values="temp", length=10, time="t", group="machine")) == 6  # same times, two series
    with pytest.raises(DataError, match=r"share their 't' with another sample of the series \(2024-01-01 00:02:00"):
        windows(repeated.drop(columns="machine"), values="temp", length=10, time="t")
