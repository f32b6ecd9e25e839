"""Display text for reviewers: HTML entities unescaped, line breaks kept, tags and scripts removed.

Scraped text often carries HTML: YouTube comments hold ``i&#39;m``, ``&amp;``, ``<br />`` and links.
Label Studio's ``<Text>`` tag (and a spreadsheet) shows them literally, so review tasks carry
:func:`display_text` of each row's text instead. Only what reviewers see changes: the run's input, its
labels and the gold set key rows by ``row_id``, never by text.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pandas as pd

# whole elements whose content is code or styling, never text to read
_BLOCKS = re.compile(r"<\s*(script|style|iframe|object|embed|template|noscript)\b[^>]*>.*?(<\s*/\s*\1\s*>|\Z)",
                     re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(p|div|li|tr|h[1-6])\s*>", re.IGNORECASE)
# a tag: '<' then a letter (or '/', '!', '?'): "I <3 you" and "a < b" are text, not tags
_TAG = re.compile(r"<\s*(/\s*)?[A-Za-z!?][^<>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def display_text(value: Any) -> str:
    """``value`` as plain text to show a reviewer: entities unescaped, ``<br>`` as a newline, no tags or scripts.

    Entities are unescaped once, then tags are removed again, so an escaped ``&lt;script&gt;`` does not
    come back as a script. Missing values give ``""``.

    Examples
    --------
    >>> display_text("i&#39;m here &amp; there<br />new line")
    "i'm here & there\\nnew line"
    >>> display_text('<a href="x">link</a> <script>alert(1)</script>ok &lt;script&gt;x&lt;/script&gt;')
    'link ok'
    >>> display_text("I <3 you, 2 < 3")
    'I <3 you, 2 < 3'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if "<" not in text and "&" not in text:
        return text
    for _ in range(2):  # markup, then the markup that unescaping revealed
        text = _BLOCKS.sub(" ", text)
        text = _BREAK.sub("\n", text)
        text = _TAG.sub("", text)
        if _BLOCKS.search(html.unescape(text)) is None and _TAG.search(html.unescape(text)) is None:
            break
        text = html.unescape(text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def display_column(values: pd.Series) -> pd.Series:
    """:func:`display_text` of every value (same index).

    Examples
    --------
    >>> display_column(pd.Series(["a&amp;b", None])).tolist()
    ['a&b', '']
    """
    return pd.Series([display_text(v) for v in values], index=values.index, name=values.name, dtype=object)
