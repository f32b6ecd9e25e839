"""The ``weaksup`` command."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Weak supervision: label data with labeling functions.")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


_TRACKING = typer.Option(True, "--tracking/--no-tracking", help="Log the run to MLflow.")
_REQUIRE = typer.Option(False, "--require-tracking",
                        help="Fail before any work when MLflow is unreachable (default: warn and go on).")
_EXPERIMENT = typer.Option("weaksup", envvar="MLFLOW_EXPERIMENT_NAME", help="MLflow experiment.")


@app.command()
def demo(
    lf_module: str = typer.Option("labeling_functions.youtube_spam", help="LF module (dotted name or .py path)."),
    out: str = typer.Option("reports/youtube_spam.html", help="Where to write the HTML report."),
    tracking: bool = _TRACKING,
    require_tracking: bool = _REQUIRE,
    experiment: str = _EXPERIMENT,
) -> None:
    """Run the main job on the shipped example (YouTube Spam Collection): LF summary, label model vs
    majority vote on the test gold split, HTML report, MLflow run."""
    import pandas as pd

    report, uri, run_id = _quality_job(lf_module, None, "row_id", "text", "gold_sets/youtube_spam", "default",
                                       "test", out, (tracking, require_tracking, experiment), seed=0)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        p = report.params
        typer.echo(f"{p['n_rows']} comments, {p['n_lfs']} LFs (rule_version {p['rule_version']}); "
                   f"Correct/Incorrect on the {p['gold_n_dev']} dev gold rows\n")
        typer.echo(report.summary.drop(columns=["j"]).to_string())
    typer.echo(f"\nrows with at least one vote: {report.stats['coverage']:.1%}")
    _print_outcome(report, out, uri, run_id)


@app.command()
def report(
    lf_module: str = typer.Option("labeling_functions.youtube_spam", help="LF module (dotted name or .py path)."),
    data: str = typer.Option(None, help="Data file (.csv, .jsonl, .parquet); default: the shipped YouTube example."),
    gold: str = typer.Option("gold_sets/youtube_spam", help="Gold-set folder (gold_sets/<task>)."),
    id_column: str = typer.Option("row_id", help="Row id column of the data (gold ids refer to it)."),
    text_column: str = typer.Option("text", help="Text column shown with the LF error examples."),
    label_model: str = typer.Option("default", help="Label model: 'default' (weaksup's recommended one) or one of "
                                                    "weaksup.models.MODELS."),
    split: str = typer.Option("test", help="Gold split the label model and majority vote are measured on."),
    out: str = typer.Option(None, help="HTML report path; default reports/<task>.html."),
    seed: int = typer.Option(0, help="Seed of the label model."),
    tracking: bool = _TRACKING,
    require_tracking: bool = _REQUIRE,
    experiment: str = _EXPERIMENT,
) -> None:
    """Label-quality report: LF summary, label model vs majority vote on gold, figures; HTML and MLflow run."""
    if split not in ("dev", "test"):
        raise typer.BadParameter(f"--split must be 'dev' or 'test'; got {split!r}")
    out = out or f"reports/{Path(gold).name}.html"
    result, uri, run_id = _quality_job(lf_module, data, id_column, text_column, gold, label_model, split, out,
                                       (tracking, require_tracking, experiment), seed)
    _print_outcome(result, out, uri, run_id)


def _setup_tracking(enabled: bool, require: bool, experiment: str) -> str | None:
    """Point MLflow at the user's store (``MLFLOW_TRACKING_URI``, else ``./mlflow.db``) and check that it
    answers, before any work. Returns the URI, or None when the run will not be logged."""
    from weaksup.errors import TrackingError
    from weaksup.tracking import start_tracking

    if not enabled:
        if require:
            raise TrackingError("--require-tracking and --no-tracking contradict each other; drop one")
        return None
    return start_tracking(experiment, require=require, warn=lambda message: typer.echo(f"warning: {message}", err=True))


def _fit_label_model(model_cls, votes, gold, seed: int):
    """Fit on all votes; a model whose ``fit`` takes dev gold (``L_dev``/``y_dev``) gets the dev split."""
    import inspect

    model = model_cls(cardinality=len(gold.label_space), seed=seed)
    kwargs = {}
    if "dev" in gold.counts() and "L_dev" in inspect.signature(model.fit).parameters:
        y_dev = gold.y(votes.row_ids, split="dev")
        rows = y_dev != -1
        kwargs = {"L_dev": votes.values[rows], "y_dev": y_dev[rows]}
        logging.getLogger(__name__).info("fitting %s with the %d dev gold rows", model_cls.__name__, int(rows.sum()))
    return model.fit(votes.values, **kwargs)


def _quality_job(lf_module: str, data_path: str | None, id_column: str, text_column: str, gold_path: str,
                 label_model: str, split: str, out: str, tracking: tuple[bool, bool, str], seed: int):
    """Check the inputs, then the tracking store, then apply the LFs, fit the label model, write the report
    and log the run. Returns (report, tracking URI or None, run id or None)."""
    from weaksup.apply import apply_lfs
    from weaksup.errors import DataError
    from weaksup.gold import load_gold
    from weaksup.pipeline import resolve_label_model
    from weaksup.registry import Registry
    from weaksup.report import build_report

    registry = Registry.from_modules(lf_module)
    if data_path is None:
        from weaksup.examples import load_youtube_spam

        data = load_youtube_spam()
    else:
        from weaksup.data import read_table

        data = read_table(data_path)
    if id_column not in data:
        raise DataError(f"{data_path}: no id column {id_column!r}; columns are {list(data.columns)} (see --id-column)")
    gold = load_gold(gold_path, row_ids=data[id_column], label_space=registry.label_space)
    model_cls = resolve_label_model(label_model, "dev" in gold.counts())
    uri = _setup_tracking(*tracking)  # before any work: --require-tracking fails here
    votes = apply_lfs(registry, data, id_column=id_column)
    model = _fit_label_model(model_cls, votes, gold, seed)
    if split == "dev" and "dev" in gold.counts():
        typer.echo("warning: measuring on the dev split, which LFs (and dev-aware label models) were tuned on: "
                   "the numbers are optimistic; use --split test", err=True)
    result = build_report(votes, lfs=registry, gold=gold, model=model, data=data, split=split,
                          text_column=text_column, id_column=id_column)
    result.write_html(out)
    run_id = None
    if uri is not None:
        from weaksup.tracking import log_report

        run_id = log_report(result, gold=gold, run_name=f"{gold.task}-{registry.rule_version}")
        if run_id is None:
            typer.echo(f"warning: the run was NOT logged to MLflow at {uri} (see the warning above); "
                       f"the report is at {out}", err=True)
    return result, uri, run_id


def _print_outcome(result, out: str, uri: str | None, run_id: str | None) -> None:
    """The metrics table (label model vs majority vote), where the report is, and the MLflow run."""
    ev = result.evaluation
    if ev is not None:
        typer.echo(f"\nLabel model vs majority vote on the {ev.model.n_gold} {ev.split} gold rows "
                   f"(gold {result.params['gold_task']} v{result.params['gold_version']}, "
                   f"hash {result.params['gold_hash']}):\n")
        typer.echo(ev.formatted().to_string())
        typer.echo(f"\n{ev.summary()}")
    typer.echo(f"\nreport: {Path(out).resolve()}")
    if run_id is not None:
        typer.echo(f"MLflow run {run_id} at {uri} (browse: mlflow ui --backend-store-uri {uri})")


_SET = typer.Option([], "--set", "-s", metavar="SECTION.KEY=VALUE",
                    help="Override a config value, e.g. --set label_model.seed=7 (repeatable).")
_PROGRESS = typer.Option(None, "--progress/--no-progress", help="Progress bars (default: on a terminal).")


@app.command()
def run(
    config: Path = typer.Argument(..., help="Run config (TOML), e.g. configs/youtube_spam.toml."),
    set_: list[str] = _SET,
    resume: bool = typer.Option(False, "--resume", help="Continue a stopped run from its last finished chunk."),
    fresh: bool = typer.Option(False, "--fresh", help="Ignore saved votes: recompute every chunk and LF."),
    progress: bool = _PROGRESS,
) -> None:
    """Label a dataset: load, clean, apply the LFs, fit the label model, write one labeled row per input row,
    route uncertain rows to review, evaluate on gold, write the report and log the run to MLflow."""
    from weaksup.config import load_config
    from weaksup.pipeline import run as run_pipeline

    result = run_pipeline(load_config(config, set_), resume=resume, fresh=fresh, progress=progress)
    typer.echo(result.summary())


@app.command()
def apply(
    config: Path = typer.Argument(..., help="Run config (TOML)."),
    set_: list[str] = _SET,
    fresh: bool = typer.Option(False, "--fresh", help="Ignore saved votes."),
    progress: bool = _PROGRESS,
) -> None:
    """Only apply the LFs of a run config: saves the votes in the run folder and prints the LF summary."""
    import pandas as pd

    from weaksup.analysis import lf_summary
    from weaksup.config import load_config
    from weaksup.pipeline import load_votes, run as run_pipeline

    cfg = load_config(config, set_)
    result = run_pipeline(cfg, fresh=fresh, progress=progress, stop_after="apply")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        typer.echo(lf_summary(load_votes(cfg.output_dir)).to_string())
    typer.echo(f"\n{result.n_rows:,} rows, coverage {result.coverage:.1%}; votes in {cfg.output_dir / 'votes'}")


@app.command()
def fit(
    config: Path = typer.Argument(..., help="Run config (TOML)."),
    set_: list[str] = _SET,
    progress: bool = _PROGRESS,
) -> None:
    """Apply (reusing saved votes) and fit the label model of a run config; saves label_model.json."""
    from weaksup.config import load_config
    from weaksup.pipeline import run as run_pipeline

    cfg = load_config(config, set_)
    result = run_pipeline(cfg, progress=progress, stop_after="fit")
    typer.echo(f"fitted {result.label_model} on {result.n_rows:,} rows: {cfg.output_dir / 'label_model.json'}")


@app.command()
def lfs(
    source: list[str] = typer.Argument(..., help="A run config (.toml), or LF modules (dotted names or .py paths)."),
    set_: list[str] = _SET,
) -> None:
    """List the labeling functions (of a run config, with its selection, or of some modules) with kind,
    version and tags."""
    from weaksup.registry import Registry

    if len(source) == 1 and source[0].endswith(".toml"):
        from weaksup.config import load_config
        from weaksup.pipeline import select_lfs

        cfg = load_config(source[0], set_)
        registry = select_lfs(cfg)
        typer.echo(f"{len(registry)} LFs of {cfg.task.name} (rule_version {registry.rule_version})")
    else:
        registry = Registry.from_modules(*source)
    for lf in registry.lfs:
        typer.echo(f"{lf.name:24} {lf.kind:12} {lf.version}  [{', '.join(lf.tags)}]  {lf.description}")

from weaksup.review.cli import review_app  # noqa: E402

app.add_typer(review_app, name="review")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Exit status: 0 on success, 2 for bad input (a weaksup error or a usage error, with a
    message naming what is wrong), 1 for an unexpected failure (with its traceback).
    """
    from weaksup.errors import WeakSupError

    try:
        result = app(args=argv, standalone_mode=False)
    except WeakSupError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):  # click/typer usage errors
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
