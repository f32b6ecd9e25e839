"""preview_lf: one LF's figures from its votes, the other LFs' votes and dev gold (no workbench needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import keyword_lf
from weaksup.workbench.preview import RowSample, preview_lf

NAMES = ["ham", "spam"]
ROWS = RowSample(np.array(["a", "b", "c", "d"]), np.array(["sub", "song", "sub song", "hi"]), "row_id", "text")


def test_figures_and_samples():
    lf = keyword_lf("kw_sub", "sub", 1)
    others = pd.DataFrame({"song": [-1, 0, 0, -1], "hi": [-1, -1, 1, -1]})
    p = preview_lf(lf, np.array([1, -1, 1, -1]), others, np.array([1, 0, 0, -1]), NAMES, ROWS)
    assert (p.n_fired, p.coverage, p.polarity) == (2, 0.5, ["spam"])
    assert (p.n_dev, p.correct, p.incorrect, p.accuracy) == (2, 1, 1, 0.5)
    assert (p.overlap, p.conflict, p.new_coverage) == (0.25, 0.25, 0.25)
    assert p.per_lf.loc["song", "conflicts"] == 1 and p.per_lf.loc["hi", "conflicts"] == 0
    assert p.per_lf.index[0] == "song"  # the LFs it conflicts with most come first
    assert p.wrong[["row_id", "vote", "gold"]].values.tolist() == [["c", "spam", "ham"]]
    assert p.conflicts["others"].tolist() == ["song=ham"]
    assert list(p.fires.columns) == ["row_id", "vote", "text"]


def test_no_other_lfs_and_no_dev_gold():
    p = preview_lf(keyword_lf("kw_sub", "sub", 1), np.array([1, -1, 1, -1]), pd.DataFrame(index=range(4)),
                   np.full(4, -1), NAMES, ROWS)
    assert p.new_coverage == p.coverage == 0.5 and p.per_lf.empty and np.isnan(p.accuracy)
    assert "n/a (no vote on dev gold)" in repr(p)


def test_samples_are_seeded_and_in_row_order():
    rows = RowSample(np.arange(100), None, None, None, seed=3)
    picked = rows.sample(np.arange(100), 5)
    assert picked.tolist() == sorted(picked.tolist()) and np.array_equal(picked, rows.sample(np.arange(100), 5))
    assert rows.frame(picked).columns.tolist() == ["row_id"]


# ---------------------------------------------------------------- what print(preview) shows


def _section(text: str, title: str) -> list[str]:
    """The sample lines printed under ``title`` (indented four spaces), in order."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {title} ("))
    return [line.strip() for line in lines[start + 1:] if line.startswith("    ")][: _count(lines[start])]


def _count(header: str) -> int:
    return int(header.split("(")[1].split(" of ")[0])


def test_print_shows_n_samples_rows_per_section_and_the_gold_class_of_wrong_rows():
    n = 40
    rows = RowSample(np.array([f"r{i}" for i in range(n)]), np.array([f"text {i}" for i in range(n)]), "row_id", "text")
    votes = np.where(np.arange(n) % 2 == 0, 1, -1)  # votes spam on every even row
    y_dev = np.where(np.arange(n) < 20, np.arange(n) % 3 == 0, -1).astype(int)  # dev gold on rows 0..19
    others = pd.DataFrame({"other": np.zeros(n, dtype=int)})
    for n_samples in (2, 7, 12):
        p = preview_lf(keyword_lf("kw", "text", 1), votes, others, y_dev, NAMES, rows, n_samples=n_samples)
        printed = str(p)
        assert printed == repr(p)
        fires = _section(printed, "fires on")
        assert len(fires) == min(n_samples, 20) and f"fires on ({len(fires)} of 20 rows)" in printed
        assert all(line.startswith("[spam] r") for line in fires)
        wrong = _section(printed, "wrong on dev gold")
        assert len(wrong) == min(n_samples, p.incorrect) and p.incorrect == 6  # even rows 0..18, not divisible by 3
        for line in wrong:
            i = int(line.split()[4][1:-1])  # "[voted spam, gold ham] r4: text 4"
            assert line == f"[voted spam, gold ham] r{i}: text {i}" and i % 2 == 0 and i % 3 != 0 and i < 20
        assert len(_section(printed, "conflicts on")) == min(n_samples, 20)
        assert all(" vs other=ham]" in line for line in _section(printed, "conflicts on"))


