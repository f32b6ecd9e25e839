"""The label-quality report (:class:`QualityReport`, :func:`build_report`): LF summary, metrics, figures, HTML.

Typical use (``votes`` from :func:`weaksup.apply_lfs`, a fitted label model, a gold set)::

    report = build_report(votes, lfs=registry, gold=load_gold("gold_sets/task"), model=label_model, data=df)
    report.write_html("reports/task.html")
    weaksup.tracking.log_report(report, gold=gold)   # one MLflow run

What it holds (see :class:`QualityReport`):

- the LF summary (Snorkel's columns plus ``kind``, ``version``, ``faults`` and ``Learned Weight``),
  with ``Correct``/``Incorrect``/``Emp. Acc.`` on the **dev** gold split, where LFs are tuned;
- the label model's metrics beside majority vote's on the **test** split (accuracy over all gold
  rows with abstain counted wrong, accuracy on the rows with at least one LF vote and on the rows with
  none, coverage = share of rows some LF voted on, per-class and macro precision/recall/F1, confusion
  matrix, Brier score, ECE);
- the references, when the run passes them (:class:`~weaksup.references.References`): majority vote, the
  label model, a classifier trained on the gold rows alone (``supervised_on_dev``) and the final labels,
  with the verdict ("weak supervision adds +X points over training on your N gold rows", or plainly that it
  does not), the coverage split and a warning when the final probabilities' ECE is high;
- dependent LFs (:func:`weaksup.dependence.find_dependent_lfs`): correlated pairs and LFs derived from
  others, which make a label model overconfident;
- per-LF error examples (dev rows only, so test never leaks into LF writing);
- the labels a run wrote, when the caller passes them (:class:`~weaksup.report.written.WrittenLabels`; the end
  model's, the label model's or a reviewer's): their class shares beside the label model's and their confusion
  matrix on the gold split, with the references' ``final`` scores;
- figures: coverage/overlap/conflict bars, LF-by-LF conflict heatmap, votes per row, label distribution,
  confusion matrices, reliability diagram (with the written labels' when given their probabilities; with many LFs,
  the per-LF figures show those with the most conflicts and the page says so: memory stays bounded in the LFs);
- provenance: rule version, LF names@versions, gold-set and data content hashes, row counts.

The votes' statistics (:class:`~weaksup.analysis.VoteStats`) are computed once and the gold set is
aligned to the vote rows once (:class:`~weaksup.alignment.AlignedGold`); both are handed down to the
LF summary, the metrics, the error examples and the figures.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats, lf_summary
from weaksup.errors import GoldSetError
from weaksup.evaluate import Evaluation, evaluate, lf_errors, model_name
from weaksup.labels import ABSTAIN
from weaksup.lf.identity import short_hash
from weaksup.metrics import defined
from weaksup.pairs import row_blocks
from weaksup.registry import Registry
from weaksup.report.written import WRITTEN, WrittenEvaluation, WrittenLabels, evaluate_written
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from weaksup.gold import GoldSet
    from weaksup.references import References

logger = logging.getLogger(__name__)

__all__ = ["QualityReport", "build_report", "data_hash"]


def data_hash(frame: pd.DataFrame) -> str:
    """A 16-hex-digit sha256 of a DataFrame's content (every cell and the column names, in order).

    Examples
    --------
    >>> a = pd.DataFrame({"text": ["x", "y"]})
    >>> data_hash(a) == data_hash(a.copy()), data_hash(a) == data_hash(a.iloc[::-1])
    (True, False)
    """
    import hashlib

    digest = hashlib.sha256(repr(list(frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


@dataclass
class QualityReport:
    """Everything the label-quality report shows; build it with :func:`build_report`.

    Attributes
    ----------
    title : str
    summary : DataFrame
        The LF summary (:func:`weaksup.analysis.lf_summary`).
    stats : dict
        Dataset-level ``coverage``, ``overlap``, ``conflict``, ``abstain_rate``, ``mean_votes``.
    evaluation : Evaluation or None
        Label model vs majority vote on the gold split (None without gold).
    errors : DataFrame or None
        Per-LF error examples on the dev gold split.
    conflicts : DataFrame
        LF-by-LF conflict rates.
    distribution : dict of str to Series
        Class shares (with ``abstain``) of the label model and majority vote over all rows, of gold, and of the
        written labels (``"written labels"``, when given).
    params : dict of str to str
        Provenance, logged as MLflow params: rule version, gold and data hashes, row counts, model settings
        (and ``pair_rows`` when the LF-by-LF rates are estimated on a sample of the rows).
    manifest : list of dict
        One JSON-safe description per LF (``lf_manifest.json``).
    figures : dict of str to Figure
        The figures by file stem.
    references : References or None
        Majority vote, the label model, supervised-on-dev and the final labels on the gold rows, with the
        verdict (None unless the caller passed them).
    dependence : list
        Dependent LFs (:class:`~weaksup.dependence.DependentLFs`, each with a ``message``), most dependent first.
    written : WrittenLabels or None
        The labels the run wrote, as passed to :func:`build_report`.
    written_evaluation : WrittenEvaluation or None
        The written labels' confusion matrix and scores on the gold split (None without them there).
    """

    title: str
    summary: pd.DataFrame
    stats: dict[str, float]
    evaluation: Evaluation | None
    errors: pd.DataFrame | None
    conflicts: pd.DataFrame
    distribution: dict[str, pd.Series]
    params: dict[str, str]
    manifest: list[dict[str, Any]]
    n_votes: np.ndarray = field(repr=False)
    figures: dict[str, Figure] = field(default_factory=dict, repr=False)
    references: References | None = field(default=None, repr=False)
    dependence: list[Any] = field(default_factory=list, repr=False)
    written: WrittenLabels | None = field(default=None, repr=False)
    written_evaluation: WrittenEvaluation | None = field(default=None, repr=False)
    _html: str | None = field(default=None, init=False, repr=False)

    def warnings(self) -> list[str]:
        """Plain-language warnings: weak supervision not beating the gold-only classifier, overstated
        confidences, classes no LF votes for, dependent LFs."""
        out = []
        refs = self.references
        if refs is not None and refs.beats_supervised is False and refs.verdict:
            out.append(refs.verdict)
        if refs is not None and refs.ece_warning:
            out.append(f"final labels: {refs.ece_warning}")
        if refs is not None and refs.unvoted_note:
            out.append(refs.unvoted_note)
        out.extend(str(finding.message) for finding in self.dependence)
        return out

    def metrics(self) -> dict[str, float]:
        """Every scalar metric, named for MLflow: dataset rates, per-LF rates, model and baseline metrics,
        the references (:meth:`References.as_metrics <weaksup.references.References.as_metrics>`) and the
        number of dependent-LF findings (``lf_dependence/findings``). The share of all rows with a vote is
        ``coverage_all_rows``; that of the gold split's rows ``<split>/coverage``. A metric no row defines (NaN)
        is left out (:func:`weaksup.metrics.defined`)."""
        out = {("coverage_all_rows" if key == "coverage" else key): float(value) for key, value in self.stats.items()}
        for lf, row in self.summary.iterrows():
            out[f"lf/{lf}/coverage"] = float(row["Coverage"])
            out[f"lf/{lf}/conflicts"] = float(row["Conflicts"])
            if "Emp. Acc." in row and pd.notna(row["Emp. Acc."]):
                out[f"lf/{lf}/emp_acc"] = float(row["Emp. Acc."])
        if self.evaluation is not None:
            out.update(self.evaluation.to_metrics())
            out[f"{self.evaluation.split}/coverage"] = float(self.evaluation.model.coverage)
        if self.references is not None:
            out.update({key: float(value) for key, value in self.references.as_metrics().items()})
        out["lf_dependence/findings"] = float(len(self.dependence))
        return defined(out)

    def metrics_table(self) -> pd.DataFrame | None:
        """Label model vs majority vote (see :meth:`Evaluation.table`), or None without gold."""
        return None if self.evaluation is None else self.evaluation.table()

    def build_figures(self) -> dict[str, Figure]:
        """Draw (once) and return the figures."""
        if not self.figures:
            from weaksup.report import plots

            self.figures["lf_rates"] = plots.lf_rates(self.summary)
            self.figures["lf_conflicts"] = plots.lf_pair_heatmap(self.conflicts, "conflict")
            self.figures["votes_per_row"] = plots.votes_per_row(self.n_votes)
            named = plots.series_names(self)  # (each series says what its shares are of: all rows, gold's split)
            self.figures["label_distribution"] = plots.label_distribution(
                {named[key]: shares for key, shares in self.distribution.items()})
            if self.evaluation is not None:
                self.figures["confusion_matrix"] = plots.confusion_matrices(self.evaluation, self.written_evaluation)
                self.figures["calibration"] = plots.reliability(self.evaluation, self.written_evaluation)
        return self.figures

    def to_html(self) -> str:
        """The report as one self-contained HTML page (figures embedded as PNG); rendered once."""
        from weaksup.report.html import render

        if self._html is None:
            self._html = render(self)
        return self._html

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_html` to ``path`` atomically and return the path."""
        path = Path(path)
        page = self.to_html()
        with atomic_path(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
        logger.info("wrote the label-quality report to %s", path)
        return path

    def close(self) -> None:
        """Release the figures' memory."""
        self.figures.clear()
        self._html = None


def _predict(model: Any, stats: VoteStats, tie_break: str) -> np.ndarray:
    """``model.predict(L)``; with ``tie_break="abstain"`` (which does not depend on row positions) on the
    distinct rows only, or block by block over the rows when there are too many LFs for shared patterns; a model
    read by row position (a run's temporal model) on the rows' positions."""
    if callable(getattr(model, "predict_at", None)):
        return np.asarray(model.predict_at(stats.votes.row_ids, tie_break=tie_break))
    if tie_break != "abstain":
        return np.asarray(model.predict(stats.votes.values, tie_break=tie_break))
    if not stats.shares_patterns:
        blocks = [np.asarray(model.predict(block, tie_break=tie_break)) for _, block in row_blocks(stats.votes.values)]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)
    rows, inverse = stats.patterns
    return np.asarray(model.predict(rows, tie_break=tie_break)).take(inverse)


