"""dev_evaluation: the label model against majority vote on dev gold, out of fold when it learns from dev."""

from __future__ import annotations

import numpy as np

from weaksup.models import DevNaiveBayes, MajorityVote
from weaksup.models.fitting import out_of_fold_predict
from weaksup.workbench.summary import dev_evaluation

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
L = np.where(RNG.random((200, 3)) < 0.8, Y[:, None], 1 - Y[:, None])
Y_DEV = np.where(np.arange(200) < 60, Y, -1)


def test_a_model_learning_from_dev_is_judged_out_of_fold():
    model = DevNaiveBayes(cardinality=2, seed=0)
    ev = dev_evaluation(model, L, Y_DEV, ["ham", "spam"], gold_hash="h", seed=0)
    assert ev.model.name.endswith("(out-of-fold)") and ev.baseline.name == "MajorityVote"
    assert ev.model.n_gold == 60 and ev.split == "dev" and ev.gold_hash == "h"
    oof = out_of_fold_predict(model, L[:60], Y[:60], L=L, seed=0)
    assert ev.model.accuracy == np.mean(oof.pred == Y[:60])


def test_a_model_without_dev_gold_and_no_gold_at_all():
    ev = dev_evaluation(MajorityVote(cardinality=2), L, Y_DEV, ["ham", "spam"])
    assert ev.model.name == "MajorityVote" and ev.model.accuracy == ev.baseline.accuracy
    assert dev_evaluation(MajorityVote(cardinality=2), L, np.full(200, -1), ["ham", "spam"]) is None
    assert dev_evaluation(MajorityVote(cardinality=2), L[:, :0], Y_DEV, ["ham", "spam"]) is None
