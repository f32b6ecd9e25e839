"""The review queue of a multi-label run shares a small budget between vote patterns and reasons.

Before the fix ``weaksup review export RUN --budget 12`` took the 12 least sure rows: a noisy LF's single yes vote
put dozens of rows at one confidence, and the batch was 11 copies of that one vote pattern, none of the rows no LF
voted on (the classification queue's rule, "a batch is not fifty copies of one comment", was not applied).
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from tests.multilabel.ml_project import NOISY_LF, make_ml_project, number_review_texts
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.multilabel.review_queue import multilabel_review_order, vote_pattern_ids
from weaksup.pipeline import load_run, run


@pytest.fixture(scope="module")
def crowded_run(tmp_path_factory):
    """A multi-label run whose routed rows crowd into one vote pattern, beside rows no LF voted on."""
    base = tmp_path_factory.mktemp("crowded")
    config = make_ml_project(base, n=600)
    number_review_texts(base)
    lfs = base / "ticket_lfs.py"
    lfs.write_text(lfs.read_text(encoding="utf-8") + NOISY_LF, encoding="utf-8")
    run(load_config(config, project=base), progress=False)
    return base


def test_a_budget_of_12_covers_several_vote_patterns_and_rows_without_votes(crowded_run, capsys, monkeypatch):
    monkeypatch.chdir(crowded_run)
    finished = load_run(crowded_run / "out")
    labels = finished.labels.set_index("row_id")
    routed = labels[labels["review_status"] == "needs_review"]
    patterns = dict(zip(routed.index, vote_pattern_ids(finished, routed.index)))
    crowd = Counter(patterns.values()).most_common(1)[0][1]
    assert crowd >= 30 and (routed["n_votes"] == 0).sum() >= 30  # the situation of the bug
    out = crowded_run / "tasks.json"
    with pytest.raises(SystemExit) as info:
        main(["review", "export", str(crowded_run / "out"), "--budget", "12", "--out", str(out)])
    said = capsys.readouterr()
    assert info.value.code == 0, said.err
    ids = [t["data"]["row_id"] for t in json.loads(out.read_text(encoding="utf-8"))]
    assert len(ids) == len(set(ids)) == 12
    queued = Counter(patterns[r] for r in ids)
    assert len(queued) >= 4 and max(queued.values()) <= 6  # several vote patterns, none takes the batch
    assert 2 <= int((labels.loc[ids, "n_votes"] == 0).sum()) <= 6  # rows no LF voted on, not only them
    covered = [r for r in ids if labels.loc[r, "n_votes"] > 0]
    assert len({patterns[r] for r in covered}) >= 3


def test_the_order_mixes_reasons_and_patterns_and_takes_the_least_sure_of_a_pattern_first():
    n = 60
    confidence = np.r_[np.full(40, 0.5005), np.linspace(0.52, 0.6, 10), np.full(10, 0.87)]
    patterns = np.r_[np.zeros(40, int), np.arange(1, 11), np.full(10, 99)]
    n_votes = np.r_[np.ones(50, int), np.zeros(10, int)]
    conflict = np.zeros(n, bool)
    conflict[[45, 46]] = True
    texts = [f"ticket number {i} about {'refund' if i % 2 else 'crash'} {i * 7}" for i in range(n)]
    order = multilabel_review_order(confidence, n_votes, conflict=conflict, patterns=patterns, texts=texts,
                                    budget=12, seed=0)
    rows = order.positions.tolist()
    assert len(rows) == len(set(rows)) == 12
    reasons = Counter(order.reasons.tolist())
    assert set(reasons) == {"lf_conflict", "low_margin", "uncovered"}  # every reason that has rows
    assert reasons["low_margin"] > reasons["uncovered"] >= 2 and reasons["lf_conflict"] == 2
    assert sum(1 for r in rows if patterns[r] == 0) <= 4  # the crowded pattern does not take the budget
    assert len({patterns[r] for r in rows if n_votes[r]}) >= 6
    again = multilabel_review_order(confidence, n_votes, conflict=conflict, patterns=patterns, texts=texts,
                                    budget=12, seed=0)
    assert again.positions.tolist() == rows  # deterministic for a seed
    alone = multilabel_review_order(confidence[40:50], n_votes[40:50], patterns=patterns[40:50], budget=3)
    assert sorted(alone.positions.tolist()) == [0, 1, 2]  # one pattern a row: the least sure first


def test_without_saved_votes_the_queue_is_mixed_by_reason_and_says_why(crowded_run, tmp_path, caplog):
    import shutil

    copy = shutil.copytree(crowded_run / "out", tmp_path / "out")
    finished = load_run(copy)
    shutil.rmtree(copy / "votes")  # a run folder whose saved votes were removed
    assert vote_pattern_ids(finished, pd.Index(["t0170"])) is None
    assert "the review queue is not shared between vote patterns" in caplog.text
    patterns = multilabel_review_order([0.51, 0.51, 0.87], [1, 1, 0], patterns=None, budget=2)
    assert sorted(patterns.reasons.tolist()) == ["low_margin", "uncovered"]  # without patterns: still by reason


# Why a task is queued: before the fix a multi-label run's review tasks carried no ``review_reason`` (the queue chose
# one per row, the tasks dropped it), unlike a classification run's; a reviewer could not tell a label near its
# threshold from a row no LF voted on or from an exclusivity clash.

REASONS = {"uncovered", "lf_conflict", "low_margin", "exclusive_clash"}


def saved_thresholds(run_dir, labels):
    doc = json.loads((run_dir / "label_model.json").read_text(encoding="utf-8"))
    return np.array([doc["thresholds"][x] for x in labels])


def export_tasks(project, capsys, *args):
    out = project / "reason_tasks.json"
    with pytest.raises(SystemExit) as info:
        main(["review", "export", str(project / "out"), "--out", str(out), *args])
    said = capsys.readouterr()
    assert info.value.code == 0, said.err
    return [t["data"] for t in json.loads(out.read_text(encoding="utf-8"))], out


def test_each_multilabel_task_carries_its_review_reason_and_the_labels_it_is_about(crowded_run, capsys, monkeypatch):
    from weaksup.multilabel.outputs import decision_confidence

    monkeypatch.chdir(crowded_run)
    finished = load_run(crowded_run / "out")
    labels = finished.labels.set_index("row_id")
    tasks, out = export_tasks(crowded_run, capsys, "--budget", "40")
    assert len(tasks) == 40
    reasons = Counter(t["review_reason"] for t in tasks)
    assert set(reasons) <= REASONS and reasons["uncovered"] and reasons["low_margin"]
    space = ["billing", "bug", "praise", "none"]
    thresholds = saved_thresholds(crowded_run / "out", space)
    for task in tasks:
        row = labels.loc[task["row_id"]]
        assert (task["review_reason"] == "uncovered") == (row["n_votes"] == 0)
        named = [x for x in task["review_labels"].split(", ") if x]
        assert set(named) <= set(space)
        if task["review_reason"] == "uncovered":
            assert named == []
        if task["review_reason"] == "low_margin":  # the labels the row's confidence comes from
            assert named
            sure = decision_confidence(np.array([[row[f"prob_{x}"] for x in space]]), thresholds)[0]
            for label in named:
                assert sure[space.index(label)] == pytest.approx(row["confidence"], abs=1e-6)
    config = out.with_name(out.stem + ".labeling_config.xml").read_text(encoding="utf-8")
    assert "queued for: $review_reason [$review_labels]" in config


def test_a_row_the_exclusivity_rule_overruled_is_queued_as_an_exclusive_clash(tmp_path, capsys, monkeypatch):
    from weaksup.multilabel.outputs import overruled_rows
    from weaksup.multilabel.space import MultiLabelSpace

    config = make_ml_project(tmp_path, n=300, task={"exclusive": [["billing", "bug"]]})
    number_review_texts(tmp_path)
    run(load_config(config, project=tmp_path), progress=False)
    monkeypatch.chdir(tmp_path)
    finished = load_run(tmp_path / "out")
    space = MultiLabelSpace(["billing", "bug", "praise", "none"], exclusive=[["billing", "bug"]], none_label="none")
    labels = finished.labels.set_index("row_id")
    proba = labels[[f"prob_{x}" for x in space.labels]].to_numpy()
    Y = space.encode([list(v) if v is not None else [] for v in labels["labels"]])
    clashing = set(labels.index[overruled_rows(proba, Y, saved_thresholds(tmp_path / "out", space.labels), space)
                                & (labels["n_votes"] > 0).to_numpy()])
    assert clashing  # the situation: rows whose billing and bug probabilities both reach their thresholds
    tasks, _ = export_tasks(tmp_path, capsys)
    clashes = [t for t in tasks if t["review_reason"] == "exclusive_clash"]
    assert clashes and {t["row_id"] for t in clashes} <= clashing
    assert {t["review_labels"] for t in clashes} == {"billing, bug"}
    assert not [t for t in tasks if t["row_id"] in clashing and t["review_reason"] != "exclusive_clash"]


def test_reason_labels_names_the_labels_with_a_yes_and_a_no_vote():
    from weaksup.multilabel.review_queue import reason_labels
    from weaksup.multilabel.space import MultiLabelSpace

    space = MultiLabelSpace(["a", "b", "c"])
    proba = np.array([[0.9, 0.2, 0.55], [0.7, 0.7, 0.7]])
    conflicted = np.array([[False, True, True], [False, False, False]])
    reasons, about = reason_labels(["lf_conflict", "lf_conflict"], proba, [["a", "c"], ["a", "b", "c"]],
                                   [0.55, 0.7], [0.5, 0.5, 0.5], space, conflicted=conflicted)
    assert reasons.tolist() == ["lf_conflict", "lf_conflict"] and about == ["b, c", ""]
    assert reason_labels(["lf_conflict"], proba[:1], [["a"]], [0.55], [0.5] * 3, space)[1] == [""]  # no votes
