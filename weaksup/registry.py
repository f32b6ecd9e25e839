"""The :class:`Registry`: labeling functions by name, discovered from user modules."""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib
import importlib.util
import logging
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from weaksup.errors import LFDefinitionError, UnknownLFError
from weaksup.labels import LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.lf.identity import short_hash
from weaksup.lf.snorkel import as_weaksup_lf, is_snorkel_lf, is_snorkel_sf
from weaksup.path_modules import folder_scope, parent_package, unique_name
from weaksup.validation import as_label_space, check_lf_labels, check_lf_names

logger = logging.getLogger(__name__)


class Registry(Mapping[str, LabelingFunction]):
    """Labeling functions keyed by name, in definition order.

    Parameters
    ----------
    lfs : iterable of LabelingFunction, optional
        The LFs; a repeated name is a :class:`~weaksup.errors.DuplicateLFError`.
    label_space : LabelSpace, optional
        The task's classes; :func:`~weaksup.apply_lfs` checks votes against it.

    Examples
    --------
    >>> from weaksup.lf import keyword_lf, regex_lf
    >>> reg = Registry([keyword_lf("kw_sub", "subscribe", 1, tags=["cta"]),
    ...                 regex_lf("re_link", r"https?://", 1)])
    >>> list(reg), list(reg.select(kind="regex"))
    (['kw_sub', 're_link'], ['re_link'])
    """

    def __init__(self, lfs: Iterable[LabelingFunction] = (), *, label_space: LabelSpace | None = None) -> None:
        self._lfs: dict[str, LabelingFunction] = {}
        self.label_space = None if label_space is None else as_label_space(label_space, where="Registry(label_space=)")
        for lf in lfs:
            self.register(lf)

    def register(self, lf: LabelingFunction) -> LabelingFunction:
        """Add an LF (a Snorkel LF is taken as it is, see :func:`~weaksup.lf.from_snorkel`); the same object twice
        is a no-op, another LF of the same name an error."""
        lf = as_weaksup_lf(lf)
        if not isinstance(lf, LabelingFunction):
            raise LFDefinitionError(
                f"only labeling functions can be registered (weaksup's, or Snorkel's "
                f"snorkel.labeling.LabelingFunction); got {type(lf).__module__}.{type(lf).__qualname__} {lf!r}. "
                "Decorate functions with @labeling_function or build them with a *_lf factory."
            )
        existing = self._lfs.get(lf.name)
        if existing is lf:
            return lf
        if existing is not None:
            check_lf_names([existing, lf])  # raises the DuplicateLFError naming both definitions
        check_lf_labels(lf, self.label_space)
        self._lfs[lf.name] = lf
        return lf

    def __getitem__(self, name: str) -> LabelingFunction:
        try:
            return self._lfs[name]
        except KeyError:
            close = difflib.get_close_matches(str(name), list(self._lfs), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownLFError(
                f"no labeling function named {name!r}{hint} The registry holds: {sorted(self._lfs)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._lfs)

    def __len__(self) -> int:
        return len(self._lfs)

    def __repr__(self) -> str:
        return f"Registry({len(self)} LFs: {list(self._lfs)[:6]}{'...' if len(self) > 6 else ''})"

    @property
    def lfs(self) -> list[LabelingFunction]:
        """The LFs in registration order."""
        return list(self._lfs.values())

    @property
    def rule_version(self) -> str:
        """A hash of every LF's ``name@version``: it changes whenever the LF set changes."""
        return short_hash(sorted(lf.lf_id for lf in self._lfs.values()))

    def select(
        self,
        *,
        tags: str | Iterable[str] | None = None,
        kind: str | Iterable[str] | None = None,
        names: Iterable[str] | None = None,
    ) -> Registry:
        """A registry with the LFs having any of ``tags``, of any of ``kind``, and/or among ``names``."""
        chosen = self.lfs
        if names is not None:
            wanted = list(names)
            for n in wanted:
                self[n]  # unknown names raise with suggestions
            chosen = [lf for lf in chosen if lf.name in set(wanted)]
        if tags is not None:
            tag_set = {tags} if isinstance(tags, str) else set(tags)
            chosen = [lf for lf in chosen if tag_set & set(lf.tags)]
        if kind is not None:
            kinds = {kind} if isinstance(kind, str) else set(kind)
            from weaksup.spans.lfs import SPAN_LF_KINDS  # spans import the LF core: load them only when asked

            known = {"keyword", "regex", "lookup", "model_score", "threshold", "generic", "spacy", "snorkel",
                     "prompt", *SPAN_LF_KINDS, *(lf.kind for lf in self.lfs)}
            unknown = kinds - known
            if unknown:
                raise LFDefinitionError(f"unknown LF kind(s) {sorted(unknown)}; kinds are {sorted(known)}")
            chosen = [lf for lf in chosen if lf.kind in kinds]
        return Registry(chosen, label_space=self.label_space)

    def manifest(self) -> list[dict[str, Any]]:
        """JSON-safe descriptions of every LF (for ``lf_manifest.json``)."""
        return [lf.manifest() for lf in self._lfs.values()]

    @classmethod
    def from_modules(cls, *modules: str | os.PathLike[str] | ModuleType,
                     import_timeout: float | None = None) -> Registry:
        """Import modules (dotted names, ``.py`` paths or packages) and collect their LFs.

        Module-level LabelingFunction objects, and lists/tuples of them, are collected in
        definition order, Snorkel's (``snorkel.labeling.LabelingFunction``, e.g. a module of
        ``@labeling_function()``s and ``nlp_labeling_function``s) as weaksup's; Snorkel's slicing functions
        (``@slicing_function()``, a kind of Snorkel LF) are skipped, and logged at INFO; submodules of a package are walked. A module-level
        :class:`LabelSpace` becomes the registry's label space. Dotted names are imported
        with the current folder on ``sys.path``, like ``python -m``; a ``.py`` path with its own folder first on
        ``sys.path`` (then last, once it is imported), like ``python path/to/lfs.py``, so that it imports its sibling
        helper modules: each folder its own (two folders' ``helpers.py`` are two modules, see
        :mod:`weaksup.path_modules`).

        A module that fails to import, calls ``sys.exit()`` or raises ``KeyboardInterrupt`` while
        it is imported is a :class:`~weaksup.errors.LFDefinitionError` naming it. ``import_timeout``
        (seconds) bounds each module's import when called from the main thread of a POSIX process
        with no other ``SIGALRM`` timer running (a ``SIGALRM`` interrupts Python code, such as an
        endless loop, but not a single long call into C code); otherwise there is no budget.

        Examples
        --------
        >>> reg = Registry.from_modules("labeling_functions.youtube_spam")  # doctest: +SKIP
        """
        registry = cls()
        spaces: dict[str, LabelSpace] = {}
        for spec in modules:
            with import_budget(import_timeout, spec):
                imported = _import_all(spec)
            held = 0
            for module in imported:
                slices: dict[str, None] = {}  # (Snorkel's slicing functions are LabelingFunctions: not LFs here)
                for attr, value in list(vars(module).items()):
                    if isinstance(value, LabelSpace) and not attr.startswith("_"):
                        spaces[f"{module.__name__}.{attr}"] = value
                    values = list(value) if isinstance(value, (list, tuple)) else [value]
                    slices.update((v.name, None) for v in values if is_snorkel_sf(v))
                    found = [v for v in values if _is_lf(v)]
                    for lf in found:
                        registry.register(lf)
                    held += len(found)
                if slices:
                    logger.info("LF module %s: skipped %d Snorkel slicing function(s), which are not labeling "
                                "functions: %s", getattr(module, "__file__", None) or module.__name__, len(slices), list(slices))
            if not held and len(modules) > 1:  # (one module alone: the error below names it)
                raise LFDefinitionError(f"LF module {str(spec)!r} holds no labeling functions; define LFs in it, or "
                                        "remove it from the list (lfs.modules in a run config)")
        distinct = set(spaces.values())
        if len(distinct) > 1:
            raise LFDefinitionError(
                "the LF modules define different label spaces: "
                + "; ".join(f"{where} = {list(s)}" for where, s in spaces.items())
            )
        if distinct:
            space = distinct.pop()
            checked = cls(label_space=space)
            for lf in registry.lfs:
                checked.register(lf)
            registry = checked
        if not registry:
            raise LFDefinitionError(f"no labeling functions found in {[str(m) for m in modules]}")
        logger.info("registry: %d LFs from %s", len(registry), [str(m) for m in modules])
        return registry


def _is_lf(value: Any) -> bool:
    return isinstance(value, LabelingFunction) or (is_snorkel_lf(value) and not is_snorkel_sf(value))


def _import_all(spec: str | os.PathLike[str] | ModuleType) -> list[ModuleType]:
    if isinstance(spec, ModuleType):
        module = spec
    elif str(spec).endswith(".py") or os.sep in str(spec) or isinstance(spec, os.PathLike):
        path = Path(spec).resolve()
        if not path.is_file():
            raise LFDefinitionError(f"LF module file {str(spec)!r} does not exist")
        name = unique_name(path)
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:  # e.g. a .csv or .toml given as an LF module
            raise LFDefinitionError(f"LF module file {str(spec)!r} is not a Python module (.py); give the .py file "
                                    "(or the dotted name) of your LFs")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # so that pickle (and joblib.hash) find the module's classes by their name
        setattr(parent_package(), name.rpartition(".")[2], module)
        try:
            with folder_scope(path.parent):
                _importing(repr(str(path)), lambda: module_spec.loader.exec_module(module))  # type: ignore[union-attr]
        except BaseException:
            sys.modules.pop(name, None)
            raise
    else:
        cwd = project_on_path()
        try:
            module = _importing(repr(str(spec)), lambda: importlib.import_module(str(spec)))
        except LFDefinitionError as exc:
            missing = exc.__cause__
            if isinstance(missing, ModuleNotFoundError) and missing.name and str(spec).startswith(missing.name):
                package = sys.modules.get(missing.name.rpartition(".")[0])  # imported, but not the one meant?
                other = (f"; the package {package.__name__!r} imported is {list(package.__path__)}, which lacks "
                         f"{missing.name.rpartition('.')[2]!r}: another package of that name comes first on sys.path "
                         "(give the .py path, or rename your package)" if package and hasattr(package, "__path__")
                         else "")
                raise LFDefinitionError(
                    f"LF module {str(spec)!r} not found (looked in {cwd} and sys.path){other}; "
                    "run from the project folder or pass a path to the .py file"
                ) from missing
            raise
    modules = [module]
    if hasattr(module, "__path__"):  # (walk_packages imports the subpackages to find their submodules)
        found = _importing(repr(module.__name__), lambda: list(
            pkgutil.walk_packages(module.__path__, prefix=module.__name__ + ".")))
        for info in found:
            modules.extend(_import_all(info.name) if not info.ispkg else
                           [_importing(repr(info.name), functools.partial(importlib.import_module, info.name))])
    return modules


def _importing(label: str, load: Callable[[], Any]) -> Any:
    """``load()``, with what an LF module can raise while it is imported turned into an
    :class:`LFDefinitionError` naming it (``label``), the original exception as its cause."""
    try:
        return load()
    except (LFDefinitionError, _ImportBudgetExceeded):
        raise
    except SystemExit as exc:
        raise LFDefinitionError(
            f"LF module {label} called sys.exit({exc.code!r}) while it was imported: an LF module only defines "
            "labeling functions; move script code under `if __name__ == \"__main__\":`"
            f"{_user_traceback(exc)}") from None
    except KeyboardInterrupt as exc:
        raise LFDefinitionError(
            f"importing LF module {label} was interrupted (KeyboardInterrupt: Ctrl-C, or raised by the module); "
            f"run again, or remove what raises it{_user_traceback(exc)}") from None
    except Exception as exc:
        raise LFDefinitionError(f"importing LF module {label} failed: {type(exc).__name__}: {exc}"
                                f"{_user_traceback(exc)}") from exc


def project_on_path() -> str:
    """Put the current folder (the project folder) first on ``sys.path`` if it is absent, as ``python -m``
    does, and return it: dotted LF module names are imported from there."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    return cwd


def find_module_spec(name: str) -> ModuleSpec | None:
    """Where the dotted module ``name`` would be imported from, found without running any code.

    :func:`importlib.util.find_spec` imports the parent packages of a dotted name (running their
    ``__init__.py``); this asks the same finders, in the same order, with the parents' search
    locations, so a caller can check a module's files before it is imported. An already imported
    module gives its own spec. The current folder is put on ``sys.path`` as for an import.

    Returns
    -------
    importlib.machinery.ModuleSpec or None
        None when no finder knows the name (the import would raise ``ModuleNotFoundError``).

    Examples
    --------
    >>> find_module_spec("weaksup.lf").submodule_search_locations is not None
    True
    >>> find_module_spec("no_such_module_here") is None
    True
    """
    project_on_path()
    if name in sys.modules:
        return getattr(sys.modules[name], "__spec__", None)
    parent, _, _ = name.rpartition(".")
    search: list[str] | None = None
    if parent:
        if parent in sys.modules:
            search = list(getattr(sys.modules[parent], "__path__", None) or [])
        else:
            parent_spec = find_module_spec(parent)
            search = list(parent_spec.submodule_search_locations or []) if parent_spec is not None else []
        if not search:
            return None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        found: ModuleSpec | None = find(name, search)
        if found is not None:
            return found
    return None


class _ImportBudgetExceeded(BaseException):
    """Raised inside an LF module's import when its time budget is spent (a ``BaseException``, so that
    the module's own ``except Exception`` cannot swallow it); :func:`import_budget` turns it into an
    :class:`LFDefinitionError`."""


@contextlib.contextmanager
def import_budget(seconds: float | None, spec: object) -> Iterator[None]:
    """Interrupt the import of LF module ``spec`` after ``seconds`` (see :meth:`Registry.from_modules`).

    Raises
    ------
    LFDefinitionError
        Naming the module and the budget when it is spent.
    """
    usable = (bool(seconds) and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise _ImportBudgetExceeded

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    except _ImportBudgetExceeded as exc:
        raise LFDefinitionError(
            f"importing LF module {str(spec)!r} took longer than its budget of {seconds:g} s "
            "(lfs.import_timeout): it may loop forever or wait on something; an LF module should only define "
            f"LFs (load large resources lazily), or raise lfs.import_timeout{_user_traceback(exc)}"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _user_traceback(exc: BaseException) -> str:
    """The traceback of an import failure without the import machinery's own frames."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "importlib" not in f.filename and not f.filename.startswith("<frozen")
              and Path(f.filename).parent != Path(__file__).parent]
    if not frames:  # e.g. a SyntaxError: its message already names the file and line
        return ""
    return "\nwhere it failed (most recent call last):\n" + "".join(traceback.format_list(frames)).rstrip()
