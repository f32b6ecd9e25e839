"""Inputs are never outputs, and LF modules come only from the project folder.

Every path `weaksup run` reads (the input, the gold set, the LF modules, the config) and writes (the labels,
the run folder, the report) is resolved, symbolic links followed, before any work: an overlap is exit 2 with a
message naming both keys and both paths, and the user's file is left as it was (issue 14, cases 4, 5, 6, 9, 16).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import weaksup
from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
from weaksup.gold import write_gold


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    make_project(root, youtube.iloc[:300])
    rows = youtube.iloc[:40].assign(split=["dev", "test"] * 20)[["row_id", "label", "split"]]
    rows["label"] = rows["label"].map({0: "ham", 1: "spam"}).fillna(rows["label"])
    write_gold(rows, root / "gold", task="yt", label_space=["ham", "spam"])
    monkeypatch.chdir(root)
    # dotted LF module names are imported from the project folder: forget them after the test
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield root
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def _digest(path: Path) -> str:
    """The content of a file, or of every file in a folder (names and bytes)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(path.parent)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _fails(capsys, config: Path) -> str:
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    return err


def _parquet_folder(project: Path) -> Path:
    folder = project / "dataset"
    folder.mkdir()
    pd.read_csv(project / "comments.csv").to_parquet(folder / "part-0.parquet")
    return folder


def _link_into_the_input_folder(project: Path) -> Path:
    os.symlink(_parquet_folder(project), project / "runs")
    return write_config(project, input={"path": "dataset"}, output={"path": "runs/labels.parquet"})


def _input_linked_from_the_run_folder(project: Path) -> Path:
    (project / "out").mkdir()
    os.replace(project / "comments.csv", project / "out" / "comments.csv")
    os.symlink(project / "out" / "comments.csv", project / "comments.csv")
    return write_config(project)


def _gold_in_the_run_folder(project: Path) -> Path:
    (project / "out").mkdir()
    os.replace(project / "gold", project / "out" / "gold")
    return write_config(project, gold={"path": "out/gold"})


def _gold_file_outside_its_folder(project: Path) -> Path:
    (project / "shared").mkdir()
    os.replace(project / "gold" / "labels.csv", project / "shared" / "gold_labels.csv")
    manifest = json.loads((project / "gold" / "manifest.json").read_text())
    manifest["files"] = ["../shared/gold_labels.csv"]
    (project / "gold" / "manifest.json").write_text(json.dumps(manifest))
    return write_config(project, gold={"path": "gold"}, output={"path": "shared/gold_labels.csv"})


def _report(path: str, **sections: dict):
    return lambda p: write_config(p, **sections, output={"report": True, "report_path": path})


