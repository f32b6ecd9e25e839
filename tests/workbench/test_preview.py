"""preview_lf: one LF's figures from its votes, the other LFs' votes and dev gold (no workbench needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
