"""The :class:`Registry`: labeling functions by name, discovered from user modules."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import logging
import os
import pkgutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from weaksup.errors import LFDefinitionError, UnknownLFError
from weaksup.labels import LabelSpace
from weaksup.lf.core import LabelingFunction, short_hash
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
        """Add an LF; the same object twice is a no-op, another LF of the same name an error."""
        if not isinstance(lf, LabelingFunction):
            raise LFDefinitionError(
                f"only LabelingFunction objects can be registered; got {type(lf).__name__} {lf!r}. "
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
            known = {"keyword", "regex", "lookup", "model_score", "threshold", "generic", "spacy"}
            unknown = kinds - known
            if unknown:
                raise LFDefinitionError(f"unknown LF kind(s) {sorted(unknown)}; kinds are {sorted(known)}")
            chosen = [lf for lf in chosen if lf.kind in kinds]
        return Registry(chosen, label_space=self.label_space)

    def manifest(self) -> list[dict[str, Any]]:
        """JSON-safe descriptions of every LF (for ``lf_manifest.json``)."""
        return [lf.manifest() for lf in self._lfs.values()]

    @classmethod
    def from_modules(cls, *modules: str | os.PathLike[str] | ModuleType) -> Registry:
        """Import modules (dotted names, ``.py`` paths or packages) and collect their LFs.

        Module-level LabelingFunction objects, and lists/tuples of them, are collected in
        definition order; submodules of a package are walked. A module-level
        :class:`LabelSpace` becomes the registry's label space. Dotted names are imported
        with the current folder on ``sys.path``, like ``python -m``.

        Examples
        --------
        >>> reg = Registry.from_modules("labeling_functions.youtube_spam")  # doctest: +SKIP
        """
        registry = cls()
        spaces: dict[str, LabelSpace] = {}
        for spec in modules:
            for module in _import_all(spec):
                for attr, value in list(vars(module).items()):
                    if isinstance(value, LabelSpace) and not attr.startswith("_"):
                        spaces[f"{module.__name__}.{attr}"] = value
                    found = [value] if isinstance(value, LabelingFunction) else (
                        [v for v in value if isinstance(v, LabelingFunction)]
                        if isinstance(value, (list, tuple)) else []
                    )
                    for lf in found:
                        registry.register(lf)
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


def _import_all(spec: str | os.PathLike[str] | ModuleType) -> list[ModuleType]:
    if isinstance(spec, ModuleType):
        module = spec
    elif str(spec).endswith(".py") or os.sep in str(spec) or isinstance(spec, os.PathLike):
        path = Path(spec).resolve()
        if not path.is_file():
            raise LFDefinitionError(f"LF module file {str(spec)!r} does not exist")
        name = f"weaksup_user_lfs.{path.stem}_{short_hash(str(path))}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)  # type: ignore[union-attr]
        except Exception as exc:
            sys.modules.pop(name, None)
            raise LFDefinitionError(f"importing LF module {str(path)!r} failed: {type(exc).__name__}: {exc}"
                                    f"{_user_traceback(exc)}") from exc
    else:
        cwd = os.getcwd()
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
        try:
            module = importlib.import_module(str(spec))
        except ModuleNotFoundError as exc:
            if exc.name and str(spec).startswith(exc.name):
                raise LFDefinitionError(
                    f"LF module {str(spec)!r} not found (looked in {cwd} and sys.path); "
                    "run from the project folder or pass a path to the .py file"
                ) from exc
            raise LFDefinitionError(f"importing LF module {str(spec)!r} failed: {exc}") from exc
        except LFDefinitionError:
            raise
        except Exception as exc:
            raise LFDefinitionError(f"importing LF module {str(spec)!r} failed: {type(exc).__name__}: {exc}"
                                    f"{_user_traceback(exc)}") from exc
    modules = [module]
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, prefix=module.__name__ + "."):
            modules.extend(_import_all(info.name) if not info.ispkg else [importlib.import_module(info.name)])
    return modules


def _user_traceback(exc: BaseException) -> str:
    """The traceback of an import failure without the import machinery's own frames."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "importlib" not in f.filename and not f.filename.startswith("<frozen")
              and Path(f.filename).parent != Path(__file__).parent]
    if not frames:  # e.g. a SyntaxError: its message already names the file and line
        return ""
    return "\nwhere it failed (most recent call last):\n" + "".join(traceback.format_list(frames)).rstrip()
