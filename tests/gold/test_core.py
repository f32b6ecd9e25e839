"""GoldSet: the shipped gold set, alignment to rows, the content hash, the annotators' majority."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from tests.gold.helpers import YOUTUBE_GOLD, make_gold
from weaksup.datasets import youtube_split
from weaksup.gold import content_hash, load_gold, write_gold
from weaksup.labels import ABSTAIN


def test_shipped_gold_set_matches_the_split_rule_and_the_data(youtube):
    gold = load_gold(YOUTUBE_GOLD, row_ids=youtube["row_id"], label_space=["ham", "spam"])
    assert gold.counts() == {"dev": 286, "test": 290}
    assert gold.hash == json.loads((YOUTUBE_GOLD / "manifest.json").read_text())["content_hash"]
    truth = youtube.set_index("row_id")
    frame = gold.frame.set_index("row_id")
    assert (frame["label"] == truth.loc[frame.index, "label"]).all()
    assert (frame["split"] == [youtube_split(rid.split("#")[0]) for rid in frame.index]).all()


def test_y_aligns_gold_ids_with_row_order_and_abstains_elsewhere():
    gold = load_gold(YOUTUBE_GOLD)
    test_ids = gold.labels("test").index[:3].tolist()
    dev_id = gold.labels("dev").index[0]
    y = gold.y([dev_id, *test_ids, "nope"], split="test")
    expected = [gold.label_space.id(label) for label in gold.labels("test").iloc[:3]]
    assert y.tolist() == [ABSTAIN, *expected, ABSTAIN]


def test_hash_ignores_order_and_format_but_not_content(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["ham", "spam", "ham"], "split": ["dev", "test", "dev"]})
    csv_gold = write_gold(rows, tmp_path / "csv", task="t", label_space=["ham", "spam"])
    json_gold = write_gold(rows[::-1], tmp_path / "jsonl", task="t", label_space=["ham", "spam"],
                           file_name="labels.jsonl")
    assert csv_gold.hash == json_gold.hash
    changed = rows.assign(label=["ham", "spam", "spam"])
    assert content_hash(changed, csv_gold.label_space, "t") != csv_gold.hash
    assert csv_gold.split("dev").hash != csv_gold.hash


def test_several_annotators_give_a_majority_and_ties_are_left_out(tmp_path, caplog):
    folder = make_gold(tmp_path / "g", (
        "row_id,label,split,annotator\n"
        "a,ham,dev,x\na,ham,dev,y\na,spam,dev,z\n"
        "b,ham,dev,x\nb,spam,dev,y\n"
        "c,spam,test,x\n"
    ))
    gold = load_gold(folder)
    assert gold.labels().to_dict() == {"a": "ham", "c": "spam"}
    assert "1 row(s) have tied annotations" in caplog.text
    # the counts are the rows the labels use: the tied row b is in no split's count (run.json, MLflow's gold_n_*)
    assert gold.counts() == {"dev": 1, "test": 1} and gold.tied() == {"dev": 1}
    assert gold.describe().endswith("; 1 dev + 1 test; 1 dev tied, left out)")


def test_tie_warning_is_logged_once_per_gold_set(tmp_path, caplog):
    folder = make_gold(tmp_path / "g", "row_id,label,split,annotator\na,ham,dev,x\na,spam,dev,y\nb,ham,dev,x\n"
                                       "b,ham,dev,y\nc,spam,test,x\nc,ham,test,y\nd,spam,test,x\n")
    gold = load_gold(folder)
    with caplog.at_level(logging.WARNING, logger="weaksup.gold"):
        for _ in range(4):  # a run asks for the labels again and again (fit, routing, end model, report)
            assert gold.labels("dev").to_dict() == {"b": "ham"}
            gold.labels(), gold.split("test").labels(), gold.y(["a", "c"], split="test")
    ties = [r.getMessage() for r in caplog.records if "tied annotations" in r.getMessage()]
    assert ties == ["gold set t: 2 row(s) have tied annotations (1 dev, 1 test) and are left out of the labels; "
                    "resolve them (e.g. a third annotator), see weaksup.gold.agreement"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weaksup.gold"):
        load_gold(folder).labels("test")  # another run loads it again: told again
    assert len([r for r in caplog.records if "tied annotations" in r.getMessage()]) == 1


def test_counts_are_the_rows_the_evaluation_uses_when_a_test_row_ties(tmp_path):
    # one reviewer disagreed with the only earlier answer of test row t2: it is left out of the test labels, so
    # the test count (run.json's gold counts, MLflow's gold_n_test) is the 2 rows the metrics are computed on
    pytest.importorskip("matplotlib")
    from weaksup.alignment import AlignedGold
    from weaksup.models import MajorityVote
    from weaksup.report import build_report
    from weaksup.votes import VoteMatrix

    folder = make_gold(tmp_path / "g", "row_id,label,split,annotator\nd1,ham,dev,uci\nt1,ham,test,uci\n"
                                       "t2,spam,test,uci\nt2,ham,test,user-4\nt3,spam,test,uci\n")
    gold = load_gold(folder)
    assert gold.counts() == {"dev": 1, "test": 2} and gold.tied() == {"test": 1}
    votes = VoteMatrix([[0, -1], [0, 0], [1, 1], [1, -1]], row_ids=["d1", "t1", "t2", "t3"])
    aligned = AlignedGold.of(gold, votes)
    assert len(aligned.rows("test")[0]) == aligned.counts["test"] == 2
    report = build_report(votes, gold=gold, model=MajorityVote(cardinality=2).fit(votes))
    try:
        assert report.evaluation.model.n_gold == 2
        assert (report.params["gold_n_dev"], report.params["gold_n_test"]) == ("1", "2")
    finally:
        report.close()
    assert "1 test tied, left out" in gold.describe()


def test_y_matches_integer_and_whole_float_row_ids_to_the_text_gold_ids(tmp_path):
    rows = pd.DataFrame({"row_id": [101, 102, 103], "label": ["spam", "ham", "spam"], "split": ["test"] * 3})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["ham", "spam"])
    assert gold.labels().index.tolist() == ["101", "102", "103"]  # gold ids are text
    assert gold.y(pd.Index([103, 101, 104])).tolist() == [1, 1, ABSTAIN]
    assert gold.y([102.0, float("nan"), 103.0], split="test").tolist() == [0, ABSTAIN, 1]
    assert gold.y(["102", "nope"]).tolist() == [0, ABSTAIN]
    assert gold.y([102], split="dev").tolist() == [ABSTAIN]
