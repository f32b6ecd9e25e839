"""The ``weaksup`` command."""

from __future__ import annotations

import logging
import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Weak supervision: label data with labeling functions.")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def demo(
    lf_module: str = typer.Option("labeling_functions.youtube_spam", help="LF module (dotted name or .py path)."),
) -> None:
    """Run the main job on the shipped example (YouTube Spam Collection) and print the LF summary."""
    import numpy as np
    import pandas as pd

    from weaksup.analysis import lf_summary
    from weaksup.apply import apply_lfs
    from weaksup.examples import load_youtube_spam
    from weaksup.registry import Registry

    registry = Registry.from_modules(lf_module)
    data = load_youtube_spam(with_labels=True)
    votes = apply_lfs(registry, data.drop(columns=["label", "split"]), id_column="row_id")
    dev = (data["split"] == "dev").to_numpy()
    gold = np.where(dev, data["label"].map({n: i for i, n in enumerate(registry.label_space)}).to_numpy(), -1)
    summary = lf_summary(votes, registry.lfs, gold=gold)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        typer.echo(f"{len(data)} comments, {len(registry)} LFs (rule_version {registry.rule_version}); "
                   f"Correct/Incorrect on the {int(dev.sum())} dev gold rows\n")
        typer.echo(summary.drop(columns=["j"]).to_string())
    covered = (votes.values != -1).any(axis=1).mean()
    typer.echo(f"\nrows with at least one vote: {covered:.1%}")


@app.command()
def lfs(module: list[str] = typer.Argument(..., help="LF modules (dotted names or .py paths).")) -> None:
    """List the labeling functions of some modules with kind, version and tags."""
    from weaksup.registry import Registry

    registry = Registry.from_modules(*module)
    for lf in registry.lfs:
        typer.echo(f"{lf.name:24} {lf.kind:12} {lf.version}  [{', '.join(lf.tags)}]  {lf.description}")


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
