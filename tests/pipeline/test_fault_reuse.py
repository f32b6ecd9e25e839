"""Saved votes and ``lfs.fault_tolerant``: a run without it never reuses a column a fault-tolerant run saved with
faults (the LF's error stops it, as it stops a fresh run); columns without faults are reused either way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.pipeline.helpers import SLOW_LF, run_config
from tests.pipeline_project import write_config
from weaksup.cli import main

#: A generic LF that raises on rows with "!", and a Snorkel LF whose preprocessor returns None on rows with "?".
FAULTY_LFS = '''
from weaksup.compat.snorkel import labeling_function, preprocessor
from weaksup.labels import ABSTAIN


@labeling_function()
def raises_on_bang(x):
    if "!" in x.text:
        raise ValueError("cannot handle a bang")
    return 1 if "check" in x.text else ABSTAIN


@preprocessor()
def lower_or_none(x):
    if "?" in x.text:
        return None
    x.lower = x.text.lower()
    return x


@labeling_function(pre=[lower_or_none])
def lower_song(x):
    return 0 if "song" in x.lower else ABSTAIN
'''

#: Each faulty LF and what its error says.
CASES = {"raises_on_bang": "raised ValueError: cannot handle a bang",
         "lower_song": "Preprocessor should not return None"}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """The exit status of ``weaksup ARGV`` and its ``error:`` lines (not the warnings logged before)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    err = capsys.readouterr().err
    return int(info.value.code or 0), "\n".join(line for line in err.splitlines() if line.startswith("error:"))


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) and the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _faulty_project(project: Path, lf_name: str) -> Path:
    (project / "faulty_lfs.py").write_text(FAULTY_LFS, encoding="utf-8")
    return write_config(project, lfs={"modules": ["quick_lfs.py", "faulty_lfs.py"], "names": [
        "kw_subscribe", "kw_check", "re_link", "kw_song", "short_comment", lf_name]}, input={"chunk_rows": 400})


@pytest.mark.parametrize("resume", [False, True], ids=["rerun", "resume"])
@pytest.mark.parametrize("lf_name", list(CASES))
def test_a_run_without_fault_tolerant_recomputes_columns_saved_with_faults_and_stops(project, capsys, lf_name,
                                                                                      resume):
    # the run reused the abstains a fault-tolerant run had saved in place of the LF's errors and exited 0
    config = _faulty_project(project, lf_name)
    tolerant = run_config(config, "lfs.fault_tolerant=true")
    assert tolerant.faults[lf_name] > 0 and tolerant.chunks["computed"] == 5
    published = _snapshot(project / "out")
    code, err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking", *(["--resume"] if resume else []))
    assert code == 2
    assert f"labeling function {lf_name!r}" in err and CASES[lf_name] in err and "lfs.fault_tolerant = true" in err
    assert _snapshot(project / "out") == published  # nothing published, no stage or new votes left behind
    fresh_code, fresh_err = _cli(capsys, "run", str(config), "--no-progress", "--no-tracking", "--fresh")
    assert (code, err) == (fresh_code, fresh_err)  # the error of a run without saved votes, word for word
    again = run_config(config, "lfs.fault_tolerant=true")  # the saved votes are still there and still reused
    assert again.chunks == {"computed": 0, "reused": 5, "columns_reused": 30, "columns_computed": 0}
    assert again.faults == tolerant.faults


def test_columns_without_faults_are_reused_whatever_fault_tolerant_says(project):
    config = write_config(project, input={"chunk_rows": 400})
    plain = run_config(config)
    assert plain.chunks["computed"] == 5 and not any(plain.faults.values())
    tolerant = run_config(config, "lfs.fault_tolerant=true")
    assert tolerant.chunks == {"computed": 0, "reused": 5, "columns_reused": 25, "columns_computed": 0}
    plain_again = run_config(config)
    assert plain_again.chunks == tolerant.chunks and plain_again.faults == plain.faults


def test_a_run_without_fault_tolerant_recomputes_columns_saved_with_timeouts(project):
    # a column whose LF ran out of lfs.lf_timeout under fault_tolerant holds abstains on the rows it did not reach
    from weaksup.errors import WeakSupError

    (project / "slow_lfs.py").write_text(SLOW_LF, encoding="utf-8")
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"], "lf_timeout": 0.05},
                          input={"chunk_rows": 400})
    tolerant = run_config(config, "lfs.fault_tolerant=true")
    assert tolerant.timeouts["slow_question"] > 0 and not any(tolerant.faults.values())
    published = _snapshot(project / "out")
    with pytest.raises(WeakSupError, match="slow_question"):
        run_config(config)
    assert _snapshot(project / "out") == published
