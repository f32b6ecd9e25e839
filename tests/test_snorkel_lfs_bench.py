"""benchmarks/snorkel_lfs.py runs, checks the votes and writes its figures (a tiny run, not a timing)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO


@pytest.mark.snorkel
@pytest.mark.slow  # Snorkel's applier on a few thousand rows
@pytest.mark.parametrize("jobs", [1, 2])
def test_the_benchmark_runs_and_checks_the_votes(tmp_path, jobs, capsys):
    spec = importlib.util.spec_from_file_location("snorkel_lfs_bench", REPO / "benchmarks" / "snorkel_lfs.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "result.json"
    result = bench.main(["--rows", "12000", "--snorkel-rows", "3000", "--jobs", str(jobs), "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved == result
    assert {"rows", "weaksup_rows_per_s", "snorkel_rows_per_s", "ratio", "votes_equal", "jobs"} <= set(saved)
    assert saved["rows"] == 12000 and saved["jobs"] == jobs and saved["votes_equal"] is True
    assert saved["snorkel_rows"] == 3000 and saved["snorkel_extrapolated"] is True
    assert saved["ratio"] == pytest.approx(saved["weaksup_rows_per_s"] / saved["snorkel_rows_per_s"], rel=0.01)
    printed = capsys.readouterr().out
    assert "extrapolated" in printed and "votes equal: True" in printed
