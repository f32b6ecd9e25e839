"""`weaksup compare RUN_A RUN_B` and the line a `weaksup run` prints against the run it replaced (two real runs of a
small project, one LF changed between them)."""

from __future__ import annotations

import json

import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
from weaksup.gold import write_gold
from weaksup.pipeline import load_run


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture
def two_runs(tmp_path, youtube, monkeypatch, capsys):
    """The project's runs before and after `short_comment` changed: ``out`` holds the second (and the first as
    previous_run.json), ``first`` a copy of the first; returns the second run's output."""
    import shutil

    sample = youtube.iloc[:400]
    make_project(tmp_path, sample)
    monkeypatch.chdir(tmp_path)
    rows = sample.loc[lambda d: d["split"] != "unlabeled", ["row_id", "label", "split"]]
    write_gold(rows, tmp_path / "gold", task="yt", label_space=["ham", "spam"])
    config = write_config(tmp_path, label_model={"name": "default"}, gold={"path": "gold"})
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 0, err
    assert "against the previous run" not in out and not (tmp_path / "out" / "previous_run.json").exists()
    shutil.copytree(tmp_path / "out", tmp_path / "first")
    lfs = tmp_path / "quick_lfs.py"
    lfs.write_text(lfs.read_text(encoding="utf-8").replace("len(x.text) < 20", "len(x.text) < 40"), encoding="utf-8")
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 0, err
    return out


def test_a_second_run_keeps_the_first_as_previous_run_and_says_what_changed(two_runs, tmp_path):
    first = json.loads((tmp_path / "first" / "run.json").read_text(encoding="utf-8"))
    second = load_run(tmp_path / "out")  # (its parts, previous_run.json among them, agree with its run.json)
    assert (tmp_path / "out" / "previous_run.json").read_text(encoding="utf-8") == \
        (tmp_path / "first" / "run.json").read_text(encoding="utf-8")
    assert second.manifest["outputs"]["previous_run"] == "previous_run.json"
    was, now = first["metrics"]["final/accuracy"], second.manifest["metrics"]["final/accuracy"]
    assert (f"against the previous run in this folder: 1 LF changed (short_comment); final accuracy {was:.3f} -> "
            f"{now:.3f}") in two_runs


def test_compare_prints_the_changed_lf_the_gold_and_the_figures_with_deltas(two_runs, tmp_path, capsys):
    first = json.loads((tmp_path / "first" / "run.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    code, out, err = _cli(capsys, "compare", "first", "out")
    assert code == 0, err
    old = next(lf["version"] for lf in first["lfs"] if lf["name"] == "short_comment")
    new = next(lf["version"] for lf in second["lfs"] if lf["name"] == "short_comment")
    assert old != new and f"  changed short_comment {old} -> {new}" in out
    assert "added" not in out and "removed" not in out
    assert f"gold: A yt v1 (hash {first['gold']['hash']}, split test); B yt v1" in out
    assert "different gold" not in out
    assert f"data hash: A {first['data_hash']}; B {first['data_hash']} (same)" in out and first["data_hash"]
    assert "label model A: default (fitted DevNaiveBayes), seed 0, params {}" in out
    for name, section, key in [("conflict", "vote_stats", "conflict"), ("final/accuracy", "metrics", "final/accuracy"),
                               ("label model macro_f1", "metrics", "macro_f1")]:
        a, b = first[section][key], second[section][key]
        assert f"{name} " in out and f"{a:8.3f}  {b:8.3f}  {b - a:+8.3f}" in out, name
    assert f"verdict A: {first['verdict']}" in out and first["verdict"]
    # the same diff for machines; the folder's previous_run.json is the first run
    code, text, err = _cli(capsys, "compare", "out/previous_run.json", "out", "--json")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["lfs_changed"] == [["short_comment", old, new]] and doc["gold"]["a"] == doc["gold"]["b"]
    final = next(f for f in doc["figures"] if f["name"] == "final/accuracy")
    assert final["delta"] == pytest.approx(second["metrics"]["final/accuracy"] - first["metrics"]["final/accuracy"])


def test_compare_names_gold_of_another_version_and_lfs_added_or_removed(two_runs, tmp_path, capsys):
    doc = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    doc["gold"]["version"] = 2
    doc["lfs"] = [lf for lf in doc["lfs"] if lf["name"] != "kw_song"] + [{"name": "kw_new", "version": "abc"}]
    doc["task_type"], doc["metrics"] = "spans", {"f1": 0.5}  # (another task type's metrics: shown where both have them)
    (tmp_path / "other.json").write_text(json.dumps({**doc, "format": "weaksup.Run"}), encoding="utf-8")
    code, out, err = _cli(capsys, "compare", "first", "other.json")
    assert code == 0, err
    assert "figures are on different gold: yt v1" in out and "vs yt v2" in out
    assert "  added   kw_new@abc" in out and "  removed kw_song@" in out
    assert "conflict " in out and "final/accuracy" not in out


def test_compare_of_a_folder_without_run_json_exits_2_naming_it_and_the_fix(two_runs, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out, err = _cli(capsys, "compare", "empty", "out")
    assert code == 2 and "empty: not a run folder (no run.json)" in err and "weaksup run CONFIG" in err, err
    assert "Traceback" not in err + out
