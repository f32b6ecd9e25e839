"""Loading and writing gold sets: every problem at once, with file, line, column and reason code."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from tests.gold.helpers import make_gold, problems_of
from weaksup.errors import GoldSetError
from weaksup.gold import load_gold, write_gold


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
    assert "labels.csv:3" in message and "add the classes to manifest.json" in message
    assert message.count("'ham', 'spam'") == 1  # the label space once, not on every bad line


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


def test_write_gold_writes_nothing_when_the_frame_is_bad(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "a"], "label": ["ham", "maybe"], "split": ["dev", "dev"]})
    with pytest.raises(GoldSetError) as info:
        write_gold(rows, tmp_path / "g", task="t", label_space=["ham", "spam"])
    assert len(info.value.problems) == 2
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())
    (tmp_path / "labels.py").write_text("x = 1\n")
    good = rows.assign(row_id=["a", "b"], label="ham")
    with pytest.raises(GoldSetError, match=r"labels.py is a file; a gold set is a folder"):
        write_gold(good, tmp_path / "labels.py", task="t", label_space=["ham", "spam"])
    assert (tmp_path / "labels.py").read_text() == "x = 1\n"


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


def test_each_problem_carries_a_reason_code_and_where_it_is(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split\na,spma,dev\nb,ham,train\n")
    with pytest.raises(GoldSetError) as info:
        load_gold(folder, label_space=["spam", "ham"])
    err = info.value
    assert err.code == "bad_gold_set"
    file = str(folder / "labels.csv")
    by_code = {p.code: p for p in err.problems}
    assert sorted(by_code) == ["label_space_differs", "unknown_label", "unknown_split"]
    assert by_code["unknown_label"].where == f"{file}:2: column 'label'"
    assert by_code["unknown_split"].where == f"{file}:3: column 'split'"
    differs = by_code["label_space_differs"]
    assert (differs.expected, differs.got) == (["spam", "ham"], ["ham", "spam"])


def test_a_label_file_saved_as_latin1_names_the_line_and_bytes_with_the_fix(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id,label,split,annotator\na,ham,dev,x\nb,spam,dev,Ren\xe9\n")
    (folder / "labels.csv").write_bytes((folder / "labels.csv").read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(GoldSetError) as info:
        load_gold(folder)
    assert str(info.value) == (f"{folder / 'labels.csv'} line 3: bytes b'\\xe9' are not valid utf-8; re-save as UTF-8 "
                               "(e.g. iconv -f cp1252 -t utf-8, or Excel's 'CSV UTF-8')")


def test_a_file_given_as_the_gold_folder_is_called_a_file(tmp_path):
    (tmp_path / "labels.csv").write_text("row_id,label,split\na,ham,dev\n", encoding="utf-8")
    with pytest.raises(GoldSetError, match="labels.csv' is a file; a gold set is a folder"):
        load_gold(tmp_path / "labels.csv")


def test_a_tab_separated_label_file_named_csv_says_so(tmp_path):
    folder = make_gold(tmp_path / "g", "row_id\tlabel\tsplit\na\tham\tdev\n")
    assert problems_of(folder) == [f"{folder / 'labels.csv'}:1: the header is one column 'row_id\\tlabel\\tsplit': the "
                                   "file looks tab-separated, not comma-separated; re-save it with commas (a gold "
                                   "file is .csv or .jsonl)"]


def _typed_gold(folder, kind: str):
    """A multi-label or span gold set of two rows in ``folder``."""
    if kind == "multilabel":
        from weaksup.multilabel.gold import write_multilabel_gold
        from weaksup.multilabel.space import MultiLabelSpace

        rows = pd.DataFrame({"row_id": ["c1", "c2"], "labels": [["ham"], ["ham", "spam"]], "split": ["dev", "test"]})
        write_multilabel_gold(rows, folder, task="yt", space=MultiLabelSpace(["ham", "spam"]))
    else:
        from weaksup.spans.gold import write_span_gold

        write_span_gold([{"row_id": "c1", "split": "dev", "spans": []}, {"row_id": "c2", "split": "test", "spans": []}],
                        folder, task="yt", types=["ham", "spam"])
    return folder


@pytest.mark.parametrize(("kind", "name"), [("multilabel", "a multi-label"), ("spans", "a span")])
def test_a_multilabel_or_span_gold_set_names_its_type_and_the_fix_not_a_missing_label_column(tmp_path, kind, name):
    folder = _typed_gold(tmp_path / "gold", kind)
    with pytest.raises(GoldSetError) as info:
        load_gold(folder)
    message = str(info.value)
    assert f"is {name} gold set (its manifest.json says \"type\": \"{kind}\"), not a classification one" in message
    assert f'[task] type = "{kind}"' in message and "point gold.path at a classification gold set" in message
    assert "missing column" not in message and info.value.code == "bad_gold_set"


@pytest.mark.parametrize("kind", ["multilabel", "spans"])
def test_a_classification_run_of_a_multilabel_or_span_gold_set_exits_2_naming_it(tmp_path, youtube, monkeypatch,
                                                                                capsys, kind):
    from tests.pipeline_project import make_project, write_config
    from weaksup.cli import main

    make_project(tmp_path, youtube.iloc[:200])
    monkeypatch.chdir(tmp_path)
    _typed_gold(tmp_path / "gold_sets" / "yt", kind)
    config = write_config(tmp_path, gold={"path": "gold_sets/yt"})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress", "--no-tracking"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert f"\"type\": \"{kind}\"), not a classification one" in err and f'[task] type = "{kind}"' in err
    assert "missing column" not in err and not (tmp_path / "out" / "labels.parquet").exists()
