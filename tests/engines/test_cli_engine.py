"""``weaksup run CONFIG --engine ...`` and the ``[engine]`` table: engine runs, bad names and options exit 2."""

from __future__ import annotations

import pytest

from tests.engines.engine_data import SCALE_LFS, write_part
from weaksup.cli import main


def cli(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def write_config(tmp_path, engine_table=""):
    write_part(tmp_path / "input", 0, 2000)
    path = tmp_path / "run.toml"
    path.write_text(f'''
[task]
name = "synthetic"
labels = ["ham", "spam"]
[input]
path = "input"
[lfs]
modules = ["{SCALE_LFS}"]
[end_model]
enabled = false
[mlflow]
enabled = false
[output]
path = "out/labels.parquet"
report = false
{engine_table}
''', encoding="utf-8")
    return path


def test_run_with_engine_local_commits_a_versioned_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "run", str(write_config(tmp_path)), "--engine", "local")
    assert code == 0, err
    assert "engine local: 2,000 rows in 1 part(s)" in out and "10 LF column(s) computed" in out
    assert (tmp_path / "out" / "latest" / "_SUCCESS").is_file()
    assert not (tmp_path / "out" / "labels.parquet").exists()  # the streaming run's file is not written


def test_an_engine_table_alone_runs_on_the_engine(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "run", str(write_config(tmp_path, '[engine]\nname = "local"\nworkers = 1')))
    assert code == 0 and "engine local" in out


def test_no_engine_flag_and_no_table_is_the_streaming_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "run", str(write_config(tmp_path)), "--no-progress")
    assert code == 0, err
    assert (tmp_path / "out" / "labels.parquet").is_file() and not (tmp_path / "out" / "runs").exists()


def test_a_bad_engine_name_exits_2_with_the_choices(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", str(write_config(tmp_path)), "--engine", "flink")
    assert code == 2 and "engine.name = 'flink' is not an engine; choose one of ['dask', 'local', 'spark']" in err


def test_bad_engine_options_exit_2_naming_the_keys(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, '[engine]\nworkers = 0\nexecutor_memory = "lots"\nmaster_url = "x"')
    code, _, err = cli(capsys, "run", str(config))
    assert code == 2 and "unknown key engine.master_url (did you mean 'master'?)" in err
    config = write_config(tmp_path, '[engine]\nworkers = 0\nexecutor_memory = "lots"')
    code, _, err = cli(capsys, "run", str(config))
    assert code == 2 and "engine.workers must be at least 1" in err and "'2g'" in err


def test_a_bad_spark_master_exits_2_before_spark_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", str(write_config(tmp_path)), "--engine", "spark",
                       "--set", "engine.master=nonsense://x")
    assert code == 2 and "engine.master = 'nonsense://x' is not a Spark master URL; give local[N]" in err


def test_seeded_random_ties_with_the_end_model_are_refused_with_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)
    code, _, err = cli(capsys, "run", str(config), "--engine", "local", "--set", "end_model.enabled=true",
                       "--set", "label_model.tie_break=seeded_random")
    assert code == 2 and 'use tie_break = "abstain"' in err


def test_a_csv_output_path_on_an_engine_exits_2_instead_of_writing_parquet_parts_only(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", str(write_config(tmp_path)), "--engine", "local",
                       "--set", "output.path=out/labels.csv")
    assert code == 2 and "an engine writes its labels as Parquet parts" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["localhost", "http://localhost:8787"])
def test_a_scheduler_that_is_not_a_dask_address_exits_2(tmp_path, capsys, monkeypatch, address):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", str(write_config(tmp_path)), "--engine", "dask",
                       "--set", f"engine.scheduler={address}")
    assert code == 2 and f"engine.scheduler = {address!r} is not a Dask scheduler address; give tcp://HOST:PORT" in err


BUDGETED = '''
from weaksup import LabelSpace, prompt_lf
from weaksup.prompt import ChatClient

LABELS = LabelSpace(["ham", "spam"])
client = ChatClient("http://127.0.0.1:9/v1", "m", max_calls=60)  # never asked: the run is refused first
llm = prompt_lf("llm", "Spam? {text}", labels=["ham", "spam"], client=client)
'''


def test_a_prompted_lf_budget_is_refused_on_dask_where_each_worker_would_count_its_own(tmp_path, capsys,
                                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(tmp_path / "prompts.sqlite3"))
    (tmp_path / "budget_lfs.py").write_text(BUDGETED, encoding="utf-8")
    config = write_config(tmp_path)
    code, _, err = cli(capsys, "run", str(config), "--engine", "dask", "--set", "lfs.modules=['budget_lfs.py']")
    assert code == 2 and "prompted LF(s) ['llm'] have a budget (max_calls/max_tokens), which each dask worker" in err
