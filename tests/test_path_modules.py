"""LF modules given by path import their own folder's sibling modules, under names pickle and export can use."""

from __future__ import annotations

import pickle
import sys

import pytest

from weaksup.lf.export import write_module
from weaksup.path_modules import plain_name
from weaksup.registry import Registry

LFS = '''
import helpers
from helpers import VALUE, is_it
from helpers.more import EXTRA
from weaksup import keyword_lf, labeling_function

kw_{x} = keyword_lf("kw_{x}", [helpers.VALUE, VALUE, EXTRA], 1)


@labeling_function()
def fn_{x}(x):
    return 1 if is_it(x.text) else -1
'''


def _folder(root, x):
    """A folder ``x`` holding lfs.py and a helpers package whose values are ``x``'s own."""
    (root / x / "helpers").mkdir(parents=True)
    (root / x / "helpers" / "__init__.py").write_text(
        f"VALUE = {x!r}\n\ndef is_it(text):\n    return text == {x!r}\n", encoding="utf-8")
    (root / x / "helpers" / "more.py").write_text(f"EXTRA = {x + '_extra'!r}\n", encoding="utf-8")
    (root / x / "lfs.py").write_text(LFS.format(x=x), encoding="utf-8")
    return root / x / "lfs.py"


@pytest.fixture
def clean_modules(monkeypatch):
    """sys.path and the plain ``helpers`` names as they were, after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [n for n in sys.modules if n == "helpers" or n.startswith("helpers.")]:
        del sys.modules[name]


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_two_folders_each_import_their_own_helpers(tmp_path, clean_modules, order):
    paths = {x: _folder(tmp_path / order, x) for x in "ab"}
    registry = Registry.from_modules(*(paths[x] for x in order))
    for x in "ab":
        assert registry[f"kw_{x}"].keywords == (x, f"{x}_extra")  # (VALUE twice: once kept)
        assert registry[f"fn_{x}"]({"text": x}) == 1 and registry[f"fn_{x}"]({"text": "ab".replace(x, "")}) == -1


def test_a_helper_of_a_second_folder_pickles_by_name_and_exports_by_its_plain_name(tmp_path, clean_modules):
    a, b = _folder(tmp_path, "a"), _folder(tmp_path, "b")
    registry = Registry.from_modules(a, b)
    is_it = registry["fn_b"].func.__globals__["is_it"]
    assert pickle.loads(pickle.dumps(is_it)) is is_it  # found by its module's name: the second folder's
    assert plain_name(is_it.__module__) == "helpers" and is_it.__module__.startswith("weaksup_user_lfs.helpers_")
    source = write_module([registry["fn_b"]])
    assert "from helpers import is_it" in source and "weaksup_user_lfs" not in source


def test_importing_a_folder_again_reuses_its_helpers_and_keeps_the_first_plain_name(tmp_path, clean_modules):
    a, b = _folder(tmp_path, "a"), _folder(tmp_path, "b")
    first = Registry.from_modules(a, b)
    again = Registry.from_modules(b)
    assert again["kw_b"].keywords == ("b", "b_extra")
    assert first["fn_b"].func.__globals__["is_it"] is again["fn_b"].func.__globals__["is_it"]
    assert sys.modules["helpers"].VALUE == "a"  # `import helpers` run later finds the first folder's, as before
    assert sys.path[-2:] == [str(tmp_path / "a"), str(tmp_path / "b")]
