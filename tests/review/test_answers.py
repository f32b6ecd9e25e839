"""weaksup.review.answers: the checked answers of a review round, every problem reported at once."""

from __future__ import annotations

import pytest

from weaksup.errors import ReviewImportError
from weaksup.labels import LabelSpace
from weaksup.review.answers import COLUMNS, build_answers, export_problems, read_csv_rows, text

SPACE = LabelSpace(["ham", "spam"])


def record(where: str, row_id: str, label: str, **extra) -> dict:
    return {"where": where, "row_id": row_id, "label": label, "annotator": "", "timestamp": "", "task_id": "",
            "annotation_id": "", "lead_time": None, "origin": "", **extra}


def test_good_records_become_a_frame_of_strings():
    answers = build_answers([record("task 1", "a", "spam", annotator="jo", lead_time=2.5),
                             record("task 2", "b", "ham", timestamp="2024-05-01T12:00:00Z")],
                            None, SPACE, file="x.json", fmt="labelstudio", cancelled=1, unanswered=2)
    assert list(answers.frame.columns) == list(COLUMNS) and len(answers) == 2
    assert answers.frame["annotator"].tolist() == ["jo", ""] and answers.frame["lead_time"].iloc[0] == 2.5
    assert answers.summary() == ("x.json (labelstudio): 2 annotation(s) of 2 row(s); left out: 1 cancelled "
                                 "(skipped), 2 without an answer")


def test_every_bad_record_is_reported_at_once_with_its_code_and_place():
    problems = export_problems("x.json")
    problems.add("not_a_task", "expected a task object; got int", where="x.json: item 0")  # found by the reader
    with pytest.raises(ReviewImportError) as info:
        build_answers([record("task 1", "", "spam"), record("task 2", "b", "eggs", annotator="jo"),
                       record("task 3", "c", "ham", timestamp="yesterday")],
                      problems, SPACE, file="x.json", fmt="labelstudio", cancelled=0, unanswered=0)
    err = info.value
    assert [p.code for p in err.problems] == ["not_a_task", "missing_row_id", "unknown_label", "bad_timestamp"]
    assert [p.where for p in err.problems] == ["x.json: item 0", "x.json: task 1", "x.json: task 2", "x.json: task 3"]
    message = str(err)
    assert message.startswith("review export x.json has 4 problems:\n")
    assert "x.json: task 2: row_id 'b': label 'eggs' by 'jo' is not in the label space ['ham', 'spam']" in message
    assert message.endswith("Nothing was imported; fix the export (or the labeling config) and import it again.")
    assert err.problems[2].expected == ["ham", "spam"] and err.problems[2].got == "eggs"


def test_csv_rows_carry_their_line_numbers(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('row_id,label\na,ham\nb,"two\nlines"\nc,spam\n', encoding="utf-8")
    header, rows = read_csv_rows(sheet)
    assert header == ["row_id", "label"]
    assert [(line, row["row_id"]) for line, row in rows] == [(2, "a"), (3, "b"), (5, "c")]
    with pytest.raises(ReviewImportError, match="does not exist"):
        read_csv_rows(tmp_path / "missing.csv")
    (tmp_path / "latin.csv").write_bytes("row_id,label\n\xe9\xff,ham\n".encode("latin-1"))
    with pytest.raises(ReviewImportError, match=r"latin.csv line 2: bytes b.\\xe9. are not valid utf-8; re-save it as UTF-8"):
        read_csv_rows(tmp_path / "latin.csv")


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (float("nan"), ""), ("  a ", "a"), (7, "7")])
def test_text_trims_and_blanks_missing_values(value, expected):
    assert text(value) == expected


def test_a_sheet_saved_by_excel_in_cp1252_or_with_semicolons_or_a_folder_names_the_fix(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes("row_id,label,annotator\na,ham,Ren\u00e9\n".encode("cp1252"))
    with pytest.raises(ReviewImportError) as info:
        read_csv_rows(sheet)
    assert str(info.value) == (f"{sheet} line 2: bytes b'\\xe9' are not valid utf-8; re-save it as UTF-8 (Excel: CSV "
                               "UTF-8 (Comma delimited); or iconv -f cp1252 -t utf-8)")
    sheet.write_text("row_id;label;annotator\na;ham;jo\n", encoding="utf-8")
    with pytest.raises(ReviewImportError, match="looks semicolon-separated, not comma-separated; re-save it with "
                                                r"commas \(Excel: CSV UTF-8 \(Comma delimited\)\)"):
        read_csv_rows(sheet)
    with pytest.raises(ReviewImportError, match="is a folder; give the file exported from Label Studio"):
        read_csv_rows(tmp_path)
