"""What a review export or import may do for the task type of the run or gold set it works on (classification,
multi-label, spans): the checks ``weaksup review export`` and ``weaksup review import`` run before anything is
read or written."""

from __future__ import annotations

import difflib

from pathlib import Path
from typing import Any

from weaksup.errors import ReviewError

__all__ = ["check_export_options", "check_import_target", "config_row_ids", "gold_folder"]


def check_export_options(run_dir: Path, field: list[str], mask: bool | None, given: dict[str, bool]) -> None:
    """The queue options of a classification review are refused for a multi-label or spans run (its queue is
    the rows the run routed to review), and a spans run's text, which its spans are offsets into, is never
    masked: an export that would show text marked sensitive is refused."""
    from weaksup.pipeline.folder import read_manifest

    manifest = read_manifest(run_dir / "run.json")
    kind = manifest.get("task_type")
    if kind not in ("multilabel", "spans"):
        return
    flags = [flag for flag, used in given.items() if used]
    if flags:
        setting = "[task] review_margin" if kind == "multilabel" else "review.threshold"  # what routes its rows
        raise ReviewError(f"{', '.join(flags)}: options of a classification review queue; a {kind} run's queue is "
                          f"the rows it routed to review (change {setting} in the config and run again); drop "
                          "them, or keep --budget and --out")
    if kind != "spans":
        return
    text_column = ((manifest.get("config") or {}).get("input") or {}).get("text_column") or "text"
    sensitive = ((manifest.get("config") or {}).get("review") or {}).get("sensitive_fields") or []
    if field:
        raise ReviewError(f"--field {' '.join(field)}: a spans review shows the document text only; drop --field")
    if mask or (mask is None and text_column in sensitive):
        why = "--mask" if mask else f"review.sensitive_fields holds the text column {text_column!r}"
        raise ReviewError(f"{why}: a spans review cannot mask the text, since its spans are character offsets into "
                          "it; export to a Label Studio you trust with the text with --no-mask, or remove the text "
                          "column from review.sensitive_fields")


def check_import_target(task: str, gold_dir: Path | None, run_dir: Path | None, config: Path | None = None) -> None:
    """``--task`` names the task of the gold set (when it exists) and of ``--run``: answers never go into
    another task's gold set, which would also be renamed. A ``--task`` close to the name of another folder of
    ``gold_sets/`` is taken for a typo only when ``gold_sets/TASK`` is the folder the import would write: neither
    ``--gold-dir`` nor ``--run``/``--config`` (whose ``gold.path`` decides) chose it."""
    from weaksup.pipeline.folder import read_manifest

    folder = gold_dir or Path("gold_sets") / task
    package = Path(__file__).resolve().parent.parent
    if folder.resolve().is_relative_to(package):  # the repository's gold_sets/ links to the shipped examples'
        raise ReviewError(f"the gold set {folder} is a shipped example's, inside the weaksup package "
                          f"({folder.resolve()}): answers imported there would change what `weaksup init` and "
                          "`weaksup demo` copy. Start a project (weaksup init DIR) and import there, or give "
                          "--gold-dir a folder of your own")
    chosen = gold_dir is not None or run_dir is not None or config is not None
    if not chosen and not folder.exists() and folder.parent.is_dir():  # a new gold set, or a typo?
        close = difflib.get_close_matches(task, [p.name for p in folder.parent.iterdir() if p.is_dir()], n=1)
        if close:
            raise ReviewError(f"--task {task!r}: there is no gold set {folder}, but there is {folder.parent / close[0]}; "
                              f"did you mean --task {close[0]}? To start a new gold set for {task!r}, give "
                              f"--gold-dir {folder}")
    gold_task = read_manifest(folder / "manifest.json").get("task")
    if gold_task not in (None, task):
        raise ReviewError(f"the gold set in {folder} is for task {gold_task!r}, not {task!r}; check --task and "
                          "--gold-dir")
    if run_dir is not None:
        run_task = ((read_manifest(run_dir / "run.json").get("config") or {}).get("task") or {}).get("name")
        if run_task not in (None, task):
            raise ReviewError(f"--run {run_dir} is a run of task {run_task!r}, not {task!r}")


def config_row_ids(config_file: Path, task: str) -> tuple[list[str], list[str]]:
    """The row ids of the data a run config reads (``weaksup review import --config``), and its classes (empty when
    the config leaves them to the LF modules): what an import checks the answers' row ids against without a run."""
    from weaksup.config import load_config
    from weaksup.pipeline.inputs import read_chunks

    config = load_config(config_file)
    if config.task.name != task:
        raise ReviewError(f"--config {config_file} is the config of task {config.task.name!r}, not {task!r}")
    if config.task.unit != "row":
        raise ReviewError(f"--config {config_file} labels {config.task.unit}s, not input rows: give --run RUN_DIR (the "
                          "run's labelled items) to check the row ids")
    column = config.input.id_column
    ids = [str(v) for chunk in read_chunks(config, [column]) for v in chunk[column].tolist()]
    return ids, list(config.task.labels)


def gold_folder(task: str, gold_dir: Path | None, cfg: Any, source: str, config_file: Any) -> tuple[Path, str]:
    """The gold set folder an import writes, and what to tell about using it: without ``--gold-dir``, the
    ``gold.path`` of ``cfg`` (``--run``'s config, as its run.json records it, or ``--config``'s), resolved as the
    run resolves it; else ``gold_sets/TASK``. A ``--gold-dir`` other than that ``gold.path`` is refused."""
    used = cfg.resolve(cfg.gold.path, "gold.path") if cfg is not None and cfg.gold.path else None
    if used is not None and gold_dir is not None and Path(gold_dir).resolve() != used.resolve():
        raise ReviewError(f"--gold-dir {gold_dir} is not the gold set {source} uses (gold.path = {cfg.gold.path!r}: "
                          f"{used}); drop --gold-dir to import into {used}, or set [gold] path to {gold_dir} in the "
                          "config and run again")
    folder = Path(gold_dir) if gold_dir is not None else used or Path("gold_sets") / task
    if used is not None:
        return folder, f"re-run to use it: weaksup run {config_file or 'CONFIG'} (its gold.path is this gold set)"
    if cfg is not None:
        return folder, (f"{source} has no gold.path, so its runs do not read this gold set: set [gold] path = "
                        f"\"{folder}\" in the config and run again")
    return folder, (f"a run reads it when its config's [gold] path is {folder} (--run or --config checks that and "
                    "imports into the run's gold set)")
