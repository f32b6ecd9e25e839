"""``weaksup gold create`` / ``gold add`` name a bad row by the file given to --from and its line (the header is
line 1, as a gold set's own rows are named; the row number in a Parquet file), and give the fix that fits the
command (--labels for create, the gold set's label space for add)."""

from __future__ import annotations

import pandas as pd
import pytest

from weaksup.cli import main


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_create_names_the_file_and_line_and_the_labels_option(tmp_path, capsys):
    path = tmp_path / "g.csv"
    path.write_text("row_id,label,split\na,ham,dev\nb,spam,dev\nc,eggs,test\n", encoding="utf-8")
    code, _, err = cli(capsys, "gold", "create", tmp_path / "D", "--from", path, "--labels", "ham,spam")
    assert code == 2
    assert f"{path}:4: column 'label': unknown label 'eggs'" in err, err
    assert "<frame>" not in err and "manifest.json" not in err  # create has written no manifest
    assert "add the classes to the label space given (--labels of weaksup gold create)" in err
    assert not (tmp_path / "D").exists()


@pytest.mark.parametrize("suffix, line", [(".csv", 3), (".tsv", 3), (".jsonl", 3), (".parquet", 2)])
def test_multilabel_create_names_the_line_in_every_format(tmp_path, capsys, suffix, line):
    frame = pd.DataFrame({"row_id": ["a", "b"], "labels": ["joy", "happiness"], "split": ["dev", "dev"]})
    path = tmp_path / f"gold{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)  # no lines: the row number
    elif suffix == ".jsonl":  # a blank line before the bad row: lines are the file's own
        path.write_text('{"row_id": "a", "labels": ["joy"], "split": "dev"}\n\n'
                        '{"row_id": "b", "labels": ["happiness"], "split": "dev"}\n', encoding="utf-8")
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    code, _, err = cli(capsys, "gold", "create", tmp_path / "G", "--from", path, "--labels", "joy,love",
                       "--label-column", "labels", "--multilabel")
    assert code == 2
    assert f"{path}:{line}: column 'labels': unknown label(s) ['happiness']" in err, err
    assert "<frame>" not in err and "--labels of weaksup gold create" in err


def test_a_quoted_cell_over_two_lines_counts_its_lines(tmp_path, capsys):
    path = tmp_path / "g.csv"
    path.write_text('row_id,label,split,annotator\na,ham,dev,"Ann\nSmith"\n\nb,eggs,dev,bob\n', encoding="utf-8")
    code, _, err = cli(capsys, "gold", "create", tmp_path / "D", "--from", path, "--labels", "ham,spam")
    assert code == 2 and f"{path}:5: column 'label': unknown label 'eggs'" in err, err


def test_add_names_the_added_file_and_the_gold_sets_label_space(tmp_path, capsys):
    first = tmp_path / "first.csv"
    first.write_text("row_id,label,split\na,ham,dev\nb,spam,test\n", encoding="utf-8")
    folder = tmp_path / "gold"
    assert cli(capsys, "gold", "create", folder, "--from", first, "--labels", "ham,spam")[0] == 0
    more = tmp_path / "more.csv"
    more.write_text("row_id,label,split\nc,ham,dev\nd,spam,dev\ne,eggs,test\n", encoding="utf-8")
    code, _, err = cli(capsys, "gold", "add", folder, "--from", more)
    assert code == 2
    assert f"{more}:4: column 'label': unknown label 'eggs'" in err, err
    assert f"add the classes to the gold set's label space (label_space in {folder / 'manifest.json'})" in err
    assert "--labels" not in err and "<frame>" not in err
    # a duplicate against a row the gold set holds names both places: the gold set's file and the added line
    more.write_text("row_id,label,split\nc,ham,dev\nc,spam,dev\n", encoding="utf-8")
    code, _, err = cli(capsys, "gold", "add", folder, "--from", more)
    assert code == 2 and f"{more}:3: column 'row_id': duplicate id 'c'" in err and f"first at {more}:2" in err, err


def test_multilabel_add_names_the_added_file(tmp_path, capsys):
    first = tmp_path / "first.csv"
    first.write_text("row_id,labels,split\na,joy,dev\n", encoding="utf-8")
    folder = tmp_path / "ml"
    assert cli(capsys, "gold", "create", folder, "--from", first, "--labels", "joy,love", "--label-column",
               "labels", "--multilabel")[0] == 0
    more = tmp_path / "more.csv"
    more.write_text("row_id,labels,split\nb,love,dev\nc,joy;grief,dev\n", encoding="utf-8")
    code, _, err = cli(capsys, "gold", "add", folder, "--from", more, "--label-column", "labels")
    assert code == 2
    assert f"{more}:3: column 'labels': unknown label(s) ['grief']" in err, err
    assert f"label_space in {folder / 'manifest.json'}" in err
