"""`weaksup run` with stderr not a terminal (a batch job, a log file): one progress line per chunk, without -v."""

from __future__ import annotations

import re

import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main

LINE = re.compile(r"^weaksup\.progress: chunk (\d+) (voted|reused \(saved votes\)): ([\d,]+)( rows| of 400 rows \(\d+%\)), "
                  r"[\d,]+ rows/s$")


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube.iloc[:400])
    youtube.iloc[:400][["row_id", "text"]].to_parquet(tmp_path / "comments.parquet", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys, *argv: str, verbose: bool = False) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([*(["-v"] if verbose else []), "run", *argv])
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def _progress(err: str) -> list[tuple[int, str, int, bool]]:
    found = [LINE.match(line) for line in err.splitlines() if line.startswith("weaksup.progress")]
    assert all(found), err  # every progress line in the documented form
    return [(int(m[1]), m[2], int(m[3].replace(",", "")), m[4] != " rows") for m in found if m]


def test_a_run_whose_stderr_is_no_terminal_logs_a_line_per_chunk_without_verbose(project, capsys):
    # 6.5 minutes of silence in a log file: no bar (not a terminal) and INFO lines only with -v
    config = write_config(project, input={"chunk_rows": 100})
    code, out, err = _run(capsys, str(config))
    assert code == 0 and "400 rows" in out
    assert _progress(err) == [(1, "voted", 100, False), (2, "voted", 200, False), (3, "voted", 300, False),
                              (4, "voted", 400, False)]  # a CSV: the total is not known before reading it
    assert "run finished in" not in err  # other INFO lines stay behind -v

    code, _, err = _run(capsys, str(config), "--set", "input.path=comments.parquet")
    assert code == 0 and [(i, n, total) for i, _, n, total in _progress(err)] == \
        [(1, 100, True), (2, 200, True), (3, 300, True), (4, 400, True)]  # Parquet: "of 400 rows (25%)"

    code, _, err = _run(capsys, str(config), "--set", "input.path=comments.parquet", "--no-progress")
    assert code == 0 and _progress(err) == []  # --no-progress: neither bars nor lines

    code, _, err = _run(capsys, str(config), "--set", "input.path=comments.parquet", verbose=True)  # weaksup -v run
    lines = _progress(err)
    assert code == 0 and "weaksup.pipeline: run finished in" in err  # -v: every INFO line
    assert [kind for _, kind, _, _ in lines] == ["reused (saved votes)"] * 4  # the last run's votes
