"""The ``weaksup`` command."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.pipeline import RunResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Weak supervision: label data with labeling functions.")


class _EchoHandler(logging.Handler):
    """Library log records on the command's stderr as ``warning: ...`` (whatever ``sys.stderr`` is at the time)."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = record.levelname.lower() if record.levelno >= logging.WARNING else record.name
        typer.echo(f"{prefix}: {record.getMessage()}", err=True)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    library = logging.getLogger("weaksup")
    library.setLevel(logging.INFO if verbose else logging.NOTSET)  # NOTSET: the root's level (WARNING by default)
    handler = next((h for h in library.handlers if isinstance(h, _EchoHandler)), None)
    if handler is None:
        handler = _EchoHandler()
        library.addHandler(handler)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)


_TRACKING = typer.Option(True, "--tracking/--no-tracking", help="Log the run to MLflow.")
_REQUIRE = typer.Option(False, "--require-tracking",
                        help="Fail before any work when MLflow is unreachable (default: warn and go on).")
_EXPERIMENT = typer.Option("weaksup", envvar="MLFLOW_EXPERIMENT_NAME", help="MLflow experiment.")
_EXAMPLE = "youtube_spam"


@app.command()
def demo(
    lf_module: str = typer.Option(None, help="LF module (dotted name or .py path); default: the example's own."),
    out: str = typer.Option(f"reports/{_EXAMPLE}.html", help="Where to write the HTML report (the run folder is "
                                                              "beside it, named after it)."),
    tracking: bool = _TRACKING,
    require_tracking: bool = _REQUIRE,
    experiment: str = _EXPERIMENT,
) -> None:
    """Run the main job on the shipped example (YouTube Spam Collection): LF summary, label model vs
    majority vote, the end model's final labels beside a classifier trained on the dev gold alone (the
    verdict) on the test gold split, HTML report, MLflow run."""
    import pandas as pd

    config = _report_config(lf_module, None, "row_id", "text", None, "default", "test", out, 0,
                            (tracking, require_tracking, experiment), command="demo")
    result = _run_naming_flags(config, "demo")
    report = result.report
    assert report is not None  # a run with a gold set builds its report
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        p = report.params
        typer.echo(f"{p['n_rows']} comments, {p['n_lfs']} LFs (rule_version {p['rule_version']}); "
                   f"Correct/Incorrect on the {p['gold_n_dev']} dev gold rows\n")
        typer.echo(report.summary.drop(columns=["j"], errors="ignore").to_string())
    typer.echo(f"\nrows with at least one vote: {report.stats['coverage']:.1%}")
    _print_outcome(result)


@app.command()
def init(
    directory: Path = typer.Argument(..., help="The project folder (new or empty)."),
    example: str = typer.Option(_EXAMPLE, help="The shipped example the project starts from."),
    force: bool = typer.Option(False, "--force", help="Write into a folder that holds files; files that exist "
                                                      "are kept, never overwritten."),
) -> None:
    """Start a project from a shipped example: configs/, labeling_functions/, gold_sets/, data/, notebooks/ and
    a README; `cd DIRECTORY && weaksup run configs/<example>.toml` runs at once."""
    from weaksup.scaffold import init_project

    done = init_project(directory, example, force=force)
    typer.echo(f"wrote {len(done.written)} files to {done.root}"
               + (f" (kept {len(done.skipped)} that existed)" if done.skipped else ""))
    for path in done.written:
        typer.echo(f"  {path.relative_to(done.root).as_posix()}")
    for path in done.skipped:
        typer.echo(f"  {path.relative_to(done.root).as_posix()} (kept as it was)")
    typer.echo(f"\nnext:\n  cd {directory}\n  weaksup run {done.config.relative_to(done.root).as_posix()}")


