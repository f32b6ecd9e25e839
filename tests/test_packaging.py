"""What ``pip install weaksup`` brings is what weaksup imports: every third-party module the package imports is
declared in pyproject.toml (core or an extra), the command and a default run (with its report) work with the
extras' packages unimportable, the README's install lines bring what the shipped example needs, and
``weaksup --version`` / ``weaksup.__version__`` come from the installed metadata (one source of truth).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings (normalised), with the names inside ``[...]`` (``dask[distributed]``
    declares ``distributed``); ``weaksup[...]`` (an extra of extras) is left out."""
    names: set[str] = set()
    for req in requirements:
        name, extras = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", req).groups("")  # type: ignore[union-attr]
        if name.lower() != "weaksup":
            names.add(_norm(name))
            names |= {_norm(e) for e in extras.split(",") if e.strip()}
    return names


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


CORE = _names(PYPROJECT["project"]["dependencies"])
EXTRAS = {extra: _names(reqs) for extra, reqs in PYPROJECT["project"]["optional-dependencies"].items()}


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level names of the third-party modules weaksup's files import (at any depth, TYPE_CHECKING blocks
    excepted: they are never run) -> the files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "weaksup").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top != "weaksup":
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def _distributions(module: str) -> set[str]:
    """The distributions that provide the top-level module ``module`` (its own name when none is installed)."""
    return {_norm(d) for d in importlib.metadata.packages_distributions().get(module, [module])}


def _installed_with(names: set[str]) -> set[str]:
    """``names`` and what they require, transitively (as installed here; extras' requirements left out)."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(names)
    while todo:
        if (name := _norm(todo.pop())) in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [r.name for r in map(Requirement, requires) if r.marker is None or r.marker.evaluate()]
    return seen


def test_every_third_party_import_is_declared():
    declared = CORE.union(*EXTRAS.values())
    undeclared = {module: sorted(files) for module, files in _third_party_imports().items()
                  if not _distributions(module) & declared}
    assert undeclared == {}, "imported by weaksup but declared neither as a dependency nor in an extra"


#: The command and a run with only the core dependencies: the modules weaksup imports whose packages the core
#: dependencies do not install (only an extra, or nothing, declares them; and click: typer vendors its own now)
#: are unimportable (``sys.modules[name] = None``: a real ImportError on import).
_CORE_ONLY = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None
from weaksup.cli import main
main(sys.argv[1:])
"""


def _core_only(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    core = _installed_with(CORE)
    blocked = sorted(m for m in {*_third_party_imports(), "click"} if not _distributions(m) & core)
    return subprocess.run([sys.executable, "-c", _CORE_ONLY.format(blocked=blocked), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_command_starts_with_the_core_dependencies_alone(tmp_path):
    for args in (["--help"], ["run", "--help"], ["--version"]):
        out = _core_only(args, tmp_path)
        assert out.returncode == 0, f"weaksup {' '.join(args)}: {out.stderr}"
    assert "Weak supervision" in _core_only(["--help"], tmp_path).stdout


def test_a_default_run_writes_its_report_with_the_core_dependencies_alone(tmp_path, youtube):
    project = make_project(tmp_path, youtube.iloc[:200])
    config = write_config(project, output={"path": "out/labels.parquet", "report": True})
    out = _core_only(["run", str(config), "--no-tracking", "--no-progress"], project)
    assert out.returncode == 0, out.stderr
    assert (project / "out" / "report.html").stat().st_size > 0


def test_the_readme_install_lines_bring_what_the_example_needs():
    """Each ``pip install 'weaksup[...]'`` the README's set-up row names installs spaCy (the example's LFs use it),
    and matplotlib (every run writes a report) is a core dependency."""

    def brings(extra: str) -> set[str]:
        reqs = PYPROJECT["project"]["optional-dependencies"][extra]
        nested = [e for r in reqs if r.startswith("weaksup[") for e in r[8:-1].split(",")]
        return EXTRAS[extra].union(*(brings(e) for e in nested))

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| set up |")]
    options = re.findall(r"pip install '?weaksup\[([a-z,]+)\]", row)
    assert len(options) >= 2, row  # the full install and a lighter one
    for option in options:
        assert "spacy" in set().union(*(brings(e) for e in option.split(","))), f"weaksup[{option}] lacks spaCy"
    assert "matplotlib" in CORE
    assert "report" in EXTRAS  # (kept: old install lines name it)


def test_version_comes_from_the_installed_metadata(tmp_path):
    import weaksup

    assert weaksup.__version__ == importlib.metadata.version("weaksup") == PYPROJECT["project"]["version"]
    assert not re.search(r"__version__\s*=\s*['\"]", (REPO / "weaksup" / "__init__.py").read_text(encoding="utf-8"))
    out = subprocess.run([sys.executable, "-m", "weaksup", "--version"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert (out.returncode, out.stdout) == (0, f"weaksup {weaksup.__version__}\n"), out.stderr


def test_run_json_records_the_versions_it_ran_with(tmp_path, youtube):
    project = make_project(tmp_path, youtube.iloc[:100])
    out = subprocess.run([sys.executable, "-m", "weaksup", "run", str(write_config(project)), "--no-tracking",
                          "--no-progress"], cwd=project, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    env = json.loads((project / "out" / "run.json").read_text())["environment"]
    expected = {name: importlib.metadata.version(name)
                for name in ("weaksup", "numpy", "pandas", "pyarrow", "polars", "scikit-learn")}
    assert env == {"python": ".".join(map(str, sys.version_info[:3])), **expected}
