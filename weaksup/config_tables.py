"""Typed TOML tables: each table of a config is a dataclass, each value checked against its field's type hint.

Every problem is appended to a list (so that a config's problems are reported together), named by
``table.key``: an unknown key (with the closest known one), a value of the wrong type, a NaN or an
infinity (TOML spells them ``nan`` and ``inf``; no setting takes them), a missing required key.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Budget:
...     seconds: float = 1.0
>>> problems = []
>>> build_table("budget", Budget, {"seconds": 3}, problems), problems
(Budget(seconds=3.0), [])
>>> build_table("budget", Budget, {"secnods": 3, "seconds": float("nan")}, problems), problems[0]
(None, "unknown key budget.secnods (did you mean 'seconds'?)")
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import types
import typing
from typing import Any


def did_you_mean(name: str, choices: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ``; known: [...]``."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f"; known: {sorted(choices)}"


_SECRET_WORDS = frozenset({"apikey", "token", "secret", "password", "passwd", "credential", "credentials"})


def secret_hint(key: str) -> str:
    """Where an API key goes, for an unknown config key (or table) whose name says it holds one (``api_key``,
    ``hf_token``, ``client_secret``...); ``""`` for other names. Its value is never shown.

    Examples
    --------
    >>> secret_hint("max_tokens"), secret_hint("api_key")[:41]
    ('', '; API keys are never read from the config')
    """
    words = [w for w in key.lower().replace("-", "_").split("_") if w]
    joined = "".join(words)
    if not (set(words) & _SECRET_WORDS or "apikey" in joined or joined.endswith(("token", "secret"))):
        return ""
    return ("; API keys are never read from the config: put the key in an environment variable (export "
            "OPENAI_API_KEY=...) and name it in the LF module, ChatClient(..., api_key_env='OPENAI_API_KEY'); then "
            "delete it from this file (and if the file is shared or committed, revoke the key)")


#: A scalar type hint in words, one value and several (``a list of strings``).
_ONE = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_MANY = {str: "strings", int: "integers", float: "numbers", bool: "true or false values", Any: "values"}


def type_name(tp: Any) -> str:
    """A type hint in words (``a list of strings``, ``a number``).

    Examples
    --------
    >>> type_name(list[str]), type_name(dict[str, float]), type_name(dict[str, Any]), type_name(int)
    ('a list of strings', 'a table of numbers', 'a table of values', 'an integer')
    """
    origin = typing.get_origin(tp)
    if optional := _optional(tp):
        return type_name(optional)
    if origin in (list, dict):
        item = typing.get_args(tp)[0 if origin is list else 1]
        kind = "list" if origin is list else "table"
        return f"a {kind} of {_MANY[item] if item in _MANY else type_name(item).removeprefix('a ')}"
    return _ONE.get(tp, "a value")


def wrong_type(key: str, value: Any, tp: Any) -> str:
    """The problem of ``key = value`` where the type hint ``tp`` wants another type, with the fix when it is plain.

    Examples
    --------
    >>> wrong_type("task.labels", [0, 1, 2], list[str])
    'task.labels must be a list of strings; got [0, 1, 2]: quote them, e.g. task.labels = ["0", "1", "2"]'
    >>> wrong_type("label_model.seed", "zero", int)
    "label_model.seed must be an integer; got str 'zero'"
    """
    if not isinstance(value, list):
        return f"{key} must be {type_name(tp)}; got {type(value).__name__} {value!r}"
    fix = ""
    if typing.get_args(tp) == (str,) and all(isinstance(v, (int, float)) for v in value):
        quoted = ", ".join(json.dumps(str(v)) for v in value)
        fix = f": quote them, e.g. {key} = [{quoted}]"
    return f"{key} must be {type_name(tp)}; got {value!r}{fix}"


def _optional(tp: Any) -> Any:
    """``X`` for the hint ``X | None``, else None."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) and len(args) == 2 and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


def matches(value: Any, tp: Any) -> bool:
    """Whether a TOML value fits a type hint (an integer fits ``float``; ``true`` fits neither number; ``None``
    fits ``X | None``, as ``RunConfig.to_dict`` writes an unset one)."""
    if optional := _optional(tp):
        return value is None or matches(value, optional)
    origin = typing.get_origin(tp)
    if origin is list:
        return isinstance(value, list) and all(matches(v, typing.get_args(tp)[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(matches(v, typing.get_args(tp)[1]) for v in value.values())
    if tp is Any:
        return True
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def non_finite(value: Any, key: str) -> list[tuple[str, float]]:
    """The NaNs and infinities in ``value`` (a number, or a list or table holding numbers), with their keys."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(key, value)]
    if isinstance(value, list):
        return [bad for i, v in enumerate(value) for bad in non_finite(v, f"{key}[{i}]")]
    if isinstance(value, dict):
        return [bad for k, v in value.items() for bad in non_finite(v, f"{key}.{k}")]
    return []


def build_table(name: str, table_cls: type, raw: Any, problems: list[str]) -> Any:
    """``table_cls(**raw)`` when every key is known, of its type and finite; else None, with ``problems`` added."""
    if not isinstance(raw, dict):
        problems.append(f"[{name}] must be a table; got {type(raw).__name__} {raw!r}")
        return None
    hints = typing.get_type_hints(table_cls)
    known = {f.name: f for f in dataclasses.fields(table_cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            problems.append(f"unknown key {name}.{key}{did_you_mean(key, known)}{secret_hint(str(key))}")
        elif not matches(value, hints[key]):
            problems.append(wrong_type(f"{name}.{key}", value, hints[key]))
        elif bad := non_finite(value, f"{name}.{key}"):
            problems.extend(f"{where} must be a finite number; got {number!r} (TOML's nan and inf are not "
                            "accepted: give a number)" for where, number in bad)
        else:
            values[key] = float(value) if hints[key] is float else value
    missing = [k for k, f in known.items()
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and k not in raw]
    for key in missing:
        problems.append(f"missing key {name}.{key} ({type_name(hints[key])})")
    if missing or len(values) < len([k for k in raw if k in known]):
        return None
    return table_cls(**values)
