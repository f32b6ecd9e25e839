"""Turning a chat model's answer into a class id or an abstain (:func:`parse_answer`).

The parser is versioned (:data:`PARSER_VERSION`): the prompt cache and the LF's version both hash it, so a change
to how answers are read re-reads nothing stale.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from weaksup.labels import ABSTAIN

__all__ = ["PARSER_VERSION", "UNSURE_WORDS", "Parsed", "choice_prefix", "parse_answer"]

#: Bumped whenever :func:`parse_answer` reads an answer differently.
PARSER_VERSION = "1"

#: Answers that mean "no label" (matched after normalising case, spaces and punctuation).
UNSURE_WORDS = frozenset({"unsure", "unknown", "not sure", "abstain", "none", "n/a", "na", "unclear", "cannot tell",
                          "can't tell", "i don't know", "don't know", "neither", "undecided"})

_EDGE = re.compile(r"^[\s\"'`*.,:;!?()\[\]{}<>-]+|[\s\"'`*.,:;!?()\[\]{}<>-]+$")
_PREFIX = re.compile(r"^(?:the\s+)?(?:answer|label|class|category)\s*(?:is)?\s*[:=-]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: ``label`` (a class id or ``ABSTAIN``), the matched ``choice`` (the answer word, or ``""``),
    ``confidence`` (the probability of the choice from the logprobs, normalised over the choices; ``None`` when the
    server returned none) and ``reason`` (``"choice"``, ``"json"``, ``"unsure"``, ``"unparseable"``, ``"margin"``)."""

    label: int
    choice: str
    confidence: float | None
    reason: str


def _norm(text: str) -> str:
    return " ".join(_EDGE.sub("", text).lower().split())


def _choice_in(text: str, choices: Mapping[str, int]) -> str | None:
    """The one choice the text names: exactly, after an "answer:" prefix, or as the only choice word in it."""
    norm = _norm(text)
    if norm in choices:
        return norm
    stripped = _norm(_PREFIX.sub("", norm))
    if stripped in choices:
        return stripped
    found = {c for c in choices if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", norm)}
    if len(found) == 1:
        return found.pop()
    return None


def _json_choice(text: str, key: str) -> tuple[bool, str | None]:
    """``(is_json, value)``: the ``key`` of a JSON object answer (fenced in ```json or bare)."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`")
        body = (body[4:] if body.lower().startswith("json") else body).strip()
    if not body.startswith("{"):
        return False, None
    try:
        value = json.loads(body)
    except ValueError:
        return False, None
    if not isinstance(value, dict):
        return True, None
    found = value.get(key)
    return True, found if isinstance(found, str) else None


def choice_prefix(token: str, choices: Mapping[str, int]) -> str | None:
    """The one choice an answer token starts (``"sp"`` starts ``"spam"``), else ``None``.

    Examples
    --------
    >>> choice_prefix(" Sp", {"ham": 0, "spam": 1}), choice_prefix("{", {"ham": 0, "spam": 1})
    ('spam', None)
    """
    norm = _norm(token)
    matching = [c for c in choices if norm and c.startswith(norm)]
    return matching[0] if len(matching) == 1 else None


def _confidence(top: Sequence[Mapping[str, Any]], choices: Mapping[str, int]) -> dict[str, float]:
    """Probability of each choice from the first answer token's top logprobs, normalised over the choices seen.

    A token counts for a choice when the choice starts with it (after normalising), so ``"sp"`` counts for
    ``"spam"``; tokens that start several choices count for none (they cannot tell them apart).
    """
    mass: dict[str, float] = {}
    for entry in top:
        choice = choice_prefix(str(entry.get("token", "")), choices)
        logprob = entry.get("logprob")
        if choice is not None and isinstance(logprob, (int, float)):
            mass[choice] = mass.get(choice, 0.0) + math.exp(float(logprob))
    total = sum(mass.values())
    return {c: p / total for c, p in mass.items()} if total > 0 else {}


def parse_answer(text: str, choices: Mapping[str, int], *, logprobs: Sequence[Mapping[str, Any]] | None = None,
                 json_key: str = "label", min_margin: float = 0.0) -> Parsed:
    """Read a chat model's answer as one of ``choices`` (answer word -> class id), or abstain.

    A JSON object answer is read by its ``json_key``; other answers match a choice exactly (case, spaces, quotes
    and punctuation aside), after an ``Answer:``-style prefix, or as the only choice word in the text. An answer
    in :data:`UNSURE_WORDS`, or naming no choice or several, abstains. With the first token's ``top_logprobs``
    (OpenAI's ``logprobs.content[0].top_logprobs``) the confidence is the choice's share of the probability
    over the choices, and the LF abstains when the best choice leads the runner-up by less than ``min_margin``.

    Examples
    --------
    >>> parse_answer("Spam.", {"ham": 0, "spam": 1}).label
    1
    >>> parse_answer('{"label": "ham"}', {"ham": 0, "spam": 1}).reason
    'json'
    >>> parse_answer("unsure", {"ham": 0, "spam": 1}).label
    -1
    >>> parse_answer("None", {"billing": 0, "none": 1}).label  # a class of its own: not "unsure"
    1
    >>> top = [{"token": "spam", "logprob": -0.9}, {"token": "ham", "logprob": -0.6}]
    >>> p = parse_answer("spam", {"ham": 0, "spam": 1}, logprobs=top, min_margin=0.2)
    >>> p.label, p.reason
    (-1, 'margin')
    """
    is_json, value = _json_choice(text, json_key)
    reason = "json" if is_json else "choice"
    source = value if is_json else text
    if source is None:
        return Parsed(ABSTAIN, "", None, "unparseable")
    said = (_norm(source), _norm(_PREFIX.sub("", _norm(source))))
    if any(word in UNSURE_WORDS and word not in choices for word in said):  # a choice named "none" is a choice
        return Parsed(ABSTAIN, "", None, "unsure")
    choice = _choice_in(source, choices)
    if choice is None:
        return Parsed(ABSTAIN, "", None, "unparseable")
    probs = _confidence(logprobs, choices) if logprobs else {}
    if not probs:
        return Parsed(choices[choice], choice, None, reason)
    ranked = sorted(probs.values(), reverse=True) + [0.0]
    confidence = probs.get(choice, 0.0)
    if confidence < ranked[0] or ranked[0] - ranked[1] < min_margin:
        return Parsed(ABSTAIN, choice, confidence, "margin")
    return Parsed(choices[choice], choice, confidence, reason)
