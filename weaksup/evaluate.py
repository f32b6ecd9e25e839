"""Label-model metrics against gold, side by side with the majority-vote baseline.

The metrics (:mod:`weaksup.metrics`) never hide abstains: ``accuracy`` is over **all** gold rows, an abstain
counting as wrong, and "covered" means that **some LF voted** on the row: ``coverage``, ``accuracy_voted`` and
``accuracy_no_votes`` split the rows by LF votes, while ``labelled`` and ``accuracy_labelled`` are about the rows
the model gave a class. :func:`evaluate` always reports the same numbers for
:class:`~weaksup.models.MajorityVote` beside the label model, so a user sees at once whether the label model beat
majority vote, and where (on the rows with votes, or only on the rows without).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats, as_vote_matrix
from weaksup.errors import DataError, GoldSetError, NotFittedError, ParameterError
from weaksup.gold.core import match_ids
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.metrics import (COUNTS, METRIC_NAMES, NO_VALUE, Metrics, calibration_bins,
                             expected_calibration_error, label_metrics)
from weaksup.validation import check_columns
from weaksup.verdict import discordant, majority_class_note, within_noise
from weaksup.votes import VoteMatrix, has_vote

if TYPE_CHECKING:
    from weaksup.gold import GoldSet

logger = logging.getLogger(__name__)

__all__ = ["BASELINE", "COUNTS", "Evaluation", "METRIC_NAMES", "Metrics", "calibration_bins", "evaluate",
           "expected_calibration_error", "gold_rows", "label_count", "label_metrics", "lf_errors", "majority_class_note",
           "model_name", "predictions_at"]

#: Name of the baseline column in :meth:`Evaluation.table`.
BASELINE = "MajorityVote"


@dataclass(frozen=True)
class Evaluation:
    """A label model's metrics and the majority-vote baseline's, on one gold split.

    Attributes
    ----------
    model : Metrics
        The label model's metrics.
    baseline : Metrics
        Majority vote's metrics (same rows, same tie-break policy).
    split : str
        The gold split (``"test"`` unless told).
    gold_hash : str
        The content hash of the gold set used.
    tie_break : str
        The tie-break policy of both models' ``predict``.
    discordant : (int, int) or None
        The gold rows only the label model gets right and those only majority vote gets right
        (:func:`weaksup.verdict.discordant`): whether the accuracy difference is within noise
        (:func:`weaksup.verdict.within_noise`); None when not known.
    """

    model: Metrics
    baseline: Metrics
    split: str
    gold_hash: str
    tie_break: str
    discordant: tuple[int, int] | None = None

    def table(self) -> pd.DataFrame:
        """The metrics of the label model and majority vote side by side, with their difference.

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> from weaksup.gold import write_gold
        >>> import tempfile
        >>> rows = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["x", "y", "y"], "split": "test"})
        >>> gold = write_gold(rows, tempfile.mkdtemp(), task="demo", label_space=["x", "y"])
        >>> votes = VoteMatrix([[0, 0, 1], [1, -1, 1], [0, 1, -1]], row_ids=["a", "b", "c"])
        >>> table = evaluate(votes, gold, MajorityVote(cardinality=2).fit(votes)).table()
        >>> table.columns.tolist(), table.loc["labelled (share given a class)"].round(3).tolist()
        (['MajorityVote (label model)', 'MajorityVote', 'difference'], [0.667, 0.667, 0.0])
        """
        name = self.model.name if self.model.name != BASELINE else f"{BASELINE} (label model)"
        frame = pd.DataFrame({name: self.model.as_dict(), BASELINE: self.baseline.as_dict()})
        frame["difference"] = frame[name] - frame[BASELINE]
        return frame.rename(index=METRIC_NAMES)

    def formatted(self) -> pd.DataFrame:
        """:meth:`table` as text for printing: 3 decimals, signed differences, row counts as integers, and
        :data:`~weaksup.metrics.NO_VALUE` for a metric no row defines (the accuracy on the rows with no LF vote
        when every row has one)."""
        table = self.table()

        def shown_as(spec: str) -> Any:
            return lambda v: NO_VALUE if v != v else format(v, spec)

        shown = table.map(shown_as(".3f")).astype(object)
        shown["difference"] = table["difference"].map(shown_as("+.3f"))
        for key in COUNTS:
            shown.loc[METRIC_NAMES[key]] = table.loc[METRIC_NAMES[key]].map(shown_as(".0f"))
        return shown

    def to_metrics(self) -> dict[str, float]:
        """Flat metric names for MLflow: ``<split>/label_model/<metric>`` and ``<split>/majority_vote/<metric>``."""
        out = {}
        for key, metrics in (("label_model", self.model), ("majority_vote", self.baseline)):
            out.update({f"{self.split}/{key}/{m}": v for m, v in metrics.as_dict().items()})
            for cls, row in metrics.per_class.iterrows():
                out.update({f"{self.split}/{key}/{stat}/{cls}": float(row[stat]) for stat in ("precision", "recall", "f1")})
        return out

    def summary(self) -> str:
        """One line: did the label model beat majority vote on accuracy over all gold rows, and where?

        The difference in rows follows, "within noise" by the verdict's rule (:meth:`gap_note`); then the
        accuracies on the rows with and without an LF vote, so a lead that comes only from labelling no-vote rows
        from the class prior is visible.
        """
        diff = self.model.accuracy - self.baseline.accuracy
        verdict = "beats" if diff > 0 else "ties with" if diff == 0 else "is WORSE than"
        line = (f"{self.model.name} {verdict} majority vote on the {self.model.n_gold} {self.split} gold rows"
                f"{self.gap_note()}: "
                f"accuracy {self.model.accuracy:.3f} vs {self.baseline.accuracy:.3f} (abstain = wrong), "
                f"macro F1 {self.model.macro_f1:.3f} vs {self.baseline.macro_f1:.3f}")
        m, b = self.model, self.baseline
        if m.n_voted is not None and m.n_no_votes is not None:
            line += f"; on the {m.n_voted} rows with an LF vote {m.accuracy_voted:.3f} vs {b.accuracy_voted:.3f}"
            if m.n_no_votes:
                line += f", on the {m.n_no_votes} with none {m.accuracy_no_votes:.3f} vs {b.accuracy_no_votes:.3f}"
        note = majority_class_note(m.accuracy, self.class_counts())
        return line + (f". {note}" if note else "")

    def gap_note(self) -> str:
        """The accuracy difference in gold rows, said as the verdict says it (:func:`weaksup.verdict.within_noise`):
        ``", within noise (3 of 100 rows)"``, or ``" (by 12 of 100 rows)"`` beyond noise; ``""`` for a tie or
        when :attr:`discordant` is not known.

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> L = np.array([[0, 0], [1, -1], [0, 1], [1, 1]])
        >>> ev = evaluate(L, np.array([0, 1, 1, 1]), MajorityVote(2).fit(L))
        >>> ev.discordant, ev.gap_note()
        ((0, 0), '')
        >>> import dataclasses
        >>> dataclasses.replace(ev, discordant=(3, 0)).gap_note()
        ', within noise (3 of 4 rows)'
        """
        if self.discordant is None or self.discordant[0] == self.discordant[1]:
            return ""
        wins, losses = self.discordant
        rows = f"{abs(wins - losses)} of {self.model.n_gold} rows"
        return f", within noise ({rows})" if within_noise(wins, losses) else f" (by {rows})"

    def class_counts(self) -> dict[str, int]:
        """The gold rows of each class on the split (the label model's per-class support; ``{}`` without it)."""
        per_class = self.model.per_class
        if "support" not in per_class:
            return {}
        return {str(name): int(n) for name, n in per_class["support"].items()}


def gold_rows(votes: VoteMatrix | VoteStats, gold: GoldSet | AlignedGold | np.ndarray,
              split: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the vote rows that have a gold label (in ``split``), and those labels.

    See :meth:`AlignedGold.rows <weaksup.alignment.AlignedGold.rows>`.

    Examples
    --------
    >>> rows, y = gold_rows(VoteMatrix([[0], [1], [1]]), np.array([1, -1, 0]), split=None)
    >>> rows.tolist(), y.tolist()
    ([0, 2], [1, 0])
    """
    return AlignedGold.of(gold, as_vote_matrix(votes)).rows(split)


def model_name(model: Any) -> str:
    """A model's display name: its ``name`` attribute or its class name."""
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


def predictions_at(model: Any, L: np.ndarray, positions: Any, tie_break: str) -> tuple[np.ndarray, np.ndarray]:
    """A fitted model's ``(probabilities, labels)`` of the vote rows ``L``, which sit at ``positions`` of the run.

    A model whose prediction of a row depends on its place among the others (a run's temporal model, whose
    smoothed posteriors :class:`~weaksup.pipeline.sequences.RunPosteriors` holds by position) is read by
    position (``proba_at`` / ``predict_at``); any other model predicts from ``L``.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> L = np.array([[0, 0], [1, -1]])
    >>> proba, labels = predictions_at(MajorityVote(2).fit(L), L, [0, 1], "abstain")
    >>> labels.tolist()
    [0, 1]
    """
    if callable(getattr(model, "proba_at", None)):
        return np.asarray(model.proba_at(positions)), np.asarray(model.predict_at(positions, tie_break=tie_break))
    return np.asarray(model.predict_proba(L)), np.asarray(model.predict(L, tie_break=tie_break))


def label_count(space: LabelSpace | Sequence[str] | None, model: Any, L: np.ndarray, y: np.ndarray) -> int:
    """The number of classes of an evaluation: the label space's, else the model's cardinality, else one more
    than the largest class id among all the votes ``L`` and gold ``y`` (at least 2).

    All the rows count, not only the gold ones: the majority-vote baseline is fitted on every vote row.

    Examples
    --------
    >>> from weaksup.models import DawidSkene
    >>> L, y = np.array([[0, 2], [1, -1]]), np.array([0, -1])
    >>> label_count(["a", "b", "c", "d"], None, L, y), label_count(None, DawidSkene(cardinality=5), L, y)
    (4, 5)
    >>> label_count(None, None, L, y)
    3
    """
    if space is not None:
        return len(space)
    for name in ("cardinality_", "cardinality"):
        k = getattr(model, name, None)
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            return int(k)
    return max(2, int(max(np.max(L, initial=0), np.max(y, initial=0))) + 1)


def evaluate(
    votes: VoteMatrix | VoteStats | np.ndarray,
    gold: GoldSet | AlignedGold | np.ndarray,
    model: Any,
    *,
    split: str | None = "test",
    tie_break: str = "abstain",
    label_space: LabelSpace | Sequence[str] | None = None,
    n_bins: int = 10,
    baseline: Any = None,
) -> Evaluation:
    """Evaluate a fitted label model and majority vote on the gold rows of ``votes``.

    Parameters
    ----------
    votes : VoteMatrix, VoteStats or int array (n, m)
        Votes of the rows (all of them, or at least the gold ones).
    gold : GoldSet, AlignedGold or array of int
        A GoldSet (matched on ``votes.row_ids``, restricted to ``split``), gold already aligned to
        the vote rows (:class:`~weaksup.alignment.AlignedGold`), or one class id per vote row with
        ``ABSTAIN`` for rows without gold (``split`` is then ignored).
    model : fitted label model
        Anything with ``predict_proba(L)`` and ``predict(L, tie_break=...)``.
    split : {"test", "dev"} or None
        The gold split to measure on; ``None`` uses every gold row.
    tie_break : str
        The tie-break policy of both ``predict`` calls; ``"abstain"`` keeps ties visible as abstains.
    baseline : fitted MajorityVote, optional
        The majority-vote baseline, when the caller has fitted it already; fitted on ``votes`` otherwise.

    Raises
    ------
    GoldSetError
        When no vote row has a gold label (the message says which split and how many ids matched).

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> votes = VoteMatrix([[0, 0], [1, -1], [0, 1]])
    >>> ev = evaluate(votes, np.array([0, 1, 1]), MajorityVote(cardinality=2).fit(votes))
    >>> ev.model.accuracy, ev.baseline.labelled, ev.baseline.coverage, ev.split
    (0.6666666666666666, 0.6666666666666666, 1.0, 'test')
    """
    from weaksup.models import MajorityVote
    from weaksup.models.base import BaseLabelModel

    if isinstance(model, type) or not callable(getattr(model, "predict_proba", None)):
        raise ParameterError(f"evaluate(model={model!r}): pass a fitted label model (e.g. "
                             "fit_label_model(DawidSkene(cardinality=2), L)), not a class or a name")
    if isinstance(model, BaseLabelModel) and not hasattr(model, "cardinality_"):
        raise NotFittedError(f"evaluate(model={model!r}): the label model is not fitted; fit it on the votes first "
                             "(model.fit(votes), or fit_label_model(model, votes)) and pass the fitted model")
    vm = as_vote_matrix(votes)
    aligned = AlignedGold.of(gold, vm)
    space = label_space if label_space is not None else aligned.label_space or vm.label_space
    rows, y = aligned.rows(split)
    if len(rows) == 0 and aligned.source is None:
        raise GoldSetError(f"evaluate: the gold array gives no row a class id (every one of its {len(aligned.y)} "
                           f"labels is {ABSTAIN}); pass the gold class id of the rows that have one")
    if len(rows) == 0:
        raise GoldSetError(f"no row of the vote matrix has a gold label in split {split!r}: check that the gold "
                           f"set's row ids are the data's ids (votes.row_ids starts {list(vm.row_ids[:3])})")
    L = vm.values[rows]
    k = label_count(space, model, vm.values, aligned.y)
    mv = baseline if baseline is not None else MajorityVote(cardinality=k).fit(vm.values)
    covered = has_vote(L)
    results, right = [], []
    for name, fitted in ((model_name(model), model), (BASELINE, mv)):
        proba, labels = predictions_at(fitted, L, vm.row_ids[rows], tie_break)
        results.append(label_metrics(y, proba, labels, label_space=space, name=name, n_bins=n_bins, covered=covered))
        right.append(np.asarray(labels) == y)
    # The whole gold set's hash identifies its version; the split is recorded beside it.
    evaluation = Evaluation(results[0], results[1], split or "all", aligned.hash, tie_break,
                            discordant(right[0], right[1]))
    logger.info("%s (gold hash %s)", evaluation.summary(), evaluation.gold_hash or "n/a")
    return evaluation


def lf_errors(
    votes: VoteMatrix | VoteStats,
    gold: GoldSet | AlignedGold | np.ndarray,
    data: pd.DataFrame | None = None,
    *,
    split: str | None = "dev",
    text_column: str = "text",
    id_column: str | None = "auto",
    label_space: LabelSpace | Sequence[str] | None = None,
    per_lf: int | None = None,
) -> pd.DataFrame:
    """For each LF, the gold rows it got wrong: ``lf``, ``row_id``, ``vote``, ``gold`` and the row's text.

    Parameters
    ----------
    votes : VoteMatrix or VoteStats
    gold : GoldSet, AlignedGold or array of int
        As in :func:`evaluate`; ``split`` defaults to ``"dev"``, where LFs are written and tuned
        (showing test errors to LF authors would leak the test split into the LFs).
    data : DataFrame, optional
        The data rows; adds the ``text_column`` of each wrong row, found by its row id.
    id_column : str or None, default "auto"
        The column of ``data`` holding the row ids, or None for the index; ``"auto"`` reads the ``row_id`` column
        when ``data`` has one and the index otherwise (the two ways :func:`~weaksup.apply.apply_lfs` is usually
        given ids). The ids must be unique, and match the vote matrix's (as text when their types differ: ``101``
        is ``"101"``).
    per_lf : int, optional
        At most this many rows per LF (in row order).

    Examples
    --------
    >>> votes = VoteMatrix([[0, 1], [1, 1], [0, -1]], row_ids=["a", "b", "c"], lf_names=["f", "g"])
    >>> lf_errors(votes, np.array([0, 0, 1]), split=None).values.tolist()
    [['f', 'b', '1', '0'], ['f', 'c', '0', '1'], ['g', 'a', '1', '0'], ['g', 'b', '1', '0']]
    >>> data = pd.DataFrame({"text": ["one", "two", "three"]}, index=["a", "b", "c"])
    >>> lf_errors(votes, np.array([0, 0, 1]), data, split=None, per_lf=1)["text"].tolist()
    ['two', 'one']
    """
    vm = as_vote_matrix(votes)
    aligned = AlignedGold.of(gold, vm)
    rows, y = aligned.rows(split)
    space = label_space if label_space is not None else aligned.label_space or vm.label_space
    name = (lambda c: space[int(c)]) if space is not None else str
    L = vm.values[rows]
    records = []
    for j, lf in enumerate(vm.lf_names):
        wrong = np.flatnonzero((L[:, j] != ABSTAIN) & (L[:, j] != y))
        for i in wrong[:per_lf]:
            records.append({"lf": lf, "row_id": vm.row_ids[rows[i]], "vote": name(L[i, j]), "gold": name(y[i])})
    out = pd.DataFrame(records, columns=["lf", "row_id", "vote", "gold"])
    if data is not None:
        if id_column == "auto":
            id_column = "row_id" if "row_id" in data.columns else None
        out[text_column] = _texts_of(data, out["row_id"], text_column, id_column)
    return out


def _texts_of(data: pd.DataFrame, row_ids: pd.Series, text_column: str, id_column: str | None) -> np.ndarray:
    """The ``text_column`` of the ``data`` rows with these ids (see :func:`lf_errors`); NaN for an id not found."""
    fix = "pass id_column= naming the column that holds the row ids (None: the index), as given to apply_lfs"
    if id_column is not None:
        check_columns(data.columns, [id_column], where="lf_errors(data=...)", fix=f"Fix: {fix}", what="id column")
    check_columns(data.columns, [text_column], where="lf_errors(data=...)", what="text column",
                  fix="Fix: pass text_column= naming the column that holds the text")
    ids = pd.Index(data.index if id_column is None else data[id_column])
    where = "the index" if id_column is None else f"column {id_column!r}"
    if not ids.is_unique:
        repeated = ids[ids.duplicated()].unique()[:5].tolist()
        raise DataError(f"lf_errors(data=...): the row ids in {where} repeat: {repeated}; each row needs one id, as "
                        f"in the vote matrix. Deduplicate the data, or {fix}")
    at = match_ids(ids, row_ids) if len(row_ids) else np.zeros(0, dtype=np.int64)
    if len(row_ids) and not (at >= 0).any():
        hint = "; the data has a 'row_id' column: id_column='row_id'?" if id_column is None and "row_id" in data else ""
        raise DataError(f"lf_errors(data=...): none of the wrong rows' ids (e.g. {row_ids.iloc[:3].tolist()}) is "
                        f"among the data's ids in {where} (e.g. {ids[:3].tolist()}); {fix}{hint}")
    texts = data[text_column].to_numpy(dtype=object)
    return np.where(at >= 0, texts[np.maximum(at, 0)], np.nan)  # some id matched: texts has rows
