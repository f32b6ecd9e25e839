"""The chat client: checks of its parameters, Retry-After, budget accounting (the HTTP runs are in
tests/lf/test_prompt.py against a real local server)."""

from __future__ import annotations

import email.utils
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@contextmanager
def _answering(body: bytes, headers: dict[str, str] | None = None):
    """A real HTTP server on 127.0.0.1 that answers every POST with ``body`` (status 200), and the keys it saw."""
    keys: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            keys.append(self.headers.get("authorization", ""))
            self.send_response(200)
            for name, value in {"content-type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", keys
    finally:
        server.shutdown()
        server.server_close()


def _choice(**extra):
    return {"choices": [{"message": {"content": "spam"}, **extra}]}


@pytest.mark.parametrize("answer, match", [
    (_choice(logprobs={"content": [{"token": "spam", "logprob": None}]}), "logprobs or usage weaksup cannot read"),
    (_choice(logprobs={"content": [{"token": "spam", "logprob": "x"}]}), "logprobs or usage weaksup cannot read"),
    (_choice(logprobs={"content": [{"token": "s", "logprob": -1, "top_logprobs": [["a", 1]]}]}), "cannot read"),
    ({"choices": [{"message": {"content": None}, "finish_reason": "length"}]},
     "answered with no text .*finish_reason 'length'.*raise the LF's max_tokens"),
    ({"choices": [{"message": {"content": None, "refusal": "I can't"}, "finish_reason": "stop"}]}, "refusal"),
])
def test_an_answer_the_client_cannot_read_stops_the_run(tmp_path, answer, match):
    with _answering(json.dumps(answer).encode()) as (url, _):
        client = ChatClient(url, "m", cache=tmp_path / "c.sqlite3", max_retries=0)
        with pytest.raises(LFApplyError, match=match) as info:
            client.complete({"messages": [{"role": "user", "content": "t"}]}, who="LF 'llm'")
    assert getattr(info.value, "stops_run", False) and str(info.value).startswith("LF 'llm': ")


def test_a_body_that_cannot_be_decoded_stops_the_run(tmp_path):
    with _answering(b"not gzip at all", {"content-encoding": "gzip"}) as (url, _):
        client = ChatClient(url, "m", cache=tmp_path / "c.sqlite3", max_retries=0)
        with pytest.raises(LFApplyError, match="sent an answer that cannot be read") as info:
            client.complete({"messages": [{"role": "user", "content": "t"}]})
    assert getattr(info.value, "stops_run", False)


def test_infinite_usage_is_read_as_unknown_and_the_api_key_is_read_at_each_request(tmp_path, monkeypatch):
    body = json.dumps({**_choice(), "usage": {"total_tokens": float("inf")}}).encode()  # Python writes Infinity
    monkeypatch.delenv("WEAKSUP_TEST_KEY", raising=False)
    with _answering(body) as (url, keys):
        client = ChatClient(url, "m", cache=tmp_path / "c.sqlite3", api_key_env="WEAKSUP_TEST_KEY")
        assert client.complete({"messages": []}).text == "spam" and client.spent["used_tokens"] == 0
        monkeypatch.setenv("WEAKSUP_TEST_KEY", "sk-later")  # set after the first call, as after a 401
        client.complete({"messages": []})
    assert keys == ["", "Bearer sk-later"]


def _ask(client):
    return client.complete({"messages": [{"role": "user", "content": "<text>buy now</text>"}]}, who="LF 'llm'")


def test_a_refused_key_that_is_set_is_named_as_set_and_never_echoed(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_TEST_KEY", "sk-WRONG-key-123")
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], api_key="sk-right") as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", api_key_env="WEAKSUP_TEST_KEY")
        with pytest.raises(LFApplyError, match="HTTP 401") as info:
            _ask(client)
        message = str(info.value)
        # the server echoes the key it refused: the message says so without repeating it
        assert "sk-WRONG-key-123" not in message and "Bearer ***" in message
        assert "WEAKSUP_TEST_KEY is set, but the server refused its key" in message
        assert "set the environment variable WEAKSUP_TEST_KEY to the API key" not in message
        monkeypatch.delenv("WEAKSUP_TEST_KEY")
        with pytest.raises(LFApplyError, match="set the environment variable WEAKSUP_TEST_KEY to the API key"):
            _ask(client)


def test_a_model_the_server_does_not_serve_gets_a_hint(tmp_path):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], models=["tiny"]) as server:
        listed = httpx.get(server.base_url + "/models", timeout=10).json()
        assert [m["id"] for m in listed["data"]] == ["tiny"]
        assert _ask(ChatClient(server.base_url, "tiny", cache=tmp_path / "c.sqlite3")).text == "spam"
        client = ChatClient(server.base_url, "big", cache=tmp_path / "c.sqlite3")
        with pytest.raises(LFApplyError, match="HTTP 404") as info:
            _ask(client)
        assert (f"check the model name 'big' is one the server serves (GET {server.base_url}/models lists them) and "
                "that base_url ends where the server's /chat/completions lives, e.g. .../v1") in str(info.value)
        assert server.requests == 2  # a 404 is not retried


