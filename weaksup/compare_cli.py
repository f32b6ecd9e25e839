"""``weaksup compare RUN_A RUN_B``: two runs side by side (:mod:`weaksup.compare`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def compare(
    run_a: Path = typer.Argument(..., help="The earlier run: a run folder (holding run.json), or a previous_run.json."),
    run_b: Path = typer.Argument(..., help="The later run: a run folder, or a run.json / previous_run.json."),
    as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON (for scripts)."),
) -> None:
    """Compare two runs from their run.json: LFs added, removed and changed (name@version), the gold set and
    version of each, the data hash, the label model and its params, and the headline figures both runs have with
    their deltas (B - A). A run folder keeps the run it replaced as previous_run.json:
    `weaksup compare runs/x/previous_run.json runs/x`."""
    from weaksup.compare import diff_runs, read_run

    found = diff_runs(read_run(run_a), read_run(run_b), a_name=str(run_a), b_name=str(run_b))
    typer.echo(json.dumps(found.as_dict(), indent=1) if as_json else "\n".join(found.lines()))