def _shares(labels: np.ndarray, names: Sequence[str]) -> pd.Series:
    counts = pd.Series([int((labels == c).sum()) for c in range(len(names))] + [int((labels == ABSTAIN).sum())],
                       index=[*names, "abstain"])
    return counts / max(len(labels), 1)


def _distribution(stats: VoteStats, model: Any, mv: Any, tie_break: str, names: Sequence[str]) -> dict[str, pd.Series]:
    """Class shares (with ``abstain``) of the label model and majority vote over all rows."""
    distribution = {model_name(model): _shares(_predict(model, stats, tie_break), names)}
    distribution["MajorityVote" if model is not mv else "MajorityVote (baseline)"] = _shares(
        _predict(mv, stats, tie_break), names)
    return distribution


def _provenance(vm: VoteMatrix, model: Any, gold_set: GoldSet | None, counts: dict[str, int],
                data: pd.DataFrame | None) -> dict[str, str]:
    """The model's settings, the LF versions, the gold set's identity and the data hash, as MLflow params."""
    params: dict[str, str] = {}
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        params.update({f"label_model.{key}": str(value) for key, value in get_params().items()})
    params.update({f"lf.{name}": version for name, version in zip(vm.lf_names, vm.lf_versions)})
    if gold_set is not None:
        params.update({"gold_task": gold_set.task, "gold_version": str(gold_set.version), "gold_hash": gold_set.hash,
                       **{f"gold_n_{s}": str(n) for s, n in counts.items()}})
    if data is not None:
        params["data_hash"] = data_hash(data)
    return params


