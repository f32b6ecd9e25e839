"""Render a :class:`~weaksup.report.QualityReport` as one self-contained HTML page.

No external files, scripts or fonts: the styles are inline and the figures are PNG data URIs, so
the page opens in any browser, offline, and can be mailed or logged to MLflow as one file.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

import pandas as pd

from weaksup.evaluate import METRIC_NAMES
from weaksup.metrics import NO_VALUE
from weaksup.render import data_table, png_image
from weaksup.report.plots import HEATMAP_LFS, RATES_LFS, series_names, to_png
from weaksup.report.written import WRITTEN
from weaksup.review.display import display_column

#: What a page says under its summary line when the text was read without cleaning (``clean.normalize = false``,
#: ``weaksup report --no-normalize``).
NOT_CLEANED_NOTE = ("The text was not cleaned (clean.normalize = false, or weaksup report --no-normalize): the LFs "
                    "saw it as in the file, without Unicode NFKC, zero-width character removal and whitespace runs "
                    "made one, so these figures can differ from those of a run that cleans it, the default.")
#: What the label model vs majority vote table's Brier score and ECE are over (as the calibration figure's legend and
#: :mod:`weaksup.metrics` say).
SCORES_NOTE = ("The Brier score judges the probabilities of every gold row; the ECE those of the rows given a class "
               "(\"labelled\"), each at the probability of the class it was given. Lower is better for both.")
#: The ``id`` of the ``<section>`` that holds the references (the same in a streaming run's and an engine run's page).
REFERENCES_ID = "references"
#: The ``id`` of the ``<section>`` that holds the written labels (the same in a streaming run's and an engine run's).
WRITTEN_ID = "written"

if TYPE_CHECKING:
    from weaksup.metrics import Metrics
    from weaksup.references import ReferenceScore
    from weaksup.report import QualityReport

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.verdict { font-size: 1.1em; padding: 0.6em 1em; border-radius: 4px; background: #eef5ee; }
.verdict.worse { background: #fbeaea; }
.note { color: #555; font-size: 0.9em; }
.warning { padding: 0.4em 1em; border-left: 4px solid #c0392b; background: #fbeaea; margin: 0.4em 0; }
.figures img { max-width: 100%; margin: 0.8em 0; border: 1px solid #eee; }
.side { display: flex; gap: 2em; flex-wrap: wrap; }
td.text { text-align: left; max-width: 560px; white-space: pre-line; }
"""


def _figure_notes(report: QualityReport) -> list[str]:
    """What the figures leave out with many LFs: the LFs not drawn, the rows the pair rates are estimated on."""
    m, notes = len(report.summary), []
    if m > min(RATES_LFS, HEATMAP_LFS):
        notes.append(f"With {m} LFs, the per-LF bars show the {min(m, RATES_LFS)} LFs with the most conflicts and "
                     f"the heatmap the {min(m, HEATMAP_LFS)} with the most pair conflicts; the table above has "
                     "every LF.")
    if "pair_rows" in report.params:
        notes.append(f"The LF-by-LF rates are estimated on a uniform sample of {report.params['pair_rows']} of the "
                     f"{report.params.get('report_rows', report.params['n_rows'])} rows (every pair on every row "
                     "would take too long).")
    return notes


def _references(report: QualityReport) -> list[str]:
    """The references section (``<section id="references">``): the verdict, the coverage split, the table and the
    calibration warning."""
    refs = report.references
    if refs is None:
        return []
    e = html.escape
    where = f"{refs.n_rows} {refs.split} gold rows" if refs.split else f"{refs.n_rows} gold rows"
    parts = [f"<section id=\"{REFERENCES_ID}\">", f"<h2>Does weak supervision earn its keep? ({e(where)})</h2>"]
    worse = refs.beats_supervised is False
    parts.append(f"<p class=\"verdict{' worse' if worse else ''}\">{e(refs.verdict or f'no verdict: {refs.missing}')}"
                 "</p>")
    parts.append(f"<p class=\"note\">{e(refs.lines()[1])}. <code>supervised_on_dev</code> is the end model's "
                 f"classifier trained on the {refs.n_gold} dev gold rows alone; accuracy counts an abstain as "
                 "wrong; \"rows with >= 1 vote\" are the rows some LF voted on.</p>")
    if refs.unvoted_note:
        parts.append(f"<p class=\"warning\">{e(refs.unvoted_note)}</p>")
    parts.append(data_table(refs.table()))
    if refs.ece is not None:
        text = refs.ece_warning or f"Final labels' expected calibration error: {refs.ece:.3f}."
        parts.append(f"<p class=\"{'warning' if refs.ece_warning else 'note'}\">{e(text)}</p>")
    parts.append("</section>")
    return parts


