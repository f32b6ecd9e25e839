"""``weaksup review``: export a run's review queue, import the answers as a new gold-set version."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from weaksup._io import readable
from weaksup.errors import ReviewError
from weaksup.review.privacy import check_run_sensitive_fields
from weaksup.review.labelstudio_api import TOKEN_ENV
from weaksup.review.targets import check_export_options, check_import_target, config_row_ids, gold_folder

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

logger = logging.getLogger(__name__)

review_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Human review: send uncertain rows to Label Studio (or a CSV sheet), take answers back "
                              "as gold.")

_IMPORT_FORMATS = ("auto", "labelstudio", "labelstudio-min", "labelstudio-csv", "csv")


def _class_thresholds(values: list[str]) -> dict[str, float]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ReviewError(f"--class-threshold takes CLASS=NUMBER, e.g. --class-threshold spam=0.95; got {item!r}")
    return out


def _label_model_opinion(run: Any, labels: pd.DataFrame) -> np.ndarray | None:
    """The run's label model's class probabilities, aligned with ``labels``, when an end model labelled rows.

    None when every label is the label model's (nothing to disagree with) or the run kept no votes or model.
    """
    import numpy as np
    import pandas as pd

    from weaksup.errors import WeakSupError

    if "label_source" not in labels or not (labels["label_source"] == "end_model").any():
        return None
    try:
        votes = run.votes()
        proba = run.model().predict_proba(votes.values)
    except (WeakSupError, OSError) as exc:
        logger.warning("no label model vs end model disagreement in the queue: %s", exc)
        return None
    index = pd.Index(np.asarray(votes.row_ids).astype(str))
    where = index.get_indexer(labels["row_id"].astype(str))
    if (where < 0).any():
        logger.warning("the run's votes lack %d labelled row(s); no disagreement reason in the queue",
                       int((where < 0).sum()))
        return None
    out: np.ndarray = np.asarray(proba, dtype=np.float64)[where]
    return out


def _queue_options(budget: int | None, threshold: float | None, class_threshold: list[str],
                   conflict_threshold: float | None, method: str, order: str, weights: str, clusters: int,
                   disagreement: bool, diversity: float, seed: int, field: list[str]) -> dict[str, Any]:
    return {"budget": budget, "threshold": threshold, "class_thresholds": _class_thresholds(class_threshold) or None,
            "conflict_threshold": conflict_threshold, "method": method, "order": order, "weights": weights,
            "n_clusters": clusters, "disagreement": disagreement, "diversity": diversity, "seed": seed,
            "fields": field}


def _write_queue(run_dir: Path, format: str, out: Path | None, mask: bool | None,
                 options: dict[str, Any]) -> tuple[Any, str, Path]:
    """Build the review queue of a run and write it; returns the run, its rule version and the file written."""
    from weaksup.pipeline import load_run
    from weaksup.review.queue import EXPORT_FORMATS, export_queue, queue_summary, review_queue

    if format not in EXPORT_FORMATS:
        raise ReviewError(f"unknown --format {format!r}; choose one of {list(EXPORT_FORMATS)}")
    with readable("RUN_DIR (or re-run into it)", ReviewError):  # a file of the run without read permission
        run = load_run(run_dir)
    cfg = run.config
    review = cfg.review
    id_column, text_column = cfg.input.id_column, review.media_column if review.media else cfg.input.text_column
    if not text_column:
        raise ReviewError(f"the run's config ({run_dir}/run.json) has no input.text_column; review tasks show each "
                          "row's text (set input.text_column; or [review] media = \"image\"/\"audio\" and media_column "
                          "for files, or media = \"series\" to plot each item's neighbourhood; in the config and re-run)")
    labels = run.labels
    data = run.read_input()
    check_run_sensitive_fields(review.sensitive_fields, data.columns, run_dir=run_dir)
    data = data.rename(columns={id_column: "row_id"}) if id_column != "row_id" else data
    options = dict(options)
    disagreement = options.pop("disagreement")
    queue = review_queue(labels, data, run.label_space, text_column=text_column, policy=review.policy,
                         compare=_label_model_opinion(run, labels) if disagreement else None, gold=run.gold,
                         **options)
    rule_version = str(labels["rule_version"].iloc[0]) if "rule_version" in labels and len(labels) else ""
    out = out or Path(run_dir) / "review" / ("tasks.json" if format == "labelstudio" else "review.csv")
    if review.media == "series" and format == "labelstudio":  # <TimeSeries> tasks (weaksup.review.labelstudio_series)
        from weaksup.review.labelstudio_series import export_run_series

        exported = export_run_series(cfg, queue, data, out, run.label_space, rule_version, options["fields"], mask)
    elif review.media and format == "labelstudio":  # <Image>/<Audio> tasks (weaksup.review.labelstudio_media)
        from weaksup.review.labelstudio_media import export_run_media

        exported = export_run_media(cfg, queue, out, run.label_space, rule_version, options["fields"], mask)
    else:
        exported = export_queue(queue, out, format=format, label_space=run.label_space, model_version=rule_version,
                                text_column=text_column, fields=options["fields"],
                                sensitive_fields=review.sensitive_fields, mask=mask,
                                escape_formulas=cfg.output.escape_formulas)
    reasons = queue["review_reason"].value_counts().to_dict() if len(queue) else {}
    typer.echo(f"{queue_summary(queue)} (run {run_dir}, {len(labels):,} rows); reasons: "
               + (", ".join(f"{k} {v}" for k, v in reasons.items()) or "none"))
    typer.echo(exported.summary())
    return run, rule_version, out


@review_app.command("export")
def export(
    run_dir: Path = typer.Argument(..., help="A run folder written by `weaksup run` (the folder of its output path)."),
    format: str = typer.Option("labelstudio", "--format", "-f", help="labelstudio (tasks JSON + labeling config) or "
                                                                     "csv (a sheet to fill in)."),
    budget: int = typer.Option(None, "--budget", "-n", min=0, help="Export the N most informative rows (default: all "
                                                                   "routed rows)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output file; default RUN_DIR/review/tasks.json or review.csv."),
    threshold: float = typer.Option(None, help="Confidence under which a row is routed (default: the run's "
                                               "review.threshold)."),
    class_threshold: list[str] = typer.Option([], "--class-threshold", metavar="CLASS=NUMBER",
                                              help="A class's own threshold (repeatable; default: the run's)."),
    conflict_threshold: float = typer.Option(None, help="Route rows where more than this share of votes disagree "
                                                        "with the label (default: the run's)."),
    method: str = typer.Option("entropy", help="Uncertainty: entropy, margin or least_confidence."),
    order: str = typer.Option("mixed", help="mixed (share the budget between rows without votes by text cluster, "
                                            "LF conflicts and low-margin rows) or uncertainty (by uncertainty "
                                            "alone)."),
    weights: str = typer.Option("sqrt", help="How the mixed order splits the budget between reasons: sqrt, count "
                                             "or equal (of each reason's number of rows)."),
    clusters: int = typer.Option(8, min=1, help="Text clusters of the rows without votes (mixed order)."),
    disagreement: bool = typer.Option(True, "--disagreement/--no-disagreement",
                                      help="Queue rows where the run's label model names another class than the "
                                           "final label (when an end model labels rows; needs the run's votes)."),
    diversity: float = typer.Option(0.3, help="Weight of novelty against uncertainty in the order (0 to 1)."),
    seed: int = typer.Option(0, help="Breaks ties in the order."),
    field: list[str] = typer.Option([], "--field", help="Another input column to show reviewers (repeatable)."),
    mask: bool = typer.Option(None, "--mask/--no-mask", help="Mask e-mails, phone and card numbers in the text even "
                                                             "if not marked sensitive / mask nothing. Default: mask "
                                                             "the config's review.sensitive_fields."),
) -> None:
    """Write the review queue of a run: routed rows, most informative first, as Label Studio tasks or a CSV sheet."""
    if out is not None:  # never over the input, a gold file, an LF module or the run's own outputs
        from weaksup.pipeline import load_run
        from weaksup.pipeline.paths import check_export_path

        finished = load_run(run_dir)
        check_export_path(finished.config, out, config_file=finished.manifest.get("config_source"))
    check_export_options(run_dir, field, mask, {
        "--threshold": threshold is not None, "--class-threshold": bool(class_threshold),
        "--conflict-threshold": conflict_threshold is not None, "--method": method != "entropy",
        "--order": order != "mixed", "--weights": weights != "sqrt", "--clusters": clusters != 8,
        "--no-disagreement": not disagreement, "--diversity": diversity != 0.3, "--seed": seed != 0})
    from weaksup.multilabel.review import export_if_multilabel  # a multi-label run: multi-choice tasks

    if message := export_if_multilabel(run_dir, out=out, budget=budget, fields=field, mask=mask, format=format):
        return typer.echo(message)
    from weaksup.spans.review import export_if_spans  # a spans run: NER tasks

    if message := export_if_spans(run_dir, out=out, budget=budget, format=format):
        return typer.echo(message)
    _write_queue(run_dir, format, out, mask, _queue_options(budget, threshold, class_threshold, conflict_threshold,
                                                            method, order, weights, clusters, disagreement,
                                                            diversity, seed, field))


def _gold_target(task: str, gold_dir: Path | None, run_dir: Path | None, space: Any = None,
                 config: Path | None = None) -> tuple[Path, Any, list[str] | None, str, str | None]:
    """The gold set folder (:func:`~weaksup.review.targets.gold_folder`), its label space (``--run``'s or ``--config``'s, else the gold
    set's, else ``space``), the data's row ids (``--run``'s rows or ``--config``'s input; None when neither is
    given: not checked), what to tell about using the gold set, and what the row ids are of (for messages)."""
    from weaksup.gold import MANIFEST, load_gold

    row_ids, cfg, source, data = None, None, "", None
    classes: Any = None
    if run_dir is not None and config is not None:
        raise ReviewError("--run and --config both name the data; give one (--run reads the run's rows, --config "
                          "the config's input)")
    if run_dir is not None:
        from weaksup.pipeline import load_run

        with readable("RUN_DIR (or re-run into it)", ReviewError):
            run = load_run(run_dir)
        classes, row_ids = run.label_space, run.labels["row_id"].astype(str).tolist()
        cfg, source, config = run.config, f"the run {run_dir} (its run.json)", run.manifest.get("config_source")
        data = f"the run {run_dir}"
    elif config is not None:
        from weaksup.config import load_config

        row_ids, labels = config_row_ids(config, task)
        classes, cfg, source = labels or None, load_config(config), f"--config {config}"
        data = f"--config {config} (its input {cfg.input.path})"
    gold_dir, rerun = gold_folder(task, gold_dir, cfg, source, config)
    check_import_target(task, gold_dir, run_dir)
    if (gold_dir / MANIFEST).is_file():
        classes = classes or load_gold(gold_dir).label_space
    if (classes or space) is None:
        raise ReviewError(f"no gold set in {gold_dir} to take the label space from; pass --run RUN_DIR (or "
                          "--gold-dir of the task's gold set)")
    return gold_dir, classes or space, row_ids, rerun, data


def _import(answers: Any, gold_dir: Path, task: str, space: Any, split: str, on_conflict: str,
            row_ids: list[str] | None, rerun: str, data: str | None) -> str:
    """Import the answers as the next version of the gold set; returns what to print."""
    from weaksup.review.importing import import_answers

    result = import_answers(answers, gold_dir, task=task, label_space=space, split=split, on_conflict=on_conflict,
                            row_ids=row_ids, data=data)
    return result.summary() + (f"\ngold set {gold_dir} is now version {result.gold.version} (earlier versions stay "
                               f"in their files, see its manifest.json); {rerun}" if result.changed else "")


_GOLD_HELP = "The gold set folder; default: the gold.path of --run or --config, else gold_sets/TASK."
_SPLIT_HELP = "Split of rows new to the gold set: dev or test."
_CONFLICT_HELP = "Rows whose annotators disagree: keep (gold majority decides), skip, or error."
_URL_HELP = (f"The Label Studio server, e.g. http://localhost:8080 (or $LABEL_STUDIO_URL); the token is read from "
             f"${TOKEN_ENV}.")


@review_app.command("import")
def import_(
    export_file: Path = typer.Argument(..., metavar="EXPORT", help="Label Studio export (JSON, JSON-MIN, CSV, TSV) or "
                                                                   "a filled-in review sheet (CSV)."),
    task: str = typer.Option(..., "--task", "-t", help="The task name (the gold set's)."),
    gold_dir: Path = typer.Option(None, "--gold-dir", help=_GOLD_HELP),
    format: str = typer.Option("auto", "--format", "-f", help="auto, labelstudio, labelstudio-min, labelstudio-csv "
                                                              "or csv (the review sheet)."),
    split: str = typer.Option("dev", help=_SPLIT_HELP),
    on_conflict: str = typer.Option("keep", help=_CONFLICT_HELP),
    annotator: str = typer.Option("", help="Annotator name for sheet rows that leave it blank."),
    run_dir: Path = typer.Option(None, "--run", help="The run the tasks came from: checks row ids and gives the label "
                                                     "space of a new gold set."),
    config: Path = typer.Option(None, "--config", help="Or the run config: checks row ids against its input (without "
                                                       "--run or --config they are not checked)."),
    from_name: str = typer.Option("label", help="The name of the <Choices> tag in the labeling config."),
    url: str = typer.Option(None, "--url", help="The Label Studio server the export came from: annotators are "
                                                f"recorded by e-mail, looked up in its users (token: ${TOKEN_ENV})."),
) -> None:
    """Read review answers and write them as a new version of the task's gold set (version + 1)."""
    from weaksup.review.labelstudio import detect_format, read_export
    from weaksup.review.plain_csv import read_sheet

    if format not in _IMPORT_FORMATS:
        raise ReviewError(f"unknown --format {format!r}; choose one of {list(_IMPORT_FORMATS)}")
    check_import_target(task, gold_dir, run_dir, config)
    from weaksup.multilabel.review import import_if_multilabel  # a multi-label gold set: label sets
    from weaksup.spans.review import import_if_spans  # a span gold set: entity spans

    others = [flag for flag, used in (("--annotator", bool(annotator)), ("--url", bool(url)),
                                      ("--config", config is not None)) if used]
    if run_dir is not None and config is None:  # a multi-label or span import writes the run's gold set too
        from weaksup.pipeline import load_run

        with readable("RUN_DIR (or re-run into it)", ReviewError):
            cfg = load_run(run_dir, verify=False).config  # (run.json only: the run is checked where it is read)
        gold_dir = gold_folder(task, gold_dir, cfg, f"the run {run_dir} (its run.json)", None)[0]
    if message := import_if_multilabel(export_file, task=task, gold_dir=gold_dir, run_dir=run_dir, split=split,
                                       from_name=from_name, on_conflict=on_conflict, format=format, others=others,
                                       config=config, url=url):
        return typer.echo(message)
    if message := import_if_spans(export_file, task=task, gold_dir=gold_dir, run_dir=run_dir, split=split,
                                  from_name=from_name, format=format, others=others):
        return typer.echo(message)
    gold_dir, space, row_ids, rerun, data = _gold_target(task, gold_dir, run_dir, config=config)
    fmt = detect_format(export_file) if format == "auto" else format
    if fmt == "csv":  # collect=True: the export's problems are raised with the import's, in one error
        answers = read_sheet(export_file, space, annotator=annotator, collect=True)
    else:
        emails = None
        if url:
            from weaksup.review.labelstudio_api import LabelStudioAPI, user_emails

            with LabelStudioAPI(url) as api:
                emails = user_emails(api)
        answers = read_export(export_file, space, format=fmt, from_name=from_name, annotators=emails, collect=True)
    typer.echo(_import(answers, gold_dir, task, space, split, on_conflict, row_ids, rerun, data))


@review_app.command("push")
def push(
    run_dir: Path = typer.Argument(..., help="A run folder written by `weaksup run`."),
    url: str = typer.Option(..., "--url", envvar="LABEL_STUDIO_URL", help=_URL_HELP),
    project: str = typer.Option(None, "--project", "-p", help="Project id or title; a title not found is created. "
                                                              "Default: the title 'TASK review'."),
    budget: int = typer.Option(None, "--budget", "-n", min=0, help="Push the N most informative rows (default: all "
                                                                   "routed rows)."),
    order: str = typer.Option("mixed", help="mixed or uncertainty (as `weaksup review export`)."),
    field: list[str] = typer.Option([], "--field", help="Another input column to show reviewers (repeatable)."),
    mask: bool = typer.Option(None, "--mask/--no-mask", help="Mask e-mails, phone and card numbers (default: the "
                                                             "config's review.sensitive_fields)."),
    seed: int = typer.Option(0, help="Breaks ties in the order."),
) -> None:
    """Send a run's review queue to a Label Studio project over its API (tasks with the draft labels as predictions).

    Writes RUN_DIR/review/tasks.json as `weaksup review export` does, creates the project from weaksup's labeling
    config when it does not exist, and imports the tasks whose row is not in the project yet (the file read back as
    a stream: memory holds one import request, however long the queue).
    """
    from weaksup.pipeline import load_run
    from weaksup.review.labelstudio_api import MAX_REQUEST_BYTES, LabelStudioAPI, check_project_classes
    from weaksup.review.labelstudio_multilabel import (check_multilabel_project, multilabel_push_labels,
                                                       write_multilabel_push)
    from weaksup.review.labelstudio_push import count_fitting_tasks, push_file, read_tasks
    from weaksup.review.labelstudio_spans import check_spans_project, spans_push_types, write_spans_push

    run, given = load_run(run_dir), {"--order": order != "mixed", "--seed": seed != 0}
    task = run.config.task.name  # a multi-label run: its labels (its multi-choice tasks, as `review export` writes)
    labels = multilabel_push_labels(run_dir, given=given)
    types = spans_push_types(run_dir, given=given, fields=field, mask=mask)  # a spans run: NER tasks, entity types
    with LabelStudioAPI(url) as api:
        title = project or f"{task} review"
        found = api.project(title) if title.strip().isdigit() else api.find_project(title)
        created = found is None
        if found is not None:
            check = check_spans_project if types is not None else None if labels is None else check_multilabel_project
            (check or check_project_classes)(found, types or labels or run.label_space, api.url,
                                             fix="push to another --project (a new title creates one)")
        if labels is not None or types is not None:
            rule_version, out, said = (write_multilabel_push(run_dir, budget=budget, fields=field, mask=mask)
                                       if types is None else write_spans_push(run_dir, budget=budget))
            typer.echo(said)
        else:
            run, rule_version, out = _write_queue(run_dir, "labelstudio", None, mask, _queue_options(
                budget, None, [], None, "entropy", order, "sqrt", 8, True, 0.3, seed, field))
        count_fitting_tasks(read_tasks(out), max_bytes=MAX_REQUEST_BYTES)  # too large: refused before creating
        if found is None:
            config = out.with_name(f"{out.stem}.labeling_config.xml").read_text(encoding="utf-8")  # as exported
            found = api.create_project(title, config, description=(
                f"weaksup task: {task}; review queue of run {Path(run_dir).resolve()} (rules {rule_version})"))
        sent, there = push_file(api, int(found["id"]), out)  # the file streamed: one import request in memory
    typer.echo(f"{'created' if created else 'project'} {found['id']} {found.get('title')!r}: {sent} task(s) pushed, "
               f"{there} already there; annotate at {api.url}/projects/{found['id']}/data, then "
               f"`weaksup review pull {found['id']} --url {api.url}`")


@review_app.command("pull")
def pull(
    project: str = typer.Argument(..., help="The Label Studio project id or title."),
    url: str = typer.Option(..., "--url", envvar="LABEL_STUDIO_URL", help=_URL_HELP),
    task: str = typer.Option(None, "--task", "-t", help="The task name (default: the one `weaksup review push` wrote "
                                                        "in the project's description)."),
    gold_dir: Path = typer.Option(None, "--gold-dir", help=_GOLD_HELP),
    split: str = typer.Option("dev", help=_SPLIT_HELP),
    on_conflict: str = typer.Option("keep", help=_CONFLICT_HELP),
    run_dir: Path = typer.Option(None, "--run", help="The run the tasks came from: checks row ids."),
    config: Path = typer.Option(None, "--config", help="Or the run config: checks row ids against its input."),
    from_name: str = typer.Option("label", help="The name of the <Choices> tag in the labeling config."),
    save: Path = typer.Option(None, "--save", help="Also keep the pulled export (Label Studio's JSON) in this file."),
) -> None:
    """Take a Label Studio project's answers over its API into a new version of the task's gold set.

    Annotators are recorded by e-mail (looked up through /api/users); skipped tasks are left out and counted.
    """
    from weaksup.review.labelstudio import read_export
    from weaksup.review.labelstudio_api import (LabelStudioAPI, check_project_classes, import_project_export,
                                                project_labels, task_of_project, user_emails)
    from weaksup.review.labelstudio_multilabel import pull_if_multilabel
    from weaksup.review.labelstudio_spans import pull_if_spans

    with LabelStudioAPI(url) as api:
        found = api.project(project)
        pid, where = int(found["id"]), f"project {found['id']} at {api.url}"
        task = task or task_of_project(found)
        if not task:
            raise ReviewError(f"project {pid} {found.get('title')!r} at {api.url} does not name its weaksup task "
                              "(it was not made by `weaksup review push`); pass --task TASK")
        typed: dict[str, Any] = {"task": task, "gold_dir": gold_dir, "run_dir": run_dir, "config": config,
                                 "split": split, "on_conflict": on_conflict, "from_name": from_name, "save": save}
        if message := pull_if_multilabel(api, found, **typed) or pull_if_spans(api, found, **typed):
            return typer.echo(message)  # a multi-label or span run or gold set: as `review import` takes them
        gold_dir, space, row_ids, rerun, data = _gold_target(task, gold_dir, run_dir,
                                                             project_labels(found, from_name), config)
        check_project_classes(found, space, api.url, from_name=from_name, fix=(
            f"pull the project pushed from task {task!r}'s run (`weaksup review push` names it), or check --task, "
            "--run and --config"))
        emails = user_emails(api)
        typer.echo(import_project_export(api, pid, save, lambda file: _import(read_export(
            file, space, format="labelstudio", from_name=from_name, annotators=emails, collect=True, name=where),
            gold_dir, task, space, split, on_conflict, row_ids, rerun, data)))
