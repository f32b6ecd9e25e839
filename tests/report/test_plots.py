"""The report's figures: what each one draws, and that pyplot's global state is left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_evaluate import FirstLF
from weaksup.analysis import VoteStats, lf_pair_matrix, lf_summary
from weaksup.evaluate import evaluate
from weaksup.gold import write_gold
from weaksup.models import MajorityVote
from weaksup.votes import VoteMatrix

pytest.importorskip("matplotlib")  # the `report` extra
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tests.report.layout import (  # noqa: E402
    assert_labels_fit,
    assert_text_fits,
    long_names,
    many_class_evaluation,
    many_class_votes,
)
from weaksup.report import plots  # noqa: E402

VOTES = VoteMatrix([[0, 0, -1], [1, 0, 1], [-1, -1, -1], [1, 1, 1], [0, -1, 1]], row_ids=list("abcde"),
                   lf_names=["f", "g", "h"])


def _evaluation(tmp_path):
    rows = pd.DataFrame({"row_id": list("abcde"), "label": ["x", "y", "x", "y", "x"], "split": "test"})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])
    return evaluate(VOTES, gold, MajorityVote(cardinality=2).fit(VOTES), tie_break="seeded_random")


def test_lf_rates_draws_three_bars_per_lf_in_lf_order():
    fig = plots.lf_rates(lf_summary(VOTES))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["h", "g", "f"]  # top to bottom: f, g, h
    assert len(ax.patches) == 9
    assert [p.get_width() for p in ax.patches[:3]] == [0.6, 0.6, 0.8]  # coverage of h, g, f


def test_heatmap_shows_the_pair_matrix_in_percent():
    matrix = lf_pair_matrix(VOTES, "conflict")
    fig = plots.lf_pair_heatmap(matrix)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), matrix.to_numpy() * 100)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["f", "g", "h"]


def test_votes_per_row_histogram():
    fig = plots.votes_per_row(np.array([0, 1, 1, 3]))
    assert [p.get_height() for p in fig.axes[0].patches] == [0.25, 0.5, 0.0, 0.25]
    from_stats = plots.votes_per_row(VoteStats.of(VOTES).n_voting)
    assert [p.get_height() for p in from_stats.axes[0].patches] == [0.2, 0.0, 0.4, 0.4]


def test_confusion_and_reliability_show_both_models(tmp_path):
    ev = _evaluation(tmp_path)
    confusion = plots.confusion_matrices(ev)
    assert len(confusion.axes) == 2
    counts = [int(t.get_text()) for t in confusion.axes[1].texts]
    assert counts == ev.baseline.confusion.to_numpy().ravel().tolist()
    fig = plots.reliability(ev)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0] == "perfectly calibrated" and f"ECE {ev.model.ece:.3f}" in labels[1] and len(labels) == 3


def test_the_written_labels_confusion_is_a_third_panel_with_its_abstains(tmp_path):
    from weaksup.alignment import AlignedGold
    from weaksup.report.written import WRITTEN, WrittenLabels, evaluate_written

    ev = _evaluation(tmp_path)
    gold = write_gold(pd.DataFrame({"row_id": list("abcde"), "label": ["x", "y", "x", "y", "x"], "split": "test"}),
                      tmp_path / "g2", task="t", label_space=["x", "y"])
    written = evaluate_written(WrittenLabels({}, row_ids=list("abcde"), labels=[0, 1, -1, -1, 1]), VOTES,
                               AlignedGold.of(gold, VOTES), "test", ["x", "y"])
    fig = plots.confusion_matrices(ev, written)
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == f"{WRITTEN}\naccuracy 0.400 (abstain = wrong)"
    counts = [int(t.get_text()) for t in fig.axes[2].texts]
    # x: a right, c abstained, e as y; y: b right, d abstained
    assert counts == [1, 1, 1, 0, 1, 1] == written.confusion.to_numpy().ravel().tolist()
    assert fig.get_size_inches()[0] > plots.confusion_matrices(ev).get_size_inches()[0]  # room for the third
    assert_text_fits(fig)


def test_label_distribution_keeps_the_class_order():
    fig = plots.label_distribution({"model": pd.Series({"x": 0.5, "y": 0.3, "abstain": 0.2}),
                                    "gold": pd.Series({"x": 0.6, "y": 0.4})})
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y", "abstain"]


def test_figures_are_not_registered_with_pyplot_and_render_to_png(tmp_path):
    before = plt.get_fignums()
    fig = plots.reliability(_evaluation(tmp_path))
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert plots.to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_with_many_lfs_the_figures_show_those_with_the_most_conflicts_and_say_so():
    m = 100
    rng = np.random.default_rng(0)
    L = np.where(rng.random((400, m)) < 0.05, rng.integers(0, 2, (400, m)), -1).astype(np.int8)
    L[:, 7] = rng.integers(0, 2, 400)  # LF 7 votes everywhere, at random: the most conflicts
    votes = VoteMatrix(L, lf_names=[f"lf{j:03d}" for j in range(m)])
    matrix = lf_pair_matrix(votes, "conflict")
    heatmap = plots.lf_pair_heatmap(matrix)
    shown = [t.get_text() for t in heatmap.axes[0].get_xticklabels()]
    assert len(shown) == plots.HEATMAP_LFS and "lf007" in shown and shown == sorted(shown)  # in LF order
    assert matrix.sum(axis=1)[shown].min() >= matrix.sum(axis=1).drop(shown).max()
    assert heatmap.axes[0].get_title().endswith(f"(the {plots.HEATMAP_LFS} of {m} LFs with the most conflicts)")
    assert max(heatmap.get_size_inches()) <= 0.42 * plots.HEATMAP_LFS + 3  # bounded, whatever m
    summary = lf_summary(votes)
    bars = plots.lf_rates(summary)
    names = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert len(names) == plots.RATES_LFS and "lf007" in names
    assert summary.loc[names, "Conflicts"].min() >= summary["Conflicts"].drop(names).max()
    assert f"of {m} LFs" in bars.axes[0].get_title()


def test_top_lfs_keeps_every_lf_up_to_the_limit():
    scores = pd.Series([0.3, 0.1, 0.2])
    assert plots.top_lfs(scores, 3) == ([0, 1, 2], "")
    assert plots.top_lfs(scores, 2) == ([0, 2], " (the 2 of 3 LFs with the most conflicts)")


# ---------------------------------------------------------------- many classes, long names

def _shown_names(boxes, ax):
    return [" ".join(text.split()) for a, text, _ in boxes if a is ax]


@pytest.mark.parametrize("k", [8, 10])
def test_many_long_class_names_fit_in_the_class_figures(tmp_path, k):
    names = long_names(k)
    assert all(len(name) == 30 for name in names)
    _, ev = many_class_evaluation(tmp_path, names)
    _, few = many_class_evaluation(tmp_path, ["ham", "spam"])
    confusion = plots.confusion_matrices(ev)
    boxes = assert_labels_fit(confusion)
    shown = _shown_names(boxes, confusion.axes[0])
    assert len(shown) == 2 * k + 1  # every gold class, every predicted class and abstain
    for name in names:  # each name is shown whole or as its beginning, cut with "…"
        assert any(name.startswith(text.rstrip("…")) and len(text.rstrip("…")) >= 15 for text in shown), name
    from weaksup.alignment import AlignedGold
    from weaksup.report.written import WrittenLabels, evaluate_written

    votes, gold = many_class_votes(tmp_path, names)
    rows = np.arange(len(votes))
    written = evaluate_written(WrittenLabels({}, row_ids=votes.row_ids, labels=np.where(rows % 5, rows % k, -1)),
                               votes, AlignedGold.of(gold, votes), "test", names)
    three = plots.confusion_matrices(ev, written)
    assert len(three.axes) == 3 and three.get_size_inches()[1] > 1.4 * confusion.get_size_inches()[1]  # stacked
    assert_labels_fit(three)
    assert_text_fits(three)
    small = plots.confusion_matrices(few)
    assert confusion.get_size_inches().prod() > 3 * small.get_size_inches().prod()  # grows with the classes
    assert_labels_fit(small)
    shares = pd.Series(np.full(k, 1 / k), index=names)
    distribution = plots.label_distribution({"model": shares, "MajorityVote": shares, "gold (test)": shares})
    boxes = assert_labels_fit(distribution)
    assert len(_shown_names(boxes, distribution.axes[0])) >= k
    assert distribution.get_size_inches()[1] > 0.5 * k  # taller with every class
    ticks = distribution.axes[0].get_yticklabels()
    top_to_bottom = [t.get_text() for t in sorted(ticks, key=lambda t: -t.get_position()[1])]
    assert [" ".join(t.split()) for t in top_to_bottom] == [" ".join(plots.tick_label(n).split()) for n in names]


def test_long_lf_names_fit_in_the_lf_figures(tmp_path):
    votes, _ = many_class_evaluation(tmp_path, long_names(8), m=14)
    long = VoteMatrix(votes.values, row_ids=votes.row_ids,
                      lf_names=[f"lf_{j:02d}_matches_the_keywords_of_the_hardware_class_and_more" for j in range(14)])
    rates = plots.lf_rates(lf_summary(long))
    heatmap = plots.lf_pair_heatmap(lf_pair_matrix(long, "conflict"))
    for fig in (rates, heatmap):
        boxes = assert_labels_fit(fig)
        names = _shown_names(boxes, fig.axes[0])
        assert len({n for n in names if n.startswith("lf_")}) == 14  # still tell the LFs apart
        assert all(len(n) <= plots.LF_NAME_WIDTH for n in names)


def test_youtube_figures_fit(youtube, tmp_path):
    from weaksup import apply_lfs, keyword_lf, load_gold

    gold = load_gold("gold_sets/youtube_spam")
    spam, ham = gold.label_space["spam"], gold.label_space["ham"]
    lfs = [keyword_lf("kw_subscribe", "subscribe", spam), keyword_lf("kw_check", "check out", spam),
           keyword_lf("kw_song", "song", ham), keyword_lf("kw_love", "love", ham)]
    votes = apply_lfs(lfs, youtube.drop(columns=["label", "split"]), id_column="row_id", label_space=gold.label_space)
    ev = evaluate(votes, gold, MajorityVote(cardinality=2).fit(votes), tie_break="seeded_random")
    for fig in (plots.confusion_matrices(ev), plots.lf_rates(lf_summary(votes)),
                plots.lf_pair_heatmap(lf_pair_matrix(votes, "conflict")),
                plots.label_distribution({"gold": gold.labels("test").value_counts(normalize=True)})):
        boxes = assert_labels_fit(fig)
        assert_text_fits(fig)
        assert {"ham", "spam"} <= {text for _, text, _ in boxes} or fig.axes[0].get_yticklabels()


def test_every_figure_of_a_nine_class_report_with_long_names_fits(tmp_path):
    """Legends, titles, axis labels and tick labels of all six report figures: inside the figure, apart from
    each other, and no legend over a bar or a line."""
    from weaksup.report import build_report

    votes, gold = many_class_votes(tmp_path, long_names(9), n=600, splits=("dev", "test"))
    report = build_report(votes, gold=gold, model=MajorityVote(cardinality=9).fit(votes))
    figures = report.build_figures()
    assert sorted(figures) == ["calibration", "confusion_matrix", "label_distribution", "lf_conflicts", "lf_rates",
                               "votes_per_row"]
    for fig in figures.values():
        assert_text_fits(fig)


def test_the_layout_check_catches_a_legend_over_bars_and_cut_text():
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.barh([0, 1], [1.0, 1.0], label="bars")
    ax.legend(loc="lower right")
    with pytest.raises(AssertionError, match="covers data"):
        assert_text_fits(fig)
    fig = Figure(figsize=(2, 2))
    ax = fig.subplots()
    ax.set_yticks([0, 1], ["a very long class name indeed", "b"])
    with pytest.raises(AssertionError, match="cut by the figure's edge"):
        assert_text_fits(fig)
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.annotate("99", (1, 0), xytext=(3, -8), textcoords="offset points")
    with pytest.raises(AssertionError, match="the number '99'.*is cut"):
        assert_text_fits(fig)


def _confident_evaluation():
    """300 gold rows: FirstLF right on all at confidence 1.0; majority vote right at 1.0 on 240, and wrong at 2/3 on
    the 60 where the other two LFs outvote the first (two curves' points at (1.0, 1.0): counts 300 and 240)."""
    y = np.arange(300) % 2
    L = np.column_stack([y, y, y])
    L[:60, 1:] = 1 - y[:60, None]
    votes = VoteMatrix(L, lf_names=["a", "b", "c"])
    return votes, y, evaluate(votes, y, FirstLF(), label_space=["x", "y"])


def _overlaps(fig):
    fig.draw_without_rendering()
    ax = fig.axes[0]
    boxes = [(t.get_text(), t.get_window_extent()) for t in ax.texts]
    return boxes, [(a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1:] if box.overlaps(other)]


def test_the_row_counts_of_two_curves_at_one_point_are_not_drawn_on_top_of_each_other():
    """On the tennis run "261" and "219" were drawn over each other at confidence 1.0; measured on the figure's text
    boxes (display coordinates of the laid-out figure), not on pixels."""
    _, _, ev = _confident_evaluation()
    assert ev.model.calibration[["confidence", "accuracy", "n"]].values.tolist() == [[1.0, 1.0, 300]]
    assert [1.0, 1.0, 240] in ev.baseline.calibration[["confidence", "accuracy", "n"]].values.tolist()
    fig = plots.reliability(ev)
    boxes, overlapping = _overlaps(fig)
    assert sorted(text for text, _ in boxes) == ["240", "300", "60"]
    assert overlapping == []
    inside = fig.axes[0].get_window_extent()
    assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
               for _, box in boxes)
    # saving lays the figure out again: the counts keep their places
    plots.to_png(fig)
    assert _overlaps(fig)[1] == []


