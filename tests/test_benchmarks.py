"""The benchmarks still run and still compare like with like (speed itself is not asserted)."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import REPO


def _load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the benchmark look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.snorkel
def test_apply_speed_runs_and_checks_votes(tmp_path):
    out = tmp_path / "speed.json"
    result = _load("apply_speed").main(["--rows", "3000", "--repeats", "1", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved == result and saved["votes_equal"] is True
    for key in ("rows", "weaksup_rows_per_s", "snorkel_rows_per_s", "ratio", "kernel_s", "peak_rss_mb"):
        assert key in saved
    assert saved["rows"] == 3000 and 0 < saved["coverage"] < 1


@pytest.mark.slow
@pytest.mark.snorkel
def test_pipeline_scale_runs_weaksup_and_snorkel_side_by_side(tmp_path):
    result = _load("pipeline_scale").main(["--rows", "30000", "--chunk-rows", "7000", "--snorkel-rows", "3000",
                                           "--end-train-rows", "3000", "--workdir", str(tmp_path),
                                           "--json", str(tmp_path / "scale.json")])
    assert json.loads((tmp_path / "scale.json").read_text()) == result
    assert result["rows"] == 30000 and result["snorkel_rows"] == 3000 and result["ratio"] > 0
    assert set(result["timings"]) >= {"read+clean+apply", "fit", "predict+route+write", "evaluate+report"}
    assert 0 < result["coverage"] < 1 and result["peak_rss_mb"] > 0
    assert result["end_model"]["train_rows"] == 3000 and result["end_model"]["fit_s"] > 0


@pytest.mark.slow
def test_review_budget_runs_and_review_helps(tmp_path, capsys):
    results = _load("review_budget").main(["--datasets", "youtube", "--labels", "label_model", "--rounds", "2",
                                           "--budget", "10", "--seeds", "2", "--json", str(tmp_path / "r.json")])
    runs = results["youtube"]["runs"]
    assert list(runs) == ["weaksup", "entropy only", "random (mean)"]
    assert [h["reviewed"] for h in runs["weaksup"]] == [0, 10, 20]
    assert runs["weaksup"][0]["test_accuracy"] == runs["random (mean)"][0]["test_accuracy"]  # same start
    assert runs["weaksup"][-1]["pool_accuracy"] > runs["weaksup"][0]["pool_accuracy"]  # reviewed rows are right
    assert sum(runs["weaksup"][0]["next_batch"]["reasons"].values()) == 10
    assert runs["entropy only"][0]["next_batch"]["no_votes"] == 10  # entropy alone: only rows without votes
    out = capsys.readouterr().out
    assert "test accuracy (abstain = wrong):" in out and "weaksup batches by reason:" in out
    assert json.loads((tmp_path / "r.json").read_text())["labels"] == "label_model"


@pytest.mark.slow
def test_many_lfs_runs_with_the_report_on_and_off(tmp_path):
    result = _load("many_lfs").main(["--rows", "2000", "--lfs", "20", "60", "--chunk-rows", "500",
                                     "--workdir", str(tmp_path), "--json", str(tmp_path / "many.json")])
    assert json.loads((tmp_path / "many.json").read_text()) == result
    assert [run["lfs"] for run in result["runs"]] == [20, 60]
    for run in result["runs"]:
        assert run["report"]["peak_rss_mb"] > 0 and run["no_report"]["peak_rss_mb"] > 0 and run["wall_ratio"] > 0
