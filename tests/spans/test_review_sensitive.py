"""``review.sensitive_fields`` in a spans review export: checked against the input's columns as in every review
export. A misspelt text column used to let the text out in clear, where the right name refuses the export."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.spans.conftest import make_span_project
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.pipeline import run


def cli(capsys, *args):
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def _run(folder, sensitive):
    """A spans run over a JSON Lines input (the run checks the names in a CSV/Parquet header only, so the export
    is what catches a misspelt one here)."""
    names = ", ".join(f'"{name}"' for name in sensitive)
    config = make_span_project(folder, extra=f"\n[review]\nsensitive_fields = [{names}]\n")
    pd.read_csv(folder / "docs.csv", dtype=str).to_json(folder / "docs.jsonl", orient="records", lines=True)
    config.write_text(config.read_text(encoding="utf-8").replace('"docs.csv"', '"docs.jsonl"'), encoding="utf-8")
    run(load_config(config), progress=False)
    return folder / "out"


def test_a_misspelt_sensitive_field_stops_the_spans_export(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir = _run(tmp_path, ["txet"])
    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 2)
    assert code == 2, out + err
    assert (f"{run_dir}/run.json (the run's config): review.sensitive_fields names 'txet' (did you mean 'text'?), "
            "which is not a column of the input") in err
    assert "fix the name in the config's [review] sensitive_fields and re-run (nothing was exported)" in err
    assert not (run_dir / "review" / "tasks.json").exists()


def test_sensitive_fields_naming_input_columns_do_not_stop_the_spans_export(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir = _run(tmp_path, ["row_id"])  # a column, not the text: the export goes ahead
    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 2)
    assert code == 0, err
    assert (run_dir / "review" / "tasks.json").is_file()
