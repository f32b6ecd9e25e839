"""The files behind an input path: globs and folders of CSV, JSON Lines or Parquet files, in order, checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from weaksup.data import input_files, iter_chunks, locate_row, matches_pattern, read_table
from weaksup.errors import DataError


def _write(folder: Path, name: str, ids: list[str], **extra: list) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"row_id": ids, "text": [f"text {i}" for i in ids], **extra})
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_a_glob_and_a_folder_give_every_row_once_in_file_then_row_order(tmp_path, suffix):
    for name, ids in [("b", ["b0", "b1", "b2"]), ("a", ["a0", "a1"]), ("c", ["c0"])]:
        _write(tmp_path / "data", f"{name}.{suffix}", ids)
    _write(tmp_path / "data", f".hidden.{suffix}", ["h0"])  # hidden: skipped, as a shell skips it
    (tmp_path / "data" / "_SUCCESS").write_text("")  # a folder's markers: ignored
    expected = ["a0", "a1", "b0", "b1", "b2", "c0"]
    for path in [tmp_path / "data" / f"*.{suffix}", tmp_path / "data"]:
        assert [p.name for p in input_files(path)] == [f"a.{suffix}", f"b.{suffix}", f"c.{suffix}"]
        chunks = list(iter_chunks(path, chunk_rows=2, string_columns=["row_id"]))
        assert [len(c) for c in chunks] == [2, 2, 1, 1]  # file by file, at most chunk_rows rows at a time
        assert pd.concat(chunks)["row_id"].tolist() == expected
        assert pd.concat(chunks).index.tolist() == list(range(6))
        assert read_table(path, dtype={"row_id": str})["row_id"].tolist() == expected


def test_recursive_patterns_and_sub_folders_sort_by_path(tmp_path):
    _write(tmp_path / "data" / "2024-02", "x.csv", ["feb"])
    _write(tmp_path / "data" / "2024-01", "y.csv", ["jan"])
    _write(tmp_path / "data" / "_temporary", "z.csv", ["tmp"])
    # a pattern skips hidden names only (as a shell does); a folder also skips '_' names (Spark's _temporary/)
    assert [p.parent.name for p in input_files(tmp_path / "data" / "**" / "*.csv")] == ["2024-01", "2024-02",
                                                                                      "_temporary"]
    assert [p.parent.name for p in input_files(tmp_path / "data")] == ["2024-01", "2024-02"]
    assert [p.parent.name for p in input_files(tmp_path / "data" / "2024-0[2]" / "*.csv")] == ["2024-02"]


def test_an_empty_pattern_names_it_and_what_the_folder_holds(tmp_path):
    _write(tmp_path, "comments.csv", ["a"])
    with pytest.raises(DataError, match=r"pattern '.*\*\.jsonl' matches no files .*holds e\.g\. \['comments\.csv'\]"):
        input_files(tmp_path / "*.jsonl")
    with pytest.raises(DataError, match=r"matches no files: its folder '.*nowhere' does not exist"):
        input_files(tmp_path / "nowhere" / "*.csv")
    with pytest.raises(DataError, match=r"input folder .* holds no \.csv, \.tsv, \.jsonl or \.parquet files"):
        input_files((tmp_path / "empty").mkdir() or tmp_path / "empty")


def test_a_pattern_matching_a_folder_or_another_suffix_is_refused(tmp_path):
    _write(tmp_path / "data", "a.csv", ["a"])
    (tmp_path / "data" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"matches '.*notes\.txt', which is not a \.csv.*narrow the pattern"):
        input_files(tmp_path / "data" / "*")
    (tmp_path / "data" / "sub").mkdir()
    with pytest.raises(DataError, match=r"matches the folder '.*sub'; a pattern must match files only"):
        input_files(tmp_path / "data" / "s*")


def test_mixed_formats_are_refused_naming_a_file_of_each(tmp_path):
    _write(tmp_path / "data", "a.csv", ["a"])
    _write(tmp_path / "data", "b.jsonl", ["b"])
    for path in [tmp_path / "data", tmp_path / "data" / "*.*"]:
        with pytest.raises(DataError, match=r"mixes formats \(CSV: '.*a\.csv'; JSON Lines: '.*b\.jsonl'\).*narrow "
                                            r"input\.path to one suffix"):
            input_files(path)
    _write(tmp_path / "parts", "a.parquet", ["a"])
    _write(tmp_path / "parts", "b.csv", ["b"])
    with pytest.raises(DataError, match=r"mixes formats \(Parquet: .*; CSV: .*parts/\*\*/\*\.parquet'\)"):
        input_files(tmp_path / "parts")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_mismatched_columns_name_the_file_and_the_difference(tmp_path, suffix):
    _write(tmp_path, f"a.{suffix}", ["a"], label=[1])
    _write(tmp_path, f"b.{suffix}", ["b"], lable=[1])
    with pytest.raises(DataError, match=rf"b\.{suffix}: its columns differ from those of .*a\.{suffix}.*"
                                        r"\(missing \['label'\], extra \['lable'\]\); every file of one input needs "
                                        "the same columns"):
        input_files(tmp_path / f"*.{suffix}")
    (tmp_path / f"b.{suffix}").unlink()
    pd.DataFrame({"text": ["t"], "label": [0], "row_id": ["b"]}).pipe(  # the same columns in another order
        lambda f: f.to_csv(tmp_path / "b.csv", index=False) if suffix == "csv" else f.to_parquet(tmp_path / "b.parquet"))
    rows = pd.concat(iter_chunks(tmp_path / f"*.{suffix}", string_columns=["row_id"]))
    assert rows["row_id"].tolist() == ["a", "b"] and rows["text"].tolist() == ["text a", "t"]


def test_json_lines_files_may_differ_in_optional_keys(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"row_id": "a", "text": "x", "reply_to": "z"}\n')
    (tmp_path / "b.jsonl").write_text('{"row_id": "b", "text": "y"}\n')
    rows = pd.concat(iter_chunks(tmp_path, string_columns=["row_id"]))
    assert rows["row_id"].tolist() == ["a", "b"] and rows["reply_to"].isna().tolist() == [False, True]


def test_a_row_is_located_in_its_file_and_line(tmp_path):
    _write(tmp_path / "data", "a.csv", ["a0", "a1"])
    (tmp_path / "data" / "b.csv").write_text('row_id,text\nb0,"two\nlines"\n\nb1,x\n')
    assert locate_row(tmp_path / "data" / "*.csv", 3, name="data/*.csv") == "data/*.csv row 3 (file b.csv row 1, line 5)"
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "a.jsonl").write_text('{"row_id": "a"}\n\n{"row_id": "b"}\n')
    (tmp_path / "j" / "b.jsonl").write_text('{"row_id": "c"}\n')
    assert locate_row(tmp_path / "j", 1, name="j") == "j row 1 (file a.jsonl row 1, line 3)"
    assert locate_row(tmp_path / "j", 2, name="j") == "j row 2 (file b.jsonl row 0, line 1)"


def test_matches_pattern_as_a_later_glob_would():
    assert matches_pattern(Path("/p/data/labels.csv"), "/p/data/*.csv")
    assert not matches_pattern(Path("/p/runs/labels.csv"), "/p/data/*.csv")
    assert matches_pattern(Path("/p/data/out/labels.csv"), "/p/data/**/*.csv")
    assert matches_pattern(Path("/p/data/labels.csv"), "/p/data/**/*.csv")  # ** matches no folder too
    assert not matches_pattern(Path("/p/data/.staging/labels.csv"), "/p/data/**/*.csv")
    assert not matches_pattern(Path("/p/data/labels.parquet"), "/p/data/*.csv")
