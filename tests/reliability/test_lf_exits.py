"""LF code that calls ``sys.exit`` or raises ``KeyboardInterrupt`` while voting: a clear error, never a silent exit 0.

Issue 14 case 8: an LF calling ``sys.exit(0)`` on one row ended ``weaksup run`` with exit status 0, no output and no
message. ``SystemExit`` and ``KeyboardInterrupt`` raised by LF code become an ``LFApplyError`` naming the LF, where it
is defined, the row and that LFs must not exit, on every path LF code runs on (row-wise, vectorised on the thread
pool, Dask). A real Ctrl-C of the user still stops the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import weaksup
from tests.pipeline_project import write_config
from weaksup import apply_lfs, labeling_function, model_score_lf
from weaksup.errors import LFApplyError

ROOT = Path(weaksup.__file__).resolve().parent.parent  # the weaksup under test (also for subprocesses)
FRAME = pd.DataFrame({"text": ["fine", "please exit now", "also fine"]}, index=["a", "b", "c"])


@labeling_function
def exits_on_b(x):
    if "exit" in x.text:
        sys.exit(0)
    return -1


@labeling_function
def interrupts_on_b(x):
    if "exit" in x.text:
        raise KeyboardInterrupt
    return -1


def _exit_scorer(texts):
    if any("exit" in t for t in texts):
        sys.exit(0)
    return np.zeros((len(texts), 2))


def _check(message: str, name: str, what: str) -> None:
    assert f"labeling function {name!r}" in message
    assert "test_lf_exits.py:" in message  # where it is defined
    assert what in message
    assert "'b'" in message  # the row id
    assert "must not exit" in message


@pytest.mark.parametrize("threads", [1, 2])
def test_row_wise_sys_exit_is_an_error(threads):
    with pytest.raises(LFApplyError) as info:
        apply_lfs([exits_on_b], FRAME, n_threads=threads)
    _check(str(info.value), "exits_on_b", "sys.exit(0)")


def test_sys_exit_is_an_error_even_when_fault_tolerant():
    with pytest.raises(LFApplyError, match="must not exit"):
        apply_lfs([exits_on_b], FRAME, fault_tolerant=True)


def test_keyboard_interrupt_raised_by_an_lf_is_an_error():
    with pytest.raises(LFApplyError) as info:
        apply_lfs([interrupts_on_b], FRAME)
    _check(str(info.value), "interrupts_on_b", "KeyboardInterrupt")


def test_vectorised_lf_exiting_on_the_thread_pool_is_an_error():
    lf = model_score_lf("exit_scorer", _exit_scorer, thresholds={1: 0.5}, classes=[0, 1])
    with pytest.raises(LFApplyError) as info:
        apply_lfs([lf], FRAME, n_threads=2)
    message = str(info.value)
    assert "'exit_scorer'" in message and "sys.exit(0)" in message and "'b'" in message
    assert "must not exit" in message


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_dask_partition_exiting_is_an_error(scheduler):
    dd = pytest.importorskip("dask.dataframe")
    import dask

    from weaksup.apply.dask import apply_lfs_dask

    data = dd.from_pandas(FRAME, npartitions=2)
    with dask.config.set(scheduler=scheduler), pytest.raises(LFApplyError) as info:
        apply_lfs_dask([exits_on_b], data)
    _check(str(info.value), "exits_on_b", "sys.exit(0)")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def test_run_with_an_lf_calling_sys_exit_exits_2_with_a_message(tmp_path):
    """Through the CLI in a subprocess, where a leaked SystemExit(0) would end the run with status 0."""
    pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["fine", "please exit now", "also fine"]}).to_csv(
        tmp_path / "comments.csv", index=False)
    (tmp_path / "exit_lfs.py").write_text(textwrap.dedent('''
        import sys
        from weaksup import ABSTAIN, labeling_function

        @labeling_function(fields=["text"])
        def quits(x):
            if "exit" in x.text:
                sys.exit(0)
            return ABSTAIN
        '''), encoding="utf-8")
    config = write_config(tmp_path, lfs={"modules": ["exit_lfs.py"]})
    done = subprocess.run([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "'quits'" in done.stderr and "exit_lfs.py:" in done.stderr and "'b'" in done.stderr
    assert "must not exit" in done.stderr
    assert not (tmp_path / "out" / "labels.parquet").exists()


def test_the_users_ctrl_c_still_stops_the_run(tmp_path):
    """A SIGINT while LF code runs is the user's: KeyboardInterrupt goes through, not an LF error."""
    ready = tmp_path / "ready"
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent(f'''
        import time
        import pandas as pd
        from weaksup import apply_lfs, labeling_function
        from weaksup.errors import LFApplyError

        @labeling_function
        def slow(x):
            open({str(ready)!r}, "w").close()
            time.sleep(60)
            return -1

        try:
            apply_lfs([slow], pd.DataFrame({{"text": ["a", "b"]}}))
        except KeyboardInterrupt:
            print("USER-INTERRUPT")
        except LFApplyError as exc:
            print("CONVERTED", exc)
        '''), encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), child.communicate()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert "USER-INTERRUPT" in out, (out, err)


def test_apply_restores_the_sigint_handler():
    before = signal.getsignal(signal.SIGINT)
    apply_lfs([interrupts_on_b], FRAME.iloc[:1])
    with pytest.raises(LFApplyError):
        apply_lfs([interrupts_on_b], FRAME)
    assert signal.getsignal(signal.SIGINT) is before
