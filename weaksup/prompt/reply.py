"""Reading a chat-completions answer (:func:`read_reply`) and a server's ``Retry-After`` (:func:`retry_after`)."""

from __future__ import annotations

import email.utils
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from weaksup.errors import LFApplyError, stops_run

if TYPE_CHECKING:
    import httpx

__all__ = ["Reply", "read_reply", "retry_after"]


@dataclass(frozen=True)
class Reply:
    """A chat model's answer: its text, the first answer tokens' ``top_logprobs`` (``None`` without) and the
    ``usage.total_tokens`` the server reported (0 without)."""

    text: str
    logprobs: list[dict[str, Any]] | None
    used_tokens: int = 0


def read_reply(data: Any, url: str) -> Reply:
    """The :class:`Reply` in a chat-completions answer (its ``content`` a string, or a list of parts whose text parts
    are joined); any answer it cannot read stops the run (a :func:`stops_run` error: abstaining would save wrong
    votes under the LF's version).

    Examples
    --------
    >>> read_reply({"choices": [{"message": {"content": [{"type": "text", "text": "spam"}]}}]}, "http://h").text
    'spam'
    """
    try:
        choice = data["choices"][0]
        message = choice["message"]
        text = message["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise stops_run(LFApplyError(f"{url} answered without choices[0].message.content ({exc}): it does not "
                                     "speak the chat-completions protocol; check base_url")) from exc
    if isinstance(text, list):  # content parts ([{"type": "text", "text": ...}]): their text, joined
        parts = [p["text"] for p in text if isinstance(p, dict) and p.get("type") in ("text", "output_text")
                 and isinstance(p.get("text"), str)]
        text = "".join(parts) if parts else text
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
