"""An empty label set in multi-label gold: with a none label it can never be matched (the model gives such a row the
none label), so writing one is refused (create, add, review import) naming the row and the fix, and a gold set
holding one warns when loaded; without a none label it is a valid answer (a blank labels cell, as the multi-label
gold file format says), counted by ``weaksup gold create``/``add`` so a cell left blank by mistake shows."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from weaksup.cli import main
from weaksup.errors import GoldSetError
from weaksup.multilabel.gold import load_multilabel_gold, write_multilabel_gold
from weaksup.multilabel.review import import_multilabel_answers, read_multilabel_export
from weaksup.multilabel.space import MultiLabelSpace

SPACE = MultiLabelSpace(["joy", "love", "neutral"], none_label="neutral")
FREE = MultiLabelSpace(["joy", "love", "neutral"])


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_create_with_a_none_label_refuses_a_blank_cell_naming_file_line_row_and_fix(tmp_path, capsys):
    path = tmp_path / "gold_empty.csv"
    path.write_text("row_id,labels,split\nedgurhb,neutral,dev\nee84bjg,,dev\n", encoding="utf-8")
    args = ("gold", "create", tmp_path / "G", "--from", path, "--labels", "joy,love,neutral", "--label-column",
            "labels", "--multilabel")
    code, _, err = cli(capsys, *args, "--none-label", "neutral")
    assert code == 2
    assert (f"{path}:3: column 'labels': row 'ee84bjg': an empty label set, and the label space has the none "
            "label 'neutral'") in err, err
    assert "write 'neutral' (none of the other labels applies), or leave the row out" in err
    assert not (tmp_path / "G").exists()
    # without a none label the blank cell is the empty set (no label applies): written, and counted
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    assert "1 row(s) carry the empty label set (a blank labels cell" in out
    assert load_multilabel_gold(tmp_path / "G").label_sets().to_dict() == {"edgurhb": ("neutral",), "ee84bjg": ()}


def test_json_lines_lists_are_label_sets_and_an_empty_list_is_the_empty_set(tmp_path, capsys):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"row_id": "a", "labels": ["joy", "love"], "split": "dev"}\n'
                    '{"row_id": "b", "labels": [], "split": "dev"}\n', encoding="utf-8")
    code, out, err = cli(capsys, "gold", "create", tmp_path / "G", "--from", path, "--labels", "joy,love",
                         "--label-column", "labels", "--multilabel")
    assert code == 0, err
    assert load_multilabel_gold(tmp_path / "G").label_sets().to_dict() == {"a": ("joy", "love"), "b": ()}
    assert "1 row(s) carry the empty label set" in out


def test_write_refuses_and_load_warns_and_a_carried_row_is_kept(tmp_path, caplog):
    rows = pd.DataFrame({"row_id": ["a", "b"], "labels": ["joy", ""], "split": ["dev", "test"]})
    with pytest.raises(GoldSetError, match="<frame>:1: column 'labels': row 'b': an empty label set"):
        write_multilabel_gold(rows, tmp_path / "g", task="t", space=SPACE)
    assert not (tmp_path / "g").exists()
    assert write_multilabel_gold(rows, tmp_path / "free", task="t", space=FREE).label_sets()["b"] == ()
    # an existing gold set holding one (written before the check, or edited by hand) loads with a warning
    folder = tmp_path / "old"
    write_multilabel_gold(rows.assign(labels=["joy", "neutral"]), folder, task="t", space=SPACE)
    (folder / "labels.csv").write_text("row_id,labels,split\na,joy,dev\nb,,test\n", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weaksup.gold"):
        gold = load_multilabel_gold(folder)
    assert ("gold set t v1: 1 row(s) have an empty label set though the label space has the none label 'neutral' "
            "(b (labels.csv:3))") in caplog.text
    assert gold.label_sets()["b"] == ()  # kept as labelled
    # a new version carrying that row unchanged is written; a new empty row is refused
    more = pd.concat([gold.frame[["row_id", "labels", "split"]], pd.DataFrame(
        {"row_id": ["c"], "labels": ["love"], "split": ["dev"]})], ignore_index=True)
    assert write_multilabel_gold(more, folder, task="t", space=SPACE, version=2).version == 2
    with pytest.raises(GoldSetError, match="row 'd': an empty label set"):
        write_multilabel_gold(pd.concat([more, pd.DataFrame({"row_id": ["d"], "labels": [""], "split": ["dev"]})]),
                              folder, task="t", space=SPACE, version=3)


def test_a_review_answer_with_no_choice_is_refused_with_a_none_label(tmp_path):
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1000, "data": {"row_id": "eegvc40", "text": "ok"}, "annotations": [
        {"id": 100, "completed_by": 1, "result": [], "was_cancelled": False}]}]), encoding="utf-8")
    write_multilabel_gold(pd.DataFrame({"row_id": ["a"], "labels": ["joy"], "split": ["dev"]}), tmp_path / "g",
                          task="t", space=SPACE)
    answers = read_multilabel_export(export, SPACE)
    with pytest.raises(GoldSetError, match="row 'eegvc40': an empty label set, and the label space has the none "
                                           "label 'neutral'"):
        import_multilabel_answers(answers, tmp_path / "g", task="t", space=SPACE)
    assert load_multilabel_gold(tmp_path / "g").version == 1  # nothing imported


def test_every_reader_of_a_labels_cell_knows_the_csv_empty_set():
    """One reader (`labels_from_cell`): `[]` is the empty set everywhere; an empty cell is the empty set in gold and
    an abstain in a labels file (`empty_cell=`)."""
    import numpy as np

    from weaksup.multilabel.gold_files import split_labels
    from weaksup.multilabel.outputs import labels_from_cell
    from weaksup.multilabel.workbench import dev_gold

    assert split_labels("[]") == split_labels("") == split_labels(float("nan")) == ()
    assert split_labels(" joy; love ") == ("joy", "love")
    assert [labels_from_cell(x, empty_cell="empty set") for x in ["", None, "[]", "joy"]] == [[], [], [], ["joy"]]
    assert [labels_from_cell(x) for x in ["", None, "[]", "joy"]] == [None, None, [], ["joy"]]
    Y, has = dev_gold(pd.Series({"a": "[]", "b": "joy;love"}), np.array(["a", "b"]), FREE)
    assert Y.astype(int).tolist() == [[0, 0, 0], [1, 1, 0]] and has.tolist() == [True, True]
