"""The `weaksup` command: every command that logs to MLflow takes --no-tracking (and --tracking)."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from weaksup.cli import app, main
from weaksup.gold import write_gold

#: The commands that log a run to MLflow (``apply`` and ``fit`` stop before the run is logged).
TRACKED = ["demo", "report", "run"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:400])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_port()}")  # nobody listens there
    return tmp_path


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_every_command_that_logs_to_mlflow_takes_no_tracking():
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    with_option = sorted(name for name, command in commands.items()
                         if any("--no-tracking" in getattr(p, "secondary_opts", []) for p in command.params))
    assert with_option == TRACKED


def test_run_no_tracking_turns_off_the_configs_mlflow(project, capsys):
    config = write_config(project, mlflow={"enabled": True})
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 0 and "MLflow" not in err and "MLflow run" not in out and "400 rows" in out
    code, out, err = _cli(capsys, "run", str(config), "--no-tracking", "--set", "mlflow.require=true")
    assert code == 2 and "mlflow.require = true but mlflow.enabled = false" in err


@pytest.mark.mlflow
def test_run_require_tracking_fails_before_any_work_when_mlflow_is_unreachable(project, capsys):
    config = write_config(project, mlflow={"enabled": False})
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--require-tracking")
    assert code == 2 and "unreachable" in err and not (project / "out" / "labels.parquet").exists()
    code, _, err = _cli(capsys, "run", str(config), "--require-tracking", "--no-tracking")
    assert code == 2 and "contradict each other" in err


@pytest.mark.mlflow
def test_run_tracking_follows_the_config_unless_a_flag_says_otherwise(project, capsys):
    config = write_config(project, mlflow={"enabled": True})
    code, out, err = _cli(capsys, "run", str(config), "--no-progress")
    assert code == 0 and "is unreachable" in err and "this run will NOT be logged to MLflow" in err
    off = write_config(project, "off.toml", mlflow={"enabled": False})
    code, out, err = _cli(capsys, "run", str(off), "--no-progress")
    assert code == 0 and "MLflow" not in err
    code, out, err = _cli(capsys, "run", str(off), "--no-progress", "--tracking")  # the other way round
    assert code == 0 and "is unreachable" in err


@pytest.mark.parametrize("command", ["apply", "fit"])
def test_apply_and_fit_never_log(project, capsys, command):
    code, out, err = _cli(capsys, command, str(write_config(project, mlflow={"enabled": True})), "--no-progress")
    assert code == 0 and "MLflow" not in err
    if command == "apply":  # the LF summary's kind column is filled (it was blank for every LF)
        assert "keyword" in out and "generic" in out
    code, _, err = _cli(capsys, command, str(write_config(project)), "--no-tracking")
    assert code == 2 and "No such option: --no-tracking" in err


@pytest.mark.slow  # (a whole report on the shipped example: about a minute on a busy machine)
def test_report_no_tracking(youtube_registry, project, capsys):
    out_file = project / "r.html"
    argv = ["report", "--gold", str(REPO / "gold_sets" / "youtube_spam"), "--out", str(out_file)]
    code, out, err = _cli(capsys, *argv, "--no-tracking")
    assert code == 0 and "MLflow" not in err and out_file.exists() and "MLflow run" not in out
    code, _, err = _cli(capsys, *argv, "--no-tracking", "--require-tracking")
    assert code == 2 and "contradict each other" in err


def test_the_report_is_never_written_over_a_data_gold_or_config_file(project, capsys):
    for name in ("comments.csv", "run.toml", "gold/manifest.json"):
        target = project / name
        before = target.read_bytes() if target.exists() else None
        code, _, err = _cli(capsys, "report", "--no-tracking", "--out", str(target))
        assert code == 2 and "the report is an HTML file; give a path ending in .html" in err
        assert (target.read_bytes() if target.exists() else None) == before


def test_a_report_path_that_is_a_folder_exits_2_naming_the_flag_and_writes_nothing(project, capsys):
    (project / "taken.html").mkdir()
    code, _, err = _cli(capsys, "report", "--no-tracking", "--out", str(project / "taken.html"))
    assert code == 2 and f"--out {project / 'taken.html'} is a folder; give the path of a file" in err
    assert "output.report_path" not in err and not (project / "taken").exists()


def test_a_run_whose_output_path_is_a_folder_exits_2(project, capsys):
    (project / "out" / "labels.parquet").mkdir(parents=True)
    code, _, err = _cli(capsys, "run", str(write_config(project)), "--no-progress")
    assert code == 2 and "output.path" in err and "labels.parquet is a folder" in err


def test_the_run_summary_prints_the_cleaning_count(project, capsys):
    code, out, _ = _cli(capsys, "run", str(write_config(project)), "--no-progress")
    assert code == 0 and "text cleaning (Unicode NFKC, zero-width characters, whitespace) changed " in out
    assert "of 400 rows before the LFs saw them (clean.normalize = false turns it off)" in out
    code, out, _ = _cli(capsys, "run", str(write_config(project)), "--no-progress", "--set", "clean.normalize=false")
    assert code == 0 and "text cleaning: off (clean.normalize = false)" in out


@pytest.mark.slow
@pytest.mark.snorkel
def test_a_snorkel_users_run_five_csvs_by_a_glob_their_lf_module_as_is(tmp_path, youtube, monkeypatch, capsys):
    """The Snorkel tutorial's shape: one CSV per video, a module of Snorkel LFs; with clean.normalize = false the
    run's votes are PandasLFApplier's on the concatenated files, and by default the summary says what cleaning did."""
    import shutil

    import numpy as np
    import pandas as pd
    from snorkel.labeling import LabelingFunction, PandasLFApplier

    from weaksup.pipeline import load_run

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for i, (_, part) in enumerate(youtube.groupby("video", sort=False)):
        part[["row_id", "author", "date", "text", "video"]].to_csv(tmp_path / "data" / f"Youtube0{i + 1}.csv",
                                                                   index=False)
    shutil.copy(REPO / "labeling_functions" / "snorkel_spam.py", tmp_path / "snorkel_spam.py")
    config = write_config(tmp_path, input={"path": "data/*.csv", "chunk_rows": 250_000},
                          lfs={"modules": ["snorkel_spam.py"]})
    code, out, err = _cli(capsys, "run", str(config), "--no-tracking", "--no-progress", "--set", "clean.normalize=false")
    assert code == 0, err
    assert "1,956 rows, 13 LFs" in out and "text cleaning: off (clean.normalize = false)" in out
    votes = load_run(tmp_path / "out").votes()
    import runpy

    lfs = [v for v in runpy.run_path(str(tmp_path / "snorkel_spam.py")).values() if isinstance(v, LabelingFunction)]
    frame = pd.concat([pd.read_csv(f) for f in sorted((tmp_path / "data").glob("*.csv"))], ignore_index=True)
    L = PandasLFApplier(lfs).apply(frame, progress_bar=False)
    order = [votes.lf_names.index(lf.name) for lf in lfs]
    np.testing.assert_array_equal(votes.values[:, order], L)
    code, out, _ = _cli(capsys, "run", str(config), "--no-tracking", "--no-progress")
    assert code == 0 and "text cleaning (Unicode NFKC, zero-width characters, whitespace) changed 1,672 of 1,956" in out


def test_a_report_on_multilabel_lfs_points_to_a_multilabel_config(project, capsys):
    code, _, err = _cli(capsys, "report", "--no-tracking", "--lf-module", "labeling_functions.goemotions",
                        "--out", str(project / "g.html"))  # (the repository is on sys.path)
    assert code == 2 and 'the LFs are multilabel LFs, not classification ones: run them with [task] type = ' \
                          '"multilabel"' in err


def test_demo_and_report_errors_name_their_own_flags(project, capsys):
    from weaksup.datasets import get_example

    (project / "reports").write_text("a file where the demo's report folder goes")
    code, _, err = _cli(capsys, "demo", "--no-tracking")
    # was "change output.path in weaksup report": the demo has neither that key nor that command
    assert code == 2 and "change --out" in err and "output.path" not in err and "weaksup report" not in err, err
    rows = get_example("youtube_spam").load()
    rows.assign(text="").to_csv(project / "blank.csv", index=False)
    code, _, err = _cli(capsys, "report", "--no-tracking", "--data", "blank.csv", "--out", "r/blank.html")
    # report has no --set: the end model is turned off with --no-end-model, the text column is --text-column
    assert code == 2 and "--text-column = 'text' has a word" in err and "pass --no-end-model" in err, err
    assert "--set" not in err
    code, out, err = _cli(capsys, "report", "--no-tracking", "--data", "blank.csv", "--out", "r/blank.html",
                          "--no-end-model")
    assert code == 0 and "supervised_on_dev is left out" in out, err


def test_a_report_on_data_without_text_names_the_empty_text_column(tmp_path, monkeypatch, capsys):
    """Tabular data has no text column: the message names --text-column "" as the choice, beside naming one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "txns.csv").write_text("txn_id,amount\nt1,5\nt2,500\nt3,50\n", encoding="utf-8")
    (tmp_path / "txn_lfs.py").write_text('from weaksup import LabelSpace\nfrom weaksup.lf import threshold_lf\n'
                                         'LABELS = LabelSpace(["legit", "fraud"])\n'
                                         'big = threshold_lf("big", "amount > 300", "fraud")\n', encoding="utf-8")
    write_gold(pd.DataFrame({"row_id": ["t1", "t2", "t3"], "label": ["legit", "fraud", "legit"],
                             "split": ["dev", "test", "test"]}), tmp_path / "gold", task="txns",
               label_space=["legit", "fraud"])
    code, _, err = _cli(capsys, "report", "--no-tracking", "--lf-module", "txn_lfs.py", "--data", "txns.csv",
                        "--gold", "gold", "--id-column", "txn_id", "--out", "r/txns.html")
    assert code == 2 and "no text column 'text'" in err and "Set --text-column to the column the LFs read" in err
    assert '--text-column "" for data without text' in err and "input.text_column" not in err, err


