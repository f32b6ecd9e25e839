"""``[gold] version``: a run pinned to a gold set version scores on that version's labels and says so."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.cli import main
from weaksup.errors import GoldSetError
from weaksup.report.command import report_config, run_report


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The shipped youtube_spam gold set (a copy, v1) and a run config of the shipped example reading it."""
    shutil.copytree(REPO / "gold_sets" / "youtube_spam", tmp_path / "gold", symlinks=False)
    (tmp_path / "run.toml").write_text(
        '[task]\nname = "youtube_spam"\nlabels = ["ham", "spam"]\n[input]\nexample = "youtube_spam"\n'
        f'[lfs]\nmodules = ["{REPO / "labeling_functions" / "youtube_spam.py"}"]\n'
        '[end_model]\nenabled = false\n[gold]\npath = "gold"\n'
        '[output]\npath = "out/labels.parquet"\nreport = false\n[mlflow]\nenabled = false\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def add_v2(capsys, folder):
    """Version 2: the first 20 test labels flipped (``weaksup gold add``)."""
    rows = pd.read_csv(folder / "gold" / "labels.csv", dtype=str)
    flipped = rows[rows["split"] == "test"].head(20).assign(
        label=lambda f: f["label"].map({"ham": "spam", "spam": "ham"}))
    flipped.to_csv(folder / "flipped.csv", index=False)
    code, out, err = cli(capsys, "gold", "add", folder / "gold", "--from", folder / "flipped.csv")
    assert code == 0, err
    assert "v2" in out


def run_json(folder):
    return json.loads((folder / "out" / "run.json").read_text(encoding="utf-8"))


def test_a_run_pinned_to_v1_scores_on_v1_and_says_so(project, capsys):
    code, _, err = cli(capsys, "run", "run.toml")
    assert code == 0, err
    before = run_json(project)
    add_v2(capsys, project)

    code, _, err = cli(capsys, "run", "run.toml")
    latest = run_json(project)
    assert code == 0, err
    assert latest["gold"]["version"] == 2 and "pinned" not in latest["gold"]["describe"]
    assert latest["metrics"]["accuracy"] != before["metrics"]["accuracy"]  # (v2 moves the figures)

    code, out, err = cli(capsys, "run", "run.toml", "--set", "gold.version=1")
    pinned = run_json(project)
    assert code == 0, err
    assert pinned["metrics"] == before["metrics"]  # v1's labels: the figures of the run before v2 existed
    assert pinned["gold"]["version"] == 1 and pinned["gold"]["hash"] == before["gold"]["hash"]
    assert pinned["config"]["gold"]["version"] == 1
    assert "youtube_spam v1 (pinned; v2 is the latest; hash" in pinned["gold"]["describe"]
    assert "youtube_spam v1 (pinned; v2 is the latest; hash" in out

    from weaksup.pipeline import load_run

    assert load_run(project / "out").gold.version == 1  # read back at the version it scored on, not the latest

    code, out, err = cli(capsys, "run", "run.toml", "--set", "gold.version=2")
    assert code == 0, err
    assert "youtube_spam v2 (pinned, the latest; hash" in out


def test_a_finished_run_reads_back_the_gold_version_it_scored_on(project, capsys):
    # before: load_run(...).gold read the latest version, whatever the run was measured against
    code, _, err = cli(capsys, "run", "run.toml")
    assert code == 0, err
    add_v2(capsys, project)
    from weaksup.pipeline import load_run

    gold = load_run(project / "out").gold
    assert gold is not None and gold.version == 1 and gold.hash == run_json(project)["gold"]["hash"]


@pytest.mark.parametrize("value, message", [
    ("5", "gold.version = 5: "), ("0", "gold.version must be a positive whole number"),
    ("'v1'", "gold.version must be an integer"),
])
def test_a_bad_gold_version_exits_2_naming_the_key(project, capsys, value, message):
    add_v2(capsys, project)
    code, out, err = cli(capsys, "run", "run.toml", "--set", f"gold.version={value}")
    assert code == 2
    assert message in err and "Traceback" not in err + out
    if value == "5":
        assert "it has [1, 2]" in err


def test_weaksup_report_names_its_gold_version_flag(project, capsys):
    add_v2(capsys, project)
    config = report_config(gold=str(project / "gold"), gold_version=5, out=str(project / "r" / "report.html"),
                           tracking=False, end_model=False)
    assert config.gold.version == 5
    with pytest.raises(GoldSetError, match=r"--gold-version = 5: .*it has \[1, 2\]"):
        run_report(config, "report")


def test_weaksup_report_gold_version_flag_exits_2_on_an_unknown_version(project, capsys):
    add_v2(capsys, project)
    code, out, err = cli(capsys, "report", "--gold", project / "gold", "--gold-version", "7", "--no-end-model",
                         "--no-tracking", "--out", project / "r" / "report.html")
    assert code == 2 and "Traceback" not in out + err
    assert "--gold-version = 7: " in err and "it has [1, 2]" in err
