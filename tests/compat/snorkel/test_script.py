"""THE drop-in test: a script written against Snorkel runs with only its imports changed, with the same outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

SCRIPT = REPO / "tests" / "compat" / "snorkel_script.py"
DATA = REPO / "weaksup" / "datasets" / "youtube_spam" / "data"
IMPORT = re.compile(r"^from snorkel(\.[\w.]+)? import", flags=re.MULTILINE)


def run(script: Path, out: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script), str(DATA), str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.snorkel
def test_a_snorkel_script_runs_with_only_its_imports_changed(tmp_path):
    source = SCRIPT.read_text(encoding="utf-8")
    ported = IMPORT.sub("from weaksup.compat.snorkel import", source)
    assert not IMPORT.search(ported) and not re.search(r"^import snorkel", ported, flags=re.MULTILINE)
    changed = [old for old, new in zip(source.splitlines(), ported.splitlines()) if old != new]
    assert len(source.splitlines()) == len(ported.splitlines()) and len(changed) == 4
    assert all(IMPORT.match(line) for line in changed)  # nothing but the four Snorkel imports changed
    (tmp_path / "ported.py").write_text(ported, encoding="utf-8")
    (tmp_path / "original.py").write_text(source, encoding="utf-8")  # run from a folder with no `snorkel` package

    theirs = run(tmp_path / "original.py", tmp_path / "snorkel")
    ours = run(tmp_path / "ported.py", tmp_path / "weaksup")
    assert ours == theirs  # every printed number: summaries, accuracies, weights, buckets, the end model's accuracy
    assert "Label Model Accuracy:" in ours and "reloaded predicts the same: True" in ours

    with np.load(tmp_path / "snorkel" / "arrays.npz") as a, np.load(tmp_path / "weaksup" / "arrays.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            if name == "probs_train":  # weaksup predicts in float64 from Snorkel's float32 parameters
                assert np.allclose(a[name], b[name], atol=1e-6)
            else:
                assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]), name
    assert (tmp_path / "snorkel" / "scores.json").read_text() == (tmp_path / "weaksup" / "scores.json").read_text()
