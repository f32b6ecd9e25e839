"""The project folder's git commit and dirty flag as run tags, from a real git work tree."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from weaksup.tracking.git import COMMIT_TAG, DIRTY_TAG, git_tags

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder, *args):
    return subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                          capture_output=True, text=True, check=True).stdout


@needs_git
def test_commit_and_dirty_flag_of_the_project_folder(tmp_path):
    repo = tmp_path / "repo"
    project = repo / "project"
    project.mkdir(parents=True)
    _git(repo, "init", "-q")
    (project / "lfs.py").write_text("A = 1\n")
    (repo / ".gitignore").write_text("runs/\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD").strip()
    assert git_tags(project) == {COMMIT_TAG: head, DIRTY_TAG: "false"}
    (project / "runs").mkdir()
    (project / "runs" / "labels.csv").write_text("ignored\n")
    (repo / "elsewhere.txt").write_text("outside the project folder\n")
    assert git_tags(project)[DIRTY_TAG] == "false"  # ignored files and changes outside the project do not count
    (project / "lfs.py").write_text("A = 2\n")
    assert git_tags(project) == {COMMIT_TAG: head, DIRTY_TAG: "true"}
    _git(repo, "checkout", "-q", "--", "project/lfs.py")
    (project / "new_lfs.py").write_text("B = 1\n")  # an untracked LF module: the commit does not reproduce the run
    assert git_tags(project)[DIRTY_TAG] == "true"


@needs_git
def test_no_git_work_tree_or_no_commit_gives_no_tags(tmp_path):
    assert git_tags(tmp_path) == {}
    _git(tmp_path, "init", "-q")
    assert git_tags(tmp_path) == {}  # a repository without a commit
    assert git_tags(tmp_path / "missing") == {}


def test_no_git_program_gives_no_tags(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert git_tags(tmp_path) == {}


@needs_git
@pytest.mark.slow  # a run in a subprocess
def test_a_run_of_a_project_outside_git_records_no_git_tags_of_weaksups_own_checkout(tmp_path, youtube):
    # `python -m weaksup` from a clone: MLflow took the weaksup checkout's commit, URL and branch for the project's
    import os
    import sys

    import mlflow

    from tests.conftest import REPO
    from tests.pipeline_project import make_project, write_config

    make_project(tmp_path, youtube)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = write_config(tmp_path, mlflow={"enabled": True, "tracking_uri": uri})
    done = subprocess.run([sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    mlflow.set_tracking_uri(uri)
    (run,) = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert not [t for t in run.data.tags if t.startswith("mlflow.source.git")], run.data.tags
