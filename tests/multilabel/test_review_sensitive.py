"""``review.sensitive_fields`` in a multi-label review export: checked against the input's columns as in every
review export (a misspelt name stops it, naming the run's config and the fix), and a sensitive ``--field`` column
goes out as ``<REDACTED>``, as in a classification export."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.multilabel.ml_project import make_ml_project, number_review_texts
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.pipeline import run


def cli(capsys, *args):
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def _project(folder, sensitive):
    """A multi-label run over a JSON Lines input (the run checks the names in a CSV/Parquet header only, so the
    export is what catches a misspelt one here), with an ``author`` column of e-mail addresses."""
    config = make_ml_project(folder, input={"path": "tickets.jsonl"}, review={"sensitive_fields": sensitive})
    number_review_texts(folder)  # rows to review that repeat no gold row's text
    data = pd.read_csv(folder / "tickets.csv", dtype=str)
    data.assign(author="jo@example.com").to_json(folder / "tickets.jsonl", orient="records", lines=True)
    run(load_config(config), progress=False)
    return folder / "out"


def test_a_misspelt_sensitive_field_stops_the_multilabel_export(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir = _project(tmp_path, ["autor"])
    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 3, "--field", "author")
    assert code == 2, out + err
    assert (f"{run_dir}/run.json (the run's config): review.sensitive_fields names 'autor' (did you mean "
            "'author'?), which is not a column of the input") in err
    assert "fix the name in the config's [review] sensitive_fields and re-run (nothing was exported)" in err
    assert not (run_dir / "review" / "tasks.json").exists()


def test_a_sensitive_field_shown_to_reviewers_is_redacted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir = _project(tmp_path, ["author"])
    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 3, "--field", "author")
    assert code == 0, err
    tasks = json.loads((run_dir / "review" / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 3 and [t["data"]["author"] for t in tasks] == ["<REDACTED>"] * 3
    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 3, "--field", "author", "--no-mask")
    assert code == 0, err
    tasks = json.loads((run_dir / "review" / "tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["author"] for t in tasks] == ["jo@example.com"] * 3  # --no-mask: the user's explicit choice
