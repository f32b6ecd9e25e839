"""The report's per-class tables and its two macro recalls when a class has no gold rows in the scored split."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from weaksup.gold import write_gold
from weaksup.models import MajorityVote
from weaksup.references import compare_references
from weaksup.report import build_report
from weaksup.report.html import NO_GOLD_ROWS, per_class_table
from weaksup.votes import VoteMatrix


def test_a_class_without_test_rows_reads_no_gold_rows_and_both_macro_recalls_agree(tmp_path):
    # 3 classes; z has dev rows only. The LFs vote right on every test row, so every macro figure is 1.
    ids = [f"r{i}" for i in range(8)]
    labels = ["x", "x", "y", "y", "x", "y", "z", "z"]
    split = ["test"] * 4 + ["dev"] * 4
    gold = write_gold(pd.DataFrame({"row_id": ids, "label": labels, "split": split}), tmp_path / "g", task="t",
                      label_space=["x", "y", "z"])
    y = np.array([["x", "y", "z"].index(label) for label in labels])
    votes = VoteMatrix(np.column_stack([y, y]), row_ids=ids, lf_names=["f", "g"])
    test = np.arange(4)
    refs = compare_references(y[test], {"final": y[test], "supervised_on_dev": y[test]},
                              covered=np.ones(4, bool), label_space=["x", "y", "z"], n_gold=4, split="test")
    report = build_report(votes, gold=gold, model=MajorityVote(cardinality=3).fit(votes), references=refs)
    ev = report.evaluation
    assert ev is not None
    assert ev.model.macro_recall == ev.baseline.macro_recall == 1.0  # was 2/3: z counted as 0
    assert ev.model.macro_recall == refs.table().loc["final", "macro recall"]
    assert ev.model.macro_f1 == ev.model.macro_precision == 1.0
    shown = per_class_table(ev.model)
    assert shown.loc["z"].tolist() == [NO_GOLD_ROWS, NO_GOLD_ROWS, NO_GOLD_ROWS, 0]
    assert shown.loc["x"].tolist() == ["1.000", "1.000", "1.000", 2]
    page = report.to_html()
    assert page.count(f"<td>{NO_GOLD_ROWS}</td>") == 6  # z's three cells, for the label model and majority vote
    assert html.escape("average the 2 classes with test gold rows; z has none, so it is left out") in page
    report.close()


def test_every_class_with_gold_rows_shows_figures_and_no_note(tmp_path):
    ids = [f"r{i}" for i in range(4)]
    gold = write_gold(pd.DataFrame({"row_id": ids, "label": ["x", "y", "x", "y"], "split": "test"}), tmp_path / "g",
                      task="t", label_space=["x", "y"])
    votes = VoteMatrix([[0, 0], [1, 0], [0, -1], [-1, -1]], row_ids=ids, lf_names=["f", "g"])
    report = build_report(votes, gold=gold, model=MajorityVote(cardinality=2).fit(votes))
    assert report.evaluation is not None
    shown = per_class_table(report.evaluation.model)
    assert (shown != NO_GOLD_ROWS).all().all() and shown.loc["x", "recall"] == "1.000"
    page = report.to_html()
    assert NO_GOLD_ROWS not in page and "classes with test gold rows" not in page
    report.close()
