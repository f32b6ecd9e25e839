"""Strict readers: a malformed input stops the run (exit 2) with the file and the real line, never a
silent shift, pad, rename, repr or hang; missing or blank texts are None and go to review."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main

HEADER = "row_id,author,date,text,class\n"
GOOD = 'a1,ann,2015-01-01,"subscribe to\nmy channel",1\na2,bob,2015-01-02,love this song,0\n'


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:50])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(config):
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    return info.value.code


def _fails(project, capsys, config, *expected):
    code = _run(config)
    err = capsys.readouterr().err
    assert code == 2, err
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"
    assert "Traceback" not in err
    assert not (project / "out" / "labels.parquet").exists()
    return err


def _input(project, name, content):
    (project / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return write_config(project, input={"path": name})


# ---- CSV: field counts, header names, quotes, real line numbers ------------------------------------------------

def test_a_line_with_more_fields_than_the_header_stops_the_run(project, capsys):
    # (before: exit 0 with every column shifted, row ids taken from the dates)
    config = _input(project, "ragged.csv", HEADER + GOOD + "a3,cy,2015-01-03,great,0,extra,fields\n")
    _fails(project, capsys, config, "ragged.csv line 5:", "7 field(s) where the header has 5", "more fields")


def test_a_first_data_line_with_more_fields_is_not_read_as_an_index(project, capsys):
    config = _input(project, "ragged.csv", HEADER + "a1,ann,2015-01-01,hello,1,x,y\n" + GOOD)
    _fails(project, capsys, config, "ragged.csv line 2:", "7 field(s) where the header has 5")


def test_a_line_with_fewer_fields_is_not_padded(project, capsys):
    config = _input(project, "short.csv", HEADER + GOOD + "a3,cy,great\n")
    _fails(project, capsys, config, "short.csv line 5:", "3 field(s) where the header has 5", "fewer fields")


def test_a_duplicated_header_name_is_not_renamed(project, capsys):
    config = _input(project, "dup.csv", "row_id,text,text\na,hi,there\n")
    _fails(project, capsys, config, "dup.csv line 1:", "names column 'text' twice", "rename one")


@pytest.mark.parametrize(("body", "line"), [
    ('a1,"never closed,1\na2,x,0\na3,y,1\n', 2),  # blamed on "the header line" before
    ('a1,hi,0\na2,x,"never closed\na3,y,1\na4,z,0\n', 3),  # the rest of the file silently read into one field
])
def test_a_quote_never_closed_names_its_line(project, capsys, body, line):
    config = _input(project, "quote.csv", "row_id,text,class\n" + body)
    err = _fails(project, capsys, config, f"quote.csv line {line}:", "never closed")
    assert "header line" not in err


def test_a_quote_never_closed_after_a_leniently_read_line_is_still_found(project, capsys):
    # text after a closing quote is read as pandas read it ("x" y -> x y); an unclosed quote later still stops
    config = _input(project, "quote.csv", 'row_id,text\na,"x" y\nb,hi\nc,"open\nd,z\n')
    _fails(project, capsys, config, "quote.csv line 4:", "never closed")


def test_line_numbers_count_the_lines_inside_quoted_fields(project, capsys):
    # an empty id on the 4th data row, after a field spanning three lines and a blank line
    config = _input(project, "multi.csv", 'row_id,text\na,"one\ntwo\nthree"\nb,x\n\nc,y\n,z\n')
    _fails(project, capsys, config, "multi.csv row 3 (line 8)", "every row needs an id")


def test_other_columns_are_typed_as_pandas_types_them(tmp_path):
    from weaksup.data import iter_chunks

    path = tmp_path / "types.csv"
    path.write_text("row_id,text,n,f,b,s,e,nan,big\n1,x,1,1.5,True,a,,nan,18446744073709551615\n"
                    "2,,+2,,false,NA,,1.0, 7\n")
    (chunk,) = iter_chunks(path, string_columns=["row_id", "text"])
    expected = pd.read_csv(path, dtype={"row_id": str, "text": str})  # pandas' missing values: NA, nan, ...
    pd.testing.assert_frame_equal(chunk, expected)


def test_a_columns_type_and_missing_values_do_not_depend_on_the_chunk_size(tmp_path):
    # 'amount' is numbers with an NA in the last chunk, 'grade' numbers until an 'A', 'flag' bools with a blank:
    # read whole or a row at a time, every row has the same value (was: 5000 text in one chunk, a number in another)
    from weaksup.data import iter_chunks

    path = tmp_path / "mixed.csv"
    path.write_text("row_id,text,amount,grade,flag\na,x,5000,1,true\nb,NA,50,2,False\nc,y,N/A,1,\n"
                    "d,z,2000,A,TRUE\ne,w,null,3,false\n")
    whole = pd.concat(list(iter_chunks(path, string_columns=["row_id", "text"])))
    for size in (1, 2, 3):
        pieces = list(iter_chunks(path, chunk_rows=size, string_columns=["row_id", "text"]))
        assert all((p.dtypes == whole.dtypes).all() for p in pieces)
        pd.testing.assert_frame_equal(pd.concat(pieces), whole)
    assert whole["amount"].tolist()[:2] == [5000.0, 50.0] and whole["amount"].isna().tolist()[2:] == [True, False, True]
    assert whole["grade"].tolist() == ["1", "2", "1", "A", "3"] and whole["text"].tolist()[1] == "NA"  # text as given
    assert whole["flag"].tolist()[:2] == [True, False] and pd.isna(whole["flag"][2])
    pd.testing.assert_frame_equal(whole.drop(columns="text"),
                                  pd.read_csv(path, dtype={"row_id": str}).drop(columns="text"))


# ---- JSON Lines: absent keys and values that are not text -----------------------------------------------------

def test_a_jsonl_row_without_its_id_names_the_line(project, capsys):
    config = _input(project, "rows.jsonl", '{"row_id": "a", "text": "hi"}\n\n{"text": "no id"}\n')
    _fails(project, capsys, config, "rows.jsonl line 3: no 'row_id'")


def test_a_jsonl_row_without_text_is_none_and_goes_to_review(project):
    config = _input(project, "rows.jsonl", '{"row_id": "a", "text": "subscribe to my channel"}\n'
                                           '{"row_id": "b"}\n{"row_id": "c", "text": null}\n')
    assert _run(config) == 0
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["row_id"].tolist() == ["a", "b", "c"]
    assert labels["n_votes"].tolist()[1:] == [0, 0]  # (before: "nan" was the text, labeled ham)
    assert (labels["review_status"].iloc[1:] == "needs_review").all()


@pytest.mark.parametrize(("line", "key", "kind"), [
    ('{"row_id": {"a": 1}, "text": "hi"}', "row_id", "an object"),
    ('{"row_id": "b", "text": ["hi", "there"]}', "text", "a list"),
    ('{"row_id": true, "text": "hi"}', "row_id", "a boolean"),
    ('{"row_id": "b", "text": 1.5}', "text", "a number with a fraction"),
])
def test_jsonl_ids_and_texts_that_are_not_text_name_line_and_key(project, capsys, line, key, kind):
    config = _input(project, "rows.jsonl", '{"row_id": "a", "text": "hi"}\n' + line + "\n")
    _fails(project, capsys, config, f"rows.jsonl line 2: {key!r} is {kind}")


# ---- Parquet: the part file in errors, categories as text ------------------------------------------------------

def test_a_parquet_text_column_that_is_not_text_names_the_part(project, capsys):
    (project / "data").mkdir()
    pd.DataFrame({"row_id": ["a"], "text": ["hi"]}).to_parquet(project / "data" / "part-0.parquet")
    pd.DataFrame({"row_id": ["b"], "text": [1.5]}).to_parquet(project / "data" / "part-1.parquet")
    config = write_config(project, input={"path": "data"})
    _fails(project, capsys, config, "part-1.parquet: column 'text' holds double")


def test_a_repeated_id_in_a_parquet_folder_names_the_part(project, capsys):
    (project / "data").mkdir()
    pd.DataFrame({"row_id": ["a", "b"], "text": ["hi", "yo"]}).to_parquet(project / "data" / "part-0.parquet")
    pd.DataFrame({"row_id": ["c", "a"], "text": ["x", "y"]}).to_parquet(project / "data" / "part-1.parquet")
    config = write_config(project, input={"path": "data", "chunk_rows": 2})
    _fails(project, capsys, config, "data row 3 (part part-1.parquet row 1): id 'a' is not unique")


def test_a_dictionary_encoded_parquet_text_column_is_text(project):
    frame = pd.DataFrame({"row_id": ["a", "b", "c"],
                          "text": pd.Categorical(["subscribe to my channel", "love this song", "love this song"])})
    frame.to_parquet(project / "rows.parquet")
    assert _run(write_config(project, input={"path": "rows.parquet"})) == 0
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["label"].tolist() == ["spam", "ham", "ham"]


# ---- Compressed data under a text name; files that are not regular files ---------------------------------------

def _zstd(data: bytes) -> bytes:
    import pyarrow as pa

    return pa.compress(data, codec="zstd", asbytes=True)


@pytest.mark.parametrize(("kind", "compress"), [("gzip", gzip.compress), ("bzip2", bz2.compress),
                                                ("xz", lzma.compress), ("zstd", _zstd)])
def test_compressed_data_named_csv_says_so(project, capsys, kind, compress):
    config = _input(project, "rows.csv", compress(b"row_id,text\na,hi\n"))
    err = _fails(project, capsys, config, f"rows.csv: the file holds {kind}-compressed data", "decompress"
                 if kind != "gzip" else "gunzip")
    assert "UTF-8" not in err and "utf-8" not in err


@pytest.mark.parametrize("kind", ["fifo", "device", "bare device"])
def test_an_input_that_is_not_a_regular_file_is_refused_without_hanging(tmp_path, youtube, kind):
    make_project(tmp_path, youtube.iloc[:20])
    path = tmp_path / "rows.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # (an absolute input.path: a link may lead outside the project)
    else:
        path = "/dev/zero"
    config = write_config(tmp_path, input={"path": str(path)})
    import weaksup

    env = {**os.environ, "PYTHONPATH": str(Path(weaksup.__file__).parents[1])}  # the weaksup under test
    done = subprocess.run([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr and "not a regular file" in done.stderr
    assert ("a FIFO" if kind == "fifo" else "a character device") in done.stderr


# ---- Whitespace-only text -----------------------------------------------------------------------------------

@pytest.mark.parametrize("normalize", [True, False])
def test_whitespace_only_text_is_missing_and_goes_to_review(project, normalize):
    (project / "blank.csv").write_text('row_id,text\na,subscribe to my channel\nb,"   "\nc,"\t\n "\nd,love this song\n')
    config = write_config(project, input={"path": "blank.csv"}, clean={"normalize": normalize})
    assert _run(config) == 0
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["n_votes"].tolist()[1:3] == [0, 0]  # (before: short_comment labeled the blanks ham)
    assert labels["review_status"].tolist()[1:3] == ["needs_review", "needs_review"]
    assert labels.loc[0, "label"] == "spam" and labels.loc[3, "label"] == "ham"
