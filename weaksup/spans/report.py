"""The label-quality report of a spans run: the label model beside span majority vote on the gold split
(entity-level precision/recall/F1, exact match, per entity type; token-level scores; span ECE) and the span LF
summary (spans, coverage, overlaps, conflicts, precision/recall/F1 on the dev gold documents).

:class:`SpanReport` has what the run and MLflow logging use of a :class:`~weaksup.report.QualityReport`
(``params``, ``metrics()``, ``summary``, ``metrics_table()``, ``manifest``, ``build_figures()``, ``to_html()``,
``write_html()``, ``close()``), and ``run_metrics()`` for the run summary.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.report.tables import TableReport

if TYPE_CHECKING:

    from weaksup.spans.doc import ScoredSpan, Span, SpanDoc
    from weaksup.spans.gold import SpanGoldSet
    from weaksup.spans.space import SpanSpace

logger = logging.getLogger(__name__)

#: The headline metrics, in the order they are shown (``token_f1``: token-level F1 over non-O tokens).
HEADLINE = ("f1", "precision", "recall", "token_f1", "ece", "n_pred", "n_gold")


@dataclass
class SpanReport(TableReport):
    """A spans run's quality report (see the module docstring); build it with :func:`build_span_report`.

    Attributes
    ----------
    title : str
    summary : DataFrame
        One row per span LF (:func:`~weaksup.spans.summary.span_lf_summary`), precision/recall/F1 on the dev
        gold documents when the gold set has a dev split.
    stats : dict
        Over all documents: ``coverage`` (some LF tagged a span; ``coverage_all_rows`` in :meth:`metrics`),
        ``conflict`` (two LFs tag a token with different types), ``mean_spans`` (LF spans per document).
    scores : dict of str to dict
        ``{"label_model": span_metrics(...), "majority_vote": ...}`` on the gold split (empty without gold).
    params : dict of str to str
    manifest : list of dict
    """

    rows_noun = "documents"
    lfs_noun = "span LFs"

    def run_metrics(self) -> dict[str, float]:
        """The label model's headline metrics on the gold split and majority vote's (``majority_vote.<name>``)."""
        out: dict[str, float] = {}
        for name, prefix in (("label_model", ""), ("majority_vote", "majority_vote.")):
            scores = self.scores.get(name)
            if scores:
                flat = headline(scores)
                out.update({f"{prefix}{key}": value for key, value in flat.items() if np.isfinite(value)})
        return out

    def metrics(self) -> dict[str, float]:
        """Every scalar metric for MLflow: document rates, LF coverage and conflicts, headline and per-type
        metrics of the label model and majority vote. The share of all documents some LF tagged a span in is
        ``coverage_all_rows`` (its name in every task type's MLflow run, ``run.json`` and summary)."""
        out = {("coverage_all_rows" if key == "coverage" else key): float(value) for key, value in self.stats.items()}
        for row in self.summary.to_dict("records"):
            name = str(row["lf"]).rpartition("@")[0] or str(row["lf"])
            for key in ("token_coverage", "conflicts", "precision"):
                value = row.get(key)
                if isinstance(value, (int, float)) and np.isfinite(value):
                    out[f"lf/{name}/{key}"] = float(value)
        out.update(self.run_metrics())
        for name, scores in self.scores.items():
            for row in scores["per_type"].to_dict("records"):
                for key in ("precision", "recall", "f1"):
                    value = float(row[key])
                    if np.isfinite(value):
                        out[f"{name}/type/{row['type']}/{key}"] = value
        return out

    def metrics_table(self) -> pd.DataFrame | None:
        """The headline metrics, one column per model (None without gold)."""
        if not self.scores:
            return None
        return pd.DataFrame({name: headline(s) for name, s in self.scores.items()}).loc[list(HEADLINE)]

    def per_type(self) -> pd.DataFrame | None:
        """Per entity type: the label model's precision/recall/F1, support and predicted spans; majority vote's
        F1 beside."""
        if "label_model" not in self.scores:
            return None
        table = self.scores["label_model"]["per_type"].set_index("type")
        if "majority_vote" in self.scores:
            table["majority_vote_f1"] = self.scores["majority_vote"]["per_type"].set_index("type")["f1"]
        return table

    def verdict(self) -> str:
        """The label model's entity F1 against majority vote's, in words (empty without both)."""
        if "label_model" not in self.scores or "majority_vote" not in self.scores:
            return ""
        lm, mv = float(self.scores["label_model"]["f1"]), float(self.scores["majority_vote"]["f1"])
        return (f"entity F1 {lm:.3f} (label model) vs {mv:.3f} (span majority vote) on the {self.split} gold "
                f"documents: {'+' if lm >= mv else ''}{100 * (lm - mv):.1f} points")

    def space_note(self) -> str:
        """The entity types, for the params line."""
        return f"entity types {self.params.get('types', '')}"

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The report's tables with their headings: headline, per type, rates, the span LF summary."""
        tables: list[tuple[str, pd.DataFrame | None]] = []
        table = self.metrics_table()
        if table is not None:
            n = self.params.get("gold_rows", "")
            tables.append((f"Label model vs span majority vote ({n} {self.split} gold documents; exact span match)",
                           table))
            tables.append(("Per entity type (label model; majority vote's F1 beside)", self.per_type()))
        tables.append(("Over all documents", pd.DataFrame({"value": self.stats})))
        tables.append(("Span labeling functions (precision/recall/F1 on the dev gold documents)",
                       self.summary.set_index("lf")))
        return [(h, f) for h, f in tables if f is not None]

def headline(scores: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of one :func:`~weaksup.spans.metrics.span_metrics` result.

    Examples
    --------
    >>> headline({"f1": 0.5, "precision": 1.0, "recall": 1 / 3, "token": {"f1": 0.6}, "ece": float("nan"),
    ...           "n_pred": 1, "n_gold": 3})["token_f1"]
    0.6
    """
    return {"f1": float(scores["f1"]), "precision": float(scores["precision"]), "recall": float(scores["recall"]),
            "token_f1": float(scores["token"]["f1"]), "ece": float(scores["ece"]),
            "n_pred": float(scores["n_pred"]), "n_gold": float(scores["n_gold"])}


def gold_token_spans(docs: Sequence[SpanDoc], where: dict[int, int], gold: SpanGoldSet, split: str
                     ) -> tuple[np.ndarray, list[list[Span]]]:
    """The positions (in ``docs``) of a positional gold set's ``split`` rows and their gold token spans."""
    from weaksup.spans.gold import token_spans

    spans = gold.spans(split)
    rows = np.array([where[int(r)] for r in spans.index], dtype=np.int64)
    aligned = [token_spans(docs[i], s, row_id=str(r), where=f"span gold set ({split} split)")
               for i, s, r in zip(rows, spans, spans.index)]
    return rows, aligned


def written_spans(written: Any, positions: np.ndarray) -> list[list[ScoredSpan]] | None:
    """The spans a run wrote for the rows at ``positions`` (``written``: :class:`~weaksup.pipeline.stages.Written`,
    whose ``watched_labels`` hold the written span records of its ``watched_rows``); None unless it holds them all.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> record = {"token_start": 0, "token_end": 2, "label": "A", "confidence": 0.9}
    >>> written = SimpleNamespace(watched_rows=np.array([3, 7]), watched_labels=[[record], []])
    >>> written_spans(written, np.array([7, 3]))
    [[], [ScoredSpan(start=0, end=2, label='A', confidence=0.9)]]
    >>> written_spans(written, np.array([5])) is None
    True
    """
    from weaksup.spans.span import ScoredSpan

    if written is None:
        return None
    at = {int(p): i for i, p in enumerate(np.asarray(written.watched_rows).tolist())}
    if not all(int(p) in at for p in positions.tolist()):
        return None
    return [[ScoredSpan(int(s["token_start"]), int(s["token_end"]), str(s["label"]), float(s["confidence"]))
             for s in written.watched_labels[at[int(p)]] or []] for p in positions.tolist()]


def build_span_report(votes: Any, *, model: Any, space: SpanSpace, lfs: Any = None, gold: SpanGoldSet | None = None,
                      split: str = "test", title: str = "Label quality", written: Any = None,
                      **_: Any) -> SpanReport:
    """The report of a spans run from its vote cells (``votes``: :class:`~weaksup.pipeline.stages.EncodedVotes`,
    row ids = the positions the gold set is keyed by), its fitted span model and the gold set.

    The label model and span majority vote (fitted on the same votes) are scored on the gold ``split`` with
    exact span matches; the LFs' precision on the dev gold documents. The label model's spans are those the
    run wrote (``written``: :class:`~weaksup.pipeline.stages.Written`, which holds the written spans of the
    gold test rows), so the report scores the labels file; without them (another split, or outside a run) the
    model predicts them, which gives a document the same spans as in the run (the span models do not depend on
    the batch).
    """
    from weaksup.spans.codec import decode_block
    from weaksup.spans.metrics import span_metrics
    from weaksup.spans.models import SPAN_MODELS
    from weaksup.spans.outputs import conflicts
    from weaksup.spans.summary import span_lf_summary

    docs, svotes = decode_block(votes.values, list(votes.lf_names)[:-1], space)
    n = max(svotes.n_docs, 1)
    tagged = np.zeros(svotes.n_docs, dtype=bool)
    tagged[svotes.spans["doc"].to_numpy()] = True
    stats = {"coverage": float(tagged.sum() / n), "conflict": float(conflicts(svotes).sum() / n),
             "mean_spans": float(len(svotes.spans) / n)}
    summary = span_lf_summary(svotes)
    params = {"rule_version": getattr(lfs, "rule_version", ""), "label_model": type(model).__name__,
              "n_lfs": str(svotes.m), "types": ", ".join(space.types), "n_rows": str(svotes.n_docs)}
    scores: dict[str, dict[str, Any]] = {}
    if gold is not None:
        params.update({"gold_task": gold.task, "gold_version": str(gold.version), "gold_hash": gold.hash,
                       "gold_split": split})
        where = {int(r): i for i, r in enumerate(np.asarray(votes.row_ids))}
        counts = gold.counts()
        if "dev" in counts:
            rows, dev_gold = gold_token_spans(docs, where, gold, "dev")
            on_dev = span_lf_summary(svotes.take(rows), dev_gold)
            measured = [c for c in ("precision", "recall", "f1") if c in on_dev.columns]
            summary = summary.drop(columns=[c for c in measured if c in summary.columns]).merge(
                on_dev[["lf", *measured]], on="lf", how="left")
        if split in counts:
            rows, test_gold = gold_token_spans(docs, where, gold, split)
            test = svotes.take(rows)
            labeled = written_spans(written, np.asarray(votes.row_ids)[rows])
            majority = SPAN_MODELS["majority"]().fit(svotes).predict(test)
            for name, pred in (("label_model", model.predict(test) if labeled is None else labeled),
                               ("majority_vote", majority)):
                scores[name] = span_metrics(test_gold, pred, types=space.types)
            params["gold_rows"] = str(len(rows))
    manifest = lfs.manifest() if lfs is not None and hasattr(lfs, "manifest") else []
    return SpanReport(title, summary, stats, scores, params, manifest, split=split)
