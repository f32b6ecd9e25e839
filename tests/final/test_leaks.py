"""The leak rule (:func:`weaksup.final.leaks.find_leaks`) on the shipped tennis frames (data/tennis): a copy of the
gold label, a column derived from it or an old label with a few differences are found; the detectors' outputs,
the frame number and a column that finds only the most common class are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from weaksup.final.leaks import MIN_ROWS, find_leaks

REPO = Path(__file__).resolve().parents[2]


def dev_frames() -> tuple[pd.DataFrame, np.ndarray]:
    """The dev video's frames (their columns but the id) and their class ids (rally 1), ``-1`` on the test rows."""
    frames = pd.read_csv(REPO / "data" / "tennis" / "frames.csv")
    gold = pd.read_csv(REPO / "gold_sets" / "tennis" / "labels.csv").set_index("row_id")
    frames = frames[frames["video"] == "dev"].reset_index(drop=True)
    rows = gold.loc[frames["row_id"]]
    y = np.where(rows["split"].to_numpy() == "dev", (rows["label"].to_numpy() == "rally").astype(int), -1)
    return frames.drop(columns="row_id"), y


def test_the_tennis_columns_do_not_leak():
    columns, y = dev_frames()
    assert (y >= 0).sum() == 488 and find_leaks(columns, y) == []


def test_a_copy_of_the_label_a_derived_score_and_an_old_label_leak():
    columns, y = dev_frames()
    gen = np.random.default_rng(3)
    flipped = np.flatnonzero(y >= 0)[[10, 200, 400]]  # an old label that differs on 3 of the 488 dev rows
    old = np.where((y == 1) ^ np.isin(np.arange(len(y)), flipped), "rally", "not_rally")
    leaky = columns.assign(is_rally=(y == 1), score=np.where(y == 1, 0.8, 0.2) + gen.normal(0, 0.05, len(y)),
                           reviewed=old)
    found = {leak.column: leak for leak in find_leaks(leaky, y)}
    assert set(found) == {"is_rally", "score", "reviewed"}
    assert found["is_rally"].accuracy == 1.0 and found["is_rally"].rows == 488
    assert 0.99 <= found["reviewed"].accuracy < 1.0
    assert "99.3% of 488 rows" in found["reviewed"].message()


def test_a_column_that_finds_only_the_most_common_class_or_too_few_rows_is_not_judged():
    columns, y = dev_frames()
    rare = np.where(y >= 0, 0, -1)
    rare[np.flatnonzero(y >= 0)[[50, 150, 250, 350]]] = 1  # 4 of 488 dev rows: 99.2% by always saying 0
    assert find_leaks(columns.assign(constant_ish=np.where(np.arange(len(y)) % 50 == 0, "a", "b")), rare) == []
    few = np.where(np.cumsum(y >= 0) <= MIN_ROWS - 1, y, -1)
    assert find_leaks(columns.assign(copy=y), few) == []
    assert [leak.column for leak in find_leaks(columns.assign(copy=y), y)] == ["copy"]


def test_only_the_columns_the_end_model_reads_are_judged():
    columns, y = dev_frames()
    kinds = {"numbers": ["det_0"], "dates": [], "categories": {"video": ["dev"]}}
    assert find_leaks(columns.assign(copy=y), y, kinds=kinds) == []
