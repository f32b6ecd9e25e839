"""A client of the OpenAI-compatible chat-completions protocol (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).

:class:`ChatClient` holds the server (base URL, model, API key from the environment), the prompt cache, the
concurrency bound, the retry policy and the run's budget. It asks many prompts at once (:meth:`ChatClient.ask_many`)
on a bounded thread pool, saving each answer in the cache as it arrives.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from weaksup.errors import LFApplyError, ParameterError, WeakSupError, require, run_again, stops_run
from weaksup.interrupt import STOP_REQUESTED
from weaksup.prompt.cache import PromptCache, without_user_info
from weaksup.prompt.hints import about_prompt, redact, refuse_key_options, refused_hint
from weaksup.prompt.reply import Reply, read_reply, retry_after

if TYPE_CHECKING:  # httpx loads with the first request, so `import weaksup` stays light
    import httpx

__all__ = ["ChatClient", "Reply", "USAGE_KEYS", "estimate_tokens", "replay_from_env", "retry_after", "stops_run"]

logger = logging.getLogger(__name__)

#: What :meth:`ChatClient.usage` counts per prompted LF: prompts ``sent``, prompts answered from the ``cached``
#: answers, ``retries`` (requests sent again after a 408/409/429/5xx or a connection failure), ``failures`` (prompts
#: that got no answer: refused, or still failing after the retries), estimated ``tokens`` of the prompts sent
#: (:func:`estimate_tokens`, as the budget counts them) and the tokens the server reported using (``used_tokens``).
USAGE_KEYS = ("sent", "cached", "retries", "failures", "tokens", "used_tokens")

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


#: Scripts written without spaces between words, whose characters tokenizers split about one token each: CJK
#: ideographs, kana, hangul, Thai, Lao, Tibetan, Myanmar, Khmer, CJK punctuation and full-width forms.
_DENSE = re.compile("[\u0e00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3000-\u30ff\u3130-\u318f"
                    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
                    "\uff00-\uffef\U00020000-\U0003134f]")


def estimate_tokens(messages: Sequence[Mapping[str, str]], max_tokens: int) -> int:
    """A rough token count of a request, plus the answer's ``max_tokens``.

    Per message: 4 tokens, plus one token per character of a script written without spaces (CJK ideographs,
    kana, hangul, Thai, Lao, Tibetan, Myanmar, Khmer, CJK punctuation and full-width forms: tokenizers give
    them about one token each), plus one token per 4 other characters (Latin, Cyrillic, digits, spaces...).

    Examples
    --------
    >>> estimate_tokens([{"role": "user", "content": "x" * 40}], 5)  # 40 // 4 + 4 + 5
    19
    >>> estimate_tokens([{"role": "user", "content": "这是垃圾评论吗" * 5}], 5)  # 35 + 4 + 5
    44
    >>> estimate_tokens([{"role": "user", "content": "สแปมหรือไม่ spam?"}], 0)  # 11 Thai (marks too) + 6 // 4 + 4
    16
    """
    total = max_tokens
    for m in messages:
        text = m.get("content", "")
        dense = len(_DENSE.findall(text))
        total += dense + (len(text) - dense) // 4 + 4
    return total


class ChatClient:
    """An OpenAI-compatible chat-completions server, with a prompt cache, bounded concurrency, retries and a budget.

    Parameters
    ----------
    base_url : str
        The API root, e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``; requests go to
        ``{base_url}/chat/completions``. User info in it (``http://user:password@host/v1``) is refused (sent as
        a Basic credential it would replace the API key): put the key in the ``api_key_env`` variable.
    model : str
        The model name the server knows.
    api_key_env : str, default "OPENAI_API_KEY"
        The NAME of the environment variable holding the API key (never the key: ``sk-...`` is refused, unshown;
        never a config file). When it is unset (or ``api_key_env=""``) no key is sent, as local servers need none.
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
        cached) and stops with an :class:`~weaksup.errors.LFApplyError`; a rerun asks only the rest (in the same
        process, after :meth:`reset_budget`: the budget lasts as long as the client). Only prompts sent count.
    replay : bool, optional
        Answer only from the cache (a miss is an error naming the LF and the row); by default when the
        environment variable ``WEAKSUP_PROMPT_REPLAY`` is true.
    timeout : float, default 60
        Seconds per request.
    api_key : None
        Refused (:class:`~weaksup.errors.ParameterTypeError`): keys are read only from the ``api_key_env`` variable.

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
                 timeout: float = 60.0, api_key: None = None) -> None:
        refuse_key_options(api_key, api_key_env)  # a key in code: refused, never shown
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
        if without_user_info(base_url) != base_url:  # httpx would send it as Basic auth, replacing the key
            raise ParameterError(f"ChatClient: base_url {without_user_info(base_url)!r} was given with user info "
                                 "(user:password@), which would be sent instead of the API key; drop it from the URL "
                                 "and put the key in the environment variable named by api_key_env (default "
                                 "OPENAI_API_KEY)")
        self.base_url = base_url.rstrip("/")
        self.url, self.model = f"{self.base_url}/chat/completions", model
        self.api_key_env = api_key_env
        self.cache = cache if isinstance(cache, PromptCache) else PromptCache(cache)
        self.max_retries, self.backoff, self.max_backoff = max_retries, float(backoff), float(max_backoff)
        self.max_calls, self.max_tokens, self.concurrency = max_calls, max_tokens, concurrency
        self._replay = replay
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._spent = {"calls": 0, "tokens": 0, "requests": 0, "retries": 0, "used_tokens": 0}
        self._usage: dict[str, dict[str, int]] = {}  # LF name -> USAGE_KEYS counts
        self._http: httpx.Client | None = None
        self._asked: dict[str, list[Any]] = {}  # prompt key -> [its lock, the threads holding or awaiting it]

    def __getstate__(self) -> dict[str, Any]:  # pickled (to other processes): no locks, connections or counts
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_slots", "_http", "_asked")}
        state["_spent"] = dict.fromkeys(self._spent, 0)
        state["_usage"] = {}
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

    def usage(self) -> dict[str, dict[str, int]]:
        """Per prompted LF (by name), what it cost through this client since it was made: the counts of
        :data:`USAGE_KEYS` (a run records the difference over its apply stage in ``run.json``'s ``prompt``;
        example: :func:`weaksup.pipeline.result.prompt_usage`)."""
        with self._lock:
            return {lf: dict(counts) for lf, counts in self._usage.items()}

    def count(self, lf: str | None, **counts: int) -> None:
        """Add ``counts`` (of :data:`USAGE_KEYS`) to LF ``lf``'s :meth:`usage` (``None``: not counted)."""
        if lf is None:
            return
        with self._lock:
            usage = self._usage.setdefault(lf, dict.fromkeys(USAGE_KEYS, 0))
            for key, n in counts.items():
                usage[key] += n

    def reset_budget(self) -> None:
        """Start a new run's budget (the counts of :attr:`spent` go back to 0)."""
        with self._lock:
            self._spent = dict.fromkeys(self._spent, 0)

    def _client(self) -> httpx.Client:
        httpx = require("httpx", "llm", "Prompted LFs")  # (missing: MissingExtraError, which stops the run)
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
        """``text`` (a server's answer) with the API key and any Basic credential replaced by ``***``."""
        return redact(text, [self._api_key()])

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

    @contextmanager
    def _asking(self, key: str) -> Iterator[None]:
        """Hold prompt ``key`` while it is asked, so that two batches voted at once (the same text in two
        chunks) send it once: the holder reads the cache first (another batch may have answered it meanwhile)."""
        with self._lock:
            held = self._asked.setdefault(key, [threading.Lock(), 0])
            held[1] += 1
        held[0].acquire()
        try:
            yield
        finally:
            held[0].release()
            with self._lock:
                held[1] -= 1
                if held[1] == 0:
                    del self._asked[key]

    def complete(self, body: Mapping[str, Any], who: str = "prompt LF", lf: str | None = None) -> Reply:
        """POST one chat-completions request (``body`` without ``model``), retrying rate limits and server errors;
        its retries and the tokens used are counted in LF ``lf``'s :meth:`usage`."""
        httpx = require("httpx", "llm", "Prompted LFs")
        payload = {"model": self.model, **body}
        http = self._client()
        problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                with self._lock:
                    self._spent["retries"] += 1
                self.count(lf, retries=1)
            wait_s: float | None = None
            with self._slots:
                with self._lock:
                    self._spent["requests"] += 1
                try:
                    response = http.post(self.url, json=payload, headers=self._headers())
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
                            reply = read_reply(data, self.url)
                        except WeakSupError as exc:
                            exc.args = (f"{who}: {exc.args[0]}", *exc.args[1:])
                            raise
                        with self._lock:
                            self._spent["used_tokens"] += reply.used_tokens
                        self.count(lf, used_tokens=reply.used_tokens)
                        return reply
                    problem = f"HTTP {response.status_code}: {self._redacted(response.text)[:200]!r}"
                    if response.status_code not in RETRIED:
                        hint = refused_hint(response.status_code, model=self.model, base_url=self.base_url,
                                            api_key_env=self.api_key_env, key_set=bool(self._api_key()),
                                            answer=response.text)
                        error = stops_run(LFApplyError(f"{who}: {self.url} refused the request ({problem}){hint}"))
                        # the prompt's own fault (too long): ask_many names its key, the LF its row
                        too_long = about_prompt(response.status_code, response.text)
                        error.about_prompt = too_long  # type: ignore[attr-defined]
                        raise error
                    wait_s = retry_after(response)
            if attempt == self.max_retries:
                break
            if wait_s is None:
                wait_s = self.backoff * (2 ** attempt) * random.uniform(0.5, 1.0)
            time.sleep(min(wait_s, self.max_backoff))
        raise run_again(stops_run(LFApplyError(  # a server down or rate-limiting: retry later (CLI exit 1), no input to fix
            f"{who}: {self.url} kept failing after {self.max_retries} retries (last: {problem}); answers so far are "
            "cached: run the same command again once the server is back (or raise max_retries/backoff)")))

    def ask_many(self, requests: Sequence[tuple[str, Mapping[str, Any], int]],
                 on_answer: Callable[[str, Reply], None], who: str = "prompt LF", lf: str | None = None) -> None:
        """Send ``(key, body, estimated_tokens)`` requests on ``concurrency`` threads; ``on_answer(key, reply)``
        runs as each answer arrives. Stops at the budget: what was sent is answered, then an error is raised.
        Each key is read from the cache once held (another call of this client may have answered it meanwhile),
        and counts against the budget only when it is sent: after an error or Ctrl-C, prompts not sent are not
        counted. An error the prompt itself caused (too long for the model) carries its key as ``prompt_key``.
        What is sent, read from the cache, retried or fails is counted in LF ``lf``'s :meth:`usage`."""
        if not requests:
            return
        futures: list[Future[None]] = []
        halt = threading.Event()  # an error, Ctrl-C or the budget: no new prompt is sent
        over: list[str] = []  # what the budget would have passed
        sent = [0]
        show = len(requests) >= 200

        def one(key: str, body: Mapping[str, Any], tokens: int) -> None:
            if STOP_REQUESTED.is_set():  # the user pressed Ctrl-C: nothing new is sent (what was answered is cached)
                raise stops_run(LFApplyError(f"{who}: stopped by the user (Ctrl-C); the answers so far are cached"))
            if halt.is_set():
                return
            with self._asking(key):
                cached = self.cache.get_many([key])
                if key in cached:
                    self.count(lf, cached=1)
                    on_answer(key, Reply(*cached[key]))
                else:
                    passed = "" if halt.is_set() else self._reserve(tokens)
                    if passed or halt.is_set():
                        with self._lock:
                            over.extend([passed] if passed else [])
                        halt.set()
                        return
                    with self._lock:
                        sent[0] += 1
                    self.count(lf, sent=1, tokens=tokens)
                    try:
                        reply = self.complete(body, who, lf)
                    except WeakSupError as exc:
                        self.count(lf, failures=1)
                        if getattr(exc, "about_prompt", False):
                            exc.prompt_key = key  # type: ignore[attr-defined]
                        raise
                    on_answer(key, reply)
            bar.update(1)

        with tqdm(total=len(requests), desc=f"asking {who}", unit="prompt", disable=None if show else True) as bar, \
                ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="weaksup-prompt") as pool:
            try:
                futures = [pool.submit(one, key, body, tokens) for key, body, tokens in requests]
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:  # Ctrl-C: the prompts in flight finish (and are cached), no new one starts
                halt.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                halt.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise failed.exception()  # type: ignore[misc]
        if over:
            spent = self.spent
            raise run_again(stops_run(LFApplyError(  # the user's own cap: not bad input (CLI exit 1)
                f"{who}: the run's budget of {over[0]} is used up ({spent['calls']} prompts sent, "
                f"~{spent['tokens']} tokens); {sent[0]} of this batch's {len(requests)} uncached prompts were "
                "sent and their answers are cached. The budget is the ChatClient's, for as long as it lives: to ask "
                "the rest in this process (a notebook), call client.reset_budget() or raise client.max_calls/"
                "max_tokens, then rerun; a new process (`weaksup run`) starts a new budget. The cached answers are "
                "not asked again (see what is left with `weaksup lfs CONFIG --plan`, or the LF's plan())")))
