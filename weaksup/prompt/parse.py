"""Turning a chat model's answer into a class id or an abstain (:func:`parse_answer`).

The parser is versioned (:data:`PARSER_VERSION`): the prompt cache and the LF's version both hash it, so a change
to how answers are read re-reads nothing stale.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from weaksup.labels import ABSTAIN

__all__ = ["HEDGE_WORDS", "NEGATION_WINDOW", "PARSER_VERSION", "ROW_IDS_KEY", "UNSURE_WORDS", "Parsed",
           "WARN_SHARE", "choice_prefix", "note_unparseable", "parse_answer", "strip_reasoning", "unparseable_summary",
           "warn_unparseable"]

logger = logging.getLogger(__name__)

#: Bumped whenever :func:`parse_answer` reads an answer differently (2: negated and hedged answers abstain; 3: a
#: leading yes/no is an answer word, not a negation, and a ``<think>`` block before the answer is not read).
PARSER_VERSION = "3"

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
#: A yes/no opening a sentence, answering the question ("No, it's ham", "No - ham", "Yes, spam"): an answer word,
#: not a negation of the label after it; nor is the "no" of "no doubt", which affirms.
_ANSWER_WORD = re.compile(r"^\s*(?:yes|no|yeah|yep|yup|nope|nah)\s*(?:[,\u2013\u2014]|-+(?=\s))")
_NO_DOUBT = re.compile(r"\bno\s+doubt\b")
#: A reasoning model's ``<think>...</think>`` before its answer (vLLM without a reasoning parser leaves it in the
#: content; a chat template opening it itself leaves only ``...</think>``), or an answer cut inside one.
_THINK = re.compile(r"^\s*(?:<(think|thinking)>.*?</\1>|(?:(?!<think).)*?</(?:think|thinking)>|<(?:think|thinking)>"
                    r"(?!.*</(?:think|thinking)>).*$)", re.IGNORECASE | re.DOTALL)
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
    for k, before in enumerate(parts[:-1]):  # the text before each occurrence of the choice, back to its sentence's
        sentences = _SENTENCE_END.split(before)  # start; a yes/no opening the sentence answers the question
        sentence = _ANSWER_WORD.sub(" ", sentences[-1]) if k == 0 or len(sentences) > 1 else sentences[-1]
        words = [w.strip("\"'`*,()[]{}<>-") for w in _NO_DOUBT.sub(" ", sentence).split()]
        if any(_NEGATION.match(w) for w in words[-NEGATION_WINDOW:]):
            return "negated"
    return None


def strip_reasoning(text: str) -> tuple[str, bool]:
    """``(answer, stripped)``: ``text`` without a leading ``<think>...</think>`` block (a reasoning model served
    without a reasoning parser puts it in the answer; it names every choice), or ``""`` when the answer was cut
    inside one; ``stripped`` tells whether there was one.

    Examples
    --------
    >>> strip_reasoning("<think>spam or ham? It sells.</think>\\nspam")
    ('spam', True)
    >>> strip_reasoning("<think>spam or ham? The link")  # cut by max_tokens before the answer
    ('', True)
    >>> strip_reasoning("ham")
    ('ham', False)
    """
    found = _THINK.match(text)
    return (text[found.end():].strip(), True) if found else (text, False)


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
    text, reasoned = strip_reasoning(text)
    if reasoned:  # the first tokens' logprobs are the reasoning's, not the answer's
        logprobs = None
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


#: Abstain reasons warned about when they are more than this share of an LF's answers: an LF abstaining on most
#: rows (unreadable answers, the model unsure, margins too small), or negating often (the model answers "not spam"
#: for a class it never names: the LF never votes that class, and no error shows it).
WARN_SHARE = {"unparseable": 0.5, "negated": 0.1, "unsure": 0.5, "margin": 0.5}

_WHY = {"unparseable": "name none of its answers ({choices}) and abstain (unparseable)",
        "negated": "negate the answer they name (\"not spam\", \"isn't spam\") and abstain (negated): ask for the "
                   "label itself, or make the negated form a label of its own (labels={{'not spam': ...}})",
        "unsure": "are unsure or hedge (\"maybe spam\") and abstain (unsure)",
        "margin": "lead the runner-up choice by less than min_margin and abstain (margin)"}


def _warn(lf: str, counts: Mapping[str, int], answered: int, choices: Mapping[str, int] | Sequence[str],
          scope: str = "", examples: Mapping[str, list[Any]] | None = None) -> None:
    """One WARNING naming LF ``lf``: each reason above its share, then example row ids of those (the last arg)."""
    warned = [why for why, share in WARN_SHARE.items() if answered and counts.get(why, 0) > share * answered]
    if not warned:
        return
    listed = ", ".join(repr(c) for c in choices)
    notes = "; ".join(f"{counts[why]} of {answered} answers{scope} " + _WHY[why].format(choices=listed)
                      for why in warned)
    shown = [row for why in warned for row in (examples or {}).get(why, [])]
    logger.warning("prompt LF %r: %s; check the template, labels= and the model's answers with lf.answers(data)"
                   + (", e.g. row ids %r" if shown else ""), lf, notes, *([shown] if shown else []))


def warn_unparseable(lf: str, parsed: Collection[Parsed], choices: Mapping[str, int]) -> int:
    """Log a WARNING naming LF ``lf`` when more than half of ``parsed`` (a batch's answers) name none of
    ``choices`` (reason ``"unparseable"``): the LF then abstains almost everywhere, which no error would show;
    likewise for the other abstain reasons above their :data:`WARN_SHARE` (``"negated"`` above a tenth).
    Returns how many could not be read. (Inside :func:`unparseable_summary`, e.g. ``apply_lfs`` or a run, use
    :func:`note_unparseable`: one warning per LF at the end, not one per batch.)

    Examples
    --------
    >>> warn_unparseable("llm", [parse_answer("eggs", {"ham": 0, "spam": 1})], {"ham": 0, "spam": 1})
    1
    """
    counts = Counter(p.reason for p in parsed)
    _warn(lf, counts, len(parsed), choices, " in this batch")
    return counts["unparseable"]


#: ``Batch.cached`` key under which ``apply_lfs`` leaves a batch's row ids (the examples of the warning).
ROW_IDS_KEY = ("weaksup.apply", "row_ids")

_TALLY: dict[str, list[Any]] = {}  # LF -> [Counter of reasons, answered rows, {reason: example row ids}, choices]
_OPEN = [0]  # open unparseable_summary scopes (the outermost one logs)
_TALLY_LOCK = threading.Lock()


@contextmanager
def unparseable_summary() -> Iterator[None]:
    """While open, the answers of prompted LFs (:func:`note_unparseable`) are counted over every batch by reason;
    the outermost scope, when it closes, logs one WARNING per LF whose answers were mostly unparseable (more than
    half of its answered rows), or negated above a tenth (:data:`WARN_SHARE`), with the totals and up to 3
    example row ids each. ``apply_lfs`` opens one, and so does a run around its chunks: a 10-chunk run warns
    once per LF, not 10 times.

    Examples
    --------
    >>> import logging
    >>> import logging.handlers
    >>> seen = logging.handlers.BufferingHandler(10)
    >>> logger.addHandler(seen)
    >>> with unparseable_summary():
    ...     for ids in (["a", "b"], ["c", "d"]):  # two batches
    ...         _ = note_unparseable("llm", [parse_answer("eggs", {"ham": 0})] * 2, ids, {"ham": 0})
    >>> logger.removeHandler(seen)
    >>> [r.getMessage()[:100] for r in seen.buffer]  # one warning, the total and 3 example row ids
    ["prompt LF 'llm': 4 of 4 answers (one per row asked, over every batch) name none of its answers ('ham"]
    >>> seen.buffer[0].args[-1]
    ['a', 'b', 'c']
    """
    with _TALLY_LOCK:
        _OPEN[0] += 1
    try:
        yield
    finally:
        with _TALLY_LOCK:
            _OPEN[0] -= 1
            done = dict(_TALLY) if not _OPEN[0] else {}
            if done:
                _TALLY.clear()
        for lf, (counts, answered, examples, choices) in done.items():
            _warn(lf, counts, answered, choices, " (one per row asked, over every batch)", examples)


def note_unparseable(lf: str, parsed: Sequence[Parsed | None], row_ids: Sequence[Any] | None,
                     choices: Mapping[str, int]) -> int:
    """Count a batch's answers by reason (``parsed``: each row's answer, ``None`` for a row not asked) for
    :func:`unparseable_summary`; outside one, warn about this batch at once (:func:`warn_unparseable`).
    Returns how many rows could not be read.

    Examples
    --------
    >>> with unparseable_summary():
    ...     note_unparseable("llm", [parse_answer("ham", {"ham": 0}), parse_answer("eggs", {"ham": 0}), None],
    ...                      ["a", "b", "c"], {"ham": 0})
    1
    """
    answered = [(i, p) for i, p in enumerate(parsed) if p is not None]
    with _TALLY_LOCK:
        if _OPEN[0]:
            counts, _, examples, _ = tally = _TALLY.setdefault(lf, [Counter(), 0, {}, list(choices)])
            tally[1] += len(answered)
            for i, p in answered:
                counts[p.reason] += 1
                if p.reason in WARN_SHARE and len(shown := examples.setdefault(p.reason, [])) < 3:
                    shown.append(_plain(row_ids[i]) if row_ids is not None else i)
            return sum(p.reason == "unparseable" for _, p in answered)
    return warn_unparseable(lf, [p for _, p in answered], choices)


def _plain(row_id: Any) -> Any:
    return row_id.item() if hasattr(row_id, "item") and not isinstance(row_id, (str, bytes)) else row_id
