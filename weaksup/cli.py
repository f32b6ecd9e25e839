"""The ``weaksup`` command."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer


def _command_returned(value: Any, **params: Any) -> Any:
    """The command returned (click's result callback): from now on a SIGTERM stops nothing."""
    from weaksup.interrupt import command_finished

    command_finished()
    return value


app = typer.Typer(add_completion=False, no_args_is_help=True, result_callback=_command_returned,
                  help="Weak supervision: label data with labeling functions.")


class _EchoHandler(logging.Handler):
    """Library log records on the command's stderr as ``warning: ...`` (whatever ``sys.stderr`` is at the time):
    INFO ones with ``--verbose``, and always a run's line per chunk (``progress``: a batch job is seen alive)."""
    verbose, progress = False, "weaksup.progress"

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or self.verbose or record.name == self.progress:
            prefix = record.levelname.lower() if record.levelno >= logging.WARNING else record.name
            typer.echo(f"{prefix}: {record.getMessage()}", err=True)


def _show_version(value: bool) -> None:
    """``--version``: print ``weaksup <version>`` and stop (before any command)."""
    if value:
        from weaksup import __version__

        typer.echo(f"weaksup {__version__}")
        raise typer.Exit()


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
          version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                       help="Print weaksup's version and exit.")) -> None:
    library = logging.getLogger("weaksup")
    library.setLevel(logging.INFO if verbose else logging.NOTSET)  # NOTSET: the root's level (WARNING by default)
    logging.getLogger(_EchoHandler.progress).setLevel(logging.INFO)
    handler = next((h for h in library.handlers if isinstance(h, _EchoHandler)), None) or _EchoHandler()
    library.addHandler(handler)  # (once: a handler the logger has is not added again)
    handler.verbose = verbose


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

    from weaksup.report.command import outcome_lines, report_config, run_report

    _tracking(tracking, require_tracking)
    config = report_config(lf_module=lf_module, out=out, tracking=tracking, require_tracking=require_tracking,
                           experiment=experiment, example=_EXAMPLE, command="demo")
    result = run_report(config, "demo")
    report = result.report
    assert report is not None  # a run with a gold set builds its report
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        p = report.params
        typer.echo(f"{p['n_rows']} comments, {p['n_lfs']} LFs (rule_version {p['rule_version']}); "
                   f"Correct/Incorrect on the {p['gold_n_dev']} dev gold rows\n")
        typer.echo(report.summary.drop(columns=["j"], errors="ignore").to_string())
    typer.echo(f"\nrows with at least one vote: {report.stats['coverage']:.1%}")
    typer.echo("\n".join(outcome_lines(result, "demo")))


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
    gold_version: int = typer.Option(None, help="Score on this gold set version (pinned); default: the latest."),
    id_column: str = typer.Option("row_id", help="Row id column of the data (gold ids refer to it)."),
    text_column: str = typer.Option("text", help="Text column shown with the LF error examples."),
    label_model: str = typer.Option("default", help="Label model: 'default' (weaksup's recommended one) or one of "
                                                    "weaksup.models.MODELS."),
    split: str = typer.Option("test", help="Gold split the label model and majority vote are measured on."),
    out: str = typer.Option(None, help="HTML report path; default reports/<task>.html (the run folder is beside it, "
                                       "named after it)."),
    seed: int = typer.Option(0, help="Seed of the label model."),
    end_model: bool = typer.Option(True, "--end-model/--no-end-model", help="Fit the end model (the final labels)."),
    normalize: bool = typer.Option(True, "--normalize/--no-normalize",
                                   help="Clean the text as `weaksup run` does (clean.normalize: NFKC, zero-width "
                                        "characters, whitespace runs); --no-normalize judges the LFs on the text "
                                        "as in the file, and the figures then differ from a run's."),
    tracking: bool = _TRACKING,
    require_tracking: bool = _REQUIRE,
    experiment: str = _EXPERIMENT,
) -> None:
    """Label-quality report: LF summary, label model vs majority vote on gold, figures; HTML and MLflow run.
    The data is read and cleaned as `weaksup run` does (its [clean] defaults)."""
    from weaksup.report.command import outcome_lines, report_config, run_report

    if split not in ("dev", "test"):
        raise typer.BadParameter(f"--split must be 'dev' or 'test'; got {split!r}")
    _tracking(tracking, require_tracking)
    config = report_config(lf_module=lf_module, data=data, id_column=id_column, text_column=text_column, gold=gold,
                           label_model=label_model, split=split, out=out, seed=seed, end_model=end_model,
                           normalize=normalize, tracking=tracking, require_tracking=require_tracking,
                           experiment=experiment, example=_EXAMPLE, gold_version=gold_version)
    typer.echo("\n".join(outcome_lines(run_report(config, "report"))))


def _tracking(tracking: bool, require_tracking: bool) -> None:
    """``--require-tracking`` with ``--no-tracking``: a usage error (exit 2) naming both flags."""
    if require_tracking and not tracking:
        raise typer.BadParameter("--require-tracking and --no-tracking contradict each other; drop one")


_SET = typer.Option([], "--set", "-s", metavar="SECTION.KEY=VALUE",
                    help="Override a config value, e.g. --set label_model.seed=7 or label_model.params.smoothing=9 (repeatable).")
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
    check_relative_paths(cfg)
    if engine is not None or cfg.engine is not None:  # weaksup.engines (resume is per part, always on)
        from weaksup.engines.driver import run_engine

        typer.echo(run_engine(cfg, engine=engine, fresh=fresh).summary())
        return
    result = run_pipeline(cfg, resume=resume, fresh=fresh, progress=progress)
    typer.echo(result.summary())


