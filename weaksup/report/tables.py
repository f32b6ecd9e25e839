"""The page shared by the reports of task types whose report is tables (multi-label, spans): the fields the run
and MLflow logging read of a :class:`~weaksup.report.QualityReport`, one HTML page and one Markdown text.

A task type's report subclasses :class:`TableReport` and gives its :meth:`~TableReport.params_line`,
:meth:`~TableReport.verdict` and :meth:`~TableReport.tables`; figures are optional (:meth:`build_figures`).

Examples
--------
>>> import pandas as pd
>>> report = TableReport("Label quality", pd.DataFrame({"lf": ["a"]}), {"coverage": 0.5}, {}, {}, [])
>>> print(report.to_markdown().splitlines()[0])
# Label quality
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from weaksup._io import atomic_path
from weaksup.render import data_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

STYLE = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}"
         "table{border-collapse:collapse;font-size:.85em;margin:.6em 0}th,td{border:1px solid #ddd;padding:3px 8px;"
         "text-align:right}th{background:#f4f4f4}.note{color:#555;font-size:.9em}.verdict{padding:.6em 1em;"
         "background:#eef5ee}img{max-width:100%}")


@dataclass
class TableReport:
    """A report made of tables (and optional figures), as a page and as Markdown.

    Attributes
    ----------
    title : str
    summary : DataFrame
        The LF summary of the task type.
    stats : dict
        Rates over all rows (coverage, conflicts, ...).
    scores : dict of str to dict
        ``{"label_model": metrics, "majority_vote": metrics}`` on the gold split (empty without gold).
    params : dict of str to str
    manifest : list of dict
    """

    title: str
    summary: pd.DataFrame
    stats: dict[str, float]
    scores: dict[str, dict[str, Any]]
    params: dict[str, str]
    manifest: list[dict[str, Any]]
    split: str = "test"
    evaluation: None = None
    errors: pd.DataFrame | None = None
    references: Any = None
    dependence: list[Any] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict, repr=False)

    #: What the report's rows and LFs are called in :meth:`params_line`.
    rows_noun: ClassVar[str] = "rows"
    lfs_noun: ClassVar[str] = "LFs"

    def space_note(self) -> str:
        """The label space in a few words for :meth:`params_line` ("" for none)."""
        return ""

    def params_line(self) -> str:
        """One line saying what was run (rows, LFs, label model, label space, gold set)."""
        p = self.params
        gold = f"gold set {p['gold_task']} v{p['gold_version']} (hash {p['gold_hash']})" if "gold_hash" in p \
            else "no gold set"
        space = self.space_note()
        return (f"{p.get('n_rows', '?')} {self.rows_noun}, {p.get('n_lfs', '?')} {self.lfs_noun} (rule version "
                f"{p.get('rule_version', '')}), label model {p.get('label_model', '')}, {space + ', ' if space else ''}"
                f"{gold}.")

    def verdict(self) -> str:
        """The label model against majority vote, in words ("" when there is nothing to compare)."""
        return ""

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The report's tables with their headings, in order."""
        return [("Over all rows", pd.DataFrame({"value": self.stats})), ("Labeling functions", self.summary)]

    def build_figures(self) -> dict[str, Figure]:
        """The report's figures, drawn once (none by default)."""
        return self.figures

    def to_markdown(self) -> str:
        """The report's tables as Markdown text."""
        lines = [f"# {self.title}", "", self.params_line(), ""]
        for heading, frame in self.tables():
            lines += [f"## {heading}", "", markdown_table(frame), ""]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        from weaksup.render import png_image

        e = html.escape
        parts = ["<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
                 f"<title>{e(self.title)}</title><style>{STYLE}</style></head><body><h1>{e(self.title)}</h1>",
                 f"<p class=\"note\">{e(self.params_line())}</p>"]
        verdict = self.verdict()
        if verdict:
            parts.append(f"<p class=\"verdict\">{e(verdict)}</p>")
        for heading, frame in self.tables():
            parts += [f"<h2>{e(heading)}</h2>", data_table(frame)]
        figures = self.build_figures()
        if figures:
            from weaksup.report.plots import to_png

            parts += [png_image(name, to_png(fig)) for name, fig in figures.items()]
        parts.append("</body></html>\n")
        return "\n".join(parts)

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_html` to ``path`` atomically and return the path."""
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(self.to_html(), encoding="utf-8")
        logger.info("wrote the report to %s", path)
        return path

    def close(self) -> None:
        """Release the figures' memory."""
        if self.figures:
            import matplotlib.pyplot as plt

            for fig in self.figures.values():
                plt.close(fig)
        self.figures.clear()


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame (its index as the first columns) as a Markdown table, floats to 3 decimals.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"f1": [0.5]}, index=pd.Index(["a"], name="lf"))))
    | lf | f1 |
    |---|---|
    | a | 0.500 |
    """
    flat = frame.reset_index()
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in flat.itertuples(index=False)]
    header = [str(c) for c in flat.columns]
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(row) + " |" for row in cells])
