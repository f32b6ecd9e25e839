"""``weaksup review``: export a run's review queue, import the answers as a new gold-set version."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from weaksup.errors import ReviewError

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
    from weaksup.pipeline import load_run
    from weaksup.review.queue import EXPORT_FORMATS, export_queue, review_queue

    if format not in EXPORT_FORMATS:
        raise ReviewError(f"unknown --format {format!r}; choose one of {list(EXPORT_FORMATS)}")
    run = load_run(run_dir)
    cfg = run.config
    review = cfg.review
    id_column, text_column = cfg.input.id_column, cfg.input.text_column
    if not text_column:
        raise ReviewError(f"the run's config has no input.text_column; review tasks show each row's text "
                          f"(set input.text_column in {run_dir}/run.json's config and re-run)")
    labels = run.labels
    data = run.read_input()
    data = data.rename(columns={id_column: "row_id"}) if id_column != "row_id" else data
    queue = review_queue(
        labels, data, run.label_space, text_column=text_column, budget=budget, policy=review.policy,
        threshold=threshold, class_thresholds=_class_thresholds(class_threshold) or None,
        conflict_threshold=conflict_threshold, method=method, order=order, weights=weights, n_clusters=clusters,
        compare=_label_model_opinion(run, labels) if disagreement else None, diversity=diversity, seed=seed,
        gold=run.gold, fields=field)
    rule_version = str(labels["rule_version"].iloc[0]) if "rule_version" in labels and len(labels) else ""
    out = out or Path(run_dir) / "review" / ("tasks.json" if format == "labelstudio" else "review.csv")
    exported = export_queue(queue, out, format=format, label_space=run.label_space, model_version=rule_version,
                            text_column=text_column, fields=field, sensitive_fields=review.sensitive_fields, mask=mask,
                            escape_formulas=cfg.output.escape_formulas)
    reasons = queue["review_reason"].value_counts().to_dict() if len(queue) else {}
    typer.echo(f"{len(queue)} row(s) in the review queue of {run_dir} (of {len(labels):,}); reasons: "
               + (", ".join(f"{k} {v}" for k, v in reasons.items()) or "none"))
    typer.echo(exported.summary())


@review_app.command("import")
def import_(
    export_file: Path = typer.Argument(..., metavar="EXPORT", help="Label Studio export (JSON, JSON-MIN, CSV) or a "
                                                                   "filled-in review sheet (CSV)."),
    task: str = typer.Option(..., "--task", "-t", help="The task name (the gold set's)."),
    gold_dir: Path = typer.Option(None, "--gold-dir", help="The gold set folder; default gold_sets/TASK."),
    format: str = typer.Option("auto", "--format", "-f", help="auto, labelstudio, labelstudio-min, labelstudio-csv "
                                                              "or csv (the review sheet)."),
    split: str = typer.Option("dev", help="Split of rows new to the gold set: dev or test."),
    on_conflict: str = typer.Option("keep", help="Rows whose annotators disagree: keep (gold majority decides), "
                                                 "skip, or error."),
    annotator: str = typer.Option("", help="Annotator name for sheet rows that leave it blank."),
    run_dir: Path = typer.Option(None, "--run", help="The run the tasks came from: checks row ids and gives the label "
                                                     "space of a new gold set."),
    from_name: str = typer.Option("label", help="The name of the <Choices> tag in the labeling config."),
) -> None:
    """Read review answers and write them as a new version of the task's gold set (version + 1)."""
    from weaksup.gold import MANIFEST, load_gold
    from weaksup.review.importing import import_answers
    from weaksup.review.labelstudio import detect_format, read_export
    from weaksup.review.plain_csv import read_sheet

    if format not in _IMPORT_FORMATS:
        raise ReviewError(f"unknown --format {format!r}; choose one of {list(_IMPORT_FORMATS)}")
    gold_dir = gold_dir or Path("gold_sets") / task
    space, row_ids = None, None
    if run_dir is not None:
        from weaksup.pipeline import load_run

        run = load_run(run_dir)
        if run.config.task.name != task:
            raise ReviewError(f"--run {run_dir} is a run of task {run.config.task.name!r}, not {task!r}")
        space, row_ids = run.label_space, run.labels["row_id"].astype(str).tolist()
    if (gold_dir / MANIFEST).is_file():
        previous = load_gold(gold_dir)
        if previous.task != task:
            raise ReviewError(f"the gold set in {gold_dir} is for task {previous.task!r}, not {task!r}; check --task "
                              "and --gold-dir")
        space = space or previous.label_space
    elif space is None:
        raise ReviewError(f"no gold set in {gold_dir} to take the label space from; pass --run RUN_DIR (or "
                          "--gold-dir of the task's gold set)")
    fmt = detect_format(export_file) if format == "auto" else format
    if fmt == "csv":
        answers = read_sheet(export_file, space, annotator=annotator)
    else:
        answers = read_export(export_file, space, format=fmt, from_name=from_name)
    result = import_answers(answers, gold_dir, task=task, label_space=space, split=split, on_conflict=on_conflict,
                            row_ids=row_ids)
    typer.echo(result.summary())
    if result.changed:
        typer.echo(f"re-run to use it: weaksup run CONFIG (gold set {gold_dir} is now version {result.gold.version}; "
                   "earlier versions stay in their files, see its manifest.json)")
