"""The local chat server in its own process (:class:`ChatServerProcess`), as a real model server would be."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from weaksup.errors import LFApplyError

__all__ = ["ChatServerProcess"]


class ChatServerProcess:
    """The chat server (:func:`weaksup.testing.chat_server.main`) on a free 127.0.0.1 port, stopped on exit; counts via ``/stats``.

    Parameters
    ----------
    latency, rate_429, rate_500, retry_after_ms, seed
        As :class:`~weaksup.testing.chat_server.ChatServer`.

    Examples
    --------
    >>> with ChatServerProcess(latency=0.0) as server:  # doctest: +SKIP
    ...     server.stats()["requests"]
    0
    """

    def __init__(self, *, latency: float = 0.0, rate_429: float = 0.0, rate_500: float = 0.0,
                 retry_after_ms: int = 50, seed: int = 0) -> None:
        self.args = ["--latency", str(latency), "--rate-429", str(rate_429), "--rate-500", str(rate_500),
                     "--retry-after-ms", str(retry_after_ms), "--seed", str(seed)]
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ChatServerProcess:
        self._process = subprocess.Popen([sys.executable, "-c", "from weaksup.testing.chat_server import main; main()", *self.args],
                                         stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise LFApplyError(f"the chat server process did not start (it printed {line!r})")
        self.base_url = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def stats(self) -> dict[str, Any]:
        """The server's counts (``requests``, ``failures``, ``calls``, ``prompts``, ``max_per_prompt``)."""
        import httpx

        return dict(httpx.get(self.base_url + "/stats", timeout=10).json())

    def reset(self) -> None:
        """Set the server's counts back to zero."""
        import httpx

        httpx.post(self.base_url + "/stats/reset", timeout=10).raise_for_status()
