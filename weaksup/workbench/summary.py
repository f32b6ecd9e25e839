"""The workbench summary: the LF table, the label model against majority vote on dev, the references (a classifier
trained on the dev gold alone, the final labels) with the verdict, dependent LFs, uncovered rows."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, ParameterError
from weaksup.evaluate import Evaluation, label_metrics, model_name
from weaksup.final.texts import final_outcome, present_texts
from weaksup.gold.gaps import gap_lines
from weaksup.labels import ABSTAIN
from weaksup.models import MajorityVote
from weaksup.models.base import BaseLabelModel
from weaksup.models.fitting import out_of_fold_predict
from weaksup.references import References, compare_references
from weaksup.render import NOTEBOOK_STYLE, clip, html_table
from weaksup.verdict import discordant
from weaksup.votes import has_vote

if TYPE_CHECKING:
    from weaksup.final_labels import FinalLabeler

__all__ = ["WorkbenchSummary", "dev_evaluation", "dev_references", "end_model_texts", "fit_final_labeler",
           "references_missing"]

logger = logging.getLogger(__name__)

#: How to read the references table of the summary.
REFERENCES_NOTE = ("references out of fold on the dev gold rows; label_model abstains on rows without a vote, as a run "
                   "does by default (label_model.no_votes = \"abstain\"), and the final labels take those from the end "
                   "model, except rows without text: the end model neither learns from nor labels them, they keep the "
                   "label model's outcome; supervised_on_dev is the end model's classifier trained on the dev gold alone")
#: :data:`REFERENCES_NOTE` of data without text (``text_column=None``): the end model reads every row's columns.
TABULAR_REFERENCES_NOTE = (
    "references out of fold on the dev gold rows; label_model abstains on rows without a vote, as a run does by default "
    "(label_model.no_votes = \"abstain\"), and the final labels take those from the end model, which reads every "
    "row's columns (there is no text column, so no row is left to the label model's outcome); supervised_on_dev is "
    "the end model's classifier trained on the dev gold rows' columns alone")


@dataclass(frozen=True)
class WorkbenchSummary:
    """The LF summary, the label model against majority vote on dev, and a sample of uncovered rows.

    Attributes
    ----------
    lfs : DataFrame
        :func:`weaksup.analysis.lf_summary` of the workbench's LFs, with dev gold accuracy.
    evaluation : Evaluation or None
        Label model vs majority vote on the dev gold rows (the label model's dev predictions are
        out-of-fold when it learns from dev gold); None without dev gold.
    stats : dict
        :func:`weaksup.analysis.vote_stats` of all rows.
    uncovered : DataFrame
        Sample rows on which no LF votes.
    n_uncovered : int
        All rows on which no LF votes.
    references : References or None
        Majority vote, the label model, ``supervised_on_dev`` (the end model's classifier trained on the dev gold
        alone) and the final labels, all out of fold on the dev gold rows, with the verdict and the coverage split.
    missing : str or None
        Why ``references`` is None (no dev gold, no text column, no LF...).
    dependence : list
        Dependent LFs (:class:`~weaksup.dependence.DependentLFs`, each with a ``message``).
    missing_classes : list of str
        The classes the dev gold has no row of (:func:`weaksup.gold.gaps.missing_classes`; empty without dev gold).
    unvoted : str or None
        The warning naming the classes no LF votes for (:func:`weaksup.verdict.unvoted_classes`), shown when there
        are no references to say it (no text, too few dev rows).
    tabular : bool
        The data has no text column (``text_column=None``): the end model reads the rows' columns.
    leaks : list of str
        Without text, the warnings naming a column the end model reads that alone predicts the dev gold label (the
        label, or derived from it), with the fix (:func:`weaksup.workbench.tabular.leak_warnings`).
    untrusted : str or None
        The warning naming the LFs the dev gold shows wrong on most of their votes that the label model lets force
        their class (:func:`weaksup.models.dev.untrusted_note` of the label model fitted on every row), with the fix.
    """

    lfs: pd.DataFrame
    evaluation: Evaluation | None
    stats: dict[str, float]
    uncovered: pd.DataFrame = field(repr=False)
    n_uncovered: int = 0
    text_column: str | None = field(default=None, repr=False)
    references: References | None = field(default=None, repr=False)
    missing: str | None = None
    dependence: list[Any] = field(default_factory=list, repr=False)
    missing_classes: list[str] = field(default_factory=list)
    unvoted: str | None = None
    untrusted: str | None = None
    tabular: bool = False
    leaks: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """Does weak supervision beat training on the dev gold rows? Or why that is not known."""
        if self.references is not None and self.references.verdict:
            return self.references.verdict
        reason = self.missing or (self.references.missing if self.references is not None else None)
        return f"no supervised baseline: {reason}"

    def _reference_lines(self) -> list[str]:
        lines = ["", self.verdict, *(f"leak: {leak}" for leak in self.leaks)]
        if self.references is not None:
            lines += self.references.lines()[1:]
            lines.append(self.references.table().to_string(float_format=lambda v: f"{v:.3f}"))
            lines.append(self.references_note)
        elif self.unvoted:
            lines.append(self.unvoted)
        lines += [f"dependent LFs: {finding.message}" for finding in self.dependence]
        lines += [f"untrusted LFs: {self.untrusted}"] if self.untrusted else []
        return lines + gap_lines({"dev": self.missing_classes})

    @property
    def references_note(self) -> str:
        """How to read the references table: :data:`REFERENCES_NOTE`, or :data:`TABULAR_REFERENCES_NOTE` without text."""
        return TABULAR_REFERENCES_NOTE if self.tabular else REFERENCES_NOTE

    @property
    def metrics(self) -> pd.DataFrame | None:
        """Label model vs majority vote on dev, as :meth:`Evaluation.table` (None without dev gold)."""
        return None if self.evaluation is None else self.evaluation.table()

    def __repr__(self) -> str:
        shown = self.lfs.drop(columns=["j"], errors="ignore")
        lines = [f"WorkbenchSummary: {len(self.lfs)} LFs, coverage {self.stats['coverage']:.3f}, "
                 f"conflict {self.stats['conflict']:.3f}, {self.n_uncovered} rows uncovered",
                 shown.to_string(float_format=lambda v: f"{v:.3f}")]
        if self.evaluation is not None:
            lines += ["", self.evaluation.summary(), self.evaluation.formatted().to_string()]
        lines += self._reference_lines()
        if len(self.uncovered):
            lines += ["", "uncovered rows (sample):"]
            lines += [f"  {row.iloc[0]!s}: {clip(row.get(self.text_column, ''), 90)}"
                      for _, row in self.uncovered.iterrows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [NOTEBOOK_STYLE, "<div class='weaksup-wb'><h4>LF summary</h4>",
                 f"<p>coverage {self.stats['coverage']:.3f}, overlap {self.stats['overlap']:.3f}, conflict "
                 f"{self.stats['conflict']:.3f}; {self.n_uncovered} rows without a vote</p>",
                 html_table(self.lfs.drop(columns=["j"], errors="ignore").reset_index()
                            .rename(columns={"index": "lf"}))]
        if self.evaluation is not None:
            parts += [f"<h4>Label model vs majority vote ({self.evaluation.model.n_gold} dev gold rows)</h4>",
                      f"<p>{html.escape(self.evaluation.summary())}</p>",
                      html_table(self.evaluation.formatted().reset_index().rename(columns={"index": "metric"}))]
        refs = self.references
        parts += [f"<h4>Does weak supervision beat training on the dev gold?</h4><p><b>{html.escape(self.verdict)}</b></p>"]
        parts += [f"<p><b>leak: {html.escape(leak)}</b></p>" for leak in self.leaks]
        if refs is not None:
            parts += [f"<p>{html.escape(line)}</p>" for line in refs.lines()[1:]]
            parts.append(html_table(refs.table().map(lambda v: f"{v:.3f}").reset_index()))
            parts.append(f"<p>{html.escape(self.references_note)}</p>")
        elif self.unvoted:
            parts.append(f"<p><b>{html.escape(self.unvoted)}</b></p>")
        parts += [f"<p>dependent LFs: {html.escape(str(finding.message))}</p>" for finding in self.dependence]
        parts += [f"<p><b>untrusted LFs: {html.escape(self.untrusted)}</b></p>"] if self.untrusted else []
        parts += [f"<p><b>{html.escape(line)}</b></p>" for line in gap_lines({"dev": self.missing_classes})]
        parts += ["<h4>Rows no LF covers (sample)</h4>", html_table(self.uncovered, text_column=self.text_column),
                  "</div>"]
        return "".join(parts)


def dev_evaluation(model: BaseLabelModel, L: np.ndarray, y_dev: np.ndarray, names: Sequence[str], *,
                   gold_hash: str = "", seed: int = 0, n_splits: int = 5) -> Evaluation | None:
    """The label model against majority vote on the dev gold rows (None without any).

    A model that learns from dev gold is judged out of fold
    (:func:`~weaksup.models.fitting.out_of_fold_predict`): each dev row is predicted by a copy that
    did not learn from it. Ties abstain, and so do rows no LF voted on, as in a run (``[label_model] no_votes =
    "abstain"``): a class-prior guess on them is not the LFs' work, and counting it would flatter the label model.

    Parameters
    ----------
    model : BaseLabelModel
        Unfitted; copies of it are fitted.
    L : int array (n, m)
        The votes of every row.
    y_dev : int array (n,)
        Dev gold class ids, ``ABSTAIN`` where none.
    names : sequence of str
        The class names.

    Examples
    --------
    >>> L = np.array([[1, 1], [0, -1], [1, 0], [0, 0]])
    >>> ev = dev_evaluation(MajorityVote(cardinality=2), L, np.array([1, 0, -1, 0]), ["ham", "spam"])
    >>> ev.model.n_gold, ev.model.name, ev.model.coverage
    (3, 'MajorityVote', 1.0)
    """
    dev = np.flatnonzero(y_dev != ABSTAIN)
    if len(dev) == 0 or L.shape[1] == 0:
        return None
    y = y_dev[dev]
    oof = out_of_fold_predict(model, L[dev], y, L=L, n_splits=n_splits, seed=seed, tie_break="abstain")
    label = model_name(model) + (" (out-of-fold)" if type(model).uses_dev_gold else "")
    mv = MajorityVote(cardinality=len(names)).fit(L)
    covered = has_vote(L[dev])
    pred = np.where(covered, oof.pred, ABSTAIN)
    mv_pred = mv.predict(L[dev], tie_break="abstain")
    return Evaluation(
        label_metrics(y, oof.proba, pred, label_space=list(names), name=label, covered=covered),
        label_metrics(y, mv.predict_proba(L[dev]), mv_pred, label_space=list(names), name="MajorityVote",
                      covered=covered),
        "dev", gold_hash, "abstain", discordant(pred == y, mv_pred == y))


def dev_references(labeler: FinalLabeler, L: np.ndarray, y_dev: np.ndarray, names: Sequence[str]) -> References:
    """The references on the dev gold rows, out of fold, from a fitted :class:`~weaksup.final_labels.FinalLabeler`.

    Majority vote abstains on ties and on rows without a vote; the label model abstains on rows without a
    vote (a run's default, ``[label_model] no_votes = "abstain"``); ``supervised_on_dev`` and the final labels
    label every row with their most probable class. Every dev row's label comes from models that did not see
    its gold label (:attr:`FinalLabeler.dev_proba_`).

    The dev rows the labeler was not fitted on, its rows without text (:func:`fit_final_labeler`), are labeled as
    ``weaksup run`` labels rows without text (:func:`weaksup.final.texts.final_outcome`): the final labels keep the
    label model's outcome (its label where an LF voted, else none), by the labeler's label model
    (``label_model_``, which learned from neither their votes nor their gold); ``supervised_on_dev`` labels them
    from an empty text, as a run's reference does.

    Parameters
    ----------
    labeler : FinalLabeler
        Fitted on all rows (positions ``0..n-1``) with ``y_dev``.
    L : int array (n, m)
        The votes of every row.
    y_dev : int array (n,)
        Dev gold class ids, ``ABSTAIN`` where none.
    names : sequence of str
        The class names.

    Examples
    --------
    >>> from weaksup.final_labels import FinalLabeler
    >>> from weaksup.models import DevNaiveBayes
    >>> texts = ["buy cheap pills", "free money now", "subscribe to my channel", "nice song",
    ...          "love this video", "great tune"] * 5
    >>> L = np.array([[1, -1], [1, -1], [-1, 1], [0, -1], [0, -1], [-1, -1]] * 5)
    >>> y = np.array([1, 1, 1, 0, 0, 0] * 2 + [-1] * 18)
    >>> labeler = FinalLabeler(DevNaiveBayes(2), n_folds=3).fit(texts, L, np.arange(30), y)
    >>> refs = dev_references(labeler, L, y, ["ham", "spam"])
    >>> list(refs.scores), refs.n_rows, refs.n_voted
    (['majority_vote', 'label_model', 'supervised_on_dev', 'final'], 12, 10)
    """
    dev = np.flatnonzero(y_dev != ABSTAIN)
    y = y_dev[dev]
    proba = labeler.dev_proba_
    fitted = np.isin(dev, labeler.dev_positions_)  # the dev rows it learned from: those with a text
    if not np.array_equal(np.asarray(labeler.dev_y_), y[fitted]):
        raise ParameterError("dev_references: the labeler was not fitted on these dev gold labels; fit it with "
                             "positions np.arange(n) (those of the rows with a text) and this y_dev")
    L_dev = L[dev]
    covered = has_vote(L_dev)
    k = len(names)
    at = np.cumsum(fitted) - 1  # a fitted dev row's row of dev_proba_
    lm = np.zeros((len(dev), k))
    lm[fitted] = proba["label_model"]
    supervised = np.zeros(len(dev), dtype=np.int64)
    supervised[fitted] = proba["supervised_on_dev"].argmax(axis=1)
    if not fitted.all():  # the dev rows without text
        lm[~fitted] = labeler.label_model_.predict_proba(L_dev[~fitted])
        baseline = labeler.baseline_  # (fitted whenever the labeler has dev rows)
        supervised[~fitted] = 0 if baseline is None else baseline.predict(np.full(int((~fitted).sum()), "", object))
    final, source = final_outcome(L_dev, fitted, k, lambda rows: (proba["final"][at[rows]],
                                                                  labeler.label_source(L_dev[rows])),
                                  lambda rows: lm[rows])
    predictions = {
        "majority_vote": MajorityVote(cardinality=k).fit(L).predict(L_dev, tie_break="abstain"),
        "label_model": np.where(covered, lm.argmax(axis=1), ABSTAIN),
        "supervised_on_dev": supervised,
        "final": np.where(pd.isna(source), ABSTAIN, final.argmax(axis=1)),  # a row nobody labeled abstains
    }
    return compare_references(y, predictions, covered=covered, final_proba=final, label_space=list(names),
                              n_gold=len(dev), split="dev", votes=L)


def references_missing(text_column: str | None, y_dev: np.ndarray, n_lfs: int, n_folds: int,
                       columns: pd.DataFrame | None = None) -> str | None:
    """Why the supervised baseline and the final labels cannot be fitted; None when they can. Without a text column
    they read the rows' ``columns`` (:class:`weaksup.final.columns.ColumnFeatures`), which must hold one they can.

    Examples
    --------
    >>> references_missing("text", np.array([-1, -1]), 3, 5)[:17]
    'no dev gold rows:'
    >>> references_missing("text", np.array([0, 1, 0, 1, 1, 0]), 2, 5) is None
    True
    """
    n_dev = int((y_dev != ABSTAIN).sum())
    if text_column is None and columns is not None:
        from weaksup.errors import EndModelError
        from weaksup.final.columns import ColumnFeatures

        try:
            ColumnFeatures().fit(columns)
        except EndModelError as exc:
            return f"no text column (text_column=None), and {exc}"
    if n_dev == 0:
        return ("no dev gold rows: label some rows (gold=...) to compare weak supervision with a classifier "
                "trained on them")
    if n_dev < n_folds:
        return (f"only {n_dev} dev gold rows: label at least {n_folds} (the references are scored out of fold, "
                f"in {n_folds} folds)")
    if not n_lfs:
        return "no LFs yet: add some"
    return None


def fit_final_labeler(label_model: BaseLabelModel, texts: pd.Series | pd.DataFrame, L: np.ndarray, y_dev: np.ndarray,
                      *, n_folds: int = 5, seed: int = 0) -> FinalLabeler:
    """A :class:`~weaksup.final_labels.FinalLabeler` fitted on every row with a text (at its position in ``0..n-1``)
    and their dev gold, logged at INFO with the time it took; given a frame of the rows' columns instead of texts
    (data without text), every row, with :func:`weaksup.final.columns.tabular_end_model`.

    A row without text (:func:`end_model_texts`) is no training row, as in ``weaksup run``: the end model learns
    from texts only (an empty text would teach it a class) and does not label it (:func:`dev_references`). Raises
    :class:`~weaksup.errors.DataError` when too few dev gold rows have a text for ``n_folds``.

    Examples
    --------
    >>> from weaksup.models import DevNaiveBayes
    >>> texts = pd.Series(["buy cheap pills", "free money now", None, "nice song", "love this video", "tune"] * 5)
    >>> L = np.array([[1, -1], [1, -1], [-1, 1], [0, -1], [0, -1], [-1, -1]] * 5)
    >>> labeler = fit_final_labeler(DevNaiveBayes(2), texts, L, np.array([1, 1, 1, 0, 0, 0] * 5), n_folds=3)
    >>> sorted(labeler.dev_proba_), len(labeler.dev_y_)  # (the 5 dev rows without text left out)
    (['final', 'label_model', 'majority_vote', 'supervised_on_dev'], 25)
    """
    from weaksup.end_model import take_rows
    from weaksup.final_labels import FinalLabeler

    started = time.perf_counter()
    end_model = None
    if isinstance(texts, pd.DataFrame):  # no text column: the rows' columns (weaksup.final.columns)
        from weaksup.final.columns import tabular_end_model

        features, present = texts.reset_index(drop=True), np.ones(len(texts), bool)
        end_model = tabular_end_model(seed, columns=features)
    else:
        features, present = end_model_texts(texts)
    rows = np.flatnonzero(present)  # a row without text is no training row
    n_dev, n_text_dev = int((y_dev != ABSTAIN).sum()), int((y_dev[rows] != ABSTAIN).sum())
    if n_text_dev < min(n_folds, n_dev):
        raise DataError(f"only {n_text_dev} of the {n_dev} dev gold rows have a text, and the end model learns from "
                        f"texts only (rows without text are left out of it, as in `weaksup run`): label at least "
                        f"{n_folds} dev rows with a text (the references are scored out of fold, in {n_folds} folds)")
    logger.info("fitting the final labels: label model and end model, %d folds, on %d rows (%d dev gold; %d rows "
                "without text left out)", n_folds, len(rows), n_text_dev, len(L) - len(rows))
    labeler = FinalLabeler(label_model, end_model=end_model, n_folds=n_folds, seed=seed).fit(
        take_rows(features, rows), L[rows], rows, y_dev[rows])
    logger.info("fitted the final labels in %.1f s", time.perf_counter() - started)
    return labeler


def end_model_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The texts as a run's end model reads them (cleaned as ``weaksup run`` cleans by default, ``[clean] normalize``)
    and which rows have one (:func:`weaksup.final.texts.present_texts`: not missing, empty or only whitespace).

    Examples
    --------
    >>> texts, present = end_model_texts(pd.Series(["Hi  you", None, "  ", 7]))
    >>> texts.tolist(), present.tolist()
    (['Hi you', '', '', '7'], [True, False, False, True])
    """
    from weaksup.data import prepare

    column = pd.Series(texts.to_numpy(dtype=object), dtype=object)
    column = column.where(column.isna(), column.astype(str))  # a value that is not text, as text
    clean, _ = prepare(pd.DataFrame({"row_id": np.arange(len(column)), "text": column}), duplicates=False)
    return present_texts(clean["text"])
