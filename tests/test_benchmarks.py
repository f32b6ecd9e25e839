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
                                           "--budget", "10", "--seeds", "2", "--youtube-lfs", "dev-written",
                                           "--json", str(tmp_path / "r.json")])
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


# -- label_models.py: the label-model harness ----------------------------------------------------------------------
def _label_model_folders(tmp_path):
    """crowd_bird (108 rows: train 76, valid 11, test 21) and a test-only folder made from its test split."""
    from tests.conftest import SHARED_DATA

    source = SHARED_DATA / "crowd_bird"
    if not source.exists():
        pytest.skip(f"shared data 'crowd_bird' not found under {SHARED_DATA} (set WEAKSUP_SHARED_DATA)")
    for folder, files in (("bird", ("label.json", "train.json", "valid.json", "test.json")),
                          ("bird_test_only", ("label.json", "test.json"))):
        (tmp_path / folder).mkdir()
        for name in files:
            (tmp_path / folder / name).write_bytes((source / name).read_bytes())
    return tmp_path


@pytest.mark.slow
def test_label_models_harness_json_learning_curve_and_test_only_folder(tmp_path, capsys):
    data = _label_model_folders(tmp_path)
    bench = _load("label_models")
    out = tmp_path / "r.json"
    result = bench.main(["--data", str(data), "--dev-sizes", "5,10,all", "--repeats", "3", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    names = bench.model_names()
    assert names[0] == "MajorityVote" and names[-1] == "default"
    for dataset in ("bird", "bird_test_only"):
        assert set(saved[dataset]) == set(names)
        for model, entry in saved[dataset].items():
            if "error" not in entry:  # e.g. Snorkel not installed
                assert {"metric", "test", "fit_s", "ece", "brier"} <= set(entry), (dataset, model)
                assert 0 <= entry["ece"] <= 1 and 0 <= entry["brier"] <= 2 and 0 <= entry["test"] <= 100
    assert "valid" in saved["bird"]["default"] and saved["bird"]["default"]["model"] != "MajorityVote"
    # the test-only folder: fitted on its test votes; every dev-aware model falls back to the unsupervised default
    for model, entry in saved["bird_test_only"].items():
        assert entry["note"].startswith("no dev split: fitted transductively") and "valid" not in entry
        if bench.is_dev_aware(model):
            assert entry["model"] == "MajorityVote" and entry["note"].endswith("unsupervised (MajorityVote)")
            assert entry["test"] == saved["bird_test_only"]["MajorityVote"]["test"]
    assert saved["bird_test_only"]["MajorityVote"]["test"] == saved["bird"]["MajorityVote"]["test"]  # same rows
    # the learning curve: sizes drawn from the 11 valid rows, repeated; 'all' once; dev-free models constant
    curve = saved["learning_curve"]
    assert list(curve) == ["bird"] and list(curve["bird"]) == ["5", "10", "all"]
    assert [(curve["bird"][s]["default"]["n_dev"], curve["bird"][s]["default"]["repeats"]) for s in curve["bird"]] \
        == [(5, 3), (10, 3), (11, 1)]
    assert curve["bird"]["all"]["default"]["test"] == saved["bird"]["default"]["test"]
    assert curve["bird"]["all"]["default"]["std"] == 0
    assert curve["bird"]["5"]["MajorityVote"] == {**{k: saved["bird"]["MajorityVote"][k] for k in
                                                     ("test", "ece", "brier")}, "std": 0.0, "n_dev": 0, "repeats": 1}
    assert set(saved["averages"]) == {"WRENCH-7", "all"} and saved["averages"]["all"]["default"]["n"] == 2
    assert set(saved["targets"]) == {"bird", "bird_test_only"}
    assert saved["targets"]["bird_test_only"]["default_minus_mv"] == 0 and saved["targets"]["bird_test_only"]["ok_ece"]
    printed = capsys.readouterr().out
    assert "ECE of predict_proba" in printed and "Brier score" in printed and "check bird_test_only" in printed
    assert "learning curve" in printed and "avg all (2)" in printed


def test_label_models_learning_curve_draws_are_deterministic(tmp_path):
    from weaksup.datasets import load_wrench

    data = _label_model_folders(tmp_path)
    bench = _load("label_models")
    valid_file = data / "bird" / "valid.json"
    rows = json.loads(valid_file.read_text())
    rows[next(iter(rows))]["label"] = -1  # one dev row without gold: left out of every dev fit and draw
    valid_file.write_text(json.dumps(rows))
    ds = load_wrench(data / "bird")
    valid, test, votes = ds.splits["valid"], ds.splits["test"], ds.splits["train"].votes
    results, curve = bench.run_dataset(data / "bird", set(), dev_sizes=["all"], models=["MajorityVote", "default"])
    assert not [model for model, entry in results.items() if "error" in entry]
    assert curve["all"]["default"]["n_dev"] == 10 and curve["all"]["default"]["test"] == results["default"]["test"]
    args = (results, 2, "acc", votes, valid, test, ["4", "all"], 4)
    first, again = bench.learning_curve(*args, seed=7), bench.learning_curve(*args, seed=7)
    assert first == again and first["4"]["default"]["repeats"] == 4
    assert valid.sample(4, seed=7).votes.row_ids.tolist() != valid.sample(4, seed=8).votes.row_ids.tolist()
    single = bench.main(["--data", str(data / "bird_test_only"), "--models", "DawidSkene"])  # one dataset folder
    assert list(single)[:1] == ["bird_test_only"] and single["bird_test_only"]["default"]["model"] == "MajorityVote"
    assert list(single["bird_test_only"]) == ["MajorityVote", "DawidSkene", "default"]
    with pytest.raises(SystemExit):
        bench.main(["--data", str(data), "--models", "NoSuchModel"])
    with pytest.raises(SystemExit, match="--dev-sizes"):
        bench.parse_sizes("10,x,-2")
    assert bench.parse_sizes("10, 20,all") == ["10", "20", "all"] and bench.parse_sizes(None) is None


@pytest.mark.slow
@pytest.mark.snorkel
def test_label_models_scale_reports_rows_right_and_time_ratio(capsys):
    bench = _load("label_models")
    result = bench.scale(rows=20000, lfs=8, dev_rows=300)
    assert result["rows_right_difference"] == result["default_rows_right"] - result["snorkel_rows_right"]
    assert result["default_acc"] == round(result["default_rows_right"] / 20000, 6)
    assert result["targets_met"] == {"rows_right": result["rows_right_difference"] >= 0,
                                     "half_time": result["time_ratio_default_over_snorkel"] <= 0.5}
    bench.print_scale(result)
    printed = capsys.readouterr().out
    assert "rows right, default - Snorkel:" in printed and "Bayes-optimal" in printed and "target <= 0.5" in printed


def test_label_model_devcheck_scores_each_model_on_dev_rows_it_did_not_fit():
    import numpy as np

    from weaksup.datasets import Split
    from weaksup.votes import VoteMatrix

    devcheck = _load("label_model_devcheck")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    votes = np.where(rng.random((400, 4)) < 0.6, np.where(rng.random((400, 4)) < 0.8, y[:, None], 1 - y[:, None]), -1)
    dev = Split(VoteMatrix(votes[300:]), y[300:])
    pairs = devcheck.held_out_draws(dev, 10, 3)
    assert len(pairs) == 3 and all(len(a) == 10 and len(b) == 90 and not set(a) & set(b) for a, b in pairs)
    assert [a.tolist() for a, _ in pairs] == [a.tolist() for a, _ in devcheck.held_out_draws(dev, 10, 3)]
    assert devcheck.held_out_draws(dev, 100, 3) == []  # nothing left to score on
    models = dict(devcheck.parse_model(s) for s in ("default", "default:thin_dev=0"))
    result = devcheck.dev_check(votes[:300], dev, 2, "acc", models, 10, 3)
    assert set(result) == {"MajorityVote", "DawidSkene", "default", "default:thin_dev=0"}
    assert all(entry["draws"] == 3 and 50 < entry["score"] <= 100 and 0 <= entry["ece"] <= 1
               for entry in result.values())
    with pytest.raises(SystemExit, match="unknown model"):
        devcheck.parse_model("NoSuchModel")


def test_label_models_ece_check_is_met_when_no_row_was_given_a_class():
    # a set no LF covers: every model's rows are ties, so ECE is NaN for all (not a missed target); a real gap is
    tables = _load("label_model_tables")
    nan = float("nan")
    results = {"uncovered": {"default": {"test": 50.0, "ece": nan}, "MajorityVote": {"test": 50.0, "ece": nan}},
               "worse": {"default": {"test": 60.0, "ece": 0.2}, "MajorityVote": {"test": 55.0, "ece": 0.1}},
               "one_side": {"default": {"test": 50.0, "ece": nan}, "MajorityVote": {"test": 50.0, "ece": 0.1}}}
    checks = tables.targets(results)
    assert checks["uncovered"]["ok_ece"] and checks["uncovered"]["ok"]
    assert not checks["worse"]["ok_ece"] and not checks["worse"]["ok"]
    assert not checks["one_side"]["ok_ece"]  # nothing compared: not a pass