def _written(report: QualityReport) -> list[str]:
    """The labels the run wrote (``<section id="written">``): their rows and shares per class beside the others',
    where they came from, and their scores and confusion matrix on the gold split."""
    written = report.written
    if written is None:
        return []
    e = html.escape
    parts = [f"<section id=\"{WRITTEN_ID}\">", "<h2>Written labels (the labels file)</h2>",
             "<p class=\"note\">The labels the run wrote, one per row: the final labels (the end model's, the label "
             "model's or a reviewer's; see <code>label_source</code>), not the label model's predictions the rest of the "
             "report measures. Rows per class, then the share of rows per class of each (<code>abstain</code>: no "
             "label; each column is a share of the rows its name says).</p>"]
    order = list(dict.fromkeys(label for shares in report.distribution.values() for label in shares.index))
    shares = pd.DataFrame(dict(report.distribution)).reindex(order).fillna(0.0).rename(columns=series_names(report))
    shares.insert(0, f"{WRITTEN} (rows)", written.rows([label for label in order if label != "abstain"]))
    parts.append(data_table(shares.rename_axis("class")))
    if written.sources:
        sources = ", ".join(f"{name} {n}" for name, n in written.sources.items())
        parts.append(f"<p class=\"note\">Rows per <code>label_source</code>: {e(sources)}.</p>")
    ev = report.written_evaluation
    if ev is not None:
        s = ev.score
        where = f"{ev.n_rows} {ev.split} gold rows" + (f" ({ev.n_missing} more have no written label given)"
                                                       if ev.n_missing else "")
        parts.append(f"<h3>Written labels on the {e(where)}</h3>")
        same = " (the references' <code>final</code> row)" if ev.from_references else ""
        parts.append(f"<p>Accuracy {s.accuracy:.3f} (abstain = wrong), {e(vote_split(s))}; labelled {s.labelled:.3f}, "
                     f"macro recall {s.macro_recall:.3f}{same}.</p>")
        parts.append(data_table(ev.confusion))
    return [*parts, "</section>"]


def vote_split(score: ReferenceScore) -> str:
    """The accuracy on the rows with an LF vote and on those with none, or that there are no rows of one kind
    (never "nan").

    Examples
    --------
    >>> import numpy as np
    >>> from weaksup.references import compare_references
    >>> refs = compare_references(np.array([0, 1]), {"final": np.array([0, 0])}, covered=np.array([True, True]))
    >>> vote_split(refs["final"])
    '0.500 on the rows with >= 1 LF vote (every row has one)'
    """
    if score.accuracy_no_votes != score.accuracy_no_votes:
        return f"{score.accuracy_voted:.3f} on the rows with >= 1 LF vote (every row has one)"
    if score.accuracy_voted != score.accuracy_voted:
        return f"{score.accuracy_no_votes:.3f} on the rows with no LF vote (no row has one)"
    return (f"{score.accuracy_voted:.3f} on the rows with >= 1 LF vote and {score.accuracy_no_votes:.3f} on the rows "
            "with none")


#: What the per-class table says for a class with no gold rows in the scored split (left out of the macro figures).
NO_GOLD_ROWS = "no gold rows"


def per_class_table(metrics: Metrics) -> pd.DataFrame:
    """``metrics.per_class`` as shown on the page: 3 decimals, and :data:`NO_GOLD_ROWS` for the recall and F1 (and
    the precision, unless the class was predicted) of a class with no gold rows, which the macro figures leave out
    (:func:`weaksup.metrics.macro_mean`).

    Examples
    --------
    >>> import numpy as np
    >>> from weaksup.metrics import label_metrics
    >>> m = label_metrics([0, 0, 1], np.eye(3)[[0, 2, 1]], [0, 2, 1], label_space=["a", "b", "c"])
    >>> per_class_table(m).astype(str).values.tolist()  # c was predicted once (wrongly) but has no gold rows
    [['1.000', '0.500', '0.667', '2'], ['1.000', '1.000', '1.000', '1'], ['0.000', 'no gold rows', 'no gold rows', '0']]
    """
    frame = metrics.per_class
    shown = frame[["precision", "recall", "f1"]].map(lambda v: NO_VALUE if pd.isna(v) else f"{v:.3f}").astype(object)
    absent = frame["support"] == 0
    for column in ("precision", "recall", "f1"):
        shown.loc[absent & frame[column].isna(), column] = NO_GOLD_ROWS
    shown["support"] = frame["support"]
    return shown


def _no_gold_note(metrics: Metrics, split: str) -> list[str]:
    """Which classes the macro precision/recall/F1 leave out (no gold rows in the split), if any."""
    absent = [str(c) for c in metrics.per_class.index[metrics.per_class["support"] == 0]]
    if not absent:
        return []
    kept = len(metrics.per_class) - len(absent)
    return [f"<p class=\"note\">Macro precision, recall and F1 average the {kept} classes with {html.escape(split)} "
            f"gold rows; {html.escape(', '.join(absent))} {'has' if len(absent) == 1 else 'have'} none, so "
            f"{'it is' if len(absent) == 1 else 'they are'} left out (a prediction of "
            f"{'it' if len(absent) == 1 else 'them'} still counts as a miss of the true class).</p>"]


