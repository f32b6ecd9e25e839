"""Bad input to `weaksup run`: exit status 2, a message naming the culprit and the fix, no output left behind."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:300])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fails(capsys, config, *extra):
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress", *extra])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    return err


def _nothing_written(project):
    out = project / "out"
    assert not (out / "labels.parquet").exists()
    assert not [p for p in out.rglob(".*") if p.is_file()] if out.exists() else True


def _csv(project, text):
    (project / "bad.csv").write_bytes(text if isinstance(text, bytes) else text.encode())
    return write_config(project, input={"path": "bad.csv"})


CASES = {
    "missing input file": (lambda p: write_config(p, input={"path": "nope.csv"}),
                           ["nope.csv' does not exist", "check input.path"]),
    "malformed CSV line": (lambda p: _csv(p, "row_id,text\na,hello\nb,hi,there\n"),
                           ["bad.csv line 3:", "3 field(s) where the header has 2", "quote fields"]),
    "malformed JSONL line": (lambda p: (p / "bad.jsonl").write_text('{"row_id": "a", "text": "x"}\n{"row_id": "b",\n')
                             and write_config(p, input={"path": "bad.jsonl"}),
                             ["bad.jsonl line 2: not valid JSON", "one JSON object"]),
    "JSONL line that is not an object": (lambda p: (p / "bad.jsonl").write_text('{"row_id": "a", "text": "x"}\n[1]\n')
                                         and write_config(p, input={"path": "bad.jsonl"}),
                                         ["bad.jsonl line 2", "one object per line; got list"]),
    "missing id column": (lambda p: write_config(p, input={"id_column": "comment_id"}),
                          ["missing column(s) ['comment_id']", "input.id_column"]),
    "empty id": (lambda p: _csv(p, "row_id,text\na,hello\n,hi\n"), ["row 1 (line 3)", "every row needs an id"]),
    "duplicate ids in a chunk": (lambda p: _csv(p, "row_id,text\na,hello\nb,x\na,hi\n"),
                                 ["id 'a' is not unique (rows [0, 2])", "deduplicate the input", "make_row_ids"]),
    "two ids repeated in a chunk": (lambda p: _csv(p, "row_id,text\na,hello\nb,x\na,hi\nb,y\n"),
                                    ["id 'a' is not unique (rows [0, 2]; 1 other id(s) repeat too)"]),
    "duplicate ids across chunks": (lambda p: _csv(p, "row_id,text\na,hello\nb,x\nc,y\na,hi\n")
                                    and write_config(p, input={"path": "bad.csv", "chunk_rows": 2}),
                                    ["row 3 (line 5): id 'a' is not unique (also row 0)",
                                     "must identify each row once: deduplicate the input", "make_row_ids"]),
    "empty file": (lambda p: _csv(p, ""), ["bad.csv: the file is empty", "needs a header"]),
    "header only": (lambda p: _csv(p, "row_id,text\n"), ["has no rows; nothing to label"]),
    "field an LF needs is absent": (lambda p: (p / "author_lfs.py").write_text(
        "from weaksup import keyword_lf\nkw = keyword_lf('kw_author', ['bot'], 1, field='author')\n")
        and write_config(p, lfs={"modules": ["author_lfs.py"]}),
        ["labeling function 'kw_author' (defined at ", "author_lfs.py:2) reads column(s) ['author']",
         "its columns are"]),
    "non-UTF-8 bytes": (lambda p: _csv(p, b"row_id,text\na,hello\nb,caf\xe9 au lait\n"),
                        ["bad.csv line 3: bytes b'\\xe9' are not valid utf-8", "input.encoding"]),
    "LF module that fails to import": (lambda p: (p / "broken_lfs.py").write_text(
        "from weaksup import keyword_lf\n\ndef helper():\n    return undefined_name\n\nhelper()\n")
        and write_config(p, lfs={"modules": ["broken_lfs.py"]}),
        ["importing LF module", "broken_lfs.py' failed: NameError", "line 4, in helper", "return undefined_name"]),
    "LF module not found": (lambda p: write_config(p, lfs={"modules": ["no_such_lfs"]}),
                            ["LF module 'no_such_lfs' not found", "run from the project folder"]),
    "unknown label model": (lambda p: write_config(p, label_model={"name": "Snorkle"}),
                            ["unknown label model 'Snorkle'", "'DawidSkene'", "'MajorityVote'"]),
    "label model parameter it does not take": (lambda p: write_config(p, label_model={"params": {"epochs": 5}}),
                                               ["label_model.params ['epochs'] are not parameters of MajorityVote"]),
    "output folder that is a file": (lambda p: (p / "taken").write_text("x")
                                     and write_config(p, output={"path": "taken/labels.parquet"}),
                                     ["cannot write to the output folder", "taken is a file, not a folder",
                                      "change output.path"]),
    "output path outside the project": (lambda p: write_config(p, output={"path": "../elsewhere/labels.parquet"}),
                                        ["points outside the project folder", "give an absolute path"]),
    "gold set of another dataset": (lambda p: write_config(p, gold={"path": str(pytest.REPO / "gold_sets" /
                                                                               "youtube_spam")}),
                                    ["row id(s) are not in the input", "input.id_column is wrong"]),
    "LF that raises": (lambda p: (p / "raising_lfs.py").write_text(
        "from weaksup import labeling_function\n@labeling_function(fields=['text'])\ndef boom(x):\n"
        "    return 1 if x.text.startswith('z') else 1 / 0\n")
        and write_config(p, lfs={"modules": ["raising_lfs.py"]}),
        ["labeling function 'boom'", "ZeroDivisionError", "on row id", "fault_tolerant"]),
    "resume without an earlier run": (lambda p: write_config(p), ["--resume:", "holds no saved votes"]),
    "input too small for the end model": (lambda p: _csv(p, "row_id,text\na,hello\n")
                                          and write_config(p, input={"path": "bad.csv"}, end_model={"enabled": True}),
                                          ["the end model cannot be trained on this input (1 rows",
                                           "set end_model.enabled = false"]),
    "weak labels of one class for the end model": (
        lambda p: _csv(p, "row_id,text\n" + "".join(f"r{i},{'short' if i % 2 else 'a much longer comment here'}\n"
                                                     for i in range(12)))
        and write_config(p, input={"path": "bad.csv"}, end_model={"enabled": True}),
        ["classes 0 = 'ham', 1 = 'spam'", "at least two classes", "set end_model.enabled = false"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_run_input(project, capsys, case):
    from tests.conftest import REPO

    pytest.REPO = REPO
    make, expected = CASES[case]
    config = make(project)
    err = _fails(capsys, config, *(["--resume"] if case.startswith("resume") else []))
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"
    _nothing_written(project)


def test_missing_text_is_kept_and_abstained_on(project):
    (project / "gaps.csv").write_text("row_id,text\na,subscribe to my channel\nb,\nc,love this song\n")
    config = write_config(project, input={"path": "gaps.csv"})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    assert info.value.code == 0
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["row_id"].tolist() == ["a", "b", "c"]
    assert labels.loc[1, "n_votes"] == 0 and labels.loc[1, "review_status"] == "needs_review"
    assert labels.loc[0, "label"] == "spam" and labels.loc[2, "label"] == "ham"


def test_fault_tolerant_runs_count_lf_faults(project, capsys):
    (project / "raising_lfs.py").write_text(
        "from weaksup import labeling_function\n@labeling_function(fields=['text'])\ndef boom(x):\n"
        "    return 1 if 'subscribe' in x.text.lower() else 1 / 0\n")
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "raising_lfs.py"], "fault_tolerant": True})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "LF faults (rows abstained): {'boom': " in out
    assert len(pd.read_parquet(project / "out" / "labels.parquet")) == 300


@pytest.mark.parametrize("in_folder", [False, True])
def test_a_truncated_parquet_input_names_the_fix_for_a_file_or_a_folder(project, capsys, in_folder):
    """Case: a truncated single file (input.path=data/trunc.parquet) was told to "remove it from the input folder",
    though there is no input folder."""
    (project / "data").mkdir()
    rows = pd.read_csv(project / "comments.csv")
    rows.to_parquet(project / "data" / "trunc.parquet", index=False)
    whole = (project / "data" / "trunc.parquet").read_bytes()
    (project / "data" / "trunc.parquet").write_bytes(whole[:len(whole) // 2])
    config = write_config(project, input={"path": "data" if in_folder else "data/trunc.parquet"})
    err = _fails(capsys, config)
    assert "trunc.parquet: cannot read as Parquet" in err and "re-write it" in err, err
    assert ("remove it from the input folder" in err) == in_folder, err
    _nothing_written(project)
