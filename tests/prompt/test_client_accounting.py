"""The chat client against a real local server: each prompt is sent once, the budget counts only the prompts
sent, and the budget stop says how to go on in the same process."""

from __future__ import annotations

import threading

import pytest

from weaksup.errors import LFApplyError
from weaksup.prompt import ChatClient, PromptCache
from weaksup.testing import ChatServer


def _requests(texts, tokens=10):
    return [(f"k-{t}", {"messages": [{"role": "user", "content": t}]}, tokens) for t in texts]


def _keeping(cache):
    def keep(key, reply):
        cache.put(key, "m", reply.text, reply.logprobs)
    return keep


def test_a_prompt_answered_meanwhile_by_another_call_is_read_from_the_cache(tmp_path):
    # the caller found "shared" missing, but another call answered it before this one took its key: not resent
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts]) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", concurrency=2)
        keep = _keeping(client.cache)
        client.ask_many(_requests(["shared"]), keep)
        client.ask_many(_requests(["shared", "other"]), keep)  # computed before the first answer arrived
    assert server.requests == 2 and server.answered["shared"] == 1
    assert client.spent["calls"] == 2  # the prompt read from the cache is not counted


def test_two_threads_asking_overlapping_prompts_send_each_once(tmp_path):
    shared = [f"shared {i}" for i in range(8)]
    first = shared + [f"only a {i}" for i in range(40)]
    second = [f"only b {i}" for i in range(40)] + shared  # asked last: after the first thread answered them
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], latency=0.02) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", concurrency=4)
        keep = _keeping(client.cache)
        threads = [threading.Thread(target=client.ask_many, args=(_requests(t), keep)) for t in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(k for k, v in server.answered.items() if v > 1) == []
    assert server.requests == len(set(first + second)) == client.spent["calls"] == 88


def test_prompts_not_sent_after_an_error_give_their_budget_back(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_TEST_KEY", "sk-typo")
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], api_key="sk-right-123") as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", api_key_env="WEAKSUP_TEST_KEY",
                            concurrency=2, max_calls=60)
        keep = _keeping(client.cache)
        texts = [f"t{i}" for i in range(50)]
        with pytest.raises(LFApplyError, match="HTTP 401"):
            client.ask_many(_requests(texts), keep)
        assert 1 <= server.requests < 50 and client.spent["calls"] == server.requests
        monkeypatch.setenv("WEAKSUP_TEST_KEY", "sk-right-123")  # the right key: the rest fits the budget
        client.ask_many(_requests(texts), keep)
    assert server.calls == 50 and client.spent["calls"] == server.requests <= 60


def test_the_budget_stop_counts_what_was_sent_and_names_reset_budget(tmp_path):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts]) as server:
        client = ChatClient(server.base_url, "m", cache=PromptCache(tmp_path / "c.sqlite3"), max_calls=3)
        keep = _keeping(client.cache)
        client.ask_many(_requests(["a"]), keep)
        with pytest.raises(LFApplyError) as info:
            client.ask_many(_requests(["a", "b", "c", "d"]), keep)  # "a" is read from the cache
        message = str(info.value)
        assert "(3 prompts sent" in message and "2 of this batch's 4 uncached prompts were sent" in message
        assert "client.reset_budget()" in message and server.requests == 3
        client.reset_budget()  # as the message says: the rest is asked in this same process
        client.ask_many(_requests(["a", "b", "c", "d"]), keep)
    assert server.requests == 4 and client.spent["calls"] == 1
