"""``weaksup review push`` / ``pull`` of a spans run or span gold set over the Label Studio API.

Push sends the NER tasks ``weaksup review export`` writes for a spans run (:func:`write_spans_push`: one task per
distinct text the run routed to review or with no span at all, its spans as scored predictions, and a ``<Labels>``
on ``<Text>`` labeling config with the run's entity types); pull (:func:`pull_if_spans`) takes the project's JSON export into the next
version of the span gold set, as ``weaksup review import`` does (:func:`weaksup.spans.review.import_if_spans`). A
run or gold set of another task type is left to the callers' other paths (both return None / ``""`` for it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weaksup.errors import ReviewError

__all__ = ["check_spans_project", "is_spans_run", "pull_if_spans", "spans_push_types", "write_spans_push"]


def is_spans_run(run_dir: str | os.PathLike[str]) -> bool:
    """Whether ``run_dir`` holds a run of a ``spans`` task (its ``run.json``).

    Examples
    --------
    >>> is_spans_run("no/such/run")
    False
    """
    from weaksup.pipeline.folder import read_manifest

    return (Path(run_dir) / "run.json").is_file() and read_manifest(Path(run_dir) / "run.json").get(
        "task_type") == "spans"


def spans_push_types(run_dir: str | os.PathLike[str], *, given: dict[str, bool], fields: Sequence[str],
                     mask: bool | None) -> list[str] | None:
    """The entity types of the spans run in ``run_dir`` (the labels its Label Studio project must have), None for
    another run. The options a spans review cannot honour are refused, as by ``weaksup review export``
    (:func:`~weaksup.review.targets.check_export_options`): ``given`` (flag -> whether it was given) names the
    classification queue options ``push`` got; ``--field`` and masking the text are refused too.

    Examples
    --------
    >>> spans_push_types("no/such/run", given={"--order": True}, fields=[], mask=None) is None
    True
    """
    from weaksup.pipeline.folder import read_manifest
    from weaksup.review.targets import check_export_options

    if not is_spans_run(run_dir):
        return None
    check_export_options(Path(run_dir), list(fields), mask, given)
    return [str(t) for t in read_manifest(Path(run_dir) / "run.json").get("label_space") or []]


def write_spans_push(run_dir: str | os.PathLike[str], *, budget: int | None) -> tuple[str, Path, str]:
    """Write the review tasks of the spans run in ``run_dir`` to ``RUN_DIR/review/tasks.json`` with the labeling
    config beside them, as ``weaksup review export`` does; returns the run's rule version, the tasks file and what
    to print about them."""
    from weaksup.pipeline.folder import read_manifest
    from weaksup.spans.review import export_if_spans

    message = export_if_spans(run_dir, budget=budget)
    rule_version = str(read_manifest(Path(run_dir) / "run.json").get("rule_version", ""))
    return rule_version, Path(run_dir) / "review" / "tasks.json", message


def check_spans_project(project: dict[str, Any], types: Sequence[str], url: str, *, fix: str,
                        from_name: str = "label") -> None:
    """The project's control tag ``from_name`` is a ``<Labels>`` (spans on the text) with the entity ``types``, in
    order; else a :class:`~weaksup.errors.ReviewError` naming the project, what differs and ``fix``.

    Examples
    --------
    >>> project = {"id": 4, "title": "ner", "parsed_label_config": {"label": {"type": "Labels",
    ...                                                                      "labels": ["Chemical", "Disease"]}}}
    >>> check_spans_project(project, ["Chemical", "Disease"], "http://127.0.0.1:8080", fix="use another project")
    >>> project["parsed_label_config"]["label"]["type"] = "Choices"
    >>> check_spans_project(project, ["Chemical", "Disease"], "http://127.0.0.1:8080", fix="use another project")
    Traceback (most recent call last):
    weaksup.errors.ReviewError: project 4 'ner' at http://127.0.0.1:8080 has no <Labels name='label'> tag (its \
control tags: {'label': 'Choices'}), but the run labels spans (entity types ['Chemical', 'Disease']); use another \
project
    """
    tags = project.get("parsed_label_config") or {}
    tag = tags.get(from_name)
    where = f"project {project.get('id')} {project.get('title')!r} at {url}"
    if not isinstance(tag, dict) or tag.get("type") != "Labels":
        kinds = {str(k): str(v.get("type")) for k, v in tags.items() if isinstance(v, dict)}
        raise ReviewError(f"{where} has no <Labels name={from_name!r}> tag (its control tags: {kinds}), but the run "
                          f"labels spans (entity types {list(types)}); {fix}")
    labels = [str(x) for x in tag.get("labels") or []]
    if labels != list(types):
        raise ReviewError(f"{where} labels spans as {labels}, but the run's entity types are {list(types)}; {fix}")


def pull_if_spans(api: Any, project: dict[str, Any], *, task: str, gold_dir: Path | None, run_dir: Path | None,
                  config: Path | None, split: str, from_name: str, save: Path | None, **_: Any) -> str:
    """``weaksup review pull`` into a span gold set (``--run`` is a spans run, or the task's gold set is a span
    one): checks the project's entity types, imports its JSON export as the next gold version (annotators by
    e-mail, from the server's users) and returns what to print; ``""`` for another run or gold set (nothing is
    read from the server then). Keywords of the other pulls (``on_conflict``) are taken and not used: the
    annotators of a document decide its spans by majority."""
    from weaksup.review.labelstudio_api import import_project_export, user_emails
    from weaksup.review.targets import check_import_target, gold_folder
    from weaksup.spans.gold import is_span_gold, load_span_gold
    from weaksup.spans.review import import_if_spans

    if run_dir is not None and config is not None:  # refused by the classification path, which names both
        return ""
    folder = gold_dir if gold_dir is not None else Path("gold_sets") / task
    spans_run = run_dir is not None and is_spans_run(run_dir)
    if run_dir is not None and spans_run:  # the gold set the run reads (as `import --run`)
        from weaksup.pipeline import load_run

        cfg = load_run(run_dir, verify=False).config
        folder = gold_folder(task, gold_dir, cfg, f"the run {run_dir} (its run.json)", None)[0]
    if not is_span_gold(folder):
        if spans_run:
            raise ReviewError(f"{folder} is not a span gold set (no manifest.json with \"type\": \"spans\"), but "
                              f"--run {run_dir} is a spans run; write its first version with "
                              "weaksup.spans.gold.write_span_gold, or point the run's [gold] path at its span gold set")
        return ""
    check_import_target(task, gold_dir, run_dir, config)
    types = list(load_span_gold(folder).types)
    check_spans_project(project, types, api.url, from_name=from_name, fix=(
        f"pull the project pushed from task {task!r}'s spans run (`weaksup review push` names it), or check --task, "
        "--run and --gold-dir"))
    emails = user_emails(api)
    return import_project_export(api, int(project["id"]), save, lambda file: import_if_spans(
        file, task=task, gold_dir=folder, run_dir=run_dir, split=split, from_name=from_name, format="labelstudio",
        others=["--config"] if config is not None else [], annotators={str(k): v for k, v in emails.items()}))
