"""Chunked reading: exact chunk sizes across files, positions as the index, errors naming file and line."""

from __future__ import annotations

import pandas as pd
import pytest

from weaksup.data import iter_chunks
from weaksup.errors import DataError, MissingColumnError


def test_parquet_parts_in_chunks_indexed_by_position(tmp_path):
    for i, rows in enumerate([3, 4]):
        pd.DataFrame({"row_id": [f"{i}-{r}" for r in range(rows)], "text": ["x"] * rows}).to_parquet(
            tmp_path / f"part-{i}.parquet")
    chunks = list(iter_chunks(tmp_path, chunk_rows=3, columns=["row_id"]))
    assert [len(c) for c in chunks] == [3, 3, 1]  # a chunk never spans two parts
    assert list(chunks[2].index) == [6] and list(chunks[0].columns) == ["row_id"]
    assert chunks[1]["row_id"].tolist() == ["1-0", "1-1", "1-2"]


def test_csv_chunks_have_exactly_chunk_rows(tmp_path):
    path = tmp_path / "rows.csv"
    pd.DataFrame({"row_id": range(7), "text": list("abcdefg")}).to_csv(path, index=False)
    chunks = list(iter_chunks(path, chunk_rows=3, string_columns=["row_id"]))
    assert [len(c) for c in chunks] == [3, 3, 1] and list(chunks[1].index) == [3, 4, 5]
    assert chunks[2]["row_id"].tolist() == ["6"]


def test_jsonl_reads_ids_as_text_and_skips_blank_lines(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"row_id": 1, "text": "a"}\n\n{"row_id": 2, "text": "b"}\n', encoding="utf-8")
    (chunk,) = iter_chunks(path, chunk_rows=10, string_columns=["row_id"])
    assert chunk["row_id"].tolist() == ["1", "2"]


@pytest.mark.parametrize(("name", "content", "error", "message"), [
    ("missing.csv", "row_id,body\na,x\n", MissingColumnError, r"missing\.csv: missing column\(s\) \['text'\]"),
    ("bad.jsonl", '{"row_id": "a", "text": "x"}\n[1]\n', DataError, r"bad\.jsonl line 2: .*one object per line"),
    ("latin.csv", b"row_id,text\na,caf\xe9\n", DataError, r"latin\.csv line 2: bytes .* not valid utf-8"),
    ("empty.csv", "", DataError, r"empty\.csv: the file is empty"),
])
def test_errors_name_the_file_and_line(tmp_path, name, content, error, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(error, match=message):
        list(iter_chunks(path, chunk_rows=10, columns=["row_id", "text"]))


def test_blank_lines_before_the_header_and_other_encodings(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("\n\nrow_id,text\na,caf\xe9\n".encode("latin-1"))
    (chunk,) = iter_chunks(path, string_columns=["row_id", "text"], encoding="latin-1")
    assert chunk.to_dict("list") == {"row_id": ["a"], "text": ["café"]}


def test_an_index_column_written_by_pandas_keeps_its_pandas_name(tmp_path):
    path = tmp_path / "rows.csv"
    pd.DataFrame({"row_id": ["a", "b"], "text": ["x", None]}).to_csv(path)  # (with the index, header ",row_id,...")
    (chunk,) = iter_chunks(path, string_columns=["row_id", "text"])
    assert list(chunk.columns) == ["Unnamed: 0", "row_id", "text"] and chunk["text"].isna().tolist() == [False, True]


def test_parquet_texts_may_be_dictionary_encoded_or_integers(tmp_path):
    pd.DataFrame({"row_id": [1, 2], "text": pd.Categorical(["x", "y"])}).to_parquet(tmp_path / "rows.parquet")
    (chunk,) = iter_chunks(tmp_path / "rows.parquet", string_columns=["row_id", "text"])
    assert chunk["row_id"].tolist() == ["1", "2"] and chunk["text"].tolist() == ["x", "y"]


def test_jsonl_texts_that_are_absent_or_null_are_none(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"row_id": 1, "text": "a"}\n{"row_id": 2}\n{"row_id": 3, "text": null}\n')
    (chunk,) = iter_chunks(path, columns=["row_id", "text"], string_columns=["row_id", "text"], required=["row_id"])
    assert chunk["row_id"].tolist() == ["1", "2", "3"] and chunk["text"].isna().tolist() == [False, True, True]


def test_an_unknown_encoding_is_a_data_error(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"row_id": 1}\n')
    with pytest.raises(DataError, match="'klingon' is not an encoding"):
        list(iter_chunks(tmp_path / "rows.jsonl", encoding="klingon"))


def test_utf16_text_is_read_with_its_encoding_and_named_without_it(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes('row_id,text\na,"café, ok"\n'.encode("utf-16"))
    (chunk,) = iter_chunks(path, string_columns=["row_id", "text"], encoding="utf-16")
    assert chunk["text"].tolist() == ["café, ok"]
    with pytest.raises(DataError, match=r"rows\.csv: the file is UTF-16 text.*input\.encoding = 'utf-16'"):
        list(iter_chunks(path))
