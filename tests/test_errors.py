"""The error family: every bad-input raise is a WeakSupError, every class lives in errors.py with a reason code."""

from __future__ import annotations

import ast
import inspect
import pickle
from pathlib import Path

import pytest

from weaksup import errors
from weaksup.errors import (
    GoldSetError,
    Problem,
    Problems,
    ReviewImportError,
    UnknownLFError,
    WeakSupError,
)

LIBRARY = Path(__file__).resolve().parent.parent / "weaksup"
#: Builtins that must not be raised bare: raise a WeakSupError subclass that also derives from the builtin.
BARE = {"ValueError", "TypeError", "KeyError", "RuntimeError", "Exception", "IndexError", "LookupError"}
FAMILY = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, BaseException)]


def bare_raises(source: str, name: str) -> list[str]:
    """``name:line: raise X(...)`` for each ``raise`` of a builtin in :data:`BARE` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(target, ast.Name) and target.id in BARE:
            found.append(f"{name}:{node.lineno}: raise {target.id}(...)")
    return found


def test_the_library_raises_no_bare_builtin_errors():
    found = [hit for path in sorted(LIBRARY.rglob("*.py"))
             for hit in bare_raises(path.read_text(encoding="utf-8"), str(path.relative_to(LIBRARY.parent)))]
    assert not found, (
        f"{len(found)} raise(s) of a bare builtin error: under the CLI they exit 1 with a traceback instead of 2 "
        "with the message. Raise the weaksup.errors class that fits (they also derive from ValueError, TypeError, "
        "KeyError or RuntimeError, so callers catching those still work; ParameterError and ParameterTypeError "
        "for bad arguments):\n  " + "\n  ".join(found))


def test_the_scan_sees_every_form_of_a_bare_raise():
    source = ("def f(x):\n"
              "    if x == 1:\n        raise ValueError('bad')\n"
              "    if x == 2:\n        raise TypeError\n"
              "    if x == 3:\n        raise KeyError(x) from None\n"
              "    if x == 4:\n        raise errors.DataError('fine')\n"
              "    if x == 5:\n        raise NotImplementedError\n"
              "    try:\n        pass\n    except OSError:\n        raise\n")
    assert bare_raises(source, "m.py") == ["m.py:3: raise ValueError(...)", "m.py:5: raise TypeError(...)",
                                           "m.py:7: raise KeyError(...)"]


def test_every_exception_class_of_the_library_is_defined_in_errors_py():
    family = {cls.__name__ for cls in FAMILY}
    elsewhere = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if path == LIBRARY / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):  # (_private: a signal its module catches)
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & (family | BARE | {"BaseException", "Warning"}):
                    elsewhere.append(f"{path.relative_to(LIBRARY.parent)}:{node.lineno}: class {node.name}")
    assert not elsewhere, "define exception classes in weaksup/errors.py:\n  " + "\n  ".join(elsewhere)


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_each_error_has_its_own_reason_code_and_pickles(cls):
    assert issubclass(cls, WeakSupError)
    assert isinstance(cls.code, str) and cls.code.isidentifier() and cls.code == cls.code.lower()
    if cls is not WeakSupError:
        assert "code" in vars(cls), f"{cls.__name__} must declare its own code"
    err = cls("what is wrong, and the fix", problems=[Problem("bad_row", "row 1 is bad", where="f.csv:2")])
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls and str(clone) == str(err) == "what is wrong, and the fix"
    assert clone.problems == err.problems and clone.code == cls.code


def test_codes_are_unique():
    codes = [cls.code for cls in FAMILY]
    assert len(codes) == len(set(codes)), sorted(codes)


def test_key_error_subclasses_print_their_message_not_its_repr():
    assert str(UnknownLFError("no labeling function named 'x'")) == "no labeling function named 'x'"
    with pytest.raises(KeyError) as info:
        raise UnknownLFError("no LF 'x'")
    assert str(info.value) == "no LF 'x'"


def test_old_import_paths_give_the_same_classes():
    from weaksup.config import ConfigError
    from weaksup.review.errors import ReviewError, ReviewImportError as OldImportError

    assert ConfigError is errors.ConfigError and issubclass(ConfigError, ValueError)
    assert ReviewError is errors.ReviewError and OldImportError is ReviewImportError


def test_problems_are_collected_then_raised_once_with_a_bounded_listing():
    problems = Problems("review export a.json")
    assert not problems
    problems.raise_if_any(ReviewImportError)  # nothing collected: nothing raised
    for i in range(ReviewImportError.MAX_LISTED + 2):
        problems.add("unknown_label", f"label 'x{i}' is not in the label space", where=f"a.json: task {i}",
                     expected=["ham", "spam"], got=f"x{i}", fix="correct the answer")
    with pytest.raises(ReviewImportError) as info:
        problems.raise_if_any(ReviewImportError, fix="Nothing was imported.")
    err = info.value
    lines = str(err).splitlines()
    assert lines[0] == f"review export a.json has {ReviewImportError.MAX_LISTED + 2} problems:"
    assert lines[1] == "  a.json: task 0: label 'x0' is not in the label space"
    assert lines[-2] == "  ... and 2 more (all in the error's .problems)" and lines[-1] == "Nothing was imported."
    assert len(lines) == ReviewImportError.MAX_LISTED + 3
    assert len(err.problems) == ReviewImportError.MAX_LISTED + 2 and err.code == "bad_review_export"
    assert err.problems[5] == Problem("unknown_label", "label 'x5' is not in the label space", "a.json: task 5",
                                      ["ham", "spam"], "x5", "correct the answer")


def test_from_problems_lists_them_like_the_collector():
    found = [Problem("blank_id", "blank row id", where=errors.location("g.csv", 3, "row_id"))]
    err = GoldSetError.from_problems("gold set g", found)
    assert str(err) == "gold set g has 1 problem:\n  g.csv:3: column 'row_id': blank row id"
    assert err.problems == tuple(found)
