"""weaksup.review.labelstudio_answers: Label Studio exports (JSON, JSON-MIN, CSV) read back as checked answers."""

import json

import pytest

from tests.review.helpers import json_min, ls_export, queue, write_json, write_ls_csv
from weaksup.review import ReviewError, ReviewImportError, read_export
from weaksup.review.labelstudio import to_tasks
from weaksup.review.labelstudio_answers import detect_format

SPACE = ["ham", "spam"]


ANSWERS = {"r1": [(1, "spam"), (2, "spam")], "r2": [(1, "ham"), (2, "spam"), (3, None)], "r3": []}


@pytest.fixture
def export(tmp_path):
    tasks = to_tasks(queue(), model_version="v1")
    return ls_export(tasks, ANSWERS)


def check_answers(answers):
    f = answers.frame
    assert sorted(zip(f["row_id"], f["annotator"], f["label"])) == [
        ("r1", "user-1", "spam"), ("r1", "user-2", "spam"), ("r2", "user-1", "ham"), ("r2", "user-2", "spam")]
    assert all(f["timestamp"].str.startswith("2024-05-0"))
    assert set(f["task_id"]) == {"1", "2"}


def test_read_json_export(tmp_path, export):
    answers = read_export(write_json(export, tmp_path / "export.json"), SPACE)
    assert answers.format == "labelstudio" and answers.cancelled == 1 and answers.unanswered == 1
    check_answers(answers)
    assert set(answers.frame["origin"]) == {"manual"}
    assert "1 cancelled" in answers.summary()


def test_read_json_min_export(tmp_path, export):
    path = write_json(json_min(export), tmp_path / "export-min.json")
    assert detect_format(path) == "labelstudio-min"
    answers = read_export(path, SPACE)
    assert answers.format == "labelstudio-min"
    check_answers(answers)


def test_read_csv_export(tmp_path, export):
    path = write_ls_csv(json_min(export), tmp_path / "export.csv")
    assert detect_format(path) == "labelstudio-csv"
    answers = read_export(path, SPACE)
    check_answers(answers)
    assert answers.frame["lead_time"].tolist() == [4.2] * 4


def test_completed_by_as_user_object_and_completions_key(tmp_path, export):
    export[0]["annotations"][0]["completed_by"] = {"id": 1, "email": "ann@lab.org"}
    export[1]["completions"] = export[1].pop("annotations")  # the pre-1.0 key
    answers = read_export(write_json(export, tmp_path / "e.json"), SPACE)
    assert "ann@lab.org" in set(answers.frame["annotator"]) and len(answers) == 4


# --- bad exports: one error naming the file, the task and the fix -----------------------------------


