"""``weaksup review push`` / ``pull`` of a multi-label run or gold set over the Label Studio API.

Push sends the tasks ``weaksup review export`` writes for a multi-label run (:func:`write_multilabel_push`: one
task per distinct text the run routed to review, its label set as the prediction, and a ``<Choices
choice="multiple">`` labeling config with the run's labels); pull (:func:`pull_if_multilabel`) takes the project's
JSON export into the next version of the multi-label gold set, as ``weaksup review import`` does
(:func:`weaksup.multilabel.review.import_if_multilabel`). A single-label run or gold set is left to the callers'
classification path (both return None / ``""`` for it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["check_multilabel_project", "multilabel_push_labels", "pull_if_multilabel", "write_multilabel_push"]


def multilabel_push_labels(run_dir: str | os.PathLike[str], *, given: dict[str, bool]) -> list[str] | None:
    """The labels of the multi-label run in ``run_dir`` (the classes its Label Studio project must have), None for
    another run; ``given`` (flag -> whether it was given) names the classification queue options ``push`` got, which a
    multi-label run refuses (:func:`~weaksup.review.targets.check_export_options`).

    Examples
    --------
    >>> multilabel_push_labels("no/such/run", given={"--order": True}) is None
    True
    """
    from weaksup.multilabel.review import is_multilabel_run
    from weaksup.pipeline.folder import read_manifest
    from weaksup.review.targets import check_export_options

    if not is_multilabel_run(run_dir):
        return None
    check_export_options(Path(run_dir), [], None, given)
    task = ((read_manifest(Path(run_dir) / "run.json").get("config") or {}).get("task") or {})
    return [str(x) for x in task.get("labels") or []]


def write_multilabel_push(run_dir: str | os.PathLike[str], *, budget: int | None, fields: Sequence[str],
                          mask: bool | None) -> tuple[str, Path, str]:
    """Write the review tasks of the multi-label run in ``run_dir`` to ``RUN_DIR/review/tasks.json`` with the
    labeling config beside them, as ``weaksup review export`` does; returns the run's rule version, the tasks file
    and what to print about them."""
    from weaksup.multilabel.review import export_if_multilabel
    from weaksup.pipeline.folder import read_manifest

    message = export_if_multilabel(run_dir, budget=budget, fields=fields, mask=mask)
    rule_version = str(read_manifest(Path(run_dir) / "run.json").get("rule_version", ""))
    return rule_version, Path(run_dir) / "review" / "tasks.json", message


def check_multilabel_project(project: dict[str, Any], labels: Sequence[str], url: str, *, fix: str,
                             from_name: str = "label") -> None:
    """The project's ``<Choices name=from_name>`` is a multi-choice one (``choice="multiple"``) with ``labels``, in
    order (:func:`~weaksup.review.labelstudio_api.check_project_classes`); else a
    :class:`~weaksup.errors.ReviewError` naming the project, what differs and ``fix``.

    Examples
    --------
    >>> config = '<Choices name="label" toName="text" choice="multiple"><Choice value="a"/></Choices>'
    >>> project = {"id": 3, "title": "t", "label_config": config,
    ...            "parsed_label_config": {"label": {"type": "Choices", "labels": ["a"]}}}
    >>> check_multilabel_project(project, ["a"], "http://127.0.0.1:8080", fix="push to another --project")
    >>> project["label_config"] = config.replace(' choice="multiple"', "")
    >>> check_multilabel_project(project, ["a"], "http://127.0.0.1:8080", fix="push to another --project")
    Traceback (most recent call last):
    weaksup.errors.ReviewError: project 3 't' at http://127.0.0.1:8080 takes one label per task (its <Choices \
name='label'> is not choice="multiple"), but the run is multi-label; push to another --project
    """
    import re

    from weaksup.errors import ReviewError
    from weaksup.review.labelstudio_api import check_project_classes

    check_project_classes(project, labels, url, fix=fix, from_name=from_name)
    tags = re.findall(r"<Choices\b[^>]*>", str(project.get("label_config") or ""))
    tag = next((t for t in tags if re.search(rf"\bname=[\"']{re.escape(from_name)}[\"']", t)), "")
    if not re.search(r"\bchoice=[\"']multiple[\"']", tag):
        raise ReviewError(f"project {project.get('id')} {project.get('title')!r} at {url} takes one label per task "
                          f"(its <Choices name={from_name!r}> is not choice=\"multiple\"), but the run is multi-label; "
                          f"{fix}")


def pull_if_multilabel(api: Any, project: dict[str, Any], *, task: str, gold_dir: Path | None,
                       run_dir: Path | None, config: Path | None, split: str, on_conflict: str, from_name: str,
                       save: Path | None) -> str:
    """``weaksup review pull`` into a multi-label gold set (``--run``'s task is multi-label, or the task's gold set
    is): checks the project's classes, imports its JSON export as the next gold version and returns what to print;
    ``""`` for a classification run or gold set (nothing is read from the server then).

    Messages about the export name ``project N at URL``, not the temporary file it was pulled into.
    """
    from weaksup.multilabel.gold import is_multilabel_gold, load_multilabel_gold
    from weaksup.multilabel.review import import_if_multilabel, is_multilabel_run
    from weaksup.review.labelstudio_api import import_project_export
    from weaksup.review.targets import check_import_target, gold_folder

    if run_dir is not None and config is not None:  # refused by the classification path, which names both
        return ""
    cfg: Any = None
    if run_dir is not None and is_multilabel_run(run_dir):  # the gold set the run reads (as `import --run`)
        from weaksup.pipeline import load_run

        cfg, source = load_run(run_dir, verify=False).config, f"the run {run_dir} (its run.json)"
    elif config is not None:
        from weaksup.config import load_config

        cfg, source = load_config(config), f"--config {config}"
    folder = gold_dir
    if cfg is not None and cfg.task.type == "multilabel":
        folder = gold_folder(task, gold_dir, cfg, source, config)[0]
        labels = list(cfg.task.labels)
    elif is_multilabel_gold(folder if folder is not None else Path("gold_sets") / task):
        labels = list(load_multilabel_gold(folder if folder is not None else Path("gold_sets") / task).space.labels)
    else:
        return ""
    check_import_target(task, gold_dir, run_dir, config)
    pid = int(project["id"])
    check_multilabel_project(project, labels, api.url, from_name=from_name, fix=(
        f"pull the project pushed from task {task!r}'s multi-label run (`weaksup review push` names it), or check "
        "--task, --run and --gold-dir"))
    return import_project_export(api, pid, save, lambda file: import_if_multilabel(
        file, task=task, gold_dir=folder, run_dir=run_dir, split=split, from_name=from_name, on_conflict=on_conflict,
        format="labelstudio", config=config, url=api.url))  # annotators by e-mail, from its users
