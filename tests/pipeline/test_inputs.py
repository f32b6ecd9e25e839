"""A run's input (weaksup/pipeline/inputs.py): globs and folders of CSV/JSON Lines files, ids across files, outputs
a pattern would read, and the text cleaning count of the run summary."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pipeline.helpers import run_config
from tests.pipeline_project import write_config
from weaksup.cli import main
from weaksup.data import prepare
from weaksup.errors import ConfigError, DataError


def _split(project, youtube, suffix: str, sizes=(700, 700, 556)) -> None:
    """The comments in files part-0, part-1, ... of ``data/`` (row order kept), in the format ``suffix``."""
    (project / "data").mkdir()
    start = 0
    for i, size in enumerate(sizes):
        rows = youtube[["row_id", "text"]].iloc[start:start + size]
        start += size
        if suffix == "csv":
            rows.to_csv(project / "data" / f"part-{i}.csv", index=False)
        else:
            rows.to_json(project / "data" / f"part-{i}.jsonl", orient="records", lines=True)


@pytest.mark.parametrize(("suffix", "path"), [("csv", "data/*.csv"), ("jsonl", "data")])
def test_a_glob_or_a_folder_labels_like_the_single_file(project, youtube, suffix, path):
    whole = run_config(write_config(project))
    _split(project, youtube, suffix)
    parts = run_config(write_config(project, "parts.toml", input={"path": path}, output={"path": "out2/labels.parquet"}))
    pd.testing.assert_frame_equal(pd.read_parquet(whole.labels_path), pd.read_parquet(parts.labels_path))
    assert parts.prep == whole.prep and parts.n_rows == len(youtube)


def test_resume_and_reuse_cover_every_matched_file(project, youtube):
    _split(project, youtube, "csv")
    config = write_config(project, input={"path": "data/*.csv"})
    first = run_config(config)
    again = run_config(config)
    assert again.chunks["reused"] == again.chunks["computed"] + again.chunks["reused"] > 0
    assert again.prep == first.prep  # the cleaning count of reused chunks (from their saved text hashes)
    extra = youtube[["row_id", "text"]].iloc[:2].assign(row_id=["new-1", "new-2"])
    extra.to_csv(project / "data" / "part-3.csv", index=False)  # a new file the pattern matches
    third = run_config(config)
    assert third.n_rows == len(youtube) + 2 and third.chunks["computed"] > 0


def test_an_id_repeated_across_files_names_both_files(project, youtube):
    _split(project, youtube, "csv")
    first = youtube["row_id"].iloc[3]
    later = pd.read_csv(project / "data" / "part-2.csv", dtype=str)
    later.loc[5, "row_id"] = first
    later.to_csv(project / "data" / "part-2.csv", index=False)
    for chunk_rows in (100_000, 500):  # one chunk (ids checked in it), and several (ids checked across them)
        config = write_config(project, input={"path": "data/*.csv", "chunk_rows": chunk_rows})
        with pytest.raises(DataError, match=r"data/\*\.csv row 1405 \(file part-2\.csv row 5, line 7\).*"
                                            r"|file part-0\.csv row 3, line 5.*also at data/\*\.csv row 1405 "
                                            r"\(file part-2\.csv row 5, line 7\)") as info:
            run_config(config)
        message = str(info.value)
        assert "part-0.csv row 3" in message and "part-2.csv row 5" in message and repr(first) in message
        assert "prefixing each file's ids with its name" in message and "make_row_ids" in message


@pytest.mark.parametrize("output", ["data/labels.csv", "data/out/labels.csv"])
def test_an_output_the_pattern_would_read_is_refused(project, youtube, capsys, output):
    _split(project, youtube, "csv")
    pattern = "data/**/*.csv" if "/out/" in output else "data/*.csv"
    config = write_config(project, input={"path": pattern}, output={"path": output})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert f"output.path {project / output} matches input.path '{pattern}': a later run would read" in err
    config = write_config(project, input={"path": pattern}, output={"path": output.replace(".csv", ".parquet")})
    with pytest.raises(SystemExit) as info:  # the pattern would not read it; refused only when the folder holds inputs
        main(["run", str(config), "--no-progress"])
    err = capsys.readouterr().err
    if output == "data/labels.csv":
        assert info.value.code == 2 and "the run folder (the folder of output.path)" in err and "holds input.path" in err
    else:
        assert info.value.code == 0, err
    assert not (project / output).exists()


@pytest.mark.parametrize("absolute", [False, True])
def test_an_output_the_pattern_reaches_through_a_symbolic_link_is_refused(project, youtube, absolute):
    _split(project, youtube, "csv")
    (project / "data").rename(project / "real")
    (project / "data").symlink_to(project / "real", target_is_directory=True)
    pattern = str(project / "data" / "**" / "*.csv") if absolute else "data/**/*.csv"
    config = write_config(project, input={"path": pattern}, output={"path": "real/out/labels.csv"})
    with pytest.raises(ConfigError, match=r"output\.path .*real/out/labels\.csv matches input\.path '.*data/\*\*/\*\.csv'"):
        run_config(config)


def test_an_empty_pattern_is_an_error_naming_it(project):
    with pytest.raises(DataError, match=r"pattern '.*comments/\*\.csv' matches no files"):
        run_config(write_config(project, input={"path": "comments/*.csv"}))
    (project / "comments").mkdir()
    with pytest.raises(DataError, match=r"pattern '.*comments/\*\.csv' matches no files \(.* holds no input files\)"):
        run_config(write_config(project, input={"path": "comments/*.csv"}))


def test_the_summary_says_how_many_rows_cleaning_changed_and_how_to_turn_it_off(project, youtube):
    raw = youtube[["row_id", "text"]]
    changed = int((prepare(raw, duplicates=False)[0]["text"] != raw["text"]).sum())
    assert 0 < changed < len(raw)  # (most YouTube comments end in a byte-order mark)
    result = run_config(write_config(project))
    assert result.prep["text_changed"] == changed
    assert (f"text cleaning (Unicode NFKC, zero-width characters, whitespace) changed {changed:,} of {len(raw):,} "
            "rows before the LFs saw them (clean.normalize = false turns it off)") in result.summary()
    off = run_config(write_config(project, clean={"normalize": False}, output={"path": "off/labels.parquet"}))
    assert off.prep["text_changed"] == 0
    assert "text cleaning: off (clean.normalize = false): the LFs see the text as in the file" in off.summary()
    masked = run_config(write_config(project, clean={"mask": ["url"], "duplicates": "off"},
                                     output={"path": "mask/labels.parquet"}))
    again = run_config(write_config(project, clean={"mask": ["url"], "duplicates": "off"},
                                    output={"path": "mask/labels.parquet"}))
    assert masked.prep["text_changed"] == again.prep["text_changed"] >= changed  # reused chunks: cleaned to count
    assert again.chunks["reused"] > 0
    assert "clean.normalize = false and clean.mask = [] turn it off" in masked.summary()


@pytest.mark.slow
def test_a_killed_run_over_a_pattern_resumes_only_while_every_matched_file_is_unchanged(project, youtube):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO
    from tests.pipeline.helpers import SLOW_LF

    _split(project, youtube, "csv", sizes=(600, 600, 756))
    (project / "slow_lfs.py").write_text(SLOW_LF)
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"]},
                          input={"path": "data/*.csv", "chunk_rows": 150})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"]

    def killed_after(parts: int) -> int:
        proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline, index = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            index = next((project / "out").glob(".weaksup-stage-*/votes/index.json"), None)
            if index is not None and len(json.loads(index.read_text())["parts"]) >= parts:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return len(json.loads(index.read_text())["parts"])

    killed_after(2)
    with open(project / "data" / "part-2.csv", "a", encoding="utf-8") as fh:  # one matched file changes
        fh.write("late-row,a comment added after the run stopped\n")
    changed = subprocess.run([*command, "--resume"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert changed.returncode == 2 and "with a different input files (input.path)" in changed.stderr
    done = killed_after(4)  # (the changed input: a new run, killed again)
    resumed = subprocess.run([*command, "--resume"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    chunks = 4 + 4 + 6  # 600, 600 and 757 rows in chunks of 150, file by file
    assert f"{chunks - done} chunk(s) voted, {done} reused whole" in resumed.stdout
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["row_id"].tolist() == [*youtube["row_id"], "late-row"]


def test_an_edited_file_with_its_old_size_and_time_is_voted_again(project):
    # an edit copied back with its old modification time (cp -p, rsync -a, tar x): the content identifies the input
    import os

    path = project / "comments.csv"
    config = write_config(project)
    first = run_config(config)
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("subscribe", "subscrixe")
    assert len(edited) == len(text) and edited != text
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    again = run_config(config)
    assert again.chunks["reused"] == 0 and again.chunks["computed"] == first.chunks["computed"]
    fresh = run_config(config, fresh=True)
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert again.label_counts == fresh.label_counts and labels["sources"].astype(str).str.contains("kw_subscribe").any()


def test_an_input_replaced_while_the_run_reads_it_publishes_nothing(project, monkeypatch):
    # the votes come from one read of the file and later stages read it again: a file replaced in between is an
    # error, and the output folder keeps what it had
    from weaksup.pipeline import stages

    config = write_config(project)
    run_config(config)
    before = (project / "out" / "labels.parquet").read_bytes()
    path = project / "comments.csv"
    fit = stages.fit_stage

    def replace_then_fit(plan, applied):
        replacement = path.with_suffix(".new")
        replacement.write_text(path.read_text(encoding="utf-8").replace("song", "sang"), encoding="utf-8")
        replacement.replace(path)  # mv: what an upstream job landing a new file does
        return fit(plan, applied)

    monkeypatch.setattr("weaksup.pipeline.fit_stage", replace_then_fit)
    with pytest.raises(DataError, match=r"comments.csv changed while the run read it .* nothing was published"):
        run_config(config)
    assert (project / "out" / "labels.parquet").read_bytes() == before


def _as_a_user(*args: str) -> tuple[int, str]:
    """``python -m weaksup ARGS`` without the capability that lets root read any file (as a user runs it)."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO

    command = [sys.executable, "-m", "weaksup", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads unreadable files, and setpriv (to drop that) is not installed")
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *command]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                          timeout=300)
    return done.returncode, done.stderr


