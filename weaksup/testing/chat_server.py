"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, answering from a local classifier.

:class:`ChatServer` serves ``POST /v1/chat/completions`` (any path ending in ``/chat/completions``) on a free
loopback port with a thread per connection (HTTP/1.1 keep-alive). It reads the row's text from the last user
message (between ``<text>`` and ``</text>`` when present, else the whole message), scores it with a classifier
(:func:`youtube_classifier`: TF-IDF + logistic regression fitted on the YouTube example's dev gold rows) and answers
the best label, ``"unsure"`` below ``unsure_below``, as JSON with ``response_format={"type": "json_object"}`` and
with ``top_logprobs`` when asked. Latency, 429s (with ``retry-after-ms``) and 500s can be injected; it counts
every request and the answers given per prompt. Which requests fail depends only on the seed, the request body and
how many times that body was sent before, never on the order concurrent requests arrive in, so a test with
injected failures gives the same counts on every machine.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ChatServer", "youtube_classifier"]

Classifier = Callable[[Sequence[str]], list[dict[str, float]]]
_TEXT = re.compile(r"<text>(.*)</text>", re.S)


def youtube_classifier() -> Classifier:
    """A classifier of texts into ``{"ham": p, "spam": p}``: TF-IDF (words 1-2) + logistic regression fitted on the
    YouTube example's dev gold rows (never the test rows).

    Examples
    --------
    >>> clf = youtube_classifier()
    >>> scores = clf(["Subscribe to my channel and check out my videos!!", "I love this song"])
    >>> [max(s, key=s.get) for s in scores]
    ['spam', 'ham']
    """
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from weaksup.datasets.examples import get_example, load_youtube_spam

    rows = load_youtube_spam()
    gold = pd.read_csv(get_example("youtube_spam").gold_dir / "labels.csv", dtype=str)
    dev = gold[gold["split"] == "dev"].merge(rows[["row_id", "text"]], on="row_id")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                          LogisticRegression(C=10.0, max_iter=1000))
    model.fit(dev["text"].fillna(""), dev["label"])
    classes = [str(c) for c in model.classes_]

    def classify(texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict(zip(classes, map(float, p))) for p in model.predict_proba(list(texts))]

    return classify


