"""The one HTML layer: escaping, highlighting and tables shared by the notebook views and the report."""

from __future__ import annotations

import re

import pandas as pd

from weaksup.render import clip, data_table, fmt, highlight, html_table, png_image


def test_highlight_escapes_and_marks_matches():
    assert highlight("a <script>x</script>", []) == "a &lt;script&gt;x&lt;/script&gt;"
    assert highlight(None) == "<i>missing</i>"
    long = "x" * 500 + " subscribe " + "y" * 500
    cut = highlight(long, [re.compile("subscribe")], limit=100)
    assert "<mark>subscribe</mark>" in cut and cut.startswith("…") and cut.endswith("…")
    assert highlight("aaa", [re.compile("a"), re.compile("aa")]) == "<mark>aaa</mark>"  # overlapping spans merge


def test_cells_and_tables_escape_every_value():
    assert fmt(float("nan"), missing="") == "" and fmt(0.5, digits=1) == "0.5" and fmt("<i>") == "&lt;i&gt;"
    assert clip("x" * 10, 5) == "xxxx…" and clip(3, missing="") == ""
    page = html_table(pd.DataFrame({"<c>": ["<v>"], "text": ["sub <b>"]}), text_column="text",
                      patterns=[re.compile("sub")])
    assert "<th>&lt;c&gt;</th>" in page and "<td>&lt;v&gt;</td>" in page and "<mark>sub</mark> &lt;b&gt;" in page
    assert html_table(pd.DataFrame()) == "<p><i>none</i></p>"
    assert "&lt;x&gt;" in data_table(pd.DataFrame({"a": ["<x>"]}))
    assert png_image("fig", b"\x89PNG").startswith('<img alt="fig" src="data:image/png;base64,')
