"""Turning a chat model's answer into a class id or an abstain (:func:`parse_answer`).

The parser is versioned (:data:`PARSER_VERSION`): the prompt cache and the LF's version both hash it, so a change
to how answers are read re-reads nothing stale.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from weaksup.labels import ABSTAIN

__all__ = ["HEDGE_WORDS", "NEGATION_WINDOW", "PARSER_VERSION", "UNSURE_WORDS", "Parsed", "choice_prefix",
           "parse_answer", "warn_unparseable"]

logger = logging.getLogger(__name__)

#: Bumped whenever :func:`parse_answer` reads an answer differently (2: negated and hedged answers abstain).
PARSER_VERSION = "2"

#: Answers that mean "no label" (matched after normalising case, spaces and punctuation).
UNSURE_WORDS = frozenset({"unsure", "unknown", "not sure", "abstain", "none", "n/a", "na", "unclear", "cannot tell",
                          "can't tell", "i don't know", "don't know", "neither", "undecided"})

#: Words and phrases hedging an answer that names a choice ("maybe spam"): the answer abstains as ``"unsure"``.
HEDGE_WORDS = frozenset({"unsure", "not sure", "uncertain", "not certain", "unclear", "unknown", "undecided",
                         "ambiguous", "maybe", "perhaps", "possibly", "might be", "may be", "could be", "can't tell",
                         "cannot tell", "can't say", "cannot say", "hard to say", "hard to tell", "difficult to say",
                         "difficult to tell", "don't know", "do not know", "no idea", "abstain"})

#: A negation this many words or fewer before the choice, in the same sentence, negates it ("I don't think this is
#: spam"): the answer abstains as ``"negated"``.
NEGATION_WINDOW = 6

_NEGATION = re.compile(r"^(?:not|no|never|nor|neither|cannot|\w+n't|dont|doesnt|didnt|isnt|arent|wasnt|werent|cant|"
                       r"wont|wouldnt|couldnt|shouldnt|aint|hasnt|havent)$")
_HEDGE = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(h) for h in sorted(HEDGE_WORDS, key=len, reverse=True))
                    + r")(?![\w'])")
_SENTENCE_END = re.compile(r"[.;:!?]")
_EDGE = re.compile(r"^[\s\"'`*.,:;!?()\[\]{}<>-]+|[\s\"'`*.,:;!?()\[\]{}<>-]+$")
_PREFIX = re.compile(r"^(?:the\s+)?(?:answer|label|class|category)\s*(?:is)?\s*[:=-]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: ``label`` (a class id or ``ABSTAIN``), the matched ``choice`` (the answer word, or ``""``),
    ``confidence`` (the probability of the choice from the logprobs, normalised over the choices; ``None`` when the
    server returned none) and ``reason`` (``"choice"``, ``"json"``, ``"unsure"``, ``"negated"``, ``"unparseable"``,
    ``"margin"``). A negated or hedged answer keeps the choice it names in ``choice``, with ``label`` ``ABSTAIN``."""

    label: int
    choice: str
    confidence: float | None
    reason: str


def _norm(text: str) -> str:
    return " ".join(_EDGE.sub("", text).lower().split())


def _spans(norm: str, choices: Mapping[str, int]) -> dict[str, list[tuple[int, int]]]:
    """Where each choice occurs as whole words, leaving out occurrences inside a longer choice's ("spam" in
    "not spam" when "not spam" is a choice)."""
    found = {c: [m.span() for m in re.finditer(rf"(?<!\w){re.escape(c)}(?!\w)", norm)] for c in choices}
    every = [(span, c) for c, spans in found.items() for span in spans]
    kept: dict[str, list[tuple[int, int]]] = {}
    for (start, end), choice in every:
        if not any(s <= start and end <= e and e - s > end - start for (s, e), _ in every):
            kept.setdefault(choice, []).append((start, end))
    return kept


def _choice_in(text: str, choices: Mapping[str, int]) -> str | None:
    """The one choice the text names: exactly, after an "answer:" prefix, or as the only choice word in it."""
    norm = _norm(text)
    if norm in choices:
        return norm
    stripped = _norm(_PREFIX.sub("", norm))
    if stripped in choices:
        return stripped
    found = _spans(norm, choices)
    if len(found) == 1:
        return next(iter(found))
    return None


def _doubt(text: str, choices: Mapping[str, int]) -> str | None:
    """``"unsure"`` when the answer hedges, ``"negated"`` when a negation shortly precedes the choice in its
    sentence, else ``None``. Choice words are masked first: a choice spelled like a hedge or a negation ("no",
    "maybe") is a choice."""
    norm = _norm(text.replace("\u2019", "'"))
    spans = sorted(span for spans in _spans(norm, choices).values() for span in spans)
    parts, last = [], 0
    for start, end in spans:
        parts.append(norm[last:start])
        last = end
    parts.append(norm[last:])
    if any(_HEDGE.search(part) for part in parts):
        return "unsure"
    for before in parts[:-1]:  # the text before each occurrence of the choice, back to the sentence's start
        words = [w.strip("\"'`*,()[]{}<>-") for w in _SENTENCE_END.split(before)[-1].split()]
        if any(_NEGATION.match(w) for w in words[-NEGATION_WINDOW:]):
            return "negated"
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
    in :data:`UNSURE_WORDS`, or naming no choice or several, abstains; so does one naming a choice but hedging
    (a phrase of :data:`HEDGE_WORDS`: ``"maybe spam"``, reason ``"unsure"``) or negating it (not, no, never, n't ...
    at most :data:`NEGATION_WINDOW` words before it in its sentence: ``"not spam"``, ``"I don't think it is
    spam"``, reason ``"negated"``). With the first token's ``top_logprobs``
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
    >>> p = parse_answer("This is not spam.", {"ham": 0, "spam": 1})
    >>> p.label, p.choice, p.reason
    (-1, 'spam', 'negated')
    >>> parse_answer("Unsure - maybe spam", {"ham": 0, "spam": 1}).reason
    'unsure'
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
    doubt = _doubt(source, choices)
    if doubt is not None:
        return Parsed(ABSTAIN, choice, None, doubt)
    probs = _confidence(logprobs, choices) if logprobs else {}
    if not probs:
        return Parsed(choices[choice], choice, None, reason)
    ranked = sorted(probs.values(), reverse=True) + [0.0]
    confidence = probs.get(choice, 0.0)
    if confidence < ranked[0] or ranked[0] - ranked[1] < min_margin:
        return Parsed(ABSTAIN, choice, confidence, "margin")
    return Parsed(choices[choice], choice, confidence, reason)


def warn_unparseable(lf: str, parsed: Collection[Parsed], choices: Mapping[str, int]) -> int:
    """Log a WARNING naming LF ``lf`` when more than half of ``parsed`` (a batch's answers) name none of
    ``choices`` (reason ``"unparseable"``): the LF then abstains almost everywhere, which no error would show.
    Returns how many could not be read.

    Examples
    --------
    >>> warn_unparseable("llm", [parse_answer("eggs", {"ham": 0, "spam": 1})], {"ham": 0, "spam": 1})
    1
    """
    unread = sum(p.reason == "unparseable" for p in parsed)
    if unread * 2 > len(parsed):
        logger.warning("prompt LF %r: %d of %d answers in this batch name none of its answers (%s) and abstain "
                       "(unparseable); check the template, labels= and the model's answers with lf.answers(data)",
                       lf, unread, len(parsed), ", ".join(repr(c) for c in choices))
    return unread
