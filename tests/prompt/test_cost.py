"""What prompted LFs cost a run (run.json's `prompt`, MLflow metrics, the summary line), counted against the local
chat server's own request counts; the unparseable-answer warning once per LF per run; token estimates of scripts
written without spaces."""

from __future__ import annotations

import json
import logging
import textwrap

import pytest

from tests.pipeline_project import make_project, write_config
from weaksup import LabelSpace, apply_lfs, prompt_lf
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.prompt import ChatClient, estimate_tokens
from weaksup.testing import ChatServer, youtube_classifier

PROMPT_LFS = '''
import os

from weaksup import LabelSpace, prompt_lf
from weaksup.prompt import ChatClient

LABELS = LabelSpace(["ham", "spam"])
client = ChatClient(os.environ["TEST_CHAT_URL"], "tfidf-lr", backoff=0.01)
llm_spam = prompt_lf("llm_spam", "Spam or ham?\\n<text>{text}</text>", labels=["ham", "spam"], client=client)
'''


@pytest.fixture()
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.drop_duplicates("text").head(120))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(tmp_path / "prompts.sqlite3"))
    return tmp_path


def test_run_json_the_summary_and_mlflow_count_what_the_server_saw(project, monkeypatch):
    # 20% of first attempts are 429s (each prompt fails at most once): retries are counted too
    with ChatServer(youtube_classifier(), rate_429=0.2, retry_after_ms=1, max_failures_per_prompt=1) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        config = write_config(project, lfs={"modules": ["quick_lfs.py", "prompt_lfs.py"]}, input={"chunk_rows": 30},
                              mlflow={"enabled": True, "tracking_uri": f"sqlite:///{project / 'mlflow.db'}"})
        first = run(load_config(config))
        stats = server.stats()
        cost = json.loads((project / "out" / "run.json").read_text(encoding="utf-8"))["prompt"]["llm_spam"]
        assert stats["failures"].get("429", 0) > 0  # the check below could fail
        assert cost["sent"] == stats["calls"] == 120 and cost["cached"] == 0
        assert cost["retries"] == stats["failures"]["429"] and cost["sent"] + cost["retries"] == stats["requests"]
        assert cost["failures"] == 0 and cost["tokens"] > 120 * 16
        assert first.prompt["llm_spam"] == cost
        line = next(x for x in first.summary().splitlines() if x.startswith("prompted LF llm_spam:"))
        assert f"{stats['calls']} prompts sent, 0 answered from the cache, {cost['retries']} retries" in line

        import mlflow

        metrics = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}").get_run(
            first.mlflow_run_id).data.metrics
        assert metrics["prompt/llm_spam/sent"] == 120 and metrics["prompt/llm_spam/retries"] == cost["retries"]

        server.reset_counts()
        second = run(load_config(config), fresh=True)  # votes recomputed: every prompt read from the cache
        assert server.stats()["requests"] == 0
        assert second.prompt["llm_spam"] == {"sent": 0, "cached": 120, "retries": 0, "failures": 0, "tokens": 0,
                                             "used_tokens": 0}
        saved = json.loads((project / "out" / "run.json").read_text(encoding="utf-8"))["prompt"]
        assert saved == second.prompt


def _eggs(texts):
    return [{"eggs": 0.9, "spam": 0.1} for _ in texts]  # a model answering a word that is no choice


def test_unparseable_answers_are_warned_about_once_per_lf_per_run(project, monkeypatch, caplog):
    with ChatServer(_eggs) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        config = write_config(project, lfs={"modules": ["quick_lfs.py", "prompt_lfs.py"]}, input={"chunk_rows": 12})
        with caplog.at_level(logging.WARNING, logger="weaksup.prompt.parse"):
            result = run(load_config(config))
    assert result.chunks["computed"] == 10  # ten chunks ...
    warned = [r for r in caplog.records if r.name == "weaksup.prompt.parse"]
    assert len(warned) == 1, [r.getMessage() for r in warned]  # ... one warning, with the run's total
    message = warned[0].getMessage()
    assert message.startswith("prompt LF 'llm_spam': 120 of 120 answers") and "unparseable" in message
    examples = warned[0].args[-1]
    first_ids = [str(x) for x in __import__("pandas").read_csv(project / "comments.csv")["row_id"]]
    assert len(examples) == 3 and {str(x) for x in examples} <= set(first_ids)


def test_apply_lfs_warns_once_for_many_batches_and_names_row_ids(tmp_path, caplog):
    import pandas as pd

    frame = pd.DataFrame({"id": [f"r{i}" for i in range(40)], "text": [f"comment {i}" for i in range(40)]})
    with ChatServer(_eggs) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3")
        lf = prompt_lf("llm", "Spam? <text>{text}</text>", labels=["ham", "spam"], client=client,
                       label_space=LabelSpace(["ham", "spam"]))
        with caplog.at_level(logging.WARNING, logger="weaksup.prompt.parse"):
            votes = apply_lfs([lf], frame, id_column="id", chunk_rows=5, progress=False)
        assert server.requests == 40 and (votes.values == -1).all()
    warned = [r for r in caplog.records if r.name == "weaksup.prompt.parse"]
    assert len(warned) == 1 and "40 of 40 answers" in warned[0].getMessage()
    examples = warned[0].args[-1]  # (batches vote on threads: any 3 of them)
    assert len(examples) == 3 and set(examples) <= set(frame["id"])  # the row ids, not positions
    assert client.usage()["llm"]["sent"] == 40 and client.usage()["llm"]["cached"] == 0


@pytest.mark.parametrize("text, per_char", [("这是不是垃圾评论" * 20, 1.0), ("スパムですか" * 20, 1.0),
                                            ("스팸입니까" * 20, 1.0), ("สแปมหรือไม่" * 20, 1.0)])
def test_scripts_without_spaces_count_about_a_token_a_character(text, per_char):
    tokens = estimate_tokens([{"role": "user", "content": text}], 0) - 4
    assert tokens == pytest.approx(len(text) * per_char, rel=0.05)


def test_latin_and_mixed_text_estimates():
    latin = "Is this YouTube comment spam? check out my channel " * 4
    assert estimate_tokens([{"role": "user", "content": latin}], 16) == len(latin) // 4 + 4 + 16  # unchanged
    mixed = "Is this spam? " + "看看我的频道"
    assert estimate_tokens([{"role": "user", "content": mixed}], 0) == 6 + len("Is this spam? ") // 4 + 4


def test_a_token_budget_stops_cjk_prompts_at_the_cap(tmp_path):
    rows = [f"第{i}条评论：快来看看我的频道，订阅有惊喜" for i in range(30)]
    import pandas as pd

    with ChatServer(lambda texts: [{"spam": 0.9, "ham": 0.1} for _ in texts]) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", max_tokens=400, concurrency=1)
        lf = prompt_lf("llm", "垃圾评论吗？<text>{text}</text>", labels=["ham", "spam"], client=client,
                       system="ham or spam", label_space=LabelSpace(["ham", "spam"]))
        per_prompt = estimate_tokens(lf.messages({"text": rows[0]}), 16)
        with pytest.raises(Exception, match="max_tokens=400"):
            apply_lfs([lf], pd.DataFrame({"text": rows}), progress=False)
    assert per_prompt >= 40  # ~37 characters of Chinese, not 37 / 4
    assert server.requests == 400 // per_prompt == client.usage()["llm"]["sent"]
