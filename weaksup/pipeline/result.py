"""What a run did (:class:`RunResult`) and the stage timer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from weaksup.config import RunConfig
from weaksup.gold.gaps import gap_lines
from weaksup.pipeline.inputs import cleaning_note

if TYPE_CHECKING:
    from weaksup.references import GoldReferences
    from weaksup.report import QualityReport


@dataclass
class RunResult:
    """What a run did: counts, metrics, where things were written, and stage timings (seconds).

    ``report`` is the run's :class:`~weaksup.report.QualityReport` (LF summary, metrics; its figures
    released), when the run built one.
    """

    config: RunConfig
    run_dir: Path
    labels_path: Path
    n_rows: int
    n_lfs: int
    rule_version: str
    label_model: str
    coverage: float
    label_counts: dict[str, int]
    status_counts: dict[str, int]
    conflicts: int
    faults: dict[str, int]
    prep: dict[str, int]
    chunks: dict[str, int]
    timeouts: dict[str, int] = field(default_factory=dict)
    #: LFs whose saved votes are never reused (their version cannot cover what they read), with why.
    not_cacheable: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    gold: dict[str, Any] | None = None
    report_path: Path | None = None
    mlflow_uri: str | None = None
    mlflow_run_id: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    report: QualityReport | None = field(default=None, repr=False, compare=False)
    #: Rows per ``label_source`` (``"(none)"``: abstained rows).
    source_counts: dict[str, int] = field(default_factory=dict)
    #: What the end-model stage used (``run.json``'s ``end_model``), or why it was skipped.
    end_model: dict[str, Any] = field(default_factory=dict)
    #: Majority vote, the label model, supervised-on-dev and the final labels on the gold test rows.
    references: GoldReferences | None = field(default=None, repr=False, compare=False)
    #: Why there are no references (or what they lack), in words.
    references_note: str = ""
    #: Gold test rows among those needing review: `weaksup review export` never queues a row with a gold label.
    review_held_out: int = 0
    #: Further files the task type wrote in the run folder beside the labels (``run.json``'s ``outputs``: key ->
    #: name), e.g. a spans run's ``spans.spacy`` and ``spans.conll``.
    outputs: dict[str, str] = field(default_factory=dict)
    #: Per gold split, the classes it has no row of (:meth:`weaksup.pipeline.RunPlan.gold_gaps`; shown by
    #: :func:`weaksup.gold.gaps.gap_lines`).
    gold_gaps: dict[str, list[str]] = field(default_factory=dict)
    #: Per prompted LF, what this run's apply stage cost (``run.json``'s ``prompt``; :func:`prompt_usage`).
    prompt: dict[str, dict[str, int]] = field(default_factory=dict)
    #: The input's identity (``run.json``'s ``data_hash``: the key of the saved votes, MLflow's ``data_hash``).
    data_hash: str = ""
    #: The votes' coverage, overlap, conflict... (the report's :meth:`weaksup.analysis.VoteStats.summary`).
    vote_stats: dict[str, float] = field(default_factory=dict)
    #: The ``run.json`` of the run this one replaced in its folder (kept as ``previous_run.json``), or None.
    previous: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    #: The headline changes against ``previous`` (:func:`weaksup.compare.previous_line`), or ``""``.
    previous_change: str = ""

    def summary(self) -> str:
        """A short human-readable account of the run."""
        total = max(self.n_rows, 1)
        lines = [
            f"{self.n_rows:,} rows, {self.n_lfs} LFs (rule_version {self.rule_version}), "
            f"label model {self.label_model}",
            f"rows with at least one vote: {self.coverage:.1%} of all {self.n_rows:,} rows (coverage_all_rows); "
            f"rows with conflicting votes: {self.conflicts:,}",
            ("labels: " + ", ".join(f"{name} {n:,} ({n / total:.1%})" for name, n in self.label_counts.items()))
            if self.config.task.type != "spans" else  # (a spans run counts spans per type, and empty documents)
            ("spans: " + ", ".join(f"{name} {n:,}" for name, n in self.label_counts.items() if name != "(none)")
             + f"; documents without spans {self.label_counts.get('(none)', 0):,}"),
            "review: " + ", ".join(f"{name} {n:,}" + (self.held_out_note() if name == "needs_review" else "")
                                   for name, n in self.status_counts.items()),
            *self.end_lines(),
            self.chunk_line(),
        ]
        if self.not_cacheable:
            lines.append("recomputed on every run (not cacheable): "
                         + "; ".join(f"{name} ({why})" for name, why in self.not_cacheable.items()))
        if self.prep.get("missing_text") or self.prep.get("exact_duplicates") or self.prep.get("near_duplicates"):
            lines.append(f"cleaning: {self.prep.get('missing_text', 0):,} rows without text (abstained on), "
                         f"{self.prep.get('exact_duplicates', 0):,} exact and "
                         f"{self.prep.get('near_duplicates', 0):,} near duplicates")
        cleaning = cleaning_note(self.config, self.prep)
        if cleaning:
            lines.append(cleaning)
        faulty = {k: v for k, v in self.faults.items() if v}
        if faulty:
            lines.append(f"LF faults (rows abstained): {faulty}")
        lines += [f"prompted LF {name}: {c['sent']:,} prompts sent, {c['cached']:,} answered from the cache, "
                  f"{c['retries']:,} retries, {c['failures']:,} failures, ~{c['tokens']:,} estimated tokens"
                  for name, c in self.prompt.items()]
        slow = {k: v for k, v in self.timeouts.items() if v}
        if slow:
            lines.append(f"LFs past lfs.lf_timeout (rows abstained): {slow}")
        if self.metrics and self.gold is not None:
            from weaksup.tasks import task_type

            shown = task_type(self.config.task.type).summary_metrics
            from weaksup.evaluate import majority_class_note

            evaluation = getattr(self.report, "evaluation", None)
            note = majority_class_note(self.metrics.get("accuracy", float("nan")),
                                       evaluation.class_counts() if evaluation is not None else {})
            from weaksup.metrics import metric_text

            said = [text for text in (metric_text(self.metrics, k) for k in shown) if text is not None]
            lines.append(f"label model on the gold {self.gold['split']} split ({self.gold['describe']}): "
                         + ", ".join(said) + (f". {note}" if note else ""))
        lines += self.reference_lines()
        lines += gap_lines(self.gold_gaps, "label" if self.config.task.type == "multilabel" else "class")
        found = list(getattr(self.report, "dependence", None) or [])
        if found:  # (the report measures them: weaksup.dependence.find_dependent_lfs)
            lines.append(f"dependent LFs ({len(found)}; they make a label model overconfident):")
            listed = found[:3] if self.report_path is not None else found  # (no report: every one is here)
            lines += [f"  - {f.message}" for f in listed]
            if len(found) > len(listed):
                lines.append(f"  ... and {len(found) - len(listed)} more in the report ({self.report_path})")
        if self.previous_change:
            lines.append(self.previous_change)
        lines.append(f"labels: {self.labels_path}")
        lines.append(f"run folder: {self.run_dir} (votes/, label_model.json, run.json"
                     + "".join(f", {name}" for name in self.outputs.values())
                     + (", previous_run.json" if self.previous is not None else "")
                     + (", report.html)" if self.report_path else ")"))
        if self.mlflow_run_id:
            lines.append(f"MLflow run {self.mlflow_run_id} at {self.mlflow_uri}")
        else:
            from weaksup.tracking import tracking_off_note

            lines += [note for note in [tracking_off_note(self.config)] if note]
        lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.timings.items()))
        return "\n".join(lines)


    def chunk_line(self) -> str:
        """How the votes were got: the chunks voted (some or all of their LF columns computed) and those taken
        whole from saved votes, then the LF columns (one per LF and chunk) computed and reused.

        Examples
        --------
        >>> from weaksup.config import RunConfig
        >>> config = RunConfig.from_dict({"task": {"name": "x"}, "input": {"path": "x.csv"},
        ...                               "lfs": {"modules": ["x"]}, "output": {"path": "out/labels.csv"}})
        >>> result = RunResult(config, Path("out"), Path("out/labels.csv"), 10, 28, "r", "m", 0.5, {}, {}, 0, {},
        ...                    {}, {"computed": 1, "reused": 0, "columns_computed": 1, "columns_reused": 27})
        >>> result.chunk_line()
        'votes: 1 chunk(s) voted, 0 reused whole from saved votes; LF columns: 1 computed, 27 reused from saved votes'
        """
        count = self.chunks.get
        return (f"votes: {count('computed', 0)} chunk(s) voted, {count('reused', 0)} reused whole from saved votes; "
                f"LF columns: {count('columns_computed', 0)} computed, {count('columns_reused', 0)} reused from "
                "saved votes")

    def held_out_note(self) -> str:
        """Why ``weaksup review export`` queues fewer rows than ``needs_review`` (the gold test rows), or ``""``."""
        if not self.review_held_out:
            return ""
        left = self.status_counts.get("needs_review", 0) - self.review_held_out
        return (f" ({self.review_held_out:,} of them gold test rows, never exported: they measure the labels; "
                f"{left:,} to review)")

    def end_lines(self) -> list[str]:
        """Where the labels came from (rows per ``label_source``), and what the end model used."""
        total = max(self.n_rows, 1)
        lines = []
        if self.source_counts:
            names = {"(none)": "none (abstained)"}
            lines.append("label source: " + ", ".join(f"{names.get(name, name)} {n:,} ({n / total:.1%})"
                                                      for name, n in self.source_counts.items()))
        if self.end_model:
            lines.append(_end_note(self.end_model) + self.source_note())
        return lines

    def source_note(self) -> str:
        """What labeled the written rows, counted per ``label_source`` in the labels file (``""`` before they are
        written or when the end model did not run)."""
        counts = {name: n for name, n in self.source_counts.items() if n}
        weight = self.end_model.get("label_model_weight")
        if not counts or "skipped" in self.end_model or weight is None or weight != weight:  # (nan: unknown)
            return ""
        guess = ' (label_model.no_votes = "predict")' if self.config.label_model.no_votes == "predict" else ""
        lm = ("no-vote rows by the label model's prior guess" + guess if weight <= 0 else
              "rows by the label model combined with the end model (rows with votes)" if not guess else
              "rows by the label model (combined with the end model on rows with votes, its prior guess on rows "
              "with none" + guess + ")")
        words = {"end_model": "rows by the end model alone", "label_model": lm,
                 "human": "rows keep their dev gold label (human)", "(none)": "rows abstained (no label)"}
        return "; written labels: " + ", ".join(f"{n:,} {words.get(name, name)}" for name, n in counts.items())

    def reference_lines(self) -> list[str]:
        """The references table on the gold test rows with the verdict and the coverage split, or why not
        (:func:`weaksup.references.summary_lines`)."""
        from weaksup.references import summary_lines

        return summary_lines(self.references, self.references_note)


def _end_note(info: dict[str, Any]) -> str:
    """The summary line of the end model (``run.json``'s ``end_model``): what it used, or why it did not run."""
    if "skipped" in info:
        return f"end model: off ({info['skipped']})"
    calibrated = (f"calibrated on the dev gold (temperature {info['temperature']:.2f})"
                  if info.get("temperature") is not None else
                  "not calibrated (no dev gold)" if not info.get("dev_rows") else "not calibrated (end_model.calibrate)")
    weight = info.get("label_model_weight")
    combined = "" if weight is None else (f", label model weight {weight:.2f} on rows with votes" if weight > 0
                                          else ", label model weight 0 (the end model alone on rows with votes)")
    return (f"end model: trained on {info['train_rows']:,} rows ({info['dev_rows']:,} dev gold), "
            f"{info['folds']} folds cross-fitted, {calibrated}{combined}")


def prompt_usage(lfs: Iterable[Any], since: Mapping[str, Mapping[str, int]] | None = None
                 ) -> dict[str, dict[str, int]]:
    """Per prompted LF among ``lfs``, its client's counts (:meth:`weaksup.prompt.ChatClient.usage`: prompts sent,
    answered from the cache, retries, failures, estimated tokens), less those of ``since`` (an earlier call).

    Examples
    --------
    >>> import tempfile
    >>> from weaksup import prompt_lf
    >>> from weaksup.prompt import ChatClient
    >>> client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tempfile.mkdtemp() + "/c.sqlite3")
    >>> lf = prompt_lf("llm", "Spam? {text}", labels={"spam": 1, "ham": 0}, client=client)
    >>> client.count("llm", sent=3, tokens=90)
    >>> before = prompt_usage([lf])
    >>> client.count("llm", sent=2, cached=1, tokens=60)
    >>> prompt_usage([lf], since=before)
    {'llm': {'sent': 2, 'cached': 1, 'retries': 0, 'failures': 0, 'tokens': 60, 'used_tokens': 0}}
    """
    from weaksup.prompt.client import USAGE_KEYS, ChatClient

    found: dict[str, dict[str, int]] = {}
    for lf in lfs:
        client = getattr(lf, "client", None)
        if getattr(lf, "kind", None) == "prompt" and isinstance(client, ChatClient):
            now, was = client.usage().get(lf.name, {}), (since or {}).get(lf.name, {})
            found[lf.name] = {k: int(now.get(k, 0)) - int(was.get(k, 0)) for k in USAGE_KEYS}
    return found


class Timer:
    """Seconds spent per stage: ``timer.add("fit", started)`` after a stage that began at ``started``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, stage: str, started: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

