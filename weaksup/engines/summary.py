"""What an engine run did (:class:`EngineResult` and its summary), the names of its gold metrics, and the timer
of its phases (:class:`Phases`).

Gold metrics carry the plain run's ``run.json`` names, one name per number in both runs: the label model's
``accuracy``, ``macro_f1``, ``brier``, ``ece``, ... on the ``gold.split`` rows, with ``<split>/coverage`` and
``<split>/n_gold`` (the same for every labeler, so once); majority vote's ``majority_vote.<metric>`` (the baseline);
the final labels' -- those written, the end model's where it labeled the rows -- ``final/<metric>`` on the gold test
rows, written when the plain run writes its own (:func:`weaksup.engines.driver.final_split`), with the references
the plain run measures beside them (:mod:`weaksup.engines.references`: majority vote, the label model and
``supervised_on_dev``, a classifier trained on the dev gold rows alone, as ``reference/<name>/<metric>``, the rows
as ``reference/coverage``, ``reference/n_rows``, ... and the verdict's ``final/gain_over_supervised``). The engine
adds the final labels' figures the plain run's references do not compute (:data:`FINAL_ONLY`). The summary prints
the references as the plain run's does: the verdict, the coverage split, the warnings and the table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weaksup.references import GoldReferences

#: The label model's gold metrics the summary shows (``{split}``: ``gold.split``), by the plain run's names.
LABEL_METRICS = ("accuracy", "{split}/coverage", "macro_f1", "brier", "ece")
#: Majority vote's gold metrics the summary shows, by the plain run's ``run.json`` names.
MAJORITY_METRICS = ("majority_vote.accuracy", "majority_vote.macro_f1")
#: The prefix of the final (written) labels' gold metrics, and the split they are measured on, as in the plain run.
FINAL, FINAL_SPLIT = "final/", "test"
#: The final labels' gold metrics the summary shows.
FINAL_METRICS = ("final/accuracy", "final/macro_f1", "final/brier", "final/ece")
#: The final labels' metrics an engine run writes that the plain run's references do not compute.
FINAL_ONLY = ("accuracy_labelled", "brier", "macro_f1", "macro_precision")
#: Gold metrics that count the split's rows, the same for every labeler: the label model's names hold them.
SPLIT_COUNTS = ("coverage", "n_gold", "n_voted", "n_no_votes")

#: What each timing of an engine run covers, in run order (a run lists those it went through); the phases follow
#: one another with no gap, so they add up to ``total``.
PHASES = {
    "setup": "config and input checks, waiting for the output folder's lock, the gold set, the vote cache lookup",
    "engine start": "starting (or connecting to) the Dask cluster, or the Spark session (Dask and Spark only)",
    "read+clean+apply+count": "the votes map on the engine and the pattern counts summed on the driver",
    "fit": "the label model's fit on the vote patterns and its pattern -> label table",
    "end model fit": "the end model's training on the driver ([end_model] only)",
    "predict+route+write": "the labels map into the staging folder, and label_model.json",
    "end model predict+route+write": "the labels map with the end model labeling the rows",
    "engine close": "closing the Dask client and cluster, or stopping the Spark session, this run started",
    "evaluate+report+commit": "label counts, gold metrics and the references, the report, and the commit of the "
                              "run folder",
    "mlflow": "logging the run to MLflow",
    "total": "the run from its first check to its end: the sum of the phases",
}


def final_names(metrics: Mapping[str, float]) -> dict[str, float]:
    """The final (written) labels' gold metrics under the plain run's names, ``final/<metric>``; the split's row
    counts (:data:`SPLIT_COUNTS`) are left to the label model's names (the same numbers).

    Examples
    --------
    >>> final_names({"accuracy": 0.93, "ece": 0.04, "coverage": 0.94, "n_gold": 290.0, "n_voted": 273.0})
    {'final/accuracy': 0.93, 'final/ece': 0.04}
    """
    return {f"{FINAL}{k}": float(v) for k, v in metrics.items() if k not in SPLIT_COUNTS}


def final_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """The final labels' gold metrics among ``metrics`` (what an engine run logs to MLflow beside the report's
    figures and the references' -- ``reference/*`` and their ``final/*``, logged from the references as the plain
    run logs them -- with the final labels' figures the references do not compute, :data:`FINAL_ONLY`; the label
    model's are the report's ``<split>/label_model/<metric>`` there).

    Examples
    --------
    >>> final_metrics({"accuracy": 0.9, "final/accuracy": 0.93, "majority_vote.accuracy": 0.87})
    {'final/accuracy': 0.93}
    """
    return {k: v for k, v in metrics.items() if k.startswith(FINAL)}


def gold_classes(report: Any) -> dict[str, int]:
    """The gold rows of each class that a run's report evaluated the label model on (``{}`` without a report or
    its evaluation): what :attr:`EngineResult.gold_classes` holds."""
    evaluation = getattr(report, "evaluation", None)
    return evaluation.class_counts() if evaluation is not None else {}


class Phases:
    """Seconds per phase of a run, each phase from the end of the one before, so they add up to ``total``.

    Examples
    --------
    >>> phases = Phases()
    >>> phases.lap("setup"); phases.lap("fit")
    >>> timings = phases.done()
    >>> list(timings), abs(timings["setup"] + timings["fit"] - timings["total"]) < 1e-9
    (['setup', 'fit', 'total'], True)
    """

    def __init__(self, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.last = self.started
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> None:
        """End the phase ``name`` now (a name given twice adds up)."""
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.last
        self.last = now

    def done(self) -> dict[str, float]:
        """The phases and their ``total`` (the time from the start to the end of the last phase)."""
        return {**self.seconds, "total": self.last - self.started}


@dataclass
class EngineResult:
    """What an engine run did: where its labels are, the work it did and reused, the model and the metrics
    (named as in the module docstring), and the seconds per phase (:data:`PHASES`)."""

    engine: str
    run_id: str
    run_dir: Path
    rows: int
    parts: int
    parts_voted: int
    columns_computed: int
    columns_reused: int
    patterns: int
    label_model: str
    fit_note: str = ""
    label_counts: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    gold_split: str = "test"
    mlflow_run_id: str | None = None
    #: Rows each LF faulted on (abstained under ``lfs.fault_tolerant``), by LF name; LFs with none left out.
    faults: dict[str, int] = field(default_factory=dict)
    #: Majority vote, the label model, supervised-on-dev and the final labels on the gold test rows (as the plain
    #: run's), or None; ``references_note``: why there are none, or what they lack, in words.
    references: GoldReferences | None = field(default=None, repr=False, compare=False)
    references_note: str = ""
    #: The gold rows of each class on the ``gold_split`` (what the label model's accuracy is over), or ``{}``.
    gold_classes: dict[str, int] = field(default_factory=dict)
    #: Why the run is not in MLflow when ``mlflow.enabled`` is false (:func:`weaksup.tracking.tracking_off_note`).
    mlflow_note: str = ""

    def summary(self) -> str:
        """The run summary (what ``weaksup run --engine`` prints)."""
        lines = [f"engine {self.engine}: {self.rows:,} rows in {self.parts} part(s) -> {self.run_dir}",
                 f"votes: {self.parts_voted} part(s) voted, {self.columns_computed} LF column(s) computed, "
                 f"{self.columns_reused} reused from the vote cache",
                 f"label model {self.label_model} fitted on {self.patterns:,} vote patterns"]
        if self.faults:
            lines.append("LF faults or timeouts (rows abstained): " + ", ".join(f"{k} {v:,}" for k, v in self.faults.items()))
        if self.fit_note:
            lines.append(f"NOTE: {self.fit_note}")
        if self.label_counts:
            lines.append("labels: " + ", ".join(f"{k} {v:,}" for k, v in self.label_counts.items()))
        if self.status_counts:
            lines.append("review: " + ", ".join(f"{k} {v:,}" for k, v in self.status_counts.items()))
        from weaksup.evaluate import majority_class_note

        shown = [k.format(split=self.gold_split) for k in LABEL_METRICS]
        for what, split, names in (("label model", self.gold_split, shown),
                                   ("final labels (the written ones)", FINAL_SPLIT, FINAL_METRICS),
                                   ("majority vote (the baseline)", self.gold_split, MAJORITY_METRICS)):
            if any(k in self.metrics for k in names):
                note = majority_class_note(self.metrics.get("accuracy", float("nan")), self.gold_classes) \
                    if what == "label model" else ""
                lines.append(f"{what} on the gold {split} split: "
                             + ", ".join(f"{k} {self.metrics[k]:.3f}" for k in names if k in self.metrics)
                             + (f". {note}" if note else ""))
        from weaksup.references import summary_lines

        lines += summary_lines(self.references, self.references_note)
        if self.mlflow_run_id:
            lines.append(f"MLflow run {self.mlflow_run_id}")
        elif self.mlflow_note:
            lines.append(self.mlflow_note)
        lines.append("seconds (the phases add up to total): "
                     + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        return "\n".join(lines)
