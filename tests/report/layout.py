"""Many classes with long names, and the checks that a figure's text fits: shared by the figure and browser tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from weaksup.evaluate import Evaluation, evaluate
from weaksup.gold import GoldSet, write_gold
from weaksup.models import MajorityVote
from weaksup.votes import VoteMatrix

TICKET_CLASSES = ["Hardware and peripherals", "Billing and invoices", "Account access", "Network connectivity",
                  "Software installation", "Email and calendar", "Security incidents", "Onboarding tasks",
                  "Printing and scanning", "Mobile devices"]


def long_names(k: int) -> list[str]:
    """``k`` class names of exactly 30 characters."""
    names = [f"{base} problems and requests"[:30].rstrip() for base in TICKET_CLASSES[:k]]
    return [name.ljust(30, "s") for name in names]


def many_class_votes(folder, names, n=400, m=12, seed=0, splits=("test",)) -> tuple[VoteMatrix, GoldSet]:
    """Votes of ``m`` LFs (70% right where they vote, 40% coverage) on ``n`` rows of ``len(names)`` classes,
    and a gold set of every row (split in turn over ``splits``) written under ``folder``."""
    k = len(names)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    right = rng.random((n, m)) < 0.7
    L = np.where(rng.random((n, m)) < 0.4, np.where(right, y[:, None], rng.integers(0, k, (n, m))), -1)
    ids = [f"r{i}" for i in range(n)]
    votes = VoteMatrix(L, row_ids=ids, lf_names=[f"lf_{j}_keyword" for j in range(m)])
    rows = pd.DataFrame({"row_id": ids, "label": [names[v] for v in y],
                         "split": [splits[i % len(splits)] for i in range(n)]})
    gold = write_gold(rows, folder / f"gold{k}", task="tickets", label_space=names)
    return votes, gold


def many_class_evaluation(folder, names, n=400, m=12, seed=0) -> tuple[VoteMatrix, Evaluation]:
    """:func:`many_class_votes` and majority vote's evaluation on them."""
    votes, gold = many_class_votes(folder, names, n, m, seed)
    return votes, evaluate(votes, gold, MajorityVote(cardinality=len(names)).fit(votes), tie_break="seeded_random")


def _draw(fig: Figure):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _label_boxes(fig, renderer):
    """The window extents of every tick label drawn (ticks within the axes' view limits), by axes."""
    boxes = []
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        shown = [t for t in ax.get_xticklabels() if x0 - 1e-9 <= t.get_position()[0] <= x1 + 1e-9]
        shown += [t for t in ax.get_yticklabels() if y0 - 1e-9 <= t.get_position()[1] <= y1 + 1e-9]
        boxes += [(ax, t.get_text(), t.get_window_extent(renderer)) for t in shown if t.get_visible() and t.get_text()]
    return boxes


def assert_labels_fit(fig):
    """No two tick labels overlap, none leaves the figure, none lies over another axes (e.g. the next panel)."""
    renderer = _draw(fig)
    boxes = _label_boxes(fig, renderer)
    page = fig.bbox
    for i, (ax, text, box) in enumerate(boxes):
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, \
            f"{text!r} is cut by the figure's edge"
        for _, other, other_box in boxes[i + 1:]:
            assert not box.overlaps(other_box), f"{text!r} overlaps {other!r}"
        for other_ax in fig.axes:
            if other_ax is not ax:
                assert not box.overlaps(other_ax.get_window_extent(renderer)), f"{text!r} lies over another axes"
    return boxes


def _inset(box: Bbox, pixels: float = 0.5) -> Bbox:
    return Bbox.from_extents(box.x0 + pixels, box.y0 + pixels, box.x1 - pixels, box.y1 - pixels)


def _data_boxes(ax, renderer) -> list[Bbox]:
    """Where ``ax`` draws data, in window pixels: its bars, and its lines sampled along every segment."""
    boxes = [p.get_window_extent(renderer) for p in ax.patches if p.get_visible()]
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) > 1 and line.get_linestyle() not in ("None", "", " "):
            steps = np.linspace(0, 1, 25)[:, None]
            xy = np.concatenate([a + steps * (b - a) for a, b in zip(xy[:-1], xy[1:])])
        boxes += [Bbox.from_extents(x - 1, y - 1, x + 1, y + 1) for x, y in ax.transData.transform(xy)]
    return boxes


def assert_text_fits(fig):
    """Every piece of text around the plots fits: tick labels, axis labels, titles, the suptitle and legends lie
    inside the figure, no two of them overlap, a legend covers no bar or line of its axes, the figure legend
    and the suptitle lie over no axes, and the numbers written on a plot stay inside the figure."""
    renderer = _draw(fig)
    page = fig.bbox
    for ax in fig.axes:
        for text in ax.texts:  # clipped to its axes (annotations) or to the figure
            box, frame = text.get_window_extent(renderer), ax.bbox if text.get_clip_on() else page
            assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1 and frame.y0 - 1 <= box.y0 \
                and box.y1 <= frame.y1 + 1, f"the number {text.get_text()!r} on {ax.get_title()!r} is cut by the edge"
        legend = ax.get_legend()
        if legend is not None:
            box = _inset(legend.get_window_extent(renderer), 1)
            covered = [b for b in _data_boxes(ax, renderer) if box.overlaps(b)]
            assert not covered, f"the legend of {ax.get_title()!r} covers data ({len(covered)} bars or points)"
    items = [(f"tick label {text!r}", box, ax) for ax, text, box in _label_boxes(fig, renderer)]
    for ax in fig.axes:
        for name, artist in (("x label", ax.xaxis.label), ("y label", ax.yaxis.label), ("title", ax.title)):
            if artist.get_visible() and artist.get_text():
                items.append((f"{name} {artist.get_text()!r}", artist.get_window_extent(renderer), None))
        legend = ax.get_legend()
        if legend is not None:
            items.append(("legend of " + repr(ax.get_title()), legend.get_window_extent(renderer), ax))
    for legend in fig.legends:
        items.append(("figure legend", legend.get_window_extent(renderer), None))
    suptitle = fig.get_suptitle()
    if suptitle:
        text = next(t for t in fig.texts if t.get_text() == suptitle)
        items.append((f"suptitle {suptitle!r}", text.get_window_extent(renderer), None))
    for i, (what, box, _) in enumerate(items):
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, \
            f"{what} is cut by the figure's edge ({box} outside {page})"
        for other, other_box, _ in items[i + 1:]:
            assert not _inset(box).overlaps(_inset(other_box)), f"{what} overlaps {other}"
    for what, box, owner in items:  # tick labels, legends, the figure legend and the suptitle: over no other axes
        if owner is not None or what.startswith(("figure legend", "suptitle")):
            for ax in fig.axes:
                if ax is not owner:
                    assert not _inset(box).overlaps(ax.get_window_extent(renderer)), f"{what} lies over an axes"
    return items
