"""Classes a gold split has no row of: found in class ids and in multi-label sets, and said with the fix."""

from __future__ import annotations

import numpy as np

from weaksup.gold.gaps import gap_lines, missing_classes


def test_missing_classes_ignores_rows_without_a_label_and_reads_label_sets():
    assert missing_classes(np.array([2, -1, 0, 2]), ["a", "b", "c"]) == ["b"]
    assert missing_classes(np.array([], dtype=np.int64), ["a", "b"]) == ["a", "b"]
    assert missing_classes(np.array([0, 1]), ["a", "b"]) == []
    sets = np.array([[True, False, False], [False, False, True]])
    assert missing_classes(sets, ["joy", "anger", "fear"]) == ["anger"]


def test_each_split_gets_one_line_naming_the_classes_the_cost_and_the_fix():
    dev, test = gap_lines({"dev": ["b", "c"], "test": ["c"]})
    assert dev.startswith("the gold set's dev split has no row of 2 classes ('b', 'c')")
    assert "label model cannot learn" in dev and "add dev gold rows of them" in dev
    assert "1 class ('c')" in test and "add test gold rows of it" in test
    many = gap_lines({"dev": [f"c{i}" for i in range(10)]}, noun="label")[0]
    assert "10 labels ('c0'," in many and "'c7', ...)" in many and "'c8'" not in many
    assert gap_lines({}) == [] and gap_lines({"dev": []}) == []