# (what the config says, the file or folder that must survive, words the message must hold)
CASES = {
    "output.path is the input (4)": (
        lambda p: write_config(p, output={"path": "comments.csv"}),
        "comments.csv", ["output.path", "is the same file as input.path", "comments.csv"]),
    "output.path is a gold file (5)": (
        lambda p: write_config(p, gold={"path": "gold"}, output={"path": "gold/labels.csv"}),
        "gold", ["output.path", "lies inside the folder gold.path", "gold/labels.csv"]),
    "output.path is a gold file the manifest names outside its folder (5)": (
        _gold_file_outside_its_folder, "shared/gold_labels.csv",
        ["output.path", "is the same file as gold.path (a file its manifest names)", "shared/gold_labels.csv"]),
    "output.path inside a Parquet input folder (6)": (
        lambda p: _parquet_folder(p) and write_config(p, input={"path": "dataset"},
                                                      output={"path": "dataset/run/labels.parquet"}),
        "dataset", ["output.path", "lies inside the folder input.path", "dataset"]),
    "output.path through a symbolic link into the input folder (6)": (
        _link_into_the_input_folder, "dataset", ["output.path", "dataset/labels.parquet", "input.path"]),
    "input through a symbolic link into the run folder": (
        _input_linked_from_the_run_folder, "out/comments.csv",
        ["the run folder (the folder of output.path)", "holds input.path", "out/comments.csv"]),
    "the run folder holds the input": (
        lambda p: write_config(p, output={"path": "labels.csv"}),
        "comments.csv", ["the run folder (the folder of output.path)", "holds input.path"]),
    "the run folder holds the gold set": (
        _gold_in_the_run_folder, "out/gold", ["the run folder", "holds gold.path", "out/gold"]),
    "the report replaces the input": (
        _report("comments.csv"), "comments.csv", ["output.report_path", "is the same file as input.path"]),
    "the report replaces the config": (
        _report("run.toml"), "run.toml", ["output.report_path", "is the same file as the config", "run.toml"]),
    "the report replaces the LF module": (
        _report("quick_lfs.py"), "quick_lfs.py",
        ["output.report_path", "quick_lfs.py", "lfs.modules ('quick_lfs.py')"]),
    "the report inside the gold folder": (
        _report("gold/report.html", gold={"path": "gold"}), "gold",
        ["output.report_path", "lies inside the folder gold.path"]),
    "the report replaces run.json": (
        _report("out/run.json"), "comments.csv",
        ["output.report_path", "out/run.json", "would replace a file the run writes"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_run_never_writes_over_what_it_reads(project, capsys, case):
    make, kept, expected = CASES[case]
    config = make(project)
    before = _digest(project / kept)
    err = _fails(capsys, config)
    for part in expected:
        assert part in err, f"{part!r} not in {err!r}"
    fix = "choose an" if "report" in case else "give output.path a folder of its own"
    assert fix in err
    assert _digest(project / kept) == before
    assert not (project / "out" / "labels.parquet").exists() and not (project / "out" / "run.json").exists()


def test_a_run_in_its_own_folder_still_runs(project, capsys):
    config = write_config(project, gold={"path": "gold"}, output={"path": "runs/yt/labels.parquet", "report": True,
                                                                  "report_path": "reports/yt.html"})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    assert info.value.code == 0, capsys.readouterr().err
    assert len(pd.read_parquet(project / "runs" / "yt" / "labels.parquet")) == 300


# ---------------------------------------------------------------------- LF modules from the project only (16)
def _outside(tmp_path: Path, marker: Path) -> Path:
    """A folder outside the project with LF code that leaves ``marker`` when it is imported."""
    outside = tmp_path / "outside"
    outside.mkdir()
    code = (f"open({str(marker)!r}, 'w').close()\nfrom weaksup import keyword_lf\n"
            "kw_evil = keyword_lf('kw_evil', ['subscribe'], 1)\n")
    (outside / "__init__.py").write_text(code)
    (outside / "lfs.py").write_text(code)
    return outside


@pytest.mark.parametrize("layout", ["symlinked package", "symlinked module in a package", "symlinked module file"])
def test_a_dotted_lf_module_through_a_symlink_out_of_the_project_is_refused(project, tmp_path, capsys, layout):
    marker = tmp_path / "imported-from-outside"
    outside = _outside(tmp_path, marker)
    if layout == "symlinked package":
        os.symlink(outside, project / "shared_lfs")
        name = "shared_lfs.lfs"
    else:
        (project / "shared_lfs").mkdir()
        (project / "shared_lfs" / "__init__.py").write_text("")
        os.symlink(outside / "lfs.py", project / "shared_lfs" / "extra.py")
        name = "shared_lfs" if layout == "symlinked module in a package" else "shared_lfs.extra"
    err = _fails(capsys, write_config(project, lfs={"modules": ["quick_lfs.py", name]}))
    assert f"lfs.modules = {name!r}" in err and "outside the project folder" in err and str(outside) in err, err
    assert not marker.exists(), "code outside the project folder was imported"


@pytest.mark.parametrize("name", ["my_lfs.quick", "my_lfs"])
def test_a_dotted_lf_module_inside_the_project_is_imported(project, tmp_path, capsys, name):
    (project / "my_lfs").mkdir()
    (project / "my_lfs" / "__init__.py").write_text("")
    os.replace(project / "quick_lfs.py", project / "my_lfs" / "quick.py")
    (project / "lib").mkdir()
    os.symlink(project / "lib", project / "my_lfs" / "lib")  # a link that stays inside
    (tmp_path / "word_lists").mkdir()
    os.symlink(tmp_path / "word_lists", project / "my_lfs" / "word_lists")  # data, not code: no import follows it
    config = write_config(project, lfs={"modules": [name]})
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--no-progress"])
    assert info.value.code == 0, capsys.readouterr().err


# ---------------------------------------------------------------------- LF modules that exit or hang at import (9)
def _cli(project: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """``weaksup run`` in a child process (an LF module that raises KeyboardInterrupt, or loops forever on an
    older weaksup, must not take the test session with it)."""
    env = {**os.environ, "PYTHONPATH": str(Path(weaksup.__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("code", "expected"), [
    ("import sys\nsys.exit(0)\n", "called sys.exit(0) while it was imported"),
    ("raise SystemExit(3)\n", "called sys.exit(3) while it was imported"),
    ("raise KeyboardInterrupt\n", "was interrupted (KeyboardInterrupt"),
])
def test_an_lf_module_that_exits_at_import_is_a_clear_error(project, code, expected):
    (project / "exiting_lfs.py").write_text("from weaksup import keyword_lf\nkw = keyword_lf('kw', ['x'], 1)\n" + code)
    done = _cli(project, write_config(project, lfs={"modules": ["quick_lfs.py", "exiting_lfs.py"]}))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "exiting_lfs.py" in done.stderr and expected in done.stderr, done.stderr
    assert "exiting_lfs.py\", line " in done.stderr and ", in <module>" in done.stderr  # where it happened
    assert not (project / "out" / "labels.parquet").exists()


def test_an_lf_module_that_loops_forever_at_import_runs_out_of_its_budget(project):
    (project / "looping_lfs.py").write_text("from weaksup import keyword_lf\nkw = keyword_lf('kw', ['x'], 1)\n"
                                            "while True:\n    pass\n")
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "looping_lfs.py"], "import_timeout": 1})
    done = _cli(project, config)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "looping_lfs.py" in done.stderr and "took longer than its budget of 1 s" in done.stderr, done.stderr
    assert "lfs.import_timeout" in done.stderr and "line 3, in <module>" in done.stderr
    assert not (project / "out" / "labels.parquet").exists()