def _dependence(vm: VoteMatrix, aligned: AlignedGold | None, lf_split: str, k: int) -> list[Any]:
    """Dependent LFs of the votes, measured on the dev gold rows too when there are some."""
    from weaksup.dependence import find_dependent_lfs

    if vm.shape[1] < 2:
        return []
    dev: dict[str, Any] = {}
    if aligned is not None and lf_split in aligned.counts:
        rows, y = aligned.rows(lf_split)
        dev = {"L_dev": vm.values[rows], "y_dev": y}
    return list(find_dependent_lfs(vm.values, lf_names=list(vm.lf_names), cardinality=k, **dev))


def build_report(
    votes: VoteMatrix | VoteStats,
    *,
    lfs: Registry | Sequence[Any] | None = None,
    gold: GoldSet | AlignedGold | None = None,
    model: Any = None,
    data: pd.DataFrame | None = None,
    split: str = "test",
    lf_split: str = "dev",
    tie_break: str = "abstain",
    title: str | None = None,
    text_column: str = "text",
    id_column: str = "row_id",
    errors_per_lf: int = 5,
    references: References | None = None,
    dependence: Sequence[Any] | None = None,
    written: WrittenLabels | None = None,
) -> QualityReport:
    """Compute the label-quality report of a vote matrix, a fitted label model and a gold set.

    Parameters
    ----------
    votes : VoteMatrix or VoteStats
        The votes of every row, or their statistics (:meth:`VoteStats.of <weaksup.analysis.VoteStats.of>`)
        when the caller has computed them already.
    lfs : Registry or sequence of LabelingFunction, optional
        The LFs behind ``votes`` (for kinds, the manifest and the rule version).
    gold : GoldSet or AlignedGold, optional
        Gold labels, matched on ``votes.row_ids`` (or a GoldSet already aligned to the votes with
        :meth:`AlignedGold.of <weaksup.alignment.AlignedGold.of>`). Without it the report has no metrics.
    model : fitted label model, optional
        Defaults to :class:`~weaksup.models.MajorityVote` (then both metric columns are majority vote).
    data : DataFrame, optional
        The data rows (with ``id_column``): adds the text of the LF error examples and the data hash.
    split, lf_split : str
        The gold split of the label-model metrics (``"test"``), and of the LF accuracies and error
        examples (``"dev"``).
    tie_break : str
        Tie-break policy of both models' ``predict``.
    references : References, optional
        The references on the gold rows (:func:`weaksup.references.compare_references`; a run passes those of
        the test rows): shown with their verdict, and in :meth:`QualityReport.metrics`.
    dependence : list of DependentLFs, optional
        Dependent LFs the caller has found already; found here with
        :func:`weaksup.dependence.find_dependent_lfs` otherwise (on every row, and on the ``lf_split`` gold rows).
    written : WrittenLabels, optional
        The labels the run wrote (its labels file: the final labels, see ``label_source``), which are not the label
        model's: their class shares join the label distribution as ``"written labels"``, abstains included, and on
        the ``split`` gold rows they are given for, their confusion matrix joins the label model's and majority
        vote's (:func:`~weaksup.report.written.evaluate_written`; scored by the ``references`` on those rows).

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> votes = VoteMatrix([[0, 0, -1], [1, -1, 1], [0, 1, -1], [-1, -1, -1]], lf_names=["a", "b", "c"])
    >>> report = build_report(votes, model=MajorityVote(cardinality=2).fit(votes))
    >>> report.stats["coverage"], report.params["label_model"], report.evaluation is None, report.references is None
    (0.75, 'MajorityVote', True, True)
    >>> written = WrittenLabels({"0": 2, "1": 1, "abstain": 1})  # e.g. WrittenLabels.of(labels_file["label"], ...)
    >>> build_report(votes, written=written).distribution["written labels"].tolist()
    [0.5, 0.25, 0.25]
    """
    from weaksup.models import MajorityVote

    stats = VoteStats.of(votes)
    vm = stats.votes
    aligned = None if gold is None else AlignedGold.of(gold, vm)
    gold_set = None if aligned is None else aligned.source
    if aligned is not None and gold_set is None:
        raise GoldSetError("build_report needs a GoldSet (for its splits and provenance); got gold labels "
                           "without one: load it with weaksup.gold.load_gold")
    registry = lfs if isinstance(lfs, Registry) else None
    lf_list = list(registry.lfs if registry is not None else lfs) if lfs is not None else []
    space = (aligned.label_space if aligned is not None else None) or vm.label_space or (
        registry.label_space if registry is not None else None)
    k = len(space) if space is not None else int(vm.values.max(initial=1)) + 1
    names = list(space) if space is not None else [str(c) for c in range(k)]
    mv = MajorityVote(cardinality=k).fit(vm.values)
    model = model if model is not None else mv
    counts = aligned.counts if aligned is not None else {}
    dev_gold = aligned.restrict(lf_split) if aligned is not None and lf_split in counts else None
    summary = lf_summary(stats, lf_list, gold=dev_gold, model=model if model is not mv else None)
    if "Learned Weight" in summary and summary["Learned Weight"].isna().all():
        summary = summary.drop(columns=["Learned Weight"])  # the model learns no LF weights
    evaluation = None
    if aligned is not None and split in counts:
        evaluation = evaluate(stats, aligned, model, split=split, tie_break=tie_break, label_space=names, baseline=mv)
    elif gold_set is not None:
        logger.warning("gold set %s has no %r split: the report has no label-model metrics", gold_set.task, split)
    errors = None
    if aligned is not None and dev_gold is not None:
        errors = lf_errors(stats, aligned, data, split=lf_split, label_space=names, per_lf=errors_per_lf,
                           text_column=text_column, id_column=id_column)
        if data is None or text_column not in data:
            errors = errors.drop(columns=[text_column], errors="ignore")
    distribution = _distribution(stats, model, mv, tie_break, names)
    if gold_set is not None and split in counts:
        distribution[f"gold ({split})"] = gold_set.labels(split).value_counts(normalize=True).reindex(names, fill_value=0)
    if written is not None:
        distribution[WRITTEN] = written.shares(names)
    written_evaluation = None if written is None or evaluation is None or aligned is None else evaluate_written(
        written, vm, aligned, split, names, references)
    params = {
        "n_rows": str(len(vm)), "n_lfs": str(vm.shape[1]), "cardinality": str(k), "label_space": ",".join(names),
        "rule_version": (registry.rule_version if registry is not None else None) or short_hash(sorted(vm.lf_ids)),
        "label_model": model_name(model), "tie_break": tie_break, "eval_split": split, "lf_split": lf_split,
        **_provenance(vm, model, gold_set, counts, data),
    }
    found = list(dependence) if dependence is not None else _dependence(vm, aligned, lf_split, k)
    conflicts = stats.pair_matrix("conflict")
    if stats.pair_rows < len(stats):  # too many LFs and rows to count every pair on every row
        params["pair_rows"] = str(stats.pair_rows)
    by_name = {lf.name: lf for lf in lf_list}
    manifest = [by_name[nm].manifest() if nm in by_name else {"name": nm, "version": ver}
                for nm, ver in zip(vm.lf_names, vm.lf_versions)]
    return QualityReport(
        title=title or (f"Label quality: {gold_set.task}" if gold_set is not None else "Label quality"),
        summary=summary, stats=stats.rates(), evaluation=evaluation, errors=errors,
        conflicts=conflicts, distribution=distribution, params=params,
        manifest=manifest, n_votes=stats.n_voting, references=references, dependence=found,
        written=written, written_evaluation=written_evaluation,
    )
