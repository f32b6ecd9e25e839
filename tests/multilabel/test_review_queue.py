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
