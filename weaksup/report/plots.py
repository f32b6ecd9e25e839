"""The report's figures, as matplotlib :class:`~matplotlib.figure.Figure` objects.

Figures are built with the object-oriented API (``Figure()``, never ``pyplot``), so they render
with the Agg canvas on any machine, leave the user's pyplot state and backend alone, and are
freed when dropped. Each function takes plain tables (the LF summary, an
:class:`~weaksup.evaluate.Evaluation`) so a notebook can call it directly.

Class and LF names of any length and number fit: long names are wrapped and cut (:func:`tick_label`),
figures grow with the number of classes and LFs and with the length of their names, and with many classes
the label distribution turns to horizontal bars and the confusion matrices stack.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from weaksup.evaluate import Evaluation
from weaksup.report.written import WRITTEN, WrittenEvaluation

if TYPE_CHECKING:
    from matplotlib.text import Annotation

    from weaksup.report.core import QualityReport

#: Colours: the label model, the majority-vote baseline, and neutral bars.
MODEL_COLOR, BASELINE_COLOR, NEUTRAL = "#1f77b4", "#ff7f0e", "#7f7f7f"
#: The colour of the labels a run wrote (the final labels) in the calibration figure.
WRITTEN_COLOR = "#2ca02c"
#: Beyond this many LFs, the per-LF bars show only the LFs with the most conflicts (the title says so).
RATES_LFS = 60
#: Beyond this many LFs, the LF-by-LF heatmap shows only the LFs with the most pair conflicts (the title says so):
#: its size, and the memory of drawing it, grow with the square of the LFs shown.
HEATMAP_LFS = 40
#: Class names are wrapped at this many characters per line, over at most two lines (then cut with "…").
LABEL_WIDTH = 20
#: LF names (one line) are cut beyond this many characters.
LF_NAME_WIDTH = 32
#: Inches per character of an 8-point tick label (a generous average, so estimates err on the roomy side).
CHAR_INCHES = 0.075
#: From this many classes on, the label distribution is drawn as horizontal bars and the confusion matrices stack.
MANY_CLASSES = 7


def tick_label(name: object, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """``name`` wrapped at ``width`` characters per line, on at most ``lines`` lines (the rest cut with "…").

    Examples
    --------
    >>> tick_label("Hardware and peripherals problems")
    'Hardware and\\nperipherals problems'
    >>> tick_label("Hardware and peripherals problems, all of them")
    'Hardware and\\nperipherals…'
    >>> tick_label("spam"), tick_label("a_very_long_labeling_function_name", width=20, lines=1)
    ('spam', 'a_very_long_labelin…')
    """
    parts = textwrap.wrap(str(name), width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts)


def _text_inches(labels: Sequence[str]) -> float:
    """About how wide the longest line of ``labels`` is, in inches, at 8 points."""
    return CHAR_INCHES * max((len(line) for label in labels for line in label.split("\n")), default=0)


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (Agg canvas).

    Examples
    --------
    >>> to_png(Figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    # a figure with a layout engine (all of the report's) is laid out already: no second "tight" pass
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=None if fig.get_layout_engine() else "tight")
    return buffer.getvalue()


def grow_to_fit(fig: Figure, rounds: int = 3) -> Figure:
    """Enlarge ``fig`` until all it draws lies inside it, and return it.

    The sizes above are estimates; where the text needs more room than they give (constrained layout then
    gives up and pushes labels off the page), the figure grows by what overflows, measured on a drawn canvas.

    Examples
    --------
    >>> fig = Figure(figsize=(1, 1), layout="constrained")
    >>> ax = fig.subplots()
    >>> _ = ax.set_xlabel("a label far wider than the figure"), ax.set_ylabel("and tall")
    >>> bool(grow_to_fit(fig).get_size_inches()[0] > 2)
    True
    """
    for _ in range(rounds):
        fig.draw_without_rendering()  # lays the figure out (constrained layout) as a save would
        box = fig.get_tightbbox()
        width, height = fig.get_size_inches()
        grow_x = max(0.0, -box.x0) + max(0.0, box.x1 - width)
        grow_y = max(0.0, -box.y0) + max(0.0, box.y1 - height)
        if grow_x < 0.01 and grow_y < 0.01:
            break
        fig.set_size_inches(width + grow_x + 0.1 if grow_x >= 0.01 else width,
                            height + grow_y + 0.1 if grow_y >= 0.01 else height)
    return fig


def _lf_height(m: int) -> float:
    return max(2.5, 0.32 * m + 1.2)


def top_lfs(scores: pd.Series | pd.DataFrame, limit: int) -> tuple[list[int], str]:
    """The positions of the ``limit`` LFs that score highest (ties: the earlier LF), in LF order, and a title note.

    ``scores`` is one number per LF, or a table sorted on its columns in order (all descending).
    Up to ``limit`` LFs, every position and no note.

    Examples
    --------
    >>> top_lfs(pd.Series([0.1, 0.5, 0.0, 0.5], index=list("abcd")), 2)
    ([1, 3], ' (the 2 of 4 LFs with the most conflicts)')
    >>> top_lfs(pd.Series([0.1, 0.5]), 2)
    ([0, 1], '')
    """
    m = len(scores)
    if m <= limit:
        return list(range(m)), ""
    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    keys = [frame.iloc[:, i].to_numpy(dtype=float) for i in range(frame.shape[1])]
    order = np.lexsort([np.arange(m), *(-key for key in reversed(keys))])  # last key sorts first
    return sorted(order[:limit].tolist()), f" (the {limit} of {m} LFs with the most conflicts)"


def lf_rates(summary: pd.DataFrame) -> Figure:
    """Coverage, overlap and conflict rate of each LF, as grouped horizontal bars (at most :data:`RATES_LFS` LFs:
    beyond, those with the most conflicts, then the most coverage)."""
    shown, note = top_lfs(summary[["Conflicts", "Coverage"]], RATES_LFS)
    summary = summary.iloc[shown]
    names = [tick_label(name, LF_NAME_WIDTH, 1) for name in summary.index][::-1]
    fig = Figure(figsize=(max(7.0, 5.5 + _text_inches(names)), _lf_height(len(names)) + 0.3), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    for offset, column, color in ((0.27, "Coverage", MODEL_COLOR), (0.0, "Overlaps", NEUTRAL),
                                  (-0.27, "Conflicts", "#d62728")):
        ax.barh(y + offset, summary[column].to_numpy()[::-1], height=0.27, label=column, color=color)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("fraction of all rows")
    ax.set_title(f"Coverage, overlaps and conflicts per LF{note}")
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)  # below the axes: it never hides a bar
    ax.grid(axis="x", alpha=0.3)
    return fig


def lf_pair_heatmap(matrix: pd.DataFrame, what: str = "conflict") -> Figure:
    """An LF-by-LF heatmap (e.g. :func:`weaksup.analysis.lf_pair_matrix`), values as % of rows.

    At most :data:`HEATMAP_LFS` LFs: beyond, those with the highest row sums (the most pair conflicts).
    """
    shown, note = top_lfs(matrix.sum(axis=1), HEATMAP_LFS)
    matrix = matrix.iloc[shown, shown]
    m = len(matrix)
    names = [tick_label(name, LF_NAME_WIDTH, 1) for name in matrix.index]
    size = max(4.0, 0.42 * m + 2.0)
    room = max(0.0, _text_inches(names) * 7 / 8 - 0.8)  # 7-point tick labels; short names fit in the margin
    fig = Figure(figsize=(size + 1 + room, size + room), layout="constrained")
    ax = fig.subplots()
    values = matrix.to_numpy() * 100
    image = ax.imshow(values, cmap="Reds" if what == "conflict" else "Blues", vmin=0)
    ax.set_xticks(range(m), [tick_label(name, LF_NAME_WIDTH, 1) for name in matrix.columns], rotation=90,
                  fontsize=7)
    ax.set_yticks(range(m), names, fontsize=7)
    if m <= 25:
        threshold = values.max() / 2 if values.size and values.max() > 0 else 1
        for i, j in np.ndindex(values.shape):
            if values[i, j] > 0:
                ax.text(j, i, f"{values[i, j]:.1f}", ha="center", va="center", fontsize=6,
                        color="white" if values[i, j] > threshold else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=f"% of rows where both vote{' and disagree' if what == 'conflict' else ''}")
    ax.set_title(f"LF-by-LF {what}s{note.replace('conflicts', what + 's')}")
    return fig


def votes_per_row(n_votes: np.ndarray) -> Figure:
    """Histogram of the number of non-abstain votes per row (Snorkel's ``plot_label_frequency``)."""
    fig = Figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.subplots()
    counts = np.bincount(np.asarray(n_votes, dtype=np.int64))
    ax.bar(np.arange(len(counts)), counts / max(counts.sum(), 1), color=[("#d62728" if i == 0 else MODEL_COLOR)
                                                                          for i in range(len(counts))])
    ax.set_xlabel("LFs voting on the row (0 = no label)")
    ax.set_ylabel("fraction of rows")
    ax.set_title("Votes per row")
    ax.set_xticks(np.arange(len(counts)))
    return fig


def series_names(report: QualityReport) -> dict[str, str]:
    """Each of ``report.distribution``'s series named with the rows its shares are of: the models' predictions and
    the written labels are shares of every row (or of the rows the report sampled), gold of its split's rows.

    Examples
    --------
    >>> from weaksup.report import build_report
    >>> from weaksup.votes import VoteMatrix
    >>> series_names(build_report(VoteMatrix([[0, -1], [1, 1], [-1, -1]], lf_names=["a", "b"])))
    {'MajorityVote': 'MajorityVote, all 3 rows', 'MajorityVote (baseline)': 'MajorityVote (baseline), all 3 rows'}
    """
    p = report.params
    rows, total = len(report.n_votes), int(p.get("n_rows", len(report.n_votes)))
    every = f"all {rows:,} rows" if rows == total else f"{rows:,} of the {total:,} rows (a sample)"
    split = p.get("eval_split", "")
    names = {}
    for key in report.distribution:
        if key == f"gold ({split})":
            names[key] = f"gold, {int(p.get(f'gold_n_{split}', 0)):,} {split} rows"
        elif key == WRITTEN and report.written is not None:
            names[key] = f"{key}, all {sum(report.written.counts.values()):,} rows"
        else:
            names[key] = f"{key}, {every}"
    return names


def label_distribution(distributions: Mapping[str, pd.Series]) -> Figure:
    """Side-by-side class shares (e.g. label model, majority vote, gold), ``abstain`` included.

    Examples
    --------
    >>> fig = label_distribution({"gold": pd.Series({"ham": 0.4, "spam": 0.6})})
    >>> fig.axes[0].get_title()
    'Label distribution'
    """
    order = list(dict.fromkeys(label for shares in distributions.values() for label in shares.index))
    frame = pd.DataFrame(dict(distributions)).reindex(order).fillna(0.0)
    names = [tick_label(label) for label in frame.index]
    k, series = len(frame), max(len(frame.columns), 1)
    horizontal = k >= MANY_CLASSES or any("\n" in name or len(name) > 12 for name in names)
    if horizontal:  # class names read across, the first class on top; the figure grows with the classes
        fig = Figure(figsize=(5.0 + _text_inches(names), max(3.5, (0.16 * series + 0.14) * k + 1.6)),
                     layout="constrained")
    else:
        fig = Figure(figsize=(max(6.5, 0.3 * k * series + 1.5), 3.5), layout="constrained")
    ax = fig.subplots()
    x = np.arange(k)[::-1] if horizontal else np.arange(k)
    width = 0.8 / series
    colors = [MODEL_COLOR, BASELINE_COLOR, NEUTRAL, "#2ca02c", "#9467bd"]
    for i, column in enumerate(frame.columns):
        offset = (i - (series - 1) / 2) * width
        if horizontal:
            ax.barh(x - offset, frame[column], height=width, label=column, color=colors[i % len(colors)])
        else:
            ax.bar(x + offset, frame[column], width=width, label=column, color=colors[i % len(colors)])
    if horizontal:
        ax.set_yticks(x, names, fontsize=8)
        ax.set_xlabel("fraction of the series' rows")
        fig.legend(loc="outside lower center", ncols=min(series, 3), fontsize=8)
    else:
        ax.set_xticks(x, names)
        ax.set_ylabel("fraction of the series' rows")
        ax.legend(fontsize=8)
    ax.set_title("Label distribution")
    return fig


def confusion_matrices(evaluation: Evaluation, written: WrittenEvaluation | None = None) -> Figure:
    """Confusion matrices (gold rows x predicted class or abstain) of the label model and majority vote, and of the
    labels a run wrote when ``written`` (:func:`weaksup.report.written.evaluate_written`) is given."""
    panels = [(evaluation.model.name, evaluation.model.confusion, evaluation.model.accuracy),
              (evaluation.baseline.name, evaluation.baseline.confusion, evaluation.baseline.accuracy)]
    if written is not None:
        rows = f", {written.n_rows} rows" if written.n_missing else ""
        panels.append((WRITTEN + rows, written.confusion, written.score.accuracy))
    table = evaluation.model.confusion
    k, columns = table.shape
    gold_names = [tick_label(name) for name in table.index]
    predicted_names = [tick_label(name) for name in table.columns]
    many = k >= MANY_CLASSES or any("\n" in name or len(name) > 10 for name in predicted_names)
    cell = 0.45 if many else 0.6
    panel_w = cell * columns + _text_inches(gold_names) + 1.2
    # below the cells: upright names (many) or names at 45 degrees, then "predicted"; above: the two titles
    panel_h = cell * k + (_text_inches(predicted_names) if many else 0.75 * _text_inches(predicted_names) + 0.4) + 1.5
    stacked = k >= MANY_CLASSES
    n = len(panels)
    size = (max(5.0, panel_w), n * panel_h + 0.4) if stacked else (n * panel_w + 0.5, max(3.2, panel_h))
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(n, 1) if stacked else fig.subplots(1, n)
    for ax, (name, table, accuracy) in zip(np.atleast_1d(axes), panels):
        values = table.to_numpy()
        ax.imshow(values, cmap="Blues", vmin=0)
        if many:  # upright columns: each name stays within its own column
            ax.set_xticks(range(columns), predicted_names, rotation=90, fontsize=8)
        else:
            ax.set_xticks(range(columns), predicted_names, rotation=45, ha="right")
        ax.set_yticks(range(k), gold_names, fontsize=8 if many else None)
        for i, j in np.ndindex(values.shape):
            ax.text(j, i, str(values[i, j]), ha="center", va="center", fontsize=7 if many else None,
                    color="white" if values[i, j] > values.max() / 2 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{name}\naccuracy {accuracy:.3f} (abstain = wrong)", fontsize=9)
    fig.suptitle(f"Confusion matrices on the {evaluation.split} gold rows")
    return grow_to_fit(fig)


def reliability(evaluation: Evaluation, written: WrittenEvaluation | None = None) -> Figure:
    """Reliability diagram: accuracy against confidence per bin of the rows given a class, with ECE and Brier, of
    the label model and majority vote, and of the labels a run wrote when ``written`` has their probabilities
    (:attr:`WrittenEvaluation.metrics <weaksup.report.written.WrittenEvaluation.metrics>`)."""
    fig = Figure(figsize=(5.5, 5.8 if written is not None and written.metrics is not None else 5.6),
                 layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle="--", color=NEUTRAL, label="perfectly calibrated")
    curves = [(evaluation.model.name, evaluation.model, MODEL_COLOR),
              (evaluation.baseline.name, evaluation.baseline, BASELINE_COLOR)]
    if written is not None and written.metrics is not None:
        rows = f", {written.n_rows} rows" if written.n_missing else ""
        curves.append((WRITTEN + rows, written.metrics, WRITTEN_COLOR))
    notes = []
    for name, metrics, color in curves:
        bins = metrics.calibration
        ax.plot(bins["confidence"], bins["accuracy"], marker="o", color=color,
                label=f"{name} (ECE {metrics.ece:.3f} over the {metrics.labelled:.0%} of rows given a class, "
                      f"Brier {metrics.brier:.3f} over all)")
        for _, row in bins.iterrows():  # the row count beside its point, kept inside the axes at the edges
            right, low = row["confidence"] > 0.9, row["accuracy"] < 0.1
            notes.append(ax.annotate(str(int(row["n"])), (row["confidence"], row["accuracy"]), fontsize=6,
                                     color=color, textcoords="offset points",
                                     xytext=(-3 if right else 3, 3 if low else -3),
                                     ha="right" if right else "left", va="bottom" if low else "top"))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(-0.03, 1.03)  # markers at 0 and 1 drawn whole
    ax.set_xlabel("confidence (top class probability)")
    ax.set_ylabel("accuracy in bin")
    ax.set_title(f"Calibration on the {evaluation.split} gold rows (numbers: rows per bin)", fontsize=9)
    fig.legend(loc="outside lower center", fontsize=7)  # below the axes: it never hides a point
    return separate_labels(fig, notes)


def separate_labels(fig: Figure, notes: Sequence[Annotation], rounds: int = 8) -> Figure:
    """Move each annotation of ``notes`` (in order) a text height further from its point, on the side it is
    already on, until it overlaps none placed before it (at most ``rounds`` times), and return ``fig``.

    Two curves' points often fall together (at confidence 1.0, say), and their row counts would be drawn on top of
    each other; measured on the laid-out figure, so the counts' places hold when it is saved.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2), layout="constrained")
    >>> ax = fig.subplots()
    >>> notes = [ax.annotate(n, (0.5, 0.5), textcoords="offset points", xytext=(3, -3), va="top") for n in "ab"]
    >>> boxes = [note.get_window_extent() for note in separate_labels(fig, notes).axes[0].texts]
    >>> bool(boxes[0].overlaps(boxes[1]))
    False
    """
    fig.draw_without_rendering()  # lays the figure out as a save would
    placed: list[Any] = []
    for note in notes:
        box = note.get_window_extent()
        x, y = note.xyann
        step = (box.height * 72 / fig.dpi + 1) * (1 if note.get_verticalalignment() == "bottom" else -1)  # points
        for k in range(1, rounds + 1):
            if not any(box.overlaps(other) for other in placed):
                break
            note.xyann = (x, y + k * step)
            box = note.get_window_extent()
        placed.append(box)
    return fig