@app.command()
def report(
    lf_module: str = typer.Option(None, help="LF module (dotted name or .py path); default: the shipped example's."),
    data: str = typer.Option(None, help="Data: a .csv, .tsv, .jsonl or .parquet file, a folder of such files or a "
                                        "quoted glob pattern ('data/*.csv'); default: the shipped YouTube example."),
    gold: str = typer.Option(None, help="Gold-set folder (gold_sets/<task>); default: the shipped example's."),
    id_column: str = typer.Option("row_id", help="Row id column of the data (gold ids refer to it)."),
    text_column: str = typer.Option("text", help="Text column shown with the LF error examples."),
    label_model: str = typer.Option("default", help="Label model: 'default' (weaksup's recommended one) or one of "
                                                    "weaksup.models.MODELS."),
    split: str = typer.Option("test", help="Gold split the label model and majority vote are measured on."),
    out: str = typer.Option(None, help="HTML report path; default reports/<task>.html (the run folder is beside it, "
                                       "named after it)."),
    seed: int = typer.Option(0, help="Seed of the label model."),
    end_model: bool = typer.Option(True, "--end-model/--no-end-model", help="Fit the end model (the final labels)."),
    tracking: bool = _TRACKING,
    require_tracking: bool = _REQUIRE,
    experiment: str = _EXPERIMENT,
) -> None:
    """Label-quality report: LF summary, label model vs majority vote on gold, figures; HTML and MLflow run."""
    if split not in ("dev", "test"):
        raise typer.BadParameter(f"--split must be 'dev' or 'test'; got {split!r}")
    config = _report_config(lf_module, data, id_column, text_column, gold, label_model, split, out, seed,
                            (tracking, require_tracking, experiment), end_model=end_model)
    _print_outcome(_run_naming_flags(config, "report"))


def _run_naming_flags(config: RunConfig, command: str) -> RunResult:
    """:func:`_run` of the config ``weaksup demo``/``report`` built from their flags: errors name the flags."""
    from weaksup.errors import WeakSupError

    try:
        return _run(config)
    except WeakSupError as exc:  # the config is built from the flags: name them, not its keys
        exc.args = tuple(_flag_names(a, command) if isinstance(a, str) else a for a in exc.args)
        raise


def _flag_names(message: str, command: str = "report") -> str:
    """A message about the config :func:`_report_config` builds, naming the flags of ``weaksup <command>``.

    Examples
    --------
    >>> _flag_names("weaksup report: output.report_path /x.html is a folder; change output.path in weaksup report")
    'weaksup report: --out /x.html is a folder; change --out'
    """
    message = message.replace(f"change output.path in weaksup {command}", "change --out")
    if command != "report":  # weaksup demo: the shipped data, LFs and gold set; --out is its one path
        return message.replace("output.report_path", "--out").replace("output.path", "--out")
    for key, flag in (("set end_model.enabled = false (--set end_model.enabled=false)", "pass --no-end-model"),
                      ("output.report_path", "--out"),
                      ("output.path", "--out (the run folder beside it)"), ("gold.split", "--split"),
                      ("gold.path", "--gold"), ("input.path", "--data"), ("input.id_column", "--id-column"),
                      ("input.text_column", "--text-column"), ("label_model.name", "--label-model")):
        message = message.replace(key, flag)
    return message


