"""The bad-input catalogue (core): every case names the culprit and the fix, and leaves no output.

Each case is one row of CASES: what the user did wrong, how it is triggered, the exception
(or CLI exit status) expected, and the words the message must contain. The README's
reliability table lists the same cases.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup import ABSTAIN, LabelSpace, Registry, VoteMatrix, apply_lfs, keyword_lf, labeling_function, lookup_lf
from weaksup import model_score_lf, regex_lf, threshold_lf, train_end_model
from weaksup.data import read_table
from weaksup.errors import (
    DataError,
    DuplicateLFError,
    EndModelError,
    LabelSpaceError,
    LFApplyError,
    LFDefinitionError,
    MissingColumnError,
    ParameterError,
    UnknownLFError,
    VoteMatrixError,
    WeakSupError,
)

FRAME = pd.DataFrame({"text": ["subscribe now", "nice", "x"]}, index=["a", "b", "c"])


@labeling_function
def _raises(x):
    return 1 if 1 / (len(x.text) - 4) else ABSTAIN  # row "nice" divides by zero


@labeling_function
def _returns_name(x):
    return "spam"


@labeling_function
def _returns_7(x):
    return 7


@labeling_function
def _reads_title(x):
    return 1 if x.title else ABSTAIN


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


# (case id, callable(tmp) -> None, exception, regex the message must match)
LIBRARY_CASES = [
    ("regex_invalid", lambda t: regex_lf("bad_re", r"(unclosed", 1), LFDefinitionError, r"'bad_re'.*invalid regular expression"),
    ("label_not_an_id", lambda t: keyword_lf("kw", "x", "spam"), LFDefinitionError, r"'kw'.*class id.*LabelSpace"),
    ("threshold_function_call", lambda t: threshold_lf("r", "os.system('x') > 1", 1), LFDefinitionError, r"'r'.*do not allow.*abs\(\)"),
    ("threshold_syntax", lambda t: threshold_lf("r", "amount >", 1), LFDefinitionError, r"'r'.*not a valid expression.*column"),
    ("lookup_header", lambda t: lookup_lf("lex", _write(t, "t.csv", "word,class\nx,1\n")), LFDefinitionError, r"t\.csv:1: .*'key,label'"),
    ("lookup_conflict", lambda t: lookup_lf("lex", _write(t, "t.csv", "key,label\nx,1\nx,0\n")), LFDefinitionError, r"t\.csv:3: key 'x'"),
    ("lookup_missing_file", lambda t: lookup_lf("lex", t / "none.csv"), LFDefinitionError, r"'lex'.*none\.csv.*does not exist"),
    ("lookup_names_without_space", lambda t: lookup_lf("lex", {"x": "spam"}), LFDefinitionError, r"'lex'.*'spam'.*pass label_space"),
    ("lookup_phrase_token", lambda t: lookup_lf("lex", {"check out": 1}, by="tokens"), LFDefinitionError, r"single words.*keyword_lf"),
    ("model_no_thresholds", lambda t: model_score_lf("m", lambda b: np.zeros(len(b))), LFDefinitionError, r"'m'.*thresholds"),
    ("lf_raises", lambda t: apply_lfs([_raises], FRAME), LFApplyError, r"'_raises' \(defined at .*\) raised ZeroDivisionError.*row id 'b'.*fault_tolerant=True"),
    ("lf_returns_string", lambda t: apply_lfs([_returns_name], FRAME), LFApplyError, r"'_returns_name'.*returned 'spam' \(str\) on row id 'a'.*ABSTAIN"),
    ("lf_outside_space", lambda t: apply_lfs([_returns_7], FRAME, label_space=LabelSpace(["ham", "spam"])), LFApplyError, r"'_returns_7'.*returned 7 on row id 'a', outside the label space \['ham', 'spam'\]"),
    ("declared_column_missing", lambda t: apply_lfs([keyword_lf("kw", "x", 1, field="body")], FRAME), MissingColumnError, r"'kw'.*\['body'\].*columns are \['text'\]"),
    ("undeclared_column_missing", lambda t: apply_lfs([_reads_title], FRAME), MissingColumnError, r"'_reads_title'.*'title'.*columns are \['text'\]"),
    ("duplicate_row_ids", lambda t: apply_lfs([keyword_lf("kw", "x", 1)], FRAME.set_axis(["a", "a", "c"])), DataError, r"unique; repeated: \['a'\].*make_row_ids"),
    ("missing_id_column", lambda t: apply_lfs([keyword_lf("kw", "x", 1)], FRAME, id_column="id"), MissingColumnError, r"id column 'id'.*\['text'\]"),
    ("duplicate_lf_names", lambda t: apply_lfs([keyword_lf("kw", "x", 1), keyword_lf("kw", "y", 1)], FRAME), DuplicateLFError, r"'kw': both made at .*test_bad_inputs.py:\d+ \(a loop"),
    ("unknown_lf_name", lambda t: Registry([keyword_lf("kw_subscribe", "x", 1)])["kw_subscrib"], UnknownLFError, r"did you mean 'kw_subscribe'"),
    ("duplicate_class_names", lambda t: LabelSpace(["ham", "ham"]), LabelSpaceError, r"'ham' appears twice"),
    ("unknown_class_name", lambda t: LabelSpace(["ham", "spam"]).id("eggs"), LabelSpaceError, r"unknown label 'eggs'.*\['ham', 'spam'\]"),
    ("input_missing", lambda t: read_table(t / "none.csv"), DataError, r"none\.csv.*does not exist"),
    ("input_malformed_csv", lambda t: read_table(_write(t, "bad.csv", 'a,b\n1,"2\n3,4,5,6\n')), DataError, r"bad\.csv: cannot read"),
    ("input_unknown_format", lambda t: read_table(_write(t, "x.xlsx", "")), DataError, r"x\.xlsx.*unsupported.*\.csv"),
    ("votes_corrupt_file", lambda t: VoteMatrix.load(_write(t, "corrupt.npz", "garbage")), VoteMatrixError, r"corrupt\.npz: cannot read vote matrix"),
    ("votes_foreign_npz", lambda t: (np.savez(t / "f.npz", a=np.zeros(1)), VoteMatrix.load(t / "f.npz")), VoteMatrixError, r"f\.npz: not a weaksup vote matrix"),
    ("votes_foreign_parquet", lambda t: (pd.DataFrame({"a": [1]}).to_parquet(t / "f.parquet"), VoteMatrix.load(t / "f.parquet")), VoteMatrixError, r"f\.parquet.*not written by VoteMatrix\.save"),
    ("votes_bad_extension", lambda t: VoteMatrix([[0]]).save(t / "v.csv"), VoteMatrixError, r"'v\.csv'.*\.npz or \.parquet"),
    ("votes_below_abstain", lambda t: VoteMatrix([[0, -3]]), VoteMatrixError, r"vote -3 at row 0, column 1 is below -1"),
    ("votes_outside_space", lambda t: VoteMatrix([[0, 2]], label_space=LabelSpace(["ham", "spam"])), VoteMatrixError, r"vote 2 at row 0, column 1 is outside the label space \['ham', 'spam'\]"),
    ("label_space_a_string", lambda t: Registry(label_space="hamspam"), LabelSpaceError, r"Registry\(label_space=\): expected a sequence of class names; got the string 'hamspam'"),
    ("chunk_rows_zero", lambda t: apply_lfs([keyword_lf("kw", "x", 1)], FRAME, chunk_rows=0), ParameterError, r"chunk_rows must be a whole number >= 1; got 0"),
    ("end_model_bad_weights", lambda t: train_end_model(["a", "b"], np.eye(2), sample_weight="margin"), EndModelError, r"sample_weight must be one of \['confidence', 'proba'.*got 'margin'"),
]


def test_every_bad_input_error_is_in_the_family():
    """The CLI turns a WeakSupError into exit status 2 and its message; anything else is a traceback."""
    outside = [(case, error.__name__) for case, _, error, _ in LIBRARY_CASES if not issubclass(error, WeakSupError)]
    assert not outside


@pytest.mark.parametrize(("case", "trigger", "error", "message"), LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES])
def test_library_bad_input(tmp_path, case, trigger, error, message):
    before = set(tmp_path.iterdir())
    with pytest.raises(error) as info:
        trigger(tmp_path)
    assert re.search(message, str(info.value), re.S), str(info.value)
    produced = set(tmp_path.iterdir()) - before
    assert not {p for p in produced if p.suffix in (".npz", ".parquet") and p.name.startswith("v")}, produced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


CLI_CASES = [
    ("cli_module_not_found", ["lfs", "no_such_lf_module"], 2, r"LF module 'no_such_lf_module' not found.*pass a path"),
    ("cli_module_syntax_error", ["lfs", "{tmp}/broken.py"], 2, r"broken\.py.*SyntaxError"),
    ("cli_duplicate_names", ["lfs", "{tmp}/dup.py"], 2, r"named 'same'.*dup\.py:2.*dup\.py:3.*rename one"),
    ("cli_no_lfs", ["lfs", "{tmp}/empty.py"], 2, r"no labeling functions found"),
    ("cli_demo_bad_module", ["demo", "--lf-module", "{tmp}/missing.py"], 2, r"missing\.py.*does not exist"),
    ("cli_unknown_command", ["labelz"], 2, r"No such command 'labelz'"),
]


@pytest.mark.parametrize(("case", "args", "status", "message"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(tmp_path, case, args, status, message):
    _write(tmp_path, "broken.py", "from weaksup import keyword_lf\nx = keyword_lf('a', 'b', 1\n")
    _write(tmp_path, "dup.py", "from weaksup import keyword_lf\nA = keyword_lf('same', 'x', 1)\nB = keyword_lf('same', 'y', 1)\n")
    _write(tmp_path, "empty.py", "x = 1\n")
    before = set(tmp_path.iterdir())
    argv = [a.format(tmp=tmp_path) for a in args]
    out = subprocess.run([sys.executable, "-m", "weaksup", *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == status, (out.stdout, out.stderr)
    assert re.search(message, out.stderr, re.S), out.stderr
    assert "Traceback" not in out.stderr  # a clear message, not a stack dump
    assert set(tmp_path.iterdir()) == before
