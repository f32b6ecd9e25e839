"""A label model that needs an optional package it cannot import is refused while the config is checked, before
any LF runs: ``weaksup run`` exits 2 with one line naming the install command (not a traceback after the LFs)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.pipeline_project import make_project, write_config

#: ``weaksup ...`` with Snorkel unimportable (``sys.modules['snorkel'] = None``: importing it raises ImportError).
_WITHOUT_SNORKEL = """
import sys
sys.modules["snorkel"] = None
from weaksup.cli import main
main(sys.argv[1:])
"""

#: An LF module whose LF leaves a mark when it runs.
_MARKING_LFS = '''
from pathlib import Path
from weaksup import ABSTAIN, labeling_function, keyword_lf

kw_sub = keyword_lf("kw_sub", ["subscribe"], 1)
kw_check = keyword_lf("kw_check", ["check out"], 1)


@labeling_function(fields=["text"])
def marking(x):
    (Path(__file__).parent / "an_lf_ran").touch()
    return ABSTAIN
'''


def test_snorkel_label_model_without_snorkel_exits_2_before_any_lf_runs(tmp_path, youtube):
    project = make_project(tmp_path, youtube.iloc[:60])
    (project / "marking_lfs.py").write_text(textwrap.dedent(_MARKING_LFS), encoding="utf-8")
    config = write_config(project, lfs={"modules": ["marking_lfs.py"]}, label_model={"name": "SnorkelLabelModel"})
    out = subprocess.run([sys.executable, "-c", _WITHOUT_SNORKEL, "run", str(config), "--no-tracking",
                          "--no-progress"], cwd=project, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "label_model.name = 'SnorkelLabelModel'" in lines[0] and "run.toml" in lines[0]
    assert "pip install torch==2.13.0 'weaksup[snorkel]'" in lines[0]
    assert not (project / "an_lf_ran").exists(), "the LFs ran before the missing label model was found"
    assert not (project / "out").exists()


def test_snorkel_label_model_with_snorkel_importable_passes_the_check(tmp_path, youtube):
    from weaksup.config import load_config
    from weaksup.models import SnorkelLabelModel
    from weaksup.pipeline import RunPlan

    if SnorkelLabelModel.missing_requirement() is not None:
        pytest.skip("Snorkel is not installed here")
    project = make_project(tmp_path, youtube.iloc[:60])
    config = load_config(write_config(project, label_model={"name": "SnorkelLabelModel"}), project=project)
    assert RunPlan.from_config(config).model_cls is SnorkelLabelModel
