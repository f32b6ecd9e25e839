"""The workbench summary: the LF table, the label model against majority vote on dev, uncovered rows."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from weaksup.evaluate import Evaluation, label_metrics, model_name
from weaksup.labels import ABSTAIN
from weaksup.models import MajorityVote
from weaksup.models.base import BaseLabelModel
from weaksup.models.fitting import out_of_fold_predict
from weaksup.render import NOTEBOOK_STYLE, clip, html_table

__all__ = ["WorkbenchSummary", "dev_evaluation"]


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
    """

    lfs: pd.DataFrame
    evaluation: Evaluation | None
    stats: dict[str, float]
    uncovered: pd.DataFrame = field(repr=False)
    n_uncovered: int = 0
    text_column: str | None = field(default=None, repr=False)

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
        parts += ["<h4>Rows no LF covers (sample)</h4>", html_table(self.uncovered, text_column=self.text_column),
                  "</div>"]
        return "".join(parts)


def dev_evaluation(model: BaseLabelModel, L: np.ndarray, y_dev: np.ndarray, names: Sequence[str], *,
                   gold_hash: str = "", seed: int = 0, n_splits: int = 5) -> Evaluation | None:
    """The label model against majority vote on the dev gold rows (None without any).

    A model that learns from dev gold is judged out of fold
    (:func:`~weaksup.models.fitting.out_of_fold_predict`): each dev row is predicted by a copy that
    did not learn from it. Ties abstain.

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
    >>> ev.model.n_gold, ev.model.name
    (3, 'MajorityVote')
    """
    dev = np.flatnonzero(y_dev != ABSTAIN)
    if len(dev) == 0 or L.shape[1] == 0:
        return None
    y = y_dev[dev]
    oof = out_of_fold_predict(model, L[dev], y, L=L, n_splits=n_splits, seed=seed, tie_break="abstain")
    label = model_name(model) + (" (out-of-fold)" if type(model).uses_dev_gold else "")
    mv = MajorityVote(cardinality=len(names)).fit(L)
    return Evaluation(
        label_metrics(y, oof.proba, oof.pred, label_space=list(names), name=label),
        label_metrics(y, mv.predict_proba(L[dev]), mv.predict(L[dev], tie_break="abstain"),
                      label_space=list(names), name="MajorityVote"),
        "dev", gold_hash, "abstain")