def test_the_budget_stop_names_the_plan_command(tmp_path):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts]) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", max_calls=1)
        requests = [(f"k{i}", {"messages": [{"role": "user", "content": f"t{i}"}]}, 10) for i in range(2)]
        with pytest.raises(LFApplyError, match=r"`weaksup lfs CONFIG --plan`"):
            client.ask_many(requests, lambda key, reply: None)


def test_user_info_in_the_base_url_is_refused_without_showing_it(tmp_path):
    # httpx would send it as a Basic Authorization header replacing the Bearer key from the environment
    with pytest.raises(ParameterError, match="user info.*api_key_env") as info:
        ChatClient("http://bob:sk-SECRET-pw@127.0.0.1:9/v1", "m", cache=tmp_path / "c.sqlite3")
    assert "sk-SECRET" not in str(info.value) and "bob" not in str(info.value)


def test_content_as_a_list_of_text_parts_is_read(tmp_path):
    body = json.dumps({"choices": [{"message": {"content": [{"type": "text", "text": "spam"}]}}]}).encode()
    with _answering(body) as (url, _):
        client = ChatClient(url, "m", cache=tmp_path / "c.sqlite3", max_retries=0)
        assert _ask(client).text == "spam"


@pytest.mark.parametrize("value", ["sk-proj-SECRET123abc", "sk_live_SECRET123abc", "hf_SECRETabcdefGHIJ123456789",
                                   "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI", "MY KEY", "1KEY", "OPENAI_API_KEY=sk-x1"])
def test_a_key_or_a_bad_name_passed_as_api_key_env_is_refused_without_showing_it(tmp_path, value):
    with pytest.raises(ParameterError, match="api_key_env") as info:
        ChatClient("http://127.0.0.1:9/v1", "m", cache=tmp_path / "c.sqlite3", api_key_env=value)
    message = str(info.value)
    assert value not in message and "SECRET" not in message
    assert "environment variable" in message and "api_key_env='OPENAI_API_KEY'" in message


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "GROQ_API_KEY", "HF_TOKEN", "my_key_2", "_K", ""])
def test_environment_variable_names_are_accepted_as_api_key_env(tmp_path, name):
    assert ChatClient("http://127.0.0.1:9/v1", "m", cache=tmp_path / "c.sqlite3", api_key_env=name).api_key_env == name


def test_a_key_passed_as_api_key_is_refused_pointing_at_the_environment(tmp_path):
    from weaksup.errors import WeakSupError

    with pytest.raises(WeakSupError, match="api_key_env") as info:
        ChatClient("http://127.0.0.1:9/v1", "m", cache=tmp_path / "c.sqlite3", api_key="sk-proj-SECRET123abc")
    assert isinstance(info.value, TypeError)  # as an unknown keyword is
    assert "SECRET" not in str(info.value) and "environment variable" in str(info.value)


def test_a_key_passed_as_api_key_env_never_reaches_the_server(tmp_path):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts], api_key="sk-proj-SECRET123abc") as server:
        with pytest.raises(ParameterError):
            ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3", api_key_env="sk-proj-SECRET123abc")
        assert server.requests == 0


@pytest.mark.parametrize("table, key", [("lfs", "api_key"), ("lfs", "openai_api_key"), ("input", "hf_token"),
                                        ("label_model", "client_secret")])
def test_an_api_key_in_the_config_is_pointed_at_the_environment(tmp_path, table, key):
    from tests.pipeline_project import write_config
    from weaksup.config import load_config
    from weaksup.errors import ConfigError

    config = write_config(tmp_path, **{table: {key: "sk-proj-SECRET123abc"}})
    with pytest.raises(ConfigError, match=f"unknown key {table}.{key}") as info:
        load_config(config)
    message = str(info.value)
    assert "SECRET" not in message and "environment variable" in message and "api_key_env" in message


def test_a_prompt_table_with_an_api_key_is_pointed_at_the_environment(tmp_path):
    from tests.pipeline_project import write_config
    from weaksup.config import load_config
    from weaksup.errors import ConfigError

    config = write_config(tmp_path, prompt={"api_key": "sk-proj-SECRET123abc", "model": "gpt-4o-mini"})
    with pytest.raises(ConfigError, match=r"unknown table \[prompt\]") as info:
        load_config(config)
    assert "SECRET" not in str(info.value) and "api_key_env" in str(info.value)


def test_an_unknown_key_that_is_no_secret_gets_no_key_hint(tmp_path):
    from tests.pipeline_project import write_config
    from weaksup.config import load_config
    from weaksup.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown key lfs.max_tokens") as info:
        load_config(write_config(tmp_path, lfs={"max_tokens": 5}))
    assert "api_key_env" not in str(info.value)
