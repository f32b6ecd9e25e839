"""Text kinds: :func:`keyword_lf` and :func:`regex_lf`.

Both are defined by a Python regular expression; the row-wise form runs Python's
``re.search``. The vectorised form runs the RE2 translation of the same pattern over
the whole Arrow column in one C++ pass, and hands the few rows where RE2 and Python
could disagree (see :mod:`weaksup.lf._re2`) back to Python, so both forms give the
same votes on every row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN
from weaksup.lf._re2 import Translation, translate, word_translation
from weaksup.lf.core import LabelingFunction, _check_label, _check_name, field_value

_FLAG_NAMES = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL,
               "VERBOSE": re.VERBOSE, "ASCII": re.ASCII}


def _flag_names(flags: int) -> list[str]:
    return [name for name, bit in _FLAG_NAMES.items() if flags & bit]


class _PatternLF(LabelingFunction):
    """An LF voting ``label`` when a text field matches all of its patterns."""

    vectorised = True
    thread_safe = True

    def _setup(self, field: str, label: int, patterns: list[tuple[str, int]]) -> None:
        compiled = []
        for pattern, flags in patterns:
            try:
                compiled.append(re.compile(pattern, flags))
            except re.error as exc:
                raise LFDefinitionError(
                    f"LF {self.name!r}: invalid regular expression {pattern!r}: {exc}"
                ) from None
        translations: list[Translation | None] = [translate(p, f) for p, f in patterns]
        self.__dict__.update(field=field, label=label, _compiled=tuple(compiled), _re2=tuple(translations))

    def _matches(self, text: Any) -> bool:
        return isinstance(text, str) and all(c.search(text) for c in self._compiled)

    def __call__(self, x: Any) -> int:
        return self.label if self._matches(field_value(x, self.field)) else ABSTAIN

    def literal_needs(self) -> list[tuple[str, bool, tuple[str, ...]]]:
        """``(field, lowered, literals)`` whose occurrences the batch should find in one shared pass."""
        return [(self.field, t.prefilter_lowered, t.literals) for t in self._re2 if t is not None and t.literals]

    def vote_batch(self, batch: Any) -> np.ndarray:
        if not batch.is_text(self.field):
            return super().vote_batch(batch)
        hit = np.ones(batch.n, dtype=bool)
        for compiled, t in zip(self._compiled, self._re2):
            part = None
            if t is not None:
                try:  # all patterns must match: only rows that matched the earlier ones need a look
                    part = batch.match(self.field, t, within=None if hit.all() else hit).copy()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. RE2 out of memory
                    part = None
            if part is None:  # RE2 cannot run it: Python over the column
                unsure = np.arange(batch.n)
                part = np.zeros(batch.n, dtype=bool)
            else:
                unsure = batch.unsure_rows(self.field, t)
            if len(unsure):
                values = batch.values_at(self.field, unsure)
                part[unsure] = [isinstance(v, str) and compiled.search(v) is not None for v in values]
            hit &= part
        return np.where(hit, self.label, ABSTAIN)


class RegexLF(_PatternLF):
    """Votes ``label`` when ``re.search(pattern, row[field], flags)`` matches."""

    kind = "regex"


class KeywordLF(_PatternLF):
    """Votes ``label`` when a text field contains any (or all) of some keywords."""

    kind = "keyword"


def regex_lf(
    name: str,
    pattern: str,
    label: int,
    *,
    field: str = "text",
    flags: int = 0,
    tags: Iterable[str] = (),
    description: str = "",
    version: str | None = None,
) -> RegexLF:
    """An LF voting ``label`` on rows whose ``field`` matches a regular expression.

    Semantics are exactly Python's ``re.search(pattern, text, flags)``; a missing or
    non-string value abstains. The vectorised form runs RE2 over the whole column and
    Python only on the rows where RE2 could differ.

    Examples
    --------
    >>> import re
    >>> lf = regex_lf("check_out", r"check.*out", label=1, flags=re.IGNORECASE)
    >>> lf({"text": "Check my channel out!"}), lf({"text": "nice song"})
    (1, -1)
    """
    _check_name(name)
    label = _check_label(label, name)
    if not isinstance(pattern, str) or not pattern:
        raise LFDefinitionError(f"LF {name!r}: pattern must be a non-empty string; got {pattern!r}")
    if not isinstance(flags, int) or flags & ~sum(_FLAG_NAMES.values()):
        raise LFDefinitionError(
            f"LF {name!r}: flags must combine re.IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII; got {flags!r}"
        )
    lf = RegexLF(
        name, params={"field": field, "pattern": pattern, "flags": _flag_names(flags), "label": label},
        fields=(field,), labels=(label,), tags=tags,
        description=description or f"{field} matches /{pattern}/", version=version,
    )
    lf._setup(field, label, [(pattern, flags)])
    return lf


def keyword_lf(
    name: str,
    keywords: str | Iterable[str],
    label: int,
    *,
    field: str = "text",
    mode: str = "any",
    case_sensitive: bool = False,
    word_boundary: bool = True,
    tags: Iterable[str] = (),
    description: str = "",
    version: str | None = None,
) -> KeywordLF:
    """An LF voting ``label`` on rows whose ``field`` contains any (or all) of some keywords.

    Parameters
    ----------
    name : str
        The LF's name.
    keywords : str or iterable of str
        Literal words or phrases (not patterns).
    label : int
        The class id to vote.
    field : str, default "text"
        The text column to search.
    mode : {"any", "all"}, default "any"
        Vote when any keyword occurs, or only when all of them do.
    case_sensitive : bool, default False
        Match case exactly (otherwise case-insensitively, as ``re.IGNORECASE``).
    word_boundary : bool, default True
        Require that no word character touches the keyword on either side (so
        ``"sub"`` does not fire on ``"subscribe"``); ``False`` matches substrings.

    Examples
    --------
    >>> lf = keyword_lf("subscribe", ["subscribe", "sub"], label=1)
    >>> lf({"text": "Please SUBSCRIBE!"}), lf({"text": "subway"})
    (1, -1)
    >>> keyword_lf("http", "http", label=1, word_boundary=False)({"text": "https://x.y"})
    1
    """
    _check_name(name)
    label = _check_label(label, name)
    words = [keywords] if isinstance(keywords, str) else list(keywords)
    if not words or not all(isinstance(w, str) and w for w in words):
        raise LFDefinitionError(f"LF {name!r}: keywords must be non-empty strings; got {keywords!r}")
    if mode not in ("any", "all"):
        raise LFDefinitionError(f"LF {name!r}: mode must be 'any' or 'all'; got {mode!r}")
    words = list(dict.fromkeys(words))
    flags = 0 if case_sensitive else re.IGNORECASE

    def pattern_of(group: list[str]) -> str:
        # Longest first, so an alternation prefers the longer of overlapping keywords.
        alternation = "|".join(re.escape(w) for w in sorted(group, key=len, reverse=True))
        return rf"(?<!\w)(?:{alternation})(?!\w)" if word_boundary else f"(?:{alternation})"

    groups = [words] if mode == "any" else [[w] for w in words]
    lf = KeywordLF(
        name,
        params={"field": field, "keywords": words, "label": label, "mode": mode,
                "case_sensitive": case_sensitive, "word_boundary": word_boundary},
        fields=(field,), labels=(label,), tags=tags,
        description=description or f"{field} contains {mode} of {words}", version=version,
    )
    lf._setup(field, label, [(pattern_of(g), flags) for g in groups])
    if word_boundary:
        lf.__dict__["_re2"] = tuple(word_translation(g, case_sensitive=case_sensitive) for g in groups)
    return lf
