"""The run summary's line about the label model on gold says when it is no better than always predicting the most
common gold class (the rule of :func:`weaksup.evaluate.majority_class_note`, as the evaluation's own summary)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
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


def test_the_label_model_line_says_there_are_no_rows_without_a_vote_instead_of_nan(tmp_path):
    """The tennis and fsdd summaries (every gold row voted on) said ``accuracy_no_votes nan``."""
    from weaksup.tasks import task_type

    result = result_with(tmp_path, [0] * 18 + [1] * 2)  # one LF voting on every row
    result.metrics = task_type("classification").report_metrics(result.report)
    assert "accuracy_no_votes" not in result.metrics and result.metrics["n_no_votes"] == 0
    line = label_model_line(result)
    assert "nan" not in line.lower()
    assert "accuracy 1.000, accuracy_voted 1.000, accuracy_no_votes – (every gold row has an LF vote), labelled" in line


def test_a_run_says_how_its_votes_were_got_and_that_mlflow_is_off(tmp_path, youtube, monkeypatch, capsys):
    """After one LF changed, a run said "chunks: 4 computed, 0 reused from saved votes (16 LF columns reused)";
    with ``[mlflow] enabled = false`` it said nothing about MLflow."""
    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)  # (mlflow.enabled = false; 1,956 rows in chunks of 500; 5 LFs)

    def run_output() -> str:
        with pytest.raises(SystemExit) as info:
            main(["run", str(config), "--no-progress"])
        out = capsys.readouterr()
        assert info.value.code in (0, None), out.err
        return out.out

    first = run_output()
    assert "votes: 4 chunk(s) voted, 0 reused whole from saved votes; LF columns: 20 computed, 0 reused" in first
    assert (f"MLflow: off (mlflow.enabled = false), this run is not logged; to log runs set [mlflow] enabled = true "
            f"in {config}, or pass --tracking to weaksup run") in first
    lfs = tmp_path / "quick_lfs.py"
    lfs.write_text(lfs.read_text().replace('["song", "love this", "best"]', '["song", "love this"]'))
    again = run_output()
    assert "votes: 4 chunk(s) voted, 0 reused whole from saved votes; LF columns: 4 computed, 16 reused " \
           "from saved votes" in again
    assert "votes: 0 chunk(s) voted, 4 reused whole from saved votes; LF columns: 0 computed, 20 reused" \
        in run_output()
