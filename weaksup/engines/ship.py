"""Shipping LF modules to an engine's workers: each module of a :class:`~weaksup.engines.batch.BatchSpec` sent
once (a ``.py`` path as a module of its file's name, a dotted name as its top-level package or module when that
is the project's own code), and content-named zips of them (:func:`archive`) for engines that ship archives.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp()); _ = (root / "my_lfs.py").write_text("LFS = []")
>>> zipfile.ZipFile(archive([root / "my_lfs.py"], "my_lfs")).namelist()
['my_lfs.py']
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from weaksup.engines.batch import BatchSpec
from weaksup.engines.dask import package_to_ship

logger = logging.getLogger(__name__)

#: Where module archives are kept (named by content: the same code is the same file).
SHIP_DIR = Path(tempfile.gettempdir()) / "weaksup-ship"


def ship_modules(spec: BatchSpec, shipped: dict[str, str], send: Callable[[Path], None], *,
                 where: str = "the workers") -> BatchSpec:
    """``spec`` with its LF modules as the workers import them, each sent by ``send(path)`` once (``shipped``
    remembers module spec -> the name the workers import it by): a ``.py`` path is sent and imported by its
    file's name; a dotted name's top-level package folder or module file is sent when it is the project's own
    code (:func:`~weaksup.engines.dask.package_to_ship`; weaksup and installed packages are not).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> config = RunConfig.from_dict({"task": {"name": "t", "labels": ["ham", "spam"]}, "input": {"path": "x.parquet"},
    ...     "lfs": {"modules": ["labeling_functions.youtube_spam"]}, "output": {"path": "out/labels.parquet"}})
    >>> sent = []
    >>> ship_modules(BatchSpec.from_config(config), {}, sent.append).modules, [p.name for p in sent]
    (('labeling_functions.youtube_spam',), ['labeling_functions'])
    """
    modules = []
    for module in spec.modules:
        if module not in shipped:
            if module.endswith(".py") or os.sep in module or "/" in module:
                send(Path(module))
                shipped[module] = Path(module).stem
                logger.info("shipped %s to %s", module, where)
            else:
                found = package_to_ship(module.split(".")[0], spec.config.project)
                if found is not None:
                    send(found)
                    logger.info("shipped %s (for %s) to %s", found, module, where)
                shipped[module] = module
        modules.append(shipped[module])
    return dataclasses.replace(spec, modules=tuple(modules))


def archive(paths: Sequence[Path], name: str) -> Path:
    """``paths`` (files and package folders) as a zip with each at its root, byte code left out, named by
    ``name`` and the content's hash under :data:`SHIP_DIR` (Spark ships a path once per session: changed code is
    a new name).

    Examples
    --------
    >>> root = Path(tempfile.mkdtemp()); (root / "pkg").mkdir(); _ = (root / "pkg" / "__init__.py").write_text("")
    >>> zipfile.ZipFile(archive([root / "pkg"], "pkg")).namelist()
    ['pkg/__init__.py']
    """
    members: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            members += [(p, str(Path(path.name) / p.relative_to(path))) for p in sorted(path.rglob("*"))
                        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        else:
            members.append((path, path.name))
    digest = hashlib.sha256()
    for file, member in members:
        digest.update(member.encode() + b"\x00" + file.read_bytes() + b"\x00")
    target = SHIP_DIR / f"{name}-{digest.hexdigest()[:16]}.zip"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as handle:
            for file, member in members:
                handle.write(file, member)
        os.replace(tmp, target)
    return target