def _dependence(report: QualityReport) -> list[str]:
    """The dependent-LF warnings (correlated pairs, derived LFs)."""
    if not report.dependence:
        return []
    e = html.escape
    return [f"<h3>Dependent LFs ({len(report.dependence)})</h3>",
            *(f"<p class=\"warning\">{e(str(finding.message))}</p>" for finding in report.dependence)]


def _errors_table(errors: pd.DataFrame) -> str:
    """The LF error examples as a table; the text as a reader sees it (HTML entities unescaped, tags removed,
    line breaks kept), escaped once for the page."""
    e = html.escape
    text = display_column(errors["text"]) if "text" in errors.columns else None
    rows = []
    for i, (_, row) in enumerate(errors.iterrows()):
        cells = [text.iloc[i] if text is not None and column == "text" else row[column] for column in errors.columns]
        rows.append("<tr>" + "".join(f"<td class=\"text\">{e(str(v))}</td>" for v in cells) + "</tr>")
    head = "".join(f"<th>{e(str(c))}</th>" for c in errors.columns)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def render(report: QualityReport) -> str:
    """The HTML page of ``report``."""
    e = html.escape
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(report.title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{e(report.title)}</h1>"]
    p = report.params
    gold = (f"gold set <b>{e(p['gold_task'])}</b> v{e(p['gold_version'])} (hash <code>{e(p['gold_hash'])}</code>)"
            if "gold_hash" in p else "no gold set")
    parts.append(f"<p class=\"note\">{e(p['n_rows'])} rows, {e(p['n_lfs'])} LFs (rule version "
                 f"<code>{e(p['rule_version'])}</code>), label model <b>{e(p['label_model'])}</b>, {gold}.</p>")
    if p.get("clean.normalize") == "false":  # how the data was read changes every figure below
        parts.append(f"<p class=\"warning\">{e(NOT_CLEANED_NOTE)}</p>")
    parts.extend(_references(report))  # the first question: does it beat training on the gold rows?
    ev = report.evaluation
    if ev is not None:
        worse = ev.model.accuracy < ev.baseline.accuracy
        parts.append(f"<p class=\"verdict{' worse' if worse else ''}\">{e(ev.summary())}</p>")
        parts.append(f"<h2>Label model vs majority vote ({ev.model.n_gold} {e(ev.split)} gold rows)</h2>")
        parts.append("<p class=\"note\">Accuracy counts every gold row, an abstain as wrong; the rows with and "
                     "without an LF vote are scored apart (coverage is the share some LF voted on), and "
                     "\"labelled\" is the share a model gave a class. Ties: "
                     f"<code>{e(ev.tie_break)}</code>. {e(SCORES_NOTE)}</p>")
        parts.append(ev.formatted().to_html(border=0))
        parts.append("<div class=\"side\">")
        for metrics in (ev.model, ev.baseline):
            parts.append(f"<div><h3>{e(metrics.name)}: per class</h3>{data_table(per_class_table(metrics))}</div>")
        parts.append("</div>")
        parts.extend(_no_gold_note(ev.model, ev.split))
    parts.extend(_written(report))  # what the labels file holds, beside the label model's predictions
    parts.append("<h2>Labeling functions</h2>")
    stats = ", ".join(f"{k.replace('_', ' ')} {v:.1%}" if k != "mean_votes" else f"{v:.2f} votes per row"
                      for k, v in report.stats.items())
    parts.append(f"<p class=\"note\">Over all rows: {e(stats)}. Correct / Incorrect / Emp. Acc. are counted on the "
                 f"{e(p.get('lf_split', 'dev'))} gold split.</p>")
    parts.append(data_table(report.summary.drop(columns=["j"])))
    parts.extend(_dependence(report))
    parts.append("<h2>Figures</h2>")
    parts.extend(f"<p class=\"note\">{e(note)}</p>" for note in _figure_notes(report))
    parts.append("<div class=\"figures\">")
    for name, fig in report.build_figures().items():
        parts.append(png_image(name, to_png(fig)))
    parts.append("</div>")
    if report.errors is not None:
        parts.append(f"<h2>LF error examples ({e(p.get('lf_split', 'dev'))} gold rows)</h2>")
        if report.errors.empty:
            parts.append("<p>No LF vote disagrees with gold.</p>")
        else:
            parts.append(_errors_table(report.errors))
    parts.append("<h2>Provenance</h2>")
    shown = {k: v for k, v in p.items() if not k.startswith("lf.")}
    parts.append(data_table(pd.DataFrame({"value": shown}).rename_axis("param")))
    manifest = json.dumps(report.manifest, indent=1, ensure_ascii=False, default=str)
    parts.append(f"<details><summary>LF manifest ({len(report.manifest)} LFs)</summary><pre>{e(manifest)}</pre>"
                 "</details>")
    parts.append(f"<p class=\"note\">Metric definitions: {e(', '.join(METRIC_NAMES.values()))}.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