def _sigterm_after(monkeypatch, name: str, when=lambda *args: True) -> None:
    """``weaksup.interrupt.<name>`` sends this process a real SIGTERM right after it ran (when ``when(*args)``)."""
    import os
    import signal

    import weaksup.interrupt

    real = getattr(weaksup.interrupt, name)

    def then_sigterm(*args):
        real(*args)
        if when(*args):
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(weaksup.interrupt, name, then_sigterm)


def test_a_sigterm_after_the_command_returned_stops_nothing(project, capsys, monkeypatch):
    """Case: SIGTERM after the run had published said "stopped (SIGTERM): a stopped run publishes nothing", exit
    143. A SIGTERM once the command has returned stops nothing: its exit status (0) and one warning."""
    config = write_config(project)
    _sigterm_after(monkeypatch, "command_finished")
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 0, err
    assert "400 rows" in out and "publishes nothing" not in err, err
    assert "SIGTERM came after the command had finished; nothing was stopped" in err


def test_a_sigterm_after_the_publish_says_the_run_was_published(project, capsys, monkeypatch):
    """A SIGTERM that stops the command after its run was published (before it printed the summary): exit 143,
    saying the run folder holds the run whole, not that nothing was published."""
    from weaksup.pipeline import load_run

    config = write_config(project)
    _sigterm_after(monkeypatch, "note_publish", lambda folder, state: state == "published")
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 143, err
    assert "400 rows" not in out  # stopped before the summary
    assert "publishes nothing" not in err and "stopped (SIGTERM): the run had been published to" in err, err
    assert str(project / "out") in err
    assert load_run(project / "out").manifest["counts"]["rows"] == 400


