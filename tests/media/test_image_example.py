"""The shipped image example: LFW-subset PNGs and gold, LFs written on dev, `weaksup run`, the benchmark's figures."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.conftest import REPO
from weaksup import apply_lfs
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.gold import load_gold
from weaksup.registry import Registry

DATA = REPO / "data" / "lfw_faces"
GOLD = REPO / "gold_sets" / "lfw_faces"


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    images = pd.read_csv(DATA / "images.csv", dtype=str)
    gold = pd.read_csv(GOLD / "labels.csv", dtype=str)
    return images.merge(gold, on="row_id", how="left", validate="one_to_one")


def test_the_pngs_are_scikit_images_lfw_subset_in_the_seeded_order_and_the_split_is_the_documented_rule(rows):
    from skimage.data import lfw_subset

    assert len(rows) == 200 and rows["row_id"].is_unique and rows["label"].notna().all()
    order = np.random.default_rng(23).permutation(200)  # data/lfw_faces/build.py, SOURCE.md
    source = np.rint(lfw_subset() * 255).astype(np.uint8)
    for k, row in rows.iterrows():
        pixels = np.asarray(Image.open(DATA / row["path"]))
        assert pixels.dtype == np.uint8 and np.array_equal(pixels, source[order[k]]), row["path"]
        assert row["label"] == ("face" if order[k] < 100 else "not_face")
    counts = rows.groupby(["label", "split"]).size().to_dict()
    assert counts == {("face", "dev"): 50, ("face", "test"): 50, ("not_face", "dev"): 50, ("not_face", "test"): 50}
    for label in ("face", "not_face"):  # per class: the first 50 in file order are dev
        assert (rows.loc[rows["label"] == label, "split"].head(50) == "dev").all()
    assert load_gold(GOLD).counts() == {"dev": 100, "test": 100}
    assert "load_digits" in (DATA / "SOURCE.md").read_text()  # says why this set and not the digits


def test_the_lfs_use_at_most_10_dev_prototypes_per_class_and_are_precise_on_dev(rows):
    import labeling_functions.lfw_faces as module

    registry = Registry.from_modules("labeling_functions.lfw_faces")
    kinds = {lf.name: lf.kind for lf in registry.lfs}
    assert "affinity" in kinds.values() and sum(k == "generic" for k in kinds.values()) >= 3
    dev_paths = set(rows.loc[rows["split"] == "dev", "path"])
    assert all(len(v) <= 10 and set(v) <= dev_paths for v in module.PROTOTYPES.values())  # never a test image
    dev = rows[rows["split"] == "dev"].reset_index(drop=True)
    y = (dev["label"] == "not_face").to_numpy().astype(int)
    L = np.asarray(apply_lfs(registry, dev, id_column="row_id"))
    for j, lf in enumerate(registry.lfs):  # prototypes vote leave-one-out on themselves (exclude_identical)
        voted = L[:, j] >= 0
        assert voted.mean() > 0.15 and (L[voted, j] == y[voted]).mean() >= 0.85, lf.name


@pytest.mark.slow
def test_weaksup_run_labels_every_image_and_scores_the_test_split(tmp_path, capsys, monkeypatch):
    config = load_config(REPO / "configs" / "lfw_faces.toml")
    assert config.task.labels == ["face", "not_face"] and config.input.text_column == ""
    monkeypatch.chdir(REPO)  # the project folder (configs' relative paths start there)
    gold = shutil.copytree(GOLD, tmp_path / "gold")
    with pytest.raises(SystemExit) as info:
        main(["run", str(REPO / "configs" / "lfw_faces.toml"), "--set", f"output.path={tmp_path / 'run' / 'l.parquet'}",
              "--set", f"gold.path={gold}"])
    out = capsys.readouterr()
    assert info.value.code == 0, out.err
    labels = pd.read_parquet(tmp_path / "run" / "l.parquet")
    images = pd.read_csv(DATA / "images.csv", dtype=str)
    assert labels["row_id"].tolist() == images["row_id"].tolist()  # every image once, in order
    assert set(labels["label"].dropna()) == {"face", "not_face"}
    metrics = json.loads((tmp_path / "run" / "run.json").read_text())["metrics"]
    assert metrics["accuracy"] >= 0.9 and metrics["accuracy"] >= metrics["majority_vote.accuracy"]
    assert (tmp_path / "run" / "report.html").is_file()


def test_the_benchmark_reaches_90_percent_from_10_prototypes_per_class():
    from benchmarks.modality_image import measure

    result = measure()
    assert result["prototypes_per_class"] <= 10 and result["n_test"] == 100
    assert result["accuracy"] >= 0.9 and result["accuracy"] >= result["majority_vote"]
    assert result["label_model_no_gold"] >= 0.9  # no label beyond the 20 prototypes
    assert 0.7 < result["affinity_only"] < result["accuracy"]  # the rules add to the prototypes
