"""The shared page of table reports: the subclass's verdict, tables and params line reach the HTML and Markdown."""

from __future__ import annotations

import pandas as pd

from weaksup.report.tables import TableReport


class _Report(TableReport):
    rows_noun = "documents"

    def verdict(self) -> str:
        return "better than majority vote"

    def space_note(self) -> str:
        return "2 types"


def test_the_page_carries_the_subclass_parts_and_is_written_whole(tmp_path):
    report = _Report("Quality <1>", pd.DataFrame({"lf": ["kw"], "coverage": [0.25]}), {"coverage": 0.5},
                     {}, {"n_rows": "3", "n_lfs": "1", "label_model": "M"}, [])
    page = report.to_html()
    assert "<title>Quality &lt;1&gt;</title>" in page
    assert "better than majority vote" in page and "3 documents, 1 LFs" in page and "2 types, no gold set." in page
    text = report.to_markdown()
    assert "| 0 | kw | 0.250 |" in text and "## Over all rows" in text
    path = report.write_html(tmp_path / "r" / "report.html")
    assert path.read_text(encoding="utf-8") == page
    report.close()
