"""The columns the end model of rows without text reads in `weaksup run`: ``[end_model] exclude_columns`` leaves
a column out (checked against the input when the run starts), and a column that alone predicts the dev gold label
(the label, or a column derived from it) is named in the summary with that fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config
from weaksup.cli import main

REPO = Path(__file__).resolve().parents[2]
LEAK = "column 'reviewed_outcome' alone predicts the dev gold label for 100% of 488 rows"


def tennis(folder: Path, *, leak: bool = True, **end_model: object) -> Path:
    """The shipped tennis example's dev video (746 frames: 488 dev and 258 test gold rows, data/tennis) as a tabular
    input with the end model on and, with ``leak``, an old label of the reviewed frames (``reviewed_outcome``: the
    gold label, copied in)."""
    frames = pd.read_csv(REPO / "data" / "tennis" / "frames.csv")
    frames = frames[frames["video"] == "dev"]
    gold = pd.read_csv(REPO / "gold_sets" / "tennis" / "labels.csv").set_index("row_id")["label"]
    if leak:
        frames = frames.assign(reviewed_outcome=frames["row_id"].map(gold))
    frames.to_csv(folder / "frames.csv", index=False)
    shutil.copytree(REPO / "gold_sets" / "tennis", folder / "gold")
    shutil.copy(REPO / "labeling_functions" / "tennis.py", folder / "tennis_lfs.py")
    return write_config(folder, task={"name": "tennis", "labels": ["not_rally", "rally"]},
                        input={"path": "frames.csv", "text_column": ""}, lfs={"modules": ["tennis_lfs.py"]},
                        label_model={"name": "default"}, end_model={"enabled": True, "folds": 3, **end_model},
                        gold={"path": "gold"})


def cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


@pytest.mark.slow  # three runs of the tennis frames' end model (gradient-boosted trees, 3 folds)
def test_a_column_holding_the_gold_label_is_named_and_exclude_columns_leaves_it_out(tmp_path, monkeypatch):
    # before: supervised_on_dev read the copied label and scored 1.000, "weak supervision does not beat training
    # on your 488 gold rows", and nothing said why
    monkeypatch.chdir(tmp_path)
    config = tennis(tmp_path)
    leaked = run_config(config)
    assert leaked.references["supervised_on_dev"].accuracy == 1.0
    summary = leaked.summary()
    assert f"{LEAK}: if it is the label or derived from it, leave it out with [end_model] exclude_columns = " \
           "['reviewed_outcome']" in summary, summary
    info = json.loads((leaked.run_dir / "run.json").read_text(encoding="utf-8"))["end_model"]
    assert "reviewed_outcome" in info["columns"]["categories"]

    kept = run_config(config, 'end_model.exclude_columns=["reviewed_outcome"]')
    info = json.loads((kept.run_dir / "run.json").read_text(encoding="utf-8"))["end_model"]
    read = [*info["columns"]["numbers"], *info["columns"]["dates"], *info["columns"]["categories"]]
    assert "reviewed_outcome" not in read and "reviewed_outcome" not in info["columns_left_out"]
    assert info["columns_excluded"] == ["reviewed_outcome"] and "det_0" in read
    assert kept.references["supervised_on_dev"].accuracy < 0.9  # the gold-only trees without the answer
    assert "alone predicts" not in kept.summary()

    off = run_config(config, "end_model.enabled=false")  # supervised_on_dev is trained on the dev rows' columns
    assert off.references["supervised_on_dev"].accuracy == 1.0 and LEAK in off.summary()


@pytest.mark.slow
def test_the_tennis_example_has_no_leaking_column(tmp_path, monkeypatch):
    # the detectors' outputs, the frame number and the video do not predict the dev gold alone: no warning
    monkeypatch.chdir(tmp_path)
    result = run_config(tennis(tmp_path, leak=False))
    assert result.references is not None and "alone predicts" not in result.summary()


def test_exclude_columns_naming_no_column_of_the_input_exits_2_before_any_lf_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = tennis(tmp_path)
    code, said = cli(capsys, "run", str(config), "--no-progress", "--set",
                     'end_model.exclude_columns=["reviewed_outcom", "label"]')
    assert code == 2 and "Traceback" not in said, said
    assert "[end_model] exclude_columns names ['reviewed_outcom', 'label'], which are not columns of the input " \
           "frames.csv; its columns are ['row_id', 'video', 'frame', 'det_0', 'det_1', 'det_2', 'det_3', 'det_4', " \
           "'det_5', 'reviewed_outcome']: correct the names, or remove them from [end_model] exclude_columns" in said
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("votes*"))  # (refused at the start)
    code, said = cli(capsys, "run", str(config), "--no-progress", "--set", 'end_model.exclude_columns=["frame"]',
                     "--set", "input.text_column=video")
    assert code == 2 and "exclude_columns = ['frame'] leaves columns out of the end model of rows without text, " \
                         "and the input frames.csv has a text column ('video')" in said, said
    assert 'set input.text_column = "" for an end model of the rows\' columns' in said


def shipped_tennis(folder: Path) -> Path:
    """A copy of the shipped tennis example (config, frames, gold set, LFs) in ``folder``."""
    for part in ("configs", "labeling_functions"):
        (folder / part).mkdir()
    shutil.copy(REPO / "configs" / "tennis.toml", folder / "configs")
    shutil.copy(REPO / "labeling_functions" / "tennis.py", folder / "labeling_functions")
    shutil.copytree(REPO / "data" / "tennis", folder / "data" / "tennis")
    shutil.copytree(REPO / "gold_sets" / "tennis", folder / "gold_sets" / "tennis")
    return folder / "configs" / "tennis.toml"


def test_the_order_and_sequence_columns_are_not_read_and_a_trivial_baseline_is_named(tmp_path, monkeypatch):
    # before: supervised_on_dev read `frame` (the temporal label model's order column): the dev frames are 0..487 and
    # the test frames 488..745, so its trees predicted one class for every test row (0.539, the share of not_rally),
    # and the verdict said "weak supervision adds +33.7 points over training on your 488 gold rows"
    monkeypatch.chdir(tmp_path)
    config = shipped_tennis(tmp_path)
    result = run_config(config)
    refs = result.references
    assert refs is not None
    y = pd.read_csv(tmp_path / "gold_sets" / "tennis" / "labels.csv").query("split == 'test'")["label"]
    common = y.value_counts(normalize=True).max()
    assert refs["supervised_on_dev"].accuracy > common + 0.2
    summary = result.summary()
    assert "supervised_on_dev reads the columns ['det_0'" in summary and "'frame'" not in summary.split(
        "supervised_on_dev reads the columns")[1].split("]")[0]
    assert "NOT better than always predicting" not in summary

    # nothing names the order (a plain label model, no series review): `frame` is read, the baseline learns nothing,
    # and the verdict says so
    plain = run_config(config, "label_model.name=default", "label_model.params={}", 'review.media=""')
    assert plain.references is not None
    assert plain.references["supervised_on_dev"].accuracy == pytest.approx(common)
    assert ("the gold-only classifier is NOT better than always predicting the most common class, 'not_rally'"
            in plain.summary())


def test_the_workbench_leaves_its_label_models_order_columns_out():
    from weaksup.models import MODELS
    from weaksup.workbench.tabular import end_columns

    frames = pd.DataFrame({"row_id": ["a", "b"], "video": ["v", "v"], "frame": [0, 1], "det_0": [1, 0]})
    temporal = MODELS["TemporalLabelModel"](2, order_column="frame", sequence_column="video")
    assert list(end_columns(frames, "row_id", (), temporal).columns) == ["det_0"]
    assert list(end_columns(frames, "row_id").columns) == ["video", "frame", "det_0"]
