"""The shape of the library: small modules, no private names across module borders, a sorted public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import weaksup

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "weaksup"
MAX_LINES = 400


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".venv" not in p.parts)


def _private_imports(path: Path, root: Path = REPO) -> list[str]:
    """``from weaksup.x import _name`` and ``weaksup.x._name`` attribute reads in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("weaksup"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(REPO)} ({n} lines)" for p in _modules(LIBRARY)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"one module, one job: split these modules of more than {MAX_LINES} lines: {long}"


def test_no_library_function_or_class_is_named_like_a_test():
    """pytest collects ``test_*`` functions and ``Test*`` classes of a module it is handed (doctest runs do)."""
    found = [f"{p.relative_to(REPO)}:{node.lineno}: {node.name}" for p in _modules(LIBRARY)
             for node in ast.parse(p.read_text(encoding="utf-8")).body
             if isinstance(node, (ast.FunctionDef, ast.ClassDef))
             and (node.name.startswith("test_") or node.name.startswith("Test"))]
    assert not found, "rename these (pytest collects them as tests):\n" + "\n".join(found)


@pytest.mark.parametrize("root", ["weaksup", "tests", "benchmarks"])
def test_no_private_name_is_imported_across_modules(root):
    found = [hit for p in _modules(REPO / root) for hit in _private_imports(p)]
    assert not found, ("private names imported from another module (make them public in their home, "
                       "or move the caller):\n" + "\n".join(found))


def test_the_layout_test_sees_a_private_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from weaksup.analysis import _hidden\nfrom weaksup.errors import WeakSupError\n")
    assert _private_imports(planted, tmp_path) == ["planted.py:1: from weaksup.analysis import _hidden"]


def test_public_api_is_sorted_and_complete():
    names = list(weaksup.__all__)
    assert names == sorted(names), "keep weaksup.__all__ sorted"
    assert len(names) == len(set(names))
    listed = set(dir(weaksup))
    missing = [name for name in names if name not in listed]
    assert not missing, f"names in __all__ but not in dir(weaksup): {missing}"
    for name in names:
        assert getattr(weaksup, name) is not None, name


@pytest.mark.parametrize("name", ["weaksup.compat.snorkel", "weaksup.errors", "weaksup.evaluate", "weaksup.labels",
                                  "weaksup.models", "weaksup.votes"])
def test_a_modules_all_is_sorted_and_names_what_it_has(name):
    import importlib

    module = importlib.import_module(name)
    names = list(module.__all__)
    assert names == sorted(names) and len(names) == len(set(names)), f"keep {name}.__all__ sorted, each name once"
    missing = [n for n in names if n not in dir(module)]
    assert not missing, f"names in {name}.__all__ but not in the module: {missing}"
    assert set(getattr(module, "SNORKEL_CLASSES", {})) <= set(names)
