"""Text kinds: :func:`keyword_lf` and :func:`regex_lf`.

Both are defined by a Python regular expression; the row-wise form runs Python's
``re.search``. The vectorised form runs the RE2 translation of the same pattern over
the whole Arrow column in one C++ pass, and hands the few rows where RE2 and Python
could disagree (see :mod:`weaksup.lf._re2`) back to Python, so both forms give the
same votes on every row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, smallest_vote_dtype
from weaksup.lf._re2 import Translation, translate, word_translation
from weaksup.lf.core import LabelingFunction, field_value
from weaksup.lf.identity import check_label, check_name
from weaksup.lf.source import Code, LFSource, call_source, label_code

if TYPE_CHECKING:
    from weaksup.labels import LabelSpace
    from weaksup.lf.batch import Batch

_FLAG_NAMES = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL,
               "VERBOSE": re.VERBOSE, "ASCII": re.ASCII}


def _flag_names(flags: int) -> list[str]:
    return [name for name, bit in _FLAG_NAMES.items() if flags & bit]


class PatternLF(LabelingFunction):
    """An LF voting ``label`` when a text field matches all of its patterns (the base of both text kinds)."""

    vectorised = True
    thread_safe = True
    field: str
    label: int
    _compiled: tuple[re.Pattern[str], ...]
    _re2: tuple[Translation | None, ...]

    def _compile(self, field: str, label: int, patterns: list[tuple[str, int]],
                 translations: Sequence[Translation | None] | None = None) -> None:
        compiled = []
        for pattern, flags in patterns:
            try:
                compiled.append(re.compile(pattern, flags))
            except re.error as exc:
                raise LFDefinitionError(
                    f"LF {self.name!r}: invalid regular expression {pattern!r}: {exc}"
                ) from None
        if translations is None:
            translations = [translate(p, f) for p, f in patterns]
        self._set(field=field, label=label, _compiled=tuple(compiled), _re2=tuple(translations))

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The compiled Python patterns; a row gets the vote when its field matches all of them."""
        return self._compiled

    @property
    def translations(self) -> tuple[Translation | None, ...]:
        """The RE2 translation of each pattern (None where RE2 cannot express it: Python runs it)."""
        return self._re2

    def _matches(self, text: Any) -> bool:
        return isinstance(text, str) and all(c.search(text) for c in self._compiled)

    def __call__(self, x: Any) -> int:
        return self.label if self._matches(field_value(x, self.field)) else ABSTAIN

    def literal_needs(self) -> list[tuple[str, bool, tuple[str, ...]]]:
        """``(field, lowered, literals)`` whose occurrences the batch should find in one shared pass."""
        return [(self.field, t.prefilter_lowered, t.literals) for t in self.translations if t is not None and t.literals]

    def vote_batch(self, batch: Batch) -> np.ndarray:
        if not batch.is_text(self.field):
            return super().vote_batch(batch)
        hit = np.ones(batch.n, dtype=bool)
        for compiled, t in zip(self.patterns, self.translations):
            part = None
            if t is not None:
                try:  # all patterns must match: only rows that matched the earlier ones need a look
                    part = batch.match(self.field, t, within=None if hit.all() else hit).copy()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. RE2 out of memory
                    part = None
            if part is None or t is None:  # RE2 cannot run it: Python over the column
                unsure = np.arange(batch.n)
                part = np.zeros(batch.n, dtype=bool)
            else:
                unsure = batch.unsure_rows(self.field, t)
            if len(unsure):
                values = batch.values_at(self.field, unsure)
                part[unsure] = [isinstance(v, str) and compiled.search(v) is not None for v in values]
            hit &= part
        dtype = smallest_vote_dtype(self.label + 1)  # int8 for most tasks: no int64 column per LF and batch
        votes: np.ndarray = np.where(hit, dtype.type(self.label), dtype.type(ABSTAIN))
        return votes


