"""LF modules given by file path: each imported under a name of its own, with the sibling modules of its folder.

``python path/to/lfs.py`` puts the module's folder first on ``sys.path``, so ``import helpers`` in it finds
``path/to/helpers.py``. Python keeps one module per name in ``sys.modules``, though: of two LF modules in two
folders that each hold a ``helpers.py``, the second would get the first one's. So a module of a folder (the LF
module, and the sibling modules it imports) is imported under a name unique to its file,
``weaksup_user_lfs.<stem>_<hash>`` (so pickle finds its classes and functions by name), and while an LF module of a
folder is imported, a sibling's plain name (``helpers``) means that folder's module. Afterwards the plain name keeps
the module first imported under it (an ``import helpers`` run later, inside a function, finds that one).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType

from weaksup.lf.identity import short_hash

#: The package the modules given by path (and their siblings) are imported into.
PARENT = "weaksup_user_lfs"
_PLAIN: dict[str, str] = {}  # unique name of a sibling module -> the plain name it was imported by


def unique_name(path: Path) -> str:
    """The name a module file is imported under: its stem and a hash of its path (a package: its folder's name).

    Examples
    --------
    >>> unique_name(Path("/work/a/helpers.py")) != unique_name(Path("/work/b/helpers.py"))
    True
    >>> unique_name(Path("/work/a/helpers.py")).startswith("weaksup_user_lfs.helpers_")
    True
    """
    stem = path.parent.name if path.name == "__init__.py" else path.stem
    return f"{PARENT}.{stem}_{short_hash(str(path))}"


def plain_name(module_name: str) -> str:
    """The name a sibling module was imported by (``helpers``), as a user's ``import`` writes it; any other
    module's name unchanged.

    Examples
    --------
    >>> plain_name("pandas")
    'pandas'
    """
    return _PLAIN.get(module_name, module_name)


def parent_package() -> ModuleType:
    """The ``weaksup_user_lfs`` package, created on first use (pickle and ``joblib.hash`` import it to find a
    module given by path)."""
    parent = sys.modules.setdefault(PARENT, ModuleType(PARENT))
    parent.__path__ = getattr(parent, "__path__", [])
    return parent


def _home(module: object) -> Path | None:
    """The folder a module given by path (or a sibling of one, or a submodule of such a sibling) was imported
    from; None for any other module."""
    name = getattr(module, "__name__", None)
    if not isinstance(name, str) or not name.startswith(PARENT + "."):
        return None
    file = getattr(sys.modules.get(".".join(name.split(".")[:2])), "__file__", None)
    if not file:
        return None
    path = Path(file)
    return path.parent.parent if path.name == "__init__.py" else path.parent


def _is_alias(name: str, module: object) -> bool:
    """True for a plain name (``helpers``) filed for a module imported under its unique name."""
    return getattr(module, "__name__", name) != name and _home(module) is not None


class _SiblingLoader(Loader):
    """Loads a sibling module under its unique name (reusing it when already imported); importlib files it under
    the plain name asked for."""

    def __init__(self, unique: ModuleSpec, plain: str) -> None:
        self.unique = unique
        self.plain = plain

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        # importlib leaves the attributes of a module a loader creates alone: it keeps its unique name and spec
        return sys.modules.get(self.unique.name) or importlib.util.module_from_spec(self.unique)

    def exec_module(self, module: ModuleType) -> None:
        if sys.modules.get(self.unique.name) is module:
            return  # imported before: the same module
        sys.modules[self.unique.name] = module
        _PLAIN[self.unique.name] = self.plain
        package, _, child = self.unique.name.rpartition(".")
        setattr(sys.modules[package], child, module)
        try:
            self.unique.loader.exec_module(module)  # type: ignore[union-attr]
        except BaseException:
            sys.modules.pop(self.unique.name, None)
            raise


class _FolderFinder(MetaPathFinder):
    """Finds a folder's Python source files by their plain names, while a module of that folder is imported."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        package, _, child = fullname.rpartition(".")
        parent = sys.modules.get(package) if package else None
        if path is None and not package:  # a top-level name: a sibling file?
            search = [str(self.folder)]
        elif path is not None and parent is not None and _is_alias(package, parent) and _home(parent) == self.folder:
            search = list(path)  # a submodule of a sibling package of this folder
        else:
            return None
        found = PathFinder.find_spec(fullname, search)
        if found is None or not found.origin or not found.origin.endswith(".py"):
            return None  # not a Python source file (a compiled module, a namespace folder): Python's own rules
        origin = Path(found.origin)
        unique = f"{parent.__name__}.{child}" if parent is not None else unique_name(origin)
        spec = importlib.util.spec_from_file_location(unique, origin,
                                                      submodule_search_locations=found.submodule_search_locations)
        if spec is None:  # pragma: no cover - a .py origin always has a source loader
            return None
        return ModuleSpec(fullname, _SiblingLoader(spec, fullname), origin=str(origin),
                          is_package=found.submodule_search_locations is not None)


@contextlib.contextmanager
def folder_scope(folder: Path) -> Iterator[None]:
    """While an LF module of ``folder`` is imported: the folder first on ``sys.path`` (then last, so that an import
    the LFs make later, inside a function, still finds it, while its files do not shadow the installed packages
    imported after it; a folder already on ``sys.path`` stays where it is), and its sibling modules found by their
    plain names before any other folder's of that name."""
    parent_package()
    hidden = {name: module for name, module in list(sys.modules.items())  # other folders' modules of these names
              if _is_alias(name, module) and _home(module) != folder and _sibling_exists(folder, name.partition(".")[0])}
    for name in hidden:
        del sys.modules[name]
    finder = _FolderFinder(folder)
    sys.meta_path.insert(0, finder)
    try:
        with _folder_on_path(folder):
            yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        sys.modules.update(hidden)


def _sibling_exists(folder: Path, name: str) -> bool:
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


@contextlib.contextmanager
def _folder_on_path(folder: Path) -> Iterator[None]:
    entry = str(folder)
    if entry in sys.path or os.path.abspath(entry) in map(os.path.abspath, filter(None, sys.path)):
        yield
        return
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
        sys.path.append(entry)