def test_a_sigterm_after_an_engine_run_published_says_so(project, capsys, monkeypatch):
    """The same on an engine (its run folder is moved in whole by one rename)."""
    import pandas as pd

    pd.read_csv(project / "comments.csv").to_parquet(project / "comments.parquet", index=False)
    config = write_config(project, input={"path": "comments.parquet"})
    _sigterm_after(monkeypatch, "note_publish", lambda folder, state: state == "published")
    code, _, err = _cli(capsys, "run", str(config), "--engine", "local", "--no-progress", "--no-tracking")
    assert code == 143, err
    assert "publishes nothing" not in err and "stopped (SIGTERM): the run had been published to" in err, err


def test_a_sigterm_before_the_publish_still_publishes_nothing(project, capsys, monkeypatch):
    """The other side: a SIGTERM while the run works publishes nothing and says so."""
    config = write_config(project)
    import os
    import signal

    import weaksup.pipeline as pipeline

    real = pipeline.apply_stage

    def then_sigterm(*args, **kwargs):  # the SIGTERM comes as the LFs start
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "apply_stage", then_sigterm)
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 143 and "stopped (SIGTERM): a stopped run publishes nothing" in err, err
    assert "run the same command again" in err and "--resume" not in err, err  # --resume refuses when no chunk was saved
    assert not (project / "out" / "run.json").exists()


