import pandas as pd
import pytest

from weaksup.review import ReviewImportError, export_queue, import_answers, read_export, read_sheet

SPACE = ["ham", "spam"]


def queue():
    return pd.DataFrame({"priority": [1, 2, 3], "row_id": ["r1", "r2", "r3"],
                         "text": ["call 555-123-4567", "nice, song", "x"], "label": ["spam", "ham", ""],
                         "confidence": [0.61, 0.55, 0.5], "review_reason": ["a", "b", "c"]})


def test_round_trip(tmp_path):
    out = export_queue(queue(), tmp_path / "review.csv", format="csv", label_space=SPACE, sensitive_fields=["text"])
    sheet = pd.read_csv(out.path, dtype=str, keep_default_na=False)
    assert list(sheet.columns) == ["row_id", "text", "suggested_label", "confidence", "review_reason", "priority",
                                   "label", "annotator"]
    assert sheet["text"].tolist()[0] == "call <PHONE>" and sheet["label"].tolist() == ["", "", ""]
    sheet.loc[0, ["label", "annotator"]] = ["spam", "kim"]
    sheet.loc[1, "label"] = "ham"
    sheet.to_csv(tmp_path / "filled.csv", index=False)
    answers = read_sheet(tmp_path / "filled.csv", SPACE, annotator="team")
    assert answers.frame[["row_id", "label", "annotator"]].values.tolist() == [["r1", "spam", "kim"],
                                                                               ["r2", "ham", "team"]]
    assert answers.unanswered == 1 and answers.frame["timestamp"].str.endswith("Z").all()
    assert read_export  # the Label Studio reader is separate: a review sheet is detected as plain CSV
    from weaksup.review.labelstudio import detect_format

    assert detect_format(tmp_path / "filled.csv") == "csv"
    result = import_answers(answers, tmp_path / "gold", task="demo", label_space=SPACE)
    assert result.gold.counts() == {"dev": 2}


def test_bad_sheets(tmp_path):
    (tmp_path / "a.csv").write_text("row_id,label\nr1,spam\nr2,SPAM\nr3,eggs\n,ham\n")
    with pytest.raises(ReviewImportError) as info:
        read_sheet(tmp_path / "a.csv", SPACE)
    message = str(info.value)
    assert "a.csv: line 3: row_id 'r2': label 'SPAM'" in message and "line 4: row_id 'r3': label 'eggs'" in message
    assert "line 5: no row id" in message and len(info.value.problems) == 3
    (tmp_path / "b.csv").write_text("id,answer\n1,spam\n")
    with pytest.raises(ReviewImportError, match=r"missing column\(s\) \['row_id', 'label'\]"):
        read_sheet(tmp_path / "b.csv", SPACE)
    (tmp_path / "c.csv").write_text("row_id,label,timestamp\nr1,spam,last week\n")
    with pytest.raises(ReviewImportError, match="line 2: timestamp 'last week'"):
        read_sheet(tmp_path / "c.csv", SPACE)
    with pytest.raises(ReviewImportError, match="does not exist"):
        read_sheet(tmp_path / "none.csv", SPACE)


def test_sheet_import_has_no_prefill_account(tmp_path):
    path = tmp_path / "review.csv"
    path.write_text("row_id,text,suggested_label,confidence,label,annotator\nr1,hi,spam,0.6,ham,ann\n")
    result = import_answers(read_sheet(path, SPACE), tmp_path / "gold", task="demo", label_space=SPACE)
    assert result.prefill is None and "pre-fills" not in result.summary()


def test_two_unsigned_sheets_are_two_annotators_and_a_sheet_imported_again_changes_nothing(tmp_path):
    # two reviewers left `annotator` blank: the second sheet replaced the first one's answer
    for name, label in (("a.csv", "spam"), ("b.csv", "ham")):
        (tmp_path / name).write_text(f"row_id,label,annotator\nr1,{label},\n")
    import_answers(read_sheet(tmp_path / "a.csv", SPACE), tmp_path / "gold", task="demo", label_space=SPACE)
    second = import_answers(read_sheet(tmp_path / "b.csv", SPACE), tmp_path / "gold", task="demo", label_space=SPACE)
    kept = second.gold.frame.sort_values("annotator")[["annotator", "label"]].values.tolist()
    assert kept == [["sheet:a.csv", "spam"], ["sheet:b.csv", "ham"]] and second.replaced == 0
    again = import_answers(read_sheet(tmp_path / "b.csv", SPACE), tmp_path / "gold", task="demo", label_space=SPACE)
    assert again.changed is False
