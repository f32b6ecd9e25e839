"""The shipped time-series example hangs together (frames, gold, LFs, config) and its run uses the order."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from tests.conftest import REPO, SHARED_DATA
from weaksup.errors import GoldSetError
from weaksup.gold import load_gold

CONFIG = REPO / "configs" / "tennis.toml"


def _frames() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "tennis" / "frames.csv")


def test_frames_gold_module_and_config_agree():
    from labeling_functions.tennis import LABELS, LFS

    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["task"]["labels"] == list(LABELS.names) and config["task"]["unit"] == "row"
    assert config["label_model"]["name"] == "temporal"
    frames = _frames()
    assert len(frames) == 7705 and frames["row_id"].is_unique
    assert frames.groupby("video")["frame"].apply(lambda f: (np.diff(f) == 1).all()).all()  # in order, no gaps
    gold = load_gold(REPO / config["gold"]["path"])
    assert gold.counts() == {"dev": 488, "test": 258}
    assert set(gold.frame["row_id"]) == set(frames.loc[frames.video == "dev", "row_id"])
    assert [lf.name for lf in LFS] == [f"det_{j}" for j in range(6)]
    row = frames.iloc[0]
    assert [lf(row) for lf in LFS] == [LABELS["not_rally"], LABELS["rally"], -1, LABELS["rally"], LABELS["rally"],
                                       LABELS["rally"]]


def test_the_frames_are_flyingsquids_votes():
    source = SHARED_DATA / "tennis_flyingsquid"
    if not (source / "L_dev_video.npy").is_file():
        pytest.skip(f"no FlyingSquid tennis copy at {source}")
    frames = _frames()
    det = [f"det_{j}" for j in range(6)]
    assert np.array_equal(frames.loc[frames.video == "train", det].to_numpy(), np.load(source / "L_train_video.npy"))
    assert np.array_equal(frames.loc[frames.video == "dev", det].to_numpy(), np.load(source / "L_dev_video.npy"))
    gold = load_gold(REPO / "gold_sets" / "tennis").frame.set_index("row_id")
    y = np.where(gold.loc[frames.loc[frames.video == "dev", "row_id"], "label"] == "rally", 1, -1)
    assert np.array_equal(y, np.load(source / "Y_dev_video.npy"))


def test_a_window_task_refuses_the_frame_gold_set(tmp_path):
    from weaksup.config import load_config
    from weaksup.pipeline import RunPlan

    config = load_config(CONFIG, [f"output.path={tmp_path}/labels.parquet", "task.unit=window",
                                  "task.window_length=10"])
    with pytest.raises(GoldSetError, match="labels rows but task.unit = 'window'"):
        RunPlan.from_config(config)


def _blanked(tmp_path, column: str, rows: list[int], n: int | None = None):
    """The tennis config reading a copy of the frames (the first ``n``) with ``column`` blank on ``rows``."""
    from weaksup.config import load_config

    frames = _frames() if n is None else _frames().head(n)
    frames[column] = frames[column].astype(object)
    frames.loc[rows, column] = None  # a blank cell in the CSV
    path = tmp_path / "frames.csv"
    frames.to_csv(path, index=False)
    return load_config(CONFIG, [f"input.path={path}", f"output.path={tmp_path}/out/labels.parquet"])


@pytest.mark.parametrize(("column", "key"), [("video", "sequence_column"), ("frame", "order_column")])
def test_a_row_without_its_sequence_or_order_is_refused_naming_the_column_and_rows(tmp_path, column, key):
    from types import SimpleNamespace

    from weaksup.errors import DataError
    from weaksup.pipeline.sequences import run_order

    model = SimpleNamespace(sequence_column="video", order_column="frame")
    plan = SimpleNamespace(config=_blanked(tmp_path, column, [4, 8, 20, 21, 22, 23, 24], n=40))
    with pytest.raises(DataError, match=rf"label_model.params.{key} = '{column}' is blank on 7 row\(s\) \(row ids "
                                        r"\['train:00004', 'train:00008', 'train:00020', 'train:00021', "
                                        r"'train:00022'\] and 2 more\): .*Fill those cells in the input, or drop "
                                        r"the rows"):
        run_order(plan, model, 40)  # never sorted to the end, never a TypeError from mixed NaN and str
    clean = run_order(SimpleNamespace(config=_blanked(tmp_path, column, [], n=40)), model, 40)
    assert clean.order.tolist() == list(range(40))


def test_a_run_with_blank_sequence_ids_exits_2_with_the_message(tmp_path, capsys, monkeypatch):
    from weaksup.cli import main

    monkeypatch.chdir(REPO)
    config = _blanked(tmp_path, "video", [4, 8])
    with pytest.raises(SystemExit) as info:
        main(["run", str(CONFIG), "--set", f"input.path={config.input.path}", "--set",
              f"output.path={tmp_path}/out/labels.parquet"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "sequence_column = 'video' is blank on 2 row(s) (row ids ['train:00004', 'train:00008'])" in err


def _test_f1(labels: pd.DataFrame) -> float:
    gold = load_gold(REPO / "gold_sets" / "tennis").frame
    test = gold[gold.split == "test"].merge(labels[["row_id", "label"]], on="row_id", suffixes=("", "_run"))
    return float(f1_score(test["label"], test["label_run"], pos_label="rally"))


@pytest.mark.slow
def test_the_example_runs_over_whole_sequences_in_order(tmp_path):
    from weaksup.config import load_config
    from weaksup.models import BaseLabelModel, DevNaiveBayes
    from weaksup.pipeline import run

    first = run(load_config(CONFIG, [f"output.path={tmp_path}/a/labels.parquet"]), progress=False)
    labels = pd.read_parquet(tmp_path / "a" / "labels.parquet")
    manifest = json.loads((tmp_path / "a" / "run.json").read_text(encoding="utf-8"))
    assert manifest["unit"] == "row" and manifest["label_model"] == "TemporalLabelModel"
    frames = _frames()
    assert labels["row_id"].tolist() == frames["row_id"].tolist()  # every input row once, in order

    # the written labels are the saved model's, smoothed over each whole video (frames are in order in the file)
    det = frames[[f"det_{j}" for j in range(6)]].to_numpy()
    L = np.where(det == 0, -1, (det > 0).astype(int))
    model = BaseLabelModel.load(tmp_path / "a" / "label_model.json")
    names = np.array(["not_rally", "rally"])
    smoothed = names[model.predict(L, sequences=frames["video"].to_numpy())]
    machine = (labels["label_source"] == "label_model").to_numpy()
    assert machine.sum() == 7705 - 488 and (labels["label"].to_numpy()[machine] == smoothed[machine]).all()
    assert (labels.loc[~machine, "review_status"] == "reviewed").all()  # the dev gold frames

    # the order changes labels: the same base model labeling each frame alone differs on some frames
    alone = names[model.plain_predict(L, tie_break="hash")]
    assert 0 < (alone[machine] != smoothed[machine]).sum() < 0.2 * machine.sum()
    assert isinstance(model.base_, DevNaiveBayes) and model.transition_[0, 0] > 0.8 and model.transition_[1, 1] > 0.8
    assert _test_f1(labels) > 0.8

    # shuffled input rows: the run sorts by (video, frame), so every frame gets the same label
    shuffled = tmp_path / "shuffled.csv"
    frames.sample(frac=1.0, random_state=0).to_csv(shuffled, index=False)
    second = run(load_config(CONFIG, [f"output.path={tmp_path}/b/labels.parquet", f"input.path={shuffled}"]),
                 progress=False)
    again = pd.read_parquet(tmp_path / "b" / "labels.parquet").set_index("row_id")
    assert (again.loc[labels["row_id"], "label"].to_numpy() == labels["label"].to_numpy()).all()

    # the summary and the report score the smoothed labels the run wrote (read by row position), not the test
    # rows smoothed as if they were one sequence in file order: the shuffled run measures what the first does
    gold = load_gold(REPO / "gold_sets" / "tennis").frame
    test = gold[gold.split == "test"].merge(labels[["row_id", "label"]], on="row_id", suffixes=("", "_run"))
    written = float((test["label"] == test["label_run"]).mean())
    assert first.metrics["accuracy"] == pytest.approx(written)
    assert second.metrics["accuracy"] == pytest.approx(written)
    assert second.metrics["ece"] == pytest.approx(first.metrics["ece"])


@pytest.mark.slow
def test_the_benchmark_quick_form_scores_both_models_on_contiguous_folds():
    import importlib

    bench = importlib.import_module("benchmarks.modality_timeseries")
    assert bench.blocks(10, 3).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]  # contiguous blocks, in order
    result = bench.measure(quick=True)
    assert result["n_labeled"] == 746 and result["folds"] == 5 and result["quick"] is True
    assert result["temporal_f1"] > result["plain_f1"] > 0.8 and result["majority_vote_f1"] > 0.8
    assert result["gap_to_published"] == pytest.approx(result["temporal_f1"] - 0.8255)


@pytest.mark.slow
def test_the_config_chain_settings_are_chosen_on_the_dev_split_only():
    import importlib

    bench = importlib.import_module("benchmarks.modality_timeseries")
    chosen = bench.choose_on_dev()
    params = tomllib.loads(CONFIG.read_text())["label_model"]["params"]
    assert chosen == bench.QUICK_SETTINGS == {k: params[k] for k in ("strength", "floor", "transitions")}
