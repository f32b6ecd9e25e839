"""Gold sets by hand (:mod:`weaksup.gold.edits`): labels files read as gold rows, new gold sets, rows added as the
next version, hand edits recorded, and each version's state on disk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from weaksup.errors import GoldSetError
from weaksup.gold import load_gold
from weaksup.gold.edits import add_rows, create_gold, load_any_gold, read_label_file, record_edit, version_table
from weaksup.multilabel.gold import load_multilabel_gold

ROWS = pd.DataFrame({"row_id": ["1", "2", "3"], "label": ["ham", "spam", "spam"], "split": ["dev", "dev", "test"]})


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_a_labels_file_of_any_format_reads_as_text_gold_rows(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["007", "8"], "class": ["spam", "ham"], "annotator": ["ann", "bob"]})
    path = tmp_path / f"labels{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    rows = read_label_file(path, id_column="id", label_column="class", split="test")
    assert rows.drop(columns=["_file", "_line"]).to_dict("records") == [
        {"row_id": "007", "label": "spam", "split": "test", "annotator": "ann"},
        {"row_id": "8", "label": "ham", "split": "test", "annotator": "bob"}]
    # where each row is: the file and its line (the header is line 1), the row number in a Parquet file
    assert set(rows["_file"]) == {str(path)}
    assert rows["_line"].tolist() == (["1", "2"] if suffix in (".jsonl", ".parquet") else ["2", "3"])


def test_a_labels_file_missing_a_column_names_it_the_columns_it_has_and_the_option(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("id,class\n1,ham\n", encoding="utf-8")
    with pytest.raises(GoldSetError, match=r"no column 'row_id' \(--id-column\).*'split' \(--split-column.*"
                                           r"it has \['id', 'class'\]"):
        read_label_file(path, label_column="class")
    with pytest.raises(GoldSetError, match="has a split column .* and --split dev was given"):
        read_label_file(tmp_path / "l.csv", id_column="class", label_column="class", split_column="id", split="dev")
    with pytest.raises(GoldSetError, match="no such file"):
        read_label_file(tmp_path / "none.csv")


def test_create_refuses_a_folder_holding_a_gold_set(tmp_path):
    create_gold(tmp_path / "g", ROWS, task="t", labels=["ham", "spam"])
    with pytest.raises(GoldSetError, match="holds a gold set already.*weaksup gold add"):
        create_gold(tmp_path / "g", ROWS, task="t", labels=["ham", "spam"])


def test_added_rows_replace_their_ids_annotations_add_the_rest_and_keep_every_version(tmp_path):
    folder = tmp_path / "g"
    create_gold(folder, ROWS, task="t", labels=["ham", "spam"])
    more = pd.DataFrame({"row_id": ["2", "4", "3"], "label": ["ham", "ham", "spam"], "split": ["dev", "test", "test"]})
    gold, change = add_rows(folder, more)
    assert change == {"added": 1, "changed": 1, "unchanged": 1}
    assert gold.version == 2
    assert gold.labels().to_dict() == {"1": "ham", "2": "ham", "3": "spam", "4": "ham"}
    assert load_gold(folder, version=1).labels().to_dict() == {"1": "ham", "2": "spam", "3": "spam"}
    again, change = add_rows(folder, more)
    assert (again.version, change["added"], change["changed"]) == (2, 0, 0)
    assert len(json.loads((folder / "manifest.json").read_text())["versions"]) == 2


def test_a_hand_edit_is_recorded_as_the_next_version_and_the_edited_version_says_so(tmp_path, caplog):
    folder = tmp_path / "g"
    create_gold(folder, ROWS, task="t", labels=["ham", "spam"])
    assert record_edit(folder) is None
    labels = folder / "labels.csv"
    labels.write_text(labels.read_text(encoding="utf-8").replace("2,spam", "2,ham"), encoding="utf-8")
    assert version_table(folder)["on_disk"].tolist()[0].startswith("edited in place (hash now ")
    caplog.clear()
    load_gold(folder)
    assert f"edited in place; record the edit as the next version with `weaksup gold record {folder}`" in caplog.text
    gold, edited = record_edit(folder)
    assert (gold.version, edited) == (2, 1)
    assert gold.labels()["2"] == "ham" and gold.hash == gold.manifest["content_hash"]
    assert load_gold(folder).hash == gold.hash  # the current version reads its own file, unedited
    entries = json.loads((folder / "manifest.json").read_text())["versions"]
    assert entries[0]["edited_in_place"] == {"hash_now": gold.hash, "recorded_as": 2}
    assert version_table(folder)["on_disk"].tolist()[1] == "ok"
    assert record_edit(folder) is None
    caplog.clear()
    load_gold(folder, version=1)
    assert "the edit was recorded as v2; this version's own labels are not on disk" in caplog.text


def test_an_edited_multilabel_or_span_gold_file_is_named_with_the_fix(tmp_path, caplog):
    from weaksup.spans.gold import load_span_gold, write_span_gold

    folder = tmp_path / "ml"
    rows = pd.DataFrame({"row_id": ["a", "b"], "labels": ["joy;love", ""], "split": ["dev", "test"]})
    create_gold(folder, rows, task="emo", labels=["joy", "love"], multilabel=True)
    (folder / "labels.csv").write_text("row_id,labels,split\na,joy,dev\nb,,test\n", encoding="utf-8")
    load_multilabel_gold(folder)
    assert "weaksup gold record" in caplog.text
    assert record_edit(folder)[0].label_sets().to_dict() == {"a": ("joy",), "b": ()}
    spans = tmp_path / "spans"
    write_span_gold([{"row_id": "a", "split": "dev", "spans": [{"start": 0, "end": 3, "label": "X"}]}], spans,
                    task="s", types=["X"])
    (spans / "spans.jsonl").write_text('{"row_id": "a", "split": "dev", "spans": []}\n', encoding="utf-8")
    caplog.clear()
    load_span_gold(spans)
    assert "the labels changed since the manifest was written" in caplog.text


def test_a_multilabel_gold_set_is_created_added_to_and_shown(tmp_path):
    folder = tmp_path / "ml"
    rows = pd.DataFrame({"row_id": ["a", "b"], "labels": ["joy;love", "none"], "split": ["dev", "test"]})
    create_gold(folder, rows, task="emo", labels=["joy", "love", "none"], multilabel=True, none_label="none")
    gold, change = add_rows(folder, pd.DataFrame({"row_id": ["b"], "label": ["love"], "split": ["test"]}))
    assert change["changed"] == 1 and gold.version == 2
    assert load_multilabel_gold(folder).label_sets().to_dict() == {"a": ("joy", "love"), "b": ("love",)}
    assert isinstance(load_any_gold(folder, version=1), type(gold))
    assert version_table(folder)[["dev", "test"]].to_numpy().tolist() == [[1, 1], [1, 1]]
