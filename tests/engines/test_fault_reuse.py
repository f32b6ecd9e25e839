"""The engines' vote cache and ``lfs.fault_tolerant``: a run without it never reuses a column a fault-tolerant run
cached with faults (the LF's error stops it, as it stops a run with an empty cache); columns without faults are
reused either way."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from tests.engines.engine_data import synthetic_config, write_part
from weaksup.config import RunConfig
from weaksup.engines.driver import run_engine
from weaksup.engines.local import LocalEngine
from weaksup.errors import LFApplyError, WeakSupError

#: A clean keyword LF and a generic LF that raises on rows with "song" (the synthetic texts have some).
LFS = '''
from weaksup import ABSTAIN, keyword_lf, labeling_function

kw_check = keyword_lf("kw_check", ["check"], 1)


@labeling_function(fields=["text"])
def breaks_on_song(x):
    if "song" in x.text:
        raise ValueError("no songs here")
    return 1 if "free" in x.text else ABSTAIN
'''


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) and the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _config(tmp_path: Path, names: list[str]) -> RunConfig:
    for i in range(2):
        write_part(tmp_path / "input", i, 1000, start=i * 1000)
    module = tmp_path / "lfs.py"
    module.write_text(LFS, encoding="utf-8")
    return synthetic_config(tmp_path, modules=[str(module)], lfs={"names": names})


def _tolerant(config: RunConfig, on: bool) -> RunConfig:
    return dataclasses.replace(config, lfs=dataclasses.replace(config.lfs, fault_tolerant=on))


def test_a_run_without_fault_tolerant_votes_again_the_columns_cached_with_faults_and_stops(tmp_path):
    # the engine run reused the abstains a fault-tolerant run had cached in place of the LF's errors, and finished
    config = _config(tmp_path, ["kw_check", "breaks_on_song"])
    tolerant = run_engine(_tolerant(config, True), engine=LocalEngine(workers=2))
    assert tolerant.faults["breaks_on_song"] > 0 and tolerant.columns_computed == 4
    committed = _snapshot(tmp_path / "out")
    with pytest.raises(LFApplyError, match=r"labeling function 'breaks_on_song' .*raised ValueError: no songs here"):
        run_engine(_tolerant(config, False), engine=LocalEngine(workers=2))
    assert _snapshot(tmp_path / "out") == committed  # no new run committed, the cached columns as they were
    again = run_engine(_tolerant(config, True), engine=LocalEngine(workers=2))
    assert again.columns_computed == 0 and again.faults == tolerant.faults


def test_columns_cached_without_faults_are_reused_whatever_fault_tolerant_says(tmp_path):
    config = _config(tmp_path, ["kw_check"])
    plain = run_engine(_tolerant(config, False), engine=LocalEngine(workers=2))
    assert plain.columns_computed == 2 and not plain.faults
    tolerant = run_engine(_tolerant(config, True), engine=LocalEngine(workers=2))
    assert tolerant.columns_computed == 0 and not tolerant.faults
    plain_again = run_engine(_tolerant(config, False), engine=LocalEngine(workers=2))
    assert plain_again.columns_computed == 0


SLOW_LFS = '''
import time
from weaksup import ABSTAIN, labeling_function


@labeling_function(fields=["text"])
def slow_free(x):
    time.sleep(0.004)
    return 1 if "free" in x.text else ABSTAIN
'''


def test_columns_cached_with_timeouts_count_as_faults_and_are_voted_again_without_fault_tolerant(tmp_path):
    # the engines dropped apply's timeouts: a column cut short by lfs.lf_timeout was cached as if whole, and reused
    for i in range(2):
        write_part(tmp_path / "input", i, 1000, start=i * 1000)
    (tmp_path / "slow.py").write_text(SLOW_LFS, encoding="utf-8")
    config = synthetic_config(tmp_path, modules=[str(tmp_path / "slow.py")])
    config = dataclasses.replace(config, lfs=dataclasses.replace(config.lfs, lf_timeout=0.05))
    tolerant = run_engine(_tolerant(config, True), engine=LocalEngine(workers=1))
    assert tolerant.faults.get("slow_free", 0) > 0  # the rows it did not reach within the timeout, counted
    committed = _snapshot(tmp_path / "out")
    with pytest.raises(WeakSupError, match="slow_free"):
        run_engine(_tolerant(config, False), engine=LocalEngine(workers=1))
    assert _snapshot(tmp_path / "out") == committed