@pytest.mark.slow
def test_an_unreadable_input_or_gold_file_or_folder_exits_2_naming_it_and_the_setting(project, youtube):
    from weaksup.gold import write_gold

    rows = youtube[["row_id", "label"]].iloc[:6].assign(split=["dev", "test"] * 3)
    write_gold(rows, project / "gold", task="yt", label_space=["ham", "spam"])
    config = write_config(project, gold={"path": "gold", "split": "test"})
    for path, key in [(project / "comments.csv", "input.path"), (project / "gold" / "manifest.json", "gold.path"),
                      (project / "gold", "gold.path")]:
        mode = path.stat().st_mode
        path.chmod(0)
        try:
            code, err = _as_a_user("run", str(config))
        finally:
            path.chmod(mode)
        shown = path / "manifest.json" if path.is_dir() else path
        assert code == 2 and "Traceback" not in err, err
        assert f"cannot read {shown} (permission denied): fix its permissions or change {key}" in err, err
    assert not (project / "out").exists() or not (project / "out" / "labels.parquet").exists()


def test_a_misspelt_sensitive_field_stops_the_run_before_anything_is_written(project):
    with pytest.raises(ConfigError, match=r"review.sensitive_fields names 'txt' \(did you mean 'text'\?\), which is "
                                          "not a column of the input"):
        run_config(write_config(project, review={"sensitive_fields": ["txt"]}))
    assert not (project / "out" / "labels.parquet").exists()


def test_a_run_on_data_without_a_text_column_says_how_to_declare_none(tmp_path, monkeypatch):
    # the run said only "Set input.text_column to the column the LFs read"; "" was documented for media only
    from weaksup.errors import WeakSupError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "txns.csv").write_text("txn_id,amount\nt1,5\nt2,500\nt3,50\n", encoding="utf-8")
    (tmp_path / "txn_lfs.py").write_text("from weaksup import threshold_lf\n"
                                         "big = threshold_lf('big', 'amount > 300', 1)\n", encoding="utf-8")
    config = write_config(tmp_path, task={"name": "txns", "labels": ["legit", "fraud"]},
                          input={"path": "txns.csv", "id_column": "txn_id"}, lfs={"modules": ["txn_lfs.py"]})
    with pytest.raises(WeakSupError, match="no text column 'text'") as caught:
        run_config(config)
    assert 'or input.text_column = "" for data without text (LFs that read other columns)' in str(caught.value)
    assert run_config(config, 'input.text_column=""').labels_path.is_file()
