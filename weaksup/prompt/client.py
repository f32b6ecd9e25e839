"""A client of the OpenAI-compatible chat-completions protocol (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).

:class:`ChatClient` holds the server (base URL, model, API key from the environment), the prompt cache, the
concurrency bound, the retry policy and the run's budget. It asks many prompts at once (:meth:`ChatClient.ask_many`)
on a bounded thread pool, saving each answer in the cache as it arrives.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tqdm.auto import tqdm

from weaksup.errors import LFApplyError, ParameterError, WeakSupError, stops_run
from weaksup.interrupt import STOP_REQUESTED
from weaksup.prompt.cache import PromptCache, without_user_info
from weaksup.prompt.hints import redact, refused_hint

if TYPE_CHECKING:  # httpx loads with the first request, so `import weaksup` stays light
    import httpx

__all__ = ["ChatClient", "Reply", "estimate_tokens", "replay_from_env", "retry_after", "stops_run"]

logger = logging.getLogger(__name__)

#: Statuses retried with back-off: rate limits, timeouts and server errors.
RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504})


def replay_from_env() -> bool:
    """True when ``WEAKSUP_PROMPT_REPLAY`` is set to a true value (``1``, ``true``, ``yes``, ``on``).

    Examples
    --------
    >>> isinstance(replay_from_env(), bool)
    True
    """
    return os.environ.get("WEAKSUP_PROMPT_REPLAY", "").strip().lower() in {"1", "true", "yes", "on"}


def estimate_tokens(messages: Sequence[Mapping[str, str]], max_tokens: int) -> int:
    """A rough token count of a request: 4 characters a token plus 4 a message, plus the answer's ``max_tokens``.

    Examples
    --------
    >>> estimate_tokens([{"role": "user", "content": "x" * 40}], 5)
    19
    """
    return sum(len(m.get("content", "")) // 4 + 4 for m in messages) + max_tokens


@dataclass(frozen=True)
class Reply:
    """A chat model's answer: its text, the first answer tokens' ``top_logprobs`` (``None`` without) and the
    ``usage.total_tokens`` the server reported (0 without)."""

    text: str
    logprobs: list[dict[str, Any]] | None
    used_tokens: int = 0


def _reply(data: Any, url: str) -> Reply:
    """The :class:`Reply` in a chat-completions answer; any answer it cannot read stops the run (a
    :func:`stops_run` error: abstaining would save wrong votes under the LF's version)."""
    try:
        choice = data["choices"][0]
        message = choice["message"]
        text = message["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise stops_run(LFApplyError(f"{url} answered without choices[0].message.content ({exc}): it does not "
                                     "speak the chat-completions protocol; check base_url")) from exc
    if not isinstance(text, str):
        refusal = message.get("refusal") if isinstance(message, dict) else None
        raise stops_run(LFApplyError(
            f"{url} answered with no text (content {text!r}, finish_reason {choice.get('finish_reason')!r}"
            + (f", refusal {str(refusal)[:100]!r}" if refusal else "") + "): a refusal, a tool call, or a model that "
            "spent max_tokens before answering (reasoning models do); raise the LF's max_tokens or check the model"))
    try:
        content = (choice.get("logprobs") or {}).get("content") or []
        tokens = [{"token": str(t.get("token", "")), "logprob": float(t.get("logprob", 0.0)),
                   "top_logprobs": [{"token": str(a.get("token", "")), "logprob": float(a.get("logprob", 0.0))}
                                    for a in (t.get("top_logprobs") or [])]}
                  for t in content[:8] if isinstance(t, dict)]
        usage = data.get("usage")
        used = usage.get("total_tokens") if isinstance(usage, dict) else None
        used_tokens = int(used) if isinstance(used, (int, float)) and math.isfinite(used) else 0
    except (AttributeError, TypeError, ValueError) as exc:
        raise stops_run(LFApplyError(f"{url} answered with logprobs or usage weaksup cannot read ({type(exc).__name__}: "
                                     f"{exc}); ask without logprobs (logprobs=False) or fix the server")) from exc
    return Reply(text, tokens or None, used_tokens)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms`` (OpenAI), else ``Retry-After`` (seconds or a date).

    Examples
    --------
    >>> import httpx
    >>> retry_after(httpx.Response(429, headers={"retry-after-ms": "250", "Retry-After": "1"}))
    0.25
    """
    ms = response.headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(when.timestamp() - time.time(), 0.0) if when is not None else None


class ChatClient:
    """An OpenAI-compatible chat-completions server, with a prompt cache, bounded concurrency, retries and a budget.

    Parameters
    ----------
    base_url : str
        The API root, e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``; requests go to
        ``{base_url}/chat/completions``. User info in it (``http://user:password@host/v1``) is sent with the
        requests but never shown: :attr:`base_url`, :attr:`url`, messages and written files leave it out.
    model : str
        The model name the server knows.
    api_key_env : str, default "OPENAI_API_KEY"
        The environment variable holding the API key (never a config file). When it is unset no key is sent,
        as local servers need none.
    cache : str, path-like or PromptCache, optional
        Where answers are kept (:func:`~weaksup.prompt.cache.default_cache_path` by default).
    concurrency : int, default 8
        Requests in flight at once, over every LF using this client.
    max_retries : int, default 6
        Retries of a request answered 408/409/429/5xx or failing to connect, after waiting the server's
        ``retry-after-ms``/``Retry-After``, else ``backoff * 2**attempt`` seconds (with jitter, at most
        ``max_backoff``).
    max_calls, max_tokens : int, optional
        The run's budget: prompts sent (a retry of one prompt is not counted again) and estimated tokens
        (:func:`estimate_tokens`). A batch that would pass it sends what fits, waits for the answers (they are
        cached) and stops with an :class:`~weaksup.errors.LFApplyError`; a rerun asks only the rest.
    replay : bool, optional
        Answer only from the cache (a miss is an error naming the LF and the row); by default when the
        environment variable ``WEAKSUP_PROMPT_REPLAY`` is true.
    timeout : float, default 60
        Seconds per request.

    Examples
    --------
    >>> import tempfile
    >>> client = ChatClient("http://127.0.0.1:9/v1", "tiny", cache=tempfile.mkdtemp() + "/c.sqlite3", max_calls=10)
    >>> client.url, client.spent
    ('http://127.0.0.1:9/v1/chat/completions', {'calls': 0, 'tokens': 0, 'requests': 0, 'retries': 0, 'used_tokens': 0})
    """

    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 cache: str | os.PathLike[str] | PromptCache | None = None, concurrency: int = 8,
                 max_retries: int = 6, backoff: float = 0.5, max_backoff: float = 30.0,
                 max_calls: int | None = None, max_tokens: int | None = None, replay: bool | None = None,
                 timeout: float = 60.0) -> None:
        if not isinstance(base_url, str) or not base_url.lower().startswith(("http://", "https://")):
            raise ParameterError(f"ChatClient: base_url must be an http(s) URL such as 'http://127.0.0.1:8000/v1'; "
                                 f"got {base_url!r}")
        if not isinstance(model, str) or not model.strip():
            raise ParameterError(f"ChatClient: model must be the model name the server serves; got {model!r}")
        for label, value in (("concurrency", concurrency), ("max_calls", max_calls), ("max_tokens", max_tokens)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ParameterError(f"ChatClient: {label} must be a whole number >= 1 (or None); got {value!r}")
        if not isinstance(max_retries, int) or max_retries < 0 or backoff < 0 or max_backoff < 0:
            raise ParameterError(f"ChatClient: max_retries, backoff and max_backoff must be >= 0; got "
                                 f"{max_retries!r}, {backoff!r}, {max_backoff!r}")
        self.base_url = without_user_info(base_url).rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self._post_url = f"{base_url.rstrip('/')}/chat/completions"  # with user info: only requests see it
        self.model = model
        self.api_key_env = api_key_env
        self.cache = cache if isinstance(cache, PromptCache) else PromptCache(cache)
        self.concurrency = concurrency
        self.max_retries, self.backoff, self.max_backoff = max_retries, float(backoff), float(max_backoff)
        self.max_calls, self.max_tokens = max_calls, max_tokens
        self._replay = replay
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._spent = {"calls": 0, "tokens": 0, "requests": 0, "retries": 0, "used_tokens": 0}
        self._http: httpx.Client | None = None
        self._asked: dict[str, list[Any]] = {}  # prompt key -> [its lock, the threads holding or awaiting it]

    def __getstate__(self) -> dict[str, Any]:  # pickled (to other processes): no locks, connections or counts
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_slots", "_http", "_asked")}
        state["_spent"] = dict.fromkeys(self._spent, 0)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._http = None
        self._asked = {}

    def __repr__(self) -> str:
        return f"ChatClient({self.base_url!r}, {self.model!r}, cache={str(self.cache.path)!r})"

    @property
    def replay(self) -> bool:
        """True when answers come only from the cache (``replay=True``, or ``WEAKSUP_PROMPT_REPLAY=1``)."""
        return self._replay if self._replay is not None else replay_from_env()

    @property
    def spent(self) -> dict[str, int]:
        """What this client has used: prompts sent (``calls``), estimated ``tokens``, HTTP ``requests``
        (retries included), ``retries`` and the tokens the server reported using (``used_tokens``)."""
        with self._lock:
            return dict(self._spent)

    def reset_budget(self) -> None:
        """Start a new run's budget (the counts of :attr:`spent` go back to 0)."""
        with self._lock:
            self._spent = dict.fromkeys(self._spent, 0)

    def _client(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._http is None:
                limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
                self._http = httpx.Client(timeout=self.timeout, limits=limits)
            return self._http

    def _headers(self) -> dict[str, str]:
        """The request's headers: the API key read from the environment at each request (a key set after a 401,
        in a notebook, is used by the next call)."""
        return {"Authorization": f"Bearer {key}"} if (key := self._api_key()) else {}

    def _api_key(self) -> str:
        return os.environ.get(self.api_key_env, "") if self.api_key_env else ""

    def _redacted(self, text: str) -> str:
        """``text`` (a server's answer) with the API key and the URL's password replaced by ``***``."""
        return redact(text, [self._api_key(), urlsplit(self._post_url).password or ""])

    def close(self) -> None:
        """Close the HTTP connections (the cache stays open)."""
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _reserve(self, tokens: int) -> str:
        """Count one prompt against the budget; ``""`` when it fits, else what it would pass."""
        with self._lock:
            calls, used = self._spent["calls"] + 1, self._spent["tokens"] + tokens
            if self.max_calls is not None and calls > self.max_calls:
                return f"max_calls={self.max_calls} prompts"
            if self.max_tokens is not None and used > self.max_tokens:
                return f"max_tokens={self.max_tokens} estimated tokens (this prompt ~{tokens})"
            self._spent["calls"], self._spent["tokens"] = calls, used
            return ""

    def _refund(self, tokens: int) -> None:
        """Give back a prompt counted by :meth:`_reserve` that was answered without being sent."""
        with self._lock:
            self._spent["calls"] -= 1
            self._spent["tokens"] -= tokens

    @contextmanager
    def _asking(self, key: str) -> Iterator[bool]:
        """Hold prompt ``key`` while it is asked, so that two batches voted at once (the same text in two
        chunks) send it once; yields whether another batch held it first (its answer is then in the cache)."""
        with self._lock:
            held = self._asked.setdefault(key, [threading.Lock(), 0])
            held[1] += 1
        waited = not held[0].acquire(blocking=False)
        if waited:
            held[0].acquire()
        try:
            yield waited
        finally:
            held[0].release()
            with self._lock:
                held[1] -= 1
                if held[1] == 0:
                    del self._asked[key]

    def complete(self, body: Mapping[str, Any], who: str = "prompt LF") -> Reply:
        """POST one chat-completions request (``body`` without ``model``), retrying rate limits and server errors."""
        import httpx

        payload = {"model": self.model, **body}
        http = self._client()
        problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                with self._lock:
                    self._spent["retries"] += 1
            wait_s: float | None = None
            with self._slots:
                with self._lock:
                    self._spent["requests"] += 1
                try:
                    response = http.post(self._post_url, json=payload, headers=self._headers())
                except httpx.TransportError as exc:
                    problem = self._redacted(f"{type(exc).__name__}: {exc}")
                except httpx.HTTPError as exc:  # a body it cannot decode, too many redirects: not worth a retry
                    raise stops_run(LFApplyError(f"{who}: {self.url} sent an answer that cannot be read "
                                                 f"({self._redacted(f'{type(exc).__name__}: {exc}')}); check base_url "
                                                 "and the server")) from None
                else:
                    if response.status_code == 200:
                        try:
                            data = response.json()
                        except ValueError as exc:
                            raise stops_run(LFApplyError(f"{who}: {self.url} answered with invalid JSON ({exc})")) \
                                from exc
                        try:
                            reply = _reply(data, self.url)
                        except WeakSupError as exc:
                            exc.args = (f"{who}: {exc.args[0]}", *exc.args[1:])
                            raise
                        with self._lock:
                            self._spent["used_tokens"] += reply.used_tokens
                        return reply
                    problem = f"HTTP {response.status_code}: {self._redacted(response.text)[:200]!r}"
                    if response.status_code not in RETRIED:
                        hint = refused_hint(response.status_code, model=self.model, base_url=self.base_url,
                                            api_key_env=self.api_key_env, key_set=bool(self._api_key()),
                                            answer=response.text)
                        raise stops_run(LFApplyError(f"{who}: {self.url} refused the request ({problem}){hint}"))
                    wait_s = retry_after(response)
            if attempt == self.max_retries:
                break
            if wait_s is None:
                wait_s = self.backoff * (2 ** attempt) * random.uniform(0.5, 1.0)
            time.sleep(min(wait_s, self.max_backoff))
        raise stops_run(LFApplyError(
            f"{who}: {self.url} kept failing after {self.max_retries} retries (last: {problem}); answers so far are "
            "cached, so rerun once the server is back (or raise max_retries/backoff)"))

    def ask_many(self, requests: Sequence[tuple[str, Mapping[str, Any], int]],
                 on_answer: Callable[[str, Reply], None], who: str = "prompt LF") -> None:
        """Send ``(key, body, estimated_tokens)`` requests on ``concurrency`` threads; ``on_answer(key, reply)``
        runs as each answer arrives. Stops at the budget: what was sent is answered, then an error is raised.
        A key another call of this client is asking at the same time is waited for and read from the cache."""
        if not requests:
            return
        futures: list[Future[None]] = []
        over = ""
        show = len(requests) >= 200

        def one(key: str, body: Mapping[str, Any], tokens: int) -> None:
            if STOP_REQUESTED.is_set():  # the user pressed Ctrl-C: nothing new is sent (what was answered is cached)
                raise stops_run(LFApplyError(f"{who}: stopped by the user (Ctrl-C); the answers so far are cached"))
            with self._asking(key) as waited:
                cached = self.cache.get_many([key]) if waited else {}
                if key in cached:
                    self._refund(tokens)
                    on_answer(key, Reply(*cached[key]))
                else:
                    on_answer(key, self.complete(body, who))
            bar.update(1)

        with tqdm(total=len(requests), desc=f"asking {who}", unit="prompt", disable=None if show else True) as bar, \
                ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="weaksup-prompt") as pool:
            try:
                for key, body, tokens in requests:
                    over = self._reserve(tokens)
                    if over:
                        break
                    futures.append(pool.submit(one, key, body, tokens))
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:  # Ctrl-C: the prompts in flight finish (and are cached), no new one starts
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                for f in futures:
                    f.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
                raise failed.exception()  # type: ignore[misc]
        if over:
            spent = self.spent
            raise stops_run(LFApplyError(
                f"{who}: the run's budget of {over} is used up ({spent['calls']} prompts sent, ~{spent['tokens']} "
                f"tokens); {len(futures)} of this batch's {len(requests)} uncached prompts were sent and their "
                "answers are cached. Raise max_calls/max_tokens of the ChatClient, or rerun: the cached answers are "
                "not asked again (see what is left with `weaksup lfs CONFIG --plan`, or the LF's plan())"))
