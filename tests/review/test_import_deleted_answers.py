"""An answer deleted in Label Studio after it was imported: the next import of the project's export names it (kept in
the gold set, with the command that drops it) instead of keeping it without a word."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from tests.review.helpers import json_min, ls_export, write_json
from weaksup.gold import load_gold, write_gold
from weaksup.review import import_answers, read_export

SPACE = ["billing", "bug", "feature", "other"]


@pytest.fixture
def gold_dir(tmp_path):
    rows = pd.DataFrame({"row_id": ["T0000"], "label": ["bug"], "split": ["dev"], "annotator": ["lead"]})
    write_gold(rows, tmp_path / "gold", task="tickets", label_space=SPACE)
    return tmp_path / "gold"


def _tasks(*row_ids):
    return [{"data": {"row_id": r, "text": f"ticket {r}", "suggested_label": "other", "confidence": 0.5,
                      "review_reason": "lf_conflict", "priority": i + 1}} for i, r in enumerate(row_ids)]


def _first_round(tmp_path, gold_dir, project=3):
    """Project ``project`` (as p3.json): T0137 and T0165 answered by user 1, T0237 by users 1 and 2."""
    export = ls_export(_tasks("T0137", "T0165", "T0237"),
                       {"T0137": [(1, "other")], "T0165": [(1, "feature")], "T0237": [(1, "bug"), (2, "bug")]})
    for task in export:
        task["project"] = project
        for ann in task["annotations"]:
            ann["project"] = project
    import_answers(read_export(write_json(export, tmp_path / "r1.json"), SPACE), gold_dir, task="tickets")
    return export


def _without(export, row_id, user=None):
    """The export after deleting ``row_id``'s answers (of ``user``, else all) in Label Studio; a task left without an
    answer is not exported (Label Studio exports annotated tasks only by default)."""
    out = copy.deepcopy(export)
    for task in out:
        if task["data"]["row_id"] == row_id:
            task["annotations"] = [a for a in task["annotations"] if user is not None and a["completed_by"] != user]
    return [t for t in out if t["annotations"]]


def test_an_answer_deleted_in_label_studio_is_named_and_kept(tmp_path, gold_dir):
    export = _first_round(tmp_path, gold_dir)
    again = write_json(_without(export, "T0165"), tmp_path / "p3.json")
    result = import_answers(read_export(again, SPACE), gold_dir, task="tickets")
    gold = load_gold(gold_dir)
    assert ("T0165", "user-1") in set(zip(gold.frame["row_id"], gold.frame["annotator"]))  # not removed
    line = next(line for line in result.summary().splitlines() if "T0165" in line)
    assert "1 answer(s) in the gold set from Label Studio project 3" in line and "not in this export" in line
    assert f"weaksup gold remove {gold_dir} --ids T0165" in line and "kept" in line
    assert result.deleted == ("T0165",)


def test_one_of_two_answers_deleted_is_named_from_a_json_min_export(tmp_path, gold_dir):
    export = _first_round(tmp_path, gold_dir)
    again = write_json(json_min(_without(export, "T0237", user=1)), tmp_path / "p3.min.json")  # no project here
    result = import_answers(read_export(again, SPACE), gold_dir, task="tickets")
    assert result.deleted == ("T0237",) and "--ids T0237" in result.summary()


def test_answers_of_another_project_or_still_there_are_not_named(tmp_path, gold_dir):
    _first_round(tmp_path, gold_dir, project=2)
    other = ls_export(_tasks("T0300"), {"T0300": [(1, "billing")]}, first_id=50)  # project 7, other rows
    result = import_answers(read_export(write_json(other, tmp_path / "p7.json"), SPACE), gold_dir, task="tickets")
    assert result.deleted == () and "not in this export" not in result.summary()
    export = _first_round(tmp_path, gold_dir, project=3)  # the same export again: nothing deleted
    result = import_answers(read_export(write_json(export, tmp_path / "same.json"), SPACE), gold_dir, task="tickets")
    assert result.deleted == ()


def test_the_summary_lists_at_most_five_row_ids(tmp_path, gold_dir):
    rows = [f"T{i:04d}" for i in range(100, 108)]
    export = ls_export(_tasks(*rows, "T0999"), {r: [(1, "bug")] for r in [*rows, "T0999"]})
    import_answers(read_export(write_json(export, tmp_path / "a.json"), SPACE), gold_dir, task="tickets")
    left = [t for t in export if t["data"]["row_id"] == "T0999"]
    result = import_answers(read_export(write_json(left, tmp_path / "b.json"), SPACE), gold_dir, task="tickets")
    line = next(line for line in result.summary().splitlines() if "not in this export" in line)
    assert "8 answer(s)" in line and "T0104 by user-1 and 3 more" in line
    assert f"`weaksup gold remove {gold_dir} --ids T0100,T0101,T0102,T0103,T0104,T0105,T0106,T0107` (every" in line
    assert " ..." not in line  # no argument the command would take as a second folder
    assert len(result.deleted) == 8


def test_more_than_20_deleted_answers_are_dropped_through_an_ids_file(tmp_path, gold_dir, capsys):
    import re
    import shlex

    from weaksup.cli import main

    rows = [f"T{i:04d}" for i in range(100, 125)]
    export = ls_export(_tasks(*rows, "T0999"), {r: [(1, "bug")] for r in [*rows, "T0999"]})
    import_answers(read_export(write_json(export, tmp_path / "a.json"), SPACE), gold_dir, task="tickets")
    left = [t for t in export if t["data"]["row_id"] == "T0999"]
    result = import_answers(read_export(write_json(left, tmp_path / "b.json"), SPACE), gold_dir, task="tickets")
    line = next(line for line in result.summary().splitlines() if "not in this export" in line)
    assert "write the 25 row ids (T0100, T0101, T0102, T0103, T0104, ...) to a file, one per line, and run " in line
    command = shlex.split(re.search(r"`weaksup (gold remove [^`]*)`", line).group(1))
    assert command == ["gold", "remove", str(gold_dir), "--ids-file", "FILE"]
    (tmp_path / "gone.txt").write_text("\n".join(result.deleted), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main([*command[:-1], str(tmp_path / "gone.txt")])
    assert info.value.code in (0, None), capsys.readouterr().err
    assert set(load_gold(gold_dir).frame["row_id"]) == {"T0000", "T0999"}
