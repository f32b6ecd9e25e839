"""The label-quality report of a multi-label run: the label model beside per-label majority vote on the gold
split, and a classifier trained on the dev gold alone when the run passes it (micro/macro F1, Hamming loss, subset
accuracy, per-label precision/recall/F1 and calibration, label-set sizes) and the LF summary per (LF, label) (coverage, overlaps, conflicts, precision on the dev gold).

:class:`MultiLabelReport` has what the run and MLflow logging use of a
:class:`~weaksup.report.QualityReport` (``params``, ``metrics()``, ``summary``, ``metrics_table()``,
``manifest``, ``build_figures()``, ``to_html()``, ``write_html()``, ``close()``), and ``to_markdown()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.multilabel.metrics import multilabel_metrics
from weaksup.multilabel.summary import multilabel_lf_summary
from weaksup.report.tables import TableReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from weaksup.multilabel.gold import MultiLabelGoldSet
    from weaksup.multilabel.models_base import MultiLabelModel
    from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

#: The headline metrics, in the order they are shown.
HEADLINE = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "hamming", "subset_acc", "ece")


@dataclass
class MultiLabelReport(TableReport):
    """A multi-label run's quality report (see the module docstring); build it with :func:`build_multilabel_report`.

    Attributes
    ----------
    title : str
    summary : DataFrame
        The LF summary per (LF, label) (:func:`~weaksup.multilabel.summary.multilabel_lf_summary`), with the
        precision columns measured on the dev gold rows.
    stats : dict
        Over all rows: ``coverage`` (some LF voted; ``coverage_all_rows`` in :meth:`metrics`), ``overlap`` (two
        or more LFs voted), ``conflict`` (a label got a yes and a no vote), ``mean_votes`` (LFs voting per row).
    scores : dict of str to dict
        ``{"label_model": multilabel_metrics(...), "majority_vote": ..., "supervised_on_dev": ...}`` on the gold
        split (empty without gold; ``supervised_on_dev`` when the run passes its references).
    params : dict of str to str
    manifest : list of dict
    contradictions : DataFrame, optional
        The gold rows whose set breaks the label space's rules
        (:meth:`~weaksup.multilabel.gold.MultiLabelGoldSet.contradictions`), scored as labelled.
    """

    contradictions: pd.DataFrame | None = None

    def run_metrics(self) -> dict[str, float]:
        """The label model's headline metrics on the gold split, majority vote's (``majority_vote.<name>``) and, in
        a run, the supervised-on-dev classifier's (``supervised_on_dev.<name>``)."""
        out: dict[str, float] = {}
        for name, prefix in (("label_model", ""), ("majority_vote", "majority_vote."),
                             ("supervised_on_dev", "supervised_on_dev.")):
            scores = self.scores.get(name)
            if scores:
                out.update({f"{prefix}{key}": float(scores[key]) for key in HEADLINE if np.isfinite(scores[key])})
        return out

    def metrics(self) -> dict[str, float]:
        """Every scalar metric for MLflow: dataset rates, LF coverage and conflicts per (LF, label), headline
        and per-label metrics of the label model and majority vote. The share of all rows some LF voted on is
        ``coverage_all_rows`` (its name in a classification run's MLflow run, ``run.json`` and summary)."""
        out = {("coverage_all_rows" if key == "coverage" else key): float(value) for key, value in self.stats.items()}
        for row in self.summary.itertuples(index=False):
            name = str(row.lf).rpartition("@")[0] or str(row.lf)  # (MLflow metric names take no "@")
            out[f"lf/{name}/{row.label}/coverage"] = float(row.coverage)
            out[f"lf/{name}/{row.label}/conflicts"] = float(row.conflicts)
        out.update(self.run_metrics())
        for name, scores in self.scores.items():
            for row in scores["per_label"].itertuples(index=False):
                for key in ("precision", "recall", "f1", "ece"):
                    value = float(getattr(row, key))
                    if np.isfinite(value):
                        out[f"{name}/label/{row.label}/{key}"] = value
        return out

    def metrics_table(self) -> pd.DataFrame | None:
        """The headline metrics, one column per model (None without gold)."""
        if not self.scores:
            return None
        return pd.DataFrame({name: {key: s[key] for key in HEADLINE} for name, s in self.scores.items()})

    def per_label(self) -> pd.DataFrame | None:
        """Per label: gold support, the label model's precision/recall/F1/ECE and predicted count, majority
        vote's F1 beside."""
        if "label_model" not in self.scores:
            return None
        table = self.scores["label_model"]["per_label"].set_index("label")
        if "majority_vote" in self.scores:
            table["majority_vote_f1"] = self.scores["majority_vote"]["per_label"].set_index("label")["f1"]
        if "supervised_on_dev" in self.scores:
            table["supervised_on_dev_f1"] = self.scores["supervised_on_dev"]["per_label"].set_index("label")["f1"]
        return table

    def set_sizes(self) -> pd.DataFrame | None:
        """Rows per label-set size: gold, the label model, majority vote."""
        if not self.scores:
            return None
        first = next(iter(self.scores.values()))["set_sizes"]
        columns = {"gold": first["true"], **{name: s["set_sizes"]["pred"] for name, s in self.scores.items()}}
        return pd.DataFrame(columns).fillna(0).astype(int).sort_index().rename_axis("labels per row")

    def broken_table(self) -> pd.DataFrame | None:
        """Per rule of the label space the gold set breaks: its rows per split and a few of them, as ``file:line
        [labels]`` in the gold set's files (a run's report holds the gold rows by position); None when none."""
        frame = self.contradictions
        if frame is None or not len(frame):
            return None
        rows = frame.assign(breaks=frame["breaks"].str.split("; ")).explode("breaks")
        splits = sorted(set(rows["split"]))
        out = {}
        for rule, group in rows.groupby("breaks", sort=False):
            counts = group["split"].value_counts()
            out[rule] = {**{s: int(counts.get(s, 0)) for s in splits},
                         "examples": ", ".join(f"{w} [{x}]" for w, x in zip(group["where"][:3], group["labels"][:3]))}
        return pd.DataFrame.from_dict(out, orient="index").rename_axis("rule")

    def build_figures(self) -> dict[str, Figure]:
        """Per-label F1 of the label model and majority vote (drawn once)."""
        table = self.per_label()
        if not self.figures and table is not None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(8, max(2.5, 0.25 * len(table) + 1)))
            y = np.arange(len(table))
            ax.barh(y - 0.2, table["f1"], height=0.4, label="label model")
            if "majority_vote_f1" in table:
                ax.barh(y + 0.2, table["majority_vote_f1"], height=0.4, label="majority vote")
            ax.set_yticks(y, [str(x) for x in table.index])
            ax.invert_yaxis()
            ax.set_xlabel(f"F1 on the {self.split} gold rows")
            ax.legend(loc="lower right")
            fig.tight_layout()
            self.figures["per_label_f1"] = fig
        return self.figures

    def space_note(self) -> str:
        """How many labels, for the params line."""
        return f"{self.params.get('n_labels', '?')} labels"

    def verdict(self) -> str:
        """Macro F1 of the label model against per-label majority vote, in words (empty without both)."""
        if "label_model" not in self.scores or "majority_vote" not in self.scores:
            return ""
        lm, mv = self.scores["label_model"]["macro_f1"], self.scores["majority_vote"]["macro_f1"]
        return (f"macro F1 {lm:.3f} (label model) vs {mv:.3f} (per-label majority vote): "
                f"{'+' if lm >= mv else ''}{100 * (lm - mv):.1f} points")

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The report's tables with their headings: headline, per label, set sizes, rates, the LF summary."""
        tables = []
        headline = self.metrics_table()
        if headline is not None:
            n = self.params.get("gold_rows", "")
            versus = ("per-label majority vote and a classifier trained on the dev gold alone"
                      if "supervised_on_dev" in self.scores else "per-label majority vote")
            tables.append((f"Label model vs {versus} ({n} {self.split} gold rows)", headline))
            tables.append(("Per label (label model; the others' F1 beside; ECE: calibration)", self.per_label()))
            tables.append(("Label-set sizes", self.set_sizes()))
        broken = self.broken_table()
        if broken is not None:
            tables.append(("Gold rows against the label space's rules (kept and scored as labelled: the label model "
                           "never predicts such a set; if the labels do go together, leave [task] none_label unset "
                           "or take the group out of [task] exclusive, else correct the rows)", broken))
        tables.append(("Over all rows", pd.DataFrame({"value": self.stats})))
        summary = self.summary.set_index(["lf", "label"])
        tables.append(("Labeling functions per label (precision on the dev gold rows)", summary))
        return [(h, f) for h, f in tables if f is not None]


