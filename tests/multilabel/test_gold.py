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


GOEMOTIONS_SPACE = None if not (GOEMOTIONS / "manifest.json").is_file() else MultiLabelSpace(
    json.loads((GOEMOTIONS / "manifest.json").read_text())["label_space"], exclusive=[["approval", "disapproval"]],
    none_label="neutral")  # the space of configs/goemotions.toml


@pytest.mark.skipif(GOEMOTIONS_SPACE is None, reason="the GoEmotions gold set is not shipped")
def test_goemotions_rows_with_neutral_and_another_emotion_are_kept_and_named(caplog):
    with caplog.at_level("WARNING", logger="weaksup.gold"):
        gold = load_multilabel_gold(GOEMOTIONS, space=GOEMOTIONS_SPACE)
    broken = gold.contradictions()
    none_rows = broken[broken["breaks"].str.contains("the none label 'neutral'")]
    assert len(none_rows) == 355 and none_rows["split"].value_counts().to_dict() == {"test": 181, "dev": 174}
    assert broken["breaks"].str.contains(r"exclusive group \['approval', 'disapproval'\]").sum() == 5
    assert len(broken) == 359  # one row (edytfom: approval;disapproval;neutral) breaks both rules
    # kept as the raters labelled them: neutral and the other emotion, in the matrix the run scores against
    ids, Y = gold.matrix()
    at = ids.index("ee84bjg")
    assert gold.space.decode(Y[[at]])[0] == ["approval", "neutral"]
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    for part in ("359 of 10,853 gold rows", "355 carry the none label 'neutral' with another label (174 dev, 181 test",
                 "ee84bjg [approval;neutral]", "leave none_label unset", "take the group out of exclusive",
                 "contradictions() lists them all"):
        assert part in warning
    assert "359 against the label space's rules, kept as labelled" in gold.describe()


def test_gold_rows_that_break_the_space_are_written_loaded_and_listed_not_refused(tmp_path, caplog):
    space = MultiLabelSpace(["joy", "anger", "neutral"], exclusive=[["joy", "anger"]], none_label="neutral")
    rows = pd.DataFrame({"row_id": ["a", "b", "c", "d"], "labels": ["joy;neutral", "joy;anger", "neutral", "anger"],
                         "split": ["dev", "test", "dev", "test"]})
    with caplog.at_level("WARNING", logger="weaksup.gold"):
        gold = write_multilabel_gold(rows, tmp_path, task="t", space=space)
    assert gold.label_sets().to_dict() == {"a": ("joy", "neutral"), "b": ("joy", "anger"), "c": ("neutral",),
                                           "d": ("anger",)}
    name = json.loads((tmp_path / "manifest.json").read_text())["files"][0]
    assert gold.contradictions().to_dict("records") == [
        {"row_id": "a", "split": "dev", "labels": "joy;neutral", "breaks": "the none label 'neutral' with another label",
         "where": f"{name}:2"},
        {"row_id": "b", "split": "test", "labels": "joy;anger", "breaks": "two labels of the exclusive group ['joy', 'anger']",
         "where": f"{name}:3"},
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings and "gold set t v1: 2 of 4 gold rows break the label space's rules" in warnings[-1]
    assert "a [joy;neutral]" in warnings[-1] and "b [joy;anger]" in warnings[-1]
    # the same rows under a space that declares neither rule: nothing to report
    caplog.clear()
    with caplog.at_level("WARNING", logger="weaksup.gold"):
        plain = load_multilabel_gold(tmp_path, space=MultiLabelSpace(["joy", "anger", "neutral"]))
    assert plain.contradictions().empty and "against" not in plain.describe()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