class RegexLF(PatternLF):
    """An LF voting ``label`` on rows whose ``field`` matches a regular expression.

    Semantics are exactly Python's ``re.search(pattern, text, flags)``; a missing or
    non-string value abstains. The vectorised form runs RE2 over the whole column and
    Python only on the rows where RE2 could differ. :func:`regex_lf` is this class.

    Parameters
    ----------
    name : str
        The LF's name.
    pattern : str
        A Python regular expression.
    label : int
        The class id to vote.
    field : str, default "text"
        The text column to search.
    flags : int, default 0
        ``re`` flags (IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII; UNICODE, the default, changes nothing).
    tags, description, version : optional
        Metadata (see :class:`~weaksup.lf.core.LabelingFunction`).

    Examples
    --------
    >>> import re
    >>> lf = regex_lf("check_out", r"check.*out", label=1, flags=re.IGNORECASE)
    >>> lf({"text": "Check my channel out!"}), lf({"text": "nice song"})
    (1, -1)
    >>> print(lf.to_source().code, end="")
    check_out = regex_lf('check_out', 'check.*out', 1, flags=re.IGNORECASE)
    """

    kind = "regex"
    pattern: str
    flags: int

    def __init__(self, name: str, pattern: str, label: int, *, field: str = "text", flags: int = 0,
                 tags: Iterable[str] = (), description: str = "", version: str | None = None) -> None:
        check_name(name)
        label = check_label(label, name)
        if not isinstance(pattern, str) or not pattern:
            raise LFDefinitionError(f"LF {name!r}: pattern must be a non-empty string; got {pattern!r}")
        if isinstance(flags, int) and flags & re.UNICODE and flags & re.ASCII:
            raise LFDefinitionError(f"LF {name!r}: flags re.ASCII and re.UNICODE are incompatible; keep one "
                                    "(re.UNICODE is the default for text patterns, so drop it)")
        if isinstance(flags, int):  # re.UNICODE is the default for str patterns: a no-op, and not part of the version
            flags = int(flags) & ~re.UNICODE
        if not isinstance(flags, int) or flags & ~sum(_FLAG_NAMES.values()):
            raise LFDefinitionError(f"LF {name!r}: flags must combine re.IGNORECASE, MULTILINE, DOTALL, VERBOSE, "
                                    f"ASCII (re.UNICODE is accepted, the default); got {flags!r}")
        self._set(pattern=pattern, flags=flags, field=field)
        super().__init__(
            name, params={"field": field, "pattern": pattern, "flags": _flag_names(flags), "label": label},
            fields=(field,), labels=(label,), tags=tags,
            description=description or self.default_description(), version=version,
        )
        self._compile(field, label, [(pattern, flags)])

    def default_description(self) -> str:
        return f"{self.field} matches /{self.pattern}/"

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        flags = " | ".join(f"re.{f}" for f in _flag_names(self.flags))
        options: dict[str, Any] = {"field": self.field}
        if flags:
            options["flags"] = Code(flags)
        return call_source(self, "regex_lf", [repr(self.name), repr(self.pattern), label_code(self.label, label_space)],
                           options, imports=("import re",) if flags else ())


class KeywordLF(PatternLF):
    """An LF voting ``label`` on rows whose ``field`` contains any (or all) of some keywords.

    :func:`keyword_lf` is this class.

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
    tags, description, version : optional
        Metadata (see :class:`~weaksup.lf.core.LabelingFunction`).

    Examples
    --------
    >>> lf = keyword_lf("subscribe", ["subscribe", "sub"], label=1)
    >>> lf({"text": "Please SUBSCRIBE!"}), lf({"text": "subway"})
    (1, -1)
    >>> keyword_lf("http", "http", label=1, word_boundary=False)({"text": "https://x.y"})
    1
    >>> print(lf.to_source().code, end="")
    subscribe = keyword_lf('subscribe', ['subscribe', 'sub'], 1)
    """

    kind = "keyword"
    keywords: tuple[str, ...]
    mode: str
    case_sensitive: bool
    word_boundary: bool

    def __init__(self, name: str, keywords: str | Iterable[str], label: int, *, field: str = "text",
                 mode: str = "any", case_sensitive: bool = False, word_boundary: bool = True,
                 tags: Iterable[str] = (), description: str = "", version: str | None = None) -> None:
        check_name(name)
        label = check_label(label, name)
        given = [keywords] if isinstance(keywords, str) else list(keywords) if isinstance(keywords, Iterable) else []
        if isinstance(keywords, (set, frozenset)) and all(isinstance(w, str) for w in given):
            given.sort()  # a set's order changes from process to process (PYTHONHASHSEED); the version must not
        if not given or not all(isinstance(w, str) and w for w in given):
            raise LFDefinitionError(f"LF {name!r}: keywords must be non-empty strings; got {keywords!r}")
        if mode not in ("any", "all"):
            raise LFDefinitionError(f"LF {name!r}: mode must be 'any' or 'all'; got {mode!r}")
        words = list(dict.fromkeys(given))
        self._set(keywords=tuple(words), mode=mode, case_sensitive=case_sensitive, word_boundary=word_boundary,
                  field=field)
        super().__init__(
            name,
            params={"field": field, "keywords": words, "label": label, "mode": mode,
                    "case_sensitive": case_sensitive, "word_boundary": word_boundary},
            fields=(field,), labels=(label,), tags=tags,
            description=description or self.default_description(), version=version,
        )
        flags = 0 if case_sensitive else re.IGNORECASE

        def pattern_of(group: list[str]) -> str:
            # Longest first, so an alternation prefers the longer of overlapping keywords.
            alternation = "|".join(re.escape(w) for w in sorted(group, key=len, reverse=True))
            return rf"(?<!\w)(?:{alternation})(?!\w)" if word_boundary else f"(?:{alternation})"

        groups = [words] if mode == "any" else [[w] for w in words]
        translations = [word_translation(g, case_sensitive=case_sensitive) for g in groups] if word_boundary else None
        self._compile(field, label, [(pattern_of(g), flags) for g in groups], translations)

    def default_description(self) -> str:
        return f"{self.field} contains {self.mode} of {list(self.keywords)}"

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        options = {"field": self.field, "mode": self.mode, "case_sensitive": self.case_sensitive,
                   "word_boundary": self.word_boundary}
        return call_source(self, "keyword_lf", [repr(self.name), repr(list(self.keywords)),
                                              label_code(self.label, label_space)], options)


#: Build a :class:`RegexLF` (the factory is the class: one signature, one docstring).
regex_lf = RegexLF
#: Build a :class:`KeywordLF` (the factory is the class: one signature, one docstring).
keyword_lf = KeywordLF
