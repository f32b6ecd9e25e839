"""The product installs: the wheel built from this checkout, installed into a fresh venv outside the
repository, runs ``weaksup demo`` in an empty folder (the shipped example is package data), and
``weaksup init`` there starts a project that ``weaksup run`` labels at once.

The venv sees the dependencies of the test environment without downloading them: a ``.pth`` file in its
site-packages lists the test environment's site-packages folders. ``.pth`` files inside those folders are not
processed, so an editable install of weaksup there does not leak into the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

#: Files the demo needs from the wheel, besides the modules.
PACKAGE_DATA = [
    "weaksup/py.typed",
    "weaksup/datasets/youtube_spam/lfs.py",
    "weaksup/datasets/youtube_spam/data/SOURCE.md",
    *(f"weaksup/datasets/youtube_spam/data/Youtube0{i}-{video}.csv"
      for i, video in enumerate(["Psy", "KatyPerry", "LMFAO", "Eminem", "Shakira"], start=1)),
    "weaksup/datasets/youtube_spam/sms_spam/SMSSpamCollection",
    "weaksup/datasets/youtube_spam/sms_spam/SOURCE.md",
    "weaksup/datasets/youtube_spam/sms_spam/sms_spam_model.joblib",
    "weaksup/datasets/youtube_spam/build_sms_model.py",
    "weaksup/datasets/youtube_spam/resources/youtube_lexicon.csv",
    "weaksup/datasets/youtube_spam/resources/youtube_spam_accounts.csv",
    "weaksup/datasets/youtube_spam/gold/manifest.json",
    "weaksup/datasets/youtube_spam/gold/labels.csv",
]


def _env() -> dict[str, str]:
    """The environment without anything that points Python at the checkout or at a shared MLflow store."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MLFLOW_TRACKING_URI")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the working tree, built from a copy of it (a build writes build/ and *.egg-info)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(REPO / "weaksup", src / "weaksup", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    out = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                "--disable-pip-version-check", "-q", "-w", dist, src], cwd=dist)
    assert out.returncode == 0, out.stderr
    (built,) = dist.glob("weaksup-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv outside the repository with the wheel installed (no dependencies, no network)."""
    root = tmp_path_factory.mktemp("venv")
    out = _run([sys.executable, "-m", "venv", "--without-pip", root], cwd=root)
    assert out.returncode == 0, out.stderr
    python = root / ("Scripts" if os.name == "nt" else "bin") / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
    deps = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    (Path(purelib.stdout.strip()) / "test_environment.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    out = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
                "--disable-pip-version-check", "-q", wheel], cwd=root)
    assert out.returncode == 0, out.stderr
    return root


def test_wheel_holds_the_example_as_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in PACKAGE_DATA if name not in names] == []
    assert not any(name.startswith(("tests/", "labeling_functions/", "gold_sets/")) for name in names)


def test_wheel_metadata_names_the_license_and_carries_its_text(wheel: Path) -> None:
    """``license = "Apache-2.0"`` (an SPDX expression, Metadata 2.4) and ``license-files``: the text in the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = zf.read(metadata).decode().split("\n\n", 1)[0].splitlines()
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        text = zf.read(license_file).decode()
    assert "License-Expression: Apache-2.0" in headers and "License-File: LICENSE" in headers
    assert not any(h.startswith("License: ") for h in headers)  # (the deprecated free-text field)
    assert "Classifier: Programming Language :: Python :: 3.11" in headers
    assert text.startswith("\n                                 Apache License\n                           Version 2.0, January 2004")
    assert "END OF TERMS AND CONDITIONS" in text


def test_version_of_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    weaksup = venv / ("Scripts" if os.name == "nt" else "bin") / "weaksup"
    out = _run([weaksup, "--version"], cwd=tmp_path)
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert (out.returncode, out.stdout) == (0, f"weaksup {version}\n"), out.stderr


def test_weaksup_is_imported_from_the_venv_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    out = _run([python, "-c", "import weaksup, importlib.util as u; print(weaksup.__file__); "
                "print(u.find_spec('labeling_functions'))"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    where, repo_lfs = out.stdout.split()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    assert not Path(where).resolve().is_relative_to(REPO.resolve())
    assert repo_lfs == "None"  # the repository's LF folder is not visible either


@pytest.mark.mlflow
def test_demo_runs_in_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    weaksup = venv / ("Scripts" if os.name == "nt" else "bin") / "weaksup"
    out = _run([weaksup, "demo"], cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "kw_subscribe" in out.stdout and "Emp. Acc." in out.stdout and "Coverage" in out.stdout


def test_init_then_run_in_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    """``weaksup init spam && cd spam && weaksup run configs/youtube_spam.toml``, all from the installed wheel."""
    weaksup = venv / ("Scripts" if os.name == "nt" else "bin") / "weaksup"
    out = _run([weaksup, "init", "spam"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "weaksup run configs/youtube_spam.toml" in out.stdout
    project = tmp_path / "spam"
    out = _run([weaksup, "run", "configs/youtube_spam.toml", "--no-tracking", "--no-progress"], cwd=project,
               timeout=600)
    assert out.returncode == 0, out.stderr
    assert "1,956 rows, 28 LFs (rule_version a35148b6)" in out.stdout  # the shipped LFs' versions, from the copy
    run_dir = project / "runs" / "youtube_spam"
    assert {"labels.parquet", "report.html", "run.json", "label_model.json"} <= {p.name for p in run_dir.iterdir()}
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["metrics"]["final/accuracy"] > 0.9  # on the 290 test gold rows
    out = _run([weaksup, "init", "spam"], cwd=tmp_path)  # the project is there now: refused, exit 2
    assert out.returncode == 2 and "is not empty" in out.stderr and "--force" in out.stderr
