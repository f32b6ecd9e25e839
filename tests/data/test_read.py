"""Whole-file reading and the files behind an input path."""

from __future__ import annotations

import pandas as pd
import pytest

from weaksup.data import input_files, read_table
from weaksup.errors import DataError


def test_read_table_by_extension(tmp_path):
    pd.DataFrame({"row_id": ["a"], "text": ["hi"]}).to_csv(tmp_path / "rows.tsv", sep="\t", index=False)
    assert read_table(tmp_path / "rows.tsv")["text"].tolist() == ["hi"]


def test_input_files_skips_hidden_parts_and_refuses_unknown_formats(tmp_path):
    for name in ["b.parquet", "a.parquet", "_meta.parquet", ".tmp.parquet"]:
        pd.DataFrame({"x": [1]}).to_parquet(tmp_path / name)
    assert [p.name for p in input_files(tmp_path)] == ["a.parquet", "b.parquet"]
    (tmp_path / "rows.xlsx").write_text("")
    with pytest.raises(DataError, match=r"rows\.xlsx: unsupported input format"):
        input_files(tmp_path / "rows.xlsx")
    with pytest.raises(DataError, match="holds no .parquet files"):
        input_files((tmp_path / "empty").mkdir() or tmp_path / "empty")
