"""The shipped multi-label example hangs together: data, gold set, LF module, config, and its run."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from tests.conftest import REPO, SHARED_DATA
from weaksup.multilabel.gold import load_multilabel_gold


def test_data_gold_module_and_config_agree():
    from labeling_functions.goemotions import LABELS, LFS, SPACE

    config = tomllib.loads((REPO / "configs" / "goemotions.toml").read_text(encoding="utf-8"))
    assert config["task"]["type"] == "multilabel" and config["task"]["labels"] == LABELS == list(SPACE.labels)
    assert config["task"]["none_label"] == SPACE.none_label == "neutral"
    assert [tuple(g) for g in config["task"]["exclusive"]] == list(SPACE.exclusive)
    gold = load_multilabel_gold(REPO / config["gold"]["path"], space=SPACE)
    assert gold.counts() == {"dev": 5426, "test": 5427}
    data = pd.read_csv(REPO / config["input"]["path"], dtype=str, keep_default_na=False)
    assert data["row_id"].is_unique and set(data["row_id"]) == set(gold.label_sets().index)
    assert len(LFS) >= 40 and {lf.name for lf in LFS} >= {"rx_gratitude", "kw_anger", "plain_statement"}
    manifest = json.loads((REPO / "gold_sets" / "goemotions" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["label_space"] == LABELS


def test_the_slice_is_the_upstream_text():
    """Every comment and label set is the upstream one (the shared copy, when it is on this machine)."""
    source = SHARED_DATA / "goemotions"
    if not (source / "dev.tsv").is_file():
        pytest.skip(f"no GoEmotions copy at {source}")
    names = (source / "emotions.txt").read_text(encoding="utf-8").split("\n")
    rows = [line.split("\t") for split in ("dev", "test")
            for line in (source / f"{split}.tsv").read_text(encoding="utf-8").split("\n") if line]
    data = pd.read_csv(REPO / "data" / "goemotions" / "comments.csv", dtype=str, keep_default_na=False)
    assert data["text"].tolist() == [r[0] for r in rows] and data["row_id"].tolist() == [r[2] for r in rows]
    sets = load_multilabel_gold(REPO / "gold_sets" / "goemotions").label_sets()
    assert [set(sets[r[2]]) for r in rows] == [{names[int(i)] for i in r[1].split(",")} for r in rows]


@pytest.mark.slow
def test_the_example_runs(tmp_path):
    from weaksup.config import load_config
    from weaksup.pipeline import run

    run(load_config(REPO / "configs" / "goemotions.toml", [f"output.path={tmp_path}/labels.parquet"]), progress=False)
    labels = pd.read_parquet(tmp_path / "labels.parquet")
    assert len(labels) == 10853 and "prob_gratitude" in labels and "prob_neutral" in labels
    metrics = json.loads((tmp_path / "run.json").read_text())["metrics"]
    # the fine-tuned BERT of the dataset paper: 0.46
    assert metrics["macro_f1"] > 0.40 and metrics["macro_f1"] >= metrics["majority_vote.macro_f1"] - 0.01


def test_the_model_lf_ships_its_small_models_and_thresholds():
    from labeling_functions.goemotions import LABELS, LEXICON_LFS, LFS, MODELS, SCORER, emotion_model

    assert emotion_model in LFS and emotion_model not in LEXICON_LFS and len(LFS) == len(LEXICON_LFS) + 1
    assert emotion_model.model is SCORER
    assert (MODELS / "emotion_model.skops").stat().st_size < 2_000_000
    assert SCORER.coef.shape == (28, 384) and SCORER.intercept.shape == (28,)
    thresholds = json.loads((MODELS / "thresholds.json").read_text(encoding="utf-8"))
    assert thresholds["labels"] == LABELS and thresholds["rows"] == 2656  # the dev write part only
    assert set(emotion_model.vote_labels) <= set(thresholds["precise"]) | set(thresholds["no"])
    # a write text votes from its out-of-fold probabilities, without embedding it
    from weaksup.multilabel.held_out import load_held_out

    index, held, _ = load_held_out(MODELS / "emotion_model_held_out.npz", 28, "emotion_model")
    assert held.shape == (2656, 28) and len(index) >= 2600


@pytest.mark.slow  # embeds a few texts with the bundled sentence model
def test_the_model_lf_votes_on_new_text():
    from labeling_functions.goemotions import emotion_model

    votes = emotion_model({"text": "Thank you so much, this is wonderful!"})
    assert votes.get("gratitude") is True and votes.get("neutral") is not True


@pytest.mark.slow  # refits the TF-IDF + one-vs-rest model on the 2,656 write rows (~5 s)
def test_the_shipped_model_is_the_write_part_fit():
    import importlib.util

    import numpy as np

    from labeling_functions.goemotions import MODELS, SCORER

    spec = importlib.util.spec_from_file_location("goemotions_build", MODELS / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    texts, Y, labels = build.write_part(REPO)
    assert len(texts) == 2656 and Y.shape == (2656, 28)
    refit = build.fitted(texts, Y)
    probe = ["thanks so much!", "I hate this so much", "what do you mean?", "that is a car"]
    assert np.allclose(refit.predict_proba(probe), SCORER.tfidf.predict_proba(probe), atol=1e-6)
    E = np.random.default_rng(0).normal(size=(40, 384))  # the embedding head refits the same on the same rows
    coef, intercept = build.embedding_head(E, Y[:40])
    assert coef.shape == (28, 384) and build.head_proba(E, coef, intercept).shape == (40, 28)
