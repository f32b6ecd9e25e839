"""What a chat server's refusal tells the user to check, and its answer with the secrets taken out."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["redact", "refused_hint"]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (of 4 characters or more) replaced by ``***``: a server's answer may echo the
    API key it refused.

    Examples
    --------
    >>> redact('{"message": "Incorrect API key provided: Bearer sk-abc123"}', ["sk-abc123", ""])
    '{"message": "Incorrect API key provided: Bearer ***"}'
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def refused_hint(status: int, *, model: str, base_url: str, api_key_env: str, key_set: bool, answer: str = "") -> str:
    """What to check after a 4xx answer that is not retried (``""`` when there is nothing specific to say).

    A 404 or 405 (no such model, or no such route: a base URL without ``/v1``), or a 400 whose ``answer`` names
    the model, points at the model name and the base URL.

    Examples
    --------
    >>> refused_hint(401, model="m", base_url="http://h/v1", api_key_env="MY_KEY", key_set=False)
    '; set the environment variable MY_KEY to the API key'
    >>> refused_hint(401, model="m", base_url="http://h/v1", api_key_env="MY_KEY", key_set=True)[:60]
    '; the environment variable MY_KEY is set, but the server ref'
    >>> print(refused_hint(404, model="tiny", base_url="http://h/v1", api_key_env="K", key_set=False))
    ; check the model name 'tiny' is one the server serves (GET http://h/v1/models lists them) and that base_url ends where the server's /chat/completions lives, e.g. .../v1
    """
    if status in (401, 403):
        if not api_key_env:
            return "; pass api_key_env= naming the environment variable that holds the API key"
        if not key_set:
            return f"; set the environment variable {api_key_env} to the API key"
        return (f"; the environment variable {api_key_env} is set, but the server refused its key: check that it is "
                "a valid key for this server")
    if status in (404, 405) or status == 400 and "model" in answer.lower():
        return (f"; check the model name {model!r} is one the server serves (GET {base_url}/models lists them) and "
                "that base_url ends where the server's /chat/completions lives, e.g. .../v1")
    return ""
