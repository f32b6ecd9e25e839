"""The stages after apply: fit the label model, predict-route-write the labels, build the report."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup._io import atomic_path
from weaksup.config import OUTPUT_FORMATS
from weaksup.errors import DataError
from weaksup.labels import ABSTAIN
from weaksup.models.sampling import sampled_rows
from weaksup.pipeline.inputs import clean_frame, read_chunks
from weaksup.pipeline.outputs import LABEL_SOURCES, LabelWriter
from weaksup.pipeline.plan import RunPlan
from weaksup.pipeline.vote_store import VoteStore
from weaksup.pipeline.voting import AppliedVotes
from weaksup.review.routing import REVIEW_STATUSES
from weaksup.votes import VoteMatrix, has_vote

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel
    from weaksup.references import GoldReferences
    from weaksup.report import QualityReport

logger = logging.getLogger(__name__)


def fit_stage(plan: RunPlan, applied: AppliedVotes) -> BaseLabelModel:
    """Fit the label model on every row's votes (or a ``label_model.sample_rows`` sample), with the dev
    gold split when the model learns from it (:meth:`TaskType.fit`; classification:
    :func:`weaksup.models.fitting.fit_label_model`). Every gold split is first checked against its rows' votes
    (:meth:`TaskType.check_gold_rows`), so a gold row the run cannot score stops it before anything is written."""
    settings = plan.config.label_model
    lf_names = [c.name for c in plan.vote_columns]
    if plan.gold is not None:
        for split in plan.gold.counts():
            ids, targets = plan.task.gold_targets(plan.gold, split, plan.label_space)
            at = np.array([applied.gold_positions[r] for r in ids], dtype=np.int64)
            plan.task.check_gold_rows(split, ids, targets, applied.values[at], lf_names=lf_names,
                                      label_space=plan.label_space)
    model = label_model_template(plan)
    L = applied.values
    if 0 < settings.sample_rows < len(L):  # the engines' stratified sample of the same rows (any order)
        if L.ndim == 2:
            L = sampled_rows(L, settings.sample_rows, settings.seed)
        else:  # multi-label votes (n, m, k): a seeded sample of rows
            rows = np.sort(np.random.default_rng(settings.seed).choice(len(L), settings.sample_rows, replace=False))
            L = L[rows]
    L_dev = y_dev = None
    if plan.gold is not None and plan.has_dev_gold:
        dev, y_dev = plan.task.gold_targets(plan.gold, "dev", plan.label_space)
        positions = np.array([applied.gold_positions[r] for r in dev], dtype=np.int64)
        L_dev = applied.values[positions]
    fitted: BaseLabelModel = plan.task.fit(model, L, lf_names=lf_names,
                                           label_space=plan.label_space, seed=settings.seed, L_dev=L_dev, y_dev=y_dev)
    return fitted


def label_model_template(plan: RunPlan) -> BaseLabelModel:
    """An unfitted label model as ``[label_model]`` configures it (name, seed, params)."""
    settings = plan.config.label_model
    model: BaseLabelModel = plan.task.new_model(plan.model_cls, plan.label_space, settings.seed, settings.params)
    return model


@dataclass(frozen=True)
class Written:
    """What :func:`write_stage` counted in the labels it wrote, and the labels (class ids, ``-1`` abstain) and
    probabilities it wrote for the ``watch`` rows (in the order of ``watch``)."""

    label_counts: dict[str, int]
    status_counts: dict[str, int]
    conflicts: int
    source_counts: dict[str, int]
    watched_labels: np.ndarray
    watched_proba: np.ndarray
    #: ``watch`` rows (the gold test rows) the run routed for review: never exported, they measure the labels.
    watched_needs_review: int = 0
    #: The ``watch`` row positions themselves (those of ``watched_labels``).
    watched_rows: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def reviewed_rows(plan: RunPlan, applied: AppliedVotes) -> dict[int, Any]:
    """The rows with a human label (the dev gold split): row position -> its target (a class id; for multilabel
    the row's ``(k,)`` bool label set)."""
    if plan.gold is None or not plan.has_dev_gold:
        return {}
    dev, targets = plan.task.gold_targets(plan.gold, "dev", plan.label_space)
    return {applied.gold_positions[r]: target for r, target in zip(dev, targets)}


def write_stage(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel, store: VoteStore, *,
                progress: bool | None = None, final: Iterator[tuple[np.ndarray, np.ndarray]] | None = None,
                watch: np.ndarray | None = None) -> Written:
    """Predict chunk by chunk, route, and write the labels atomically; returns counts for the summary.

    ``final`` yields each chunk's final probabilities and ``label_source`` (the end stage,
    :func:`weaksup.pipeline.end_stage.final_chunks`); without it the label model labels the rows, and
    ``label_model.no_votes`` says what it does on rows no LF voted on. ``watch``: sorted row positions whose
    written labels and probabilities are returned (the gold test rows). Each chunk is written on a second
    thread while the next one is predicted.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.compute as pc
    from tqdm.auto import tqdm

    config, space = plan.config, plan.label_space
    reviewed = reviewed_rows(plan, applied)
    lf_names = [column.name for column in plan.vote_columns]
    path = config.output_path
    fmt = OUTPUT_FORMATS[path.suffix.lower()]
    label_counts: dict[str, int] = {}
    status_counts = dict.fromkeys(REVIEW_STATUSES, 0)
    conflicts = 0
    source_counts = dict.fromkeys([*LABEL_SOURCES, "(none)"], 0)
    watch = np.zeros(0, dtype=np.int64) if watch is None else watch
    watched_labels, watched_proba = plan.task.watch_arrays(space, len(watch))
    start = held_out = 0
    with atomic_path(path) as tmp, ThreadPoolExecutor(max_workers=1, thread_name_prefix="weaksup-write") as pool, \
            tqdm(total=len(applied.values), desc="predicting, writing labels", unit="rows", unit_scale=True,
                 disable=None if progress is None else not progress) as bar:
        writer = LabelWriter(tmp, fmt, escape_formulas=plan.config.output.escape_formulas)
        writing: Future[None] | None = None
        try:
            for i, part in enumerate(store.parts):
                stop = start + part["rows"]
                chunk_reviewed = {p - start: y for p, y in reviewed.items() if start <= p < stop}
                table = plan.task.label_table(model, applied.values[start:stop], reviewed=chunk_reviewed,
                                              policy=plan.policy, label_space=space, lf_names=lf_names,
                                              rule_version=plan.registry.rule_version,
                                              tie_break=config.label_model.tie_break,
                                              seed=config.label_model.seed + i, no_votes=config.label_model.no_votes,
                                              final=None if final is None else next(final))
                if table.num_rows != stop - start:
                    raise DataError(f"chunk {i}: {table.num_rows} labels for {stop - start} rows; the input changed "
                                    "during the run: run again")
                table = table.add_column(0, "row_id", store.row_ids(i).cast(pa.string()))
                lo, hi = np.searchsorted(watch, [start, stop])
                if hi > lo:
                    watched_labels[lo:hi], watched_proba[lo:hi] = plan.task.watched(table, watch[lo:hi] - start, space)
                    held_out += int(pc.sum(pc.equal(table.column("review_status").take(pa.array(watch[lo:hi] - start)),
                                                    "needs_review")).as_py() or 0)
                for name, n in plan.task.count_labels(table, space).items():
                    label_counts[name] = label_counts.get(name, 0) + n
                for column, counts in (("review_status", status_counts), ("label_source", source_counts)):
                    for entry in pc.value_counts(table.column(column)).to_pylist():
                        counts[entry["values"] if entry["values"] is not None else "(none)"] += entry["counts"]
                conflicts += int(pc.sum(table.column("conflict")).as_py() or 0)
                if writing is not None:
                    writing.result()
                writing = pool.submit(writer.write, table)
                bar.update(stop - start)
                start = stop
            if writing is not None:
                writing.result()
        finally:
            if writing is not None:
                writing.exception()  # let a pending write finish before the file is closed
            writer.close()
    return Written(label_counts, status_counts, conflicts, source_counts, watched_labels, watched_proba, held_out,
                   watched_rows=watch)


class NoVoteAbstention:
    """Mixed into a fitted label model's class by :func:`abstaining`: no label on rows no LF voted on."""

    def predict_proba(self, L: Any) -> np.ndarray:
        proba = np.array(super().predict_proba(L), dtype=np.float64)  # type: ignore[misc]
        proba[_silent(L)] = 1.0 / proba.shape[1]
        return proba

    def predict(self, L: Any, *, tie_break: str = "abstain") -> np.ndarray:
        labels = np.array(super().predict(L, tie_break=tie_break), dtype=np.int64)  # type: ignore[misc]
        labels[_silent(L)] = ABSTAIN
        return labels


def _silent(L: Any) -> np.ndarray:
    votes = np.asarray(getattr(L, "values", L))
    return ~has_vote(votes) if votes.ndim == 2 and votes.shape[1] else np.ones(len(votes), bool)


def abstaining(model: BaseLabelModel) -> BaseLabelModel:
    """A copy of fitted ``model`` that labels only rows with a vote (``label_model.no_votes = "abstain"``): rows no
    LF voted on get uniform probabilities and no label, as in the run's labels. Its class keeps the model's name
    and settings, so the report names and describes the same model.

    Examples
    --------
    >>> from weaksup.models import DawidSkene
    >>> L = np.array([[0, 0], [1, -1], [-1, -1], [1, 1]] * 5)
    >>> model = abstaining(DawidSkene(cardinality=2).fit(L))
    >>> type(model).__name__, model.predict(L[:4]).tolist(), model.predict_proba(L[2:3]).tolist()
    ('DawidSkene', [0, 1, -1, 1], [[0.5, 0.5]])
    """
    cls = type(model)
    mixed = type(cls.__name__, (NoVoteAbstention, cls), {"__module__": cls.__module__, "__doc__": cls.__doc__})
    clone: BaseLabelModel = object.__new__(mixed)
    clone.__dict__.update(copy.copy(model.__dict__))
    return clone


@dataclass(frozen=True)
class EncodedVotes:
    """The votes a report gets when the task type stores text cells (a spans run, :mod:`weaksup.spans.codec`):
    the cells of the reported rows, their row positions, the column names and the LFs' fault counts."""

    values: np.ndarray
    row_ids: np.ndarray
    lf_names: list[str]
    faults: dict[str, int]


def positional_gold(gold: GoldSet, positions: dict[str, int]) -> GoldSet:
    """The gold set keyed by row position instead of row id (so millions of ids need not be held)."""
    frame = gold.frame.copy()
    frame["row_id"] = frame["row_id"].map(positions).astype(np.int64)
    return dataclasses.replace(gold, frame=frame)


def report_stage(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel, identity_key: str, *,
                 references: GoldReferences | None = None, written: Written | None = None,
                 end_model: dict[str, Any] | None = None) -> QualityReport:
    """The label-quality report over every row (metrics on the gold split when a gold set is given; the
    ``references`` on the gold test rows, from :func:`weaksup.pipeline.end_stage.reference_stage`; the labels the
    run ``written``, from :func:`write_stage`; what the end-model stage did, ``end_model``, its ``EndModel.info``),
    as the task type builds it (:meth:`TaskType.build_report`)."""
    config = plan.config
    n = len(applied.values)
    rows = np.arange(n)
    limit = config.output.report_rows
    if 0 < limit < n:  # LF statistics on a uniform sample that keeps every gold row; metrics stay exact
        gold_rows = np.fromiter(applied.gold_positions.values(), dtype=np.int64, count=len(applied.gold_positions))
        keep = np.ones(n, dtype=bool)
        keep[gold_rows] = False
        others = np.flatnonzero(keep)
        drawn = np.random.default_rng(config.label_model.seed).choice(others, max(limit - len(gold_rows), 0),
                                                                       replace=False)
        rows = np.sort(np.concatenate([gold_rows, drawn]))
        logger.info("report: LF statistics on a sample of %d of the %d rows (output.report_rows)", len(rows), n)
    columns = plan.vote_columns
    values = applied.values if len(rows) == n else applied.values[rows]  # every row: no copy of the votes
    votes: VoteMatrix | EncodedVotes
    if values.dtype == object:  # text cells (a spans run): the task type's report decodes them
        votes = EncodedVotes(values, rows, [c.name for c in columns], dict(applied.faults))
    else:
        votes = VoteMatrix(values, row_ids=rows, lf_names=[c.name for c in columns],
                           lf_versions=[c.version for c in columns], label_space=plan.vote_space, faults=applied.faults)
    gold = data = None
    if plan.gold is not None:
        if config.gold.split == "dev" and plan.has_dev_gold:
            logger.warning("measuring on the dev split, which LFs (and dev-aware label models) were tuned on: "
                           "the numbers are optimistic; use the test split")
        gold = positional_gold(plan.gold, applied.gold_positions)
        if config.input.text_column:
            data = gold_texts(plan, applied.gold_positions)
    extra: dict[str, Any] = {} if references is None else {"references": references}
    if written is not None:
        extra["written"] = written
    # (a multilabel run's report is a MultiLabelReport: it has what the run and MLflow logging use of one)
    report = cast("QualityReport", plan.task.build_report(votes, lfs=plan.registry, gold=gold, model=model, data=data,
                                    no_votes=config.label_model.no_votes,  # scored as the run labels
                                    split=config.gold.split, tie_break=config.label_model.tie_break,
                                    text_column=config.input.text_column or "text", id_column="row_id",
                                    title=f"Label quality: {config.task.name}", **extra))
    if report.errors is not None and "row_id" in report.errors:
        by_position = {p: r for r, p in applied.gold_positions.items()}
        report.errors["row_id"] = report.errors["row_id"].map(by_position)
    report.params["data_hash"] = identity_key
    report.params["task"] = config.task.name
    report.params["n_rows"] = str(n)
    report.params["report_rows"] = str(len(rows))
    report.params.update(run_settings(config, (end_model or {}).get("skipped")))
    return report


def run_settings(config: RunConfig, skipped: str | None = None) -> dict[str, str]:
    """The resolved config's settings that change the written labels and what the LFs saw, as the report's
    provenance (and MLflow) params: ``end_model.enabled``, ``label_model.no_votes`` and ``clean.*``.

    An end model enabled but ``skipped`` (the end-model stage's reason, ``EndModel.info["skipped"]``) shows as
    skipped, and the cleaning of a run without a text column as not done: no setting of theirs took effect.

    Examples
    --------
    >>> from weaksup.config import load_config
    >>> config = load_config("configs/youtube_spam.toml", ["label_model.no_votes=predict", 'clean.mask=["url"]'])
    >>> settings = run_settings(config)
    >>> settings["label_model.no_votes"], settings["end_model.enabled"], settings["clean.mask"]
    ('predict', 'true', 'url')
    >>> settings = run_settings(load_config("configs/youtube_spam.toml", ['input.text_column=""']), "no column")
    >>> settings["end_model.enabled"], settings["clean.mask"]
    ('true, but skipped: no column', '(not done: no text column)')
    """
    clean = config.clean
    enabled = str(config.end_model.enabled).lower()
    if config.input.text_column:
        cleaning = {"clean.normalize": str(clean.normalize).lower(), "clean.lowercase_into": clean.lowercase_into
                    or "(off)", "clean.mask": ", ".join(clean.mask) or "(none)", "clean.duplicates": clean.duplicates}
    else:
        cleaning = dict.fromkeys(("clean.normalize", "clean.lowercase_into", "clean.mask", "clean.duplicates"),
                                 "(not done: no text column)")
    return {"end_model.enabled": f"{enabled}, but skipped: {skipped}" if config.end_model.enabled and skipped
            else enabled, "label_model.no_votes": config.label_model.no_votes, **cleaning}


def gold_texts(plan: RunPlan, positions: dict[str, int]) -> pd.DataFrame:
    """The cleaned text of the gold rows (for the report's LF error examples), read again chunk by chunk."""
    config = plan.config
    wanted = set(positions)
    id_col, text = config.input.id_column, config.input.text_column
    frames = []
    for chunk in read_chunks(config, [id_col, text]):
        chunk = chunk[chunk[id_col].astype(str).isin(wanted)]
        if len(chunk):
            clean, _ = clean_frame(config, chunk.assign(**{id_col: chunk[id_col].astype(str)}))
            frames.append(pd.DataFrame({"row_id": clean[id_col].map(positions), text: clean[text]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"row_id": [], text: []})