def bad(tmp_path, obj, name="bad.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    with pytest.raises(ReviewImportError) as info:
        read_export(path, SPACE)
    return str(info.value), info.value


def test_malformed_json(tmp_path):
    message, _ = bad(tmp_path, '[{"id": 1, "data": {"row_id": "r1"}, "annotations": [}]')
    assert "bad.json:1:" in message and "not valid JSON" in message and "Export" in message


def test_not_a_task_list(tmp_path):
    message, _ = bad(tmp_path, '"hello"')
    assert "a list of tasks" in message


def test_unknown_label_names_the_task_and_the_fix(tmp_path, export):
    export[1]["annotations"][0]["result"][0]["value"]["choices"] = ["Spam"]
    export[0]["annotations"][1]["result"][0]["value"]["choices"] = ["eggs"]
    message, err = bad(tmp_path, export)
    assert len(err.problems) == 2
    assert "task 2, annotation 103: row_id 'r2': label 'Spam' by 'user-1' is not in the label space" in message
    assert "task 1, annotation 102" in message and "'eggs'" in message
    assert "<Choice>" in message and "Nothing was imported" in message


def test_missing_fields(tmp_path, export):
    del export[0]["data"]["row_id"]
    export[1]["annotations"][0]["result"] = "spam"
    del export[2]["data"]
    message, err = bad(tmp_path, export)
    assert "task 1, annotation 101: no row id" in message
    assert "task 2, annotation 103: 'result' must be a list" in message
    assert "task 3: no 'data' object" in message
    assert len(err.problems) == 4  # both annotations of task 1 lack the row id


def test_several_choices_and_wrong_control_tag(tmp_path, export):
    export[0]["annotations"][0]["result"][0]["value"]["choices"] = ["ham", "spam"]
    for r in export[1]["annotations"][0]["result"]:
        r["from_name"] = "sentiment"
    message, _ = bad(tmp_path, export)
    assert "task 1, annotation 101: 2 classes chosen ['ham', 'spam']" in message
    assert "no answer from the control tag 'label', but choices from ['sentiment']; pass the <Choices> name as from_name (--from-name sentiment)" in message
    assert "--from-name" in message


def test_bad_timestamp(tmp_path, export):
    export[0]["annotations"][0]["updated_at"] = "yesterday"
    message, _ = bad(tmp_path, export)
    assert "task 1, annotation 101: timestamp 'yesterday' is not an ISO 8601 time" in message


def test_json_min_and_csv_problems(tmp_path, export):
    records = json_min(export)
    records[0]["label"] = "eggs"
    del records[1]["row_id"]
    message, err = bad(tmp_path, records, "min.json")
    assert "task 1, annotation 101: row_id 'r1': label 'eggs'" in message
    assert "task 1, annotation 102: no 'row_id'" in message
    records = json_min(export)
    records[2]["label"] = "Ham"
    path = write_ls_csv(records, tmp_path / "ls.csv")
    with pytest.raises(ReviewImportError, match=r"ls.csv: line 4 \(task 2\), annotation 103: row_id 'r2': label 'Ham'"):
        read_export(path, SPACE)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ReviewImportError, match="empty file"):
        read_export(tmp_path / "empty.csv", SPACE, format="labelstudio-csv")
    (tmp_path / "noid.csv").write_text("id,label,annotation_id\n1,spam,3\n")
    with pytest.raises(ReviewImportError, match="no 'row_id' column"):
        read_export(tmp_path / "noid.csv", SPACE)


def test_missing_file(tmp_path):
    with pytest.raises(ReviewImportError, match="does not exist"):
        read_export(tmp_path / "nope.json", SPACE)


def test_tsv_export_under_a_csv_name(tmp_path, export):
    """Label Studio names its TSV export ``<project>.csv``: the tab header decides, not the suffix."""
    path = write_ls_csv(json_min(export), tmp_path / "export.csv")
    tabbed = tmp_path / "project-3-at-2026-11-23.csv"
    tabbed.write_text(path.read_text().replace(",", "\t"), encoding="utf-8")  # (no comma inside these cells)
    assert detect_format(tabbed) == "labelstudio-csv"
    check_answers(read_export(tabbed, SPACE))


def test_annotators_must_be_a_mapping(tmp_path, export):
    path = write_json(export, tmp_path / "e.json")
    with pytest.raises(ReviewError, match="annotators must map Label Studio user ids to e-mails"):
        read_export(path, SPACE, annotators=["ann@lab.org"])
    assert set(read_export(path, SPACE, annotators={"1.0": "ann@lab.org"}).frame["annotator"]) == {"ann@lab.org",
                                                                                                 "user-2"}


def test_the_tasks_file_weaksup_wrote_is_named_as_such_not_as_records_without_row_ids(tmp_path):
    # importing the unannotated tasks file gave ten "no 'row_id': ... (export the tasks with `weaksup review export`)"
    path = write_json(to_tasks(queue(), model_version="v1"), tmp_path / "tasks.json")
    with pytest.raises(ReviewImportError, match=r"holds review tasks without answers \(what `weaksup review export` "
                                                r"writes for Label Studio to import\)"):
        read_export(path, SPACE)
