"""The ``spans`` task type of ``weaksup run`` (``[task] type = "spans"``): named entities and other spans.

- **Label space**: ``[task] labels`` (required) are the entity types, ``[task] scheme`` the tag scheme
  (``"BIO"`` or ``"IO"``) and ``[task] tokenizer`` (``"whitespace"``, ``"regex"`` or ``"spacy"``) how the text
  of ``input.text_column`` is cut into tokens (:class:`~weaksup.spans.space.SpanSpace`,
  :class:`~weaksup.spans.doc.SpanDoc`).
- **Votes**: the run keeps one row per input row (a document), and a spans run's columns hold text
  (:mod:`weaksup.spans.codec`): first the document (its text and its tokens' char offsets, keyed by the
  tokenizer), then one column per span LF holding the spans it tagged in the document. The vote store saves,
  verifies, reuses and resumes them chunk by chunk as it does class ids (an edited LF recomputes its own column;
  another tokenizer recomputes them all), the outputs are written chunk by chunk in input order, and the
  token-level vote matrix the label models use is built from them when needed
  (:meth:`SpanVotes.token_votes <weaksup.spans.votes.SpanVotes.token_votes>`). A token-level matrix as the
  stored form would have one row per token, not per input row: the run's chunks, resume, reuse and outputs
  all count input rows.
- **Label models**: ``SPAN_MODELS`` (``"default"``: ``resolve_span_model``), fitted on every document's votes
  with the dev split of the span gold set (:mod:`weaksup.spans.gold`; its char spans aligned to the run's
  tokens) when it has one.
- **Outputs** (:mod:`weaksup.spans.outputs`): ``spans.jsonl`` (``output.path``), ``spans.spacy`` and
  ``spans.conll`` beside it (:mod:`weaksup.spans.export`); **report** (:mod:`weaksup.spans.report`).

Examples
--------
>>> from weaksup.tasks import task_type
>>> task = task_type("spans")
>>> space = task.label_space(["Chemical", "Disease"])
>>> space.tags
('O', 'B-Chemical', 'I-Chemical', 'B-Disease', 'I-Disease')
>>> task.label_columns(space)[:3]
['row_id', 'text', 'spans']
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.errors import ConfigError, LabelSpaceError, ParameterError
from weaksup.spans.codec import DocColumn, SpanColumn, decode_block, decode_doc, encode_votes
from weaksup.spans.outputs import SPAN_COLUMNS, chunk_table, count_spans

if TYPE_CHECKING:
    import pyarrow as pa

    from weaksup.config import RunConfig
    from weaksup.labels import LabelSpace
    from weaksup.lf.core import LabelingFunction
    from weaksup.registry import Registry
    from weaksup.review.routing import RoutingPolicy
    from weaksup.spans.doc import Span, SpanDoc
    from weaksup.spans.gold import SpanGoldSet
    from weaksup.spans.space import SpanSpace
    from weaksup.spans.votes import SpanVotes

logger = logging.getLogger(__name__)

#: The file suffixes a spans run's labels output may have.
SPAN_OUTPUT_SUFFIXES = (".jsonl", ".parquet")


def split_block(L: np.ndarray, lf_names: Sequence[str], space: SpanSpace) -> tuple[list[SpanDoc], SpanVotes]:
    """The documents and span votes of a run's ``(n, m + 1)`` vote block (``lf_names``: every column's name,
    the document column last)."""
    return decode_block(L, list(lf_names)[:-1], space)


def dev_gold_spans(docs: Sequence[SpanDoc], targets: Sequence[Any], row_ids: Sequence[str] | None = None
                   ) -> list[list[Span]]:
    """The dev gold's char spans as token spans of the run's documents (a GoldSetError names a misaligned span)."""
    from weaksup.spans.gold_spans import check_token_spans

    ids = [str(i) for i in range(len(docs))] if row_ids is None else list(row_ids)
    return check_token_spans(docs, targets, ids, where="span gold set (dev split)")


@dataclass(frozen=True)
class Spans:
    """The ``spans`` task type (see the module docstring and :class:`weaksup.tasks.TaskType`)."""

    name: str = "spans"
    summary_metrics: tuple[str, ...] = ("f1", "precision", "recall", "token_f1", "ece", "majority_vote.f1")
    #: ``[task] tokenizer`` / ``[task] scheme``; ``input.text_column``; ``review.threshold``; ``[task] labels``.
    tokenizer: str = "whitespace"
    scheme: str = "BIO"
    text_column: str = "text"
    threshold: float = 0.7
    types: tuple[str, ...] = ()

    def configured(self, config: RunConfig) -> Spans:
        """The task type with ``[task] tokenizer``/``scheme``, the text column and the review threshold."""
        from weaksup.spans.doc import TOKENIZERS

        where = config.source
        tokenizer, scheme = config.task.tokenizer, config.task.scheme
        if tokenizer not in TOKENIZERS:
            raise ConfigError(f"{where}: task.tokenizer = {tokenizer!r} is not a tokenizer; choose one of "
                              f"{list(TOKENIZERS)}")
        if scheme not in ("BIO", "IO"):
            raise ConfigError(f"{where}: task.scheme = {scheme!r}; choose \"BIO\" or \"IO\"")
        if config.task.exclusive or config.task.none_label:
            raise ConfigError(f"{where}: task.exclusive and task.none_label are settings of multilabel tasks; drop "
                              "them from a spans task")
        if not config.input.text_column:
            raise ConfigError(f"{where}: a spans task labels text: set input.text_column to the column of the "
                              "documents' text")
        if config.output_path.suffix.lower() not in SPAN_OUTPUT_SUFFIXES:
            raise ConfigError(f"{where}: output.path = {config.output.path!r}: a spans run writes its spans as JSON "
                              "Lines (or Parquet): set output.path to e.g. runs/<task>/spans.jsonl")
        if config.clean.normalize or config.clean.mask:
            raise ConfigError(f"{where}: a spans run tags character offsets into each row's text as given, and text "
                              "cleaning (clean.normalize, clean.mask) would move them off the input and the gold: "
                              "set clean.normalize = false and clean.mask = [] in [clean] (clean the file itself "
                              "first if its text needs it)")
        if config.review.class_thresholds:
            raise ConfigError(f"{where}: review.class_thresholds route classification runs; a spans run sends a "
                              "document to review when a span's confidence is below review.threshold: drop "
                              "review.class_thresholds")
        return dataclasses.replace(self, tokenizer=tokenizer, scheme=scheme, text_column=config.input.text_column,
                                   threshold=float(config.review.threshold), types=tuple(config.task.labels))

    # ------------------------------------------------------------------ label space and gold
    def label_space(self, names: Sequence[str], *, exclusive: Sequence[Sequence[str]] = (),
                    none_label: str = "") -> SpanSpace:
        from weaksup.spans.space import SpanSpace

        try:
            return SpanSpace(list(names), scheme=self.scheme)
        except (LabelSpaceError, ParameterError) as exc:
            raise ConfigError(f"[task] (spans): {exc}") from None

    def resolve_space(self, config: RunConfig, registry: Registry) -> tuple[Registry, SpanSpace]:
        """``[task] labels`` (required): the entity types; every LF must be a span LF tagging some of them."""
        from weaksup.spans.lfs import is_span_lf
        from weaksup.spans.lfs_gazetteer import GazetteerLF, check_gazetteer_tokens

        if not config.task.labels:
            raise ConfigError(f"{config.source}: a spans task needs its entity types: set task.labels = "
                              "[\"Chemical\", \"Disease\", ...]")
        space = self.label_space(config.task.labels)
        for lf in registry.lfs:
            if not is_span_lf(lf):
                raise ConfigError(f"{config.source}: LF {lf.name!r} is not a span LF (a spans task needs LFs that "
                                  "tag spans: gazetteer, span_regex, token_pattern, span_model or "
                                  "@span_labeling_function); drop it from lfs.modules or select others with "
                                  "lfs.names")
            unknown = sorted(set(getattr(lf, "span_labels", ())) - set(space.types))
            if unknown:
                raise ConfigError(f"{config.source}: span LF {lf.name!r} tags {unknown}, which are not in "
                                  f"task.labels = {list(space.types)}; add them to task.labels or fix the LF")
            if isinstance(lf, GazetteerLF):
                check_gazetteer_tokens(lf, config.task.tokenizer, config.source)
        return registry, space

    def space_names(self, label_space: SpanSpace) -> list[str]:
        return list(label_space.types)

    def space_json(self, label_space: SpanSpace) -> Any:
        return list(label_space.types)

    def load_gold(self, path: Path, label_space: SpanSpace, version: int | None = None) -> SpanGoldSet:
        from weaksup.spans.gold import load_span_gold

        return load_span_gold(path, types=label_space.types, version=version)

    def gold_targets(self, gold: SpanGoldSet, split: str, label_space: SpanSpace) -> tuple[list[str], np.ndarray]:
        """The row ids of a gold split and their char spans (an object array of ``(start, end, label)`` lists)."""
        spans = gold.spans(split)
        targets = np.empty(len(spans), dtype=object)
        targets[:] = list(spans)
        return [str(r) for r in spans.index], targets

    def check_gold_rows(self, split: str, ids: Sequence[str], targets: np.ndarray, L: np.ndarray, *,
                        lf_names: list[str], label_space: SpanSpace) -> None:
        """Every gold span of the split on token boundaries of its row's document, before anything is fitted or
        written, its ``text`` (when the gold set gives it) the text at its offsets: one
        :class:`~weaksup.errors.GoldSetError` names every such span (row id, span, fix)."""
        from weaksup.spans.gold_spans import check_token_spans

        docs, _ = split_block(L, lf_names, label_space)
        check_token_spans(docs, targets, ids, where=f"span gold set ({split} split)")

    # ------------------------------------------------------------------ votes
    def vote_dtype(self, label_space: SpanSpace) -> np.dtype[Any]:
        return np.dtype(object)

    def vote_space(self, label_space: SpanSpace) -> LabelSpace:
        from weaksup.pipeline.vote_store import ENCODED_VOTES

        return ENCODED_VOTES

    def vote_columns(self, lfs: Sequence[LabelingFunction], label_space: SpanSpace) -> tuple[list[Any], list[int]]:
        """One column per LF, then the document column (owned by the last LF: recomputed with it)."""
        columns: list[Any] = [SpanColumn(lf, self.tokenizer) for lf in lfs]
        return [*columns, DocColumn(self.tokenizer)], [*range(len(lfs)), max(len(lfs) - 1, 0)]

    def apply(self, lfs: list[LabelingFunction], data: Any, *, label_space: SpanSpace, id_column: str,
              fault_tolerant: bool, lf_timeout: float | None, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
        """Tokenize the chunk's texts and apply the span LFs (:func:`~weaksup.spans.apply.apply_span_lfs`); the
        columns of ``lfs`` in order, then the document column (the run keeps it when the last LF is among them)."""
        from weaksup.spans.apply import apply_span_lfs
        from weaksup.spans.doc import SpanDoc

        texts = data[self.text_column].fillna("").astype(str).tolist()
        docs = [SpanDoc.from_text(text, self.tokenizer) for text in texts]
        votes = apply_span_lfs(docs, lfs, label_space, row_ids=data[id_column].astype(str).tolist(),
                               fault_tolerant=fault_tolerant)
        block = encode_votes(docs, votes)
        faults = {name.rpartition("@")[0] or name: int(n) for name, n in getattr(votes, "faults", {}).items()}
        faults = {lf.name: int(faults.get(lf.name, 0)) for lf in lfs}
        return block, faults, {lf.name: 0 for lf in lfs}

    # ------------------------------------------------------------------ label models
    def models(self) -> Mapping[str, type[Any]]:
        from weaksup.spans.models import SPAN_MODELS

        return SPAN_MODELS

    def resolve_model(self, name: str, *, has_dev_gold: bool) -> type[Any]:
        from weaksup.spans.models import resolve_span_model

        return resolve_span_model(name, has_dev_gold)

    def check_model_params(self, config: RunConfig, model_cls: type[Any]) -> None:
        """``label_model.params`` are constructor parameters of the span model."""
        accepted = [p for p in inspect.signature(model_cls.__init__).parameters if p not in ("self", "args", "kwargs")]
        unknown = sorted(set(config.label_model.params) - set(accepted))
        if unknown:
            raise ConfigError(f"{config.source}: label_model.params {unknown} are not parameters of "
                              f"{model_cls.__name__}; it takes {sorted(accepted)}")

    def new_model(self, model_cls: type[Any], label_space: SpanSpace, seed: int, params: Mapping[str, Any]) -> Any:
        return model_cls(**params)

    def fit(self, model: Any, L: np.ndarray, *, lf_names: list[str], label_space: SpanSpace, seed: int,
            L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None) -> Any:
        """Fit on every document's span votes, with the dev gold (aligned to the run's tokens) when given."""
        _, votes = split_block(L, lf_names, label_space)
        dev = None
        if L_dev is not None and y_dev is not None:
            dev_docs, dev_votes = split_block(L_dev, lf_names, label_space)
            dev = (dev_votes, dev_gold_spans(dev_docs, list(y_dev)))
        logger.info("fitting %s on %d documents x %d span LFs%s", type(model).__name__, votes.n_docs, votes.m,
                    "" if dev is None else f" with {dev[0].n_docs} dev gold documents")
        return model.fit(votes, dev=dev, seed=seed)

    def save_model(self, model: Any, path: Path) -> None:
        """``label_model.json``: the span model's :meth:`to_json` (``SpanLabelModel.from_json`` reloads it)."""
        from weaksup._io import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(model.to_json(), indent=1, default=str), encoding="utf-8")

    # ------------------------------------------------------------------ outputs
    def label_columns(self, label_space: SpanSpace) -> list[str]:
        return list(SPAN_COLUMNS)

    def label_table(self, model: Any, L: np.ndarray, *, reviewed: dict[int, Any], policy: RoutingPolicy,
                    label_space: SpanSpace, lf_names: list[str], rule_version: str, tie_break: str,
                    seed: int, no_votes: str = "abstain",
                    final: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        return chunk_table(model, L, reviewed, space=label_space, lf_names=lf_names, rule_version=rule_version,
                           threshold=policy.threshold)

    def count_labels(self, table: pa.Table, label_space: SpanSpace) -> dict[str, int]:
        return count_spans(table, label_space)

    def watch_arrays(self, label_space: SpanSpace, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.empty(n, dtype=object), np.zeros((n, 0))

    def watched(self, table: pa.Table, rows: np.ndarray, label_space: SpanSpace) -> tuple[np.ndarray, np.ndarray]:
        """The output spans (dicts) a chunk's table holds at ``rows``."""
        import pyarrow as pa

        spans = np.empty(len(rows), dtype=object)
        spans[:] = table.column("spans").take(pa.array(rows)).to_pylist()
        return spans, np.zeros((len(rows), 0))

    def write_outputs(self, labels: Path, values: np.ndarray, label_space: SpanSpace) -> dict[str, str]:
        """``spans.spacy`` and ``spans.conll`` beside the written ``labels`` (``spans.jsonl`` or Parquet), from
        its rows and the run's documents (the document column of ``values``, the last); their names in the run folder."""
        from weaksup.spans.export import write_conll, write_docbin

        docs = [decode_doc(cell) for cell in values[:, -1]]
        rows = read_rows(labels)
        write_docbin(labels.with_name("spans.spacy"), docs, rows)
        write_conll(labels.with_name("spans.conll"), docs, rows, label_space)
        return {"spans_spacy": "spans.spacy", "spans_conll": "spans.conll"}

    def end_model_skip(self) -> str:
        return ("a spans run has no end model yet: its spans are the label model's (a spaCy NER trained on "
                "spans.spacy is the end model to use)")

    def references(self, plan: Any, applied: Any, model: Any, end: Any, final_labels: np.ndarray,
                   final_proba: np.ndarray) -> Any:
        from weaksup.pipeline.end_stage import ReferenceOutcome

        return ReferenceOutcome(None, "references: the spans report compares the label model with span majority "
                                      "vote on the gold split (no end model, no supervised-on-dev yet)")

    # ------------------------------------------------------------------ report
    def build_report(self, votes: Any, **options: Any) -> Any:
        from weaksup.spans.report import build_span_report

        # (``written``: the spans the run wrote for the gold test rows, which the report scores)
        return build_span_report(votes, space=self.label_space(self.types), **options)

    def report_metrics(self, report: Any) -> dict[str, float]:
        metrics: dict[str, float] = report.run_metrics()
        return metrics


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a spans run's labels output (JSON Lines or Parquet), in order."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
