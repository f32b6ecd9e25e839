"""The paths a run reads and writes: inputs are never outputs, and a file written from a finished run (a review
export) replaces nothing the run reads or wrote."""

from __future__ import annotations

import re

import pytest

from tests.pipeline_project import write_config
from weaksup.config import load_config
from weaksup.errors import ConfigError
from weaksup.pipeline.paths import check_export_path, run_reads, run_writes


def test_what_a_run_reads_and_writes(project):
    config = load_config(write_config(project, output={"report": True}), project=project)
    assert [(r.key, r.path.name, r.folder) for r in run_reads(config)] == [
        ("input.path", "comments.csv", False), ("lfs.modules ('quick_lfs.py')", "quick_lfs.py", False),
        ("the config", "run.toml", False)]
    assert [(w.key, w.path.relative_to(project).as_posix(), w.folder) for w in run_writes(config)] == [
        ("output.path", "out/labels.parquet", False), ("the run folder (the folder of output.path)", "out", True),
        ("the report (report.html in the run folder)", "out/report.html", False)]


@pytest.mark.parametrize(("target", "names"), [
    ("comments.csv", "is the same file as input.path"),
    ("quick_lfs.py", "is the same file as lfs.modules"),
    ("out/labels.parquet", "is the same file as output.path"),
    ("out/report.html", "is the same file as the report"),
    ("out/run.json", "is the same file as the run's run.json"),
    ("out/votes/part-0.csv", "lies inside the folder the run's votes"),
    ("configs/mine.toml", "is the same file as the run's config"),
])
def test_an_export_may_not_replace_what_the_run_reads_or_wrote(project, target, names):
    config = load_config(write_config(project, output={"report": True}), project=project)
    with pytest.raises(ConfigError, match=re.escape(f"{target} {names}")) as info:
        check_export_path(config, project / target, config_file="configs/mine.toml")
    assert "choose another --out" in str(info.value)


def test_an_export_may_go_in_the_run_folder_or_anywhere_else(project, tmp_path):
    config = load_config(write_config(project, output={"report": True}), project=project)
    check_export_path(config, project / "out" / "review" / "tasks.json")
    check_export_path(config, tmp_path / "elsewhere.csv")
