"""The persistent prompt cache (SQLite): one answer per (base URL, model, prompt, sampling parameters, parser).

Answers are written as they arrive, each in its own transaction, so the cache is also the checkpoint of a run:
a run killed half-way, or stopped by its budget, asks again only the prompts that have no answer. Errors are
never written.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from weaksup.errors import ParameterError

__all__ = ["PromptCache", "cache_key", "default_cache_path", "normalise_base_url", "without_user_info"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

_SCHEMA = """CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, answer TEXT NOT NULL, logprobs TEXT, created REAL NOT NULL)"""


def default_cache_path() -> Path:
    """``$WEAKSUP_PROMPT_CACHE``, else ``$XDG_CACHE_HOME/weaksup/prompts.sqlite3`` (``~/.cache`` by default).

    Examples
    --------
    >>> default_cache_path().name.endswith(".sqlite3")
    True
    """
    explicit = os.environ.get("WEAKSUP_PROMPT_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "weaksup" / "prompts.sqlite3"


def without_user_info(url: str) -> str:
    """``url`` without its user info (``user:password@``, which may hold a secret), otherwise as written: the form
    of a server's URL that may be shown, logged or written to a file.

    Examples
    --------
    >>> without_user_info("http://bob:sk-secret@127.0.0.1:8000/v1"), without_user_info("https://Api.x.com/v1/")
    ('http://127.0.0.1:8000/v1', 'https://Api.x.com/v1/')
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def normalise_base_url(base_url: str) -> str:
    """The server's API root as the prompt cache and the prompted LF's version name it.

    Spellings of one URL are one server: the scheme and host are lower-cased, the default port (80 for http, 443
    for https), user info and trailing slashes dropped; the path keeps its case. Different hosts stay different,
    even ``127.0.0.1`` and ``localhost``: nothing proves they reach the same server (``localhost`` may resolve to
    ``::1``, where another server may listen), so their answers are kept apart.

    Examples
    --------
    >>> normalise_base_url("HTTP://LocalHost:80/v1/")
    'http://localhost/v1'
    >>> normalise_base_url("https://api.example.com:443/V1"), normalise_base_url("http://127.0.0.1:8000/v1")
    ('https://api.example.com/V1', 'http://127.0.0.1:8000/v1')
    """
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep the address as written (lower-cased, user info dropped)
        return without_user_info(base_url.strip()).lower().rstrip("/")
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def cache_key(base_url: str, model: str, messages: Any, params: Mapping[str, Any], parser_version: str) -> str:
    """The SHA-256 naming one answer: the server (:func:`normalise_base_url`), the model, the rendered messages,
    the sampling parameters and the parser version.

    Examples
    --------
    >>> k = cache_key("http://h/v1", "m", [{"role": "user", "content": "hi"}], {"temperature": 0}, "1")
    >>> len(k), k == cache_key("HTTP://H:80/v1/", "m", [{"role": "user", "content": "hi"}], {"temperature": 0}, "1")
    (64, True)
    """
    blob = json.dumps([normalise_base_url(base_url), model, messages, dict(params), parser_version], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class PromptCache:
    """Answers by :func:`cache_key`, in one SQLite file shared by threads and processes (WAL mode).

    Parameters
    ----------
    path : str or path-like, optional
        The file; :func:`default_cache_path` by default. Its folder is created.

    Examples
    --------
    >>> import tempfile
    >>> cache = PromptCache(Path(tempfile.mkdtemp()) / "p.sqlite3")
    >>> cache.put("k1", "m", "spam", None)
    >>> cache.get_many(["k1", "k2"])
    {'k1': ('spam', None)}
    >>> len(cache)
    1
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._open(Path(path) if path is not None else default_cache_path())

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as its path: the copy opens the same file
        return (PromptCache, (str(self.path),))

    def _open(self, path: Path) -> None:
        self.path = path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ParameterError(f"prompt cache {str(self.path)!r} cannot be opened ({exc}); pass cache= a "
                                 "writable file path, or set WEAKSUP_PROMPT_CACHE") from exc
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PromptCache({str(self.path)!r})"

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def get_many(self, keys: Iterable[str]) -> dict[str, tuple[str, list[dict[str, Any]] | None]]:
        """``{key: (answer, top_logprobs or None)}`` for the keys that have an answer."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[str, list[dict[str, Any]] | None]] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                rows = self._db.execute(f"SELECT key, answer, logprobs FROM answers WHERE key IN "
                                        f"({','.join('?' * len(part))})", part).fetchall()
                for key, answer, logprobs in rows:
                    found[key] = (answer, json.loads(logprobs) if logprobs is not None else None)
        return found

    def put(self, key: str, model: str, answer: str, logprobs: list[dict[str, Any]] | None) -> None:
        """Save one answer now (its own transaction: a kill right after keeps it)."""
        import time

        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                             (key, model, answer, json.dumps(logprobs) if logprobs is not None else None,
                              time.time()))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
