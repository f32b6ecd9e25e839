"""Write LFs into a Python module that :meth:`~weaksup.Registry.from_modules` loads unchanged.

Each LF writes its own source (:meth:`~weaksup.lf.core.LabelingFunction.to_source`); this module
only puts the pieces together: the imports, the label space, the constants and helper functions the
LFs read, and the LFs themselves, checking that no two pieces claim one name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from weaksup._io import atomic_path
from weaksup.errors import LFDefinitionError
from weaksup.labels import LabelSpace
from weaksup.lf.core import LabelingFunction

logger = logging.getLogger(__name__)

__all__ = ["assemble_module", "export_module", "write_module"]

_DOC = ('"""Labeling functions exported from weaksup.\n\nLoad them with '
        "weaksup.Registry.from_modules(<this module>); edit them freely.\n\"\"\"\n")


def write_module(lfs: Iterable[LabelingFunction], label_space: LabelSpace | None = None, *,
                 model_dir: str = "models") -> str:
    """The source of a module defining ``lfs`` (same votes, same versions).

    Keyword, regex, threshold and lookup LFs are written as calls of their factories with the
    parameters that differ from the defaults; decorated LFs as their source code with the imports,
    constants and helper functions they read; a model-score LF holding a fitted model as a call loading
    it from ``MODELS``, the folder ``model_dir`` beside the module (:func:`export_module` writes the files
    there). Nothing is written when any LF cannot be: the
    :class:`~weaksup.errors.LFDefinitionError` lists every such LF with why and how to fix it.

    Parameters
    ----------
    lfs : iterable of LabelingFunction
    label_space : LabelSpace, optional
        Written as ``LABELS``; class ids are then written ``LABELS['name']``.
    model_dir : str, default "models"
        The folder, relative to the module's file, that fitted models are loaded from.

    Returns
    -------
    str
        The module's source (it compiles).

    Examples
    --------
    >>> from weaksup import keyword_lf, threshold_lf
    >>> print(write_module([keyword_lf("kw_sub", "subscribe", 1), threshold_lf("short", "n_words < 3", 0)],
    ...                    LabelSpace(["ham", "spam"])))
    \"\"\"Labeling functions exported from weaksup.
    <BLANKLINE>
    Load them with weaksup.Registry.from_modules(<this module>); edit them freely.
    \"\"\"
    <BLANKLINE>
    from weaksup import LabelSpace, keyword_lf, threshold_lf
    <BLANKLINE>
    LABELS = LabelSpace(['ham', 'spam'])
    <BLANKLINE>
    <BLANKLINE>
    kw_sub = keyword_lf('kw_sub', ['subscribe'], LABELS['spam'])
    <BLANKLINE>
    <BLANKLINE>
    short = threshold_lf('short', 'n_words < 3', LABELS['ham'])
    <BLANKLINE>
    """
    return assemble_module(lfs, label_space, model_dir=model_dir)[0]