def test_n_samples_must_be_a_count():
    from weaksup.errors import ParameterError

    lf = keyword_lf("kw_sub", "sub", 1)
    for bad in (-1, 2.5, "5", True):
        with pytest.raises(ParameterError, match="n_samples"):
            preview_lf(lf, np.array([1, -1, 1, -1]), pd.DataFrame(index=range(4)), np.full(4, -1), NAMES, ROWS,
                       n_samples=bad)
    quiet = preview_lf(lf, np.array([1, -1, 1, -1]), pd.DataFrame(index=range(4)), np.full(4, -1), NAMES, ROWS,
                       n_samples=0)
    assert "fires on" not in str(quiet) and quiet.fires.empty


def test_eight_classes_are_printed_by_name():
    names = [f"class number {k} with a long name" for k in range(8)]
    n = 64
    rows = RowSample(np.arange(n), np.array([f"ticket {i}" for i in range(n)]), "row_id", "text")
    votes = np.full(n, 3)
    y_dev = np.arange(n) % 8
    p = preview_lf(keyword_lf("kw", "ticket", 3), votes, pd.DataFrame(index=range(n)), y_dev, names, rows,
                   n_samples=n)
    wrong = _section(str(p), "wrong on dev gold")
    assert len(wrong) == p.incorrect == 56
    shown = {line.split(", gold ")[1].split("]")[0] for line in wrong}
    assert shown == set(names) - {names[3]} and all(line.startswith(f"[voted {names[3]}, gold ") for line in wrong)


def test_youtube_preview_prints_the_gold_class_of_each_wrong_dev_row(youtube):
    from weaksup import Workbench, load_gold

    gold = load_gold("gold_sets/youtube_spam")
    wb = Workbench(youtube.drop(columns=["label", "split"]), gold=gold)
    p = wb.preview(keyword_lf("kw_song", "song", wb.label_space["ham"]), n_samples=9)
    printed = str(p)
    assert len(_section(printed, "fires on")) == 9
    wrong = _section(printed, "wrong on dev gold")
    assert 0 < len(wrong) == min(9, p.incorrect)
    dev = gold.labels(split="dev")
    test_ids = set(gold.labels(split="test").index)
    for line in wrong:
        assert line.startswith("[voted ham, gold spam] ")
        row_id = line.split("] ")[1].split(": ")[0]
        assert dev[row_id] == "spam" and row_id not in test_ids  # the dev gold row's real class, never a test row


def test_rows_of_data_without_text_show_their_fields():
    """With text_column=None a sample row shows its fields (not just its id): what the LF read."""
    from weaksup.workbench import Workbench

    data = pd.DataFrame({"id": np.arange(1000, 1004), "amount": [12.5, 500.0, 40.0, 900.0],
                         "country": pd.array(["DE", "NG", None, "FR"], dtype="string[pyarrow]"),
                         "note": ["x" * 300] * 4})
    wb = Workbench(data, id_column="id", text_column=None, label_space=NAMES)
    p = wb.preview(_big())
    lines = _section(repr(p), "fires on")
    assert lines[0].startswith("[spam] 1001: amount=500.0, country='NG', note='xxx")
    assert lines[1].startswith("[spam] 1003: amount=900.0, country='FR', note=")
    assert all(len(line) < 120 for line in lines)  # clipped
    assert "amount=500.0" in p._repr_html_() and "id=" not in lines[0]


def _big():
    from weaksup.lf import threshold_lf

    return threshold_lf("big", "amount > 300", 1)
