"""The chat client: checks of its parameters, Retry-After, budget accounting (the HTTP runs are in
tests/lf/test_prompt.py against a real local server)."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from weaksup.errors import LFApplyError, ParameterError
from weaksup.prompt import ChatClient, estimate_tokens
from weaksup.prompt.client import retry_after
from weaksup.testing import ChatServer


@pytest.mark.parametrize("options, match", [
    ({"base_url": "127.0.0.1:8000"}, "http"), ({"model": " "}, "model"), ({"concurrency": 0}, "concurrency"),
    ({"max_calls": 1.5}, "max_calls"), ({"max_retries": -1}, "max_retries"),
])
def test_bad_parameters(tmp_path, options, match):
    kwargs = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "cache": tmp_path / "c.sqlite3", **options}
    with pytest.raises(ParameterError, match=match):
        ChatClient(**kwargs)


def testretry_after_headers():
    assert retry_after(httpx.Response(429, headers={"retry-after-ms": "250", "Retry-After": "3"})) == 0.25
    assert retry_after(httpx.Response(429, headers={"Retry-After": "2"})) == 2.0
    date = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 < retry_after(httpx.Response(503, headers={"Retry-After": date})) <= 5.0
    assert retry_after(httpx.Response(500)) is None


def test_budget_counts_prompts_not_retries(tmp_path):
    answers = []
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], rate_429=0.5, retry_after_ms=1, seed=1) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", max_calls=5, concurrency=2)
        requests = [(f"k{i}", {"messages": [{"role": "user", "content": f"t{i}"}]}, 10) for i in range(8)]
        with pytest.raises(LFApplyError, match="max_calls=5 prompts is used up.*5 of this batch's 8"):
            client.ask_many(requests, lambda key, reply: answers.append((key, reply.text)))
    spent = client.spent
    assert len(answers) == 5 and spent["calls"] == 5 and spent["tokens"] == 50 and spent["used_tokens"] == 5 * 2
    assert spent["requests"] == server.requests == 5 + spent["retries"] and spent["retries"] > 0
    client.reset_budget()
    assert client.spent["calls"] == 0


def test_a_server_not_speaking_the_protocol(tmp_path):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts]) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3")
        with pytest.raises(LFApplyError, match="refused the request.*HTTP 400"):
            client.complete({"messages": "not a list"})
        assert server.requests == 1  # a 400 is not retried


def test_estimate_tokens():
    assert estimate_tokens([{"role": "system", "content": "a" * 8}, {"role": "user", "content": "b" * 4}], 16) == 27
