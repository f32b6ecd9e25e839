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
    with pytest.raises(DataError, match=r"holds no \.csv, \.tsv, \.jsonl or \.parquet files"):
        input_files((tmp_path / "empty").mkdir() or tmp_path / "empty")


def test_read_table_reads_csv_strictly(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("row_id,text,n\na,hi,1\nb,yo,2,extra\n")
    with pytest.raises(DataError, match=r"rows\.csv: cannot read as \.csv: line 3: 4 field\(s\) where the header has 3"):
        read_table(path)
    path.write_text("row_id,text,n\n7,hi,1\n8,,2\n")
    frame = read_table(path, dtype={"row_id": str})
    assert frame["row_id"].tolist() == ["7", "8"] and frame["n"].tolist() == [1, 2]
    assert frame["text"].isna().tolist() == [False, True]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_input_files_refuses_a_fifo_and_compressed_text(tmp_path):
    import gzip
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataError, match=r"pipe\.csv' is a FIFO \(named pipe\), not a regular file"):
        input_files(tmp_path / "pipe.csv")
    (tmp_path / "rows.jsonl").write_bytes(gzip.compress(b'{"row_id": 1}\n'))
    with pytest.raises(DataError, match=r"rows\.jsonl: the file holds gzip-compressed data"):
        input_files(tmp_path / "rows.jsonl")


@pytest.mark.parametrize("sep, kind, fix", [("\t", "tab", "rename it rows.tsv"), (";", "semicolon", "re-save it with commas")])
def test_a_csv_saved_with_tabs_or_semicolons_says_how_it_was_saved(tmp_path, sep, kind, fix):
    path = tmp_path / "rows.csv"
    path.write_text(f"row_id{sep}text\na{sep}hi\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"line 1: the header is one column .*: the file looks {kind}-separated, not "
                                        f"comma-separated; {fix}"):
        read_table(path)