#: ``python -m weaksup --help`` with a real SIGINT sent to the process as ``weaksup.cli`` imports typer (start-up).
_SIGINT_AT_START = """
import os, runpy, signal, sys

class SigintOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, SigintOnImport())
sys.argv = ["weaksup", "--help"]
runpy.run_module("weaksup", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_the_command_starts_is_one_line_and_exit_130():
    """Case: Ctrl-C in the first second (imports) printed a KeyboardInterrupt traceback."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SIGINT_AT_START], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "interrupted before anything started; nothing was written", done.stderr
    assert "Usage" not in done.stdout


def test_a_run_started_in_another_folder_names_the_folder_paths_resolve_from(tmp_path, youtube, monkeypatch, capsys):
    """Case: from cron (started in $HOME) the message was only "gold set folder '/home/x/gold_sets/t' does not
    exist"; it now names the key, the folder relative paths were resolved from, and the fix."""
    project = tmp_path / "proj"
    (project / "configs").mkdir(parents=True)
    make_project(project, youtube.iloc[:200])
    config = write_config(project, "configs/run.toml")
    monkeypatch.chdir(tmp_path)  # as cron does from $HOME
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 2, err
    assert f"input.path = 'comments.csv' does not exist in {tmp_path}, the folder weaksup was started in" in err, err
    assert f"it is in {project}: `cd {project}` first" in err and "absolute path" in err, err
    assert not (tmp_path / "out").exists()
    monkeypatch.chdir(project)  # from the project folder the same config runs
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 0 and "200 rows" in out, err


def _gold_project(project, youtube) -> None:
    rows = youtube.iloc[:400].loc[lambda d: d["split"] != "unlabeled", ["row_id", "label", "split"]]
    write_gold(rows, project / "gold", task="yt", label_space=["ham", "spam"])


