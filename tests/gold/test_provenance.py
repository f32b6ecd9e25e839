"""prefill_report: accepted pre-fills per annotator, and how accepted and edited answers agree."""

import math

import pandas as pd
import pytest

from weaksup.gold import load_gold, prefill_report, write_gold


def test_report_of_a_gold_set_with_origins(tmp_path):
    rows = pd.DataFrame({
        "row_id": ["a", "a", "a", "b", "b", "b", "c", "c", "d"],
        "annotator": ["x", "y", "z"] * 2 + ["x", "y", "x"],
        "label": ["spam", "spam", "ham", "ham", "ham", "ham", "spam", "ham", "ham"],
        "split": "dev",
        "origin": ["prediction", "prediction", "manual", "prediction", "prediction-changed", "", "prediction",
                   "manual", "prediction"]})
    gold = load_gold(write_gold(rows, tmp_path / "g", task="t", label_space=["ham", "spam"]).path)
    assert gold.frame["origin"].tolist().count("prediction") == 5  # kept by write_gold, read back by load_gold
    report = prefill_report(gold)
    assert str(report) == "\n".join(report.lines()) and str(report).startswith("pre-fills: 5 of 8 answer(s) accepted")
    table = report.per_annotator.set_index("annotator")
    assert table.loc["x"].drop("acceptance_rate").tolist() == [4, 4, 0, 0] and table.loc["x", "acceptance_rate"] == 1
    assert table.loc["y", ["accepted", "edited"]].tolist() == [1, 2] and table.loc["z", "unknown"] == 1
    assert math.isnan(prefill_report(gold.frame.assign(origin="")).per_annotator["acceptance_rate"].iloc[0])
    by = report.by_origin
    # accepted: x on a (1 of 2 agree), b (2/2), c (0/1); y on a (1/2); x on d has no other annotator
    assert by.loc["accepted", ["answers", "pairs"]].tolist() == [5, 7]
    assert by.loc["accepted", "agree_with_others"] == pytest.approx(4 / 7)
    # final labels: a spam, b ham, c tied (none), d single (not counted)
    assert by.loc["accepted", ["with_final", "agree_with_final"]].tolist() == [3, 1.0]
    assert by.loc["edited", ["answers", "pairs", "with_final"]].tolist() == [3, 5, 2]
    assert by.loc["edited", "agree_with_final"] == pytest.approx(0.5)  # z's ham on a is against spam
    assert report.lines()[0] == ("pre-fills: 5 of 8 answer(s) accepted the suggestion unchanged (62.5%): x 100.0% "
                                 "(4/4), y 33.3% (1/3), z 0.0% (0/1); 1 without an origin")


def test_no_origin_known():
    rows = pd.DataFrame({"row_id": ["a", "a"], "annotator": ["x", "y"], "label": ["ham", "ham"]})
    report = prefill_report(rows)
    assert report.known == 0 and "origin of the 2 answer(s) is unknown" in report.lines()[0]
