"""The SQLite prompt cache: keys, persistence across connections and threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from weaksup.errors import ParameterError
from weaksup.prompt import PromptCache, cache_key, default_cache_path, normalise_base_url

MESSAGES = [{"role": "user", "content": "spam? buy now"}]


def test_the_key_covers_server_model_prompt_params_and_parser():
    base = cache_key("http://a/v1", "m", MESSAGES, {"temperature": 0.0}, "1")
    others = [cache_key("http://b/v1", "m", MESSAGES, {"temperature": 0.0}, "1"),
              cache_key("http://a/v1", "n", MESSAGES, {"temperature": 0.0}, "1"),
              cache_key("http://a/v1", "m", [{"role": "user", "content": "spam? buy"}], {"temperature": 0.0}, "1"),
              cache_key("http://a/v1", "m", MESSAGES, {"temperature": 0.5}, "1"),
              cache_key("http://a/v1", "m", MESSAGES, {"temperature": 0.0}, "2")]
    assert len({base, *others}) == 6
    assert base == cache_key("http://a/v1/", "m", MESSAGES, {"temperature": 0.0}, "1")


@pytest.mark.parametrize("url, same", [
    ("HTTP://A/v1", True), ("http://a:80/v1/", True), ("http://user@a/v1", True), ("http://a:8080/v1", False),
    ("https://a/v1", False), ("http://a/V1", False), ("http://localhost/v1", False),
])
def test_the_key_names_the_server_by_its_normalised_url(url, same):
    key = cache_key("http://a/v1", "m", MESSAGES, {}, "1")
    assert (cache_key(url, "m", MESSAGES, {}, "1") == key) is same
    assert (normalise_base_url(url) == "http://a/v1") is same
    assert normalise_base_url("https://[::1]:443/v1") == "https://[::1]/v1"


def test_answers_persist_across_connections_and_threads(tmp_path):
    path = tmp_path / "deep" / "c.sqlite3"
    cache = PromptCache(path)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put(f"k{i}", "m", f"a{i}", [{"token": "a", "logprob": -0.1}] if i % 2 else None),
                      range(200)))
    cache.close()
    again = PromptCache(path)
    found = again.get_many(f"k{i}" for i in range(250))
    assert len(again) == 200 and len(found) == 200
    assert found["k3"] == ("a3", [{"token": "a", "logprob": -0.1}]) and found["k4"] == ("a4", None)


def test_default_path_and_unwritable_path(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(tmp_path / "x.sqlite3"))
    assert default_cache_path() == tmp_path / "x.sqlite3"
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ParameterError, match="cannot be opened"):
        PromptCache(tmp_path / "file" / "c.sqlite3")
