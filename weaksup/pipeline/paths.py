"""The paths a run reads and writes, and the rule between them: inputs are never outputs.

:func:`check_run_paths` resolves every path a run reads (the input, the gold set, the LF modules, the config)
and every path it writes (``output.path``, the run folder, the report), following symbolic links, and refuses
any overlap before anything is imported, read or written. :func:`check_export_path` holds a file written from a
finished run (a review export) to the same rule.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from weaksup._io import atomic_path, file_in_the_way
from weaksup.config import RunConfig
from weaksup.errors import ConfigError, DataError

class RunPath(NamedTuple):
    """A path a run reads or writes, resolved (symbolic links followed)."""

    key: str
    """The config key it comes from, e.g. ``input.path``."""
    path: Path
    folder: bool
    """Whether everything under ``path`` is read (or written) too."""


def lf_module_paths(config: RunConfig, spec: str) -> list[RunPath]:
    """The files an LF module is imported from, found without importing it (a dotted name is resolved
    by the finders the import uses; a package counts as its whole folder).

    Raises
    ------
    ConfigError
        When a module found through the project folder is, after following symbolic links, outside
        it (a dotted name is held to the rule ``.py`` paths are).
    """
    from weaksup.registry import find_module_spec

    key = f"lfs.modules ({spec!r})"
    if spec.endswith(".py") or "/" in spec or os.sep in spec:
        path = real_path(config.resolve(spec, "lfs.modules"), key, config)
        return [RunPath(key, path, False)] if path.is_file() else []
    try:
        found = find_module_spec(spec)
    except (ImportError, ValueError):
        return []  # the import itself reports it, naming the module
    if found is None:
        return []
    places = [(Path(found.origin), False)] if found.origin and found.has_location else []
    places += [(Path(p), True) for p in found.submodule_search_locations or []]
    root = Path(config.project)
    paths = []
    for place, folder in places:
        inside = Path(os.path.abspath(place)).is_relative_to(root)
        links = [place, *(_links_under(place) if folder and inside else [])]
        for link in links:
            real = real_path(link, key, config)
            if inside and not real.is_relative_to(root):
                raise ConfigError(
                    f"{config.source}: lfs.modules = {spec!r} is found at {link}, which leads (through a symbolic "
                    f"link) to {real}, outside the project folder {root}; LF modules are imported only from the "
                    "project folder: copy the code into it, or give the absolute path of its .py file")
        paths.append(RunPath(key, real_path(place, key, config), folder))
    return paths


def _links_under(folder: Path) -> list[Path]:
    """The symbolic links in package ``folder`` that an import could follow (to a module file or a subpackage
    folder), in the subpackages too (the folders an import walks into)."""
    from importlib.machinery import all_suffixes

    suffixes = tuple(all_suffixes())
    links = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.isfile(os.path.join(parent, d, "__init__.py"))]
        links += [Path(parent, name) for name in [*dirs, *files]
                  if os.path.islink(os.path.join(parent, name)) and (name in dirs or name.endswith(suffixes))]
    return links


def real_path(path: Path, key: str, config: RunConfig) -> Path:
    """``path`` with every symbolic link followed (``path`` need not exist).

    Raises
    ------
    ConfigError
        For a loop of symbolic links, naming the config key.
    """
    try:
        real = path.resolve()
        os.stat(real)
    except RuntimeError:  # Python < 3.13 raises this for a loop
        real, loop = path, True
    except OSError as exc:
        loop = exc.errno == errno.ELOOP
    else:
        loop = False
    if loop:
        raise ConfigError(f"{config.source}: {key}: {path} is a loop of symbolic links (a link that leads back to "
                          "itself); point it at a real file or folder")
    return real


def run_reads(config: RunConfig) -> list[RunPath]:
    """What the run reads: the input, the gold set folder, the LF modules and the config file."""
    if config.input.example:
        from weaksup.pipeline.inputs import example_of

        reads = [RunPath("input.example", real_path(f, "input.example", config), False)
                 for f in example_of(config).files]
    else:
        from weaksup.pipeline.inputs import input_read_paths  # (a glob pattern: each file it matches)

        paths = [real_path(p, "input.path", config) for p in input_read_paths(config)]
        reads = [RunPath("input.path", path, path.is_dir()) for path in paths]
    if config.gold.path:
        path = real_path(config.resolve(config.gold.path, "gold.path"), "gold.path", config)
        folder = path.parent if path.name == "manifest.json" else path
        reads.append(RunPath("gold.path", folder, True))
        reads += [RunPath("gold.path (a file its manifest names)", real_path(folder / name, "gold.path", config),
                          False) for name in _gold_files(folder / "manifest.json")]
    for spec in config.lfs.modules:
        reads += lf_module_paths(config, spec)
    if Path(config.source).is_file():
        reads.append(RunPath("the config", real_path(Path(config.source), "the config", config), False))
    return reads


def _gold_files(manifest: Path) -> list[str]:
    """The file names a gold manifest lists (in ``files``, in any version), read leniently: the gold set's
    loader reports a broken manifest."""
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            files = item.get("files")
            names += [f for f in files if isinstance(f, str)] if isinstance(files, list) else []
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return names


#: What a run writes in its run folder, besides ``output.path``.
RUN_FOLDER_FILES = ("run.json", "label_model.json", "votes", "clean")


def run_writes(config: RunConfig) -> list[RunPath]:
    """What the run writes: ``output.path``, the run folder (all of it is the run's) and the report."""
    writes = [RunPath("output.path", real_path(config.output_path, "output.path", config), False),
              RunPath("the run folder (the folder of output.path)",
                      real_path(config.output_dir, "output.path", config), True)]
    if config.output.report:
        key = "output.report_path" if config.output.report_path else "the report (report.html in the run folder)"
        writes.append(RunPath(key, real_path(config.report_path, key, config), False))
    return writes


def check_run_paths(config: RunConfig) -> None:
    """Inputs are never outputs: no path the run writes is, holds or lies inside a path it reads.

    Every path is compared after following symbolic links: ``output.path`` may not be the input, a gold
    file, an LF module or the config, nor lie inside a Parquet input folder or the gold set folder; the
    run folder (the folder of ``output.path``, which the run owns) may not hold anything the run reads;
    the report may not replace the labels or a file of the run folder.

    Raises
    ------
    ConfigError
        Naming both keys, both paths and the fix.
    """
    writes, reads = run_writes(config), run_reads(config)
    for w in writes:
        for r in reads:
            relation = _overlap(w, r)
            if relation:
                why = ("the run folder is the run's own (it writes votes/, label_model.json and run.json there, "
                       "and replaces them), so it may not hold what the run reads" if w.folder
                       else "the run would overwrite what it reads")
                fix = ("choose an output.report_path outside what the run reads (or drop it: report.html goes "
                       "in the run folder)" if "report" in w.key else
                       "give output.path a folder of its own that holds none of the run's inputs "
                       "(e.g. runs/<task>/labels.parquet)")
                raise ConfigError(f"{config.source}: {w.key} {w.path} {relation} {r.key} {r.path}: {why}; {fix}")
    for w in writes:
        if not w.folder and w.path.is_dir():
            raise ConfigError(f"{config.source}: {w.key} {w.path} is a folder; give the path of a file to write "
                              "(the folder is left as it is)")
    labels, folder = writes[0].path, writes[1].path
    if len(writes) > 2:
        report = writes[2]
        taken = [labels, *(folder / name for name in RUN_FOLDER_FILES)]
        if any(report.path == p or (p.name in ("votes", "clean") and report.path.is_relative_to(p)) for p in taken):
            raise ConfigError(f"{config.source}: {report.key} {report.path} would replace a file the run writes "
                              f"({labels.name}, {', '.join(RUN_FOLDER_FILES)} in {folder}); choose another report path")


def _overlap(write: RunPath, read: RunPath) -> str:
    """How ``write`` overlaps ``read`` (a phrase), or ``""``."""
    if write.path == read.path or (write.path.exists() and read.path.exists()
                                   and os.path.samefile(write.path, read.path)):
        return "is the same " + ("folder as" if read.folder else "file as")
    if read.folder and write.path.is_relative_to(read.path):
        return "lies inside the folder"
    if write.folder and read.path.is_relative_to(write.path):
        return "holds"
    return ""


def check_writable(folder: Path, config: RunConfig) -> None:
    """The run folder exists (it is created) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".weaksup-write-check") as tmp:
            tmp.write_bytes(b"")
        (folder / ".weaksup-write-check").unlink(missing_ok=True)  # a concurrent run may have removed it
    except OSError as exc:
        blocker = file_in_the_way(folder)
        fix = (f"{blocker} is a file, not a folder: move it, or change output.path in {config.source}"
               if blocker is not None else f"fix its permissions or change output.path in {config.source}")
        raise DataError(f"cannot write to the output folder {folder} ({exc.strerror or exc}); {fix}") from None


def check_export_path(config: RunConfig, out: Path, flag: str = "--out", *, config_file: str | None = None) -> None:
    """A file written from a finished run (``out``, e.g. a review export) replaces nothing the run reads (the
    input, a gold file, an LF module, the config: ``config_file``, relative to the project folder, when the
    config was read back from ``run.json``) or wrote (the labels, the report, ``run.json``, the votes); it may
    lie in the run folder (e.g. ``review/tasks.json``).

    Raises
    ------
    ConfigError
        Naming the flag, both paths and the fix.
    """
    target = RunPath(flag, Path(os.path.realpath(out)), False)
    writes = run_writes(config)
    folder = writes[1].path
    owned = [w for w in writes if not w.folder] + [RunPath(f"the run's {name}", folder / name, name in ("votes", "clean"))
                                                   for name in RUN_FOLDER_FILES]
    reads = run_reads(config)
    if config_file:
        reads.append(RunPath("the run's config", Path(os.path.realpath(Path(config.project or ".") / config_file)),
                             False))
    for other in [*reads, *owned]:
        relation = _overlap(target, other)
        if relation:
            raise ConfigError(f"{flag} {out} {relation} {other.key} {other.path}: writing it would destroy "
                              f"{'what the run reads' if other in reads else 'what the run wrote'}; "
                              f"choose another {flag} (e.g. {folder / 'review'}/...), or leave it out")
