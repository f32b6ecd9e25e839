"""Masking of personal data before review tasks leave the machine.

Three kinds of value are found in text and replaced by a token: e-mail addresses (``<EMAIL>``),
payment-card numbers (``<CARD>``: 13 to 19 digits, optionally grouped by spaces or dashes, that
pass the Luhn check) and phone numbers (``<PHONE>``: 7 to 15 digits with an optional ``+`` country
code, brackets, spaces, dots or dashes; ISO dates are not phone numbers). Whole columns marked
sensitive that are not the text annotators read (an author, a customer id) are replaced by
``<REDACTED>``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from weaksup.errors import ReviewError, WeakSupError

EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The kinds of value masked in text, in the order they are applied, and their tokens.
TOKENS = {"email": "<EMAIL>", "card": "<CARD>", "phone": "<PHONE>"}
REDACTED = "<REDACTED>"


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum of card numbers.

    Examples
    --------
    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return TOKENS["card"] if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or _ISO_DATE.fullmatch(text.strip()):
        return text
    return TOKENS["phone"]


def mask_text(text: Any, kinds: Iterable[str] = tuple(TOKENS)) -> Any:
    """``text`` with e-mails, card numbers and phone numbers replaced by tokens (non-strings unchanged).

    Examples
    --------
    >>> mask_text("mail jo.doe+yt@example.co.uk or call +44 20 7946 0958, card 4111 1111 1111 1111")
    'mail <EMAIL> or call <PHONE>, card <CARD>'
    >>> mask_text("released 2014-11-07, 1,000,000 views, order 12345")
    'released 2014-11-07, 1,000,000 views, order 12345'
    """
    kinds = _check_kinds(kinds)
    if not isinstance(text, str):
        return text
    if "email" in kinds:
        text = EMAIL.sub(TOKENS["email"], text)
    if "card" in kinds:
        text = CARD.sub(_card, text)
    if "phone" in kinds:
        text = PHONE.sub(_phone, text)
    return text


def mask_frame(
    frame: pd.DataFrame,
    text_columns: Iterable[str] = (),
    *,
    redact: Iterable[str] = (),
    kinds: Iterable[str] = tuple(TOKENS),
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy of ``frame`` with personal data masked, and how many cells changed per column.

    Parameters
    ----------
    frame : DataFrame
    text_columns : iterable of str
        Columns whose e-mails, card and phone numbers are replaced by tokens (the rest of the text stays).
    redact : iterable of str
        Columns replaced whole by ``<REDACTED>`` (missing cells stay missing).
    kinds : iterable of {"email", "card", "phone"}
        What to mask in ``text_columns``.

    Examples
    --------
    >>> df = pd.DataFrame({"text": ["write me at a@b.com", "hi"], "author": ["Jo Doe", "Al"]})
    >>> masked, counts = mask_frame(df, ["text"], redact=["author"])
    >>> masked.to_dict("list"), counts
    ({'text': ['write me at <EMAIL>', 'hi'], 'author': ['<REDACTED>', '<REDACTED>']}, {'text': 1, 'author': 2})
    """
    kinds = _check_kinds(kinds)
    text_columns, redact = list(dict.fromkeys(text_columns)), list(dict.fromkeys(redact))
    missing = [c for c in [*text_columns, *redact] if c not in frame.columns]
    if missing:
        raise ReviewError(f"cannot mask column(s) {missing}: not in the data, whose columns are "
                          f"{list(map(str, frame.columns))}; fix the sensitive fields of the config")
    out = frame.copy()
    counts: dict[str, int] = {}
    for col in text_columns:
        if col in redact:
            continue
        before = out[col]
        after = before.map(lambda t: mask_text(t, kinds))
        counts[col] = int((before.astype(object).fillna("") != after.astype(object).fillna("")).sum())
        out[col] = after
    for col in redact:
        present = out[col].notna()
        counts[col] = int(present.sum())
        out[col] = out[col].astype(object).where(~present, REDACTED)
    return out, counts


def check_sensitive_fields(sensitive_fields: Iterable[str], columns: Iterable[Any], *, where: str,
                           error: type[WeakSupError] = ReviewError,
                           fix: str = "fix the name in [review] sensitive_fields") -> None:
    """Every name in ``sensitive_fields`` (``review.sensitive_fields``) is a column of the input (``columns``);
    else ``error`` naming each stray name, the close column it may mean and the fix. A misspelt name would
    mask nothing, and the column it meant would leave the machine in clear.

    Examples
    --------
    >>> check_sensitive_fields(["author"], ["row_id", "text", "author"], where="c.toml")
    >>> check_sensitive_fields(["autor"], ["row_id", "text", "author"], where="c.toml")
    Traceback (most recent call last):
    weaksup.errors.ReviewError: c.toml: review.sensitive_fields names 'autor' (did you mean 'author'?), which is not a column of the input (its columns are ['row_id', 'text', 'author']), so the column meant would be exported in clear: fix the name in [review] sensitive_fields
    """
    known = [str(c) for c in columns]
    unknown = [str(f) for f in dict.fromkeys(sensitive_fields) if str(f) not in known]
    if not unknown:
        return
    named = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        named.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    which = "which is not a column" if len(unknown) == 1 else "which are not columns"
    raise error(f"{where}: review.sensitive_fields names {', '.join(named)}, {which} of the input (its columns are "
                f"{known[:30]}), so the column meant would be exported in clear: {fix}")


def check_run_sensitive_fields(sensitive_fields: Iterable[str], columns: Iterable[Any], *, run_dir: Any) -> None:
    """:func:`check_sensitive_fields` as every review export of a run runs it (classification, multi-label and
    spans runs alike), before anything is written: the error names the run's config and the fix.

    Examples
    --------
    >>> check_run_sensitive_fields(["author"], ["row_id", "text", "author"], run_dir="out")
    >>> check_run_sensitive_fields(["txet"], ["row_id", "text"], run_dir="out")
    Traceback (most recent call last):
    weaksup.errors.ReviewError: out/run.json (the run's config): review.sensitive_fields names 'txet' (did you mean 'text'?), which is not a column of the input (its columns are ['row_id', 'text']), so the column meant would be exported in clear: fix the name in the config's [review] sensitive_fields and re-run (nothing was exported)
    """
    check_sensitive_fields(sensitive_fields, columns, where=f"{run_dir}/run.json (the run's config)",
                           fix="fix the name in the config's [review] sensitive_fields and re-run (nothing was "
                               "exported)")


def _check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in TOKENS]
    if unknown:
        raise ReviewError(f"unknown mask kind(s) {unknown}; choose from {list(TOKENS)}")
    return kinds
