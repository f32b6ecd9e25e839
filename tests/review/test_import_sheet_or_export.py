"""A Label Studio CSV export given to the review-sheet reader (``--format csv``) is refused, naming the file and
``--format labelstudio-csv``: read as a sheet, its user ids would name the same people a second time and its answers
would take the import time (counted twice, a gold label changed)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.review.helpers import TICKETS, json_min, ls_export, tickets_project, write_json, write_ls_csv
from weaksup.cli import main
from weaksup.errors import ReviewImportError
from weaksup.gold import load_gold
from weaksup.review.plain_csv import read_sheet


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _exports(folder):
    """T0030 answered by users 1 and 2, T0031 by user 1: Label Studio's JSON export and its CSV export."""
    tasks = [{"data": {"row_id": "T0030", "text": "app crashes on login", "suggested_label": "bug"}},
             {"data": {"row_id": "T0031", "text": "please add dark mode", "suggested_label": "feature"}}]
    export = ls_export(tasks, {"T0030": [(1, "bug"), (2, "bug")], "T0031": [(1, "feature")]})
    for task in export:  # Label Studio's CSV holds user ids as strings
        for ann in task["annotations"]:
            ann["completed_by"] = str(ann["completed_by"])
    return write_json(export, folder / "t3.json"), write_ls_csv(json_min(export), folder / "t3.csv")


def test_csv_format_refuses_a_labelstudio_csv_export(tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    as_json, as_csv = _exports(folder)
    code, _, err = cli(capsys, "review", "import", as_json, "--task", "tickets", "--config", "config.toml")
    assert code == 0, err
    before = load_gold(folder / "gold" / "tickets")
    code, _, err = cli(capsys, "review", "import", as_csv, "--format", "csv", "--task", "tickets", "--config",
                       "config.toml")
    assert code == 2 and "Traceback" not in err
    assert f"{as_csv}: line 1: columns ['annotation_id', 'lead_time', 'created_at', 'updated_at'" in err
    assert "--format labelstudio-csv (or --format auto" in err
    after = load_gold(folder / "gold" / "tickets")
    assert after.version == before.version == 2  # nothing counted twice
    code, out, err = cli(capsys, "review", "import", as_csv, "--task", "tickets", "--config", "config.toml")
    assert code == 0, err
    assert "unchanged at v2" in out  # read as what it is: the same answers, the same people
    assert set(load_gold(folder / "gold" / "tickets").frame["annotator"]) == {"lead", "user-1", "user-2"}


def test_read_sheet_refuses_the_export_and_still_reads_a_sheet(tmp_path):
    _, as_csv = _exports(tmp_path)
    with pytest.raises(ReviewImportError, match="--format labelstudio-csv"):
        read_sheet(as_csv, TICKETS)
    sheet = pd.DataFrame({"row_id": ["T0030"], "text": ["app crashes"], "suggested_label": ["bug"],
                          "confidence": [0.5], "review_reason": ["low_confidence"], "priority": [1],
                          "label": ["bug"], "annotator": ["ann"], "created_at": ["2024-01-01"]})
    sheet.to_csv(tmp_path / "sheet.csv", index=False)  # an input column shown with --field created_at is no export
    answers = read_sheet(tmp_path / "sheet.csv", TICKETS)
    assert answers.frame[["row_id", "label", "annotator"]].values.tolist() == [["T0030", "bug", "ann"]]


def test_a_sheet_written_with_label_studio_named_fields_imports(tmp_path):
    # `weaksup review export --format csv --field created_at --field updated_at` wrote a sheet read_sheet refused
    from tests.review.helpers import queue
    from weaksup.review.plain_csv import write_sheet

    q = queue().assign(created_at=["2024-01-01"] * 3, updated_at=["2024-01-02"] * 3)
    path = write_sheet(q, tmp_path / "sheet.csv", extra_fields=["created_at", "updated_at"])
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False).assign(label=["spam", "ham", ""], annotator="ann")
    sheet.to_csv(path, index=False)
    answers = read_sheet(path, ["ham", "spam"])
    assert answers.frame[["row_id", "label", "annotator"]].values.tolist() == [["r1", "spam", "ann"],
                                                                               ["r2", "ham", "ann"]]


def test_an_export_of_pushed_tasks_holding_the_sheet_columns_is_still_refused(tmp_path):
    # tasks `weaksup review push` made carry suggested_label, confidence, review_reason and priority in their data
    tasks = [{"data": {"row_id": "T0030", "text": "app crashes", "suggested_label": "bug", "confidence": 0.5,
                       "review_reason": "low_confidence", "priority": 1}}]
    export = ls_export(tasks, {"T0030": [(1, "bug")]})
    as_csv = write_ls_csv(json_min(export), tmp_path / "pushed.csv")
    with pytest.raises(ReviewImportError, match="--format labelstudio-csv"):
        read_sheet(as_csv, TICKETS)
