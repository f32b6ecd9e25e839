"""What a chat server's refusal tells the user to check, and its answer with the secrets taken out."""

from __future__ import annotations

import re
from collections.abc import Iterable

from weaksup.errors import ParameterError, ParameterTypeError

__all__ = ["about_prompt", "api_key_env_problem", "redact", "refuse_key_options", "refused_hint"]


#: How servers say a prompt is over the model's context (OpenAI, vLLM, llama.cpp, Ollama).
_TOO_LONG = re.compile(r"context_length_exceeded|context length|context window|maximum context|too many tokens|"
                       r"exceeds? the (?:available )?context|prompt is too long|input is too long", re.IGNORECASE)

#: An HTTP Basic credential (``Basic <base64 of user:password>``) as a server may echo it.
_BASIC = re.compile(r"(?<![\w-])(Basic\s+)[A-Za-z0-9+/_-]{4,}={0,2}")


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: How API keys start (OpenAI, Anthropic, Stripe-style, Hugging Face, Groq, Google, GitHub, Replicate, xAI,
#: Perplexity, NVIDIA): a value starting so is a key, not the name of the variable holding one.
_KEY_PREFIXES = ("sk-", "sk_", "pk_", "rk_", "hf_", "gsk_", "AIza", "ghp_", "github_pat_", "r8_", "xai-", "pplx-",
                 "nvapi-")


def api_key_env_problem(value: object) -> str:
    """What is wrong with ``value`` as ``api_key_env`` (the NAME of the environment variable holding the API key),
    or ``""`` when it is such a name (or empty: no key). A value that is no name, or looks like a key itself
    (``sk-...``, or a long mix of upper- and lower-case letters and digits), is never shown: it may be the key.

    Examples
    --------
    >>> api_key_env_problem("OPENAI_API_KEY"), api_key_env_problem("")
    ('', '')
    >>> print(api_key_env_problem("sk-proj-abc123"))
    api_key_env must be the NAME of the environment variable holding the API key (letters, digits and _, e.g. api_key_env='OPENAI_API_KEY'); the value given looks like an API key itself, so it is not shown: put the key in an environment variable (export OPENAI_API_KEY=...) and pass its name
    """
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else ""
    named = bool(_ENV_NAME.fullmatch(text))
    keyish = text.startswith(_KEY_PREFIXES) or (len(text) >= 24 and any(c.islower() for c in text)
                                                 and any(c.isupper() for c in text) and any(c.isdigit() for c in text))
    if named and not keyish:
        return ""
    what = ("looks like an API key itself" if keyish or len(text) >= 24 else
            "is not the name of an environment variable" if isinstance(value, str) else
            f"is a {type(value).__name__}, not a name")
    return ("api_key_env must be the NAME of the environment variable holding the API key (letters, digits and _, "
            f"e.g. api_key_env='OPENAI_API_KEY'); the value given {what}, so it is not shown: put the key in an "
            "environment variable (export OPENAI_API_KEY=...) and pass its name")


def refuse_key_options(api_key: object, api_key_env: object) -> None:
    """Raise when a ``ChatClient`` is given a key in code: ``api_key=`` (a :class:`ParameterTypeError`, as an
    unknown keyword is) or an ``api_key_env`` that is no variable name (:func:`api_key_env_problem`); the value
    given is never shown.

    Examples
    --------
    >>> refuse_key_options(None, "OPENAI_API_KEY")
    >>> refuse_key_options("sk-abc", "OPENAI_API_KEY")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterTypeError: ChatClient: api_key= is not accepted: API keys are read only from the environment variable named by api_key_env (default OPENAI_API_KEY), so that they stay out of code, configs and exported LFs; put the key in one (export OPENAI_API_KEY=...) and pass its name, e.g. api_key_env='OPENAI_API_KEY'
    """
    if api_key is not None:
        raise ParameterTypeError("ChatClient: api_key= is not accepted: API keys are read only from the environment "
                                 "variable named by api_key_env (default OPENAI_API_KEY), so that they stay out of "
                                 "code, configs and exported LFs; put the key in one (export OPENAI_API_KEY=...) and "
                                 "pass its name, e.g. api_key_env='OPENAI_API_KEY'")
    if problem := api_key_env_problem(api_key_env):
        raise ParameterError(f"ChatClient: {problem}")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (of 4 characters or more) and any ``Basic <base64>`` credential replaced by
    ``***``: a server's answer may echo the credential it refused.

    Examples
    --------
    >>> redact('{"message": "Incorrect API key provided: Bearer sk-abc123"}', ["sk-abc123", ""])
    '{"message": "Incorrect API key provided: Bearer ***"}'
    >>> redact("refused Authorization: Basic Ym9iOnNlY3JldA==", [])
    'refused Authorization: Basic ***'
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return _BASIC.sub(r"\1***", text)


def about_prompt(status: int, answer: str) -> bool:
    """True when a refusal is the prompt's own fault (longer than the model's context, or too large a request),
    so that the error can name the row it came from.

    Examples
    --------
    >>> about_prompt(400, '{"error": {"code": "context_length_exceeded"}}'), about_prompt(401, "bad key")
    (True, False)
    """
    return status == 413 or status in (400, 422) and bool(_TOO_LONG.search(answer))


def refused_hint(status: int, *, model: str, base_url: str, api_key_env: str, key_set: bool, answer: str = "") -> str:
    """What to check after a 4xx answer that is not retried (``""`` when there is nothing specific to say).

    A prompt over the model's context (:func:`about_prompt`) points at the row's text; a 404 or 405 (no such model,
    or no such route: a base URL without ``/v1``), or another 400 whose ``answer`` names the model, points at the
    model name and the base URL.

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
        if problem := api_key_env_problem(api_key_env):  # (set on the client after it was made): never echoed
            return f"; {problem}"
        if not api_key_env:
            return "; pass api_key_env= naming the environment variable that holds the API key"
        if not key_set:
            return f"; set the environment variable {api_key_env} to the API key"
        return (f"; the environment variable {api_key_env} is set, but the server refused its key: check that it is "
                "a valid key for this server")
    if about_prompt(status, answer):
        return ("; the prompt is longer than the model's context (or the server's request limit): shorten the text "
                "of this row (e.g. truncate the column before labeling) or the template, or use a model with a longer "
                "context")
    if status in (404, 405) or status == 400 and "model" in answer.lower():
        return (f"; check the model name {model!r} is one the server serves (GET {base_url}/models lists them) and "
                "that base_url ends where the server's /chat/completions lives, e.g. .../v1")
    return ""