def _report_config(lf_module: str | None, data: str | None, id_column: str, text_column: str, gold: str | None,
                   label_model: str, split: str, out: str | None, seed: int, tracking: tuple[bool, bool, str],
                   *, end_model: bool = True, command: str = "report") -> RunConfig:
    """The run config of ``weaksup demo``/``report``: the shipped example unless ``data`` (and its LFs and
    gold set unless given); the report at ``out``, the run folder beside it (``<out without suffix>/``)."""
    from weaksup.config import RunConfig
    from weaksup.datasets import get_example
    from weaksup.errors import ConfigError

    example = get_example(_EXAMPLE)
    task = Path(gold).name if gold else example.name
    out = out or f"reports/{task}.html"
    if Path(out).suffix.lower() not in (".html", ".htm"):  # never over a data, gold or config file
        raise ConfigError(f"--out {out}: the report is an HTML file; give a path ending in .html (its run folder "
                          "goes beside it, without the suffix)")
    enabled, require, experiment = tracking
    if require and not enabled:
        raise typer.BadParameter("--require-tracking and --no-tracking contradict each other; drop one")
    source = {"example": example.name} if data is None else {"path": str(Path(data).resolve())}
    doc = {
        "task": {"name": task},
        "input": {**source, "id_column": id_column, "text_column": text_column},
        # The report judges the LFs on the data as given (as it always has): no normalisation, no duplicate count.
        "clean": {"normalize": False, "duplicates": "off"},
        "lfs": {"modules": [lf_module or example.lfs_module]},
        "label_model": {"name": label_model, "seed": seed},
        "end_model": {"enabled": end_model},
        "gold": {"path": str(Path(gold).resolve() if gold else example.gold_dir), "split": split},
        "output": {"path": str(Path(out).resolve().with_suffix("") / "labels.parquet"),
                   "report_path": str(Path(out).resolve())},
        "mlflow": {"enabled": enabled, "require": require, "experiment": experiment},
    }
    return RunConfig.from_dict(doc, source=f"weaksup {command}")


def _run(config: RunConfig) -> RunResult:
    from weaksup.pipeline import run

    return run(config, progress=False)


def _print_outcome(result: RunResult) -> None:
    """The metrics table (label model vs majority vote), the label sources, the end model, the references on
    the gold test rows with the verdict, where the report is, and the MLflow run."""
    report = result.report
    ev = report.evaluation if report is not None else None
    if report is not None and ev is not None:
        typer.echo(f"\nLabel model vs majority vote on the {ev.model.n_gold} {ev.split} gold rows "
                   f"(gold {report.params['gold_task']} v{report.params['gold_version']}, "
                   f"hash {report.params['gold_hash']}):\n")
        typer.echo(ev.formatted().to_string())
        typer.echo(f"\n{ev.summary()}")
    typer.echo("\n" + "\n".join([*result.end_lines(), *result.reference_lines()]))
    typer.echo(f"\nreport: {result.report_path}")
    typer.echo(f"run folder: {result.run_dir}")
    if result.mlflow_run_id is not None:
        typer.echo(f"MLflow run {result.mlflow_run_id} at {result.mlflow_uri} "
                   f"(browse: mlflow ui --backend-store-uri {result.mlflow_uri}; the runs are the experiment's "
                   f"'Training runs' page, or the 'Model training' view)")


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
    tracking: bool = typer.Option(None, "--tracking/--no-tracking",
                                  help="Log the run to MLflow (default: the config's mlflow.enabled)."),
    require_tracking: bool = typer.Option(False, "--require-tracking", help="Log the run to MLflow and fail "
                                          "before any work when it is unreachable (mlflow.require = true)."),
    engine: str = typer.Option(None, "--engine", help="Run on an engine: local, dask or spark (Parquet input; "
                               "the config's \\[engine] table sets its options). Default: the config's "
                               "\\[engine], else the streaming run."),
) -> None:
    """Label a dataset: load, clean, apply the LFs, fit the label model and the end model, write one labeled row
    per input row (with its label_source), route uncertain rows to review, compare the final labels with
    majority vote, the label model and a classifier trained on the dev gold alone on the gold test rows, write
    the report and log the run to MLflow."""
    from weaksup.config import load_config
    from weaksup.pipeline import run as run_pipeline

    if require_tracking and tracking is False:
        raise typer.BadParameter("--require-tracking and --no-tracking contradict each other; drop one")
    if require_tracking:
        tracking = True
    overrides = [*set_, *([f"mlflow.enabled={str(tracking).lower()}"] if tracking is not None else []),
                 *(["mlflow.require=true"] if require_tracking else [])]
    cfg = load_config(config, overrides)
    if engine is not None or cfg.engine is not None:  # weaksup.engines (resume is per part, always on)
        from weaksup.engines.driver import run_engine

        typer.echo(run_engine(cfg, engine=engine, fresh=fresh).summary())
        return
    result = run_pipeline(cfg, resume=resume, fresh=fresh, progress=progress)
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
    if cfg.task.type == "spans":
        from weaksup.spans.codec import load_span_votes
        from weaksup.spans.summary import span_lf_summary

        table = span_lf_summary(load_span_votes(cfg.output_dir)[1])
    elif cfg.task.type == "multilabel":  # per (LF, label): yes votes of two labels are no conflict
        from weaksup.multilabel import MultiLabelSpace, MultiLabelVotes
        from weaksup.multilabel.summary import multilabel_lf_summary
        from weaksup.pipeline.folder import read_manifest

        space = MultiLabelSpace(read_manifest(cfg.output_dir / "run.json")["label_space"])
        table = multilabel_lf_summary(MultiLabelVotes.from_vote_matrix(load_votes(cfg.output_dir), space))
    else:
        from weaksup.pipeline.plan import select_lfs

        table = lf_summary(load_votes(cfg.output_dir), select_lfs(cfg))  # (the LFs give the kind column)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        typer.echo(table.to_string())
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
    plan: bool = typer.Option(False, "--plan", help="With a run config: for each prompted LF, the prompts not yet "
                              "in the prompt cache and their estimated tokens, over the config's input (nothing "
                              "is sent)."),
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
        if plan:
            from weaksup.errors import ParameterError

            raise ParameterError("weaksup lfs --plan needs a run config (.toml): the plan reads its input rows")
        registry = Registry.from_modules(*source)
    for lf in registry.lfs:
        typer.echo(f"{lf.name:24} {lf.kind:12} {lf.version}  [{', '.join(lf.tags)}]  {lf.description}")
    if plan:
        from weaksup.lf.prompt import plan_prompts
        from weaksup.pipeline.inputs import check_fields, clean_frame, read_chunks

        def frames() -> Iterator[Any]:
            for i, chunk in enumerate(read_chunks(cfg, None)):
                if i == 0:  # as the run does: a column an LF reads is missing -> named, exit 2
                    check_fields(cfg, registry, chunk)
                yield clean_frame(cfg, chunk)[0]

        plans = plan_prompts(registry.lfs, frames())
        for found in plans:
            typer.echo(f"plan: {found}")
        typer.echo(f"plan: {sum(p.uncached for p in plans):,} prompts to send, ~{sum(p.tokens for p in plans):,} "
                   f"tokens" if plans else "plan: no prompted LFs")

