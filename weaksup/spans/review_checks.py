"""What a span review import says about a region it refuses: offsets counted in UTF-16 units (:func:`utf16_hint`),
regions of one answer that overlap (:func:`overlap_note`), and the fix of a region that cuts a run's token
(:data:`CUT_REGION_FIX`)."""

from __future__ import annotations

from collections.abc import Sequence

from weaksup.spans.gold import overlaps

#: A char span ``(start, end, label)``.
CharSpan = tuple[int, int, str]

#: What to do about a Label Studio region that does not fall on the run's tokens.
CUT_REGION_FIX = ("fix the region in Label Studio (its ends on the word's ends), export the project again and import "
                  "it; or set [task] tokenizer to one that splits there (\"regex\" splits punctuation off words)")


def utf16_hint(text: str, start: int, end: int, said: object) -> str:
    """``"; ..."`` saying where the region's own text (``said``) is in characters, when ``start..end`` counted
    in UTF-16 code units (as JavaScript counts: an emoji is 2) cover it; ``""`` otherwise.

    Examples
    --------
    >>> text = "😀😀 call 0906"
    >>> text[10:14], utf16_hint(text, 10, 14, "0906")  # doctest: +ELLIPSIS
    ('06', "; the region's text '0906' is at 8..12 counting characters: its offsets count UTF-16 code units ...")
    >>> utf16_hint(text, 0, 2, "zz")
    ''
    """
    if not isinstance(said, str) or not said:
        return ""
    units = text.encode("utf-16-le")
    try:
        found = units[2 * start:2 * end].decode("utf-16-le")
        before = len(units[:2 * start].decode("utf-16-le"))
    except UnicodeDecodeError:
        return ""
    if found != said:
        return ""
    return (f"; the region's text {said!r} is at {before}..{before + len(said)} counting characters: its offsets "
            "count UTF-16 code units (an emoji counts 2), not characters: fix the region in Label Studio (select it "
            "again) or re-annotate the task")


def overlap_note(spans: Sequence[CharSpan], text: str) -> str:
    """The overlapping regions of one answer, shown (``""`` when none overlap).

    Examples
    --------
    >>> overlap_note([(0, 4, "MONEY"), (0, 4, "PHONE"), (5, 9, "PHONE")], "£500 txt")
    "0..4 '£500' (MONEY) with 0..4 '£500' (PHONE)"
    """
    pairs = overlaps(spans)
    shown = "; ".join(f"{a[0]}..{a[1]} {text[a[0]:a[1]]!r} ({a[2]}) with {b[0]}..{b[1]} {text[b[0]:b[1]]!r} ({b[2]})"
                      for a, b in pairs[:5])
    return shown + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