def build_multilabel_report(votes: VoteMatrix, *, model: MultiLabelModel, lfs: Any = None,
                            gold: MultiLabelGoldSet | None = None, split: str = "test", no_votes: str = "abstain",
                            title: str = "Label quality", references: Any = None, **_: Any) -> MultiLabelReport:
    """The report of a multi-label run from its flattened votes (columns ``lf_id::label``, row ids = positions
    the gold set is keyed by), its fitted label model and the gold set.

    The label model and per-label majority vote are scored on the gold ``split`` as the run labels rows
    (``no_votes="abstain"``: a row no LF voted on gets the empty set); the LF precision on the dev gold rows.
    ``references`` (:class:`~weaksup.multilabel.references.MultiLabelReferences`, on the test split) adds the
    classifier trained on the dev gold alone as ``supervised_on_dev``.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelSpace
    >>> from weaksup.multilabel.models import MultiLabelMajority
    >>> from weaksup.multilabel.task import as_votes
    >>> from weaksup.votes import VoteMatrix
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> vm = VoteMatrix(np.array([[1, -1], [-1, 1], [1, 0]], dtype=np.int8), lf_names=["a@1::joy", "b@1::anger"])
    >>> model = MultiLabelMajority().fit(as_votes(vm.values, vm.lf_names, space))
    >>> report = build_multilabel_report(vm, model=model)
    >>> report.stats["coverage"], len(report.summary), report.metrics_table() is None
    (1.0, 2, True)
    """
    from weaksup.multilabel.models import MultiLabelMajority
    from weaksup.multilabel.task import as_votes

    space = model.space_
    mvotes = as_votes(votes.values, votes.lf_ids, space, votes.row_ids)
    V = mvotes.values
    voted_lfs = (V != -1).any(axis=2)
    yes, no = mvotes.counts()
    n = max(mvotes.n, 1)
    stats = {"coverage": float(voted_lfs.any(axis=1).sum() / n), "overlap": float((voted_lfs.sum(axis=1) > 1).sum() / n),
             "conflict": float(((yes > 0) & (no > 0)).any(axis=1).sum() / n),
             "mean_votes": float(voted_lfs.sum(axis=1).mean()) if mvotes.n else 0.0}
    summary = multilabel_lf_summary(mvotes)
    params = {"rule_version": getattr(lfs, "rule_version", ""), "label_model": type(model).__name__,
              "n_lfs": str(mvotes.m), "n_labels": str(space.k), "n_rows": str(mvotes.n),
              "thresholds": ", ".join(f"{x}={t:.2f}" for x, t in zip(space.labels, model.thresholds_))}
    scores: dict[str, dict[str, Any]] = {}
    broken = None
    if gold is not None:
        params.update({"gold_task": gold.task, "gold_version": str(gold.version), "gold_hash": gold.hash,
                       "gold_split": split})
        broken = gold.contradictions()
        if len(broken):
            params["gold_contradictions"] = str(len(broken))
        where = {int(r): i for i, r in enumerate(np.asarray(mvotes.row_ids))}
        if "dev" in gold.counts():  # the LFs' precision on the dev rows (where they were written)
            ids, Y_dev = gold.matrix("dev")
            rows = np.array([where[int(r)] for r in ids], dtype=np.int64)
            on_dev = multilabel_lf_summary(mvotes.take(rows), Y_dev)
            keys = ["lf", "label"]
            gold_columns = ["precision", "no_precision", "gold_rows"]
            summary = summary.drop(columns=gold_columns).merge(on_dev[keys + gold_columns], on=keys, how="left")
        if split in gold.counts():
            ids, Y = gold.matrix(split)
            rows = np.array([where[int(r)] for r in ids], dtype=np.int64)
            test = mvotes.take(rows)
            silent = ~(test.values != -1).any(axis=(1, 2)) if no_votes == "abstain" else np.zeros(len(rows), bool)
            majority = MultiLabelMajority().fit(mvotes)
            for name, scorer in (("label_model", model), ("majority_vote", majority)):
                P = np.asarray(scorer.predict(test), dtype=bool)
                P[silent] = False
                scores[name] = multilabel_metrics(Y, P, labels=space.labels, probs=scorer.predict_proba(test))
            params["gold_rows"] = str(len(rows))
            if references is not None and references.split == split:
                scores["supervised_on_dev"] = references.metrics["supervised_on_dev"]
    manifest = lfs.manifest() if lfs is not None and hasattr(lfs, "manifest") else []
    return MultiLabelReport(title, summary, stats, scores, params, manifest, split=split, contradictions=broken)
