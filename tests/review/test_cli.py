"""``weaksup review`` end to end, and the full loop on the YouTube example: run -> export -> simulated
annotators answer from the UCI labels -> import -> re-run -> the gold set grew and the run uses the new version."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.review.helpers import cli, ls_export, repoint_gold, write_json


@pytest.fixture(scope="module")
def first_run(shipped_run):
    """One run of the shipped config on a copy of the gold set (shared by the session: copy what you change)."""
    return shipped_run


@pytest.mark.slow
def test_full_review_loop_on_youtube(first_run, tmp_path, capsys, monkeypatch, youtube):
    monkeypatch.chdir(REPO)
    base = tmp_path / "loop"
    shutil.copytree(first_run, base)
    run_dir, gold_dir = repoint_gold(base / "run", base / "gold"), base / "gold"  # the run reads the copy
    before = json.loads((run_dir / "run.json").read_text())
    assert before["gold"]["version"] == 1

    code, out, err = cli(capsys, "review", "export", run_dir, "--budget", 60, "--out", base / "tasks.json",
                         "--field", "author")
    assert code == 0, err
    assert "60 row(s) in the review queue: the run counts" in out and "masked: 60 value(s) in 'author'" in out
    tasks = json.loads((base / "tasks.json").read_text())
    assert len(tasks) == 60 and all(t["data"]["author"] == "<REDACTED>" for t in tasks)
    assert (base / "tasks.labeling_config.xml").is_file()
    gold_ids = set(pd.read_csv(gold_dir / "labels.csv", dtype=str)["row_id"])
    exported = [t["data"]["row_id"] for t in tasks]
    assert not set(exported) & gold_ids  # rows with gold are never sent again
    assert len({t["data"]["text"].lower() for t in tasks}) >= 55  # few exact repeats in one batch

    truth = youtube.set_index("row_id")["label"]
    answers = {}
    for i, rid in enumerate(exported):
        answers[rid] = [(1, truth[rid])]
        if i < 20:  # a second annotator on a third of the tasks: two disagreements
            other = {"ham": "spam", "spam": "ham"}[truth[rid]] if i in (3, 7) else truth[rid]
            answers[rid].append((2, other))
        if i == 30:
            answers[rid].append((3, None))  # cancelled
    write_json(ls_export(tasks, answers), base / "export.json")
    code, out, err = cli(capsys, "review", "import", base / "export.json", "--task", "youtube_spam", "--gold-dir",
                         gold_dir, "--run", run_dir)
    assert code == 0, err
    assert "80 annotation(s) of 60 row(s); left out: 1 cancelled" in out
    assert "v1 -> v2" in out and "60 new row(s)" in out and "2 row(s) with disagreeing labels" in out
    assert "agreement over 20 row(s)" in out

    from weaksup.gold import load_gold

    gold = load_gold(gold_dir)
    # two of the 60 new dev rows tie (1 vs 1): counted as what the labels use, 58 of them
    assert gold.version == 2 and gold.counts() == {"dev": 286 + 58, "test": 290} and gold.tied() == {"dev": 2}
    assert set(gold.frame.loc[gold.frame["annotator"] == "user-1", "row_id"]) == set(exported)

    from weaksup.config import load_config
    from weaksup.pipeline import load_run, run

    config = load_config(REPO / "configs" / "youtube_spam.toml",
                         [f"output.path={run_dir / 'labels.parquet'}", f"gold.path={gold_dir}", "mlflow.enabled=false"])
    result = run(config, progress=False)
    after = json.loads((run_dir / "run.json").read_text())
    assert after["gold"]["version"] == 2 and after["gold"]["hash"] == gold.hash
    assert after["gold"]["counts"]["dev"] == 286 + 58
    assert "accuracy" in after["metrics"]
    assert result.status_counts["reviewed"] == 286 + 60 - 2  # the two tied rows have no majority label
    report = " ".join(re.sub(r"<[^>]+>", " ", (run_dir / "report.html").read_text(encoding="utf-8")).split())
    assert f"gold set youtube_spam v2 (hash {gold.hash} )" in report
    assert re.search(r"on the 290 test gold rows(, within noise)? ?(\(by \d+ of 290 rows\)|\(\d+ of 290 rows\))?: accuracy 0\.\d+", report)
    labels = load_run(run_dir).labels.set_index("row_id")
    agreed = [r for i, r in enumerate(exported) if i not in (3, 7)]
    assert (labels.loc[agreed, "review_status"] == "reviewed").all()
    assert (labels.loc[agreed, "label"] == truth[agreed]).all()


def test_export_csv_and_import_sheet(first_run, tmp_path, capsys, monkeypatch, youtube):
    monkeypatch.chdir(REPO)
    gold_dir = shutil.copytree(first_run / "gold", tmp_path / "gold")
    code, out, err = cli(capsys, "review", "export", first_run / "run", "--format", "csv", "--budget", 5, "--out",
                         tmp_path / "sheet.csv", "--threshold", 0.99, "--class-threshold", "spam=0.999")
    assert code == 0, err
    sheet = pd.read_csv(tmp_path / "sheet.csv", dtype=str, keep_default_na=False)
    assert len(sheet) == 5 and (sheet["label"] == "").all()
    sheet["label"] = youtube.set_index("row_id").loc[sheet["row_id"], "label"].to_numpy()
    sheet.to_csv(tmp_path / "filled.csv", index=False)
    code, out, err = cli(capsys, "review", "import", tmp_path / "filled.csv", "--task", "youtube_spam", "--gold-dir",
                         gold_dir, "--annotator", "kim", "--split", "test")
    assert code == 0, err
    from weaksup.gold import load_gold

    gold = load_gold(gold_dir)
    assert gold.version == 2 and gold.counts()["test"] == 295
    assert (gold.frame.loc[gold.frame["annotator"] == "kim", "split"] == "test").all()


def test_bad_input_exits_2_naming_the_culprit(first_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    gold_dir = shutil.copytree(first_run / "gold", tmp_path / "gold")
    run_dir = repoint_gold(shutil.copytree(first_run / "run", tmp_path / "run"), gold_dir)
    tasks = [{"data": {"row_id": "z13", "text": "hi"}}, {"data": {"row_id": "z14", "text": "yo"}}]
    write_json(ls_export(tasks, {"z13": [(1, "spam")], "z14": [(1, "SPAM")]}), tmp_path / "bad.json")
    code, _, err = cli(capsys, "review", "import", tmp_path / "bad.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir)
    assert code == 2 and "Traceback" not in err
    assert "bad.json: task 2, annotation 102: row_id 'z14': label 'SPAM' by 'user-1' is not in the label space" in err
    assert "['ham', 'spam'] (did you mean 'spam'?)" in err
    write_json(ls_export(tasks, {"z13": [(1, "spam")]}), tmp_path / "ids.json")
    code, _, err = cli(capsys, "review", "import", tmp_path / "ids.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir, "--run", run_dir)
    assert code == 2 and "task 1: row_id 'z13' is not a row of the dataset" in err
    code, _, err = cli(capsys, "review", "import", tmp_path / "bad.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir, "--run", run_dir)  # two kinds of problem: both in one error
    assert code == 2 and "has 3 problems" in err and "label 'SPAM' by 'user-1' is not in the label space" in err
    assert "task 1: row_id 'z13' is not a row of the dataset" in err and "row_id 'z14' is not a row" in err
    (tmp_path / "broken.json").write_text("[{\"id\": 1,")
    code, _, err = cli(capsys, "review", "import", tmp_path / "broken.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir)
    assert code == 2 and "broken.json:1:" in err and "not valid JSON" in err
    code, _, err = cli(capsys, "review", "import", tmp_path / "bad.json", "--task", "other", "--gold-dir", gold_dir)
    assert code == 2 and "for task 'youtube_spam', not 'other'" in err
    code, _, err = cli(capsys, "review", "import", tmp_path / "bad.json", "--task", "new")
    assert code == 2 and "pass --run RUN_DIR" in err
    shipped = (REPO / "gold_sets" / "youtube_spam" / "manifest.json").read_bytes()
    code, _, err = cli(capsys, "review", "import", tmp_path / "ids.json", "--task", "youtube_spam")  # the repo's own
    assert code == 2 and "is a shipped example's, inside the weaksup package" in err and "weaksup init DIR" in err
    assert (REPO / "gold_sets" / "youtube_spam" / "manifest.json").read_bytes() == shipped
    code, _, err = cli(capsys, "review", "import", tmp_path / "bad.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir, "--format", "xml")
    assert code == 2 and "unknown --format 'xml'" in err
    code, _, err = cli(capsys, "review", "export", tmp_path, "--out", tmp_path / "t.json")
    assert code == 2 and "not a run folder" in err and not (tmp_path / "t.json").exists()
    code, _, err = cli(capsys, "review", "export", first_run / "run", "--format", "xlsx")
    assert code == 2 and "unknown --format 'xlsx'" in err
    code, _, err = cli(capsys, "review", "export", first_run / "run", "--class-threshold", "spam", "--out",
                       tmp_path / "t.json")
    assert code == 2 and "--class-threshold takes CLASS=NUMBER" in err and not (tmp_path / "t.json").exists()
    from weaksup.pipeline import load_run
    from weaksup.pipeline.paths import run_reads

    finished = load_run(first_run / "run")
    for target in [run_reads(finished.config)[0].path, finished.labels_path, first_run / "gold" / "labels.csv"]:
        before = target.read_bytes()
        code, _, err = cli(capsys, "review", "export", first_run / "run", "--format", "csv", "--out", target)
        assert code == 2 and "writing it would destroy what the run" in err and str(target) in err
        assert target.read_bytes() == before  # never overwritten by an export
    from weaksup.gold import load_gold

    assert load_gold(gold_dir).version == 1  # nothing was written by the failed imports


def test_import_checks_row_ids_against_the_config_or_says_it_could_not(tmp_path, capsys, youtube):
    gold_dir = shutil.copytree(REPO / "gold_sets" / "youtube_spam", tmp_path / "gold")
    known = youtube.loc[~youtube["row_id"].isin(pd.read_csv(gold_dir / "labels.csv")["row_id"]), "row_id"].iloc[0]
    tasks = [{"data": {"row_id": known, "text": "hi"}}, {"data": {"row_id": "not-in-data-1", "text": "yo"}}]
    write_json(ls_export(tasks, {known: [(1, "spam")], "not-in-data-1": [(1, "ham")]}), tmp_path / "e.json")
    config = tmp_path / "youtube_spam.toml"  # the shipped config, reading the gold set copied
    config.write_text((REPO / "configs" / "youtube_spam.toml").read_text(encoding="utf-8").replace(
        'path = "gold_sets/youtube_spam"', f"path = {json.dumps(str(gold_dir))}"), encoding="utf-8")
    args = ["review", "import", tmp_path / "e.json", "--task", "youtube_spam", "--gold-dir", gold_dir]
    code, _, err = cli(capsys, *args, "--config", config)
    assert code == 2 and "task 2: row_id 'not-in-data-1' is not a row of the dataset" in err
    assert f"row_id {known!r}" not in err and "Traceback" not in err
    write_json(ls_export(tasks, {known: [(1, "SPAM")], "not-in-data-1": [(1, "ham")]}), tmp_path / "two.json")
    code, _, err = cli(capsys, "review", "import", tmp_path / "two.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir, "--config", config)  # two kinds of problem, one error: not one per run
    assert code == 2 and "has 2 problems" in err and "label 'SPAM' by 'user-1' is not in the label space" in err
    assert "row_id 'not-in-data-1' is not a row of the dataset" in err
    code, _, err = cli(capsys, *args, "--config", config, "--run", tmp_path)
    assert code == 2 and "--run and --config both name the data; give one" in err
    from weaksup.gold import load_gold

    assert load_gold(gold_dir).version == 1  # refused: nothing written
    code, out, err = cli(capsys, *args)  # without the data: imported, and the summary says what was not checked
    assert code == 0, err
    assert "2 new row id(s) not checked against the data" in out and "'not-in-data-1'" in out
    write_json(ls_export(tasks[:1], {known: [(2, "spam")]}), tmp_path / "clean.json")
    code, _, err = cli(capsys, "review", "import", tmp_path / "clean.json", "--task", "youtube_spam", "--gold-dir",
                       gold_dir, "--config", config)  # the gold row that import added is named, with the fix
    assert code == 2 and "gold row 'not-in-data-1' (already in the gold set) is not a row of the dataset" in err
    assert "write a version without them" in err and load_gold(gold_dir).version == 2


@pytest.mark.slow
def test_export_refuses_a_misspelt_sensitive_field_and_an_out_that_is_a_folder(first_run, tmp_path, capsys):
    run_dir = shutil.copytree(first_run / "run", tmp_path / "run")
    code, _, err = cli(capsys, "review", "export", run_dir, "--format", "csv", "--out", tmp_path)
    assert code == 2 and "Traceback" not in err
    assert f"cannot write {str(tmp_path)!r} (Is a directory); {str(tmp_path)!r} is a folder: give a file path" in err
    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    manifest["config"]["review"]["sensitive_fields"] = ["autor"]  # the column is author: it would go out in clear
    (run_dir / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = cli(capsys, "review", "export", run_dir, "--field", "author", "--format", "csv", "--out",
                       tmp_path / "x.csv")
    assert code == 2 and "review.sensitive_fields names 'autor' (did you mean 'author'?)" in err, err
    assert not (tmp_path / "x.csv").exists()


def test_a_task_name_close_to_an_existing_gold_sets_is_taken_for_a_typo(first_run, tmp_path, capsys, monkeypatch):
    # `--task youtube_spma` silently started a second, new gold set beside gold_sets/youtube_spam
    (tmp_path / "gold_sets").mkdir()
    shutil.copytree(first_run / "gold", tmp_path / "gold_sets" / "youtube_spam")
    monkeypatch.chdir(tmp_path)
    tasks = [{"data": {"row_id": "z13", "text": "hi"}}]
    write_json(ls_export(tasks, {"z13": [(1, "spam")]}), tmp_path / "one.json")
    code, _, err = cli(capsys, "review", "import", tmp_path / "one.json", "--task", "youtube_spma")
    assert code == 2 and "did you mean --task youtube_spam?" in err
    assert "give --gold-dir gold_sets/youtube_spma" in err and not (tmp_path / "gold_sets" / "youtube_spma").exists()


def test_a_config_choosing_the_gold_folder_is_no_typo_for_a_sibling_gold_sets(tmp_path, capsys, monkeypatch):
    # gold.path = "gold/tickets": `--task tickets --config C` was refused as a typo of gold_sets/tickets_v1, and the
    # advice (--gold-dir gold_sets/tickets) then refused as not the config's gold.path
    from tests.review.helpers import tickets_project
    from weaksup.gold import load_gold

    project = tickets_project(tmp_path / "p")
    shutil.copytree(project / "gold" / "tickets", project / "gold_sets" / "tickets_v1")
    monkeypatch.chdir(project)
    write_json(ls_export([{"data": {"row_id": "T0030", "text": "app crashes"}}], {"T0030": [(1, "bug")]}),
               project / "one.json")
    code, out, err = cli(capsys, "review", "import", project / "one.json", "--task", "tickets", "--config",
                         "config.toml")
    assert code == 0, err
    assert "did you mean" not in err and load_gold(project / "gold" / "tickets").version == 2
    assert not (project / "gold_sets" / "tickets").exists()
    assert load_gold(project / "gold_sets" / "tickets_v1").version == 1
