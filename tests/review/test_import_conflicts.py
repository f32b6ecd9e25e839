"""What an import says about disagreeing rows: an annotator's newer answer replaces their own older one without a
conflict; ``--on-conflict error`` shows the gold label before; ``keep`` says per row what happened (the majority
label, or tied and left out of the dev gold / the test split); and an export of another project is said once."""

from __future__ import annotations

import pytest

from tests.review.helpers import ls_export, tickets_project, write_json
from weaksup.cli import main
from weaksup.gold import load_gold

TEXT = {"data": {"text": "a ticket"}}


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _export(path, answers, *, when=None):
    """Label Studio's JSON export of ``answers`` (row id -> [(user id, class)]), every answer at ``when``."""
    tasks = [{"data": {"row_id": row, "text": "a ticket"}} for row in answers]
    export = ls_export(tasks, answers)
    for task in export:
        for ann in task["annotations"]:
            ann["created_at"] = ann["updated_at"] = when or ann["updated_at"]
    return write_json(export, path)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The tickets project (gold v1: T0000-T0007 dev, T0008-T0015 test, by ``lead``), as the working folder."""
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    return folder


def _import(capsys, export, *more):
    return cli(capsys, "review", "import", export, "--task", "tickets", "--config", "config.toml", *more)


def test_an_annotators_newer_answer_replaces_their_own_without_a_conflict(project, capsys):
    code, out, err = _import(capsys, _export(project / "a.json", {"T0030": [(1, "other")]},
                                             when="2024-05-01T10:00:00Z"))
    assert code == 0, err
    code, out, err = _import(capsys, _export(project / "b.json", {"T0030": [(1, "billing")]},
                                             when="2024-05-02T10:00:00Z"))
    assert code == 0, err
    assert "1 replaced" in out
    assert "disagreeing" not in out and "gold before" not in out  # his own older answer is no other opinion
    gold = load_gold(project / "gold" / "tickets")
    assert gold.labels()["T0030"] == "billing" and (gold.frame["row_id"] == "T0030").sum() == 1


def test_on_conflict_error_shows_the_gold_label_before(project, capsys):
    code, _, err = _import(capsys, _export(project / "e.json", {"T0001": [(1, "billing")]}),
                           "--on-conflict", "error")
    assert code == 2 and "Traceback" not in err
    assert "row_id 'T0001': annotators disagree: user-1=billing; gold before: bug" in err
    assert load_gold(project / "gold" / "tickets").version == 1


def test_keep_says_per_row_what_happened(project, capsys):
    answers = {"T0001": [(1, "billing")], "T0009": [(1, "feature")], "T0002": [(1, "feature"), (2, "other")]}
    code, out, err = _import(capsys, _export(project / "k.json", answers))
    assert code == 0, err
    assert ("T0001 (task 1): user-1=billing; gold before: bug [tied: dev row T0001 left out of dev gold until "
            "another answer breaks the tie]") in out
    assert "T0009 (task 2): user-1=feature; gold before: bug [tied: test row T0009 left out of the test split" in out
    assert "T0002 (task 3): user-1=feature; user-2=other; gold before: feature [majority: gold label feature]" in out
    assert "gold majority; ties left out" not in out  # the policy is not what happened
    labels = load_gold(project / "gold" / "tickets").labels()
    assert "T0001" not in labels and "T0009" not in labels and labels["T0002"] == "feature"


def test_an_export_of_another_project_is_said_once(project, capsys):
    answers = {f"T00{30 + i}": [(1, "spam" if i % 2 else "ham")] for i in range(6)}
    answers["T0036"] = [(1, "bug")]
    code, _, err = _import(capsys, _export(project / "r1b.json", answers))
    assert code == 2 and "Traceback" not in err
    assert ("r1b.json: 6 of 7 answers' labels are not the task's classes: the export seems to be of another project "
            "(its labels ['bug', 'ham', 'spam']; the task's ['billing', 'bug', 'feature', 'other'])") in err
    assert "is not in the label space" not in err  # not one line per answer
    assert load_gold(project / "gold" / "tickets").version == 1
    answers = {"T0030": [(1, "bug")], "T0031": [(1, "feature")], "T0032": [(1, "SPAM")]}
    code, _, err = _import(capsys, _export(project / "typo.json", answers))  # a typo among answers: named as such
    assert code == 2 and "label 'SPAM' by 'user-1' is not in the label space" in err
    assert "another project" not in err
