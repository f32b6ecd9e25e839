"""SIGTERM stops a run whose process started with SIGINT ignored (cron, ``nohup``, ``cmd &`` in a script).

Such a process never gets a SIGINT handler of weaksup's (an ignored SIGINT stays ignored), and SIGTERM's
``KeyboardInterrupt`` lands inside the LF that the main thread runs. It was taken for the LF's own interrupt: an
LF error, exit 2. It is the scheduler's stop: ``stopped (SIGTERM)``, exit 143, nothing published, in the plain
run and on the engines that vote in this process (local; dask and spark vote in their workers, which
no signal reaches). An LF that raises ``KeyboardInterrupt`` itself is still an LF error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline_project import write_config

#: A slow LF (20 ms a row): the main thread spends its time inside it, where SIGTERM's KeyboardInterrupt lands.
SLOW_LFS = '''
import pathlib
import time
from weaksup import ABSTAIN, labeling_function

READY = pathlib.Path(__file__).with_name("ready")

@labeling_function(fields=["text"])
def slow_exclaim(x):
    READY.touch()
    time.sleep(0.02)
    return 1 if "!" in x.text else ABSTAIN
'''

#: An LF that raises KeyboardInterrupt itself, on row ``r5``.
INTERRUPTING_LFS = '''
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def interrupts(x):
    if x.row_id == "r5":
        raise KeyboardInterrupt
    return ABSTAIN
'''


def ignore_sigint() -> None:
    """What cron, ``nohup`` and a shell's background job give the process: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def project(folder: Path, lfs: str) -> Path:
    """``parts/part-0000.parquet`` (2,000 rows), ``lfs.py`` and ``run.toml`` writing to ``out/``."""
    (folder / "parts").mkdir(parents=True)
    texts = [f"comment {i}{'!' if i % 3 == 0 else ''}" for i in range(2000)]
    pd.DataFrame({"row_id": [f"r{i}" for i in range(2000)], "text": texts}).to_parquet(
        folder / "parts" / "part-0000.parquet", index=False)
    (folder / "lfs.py").write_text(lfs, encoding="utf-8")
    return write_config(folder, input={"path": "parts/part-0000.parquet", "id_column": "row_id",
                                       "text_column": "text", "chunk_rows": 500},
                        lfs={"modules": ["lfs.py"]})


def weaksup(folder: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "weaksup", *args, "--no-progress"], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore_sigint)


def engine_args(engine: str | None) -> list[str]:
    return [] if engine is None else ["--engine", engine]


@pytest.mark.parametrize("engine", [None, "local"])
def test_sigterm_stops_a_run_started_with_sigint_ignored(tmp_path, engine):
    project(tmp_path, SLOW_LFS)
    # the engines read a folder of parts; the plain run reads the file
    args = ["run", "run.toml", *engine_args(engine)]
    if engine is not None:
        args += ["--set", "input.path=parts"]
    proc = weaksup(tmp_path, *args)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None and (tmp_path / "ready").exists(), proc.communicate()
        time.sleep(0.3)  # well inside the LF's 40 s of votes
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, (proc.returncode, out, err)
    assert "stopped (SIGTERM)" in err and "must not exit or interrupt" not in err and "Traceback" not in err, err
    assert not (tmp_path / "out" / "labels.parquet").exists()


@pytest.mark.parametrize("engine", [None, "local"])
def test_an_lf_raising_keyboard_interrupt_is_still_an_lf_error_with_sigint_ignored(tmp_path, engine):
    project(tmp_path, INTERRUPTING_LFS)
    args = ["run", "run.toml", *engine_args(engine)]
    if engine is not None:
        args += ["--set", "input.path=parts"]
    proc = weaksup(tmp_path, *args)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (proc.returncode, out, err)
    assert "'interrupts'" in err and "raised KeyboardInterrupt" in err and "'r5'" in err, err
    assert "stopped (" not in err
