"""HTML helpers shared by the notebook views (workbench, clusters) and the quality report page.

Every value put into markup goes through :func:`html.escape` here, so the callers build pages from
already-safe pieces.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.metrics import NO_VALUE

__all__ = ["NOTEBOOK_STYLE", "clip", "data_table", "fmt", "highlight", "html_table", "png_image"]

#: The style of the notebook views (wrapped in ``<div class='weaksup-wb'>``).
NOTEBOOK_STYLE = ("<style>.weaksup-wb table{border-collapse:collapse;margin:4px 0}.weaksup-wb td,.weaksup-wb th"
                  "{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
                  ".weaksup-wb mark{background:#ffe066;padding:0 1px}.weaksup-wb .bad{color:#b00020}</style>")


def highlight(text: Any, patterns: Sequence[re.Pattern[str]] = (), *, limit: int = 300) -> str:
    """``text`` as HTML-escaped markup with every match of ``patterns`` wrapped in ``<mark>``.

    Long texts are cut at about ``limit`` characters, keeping the first match in view.

    Examples
    --------
    >>> highlight("<b>Subscribe</b> & sub!", [re.compile(r"(?<!\\w)sub(?:scribe)?(?!\\w)", re.I)])
    '&lt;b&gt;<mark>Subscribe</mark>&lt;/b&gt; &amp; <mark>sub</mark>!'
    """
    if not isinstance(text, str):
        return "<i>missing</i>"
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    lo = 0
    if len(text) > limit and merged and merged[0][1] > limit:
        lo = max(0, merged[0][0] - limit // 3)
    hi = min(len(text), lo + limit)
    out = ["…" if lo else ""]
    pos = lo
    for start, end in merged:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def clip(text: Any, limit: int = 100, *, missing: str = "<missing>") -> str:
    """``text`` on one line, cut to ``limit`` characters (not escaped: for plain-text reprs too).

    Examples
    --------
    >>> clip("a\\n  long   text", 8), clip(None)
    ('a long …', '<missing>')
    """
    line = missing if not isinstance(text, str) else " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fmt(value: Any, *, digits: int = 3, missing: str = "n/a") -> str:
    """A table cell: floats with ``digits`` decimals (NaN as ``missing``), anything else escaped.

    Examples
    --------
    >>> fmt(0.12345), fmt(float("nan")), fmt("<b>")
    ('0.123', 'n/a', '&lt;b&gt;')
    """
    if isinstance(value, (float, np.floating)):
        return missing if np.isnan(value) else f"{value:.{digits}f}"
    return html.escape(str(value))


def html_table(frame: pd.DataFrame | None, *, text_column: str | None = None,
               patterns: Sequence[re.Pattern[str]] = ()) -> str:
    """A DataFrame as an HTML table; the ``text_column`` cells with ``patterns`` highlighted.

    Examples
    --------
    >>> html_table(pd.DataFrame({"id": [1], "text": ["a <b>"]}), text_column="text")
    '<table><thead><tr><th>id</th><th>text</th></tr></thead><tbody><tr><td>1</td><td>a &lt;b&gt;</td></tr></tbody></table>'
    """
    if frame is None or frame.empty:
        return "<p><i>none</i></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = [f"<td>{highlight(value, patterns)}</td>" if col == text_column else f"<td>{fmt(value)}</td>"
                 for col, value in row.items()]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def data_table(frame: pd.DataFrame, digits: int = 3, index: bool = True) -> str:
    """A DataFrame as a plain escaped HTML table (pandas' ``to_html``), for the report page.

    Examples
    --------
    >>> "<td>0.50</td>" in data_table(pd.DataFrame({"x": [0.5]}), digits=2)
    True
    """
    return str(frame.to_html(float_format=lambda v: f"{v:.{digits}f}", index=index, border=0, na_rep=NO_VALUE,
                             escape=True))


def png_image(name: str, png: bytes) -> str:
    """An ``<img>`` holding a PNG as a data URI (the page needs no other file).

    Examples
    --------
    >>> png_image("a<b", b"x")
    '<img alt="a&lt;b" src="data:image/png;base64,eA==">'
    """
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
