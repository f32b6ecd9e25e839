"""Multi-label gold sets: the shipped GoEmotions one, versions, annotator majorities, every problem reported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from weaksup.errors import GoldSetError
from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.gold import is_multilabel_gold, load_multilabel_gold, write_multilabel_gold

SPACE = MultiLabelSpace(["joy", "anger", "neutral"], none_label="neutral")
GOEMOTIONS = Path(__file__).resolve().parents[2] / "gold_sets" / "goemotions"


@pytest.mark.skipif(not (GOEMOTIONS / "manifest.json").is_file(), reason="the GoEmotions gold set is not shipped")
def test_the_goemotions_gold_set_loads_as_multilabel():
    gold = load_multilabel_gold(GOEMOTIONS)
    assert is_multilabel_gold(GOEMOTIONS) and gold.space.none_label == "neutral" and gold.space.k == 28
    assert gold.counts() == {"dev": 5426, "test": 5427}
    ids, Y = gold.matrix("test")
    assert len(ids) == 5427 and (Y.sum(axis=1) >= 1).all() and (Y.sum(axis=1) >= 2).mean() > 0.1


def test_annotators_are_combined_per_label_and_versions_kept(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "a", "a", "b"], "labels": ["joy;anger", "joy", "joy;anger", "neutral"],
                         "split": ["dev"] * 4, "annotator": ["x", "y", "z", "x"]})
    gold = write_multilabel_gold(rows, tmp_path, task="t", space=SPACE)
    assert gold.label_sets("dev").to_dict() == {"a": ("joy", "anger"), "b": ("neutral",)}
    again = write_multilabel_gold(rows.iloc[:2], tmp_path, task="t", space=SPACE, version=2)
    assert again.label_sets("dev")["a"] == ("joy",)  # 1 of 2 annotators said anger: not more than half
    assert load_multilabel_gold(tmp_path, version=1).hash == gold.hash
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [v["version"] for v in manifest["versions"]] == [1, 2] and manifest["type"] == "multilabel"
    with pytest.raises(GoldSetError, match="already exists with other labels"):
        write_multilabel_gold(rows.iloc[:1], tmp_path, task="t", space=SPACE, version=2)


def _hand_edited(folder, name, text, **manifest_keys):
    """A gold set whose file ``name`` was then written by hand as ``text`` (its checks off); its load error."""
    write_multilabel_gold(pd.DataFrame({"row_id": ["a"], "labels": ["joy"], "split": ["dev"]}), folder, task="t",
                          space=SPACE)
    (folder / name).write_text(text)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "versions": [], **manifest_keys}))
    with pytest.raises(GoldSetError) as info:
        load_multilabel_gold(folder)
    return str(info.value)


def test_every_problem_is_reported_with_its_place(tmp_path):
    message = _hand_edited(tmp_path, "labels.csv", "row_id,labels,split\na,joy;sadness,dev\n,joy,test\n"
                           "c,anger,train\nd,joy,dev\nd,anger,test\n", escaped_files=[])
    for part in ("labels.csv:2", "['sadness']", "blank row id", "unknown split 'train'", "in 'test' here but in 'dev'"):
        assert part in message
    with pytest.raises(GoldSetError, match="differ from the task's"):
        load_multilabel_gold(tmp_path, space=MultiLabelSpace(["joy", "anger"]))
    with pytest.raises(GoldSetError, match="unknown label"):
        write_multilabel_gold(pd.DataFrame({"row_id": ["a"], "labels": [["joyy"]], "split": ["dev"]}),
                              tmp_path / "new", task="t", space=SPACE)
    assert not (tmp_path / "new").exists()


def test_a_json_lines_gold_line_without_a_key_is_named(tmp_path):
    message = _hand_edited(tmp_path, "labels.jsonl", '{"row_id": "a", "labels": ["joy"], "split": "dev"}\n'
                           '{"labels": ["anger"], "split": "test"}\n{"row_id": "c", "split": "dev"}\n',
                           files=["labels.jsonl"])
    assert "labels.jsonl:2: no ['row_id'] on this line" in message
    assert "labels.jsonl:3: no ['labels'] on this line" in message
