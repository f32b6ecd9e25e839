"""benchmarks/model_assisted_extra.py: the new candidates (fine-tuned and co-training LFs, end models on co-/self-
trained labels, the fine-tuned + TF-IDF soft vote) learn nothing from a held-out dev row's gold (a toy embedder)."""

from __future__ import annotations

import numpy as np
import pytest

import benchmarks.model_assisted_extra as extra
from benchmarks.earn_its_keep import Task
from benchmarks.model_assisted import FOLDS, Fold, votes_of
from tests.test_model_assisted_bench import bag_of_words, task  # noqa: F401 (a fixture)
from weaksup.embed import CallableEmbedder
from weaksup.labels import ABSTAIN
from weaksup.models.fitting import dev_folds

pytestmark = pytest.mark.slow  # cross-fitted end models per candidate

def rules_proba(task: Task, y: np.ndarray) -> np.ndarray:  # noqa: F811 (not the fixture: a Task)
    proba = np.where(task.L[:, :1] == 1, np.array([[0.1, 0.9]]), np.array([[0.8, 0.2]]))
    proba[(task.L == ABSTAIN).all(axis=1)] = np.nan
    gold = y != ABSTAIN
    proba[gold] = np.eye(2)[y[gold]]
    return proba


def test_table_lf_votes_the_tables_class_at_its_threshold(task):  # noqa: F811 (the imported fixture)
    table = np.tile([[0.3, 0.7]], (len(task.texts), 1))
    table[0] = [0.9, 0.1]
    votes = votes_of([extra.table_lf("ft", task.texts, table, 0.8)], task.texts)[:, 0]
    assert votes[0] == 0 and (votes[1:] == ABSTAIN).all()
    assert (votes_of([extra.table_lf("ft", task.texts, table, 0.6)], task.texts)[1:, 0] == 1).all()


def test_new_lf_candidates_learn_no_held_out_gold(task, monkeypatch):  # noqa: F811 (the imported fixture)
    embedder = CallableEmbedder(bag_of_words, model_id="toy-bow")
    monkeypatch.setitem(extra.FINETUNED_LF, 3, np.eye(2)[task.y_dev.clip(0)] * 0.6 + 0.2)
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    held, train = dev[:12], dev[12:]
    y = np.full(len(task.texts), ABSTAIN)
    y[train] = task.y_dev[train]
    found = extra.extra_candidates(task, y, rules_proba(task, y), embedder=embedder)
    assert {"fine-tuned LF epochs=3 threshold=0.7", "co-training threshold=0.7",
            "self-training embeddings + fine-tuned LF threshold=0.7"} <= set(found)
    assert len(found["self-training embeddings + fine-tuned LF threshold=0.6"]) == 2
    label = "co-training threshold=0.7"
    votes = votes_of(found[label], task.texts)
    flipped = task._replace(y_dev=np.where(np.isin(np.arange(len(y)), held), 1 - task.y_dev, task.y_dev))
    again = votes_of(extra.extra_candidates(flipped, y, rules_proba(flipped, y), only=label, embedder=embedder)[label],
                     task.texts)
    np.testing.assert_array_equal(votes, again)
    assert (votes != ABSTAIN).mean() > 0.5


def test_end_models_score_held_out_rows_and_the_soft_vote_weight_one_is_the_fine_tuned_model(task):  # noqa: F811 (the imported fixture)
    embedder = CallableEmbedder(bag_of_words, model_id="toy-bow")
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    fold = dev_folds(task.y_dev[dev], FOLDS, 0)
    folds = [Fold(dev[fold != f], dev[fold == f], rules_proba(task, task.y_dev)) for f in range(FOLDS)]
    fine = np.full((len(task.texts), 2), np.nan)
    fine[dev] = np.eye(2)[1 - task.y_dev[dev]] * 0.8 + 0.1  # a fine-tuned model wrong on every dev row
    scores = extra.extra_end_models(task, folds, 10.0, {2: fine}, embedder=embedder)
    assert scores["fine-tuned epochs=2 + TF-IDF, weight 1.0"] == 0.0
    assert scores["fine-tuned epochs=2 + TF-IDF, weight 0.25"] > 0.8  # TF-IDF outweighs it
    assert scores["embeddings, co-trained labels"] > 0.8 and scores["embeddings, self-trained labels"] > 0.8
