"""The "export of another project" check (:func:`weaksup.review.import_checks.check_one_project`) is for exports
whose labels are foreign, not for typos: a hand-typed sheet with ``Spam`` and ``Ham`` gets each answer's
"did you mean" hint, and an export of another project (at least 5 answers, labels no class is close to) still gets
the one line."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.review.helpers import ls_export, write_json
from weaksup.errors import ReviewImportError
from weaksup.gold import load_gold, write_gold
from weaksup.review import import_answers, read_export
from weaksup.review.plain_csv import read_sheet

SPACE = ["ham", "spam"]


@pytest.fixture
def gold_dir(tmp_path):
    write_gold(pd.DataFrame({"row_id": ["c0"], "label": ["ham"], "split": ["dev"], "annotator": ["lead"]}),
               tmp_path / "gold", task="yt", label_space=SPACE)
    return tmp_path / "gold"


def _error(answers, gold_dir):
    with pytest.raises(ReviewImportError) as info:
        import_answers(answers, gold_dir, task="yt")
    assert load_gold(gold_dir).version == 1
    return str(info.value)


def test_a_typed_sheet_with_miscased_labels_gets_the_did_you_mean_hints(tmp_path, gold_dir):
    pd.DataFrame({"row_id": ["c1", "c2", "c3"], "label": ["Spam", "Ham", "spam"], "annotator": ["ann"] * 3}).to_csv(
        tmp_path / "typed.csv", index=False)
    err = _error(read_sheet(tmp_path / "typed.csv", SPACE, collect=True), gold_dir)
    assert "another project" not in err
    assert "label 'Spam' by 'ann' is not in the label space ['ham', 'spam'] (did you mean 'spam'?)" in err
    assert "label 'Ham' by 'ann' is not in the label space ['ham', 'spam'] (did you mean 'ham'?)" in err


def test_a_sheet_of_foreign_labels_is_named_per_line(tmp_path, gold_dir):
    pd.DataFrame({"row_id": [f"c{i}" for i in range(6)], "label": ["bug"] * 6}).to_csv(tmp_path / "s.csv", index=False)
    err = _error(read_sheet(tmp_path / "s.csv", SPACE, collect=True), gold_dir)
    assert "another project" not in err and "line 7: row_id 'c5': label 'bug'" in err


def _export(path, labels):
    tasks = [{"data": {"row_id": f"c{i}", "text": "hi"}} for i in range(len(labels))]
    return read_export(write_json(ls_export(tasks, {f"c{i}": [(1, lab)] for i, lab in enumerate(labels)}), path),
                       SPACE, collect=True)


def test_an_export_of_another_project_still_gets_the_one_line(tmp_path, gold_dir):
    err = _error(_export(tmp_path / "p.json", ["bug", "feature", "billing", "bug", "other"]), gold_dir)
    assert ("p.json: 5 of 5 answers' labels are not the task's classes: the export seems to be of another project "
            "(its labels ['billing', 'bug', 'feature', 'other']; the task's ['ham', 'spam'])") in err
    assert "is not in the label space" not in err


def test_fewer_than_five_answers_or_close_labels_are_named_one_by_one(tmp_path, gold_dir):
    err = _error(_export(tmp_path / "few.json", ["bug", "feature", "other"]), gold_dir)
    assert "another project" not in err and "label 'feature' by 'user-1' is not in the label space" in err
    err = _error(_export(tmp_path / "typos.json", ["SPAM", "Ham", "spamm", "HAM", "ham"]), gold_dir)
    assert "another project" not in err and "(did you mean 'spam'?)" in err


def test_closest_class_matches_case_and_near_misses():
    from weaksup.review.answers import closest_class

    assert [closest_class(x, SPACE) for x in ["SPAM", "Ham", "spamm", "bug", "ham"]] == [
        "spam", "ham", "spam", None, "ham"]
