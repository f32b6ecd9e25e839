"""Ctrl-C at any moment of the ``weaksup`` command: one line, exit 130, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from weaksup.interrupt import INTERRUPTED_AT_START, started_as_command

#: An LF module whose import takes long (as one that imports spaCy and torch): it says when it started, then waits.
_SLOW_IMPORT = '''
import pathlib, time
pathlib.Path(__file__).with_name("importing").touch()
for _ in range(6000):
    time.sleep(0.01)
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def never(x):
    return ABSTAIN
'''

#: A file the interpreter maps once ``import weaksup`` runs its heavy imports (weaksup/__init__.py imports numpy
#: through pandas): from then on the command's own start-up code has run.
_IMPORTING = "numpy"
#: Extra waits after the heavy imports begin: the SIGINT lands while pandas, pyarrow, scikit-learn... load
#: (or, on a fast machine, in the command itself: a stop, also one line and 130).
_DELAYS = (0.0, 0.05, 0.1, 0.2, 0.3)


def _commands() -> list[tuple[str, list[str]]]:
    commands = [("python -m weaksup", [sys.executable, "-m", "weaksup"])]
    script = Path(sys.executable).parent / "weaksup"  # the console script (pyproject's [project.scripts])
    if script.is_file():
        commands.append(("weaksup", [str(script)]))
    return commands


def _importing(pid: int) -> bool:
    """Whether process ``pid`` has started ``import weaksup``'s heavy imports (read from its memory map)."""
    try:
        return f"/{_IMPORTING}/" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/<pid>/maps (Linux)")
@pytest.mark.parametrize("name, command", _commands(), ids=[name for name, _ in _commands()])
def test_ctrl_c_while_weaksup_imports_is_one_line_and_exit_130(tmp_path, name, command):
    """Case: a Ctrl-C in the first second of `weaksup run` (``import weaksup``: pandas, scikit-learn...) printed
    a KeyboardInterrupt traceback and exited 1 or -2; only a Ctrl-C after the imports was one line and 130."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    seen = []
    for i, delay in enumerate(_DELAYS):
        out = tmp_path / f"run{i}"
        proc = subprocess.Popen([*command, "run", str(REPO / "configs" / "youtube_spam.toml"), "--no-tracking",
                                 "--no-progress", "--set", f"output.path={out / 'labels.parquet'}"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None and not _importing(proc.pid):
            time.sleep(0.002)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=600)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, f"{name}, SIGINT +{delay} s:\n{err}"
        assert proc.returncode in (0, 130), f"{name}, SIGINT +{delay} s: exit {proc.returncode}\n{err}"
        if proc.returncode == 130:
            last = err.strip().splitlines()[-1]
            assert last == INTERRUPTED_AT_START or last.startswith("stopped (Ctrl-C): "), err
            assert not (out / "labels.parquet").exists()
        seen.append(err.strip())
    assert INTERRUPTED_AT_START in seen, seen  # the first SIGINT, as the heavy imports begin, lands in them


@pytest.mark.parametrize("argv, orig_argv, expected", [
    (["/venv/bin/weaksup", "run", "x.toml"], ["/venv/bin/python", "/venv/bin/weaksup", "run", "x.toml"], True),
    (["-m", "run"], ["python", "-m", "weaksup", "run"], True),
    (["-m", "run"], ["python", "-X", "importtime", "-mweaksup", "run"], True),
    (["-m"], ["python", "-m", "weaksup.cli"], True),
    (["-m", "x"], ["python", "-m", "mytool", "x"], False),
    (["script.py"], ["python", "script.py"], False),
    (["-c"], ["python", "-c", "import weaksup"], False),
    ([""], ["python"], False),  # the REPL
])
def test_only_the_weaksup_command_quiets_ctrl_c_while_it_starts(argv, orig_argv, expected):
    assert started_as_command(argv, orig_argv) is expected


@pytest.mark.slow
@pytest.mark.parametrize("name, command", _commands(), ids=[name for name, _ in _commands()])
def test_ctrl_c_while_an_lf_module_imports_is_a_stop_not_an_lf_error(tmp_path, youtube, name, command):
    """Case: Ctrl-C while the run imported an LF module (spaCy, torch: a second or two) was exit 2, "error:
    importing LF module ... was interrupted (KeyboardInterrupt: Ctrl-C, or raised by the module)" and the stack."""
    make_project(tmp_path, youtube)
    (tmp_path / "slow_import_lfs.py").write_text(_SLOW_IMPORT)
    config = write_config(tmp_path, lfs={"modules": ["quick_lfs.py", "slow_import_lfs.py"]})
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([*command, "run", str(config), "--no-progress"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and not (tmp_path / "importing").exists():
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert err.strip().startswith("stopped (Ctrl-C): a stopped run publishes nothing"), err
    assert len(err.strip().splitlines()) == 1 and "KeyboardInterrupt" not in err, err
    assert not (tmp_path / "out" / "labels.parquet").exists()
