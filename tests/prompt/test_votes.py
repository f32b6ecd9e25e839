"""A prompted LF's votes against a real local server: what min_margin re-asks, unreadable answers, and an
over-long row."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from weaksup import LabelSpace, apply_lfs, prompt_lf
from weaksup.errors import LFApplyError
from weaksup.prompt import ChatClient
from weaksup.testing import ChatServer, youtube_classifier

LS = LabelSpace(["ham", "spam"])
TEXTS = ["check out my channel, free gifts", "great song", "subscribe to me!!", "love this",
         "win an iphone now", "nice video", "best song ever", "click my link for money"]


def _lf(client, **options):
    return prompt_lf("llm", "<text>{text}</text>", labels=["ham", "spam"], label_space=LS, client=client, **options)


def test_changing_min_margin_reads_the_cached_answers_again(tmp_path):
    frame = pd.DataFrame({"text": TEXTS})
    with ChatServer(youtube_classifier()) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3")
        coverage = []
        for margin in (0.0, 0.99):
            votes = apply_lfs([_lf(client, logprobs=True, min_margin=margin)], frame, label_space=LS)
            coverage.append(int((votes.values[:, 0] != -1).sum()))
            if margin == 0.0:
                server.reset_counts()
        assert server.requests == 0  # the answers are in the cache: only the reading changed
    assert coverage[0] == len(TEXTS) and coverage[1] < coverage[0]
    assert _lf(client, min_margin=0.0).version != _lf(client, min_margin=0.99).version  # votes recomputed


def test_an_lf_whose_answers_cannot_be_read_warns(tmp_path, caplog):
    frame = pd.DataFrame({"text": TEXTS})
    with ChatServer(lambda texts: [{"eggs": 1.0} for _ in texts]) as server:
        lf = _lf(ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3"))
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            votes = apply_lfs([lf], frame, label_space=LS)
    assert (votes.values[:, 0] == -1).all()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "'llm'" in r.getMessage()]
    assert any(f"{len(TEXTS)} of {len(TEXTS)} answers" in m and "unparseable" in m for m in warned), warned


def test_readable_answers_do_not_warn(tmp_path, caplog):
    with ChatServer(lambda texts: [{"spam": 1.0} for _ in texts]) as server:
        lf = _lf(ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3"))
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            apply_lfs([lf], pd.DataFrame({"text": TEXTS}), label_space=LS)
    assert not [r for r in caplog.records if "unparseable" in r.getMessage()]


CONTEXT_SERVER = textwrap.dedent('''
    import json, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if len(body["messages"][-1]["content"]) > 2000:
                status, out = 400, {"error": {"message": "This model's maximum context length is 512 tokens. "
                                    "However, your messages resulted in 700 tokens.", "type": "invalid_request_error",
                                    "param": "messages", "code": "context_length_exceeded"}}
            else:
                status, out = 200, {"choices": [{"message": {"content": "spam"}, "finish_reason": "stop"}]}
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
''')


@pytest.fixture()
def context_server():
    """A real server refusing prompts over 2,000 characters as OpenAI does (400 context_length_exceeded)."""
    proc = subprocess.Popen([sys.executable, "-c", CONTEXT_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_over_long_row_is_named_with_a_context_hint(tmp_path, context_server):
    frame = pd.DataFrame({"row_id": ["r1", "r2", "long-one", "r4"],
                          "text": ["free money", "hello", "spam " * 1000, "hi"]})
    lf = _lf(ChatClient(context_server, "m", cache=tmp_path / "c.sqlite3", concurrency=1))
    with pytest.raises(LFApplyError) as info:
        apply_lfs([lf], frame, label_space=LS, id_column="row_id")
    message = str(info.value)
    assert "[row id 'long-one']" in message and "HTTP 400" in message
    assert "longer than the model's context" in message and "check the model name" not in message
    assert message.count("long-one") == 1


def _answering(spam_answer, ham_answer):
    """A classifier whose answers are sentences: ``spam_answer`` for spammy texts, ``ham_answer`` for the rest."""
    def classify(texts):
        return [{spam_answer if any(w in t for w in ("check", "subscribe", "win", "click")) else ham_answer: 1.0}
                for t in texts]
    return classify


def test_yes_no_answers_to_a_yes_no_question_vote_both_classes(tmp_path, caplog):
    frame = pd.DataFrame({"text": TEXTS})
    with ChatServer(_answering("Yes, it's spam.", "No, it's ham.")) as server:
        client = ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3")
        lf = prompt_lf("llm", "Is this YouTube comment spam? <text>{text}</text>", labels=["ham", "spam"],
                       label_space=LS, client=client)
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            votes = apply_lfs([lf], frame, label_space=LS).values[:, 0]
    assert votes.tolist() == [1, 0, 1, 0, 1, 0, 0, 1]  # "No, it's ham." is ham, not a negated ham
    assert not [r for r in caplog.records if "'llm'" in r.getMessage()]


def test_an_lf_whose_answers_are_often_negated_warns_once(tmp_path, caplog):
    frame = pd.DataFrame({"text": TEXTS})
    with ChatServer(_answering("spam", "It is not spam.")) as server:
        lf = _lf(ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3"))
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            votes = apply_lfs([lf], frame, label_space=LS).values[:, 0]
    assert 0 not in votes.tolist()  # the LF never votes ham: only the warning shows it
    warned = [r.getMessage() for r in caplog.records if "'llm'" in r.getMessage()]
    assert len(warned) == 1 and "4 of 8 answers" in warned[0] and "(negated)" in warned[0], warned


def test_a_reasoning_model_s_think_block_is_not_read_as_the_answer(tmp_path):
    frame = pd.DataFrame({"text": TEXTS})
    think = "<think>Is it spam or ham? Let me weigh spam against ham.</think>\n\n"
    with ChatServer(_answering(think + "spam", think + "ham")) as server:
        lf = _lf(ChatClient(server.base_url, "m", cache=tmp_path / "c.sqlite3"))
        votes = apply_lfs([lf], frame, label_space=LS).values[:, 0]
        answers = lf.answers(frame)
    assert votes.tolist() == [1, 0, 1, 0, 1, 0, 0, 1]
    assert answers["answer"].str.startswith("<think>").all()  # the model's text is kept as it came
