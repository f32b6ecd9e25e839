"""The shipped audio example: the FSDD subset and gold, LFs from one prototype speaker, `weaksup run`, the benchmark."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile

from tests.conftest import REPO, SHARED_DATA
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.gold import load_gold
from weaksup.registry import Registry

DATA = REPO / "data" / "fsdd"
GOLD = REPO / "gold_sets" / "fsdd"
TEST_SPEAKERS = {"theo", "yweweler", "george", "lucas"}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    recordings = pd.read_csv(DATA / "recordings.csv", dtype=str)
    gold = pd.read_csv(GOLD / "labels.csv", dtype=str)
    return recordings.merge(gold, on="row_id", how="left", validate="one_to_one")


def test_the_subset_is_small_speaker_disjoint_and_attributed(rows):
    prototypes = pd.read_csv(DATA / "prototypes.csv", dtype=str)
    files = sorted((DATA / "recordings").glob("*.wav"))
    assert len(files) == len(rows) + len(prototypes) == 530
    assert sum(f.stat().st_size for f in files) < 4_000_000
    assert set(rows["path"]) | set(prototypes["path"]) == {f"recordings/{f.name}" for f in files}
    assert rows["label"].notna().all() and rows["row_id"].is_unique
    assert set(prototypes["speaker"]) == {"jackson"} and "jackson" not in set(rows["speaker"])
    assert set(rows.loc[rows["split"] == "dev", "speaker"]) == {"nicolas"}
    assert set(rows.loc[rows["split"] == "test", "speaker"]) == TEST_SPEAKERS
    assert prototypes.groupby("label").size().tolist() == [10] * 10
    assert load_gold(GOLD).counts() == {"dev": 150, "test": 280}
    info, samples = soundfile.info(str(DATA / rows["path"][0])), soundfile.read(str(DATA / rows["path"][0]))[0]
    assert info.samplerate == 8000 and info.channels == 1 and len(samples) > 1000
    source = (DATA / "SOURCE.md").read_text()
    assert "CC BY-SA 4.0" in source and "Jakobovski/free-spoken-digit-dataset" in source
    assert not any(str(d) in " ".join(rows["row_id"]) for d in ("zero", "one", "_"))  # ids never say the digit


@pytest.mark.skipif(not (SHARED_DATA / "fsdd" / "recordings").is_dir(), reason="needs ../shared/data/fsdd")
def test_every_shipped_file_is_an_unchanged_fsdd_recording_of_its_gold_digit_and_speaker(rows):
    source = SHARED_DATA / "fsdd" / "recordings"
    by_bytes = {f.read_bytes(): f.stem.split("_") for f in source.glob("*.wav")}
    for _, row in rows.iterrows():
        digit, speaker, take = by_bytes[(DATA / row["path"]).read_bytes()]
        assert (int(digit), speaker) == (["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                          "nine"].index(row["label"]), row["speaker"])
        assert int(take) < (15 if speaker == "nicolas" else 7)


def test_the_lfs_read_the_audio_and_take_prototypes_from_one_speaker():
    import labeling_functions.fsdd as module

    registry = Registry.from_modules("labeling_functions.fsdd")
    kinds = {lf.name: lf.kind for lf in registry.lfs}
    assert sum(k == "affinity" for k in kinds.values()) >= 5 and sum(k == "generic" for k in kinds.values()) >= 2
    prototypes = pd.read_csv(DATA / "prototypes.csv")
    assert {label: sorted(paths) for label, paths in module.PROTOTYPES.items()} == {
        label: sorted(group["path"]) for label, group in prototypes.groupby("label")}
    assert {lf.params["features"].split("@")[0] for lf in registry.lfs if lf.kind == "affinity"} == {"audio"}


def test_the_config_is_a_ten_digit_classification_over_recordings():
    config = load_config(REPO / "configs" / "fsdd.toml")
    assert config.task.type == "classification" and len(config.task.labels) == 10
    assert config.input.text_column == "" and config.gold.split == "test"


@pytest.mark.slow
def test_weaksup_run_labels_every_recording_in_order_and_beats_majority_vote(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    gold = shutil.copytree(GOLD, tmp_path / "gold")
    with pytest.raises(SystemExit) as info:
        main(["run", str(REPO / "configs" / "fsdd.toml"), "--set", f"output.path={tmp_path / 'run' / 'labels.parquet'}",
              "--set", f"gold.path={gold}"])
    out = capsys.readouterr()
    assert info.value.code == 0, out.err
    labels = pd.read_parquet(tmp_path / "run" / "labels.parquet")
    ids = pd.read_csv(DATA / "recordings.csv", dtype=str)["row_id"]
    assert labels["row_id"].tolist() == ids.tolist()
    metrics = json.loads((tmp_path / "run" / "run.json").read_text())["metrics"]
    assert metrics["accuracy"] > metrics["majority_vote.accuracy"] and metrics["accuracy"] > 0.45  # chance: 0.10
    assert (tmp_path / "run" / "report.html").is_file()


@pytest.mark.slow
def test_the_benchmark_on_the_shipped_subset_orders_the_three_and_reports_each_speaker():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import modality_audio
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    result = modality_audio.measure(full=False)
    assert result["n_test"] == 280 and result["n_dev"] == 150
    assert result["end_model"] > result["label_model"] > result["majority_vote"] > 0.3
    assert set(result["per_speaker"]) == TEST_SPEAKERS
    assert all(0 <= v["end_model"] <= 1 and v["rows"] == 70 for v in result["per_speaker"].values())
    assert np.isclose(np.mean([v["label_model"] for v in result["per_speaker"].values()]), result["label_model"])
