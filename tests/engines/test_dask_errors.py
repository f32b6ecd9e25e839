"""An LF that raises on a Dask worker: the user reads one error naming their own LF file (not the worker's copy of
it), exit 2, and none of the workers' "Compute Failed" tracebacks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from tests.conftest import REPO

pytest.importorskip("distributed")

CONFIG = """
[task]
name = "t"
labels = ["ham", "spam"]
[input]
path = "in.parquet"
id_column = "id"
text_column = "text"
[lfs]
modules = ["my_lfs.py"]
[end_model]
enabled = false
[mlflow]
enabled = false
[output]
path = "out/labels.parquet"
report = false
[engine]
name = "dask"
workers = 1
"""


@pytest.mark.slow  # a LocalCluster of the engine's own, in a child process
def test_an_lf_raising_on_a_worker_names_the_users_file_once_and_exits_2(tmp_path):
    (tmp_path / "my_lfs.py").write_text(textwrap.dedent("""
        from weaksup.lf import labeling_function

        @labeling_function()
        def boom(x):
            if x.text.endswith(" 7"):
                raise RuntimeError("bad row")
            return -1
        """), encoding="utf-8")
    pd.DataFrame({"id": range(20), "text": [f"row {i}" for i in range(20)]}).to_parquet(tmp_path / "in.parquet")
    (tmp_path / "run.toml").write_text(CONFIG, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "weaksup", "run", "run.toml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stderr
    assert f"labeling function 'boom' (defined at {tmp_path / 'my_lfs.py'}:4) raised RuntimeError" in done.stderr
    assert "dask-scratch-space" not in done.stderr and "Compute Failed" not in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "latest").exists()