def test_set_reaches_the_label_models_params(project, youtube, capsys):
    """Case: `--set label_model.params.restrict_to_voted=false` exited 2 with "expected section.key=value"; a dotted
    key now reaches a table inside a table, and the run is fitted with it."""
    import json

    _gold_project(project, youtube)
    config = write_config(project, label_model={"name": "default"}, gold={"path": "gold"})
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking",
                        "--set", "output.path=plain/labels.parquet")
    assert code == 0, err
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking",
                        "--set", "label_model.params.restrict_to_voted=false", "--set", "label_model.params.smoothing=9")
    assert code == 0, err
    run = json.loads((project / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["config"]["label_model"]["params"] == {"restrict_to_voted": False, "smoothing": 9}
    fitted = json.loads((project / "out" / "label_model.json").read_text(encoding="utf-8"))
    assert fitted["model"] == "DevNaiveBayes"
    assert (fitted["params"]["restrict_to_voted"], fitted["params"]["smoothing"]) == (False, 9.0)
    plain = json.loads((project / "plain" / "label_model.json").read_text(encoding="utf-8"))["params"]
    assert (plain["restrict_to_voted"], plain["smoothing"]) == (True, 3.0)
    changed, before = pd.read_parquet(project / "out" / "labels.parquet"), pd.read_parquet(project / "plain" / "labels.parquet")
    assert not changed["prob_spam"].equals(before["prob_spam"])  # the params moved the fitted probabilities
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking", "--set", "output.path=s/l.parquet",
                        "--set", 'label_model.params={restrict_to_voted="trusted"}',  # an inline table, then a key in it
                        "--set", "label_model.params.smoothing=9")
    assert code == 0, err
    assert json.loads((project / "s" / "run.json").read_text())["config"]["label_model"]["params"] == {
        "restrict_to_voted": "trusted", "smoothing": 9}


@pytest.mark.parametrize(("setting", "expected"), [
    ("label_model.params.max_iterr=200", "label_model.params ['max_iterr'] are not parameters of DevNaiveBayes; it "
                                         "takes ['calibrate', "),
    ("label_model.params.restrict_to_voted=yes", "label_model.params.restrict_to_voted = 'yes': "),
    ("label_model.seed.x=1", "--set 'label_model.seed.x=1': label_model.seed is not a table; --set reaches inside "
                             "label_model.params, review.class_thresholds"),
    ("label_modle.params.x=1", "--set 'label_modle.params.x=1': unknown table [label_modle] (did you mean "
                               "'label_model'?)"),
    ("review.class_thresholds.spam.x=1", "review.class_thresholds.spam is not a table"),
])
def test_set_refuses_an_unknown_or_misplaced_nested_key_with_exit_2(project, youtube, capsys, setting, expected):
    _gold_project(project, youtube)
    config = write_config(project, label_model={"name": "default"}, gold={"path": "gold"})
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking", "--set", setting)
    assert code == 2 and expected in err, err
    assert "Traceback" not in err + out and not (project / "out").exists()


def test_set_reaches_a_class_threshold(project, capsys):
    code, out, err = _cli(capsys, "run", str(write_config(project)), "--no-progress", "--no-tracking",
                          "--set", "review.class_thresholds.spam=0.99")
    assert code == 0, err
    import json
    assert json.loads((project / "out" / "run.json").read_text())["config"]["review"]["class_thresholds"] == {
        "spam": 0.99}


@pytest.mark.parametrize("columns", [["row_id", "amount"], ["row_id"]])
def test_neighbours_on_data_without_text_exits_2_before_any_lf_runs(tmp_path, monkeypatch, capsys, columns):
    """Case: input of one column (or only the id) and no text column, [end_model] neighbours = 3: refused (late, once
    the LFs had run and the label model was fitted); now when the config is read, with exit 2 and the key."""
    gen = np.random.default_rng(0)
    frame = pd.DataFrame({"row_id": [f"c{i:03d}" for i in range(200)], "amount": gen.gamma(2, 600, 200).round(2)})
    frame[columns].to_csv(tmp_path / "claims.csv", index=False)
    marker = tmp_path / "applied.txt"
    (tmp_path / "claim_lfs.py").write_text(
        "from pathlib import Path\nfrom weaksup import LabelSpace, labeling_function\n"
        "LABELS = LabelSpace(['legit', 'fraud'])\n\n@labeling_function(fields=['row_id'])\ndef odd(x):\n"
        f"    Path({str(marker)!r}).write_text('applied')\n    return int(x.row_id[1:]) % 2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, task={"name": "claims", "labels": ["legit", "fraud"]},
                          input={"path": "claims.csv", "text_column": ""}, lfs={"modules": ["claim_lfs.py"]},
                          end_model={"enabled": True, "neighbours": 3})
    code, out, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking")
    assert code == 2 and "end_model.neighbours = 3 finds each row's neighbours among sentence embeddings" in err, err
    assert "set end_model.neighbours = 0" in err and "Traceback" not in err + out
    assert not marker.exists() and not (tmp_path / "out").exists()
    code, _, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking", "--set", "end_model.neighbours=0")
    assert code == 0 and marker.exists(), err  # the same input runs without it
