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


def _run(tmp_path, capsys, monkeypatch, params: str, data=None) -> tuple[int, str]:
    from weaksup.cli import main

    monkeypatch.chdir(REPO)
    args = ["run", str(CONFIG), "--set", f"label_model.params={{ {params} }}", "--set",
            f"output.path={tmp_path}/out/labels.parquet"]
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
