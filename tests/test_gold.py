"""Gold sets: loading, validation (every problem at once, with file and line), hashing, agreement."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from weaksup.errors import GoldSetError
from weaksup.examples import youtube_split
from weaksup.gold import agreement, content_hash, load_gold, write_gold
from weaksup.labels import ABSTAIN

REPO = Path(__file__).resolve().parent.parent
YOUTUBE_GOLD = REPO / "gold_sets" / "youtube_spam"


def make_gold(folder: Path, text: str, name: str = "labels.csv", **manifest) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    doc = {"task": "t", "version": 1, "label_space": ["ham", "spam"], "files": [name], **manifest}
    (folder / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def problems_of(folder: Path, **kwargs) -> list[str]:
    with pytest.raises(GoldSetError) as info:
        load_gold(folder, **kwargs)
    return [str(p) for p in info.value.problems]


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


def test_every_row_problem_is_reported_at_once_with_file_and_line(tmp_path):
    folder = make_gold(tmp_path / "g", (
        "row_id,label,split,annotator,timestamp\n"
        "a,ham,dev,x,2024-01-01T10:00:00Z\n"   # line 2: fine
        "b,spma,dev,x,\n"                      # line 3: unknown label
        "a,spam,dev,x,\n"                      # line 4: duplicate (a, x)
        "c,ham,train,x,\n"                     # line 5: bad split
        ",ham,dev,x,\n"                        # line 6: blank id
        "d,ham,test,x,yesterday\n"             # line 7: bad timestamp
        "a,ham,test,y,\n"                      # line 8: a is in dev above
        "zz,spam,dev,x,\n"                     # line 9: not in the dataset
    ))
    found = problems_of(folder, row_ids=["a", "b", "c", "d"])
    file = str(folder / "labels.csv")
    expected = [
        (3, "label", "unknown label 'spma'"),
        (4, "row_id", "duplicate id 'a' by annotator 'x': first at"),
        (5, "split", "unknown split 'train'"),
        (6, "row_id", "blank row id"),
        (7, "timestamp", "'yesterday' is not an ISO 8601 time"),
        (8, "split", "id 'a' is in 'test' here but in 'dev'"),
        (9, "row_id", "id 'zz' is not in the dataset"),
    ]
    for line, column, text in expected:
        assert any(p.startswith(f"{file}:{line}: column '{column}': {text}") for p in found), (line, found)
    assert len(found) == len(expected)


def test_the_message_lists_the_problems_and_the_fix(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,spma,dev\nb,hm,test\n")
    with pytest.raises(GoldSetError) as info:
        load_gold(folder)
    message = str(info.value)
    assert "has 2 problems" in message
    assert "labels.csv:2: column 'label': unknown label 'spma'" in message
    assert "labels.csv:3" in message and "add the class to manifest.json" in message


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    folder = make_gold(tmp_path / "g", 'row_id,label,split,note\na,ham,dev,"two\nlines"\nb,bad,dev,x\n')
    assert problems_of(folder)[0].startswith(f"{folder / 'labels.csv'}:4:")


@pytest.mark.parametrize(("text", "expected"), [
    ("", "empty file; expected a header row"),
    ("row_id,label,split\n", "empty file: no labelled rows"),
    ("row_id,label\na,ham\n", "missing column(s) ['split']"),
    ("id,label,split\na,ham,dev\n", "missing column(s) ['row_id']"),
])
def test_empty_files_and_missing_columns(tmp_path, text, expected):
    found = problems_of(make_gold(tmp_path / "g", text))
    assert len(found) == 1 and expected in found[0]


def test_problems_across_files_and_the_manifest_come_together(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,ham,dev\n", files=["labels.csv", "more.jsonl",
                                                                                   "gone.csv", "notes.txt"])
    (folder / "more.jsonl").write_text('{"row_id": "a", "label": "ham", "split": "dev"}\n{bad json\n[1, 2]\n')
    found = problems_of(folder)
    assert any("gone.csv: listed in manifest.json but missing" in p for p in found)
    assert any("notes.txt: unsupported gold file type" in p for p in found)
    assert any(p.startswith(f"{folder / 'more.jsonl'}:2: not valid JSON") for p in found)
    assert any(p.startswith(f"{folder / 'more.jsonl'}:3: expected a JSON object") for p in found)
    assert any(p.startswith(f"{folder / 'more.jsonl'}:1: column 'row_id': duplicate id 'a'") for p in found)


def test_manifest_problems(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,ham,dev\n")
    (folder / "manifest.json").write_text('{"task": "t", "files": ["labels.csv"]}')
    found = problems_of(folder)
    assert any("missing key 'version'" in p for p in found) and any("missing key 'label_space'" in p for p in found)
    (folder / "manifest.json").write_text('{"task": "t",\n "version": }')
    with pytest.raises(GoldSetError, match=r"manifest.json:2: not valid JSON"):
        load_gold(folder)
    with pytest.raises(GoldSetError, match="does not exist"):
        load_gold(tmp_path / "nowhere")


def test_a_different_label_space_than_expected_is_refused(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,ham,dev\n")
    found = problems_of(folder, label_space=["spam", "ham"])
    assert "differs from the expected ['spam', 'ham']" in found[0]


def test_hash_ignores_order_and_format_but_not_content(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["ham", "spam", "ham"], "split": ["dev", "test", "dev"]})
    csv_gold = write_gold(rows, tmp_path / "csv", task="t", label_space=["ham", "spam"])
    json_gold = write_gold(rows[::-1], tmp_path / "jsonl", task="t", label_space=["ham", "spam"],
                           file_name="labels.jsonl")
    assert csv_gold.hash == json_gold.hash
    changed = rows.assign(label=["ham", "spam", "spam"])
    assert content_hash(changed, csv_gold.label_space, "t") != csv_gold.hash
    assert csv_gold.split("dev").hash != csv_gold.hash


def test_write_gold_writes_nothing_when_the_frame_is_bad(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "a"], "label": ["ham", "maybe"], "split": ["dev", "dev"]})
    with pytest.raises(GoldSetError) as info:
        write_gold(rows, tmp_path / "g", task="t", label_space=["ham", "spam"])
    assert len(info.value.problems) == 2
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())


def test_edited_labels_are_flagged_against_the_manifest_hash(tmp_path, caplog):
    rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["ham", "spam"])
    (tmp_path / "g" / "labels.csv").write_text("row_id,label,split\na,spam,dev\nb,spam,test\n")
    edited = load_gold(tmp_path / "g")
    assert edited.hash != gold.hash
    assert "the labels changed since the manifest was written" in caplog.text


def test_gold_set_error_pickles_with_its_problems(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,x,dev\n")
    with pytest.raises(GoldSetError) as info:
        load_gold(folder)
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value) and clone.problems == info.value.problems


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
    assert gold.counts() == {"dev": 2, "test": 1}


def test_fleiss_kappa_on_the_textbook_example():
    # Fleiss (1971) as on Wikipedia: 10 items, 14 raters, 5 categories; kappa = 0.210, P-bar = 0.378.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    rows = [{"row_id": i, "label": f"c{j}"} for i, counts in enumerate(table) for j, n in enumerate(counts)
            for _ in range(n)]
    frame = pd.DataFrame(rows)
    frame["annotator"] = "r" + frame.groupby("row_id").cumcount().astype(str)
    result = agreement(frame, label_space=[f"c{j}" for j in range(5)])
    assert result.n_items == 10 and result.n_annotators == 14
    assert round(result.fleiss_kappa, 3) == 0.210
    assert round(result.raw_agreement, 3) == 0.378


def test_cohen_kappa_and_raw_agreement_for_two_annotators():
    a = ["ham", "ham", "spam", "spam", "ham", "spam", "ham", "ham"]
    b = ["ham", "spam", "spam", "spam", "ham", "ham", "ham", "ham"]
    frame = pd.DataFrame({"row_id": list(range(8)) * 2, "annotator": ["a"] * 8 + ["b"] * 8, "label": a + b})
    result = agreement(frame, label_space=["ham", "spam"])
    assert result.raw_agreement == pytest.approx(6 / 8)
    assert result.cohen_kappa == pytest.approx(cohen_kappa_score(a, b))
    assert result.pairwise[["annotator_a", "annotator_b", "n_items"]].values.tolist() == [["a", "b", 8]]


def test_agreement_with_a_single_annotator_is_empty():
    gold = load_gold(YOUTUBE_GOLD)
    result = agreement(gold)
    assert result.n_items == 0 and np.isnan(result.fleiss_kappa) and np.isnan(result.cohen_kappa)
