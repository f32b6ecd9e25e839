"""Translate a Python regular expression into RE2 syntax, with an exactness guard.

String kernels (pyarrow's ``match_substring_regex``) use RE2, which differs from
Python's ``re`` in syntax and, on some characters, in meaning: RE2's ``\\w``, ``\\d``,
``\\s`` and ``\\b`` are ASCII-only, its case folding differs on four letters (so a
case-insensitive İ or ı is written as Python's class of it, ``[Ii\\x{130}\\x{131}]``), and
its ``$`` does not match before a final newline. So a pattern is translated from Python's
own parse tree (never by string rewriting), and beside the RE2 pattern we return a
*guard*: an RE2 pattern matching exactly the rows on which the two engines could
disagree. Those rows are judged by Python's ``re``; all others by RE2. The votes are
therefore identical to Python's ``re.search`` on every row.

Patterns RE2 cannot express (look-arounds, back-references, atomic groups, possessive
repeats, repeat counts over 1000) translate to ``None``: the caller uses Python's
``re`` on the whole column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

try:  # Python 3.11+
    import re._constants as C  # type: ignore[import-not-found, unused-ignore]
    import re._parser as P  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef, unused-ignore]
    import sre_parse as P  # type: ignore[no-redef, unused-ignore]

_RE2_MAX_REPEAT = 1000

# Rows holding any of these characters may be judged differently by the two engines.
_NON_ASCII_WORD = r"[^\x00-\x7f\P{L}]|[^\x00-\x7f\P{N}]"  # non-ASCII letters and numbers
_NON_ASCII_DIGIT = r"[^\x00-\x7f\P{Nd}]"
# Python's \s beyond RE2's [\t\n\f\r ]: \v, \x1c-\x1f (ASCII) and the Unicode spaces.
_ASCII_EXTRA_SPACE = r"\x0b\x1c-\x1f"
_UNICODE_SPACE = r"\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
# Letters whose case-insensitive match differs between Python's re and RE2 for ASCII patterns:
# dotted/dotless i, long s, Kelvin sign.
_CASE_FOLD_DIFF = r"[\x{130}\x{131}\x{17f}\x{212a}]"
_NON_ASCII = r"[^\x00-\x7f]"
# Python's re.IGNORECASE puts I, i, dotted İ and dotless ı in one class; RE2 folds İ and ı to nothing, so a pattern
# holding them would miss plain ASCII "i" rows (no guard can catch those): they are written as the whole class.
_DOTTED_I = (0x130, 0x131)
_I_CLASS = r"Ii\x{130}\x{131}"
_FINAL_NEWLINE = r"\n\z"


class _Untranslatable(Exception):
    pass


def join_guards(*guards: str | None) -> str | None:
    """One guard pattern matching the rows any of several guards match."""
    parts = sorted({guard for guard in guards if guard})
    return "|".join(f"(?:{p})" if len(parts) > 1 else p for p in parts) or None


#: Rows where Python's case-insensitive literal test may differ from searching the lower-cased text.
CASE_FOLD_GUARD = _CASE_FOLD_DIFF


@dataclass(frozen=True)
class Translation:
    """An RE2 pattern equal to a Python one outside the rows its ``guard`` matches.

    ``literals``, when set, are strings of which every match contains one (with
    ``prefilter_lowered``: lower-case ASCII literals, to be found case-insensitively).
    A row holding none of them cannot match, in either engine, unless it holds one of the
    case-fold characters of :data:`CASE_FOLD_GUARD`. So only guard rows that pass the
    prefilter need Python; and with ``prefilter_first`` the exact pattern itself only runs
    on the rows passing the prefilter (worth it for patterns RE2 cannot accelerate by their
    first literal, such as keyword boundaries).
    """

    pattern: str
    guard: str | None
    literals: tuple[str, ...] = ()
    prefilter_lowered: bool = False
    prefilter_first: bool = False

    @property
    def prefilter(self) -> str | None:
        """The literals as one RE2 alternation (``None`` without literals)."""
        return literal_alternation(self.literals, self.prefilter_lowered) if self.literals else None


def _char(code: int) -> str:
    ch = chr(code)
    if ch.isascii() and ch.isalnum():
        return ch
    return rf"\x{{{code:x}}}"


_CATEGORY = {
    C.CATEGORY_DIGIT: (r"\d", "digit"),
    C.CATEGORY_NOT_DIGIT: (r"\D", "digit"),
    C.CATEGORY_SPACE: (r"\s", "space"),
    C.CATEGORY_NOT_SPACE: (r"\S", "space"),
    C.CATEGORY_WORD: (r"\w", "word"),
    C.CATEGORY_NOT_WORD: (r"\W", "word"),
}

_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


def _flag_string(flags: int) -> str:
    return "".join(letter for bit, letter in _FLAG_LETTERS if flags & bit)


class _Translator:
    def __init__(self) -> None:
        self.features: set[str] = set()

    def note_case(self, flags: int, code: int) -> None:
        if flags & re.IGNORECASE:
            self.features.add("ignorecase" if code < 128 else "ignorecase_non_ascii")

    def required(self, seq: Any, flags: int) -> set[str] | None:
        """Literals of which every match of ``seq`` contains one (``None``: no such set)."""
        best: set[str] | None = None

        def consider(found: set[str] | None) -> None:
            nonlocal best
            if found and min(map(len, found)) > (min(map(len, best)) if best else 0):
                best = found

        run = ""
        for op, av in seq:
            if op is C.LITERAL:
                run += chr(av)
                continue
            consider({run} if run else None)
            run = ""
            if op is C.SUBPATTERN and not (av[1] | av[2]):
                consider(self.required(av[3], flags))
            elif op is C.BRANCH:
                parts = [self.required(branch, flags) for branch in av[1]]
                if all(parts):
                    consider(set().union(*parts))  # type: ignore[arg-type]
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
                consider(self.required(av[2], flags))
        consider({run} if run else None)
        return best

    @staticmethod
    def member(code: int, flags: int) -> str:
        """One character as a member of an RE2 character class (İ and ı case-insensitively: their whole class)."""
        return _I_CLASS if flags & re.IGNORECASE and code in _DOTTED_I else _char(code)

    def items(self, seq: Any, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in seq)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if op is C.LITERAL:
            self.note_case(flags, av)
            member = self.member(av, flags)
            return f"[{member}]" if member != _char(av) else member
        if op is C.NOT_LITERAL:
            self.note_case(flags, av)
            return f"[^{self.member(av, flags)}]"
        if op is C.ANY:
            return "."
        if op is C.IN:
            return self.char_class(av, flags)
        if op is C.BRANCH:
            return "(?:" + "|".join(self.items(branch, flags) for branch in av[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add, delete, sub = av
            if (add | delete) & (re.ASCII | re.LOCALE | re.UNICODE):
                raise _Untranslatable("local ASCII/LOCALE/UNICODE flags")
            inner_flags = (flags | add) & ~delete
            on, off = _flag_string(add), _flag_string(delete)
            spec = on + (f"-{off}" if off else "")
            body = self.items(sub, inner_flags)
            return f"(?{spec}:{body})" if spec else f"(?:{body})"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, sub = av
            if low > _RE2_MAX_REPEAT or (high is not C.MAXREPEAT and high > _RE2_MAX_REPEAT):
                raise _Untranslatable("repeat count over RE2's limit")
            quant = f"{{{low},}}" if high is C.MAXREPEAT else f"{{{low},{high}}}"
            quant = {"{0,}": "*", "{1,}": "+", "{0,1}": "?"}.get(quant, quant)
            lazy = "?" if op is C.MIN_REPEAT else ""
            return f"(?:{self.items(sub, flags)}){quant}{lazy}"
        if op is C.AT:
            if av is C.AT_BEGINNING:
                return "^"
            if av is C.AT_BEGINNING_STRING:
                return r"\A"
            if av is C.AT_END:
                if not flags & re.MULTILINE:
                    self.features.add("dollar")
                return "$"
            if av is C.AT_END_STRING:
                return r"\z"
            if av is C.AT_BOUNDARY:
                self.features.add("word")
                return r"\b"
            if av is C.AT_NON_BOUNDARY:
                self.features.add("word")
                return r"\B"
        raise _Untranslatable(f"{op} is not supported by RE2")

    def char_class(self, items: Any, flags: int) -> str:
        parts = []
        negate = False
        for op, av in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                self.note_case(flags, av)
                parts.append(self.member(av, flags))
            elif op is C.RANGE:
                lo, hi = av
                self.note_case(flags, lo)
                self.note_case(flags, hi)
                if flags & re.IGNORECASE and (lo >= 128 or hi >= 128):
                    self.features.add("ignorecase_non_ascii")
                parts.append(f"{_char(lo)}-{_char(hi)}")
                if flags & re.IGNORECASE and any(lo <= c <= hi for c in _DOTTED_I):
                    parts.append(_I_CLASS)
            elif op is C.CATEGORY:
                text, feature = _CATEGORY[av]
                self.features.add(feature)
                parts.append(text)
            else:
                raise _Untranslatable(f"{op} in a character class")
        return "[" + ("^" if negate else "") + "".join(parts) + "]"


def translate(pattern: str, flags: int = 0) -> Translation | None:
    """Translate a Python regex (``str`` pattern) to RE2, or ``None`` if RE2 cannot express it.

    Examples
    --------
    >>> t = translate(r"check.*out", re.IGNORECASE)
    >>> t.pattern
    '(?i)check(?:.)*out'
    >>> t.guard
    '[\\\\x{130}\\\\x{131}\\\\x{17f}\\\\x{212a}]'
    >>> t.literals, t.prefilter_lowered  # rows without "check" (in any case) cannot match
    (('check',), True)
    >>> translate(r"(?<!not )free") is None
    True
    """
    if flags & (re.LOCALE | re.DEBUG):
        return None
    try:
        tree = P.parse(pattern, flags)
    except re.error:
        return None
    all_flags = tree.state.flags
    translator = _Translator()
    try:
        body = translator.items(tree, all_flags)
    except _Untranslatable:
        return None
    head = _flag_string(all_flags)
    re2 = (f"(?{head})" if head else "") + body
    ascii_mode = bool(all_flags & re.ASCII)
    features = translator.features
    guards = []
    if "word" in features and not ascii_mode:
        guards.append(_NON_ASCII_WORD)
    if "digit" in features and not ascii_mode:
        guards.append(_NON_ASCII_DIGIT)
    if "space" in features:
        guards.append(f"[{_ASCII_EXTRA_SPACE}{'' if ascii_mode else _UNICODE_SPACE}]")
    if "ignorecase_non_ascii" in features:
        guards.append(_NON_ASCII)
    elif "ignorecase" in features:
        guards.append(_CASE_FOLD_DIFF)
    if "dollar" in features:
        guards.append(_FINAL_NEWLINE)
    guard = join_guards(*guards)
    found: tuple[str, ...] = ()
    lowered = False
    # RE2 finds a leading literal (or an anchored start) fast by itself; otherwise it steps
    # through every byte, and searching the required literals first is cheaper.
    prefilter_first = not _fast_start(list(tree))
    literals = translator.required(tree, all_flags)
    # Literals must be ASCII when lowered: Python's folding of non-ASCII letters has more exceptions.
    if literals and min(map(len, literals)) >= 2:
        lowered = bool(all_flags & re.IGNORECASE)
        if not lowered or all(w.isascii() for w in literals):
            found = tuple(sorted({w.lower() if lowered else w for w in literals}))
        else:
            lowered = False
    return Translation(re2, guard, found, lowered, prefilter_first and bool(found))


def word_translation(words: Iterable[str], *, case_sensitive: bool) -> Translation:
    """RE2 for "one of these literal words, with no word character on either side".

    Python writes it ``(?<!\\w)(?:w1|w2)(?!\\w)``; RE2 has no look-arounds, so the
    neighbours are consumed instead (``(?:\\A|\\W)...(?:\\W|\\z)``). The two can only
    disagree where an occurrence touches a non-ASCII letter or digit (a word character for
    Python, not for RE2's ASCII ``\\W``), or on the case-fold characters: those rows are
    the guard.
    """
    flags = 0 if case_sensitive else re.IGNORECASE
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    inner = translate("(?:" + "|".join(re.escape(w) for w in ordered) + ")", flags)
    assert inner is not None  # escaped literals always translate
    body = inner.pattern[4:] if inner.pattern.startswith("(?i)") else inner.pattern
    mode = "" if case_sensitive else "(?i)"
    touching = f"(?:{_NON_ASCII_WORD})"
    guard = join_guards(f"{mode}{touching}(?:{body})|{mode}(?:{body}){touching}", inner.guard)
    literals = tuple(sorted({w if case_sensitive else w.lower() for w in ordered}))
    lowered = not case_sensitive and all(w.isascii() for w in literals)
    if not case_sensitive and not lowered:  # non-ASCII words folded by Python: not a literal test
        literals = ()
    return Translation(rf"{mode}(?:\A|\W){body}(?:\W|\z)", guard, literals, lowered, bool(literals))


def _fast_start(seq: Any) -> bool:
    """True when a pattern starts with a literal, an alternation of literals or a start anchor."""
    if not seq:
        return False
    op, av = seq[0]
    if op is C.LITERAL:
        return True
    if op is C.AT:
        return av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
    if op is C.BRANCH:
        return all(_fast_start(list(branch)) for branch in av[1])
    if op is C.SUBPATTERN and not (av[1] | av[2]):
        return _fast_start(list(av[3]))
    return False


def literal_alternation(literals: Iterable[str], lowered: bool) -> str:
    """An RE2 alternation matching any of some literal strings (lower-cased if ``lowered``)."""
    words = sorted({w.lower() if lowered else w for w in literals}, key=lambda w: (-len(w), w))
    return "|".join("".join(_char(ord(ch)) for ch in w) for w in words)