def test_the_written_labels_calibration_curve_joins_the_label_models_and_majority_votes(tmp_path):
    """The final labels (what users train on) were only an ECE number; with their probabilities the calibration
    figure draws them too, their ECE the references' final ECE on the same rows."""
    from weaksup.alignment import AlignedGold
    from weaksup.references import compare_references
    from weaksup.report.written import WRITTEN, WrittenLabels, evaluate_written

    votes, y, ev = _confident_evaluation()
    rng = np.random.default_rng(0)
    proba = np.clip(np.eye(2)[y] * 0.7 + rng.random((300, 1)) * 0.3, 0, 1)
    proba = proba / proba.sum(axis=1, keepdims=True)
    labels = proba.argmax(axis=1)
    labels[:10] = -1  # abstained: left out of the ECE, as the references leave them out
    written = evaluate_written(WrittenLabels({}, row_ids=votes.row_ids, labels=labels, proba=proba), votes,
                               AlignedGold.of(y, votes), None, ["x", "y"])
    refs = compare_references(y, {"final": labels}, covered=np.ones(300, bool), final_proba=proba)
    assert written.metrics.ece == pytest.approx(refs.ece) and written.metrics.labelled == pytest.approx(290 / 300)
    fig = plots.reliability(ev, written)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # the diagonal, the label model, majority vote, the written labels
    np.testing.assert_allclose(lines[3].get_xdata(), written.metrics.calibration["confidence"])
    np.testing.assert_allclose(lines[3].get_ydata(), written.metrics.calibration["accuracy"])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[3] == f"{WRITTEN} (ECE {refs.ece:.3f} over the 97% of rows given a class, " \
                        f"Brier {written.metrics.brier:.3f} over all)"
    assert _overlaps(fig)[1] == []
    without = evaluate_written(WrittenLabels({}, row_ids=votes.row_ids, labels=labels), votes,
                               AlignedGold.of(y, votes), None, ["x", "y"])
    assert without.metrics is None and len(plots.reliability(ev, without).axes[0].get_lines()) == 3