def check_relative_paths(cfg: Any) -> None:
    """The relative paths a run reads (``input.path``, ``gold.path``, ``lfs.modules`` files) are resolved from
    the project folder, the folder weaksup was started in: one missing there is a ConfigError naming that folder
    and the fix (cron starts in ``$HOME``), before any work.

    Examples
    --------
    >>> from weaksup.config import load_config
    >>> check_relative_paths(load_config("configs/youtube_spam.toml"))  # started in the project folder: all found
    """
    from weaksup.data.files import is_pattern, pattern_base
    from weaksup.errors import ConfigError

    root, home = Path(cfg.project), Path(cfg.source).resolve().parent
    wanted = [("input.path", cfg.input.path), ("gold.path", cfg.gold.path),
              *(("lfs.modules", m) for m in cfg.lfs.modules if m.endswith(".py"))]
    for key, value in wanted:
        path = Path(value).expanduser() if value else None
        probe = pattern_base(path) if path is not None and is_pattern(path) else path
        if probe is None or probe.is_absolute() or os.path.lexists(root / probe):
            continue
        near = [d for d in (home.parent, home) if os.path.lexists(d / probe)]
        hint = f"; it is in {near[0]}: `cd {near[0]}` first" if near else ""
        raise ConfigError(f"{cfg.source}: {key} = {value!r} does not exist in {root}, the folder weaksup was "
                          f"started in: relative paths in a config are resolved from there (the project folder){hint}; "
                          f"check {key}, run weaksup from the project folder (in cron: `cd /path/to/project && "
                          f"weaksup run ...`), or make {key} an absolute path")


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
    check_relative_paths(cfg)
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
    check_relative_paths(cfg)
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

from weaksup.compare_cli import compare  # noqa: E402
from weaksup.gold.cli import gold_app  # noqa: E402
from weaksup.review.cli import review_app  # noqa: E402

app.command()(compare)
app.add_typer(review_app, name="review")
app.add_typer(gold_app, name="gold")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Exit status: 0 on success, 2 for bad input (a weaksup error or a usage error, with a
    message naming what is wrong) or out of memory (one line naming the cause and the fix:
    :func:`weaksup.memory.out_of_memory`), 1 for an unexpected failure (with its traceback) or one that running the
    same command again can get past (one line: :func:`weaksup.errors.run_again`, e.g. a chat server down or
    rate-limiting past the retries, or the prompt budget used up), 130 / 143 when Ctrl-C /
    SIGTERM stopped the command (a SIGTERM that comes after the command finished stops nothing: 0).
    """
    from weaksup.interrupt import exit_interrupted_at_start

    try:  # (a Ctrl-C before SIGTERM's handler and the command start: nothing ran)
        from weaksup.errors import WeakSupError
        from weaksup.interrupt import (command_finished, command_starts, quiet_while_ending, stop_on_sigterm,
                                       stop_signals, stopped_by_signal, stopped_message)
        from weaksup.memory import out_of_memory
    except KeyboardInterrupt:
        exit_interrupted_at_start()
    signals = stop_signals()
    with stop_on_sigterm() as terminated:
        try:
            command_starts()  # Ctrl-C: a KeyboardInterrupt from here (one line, 130, before: weaksup.interrupt)
            result = app(args=argv, standalone_mode=False)  # a KeyboardInterrupt in a command: 130, from typer
            command_finished()  # a SIGTERM from now on stops nothing
        except WeakSupError as exc:
            if not stopped_by_signal(exc, signals):  # (else a stop that a step reported as its error: 130 / 143)
                typer.echo(f"error: {exc}", err=True)
                sys.exit(1 if getattr(exc, "run_again", False) else 2)  # (weaksup.errors.run_again: retry later)
            result = STOPPED
        except (KeyboardInterrupt, typer.Abort):  # (typer.Abort: click's in older typer, its own where typer vendors click)
            result = STOPPED
        except BaseException as exc:  # (SystemExit and any other failure: raised on)
            show = getattr(exc, "show", None)
            if isinstance(exc, Exception) and callable(show) and hasattr(exc, "exit_code"):  # click/typer usage
                show()
                sys.exit(exc.exit_code)
            if (message := out_of_memory(exc)) is None:  # out of memory: one line (weaksup.memory)
                raise
            typer.echo(f"error: {message}", err=True)
            sys.exit(2)
        finally:  # only the outcome and the exit are left: a Ctrl-C now is one line and 130, never a traceback
            quiet_while_ending()
    if result == STOPPED or terminated:
        why = "SIGTERM" if terminated else "Ctrl-C"
        if result != STOPPED:  # the command had finished when the signal came
            typer.echo(f"warning: {why} came after the command had finished; nothing was stopped", err=True)
            sys.exit(result if isinstance(result, int) else 0)
        typer.echo(f"stopped ({why}): {stopped_message()}", err=True)
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
    sys.exit(result if isinstance(result, int) else 0)


#: The exit status of a command stopped by Ctrl-C (128 + SIGINT; SIGTERM gives 143).
STOPPED = 130


if __name__ == "__main__":  # pragma: no cover
    main()