def assemble_module(lfs: Iterable[LabelingFunction], label_space: LabelSpace | None = None, *,
                    model_dir: str = "models") -> tuple[str, dict[str, Callable[[Path], None]]]:
    """:func:`write_module`'s source, and the files it reads from ``model_dir`` (file name -> writer).

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> source, files = assemble_module([keyword_lf("kw_sub", "subscribe", 1)])
    >>> "kw_sub = keyword_lf('kw_sub', ['subscribe'], 1)" in source, files
    (True, {})
    """
    imports: dict[str, None] = {}
    definitions: dict[str, str] = {}
    artefacts: dict[str, Callable[[Path], None]] = {}
    helpers: dict[str, str] = {}
    blocks: list[str] = []
    names: dict[str, str] = {}
    problems: list[str] = []
    if label_space is not None:
        imports["from weaksup import LabelSpace"] = None
        definitions["LABELS"] = f"LABELS = LabelSpace({list(label_space)!r})"
    for lf in lfs:
        try:
            source = lf.to_source(label_space)
        except LFDefinitionError as exc:
            problems.append(str(exc))
            continue
        clash = [n for n, code in source.definitions.items() if definitions.get(n, code) != code]
        clash += [n for n, code in source.helpers.items() if helpers.get(n, code) != code]
        if clash:
            problems.append(f"LF {lf.name!r} reads {clash}, which another LF's module defined differently; "
                            "rename one")
            continue
        if source.var in names:
            problems.append(f"LFs {names[source.var]!r} and {lf.name!r} would both be written as {source.var!r}; "
                            "rename one of them")
        names[source.var] = lf.name
        if source.artefacts:
            imports["from pathlib import Path"] = None
            definitions.setdefault("MODELS", f"MODELS = Path(__file__).resolve().parent / {model_dir!r}")
            artefacts.update(source.artefacts)
        imports.update(dict.fromkeys(source.imports))
        definitions.update(source.definitions)
        helpers.update(source.helpers)
        blocks.append(source.code)
    clash = sorted(set(names) & (set(definitions) | set(helpers)))
    if clash:
        problems.append(f"names used both for LFs and for the globals they read: {clash}; rename them")
    if problems:
        raise LFDefinitionError("cannot export these LFs to a module:\n  - " + "\n  - ".join(problems))
    parts = [_DOC, import_lines(imports), ""]
    parts += list(definitions.values())
    parts += ["\n\n" + src.rstrip() for src in helpers.values()]
    parts += ["\n\n" + block.rstrip() for block in blocks]
    module = "\n".join(parts).rstrip() + "\n"
    compile(module, "<exported LFs>", "exec")  # a bug here must not write a broken module
    return module, artefacts


def export_module(
    lfs: Sequence[LabelingFunction],
    path: str | os.PathLike[str],
    *,
    label_space: LabelSpace | None = None,
    overwrite: bool = False,
) -> Path:
    """Write :func:`write_module` of ``lfs`` to a ``.py`` file (atomically), and return its path.

    The fitted models of model-score LFs are written first, to ``<module name>_models/<LF name>.skops``
    beside the module (a model loaded from a file is copied, joblib files keeping their pinned hash), and
    the module loads them by a path relative to its own file, so the folder can move with it.

    Raises :class:`~weaksup.errors.LFDefinitionError` for a path that is not a ``.py`` file and
    ``FileExistsError`` for an existing file (module or model) unless ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> from weaksup import Registry, keyword_lf
    >>> path = export_module([keyword_lf("kw_sub", "subscribe", 1)], Path(tempfile.mkdtemp()) / "mine.py")
    >>> Registry.from_modules(path)["kw_sub"].version == keyword_lf("kw_sub", "subscribe", 1).version
    True
    """
    path = Path(path)
    if path.suffix != ".py":
        raise LFDefinitionError(f"export writes a Python module: give a .py path, not {str(path)!r}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    model_dir = f"{path.stem}_models"
    source, artefacts = assemble_module(lfs, label_space, model_dir=model_dir)
    targets = {name: path.parent / model_dir / name for name in artefacts}
    existing = [str(t) for t in targets.values() if t.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing} exist; pass overwrite=True to replace them")
    for name, write in artefacts.items():
        with atomic_path(targets[name]) as tmp:
            write(tmp)
        logger.info("wrote model file %s", targets[name])
    with atomic_path(path) as tmp:
        tmp.write_text(source, encoding="utf-8")
    logger.info("wrote %d LFs to %s", len(lfs), path)
    return path


def import_lines(imports: Iterable[str]) -> str:
    """``import x`` lines first, then one ``from m import a, b`` line per module.

    Examples
    --------
    >>> print(import_lines(["from weaksup import regex_lf", "import re", "from weaksup import ABSTAIN"]))
    import re
    from weaksup import ABSTAIN, regex_lf
    """
    plain = sorted(i for i in imports if i.startswith("import "))
    grouped: dict[str, list[str]] = {}
    for line in imports:
        if line.startswith("from "):
            module, names = line[5:].split(" import ", 1)
            grouped.setdefault(module, []).append(names)
    froms = [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in sorted(grouped.items())]
    return "\n".join(plain + froms)
