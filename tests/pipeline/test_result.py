"""The run summary's line about the label model on gold says when it is no better than always predicting the most
common gold class (the rule of :func:`weaksup.evaluate.majority_class_note`, as the evaluation's own summary)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd

from weaksup.config import RunConfig
from weaksup.evaluate import evaluate
from weaksup.gold import write_gold
from weaksup.models import MajorityVote
from weaksup.pipeline import RunResult
from weaksup.votes import VoteMatrix


def result_with(tmp_path, votes: list[int]) -> RunResult:
    ids = [f"r{i}" for i in range(20)]
    gold = write_gold(pd.DataFrame({"row_id": ids, "label": ["legit"] * 18 + ["fraud"] * 2, "split": "test"}),
                      tmp_path / "g", task="t", label_space=["legit", "fraud"])
    vm = VoteMatrix(np.array(votes).reshape(-1, 1), row_ids=ids)
    ev = evaluate(vm, gold, MajorityVote(cardinality=2).fit(vm))
    config = RunConfig.from_dict({"task": {"name": "t", "labels": ["legit", "fraud"]}, "input": {"path": "x.csv"},
                                  "lfs": {"modules": ["m"]}, "output": {"path": "labels.parquet"}}, project=tmp_path)
    return RunResult(config=config, run_dir=tmp_path, labels_path=tmp_path / "labels.parquet", n_rows=20, n_lfs=1,
                     rule_version="v", label_model="MajorityVote", coverage=1.0, label_counts={}, conflicts=0,
                     status_counts={"auto": 20}, faults={}, prep={}, chunks={},
                     metrics={"accuracy": ev.model.accuracy, "macro_f1": ev.model.macro_f1},
                     gold={"split": "test", "describe": "t v1"}, report=types.SimpleNamespace(evaluation=ev))


def label_model_line(result: RunResult) -> str:
    return next(line for line in result.summary().splitlines() if line.startswith("label model on the gold"))


def test_the_label_model_line_says_when_it_is_no_better_than_the_most_common_class(tmp_path):
    fraud_everywhere = result_with(tmp_path, [1] * 20)  # 10% right, while always "legit" scores 90%
    assert label_model_line(fraud_everywhere).endswith(
        "accuracy 0.100, macro_f1 0.091. NOT better than always predicting the most common class, 'legit' "
        "(0.900 of these gold rows)")
    right = result_with(tmp_path / "b", [0] * 18 + [1] * 2)
    assert "most common class" not in right.summary()
