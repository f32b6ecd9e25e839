"""Prompted LFs against a real chat-completions server on 127.0.0.1 (weaksup.testing.ChatServer) answering from a
TF-IDF + logistic regression classifier fitted on the YouTube dev gold rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import apply_lfs
from weaksup.errors import LFApplyError, LFDefinitionError, NotFoundError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.lf import PromptLF, prompt_lf
from weaksup.prompt import ChatClient, PromptCache
from weaksup.testing import ChatServer, youtube_classifier

TEMPLATE = "Is this YouTube comment spam (advertising, asking to subscribe) or ham?\n<text>{text}</text>"
LABELS = {"ham": 0, "spam": 1}


@pytest.fixture(autouse=True)
def not_replaying(monkeypatch):  # CI may run in replay-only mode: these tests ask the local server
    monkeypatch.delenv("WEAKSUP_PROMPT_REPLAY", raising=False)


@pytest.fixture(scope="module")
def classifier():
    return youtube_classifier()


@pytest.fixture(scope="module")
def rows(youtube):
    unique = youtube.drop_duplicates("text")
    return unique[unique["split"] == "unlabeled"].head(120)[["row_id", "text"]].reset_index(drop=True)


@pytest.fixture()
def server(classifier):
    with ChatServer(classifier) as s:
        yield s


def make_lf(server, path, template=TEMPLATE, **client_options):
    options = {"backoff": 0.01, **client_options}
    return prompt_lf("llm_spam", template, labels=LABELS, client=ChatClient(server.base_url, "tfidf-lr", cache=path,
                                                                             **options))


def expected_votes(classifier, texts):
    return np.array([LABELS[max(s, key=s.get)] for s in classifier(list(texts))])


def test_votes_come_from_the_server_and_a_second_run_asks_nothing(server, classifier, rows, tmp_path):
    lf = make_lf(server, tmp_path / "c.sqlite3")
    first = apply_lfs([lf], rows, id_column="row_id").values[:, 0]
    assert (first == expected_votes(classifier, rows["text"])).all()
    assert set(first) == {0, 1}
    assert server.calls == len(rows) and max(server.answered.values()) == 1
    server.reset_counts()
    again = make_lf(server, tmp_path / "c.sqlite3")  # a new client, a new process would do the same: the file
    second = apply_lfs([again], rows, id_column="row_id").values[:, 0]
    assert server.requests == 0 and again.client.spent["calls"] == 0
    assert second.tobytes() == first.tobytes()


def test_a_budget_stop_half_way_then_a_rerun_asks_only_the_rest(server, rows, tmp_path):
    path = tmp_path / "c.sqlite3"
    half = len(rows) // 2
    with pytest.raises(LFApplyError, match="max_calls=60 prompts") as stop:
        apply_lfs([make_lf(server, path, max_calls=half)], rows, id_column="row_id", fault_tolerant=True)
    assert getattr(stop.value, "stops_run", False)  # not turned into abstains, even fault-tolerant
    assert server.calls == half and len(PromptCache(path)) == half
    lf = make_lf(server, path)
    assert lf.plan(rows).uncached == len(rows) - half
    resumed = apply_lfs([lf], rows, id_column="row_id").values[:, 0]
    assert server.calls == len(rows)  # the rest only: every prompt answered once over both runs
    assert max(server.answered.values()) == 1
    server.reset_counts()
    fresh = apply_lfs([make_lf(server, tmp_path / "other.sqlite3")], rows, id_column="row_id").values[:, 0]
    assert (resumed == fresh).all()


def test_429s_and_500s_are_retried_with_back_off(classifier, rows, tmp_path):
    with ChatServer(classifier, rate_429=0.3, rate_500=0.15, retry_after_ms=5, seed=3,
                    max_failures_per_prompt=3) as server:
        lf = make_lf(server, tmp_path / "c.sqlite3", concurrency=4)
        votes = apply_lfs([lf], rows.head(60), id_column="row_id").values[:, 0]
        assert server.failures[429] > 5 and server.failures[500] > 2
        assert server.calls == 60 and max(server.answered.values()) == 1
        assert lf.client.spent["retries"] == server.failures[429] + server.failures[500]
    assert (votes == expected_votes(classifier, rows.head(60)["text"])).all()


def test_a_server_that_keeps_failing_stops_the_run_and_caches_nothing(classifier, rows, tmp_path):
    with ChatServer(classifier, rate_500=1.0) as server:
        lf = make_lf(server, tmp_path / "c.sqlite3", max_retries=2)
        with pytest.raises(LFApplyError, match="kept failing after 2 retries"):
            apply_lfs([lf], rows.head(5), id_column="row_id", fault_tolerant=True)
        assert server.requests == 5 * 3
    assert len(PromptCache(tmp_path / "c.sqlite3")) == 0


def test_the_api_key_comes_from_the_environment(classifier, rows, tmp_path, monkeypatch):
    with ChatServer(classifier, api_key="sk-test") as server:
        monkeypatch.delenv("WEAKSUP_TEST_KEY", raising=False)
        lf = make_lf(server, tmp_path / "c.sqlite3", api_key_env="WEAKSUP_TEST_KEY")
        with pytest.raises(LFApplyError, match="set the environment variable WEAKSUP_TEST_KEY"):
            lf(rows.iloc[0])
        monkeypatch.setenv("WEAKSUP_TEST_KEY", "sk-test")
        assert make_lf(server, tmp_path / "c.sqlite3", api_key_env="WEAKSUP_TEST_KEY")(rows.iloc[0]) in (0, 1)


def test_replay_only_mode_answers_from_the_cache_and_names_a_missing_row(server, rows, tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite3"
    part = rows.head(10).set_index("row_id")
    apply_lfs([make_lf(server, path)], part.head(6))
    server.reset_counts()
    monkeypatch.setenv("WEAKSUP_PROMPT_REPLAY", "1")
    assert make_lf(server, path).client.replay
    assert apply_lfs([make_lf(server, path)], part.head(6)).values.min() >= 0
    with pytest.raises(NotFoundError, match=rf"'llm_spam'.*replay-only.*index {part.index[6]!r}") as miss:
        apply_lfs([make_lf(server, path)], part, fault_tolerant=True)
    assert getattr(miss.value, "stops_run", False)
    assert server.requests == 0
    monkeypatch.delenv("WEAKSUP_PROMPT_REPLAY")
    with pytest.raises(NotFoundError):
        make_lf(server, path, replay=True)(part.iloc[9])


def test_the_token_budget_stops_before_sending(server, rows, tmp_path):
    lf = make_lf(server, tmp_path / "c.sqlite3", max_tokens=10)
    with pytest.raises(LFApplyError, match="max_tokens=10 estimated tokens"):
        apply_lfs([lf], rows.head(3), id_column="row_id")
    assert server.requests == 0


def test_plan_counts_uncached_prompts_and_tokens_without_sending(server, rows, tmp_path):
    data = pd.concat([rows.head(4), rows.head(2)], ignore_index=True).assign(row_id=[str(i) for i in range(6)])
    data.loc[5, "text"] = None
    lf = make_lf(server, tmp_path / "c.sqlite3")
    plan = lf.plan(data)
    assert (plan.rows, plan.prompts, plan.cached, plan.uncached) == (6, 4, 0, 4) and plan.tokens > 4 * 16
    votes = apply_lfs([lf], data, id_column="row_id").values[:, 0]
    assert server.requests == 4 and votes[5] == ABSTAIN and votes[4] == votes[0]
    assert lf.plan(data).uncached == 0 and lf.plan(data).tokens == 0


def test_json_mode_and_logprob_margin(classifier, rows, tmp_path):
    texts = rows.head(40)
    scores = classifier(list(texts["text"]))
    margins = np.array([abs(s["spam"] - s["ham"]) for s in scores])
    with ChatServer(classifier) as server:
        client = ChatClient(server.base_url, "tfidf-lr", cache=tmp_path / "c.sqlite3")
        as_json = prompt_lf("j", TEMPLATE, labels=LABELS, client=client, json_mode=True)
        assert (apply_lfs([as_json], texts).values[:, 0] == expected_votes(classifier, texts["text"])).all()
        sure = prompt_lf("m", TEMPLATE, labels=LABELS, client=client, logprobs=True, min_margin=0.5)
        votes = apply_lfs([sure], texts).values[:, 0]
    assert ((votes == ABSTAIN) == (margins < 0.5)).all() and 0 < (votes == ABSTAIN).sum() < len(texts)


def test_unsure_answers_abstain(classifier, rows, tmp_path):
    with ChatServer(classifier, unsure_below=0.8) as server:
        votes = apply_lfs([make_lf(server, tmp_path / "c.sqlite3")], rows.head(40)).values[:, 0]
    best = np.array([max(s.values()) for s in classifier(list(rows.head(40)["text"]))])
    assert ((votes == ABSTAIN) == (best < 0.8)).all()


def test_the_version_hashes_template_labels_model_and_sampling(tmp_path):
    client = ChatClient("http://127.0.0.1:9/v1", "a", cache=tmp_path / "c.sqlite3")
    base = prompt_lf("p", TEMPLATE, labels=LABELS, client=client)
    assert base.version == prompt_lf("p", TEMPLATE, labels=LABELS, client=client).version
    respelled = ChatClient("HTTP://127.0.0.1:9/v1/", "a", cache=tmp_path / "c.sqlite3")
    assert base.version == prompt_lf("p", TEMPLATE, labels=LABELS, client=respelled).version  # one server
    moved = ChatClient("http://10.0.0.1:8000/v1", "a", cache=tmp_path / "c.sqlite3")
    assert base.version != prompt_lf("p", TEMPLATE, labels=LABELS, client=moved).version  # its answers are not cached
    other = ChatClient("http://127.0.0.1:9/v1", "b", cache=tmp_path / "c.sqlite3")
    changed = [prompt_lf("p", TEMPLATE + " ", labels=LABELS, client=client),
               prompt_lf("p", TEMPLATE, labels={"ham": 0, "spam": 1, "advert": 1}, client=client),
               prompt_lf("p", TEMPLATE, labels=LABELS, client=other),
               prompt_lf("p", TEMPLATE, labels=LABELS, client=client, temperature=0.7),
               prompt_lf("p", TEMPLATE, labels=LABELS, client=client, json_mode=True)]
    assert len({base.version, *(lf.version for lf in changed)}) == 6
    assert isinstance(base, PromptLF) and base.manifest()["base_url"] == "http://127.0.0.1:9/v1"


def test_the_version_changes_exactly_when_the_cache_has_no_answers_for_the_server(server, rows, tmp_path):
    # before: the version left the server out while the cache keyed answers on the URL as spelled, so localhost
    # after 127.0.0.1 kept the version (a Workbench reused its votes) yet a run asked every prompt again
    data = rows.head(5)
    port = server.base_url.split(":")[2].split("/")[0]
    first = make_lf(server, tmp_path / "c.sqlite3")
    apply_lfs([first], data)
    assert server.calls == 5
    server.reset_counts()
    for url in (f"HTTP://127.0.0.1:{port}/v1/", f"http://127.0.0.1:{port}/v1//"):  # the same server, respelled
        same = prompt_lf("llm_spam", TEMPLATE, labels=LABELS, client=ChatClient(url, "tfidf-lr",
                                                                                 cache=tmp_path / "c.sqlite3"))
        assert same.version == first.version and same.plan(data).uncached == 0
        apply_lfs([same], data)
    assert server.requests == 0
    local = prompt_lf("llm_spam", TEMPLATE, labels=LABELS,
                      client=ChatClient(f"http://localhost:{port}/v1", "tfidf-lr", cache=tmp_path / "c.sqlite3"))
    plan = local.plan(data)
    assert local.version != first.version and plan.uncached == 5  # not provably the same server: asked again
    assert f"5 to send to tfidf-lr at http://localhost:{port}/v1" in str(plan)
    assert local.params["base_url"] == f"http://localhost:{port}/v1"


@pytest.mark.parametrize("template, labels, match", [
    ("no field here", LABELS, "names no column"),
    ("{0}", LABELS, "plain column name"),
    ("{text.upper}", LABELS, "plain column name"),
    ("{text", LABELS, "not a format string"),
    (TEMPLATE, {}, "labels must map"),
    (TEMPLATE, {"spam": 1, " SPAM": 0}, "distinct"),
])
def test_bad_definitions_are_refused(tmp_path, template, labels, match):
    client = ChatClient("http://127.0.0.1:9/v1", "a", cache=tmp_path / "c.sqlite3")
    with pytest.raises(LFDefinitionError, match=match):
        prompt_lf("p", template, labels=labels, client=client)


def test_a_pickled_lf_opens_the_same_cache(server, rows, tmp_path):
    import pickle

    lf = make_lf(server, tmp_path / "c.sqlite3", max_calls=50)
    votes = apply_lfs([lf], rows.head(20), id_column="row_id").values[:, 0]
    copy = pickle.loads(pickle.dumps(lf))
    assert copy.version == lf.version and copy.client.spent["calls"] == 0 and copy.client.max_calls == 50
    server.reset_counts()
    assert (apply_lfs([copy], rows.head(20), id_column="row_id").values[:, 0] == votes).all()
    assert server.requests == 0


def test_export_writes_a_module_giving_the_same_lf(tmp_path):
    from weaksup.labels import LabelSpace
    from weaksup.lf import export_module
    from weaksup.registry import Registry

    client = ChatClient("http://127.0.0.1:9/v1", "tfidf-lr", cache=tmp_path / "c.sqlite3", max_calls=100,
                        api_key_env="MY_KEY")
    space = LabelSpace(["ham", "spam"])
    lfs = [prompt_lf("llm_spam", TEMPLATE, labels=LABELS, client=client, json_mode=True, tags=["llm"]),
           prompt_lf("llm_2", "Spam? {text}", labels={"ham": 0, "spam": 1, "ad": 1}, client=client,
                     system="You label comments.", logprobs=True, min_margin=0.2)]
    path = tmp_path / "exported_prompt_lfs.py"
    export_module(lfs, path, label_space=space)
    source = path.read_text()
    assert "MY_KEY" in source and "sk-" not in source and "LABELS['spam']" in source and "description" not in source
    again = Registry.from_modules(str(path))
    for lf in lfs:
        copy = again[lf.name]
        assert copy.version == lf.version and copy.client.max_calls == 100
        assert copy.client.cache.path == lf.client.cache.path and copy.tags == lf.tags


def test_export_refuses_a_key_set_on_the_client_after_it_was_made_and_never_writes_it(tmp_path):
    from weaksup.errors import ParameterError
    from weaksup.lf import export_module

    client = ChatClient("http://127.0.0.1:9/v1", "tfidf-lr", cache=tmp_path / "c.sqlite3")
    lf = prompt_lf("llm_spam", TEMPLATE, labels=LABELS, client=client)
    client.api_key_env = "sk-proj-Abc123def456ghi789"  # the key itself, not the variable's name
    path = tmp_path / "exported.py"
    with pytest.raises(ParameterError, match="NAME of the environment variable") as caught:
        export_module([lf], path, label_space=["ham", "spam"])
    assert "sk-proj" not in str(caught.value)
    assert not path.exists() or "sk-proj" not in path.read_text()


def test_in_a_workbench_beside_rules_with_answers_to_review(server, classifier, rows, tmp_path):
    from weaksup import Workbench, keyword_lf, lf_summary

    lf = prompt_lf("llm_spam", TEMPLATE, labels=LABELS, client=ChatClient(server.base_url, "tfidf-lr",
                   cache=tmp_path / "c.sqlite3"), logprobs=True, min_margin=0.3)
    wb = Workbench(rows.head(50), label_space=["ham", "spam"]).add(keyword_lf("kw_sub", "subscribe", 1), lf)
    summary = lf_summary(wb.votes, wb.lfs)
    assert summary.loc["llm_spam", "kind"] == "prompt" and summary.loc["kw_sub", "kind"] == "keyword"
    assert 0.3 < summary.loc["llm_spam", "Coverage"] < 1.0 and summary.loc["llm_spam", "version"] == lf.version
    assert server.calls == 50
    answers = lf.answers(wb.data)  # the texts the workbench's LFs read (cleaned as `weaksup run` cleans them)
    margins = np.array([abs(s["spam"] - s["ham"]) for s in classifier(list(wb.data["text"]))])
    assert (answers["reason"].eq("margin") == (margins < 0.3)).all()
    assert (answers["label"].to_numpy() == wb.votes.values[:, 1]).all()
    assert answers["confidence"].between(0.5, 1.0).all()


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded_over_lfs_sharing_a_client(classifier, rows, tmp_path, concurrency):
    with ChatServer(classifier, latency=0.02) as server:
        client = ChatClient(server.base_url, "tfidf-lr", cache=tmp_path / "c.sqlite3", concurrency=concurrency)
        lfs = [prompt_lf(f"p{i}", f"Prompt {i}: <text>{{text}}</text>", labels=LABELS, client=client) for i in range(3)]
        apply_lfs(lfs, rows.head(16), id_column="row_id", n_threads=3)
    assert server.calls == 48 and server.max_in_flight <= concurrency
    assert concurrency == 1 or server.max_in_flight > 1  # and requests did run at once


def test_a_prompt_asked_by_two_batches_at_once_is_sent_once(classifier, rows, tmp_path):
    # two chunks voted in parallel that share rows (the same comment twice in the input) ask the model once
    from concurrent.futures import ThreadPoolExecutor

    with ChatServer(classifier, latency=0.05) as server:
        lf = make_lf(server, tmp_path / "c.sqlite3", concurrency=4)
        shared = rows.head(12)
        with ThreadPoolExecutor(2) as pool:
            votes = list(pool.map(lambda _: apply_lfs([lf], shared, id_column="row_id").values[:, 0], range(2)))
    assert server.calls == len(shared) and max(server.answered.values()) == 1
    assert (votes[0] == votes[1]).all() and (votes[0] == expected_votes(classifier, shared["text"])).all()
    assert lf.client.spent["calls"] == len(shared)  # the budget counts prompts sent, not prompts waited for


def test_credentials_in_the_base_url_are_refused_before_anything_is_sent(server, tmp_path):
    # httpx would send them as a Basic credential replacing the Bearer key: the key belongs in the environment
    secret_url = server.base_url.replace("http://", "http://bob:sk-SECRET@")
    with pytest.raises(ParameterError, match="user info.*api_key_env") as info:
        ChatClient(secret_url, "tfidf-lr", cache=tmp_path / "c.sqlite3", backoff=0.01)
    assert server.requests == 0 and "sk-SECRET" not in str(info.value) and "bob" not in str(info.value)