from weaksup.gold.cli import gold_app  # noqa: E402
from weaksup.review.cli import review_app  # noqa: E402

app.add_typer(review_app, name="review")
app.add_typer(gold_app, name="gold")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Exit status: 0 on success, 2 for bad input (a weaksup error or a usage error, with a
    message naming what is wrong), 1 for an unexpected failure (with its traceback).
    """
    import click

    from weaksup.errors import WeakSupError

    from weaksup.interrupt import stop_on_sigterm

    with stop_on_sigterm() as terminated:
        try:
            result = app(args=argv, standalone_mode=False)  # a KeyboardInterrupt in a command: 130, from typer
        except WeakSupError as exc:
            typer.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, click.exceptions.Abort):
            result = STOPPED
        except Exception as exc:
            show = getattr(exc, "show", None)
            if callable(show) and hasattr(exc, "exit_code"):  # click/typer usage errors
                show()
                sys.exit(exc.exit_code)
            raise
    if result == STOPPED or terminated:
        why = "SIGTERM" if terminated else "Ctrl-C"
        typer.echo(f"stopped ({why}): a stopped run publishes nothing and keeps the votes it saved (weaksup run "
                   "CONFIG --resume goes on from them)", err=True)
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
    sys.exit(result if isinstance(result, int) else 0)


#: The exit status of a command stopped by Ctrl-C (128 + SIGINT; SIGTERM gives 143).
STOPPED = 130


if __name__ == "__main__":  # pragma: no cover
    main()