class ChatServer:
    """A chat-completions server on a free 127.0.0.1 port; use it as a context manager (stopped on exit).

    Parameters
    ----------
    classifier : callable
        ``texts -> [{answer: probability}]``; :func:`youtube_classifier` by default.
    latency : float, default 0
        Seconds each request waits before it is answered.
    rate_429, rate_500 : float, default 0
        Share of requests answered 429 (with ``retry-after-ms: retry_after_ms``) or 500 instead.
    unsure_below : float, default 0
        Answer ``"unsure"`` when the best probability is below this.
    seed : int, default 0
        Seeds the injected failures (drawn from the seed, the request body and its attempt number).
    max_failures_per_prompt : int, optional
        At most this many injected failures for one request body; its next attempt is answered. ``None``: no limit.
    api_key : str, optional
        When given, a request without ``Authorization: Bearer <api_key>`` is answered 401, echoing the
        ``Authorization`` it got (as some servers do: a client must not repeat it).
    models : sequence of str, optional
        When given, the models it serves (listed at ``GET {base_url}/models``): a request naming another is
        answered 404 ``model_not_found``, as OpenAI does. ``None``: any model name is answered.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:PORT/v1``.
    requests : int
        Requests received (every status).
    answered : collections.Counter
        200 answers given, by the text of the last user message.
    max_in_flight : int
        The most requests it was answering at once (during their latency).

    Examples
    --------
    >>> import httpx
    >>> with ChatServer(lambda texts: [{"spam": 0.9, "ham": 0.1} for _ in texts]) as server:
    ...     body = {"model": "m", "messages": [{"role": "user", "content": "<text>buy now</text>"}]}
    ...     reply = httpx.post(server.base_url + "/chat/completions", json=body).json()
    >>> reply["choices"][0]["message"]["content"], server.requests
    ('spam', 1)
    """

    def __init__(self, classifier: Classifier | None = None, *, latency: float = 0.0, rate_429: float = 0.0,
                 rate_500: float = 0.0, retry_after_ms: int = 50, unsure_below: float = 0.0, seed: int = 0,
                 max_failures_per_prompt: int | None = None, api_key: str | None = None, port: int = 0,
                 models: Sequence[str] | None = None) -> None:
        self.api_key, self.port = api_key, int(port)
        self.models = None if models is None else tuple(models)
        self.classifier = classifier if classifier is not None else youtube_classifier()
        self.latency, self.rate_429, self.rate_500 = float(latency), float(rate_429), float(rate_500)
        self.retry_after_ms, self.unsure_below = int(retry_after_ms), float(unsure_below)
        self.seed, self.max_failures_per_prompt = int(seed), max_failures_per_prompt
        self._attempts = Counter[bytes]()
        self._failed = Counter[bytes]()
        self._lock = threading.Lock()
        self.requests = 0
        self._in_flight = self.max_in_flight = 0
        self.failures = Counter[int]()
        self.answered = Counter[str]()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.base_url = ""

    def reset_counts(self) -> None:
        """Set the request and answer counts back to zero."""
        with self._lock:
            self.requests = self.max_in_flight = 0
            self.failures.clear()
            self.answered.clear()

    def stats(self) -> dict[str, Any]:
        """The counts: ``requests``, ``failures`` by status, ``calls`` (200 answers), ``prompts`` (distinct
        prompts answered), ``max_per_prompt`` and ``max_in_flight``; also served at ``GET {base_url}/stats``."""
        with self._lock:
            return {"requests": self.requests, "failures": {str(k): v for k, v in self.failures.items()},
                    "calls": sum(self.answered.values()), "prompts": len(self.answered),
                    "max_per_prompt": max(self.answered.values(), default=0), "max_in_flight": self.max_in_flight}

    @property
    def calls(self) -> int:
        """Prompts answered (200s), over every prompt."""
        with self._lock:
            return sum(self.answered.values())

    def start(self) -> ChatServer:
        """Listen on a free loopback port, serving on a background thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                path = self.path.rstrip("/")
                if path.endswith("/models"):
                    listed = [{"id": m, "object": "model", "owned_by": "weaksup"} for m in server.models or ()]
                    self._send(200, {}, {"object": "list", "data": listed})
                    return
                found = path.endswith("/stats")
                self._send(200 if found else 404, {}, server.stats() if found else {"error": "no route"})

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.rstrip("/").endswith("/stats/reset"):
                    server.reset_counts()
                    self._send(200, {}, server.stats())
                    return
                self._send(*server.handle(self.path, raw, self.headers.get("Authorization", "")))

            def _send(self, status: int, headers: dict[str, str], payload: Any) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                for key, value in {**headers, "Content-Type": "application/json",
                                   "Content-Length": str(len(data))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:  # a client gone (killed): quiet
                import sys

                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self._httpd = Server(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="chat-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, free the port and close the open connections."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
            with self._lock:  # kept-alive connections too: nothing is served once stopped
                for connection in list(self._connections):
                    try:
                        connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, path: str, raw: bytes, authorization: str = "") -> tuple[int, dict[str, str], Any]:
        """``(status, headers, JSON body)`` for one request."""
        with self._lock:
            self.requests += 1
            key = hashlib.sha256(raw).digest()
            draw = int.from_bytes(hashlib.sha256(b"%d|%d|" % (self.seed, self._attempts[key]) + key).digest()[:8],
                                  "big") / 2.0 ** 64
            self._attempts[key] += 1
            if self.max_failures_per_prompt is not None and self._failed[key] >= self.max_failures_per_prompt:
                draw = 1.0
            elif draw < self.rate_429 + self.rate_500:
                self._failed[key] += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
        finally:
            with self._lock:
                self._in_flight -= 1
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return 401, {}, {"error": {"message": f"Incorrect API key provided: {authorization}",
                                       "type": "invalid_request_error"}}
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, {}, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}
        if self.models is not None:
            try:
                model = json.loads(raw).get("model")
            except (ValueError, AttributeError):
                model = None
            if model not in self.models:
                return 404, {}, {"error": {"message": f"The model `{model}` does not exist",
                                           "type": "invalid_request_error", "code": "model_not_found"}}
        if draw < self.rate_429:
            with self._lock:
                self.failures[429] += 1
            return 429, {"retry-after-ms": str(self.retry_after_ms),
                         "Retry-After": str(max(1, math.ceil(self.retry_after_ms / 1000)))}, \
                {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
        if draw < self.rate_429 + self.rate_500:
            with self._lock:
                self.failures[500] += 1
            return 500, {}, {"error": {"message": "injected server error", "type": "server_error"}}
        try:
            body = json.loads(raw)
            user = [m["content"] for m in body["messages"] if m.get("role") == "user"][-1]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            return 400, {}, {"error": {"message": f"bad request: {exc}", "type": "invalid_request_error"}}
        found = _TEXT.search(user)
        scores = self.classifier([found.group(1) if found else user])[0]
        best = max(scores, key=lambda k: scores[k])
        answer = best if scores[best] >= self.unsure_below else "unsure"
        content = json.dumps({"label": answer}) if (body.get("response_format") or {}).get("type") == "json_object" \
            else answer
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": "stop"}
        if body.get("logprobs"):
            top = [{"token": k, "logprob": math.log(max(p, 1e-12))} for k, p in
                   sorted(scores.items(), key=lambda kv: -kv[1])][: int(body.get("top_logprobs") or 1)]
            choice["logprobs"] = {"content": [{"token": answer, "logprob": math.log(max(scores.get(answer, 1.0),
                                                                                          1e-12)),
                                               "top_logprobs": top}]}
        with self._lock:
            self.answered[user] += 1
        words = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        return 200, {}, {"id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": int(time.time()),
                         "model": body.get("model", ""), "choices": [choice],
                         "usage": {"prompt_tokens": words, "completion_tokens": 1, "total_tokens": words + 1}}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m weaksup.testing.chat_server [--latency S] [--rate-429 P] [--rate-500 P] [--port N]
    [--api-key KEY] [--model NAME ...]``: serve the YouTube classifier in this process until killed; the first line
    printed is the base URL."""
    import argparse

    parser = argparse.ArgumentParser(description="A local chat-completions server answering from a classifier.")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--rate-500", type=float, default=0.0)
    parser.add_argument("--retry-after-ms", type=int, default=50)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-key", default=None, help="answer 401 to requests without this bearer key")
    parser.add_argument("--model", action="append", default=None,
                        help="a model it serves (repeat for more); others are answered 404. Default: any")
    args = parser.parse_args(argv)
    server = ChatServer(latency=args.latency, rate_429=args.rate_429, rate_500=args.rate_500,
                        retry_after_ms=args.retry_after_ms, port=args.port, seed=args.seed, api_key=args.api_key,
                        models=args.model).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
