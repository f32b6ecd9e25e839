"""The local chat-completions server: protocol, injected failures, counts, its own process."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from weaksup.testing import ChatServer, ChatServerProcess

HTTP = httpx.Client(timeout=10)  # one client: building one costs ~50 ms (its SSL context)


def fixed(texts):
    return [{"spam": 0.7, "ham": 0.3} for _ in texts]


def ask(server, **extra):
    body = {"model": "m", "messages": [{"role": "system", "content": "one word"},
                                       {"role": "user", "content": "Spam?\n<text>buy now</text>"}], **extra}
    return HTTP.post(server.base_url + "/chat/completions", json=body)


def test_answers_json_mode_logprobs_and_counts():
    with ChatServer(fixed) as server:
        assert ask(server).json()["choices"][0]["message"]["content"] == "spam"
        reply = ask(server, response_format={"type": "json_object"}, logprobs=True, top_logprobs=2).json()
        choice = reply["choices"][0]
        assert json.loads(choice["message"]["content"]) == {"label": "spam"}
        top = choice["logprobs"]["content"][0]["top_logprobs"]
        assert [t["token"] for t in top] == ["spam", "ham"] and top[1]["logprob"] == pytest.approx(math.log(0.3))
        assert server.stats() == {"requests": 2, "failures": {}, "calls": 2, "prompts": 1, "max_per_prompt": 2,
                                  "max_in_flight": 1}
        assert httpx.get(server.base_url + "/stats").json()["calls"] == 2
    with pytest.raises(httpx.TransportError):  # stopped: the port and the kept-alive connection are closed
        ask(server)


def test_injected_failures_and_unsure():
    with ChatServer(fixed, rate_429=0.5, rate_500=0.25, retry_after_ms=120, seed=0, unsure_below=0.8) as server:
        statuses = [ask(server) for _ in range(40)]
    codes = [r.status_code for r in statuses]
    assert 10 < codes.count(429) < 30 and 3 < codes.count(500) < 18
    limited = next(r for r in statuses if r.status_code == 429)
    assert limited.headers["retry-after-ms"] == "120" and limited.headers["retry-after"] == "1"
    assert {r.json()["choices"][0]["message"]["content"] for r in statuses if r.status_code == 200} == {"unsure"}
    assert server.failures[429] == codes.count(429)



def statuses_by_prompt(server, texts, rounds):
    seen = {}
    for _ in range(rounds):
        for text in texts:
            body = {"model": "m", "messages": [{"role": "user", "content": f"<text>{text}</text>"}]}
            seen.setdefault(text, []).append(HTTP.post(server.base_url + "/chat/completions", json=body).status_code)
    return seen


def test_which_requests_fail_does_not_depend_on_the_order_they_arrive_in():
    texts = [f"row {i}" for i in range(12)]
    with ChatServer(fixed, rate_429=0.4, rate_500=0.2, seed=5) as server:
        forward = statuses_by_prompt(server, texts, rounds=3)
    with ChatServer(fixed, rate_429=0.4, rate_500=0.2, seed=5) as server:
        backward = statuses_by_prompt(server, texts[::-1], rounds=3)
    with ChatServer(fixed, rate_429=0.4, rate_500=0.2, seed=6) as server:
        other_seed = statuses_by_prompt(server, texts, rounds=3)
    assert forward == backward and forward != other_seed
    assert {429, 500, 200} <= {code for codes in forward.values() for code in codes}


def test_max_failures_per_prompt_answers_the_next_attempt():
    with ChatServer(fixed, rate_500=1.0, max_failures_per_prompt=2) as server:
        seen = statuses_by_prompt(server, ["a", "b"], rounds=4)
    assert seen == {"a": [500, 500, 200, 200], "b": [500, 500, 200, 200]} and server.failures[500] == 4

@pytest.mark.slow
def test_in_its_own_process():
    with ChatServerProcess(latency=0.0) as server:
        assert server.stats()["requests"] == 0
        reply = ask(server).json()["choices"][0]["message"]["content"]
        assert reply in ("spam", "ham") and server.stats()["calls"] == 1
        server.reset()
        assert server.stats()["calls"] == 0


@pytest.mark.slow
def test_run_as_a_module_without_a_warning_with_a_key_and_models():
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "weaksup.testing.chat_server", "--port", "0", "--api-key",
                                "sk-local", "--model", "tiny"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        body = {"model": "tiny", "messages": [{"role": "user", "content": "<text>I love this song</text>"}]}
        assert HTTP.post(base_url + "/chat/completions", json=body).status_code == 401
        key = {"Authorization": "Bearer sk-local"}
        assert HTTP.post(base_url + "/chat/completions", json=body, headers=key).status_code == 200
        assert HTTP.post(base_url + "/chat/completions", json={**body, "model": "big"}, headers=key).status_code == 404
        assert [m["id"] for m in HTTP.get(base_url + "/models").json()["data"]] == ["tiny"]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "RuntimeWarning" not in err and "found in sys.modules" not in err  # runpy's warning, before


def test_the_package_names_load_on_first_use():
    import weaksup.testing as testing

    assert testing.ChatServer is ChatServer and testing.ChatServerProcess is ChatServerProcess
    assert callable(testing.youtube_classifier)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        testing.nope  # noqa: B018
