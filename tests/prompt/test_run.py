"""A prompted LF in `weaksup run`: the prompt cache, the vote store, replay mode and the budget through the CLI."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.testing import ChatServer, youtube_classifier

PROMPT_LFS = '''
"""A prompted LF: the server and the budget from the environment (the key, if any, too: never in a file)."""
import os

from weaksup import LabelSpace, prompt_lf
from weaksup.prompt import ChatClient

LABELS = LabelSpace(["ham", "spam"])
client = ChatClient(os.environ["TEST_CHAT_URL"], "tfidf-lr", backoff=0.01,
                    max_calls=int(os.environ["TEST_MAX_CALLS"]) if os.environ.get("TEST_MAX_CALLS") else None)
llm_spam = prompt_lf("llm_spam", os.environ.get("TEST_TEMPLATE", "Spam or ham?\\n<text>{text}</text>"),
                     labels=["ham", "spam"], client=client)
'''


def cli(argv):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0


@pytest.fixture()
def project(tmp_path, youtube, monkeypatch):
    comments = youtube.drop_duplicates("text").head(150)
    make_project(tmp_path, comments)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(tmp_path / "prompts.sqlite3"))
    monkeypatch.delenv("WEAKSUP_PROMPT_REPLAY", raising=False)
    with ChatServer(youtube_classifier()) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        yield tmp_path, server, write_config(tmp_path, lfs={"modules": ["quick_lfs.py", "prompt_lfs.py"]})


@pytest.mark.slow
def test_a_prompt_lf_in_a_run_edited_prompt_recomputes_only_its_column(project, monkeypatch, capsys):
    folder, server, config = project
    first = run(load_config(config))
    assert server.calls == 150 and first.n_lfs == 6 and first.coverage > 0.9
    server.reset_counts()
    monkeypatch.setenv("TEST_TEMPLATE", "Is this YouTube comment spam or ham?\n<text>{text}</text>")
    second = run(load_config(config))
    assert server.calls == 150  # the new prompt asked once per row
    assert second.chunks["columns_computed"] == 1 and second.chunks["columns_reused"] == 5
    server.reset_counts()
    monkeypatch.setenv("WEAKSUP_PROMPT_REPLAY", "1")  # CI: answers only from the cache
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(folder / "empty.sqlite3"))
    monkeypatch.setenv("TEST_TEMPLATE", "A third prompt: {text}")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(config)])
    assert stop.value.code == 2 and server.requests == 0
    err = capsys.readouterr().err
    first_id = str(pd.read_csv(folder / "comments.csv")["row_id"].iloc[0])
    assert "replay-only mode" in err and f"[row id {first_id!r}]" in err  # the row named as every row error does


@pytest.mark.slow
def test_a_budget_stop_in_a_run_then_a_resume(project, monkeypatch, capsys):
    folder, server, config = project
    monkeypatch.setenv("TEST_MAX_CALLS", "100")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(config)])
    # the user's own cap, not bad input: exit 1, as an unfinished run the same command continues
    assert stop.value.code == 1 and "max_calls=100 prompts is used up" in capsys.readouterr().err
    assert server.calls == 100
    monkeypatch.delenv("TEST_MAX_CALLS")
    run(load_config(config))
    assert server.calls == 150 and max(server.answered.values()) == 1


def _closed_port_url():
    import socket

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_a_server_outage_exits_1_not_2_with_the_run_again_hint(project, monkeypatch, capsys):
    monkeypatch.setenv("TEST_CHAT_URL", _closed_port_url())
    with pytest.raises(SystemExit) as stop:
        main(["run", str(project[2])])
    err = capsys.readouterr().err
    assert stop.value.code == 1, err  # "retry later", not "fix the input" (2)
    assert "kept failing after 6 retries (last: ConnectError" in err and "run the same command again" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_rate_limits_outlasting_the_retries_exit_1(tmp_path, youtube, monkeypatch, capsys):
    make_project(tmp_path, youtube.drop_duplicates("text").head(20))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(tmp_path / "prompts.sqlite3"))
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], rate_429=1.0, retry_after_ms=1) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        with pytest.raises(SystemExit) as stop:
            main(["run", str(write_config(tmp_path, lfs={"modules": ["prompt_lfs.py"]}))])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and "HTTP 429" in err and "run the same command again" in err, err
    assert server.failures[429] >= 7


def test_a_server_refusing_the_request_is_still_bad_input(project, monkeypatch, capsys):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], models=["other"]) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        with pytest.raises(SystemExit) as stop:
            main(["run", str(project[2])])
    assert stop.value.code == 2 and "HTTP 404" in capsys.readouterr().err  # the model name: fix the LF module


@pytest.mark.slow
def test_lfs_plan_counts_what_a_run_would_send(project, capsys):
    folder, server, config = project
    cli(["lfs", str(config), "--plan"])
    out = capsys.readouterr().out
    assert "plan: llm_spam: 150 rows, 150 distinct prompts, 0 cached, 150 to send" in out and server.requests == 0
    run(load_config(config))
    cli(["lfs", str(config), "--plan"])
    assert "plan: 0 prompts to send, ~0 tokens" in capsys.readouterr().out


def test_lfs_plan_names_a_column_the_template_reads_that_the_input_lacks(project, monkeypatch, capsys):
    folder, server, config = project
    monkeypatch.setenv("TEST_TEMPLATE", "Spam? {title}")
    with pytest.raises(SystemExit) as done:
        main(["lfs", str(config), "--plan"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "'llm_spam'" in err and "['title']" in err and server.requests == 0


@pytest.mark.slow
def test_ctrl_c_stops_a_run_from_sending_the_rest_of_its_prompts(tmp_path, youtube, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    make_project(tmp_path, youtube.drop_duplicates("text").head(300))
    (tmp_path / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    config = write_config(tmp_path, lfs={"modules": ["quick_lfs.py", "prompt_lfs.py"]})
    with ChatServer(youtube_classifier(), latency=0.2) as server:  # 300 prompts, 8 at a time: about 8 s
        env = {**os.environ, "PYTHONPATH": str(REPO), "TEST_CHAT_URL": server.base_url,
               "WEAKSUP_PROMPT_CACHE": str(tmp_path / "prompts.sqlite3")}
        env.pop("WEAKSUP_PROMPT_REPLAY", None)
        proc = subprocess.Popen([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while server.requests < 16 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        sent = server.requests
    assert proc.returncode != 0 and sent < 100  # the prompts in flight finish; the other ~200 are never sent
    assert not (tmp_path / "out" / "labels.parquet").exists()
