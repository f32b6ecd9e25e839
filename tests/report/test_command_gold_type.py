"""``weaksup report --gold`` of a multi-label gold set says so and names the multi-label run (and its report) to
make; it said "missing column(s) ['label']", as if the gold set were a broken single-label one."""

from __future__ import annotations

import pytest

from tests.multilabel.ml_project import make_ml_project
from weaksup.cli import main


def test_report_on_a_multilabel_gold_set_exits_2_naming_the_multilabel_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_ml_project(tmp_path)
    gold = tmp_path / "gold_sets" / "tickets"
    with pytest.raises(SystemExit) as info:
        main(["report", "--data", str(tmp_path / "tickets.csv"), "--gold", str(gold), "--out",
              str(tmp_path / "reports" / "tickets.html"), "--no-tracking"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert "missing column" not in err
    assert f"--gold {gold} is a multi-label gold set" in err
    assert '[task] type = "multilabel"' in err and "weaksup run CONFIG" in err and "report.html" in err
    assert not (tmp_path / "reports").exists()  # nothing written
