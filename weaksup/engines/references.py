"""The final labels of an engine run on the gold test rows, and the references the plain run measures beside them
(:func:`weaksup.pipeline.end_stage.class_references`): majority vote, the label model, ``supervised_on_dev`` (a
classifier trained on the dev gold rows alone) and the final labels as written, with the verdict, the coverage
split, the ECE warning and the no-LF-votes warning (:func:`weaksup.references.compare_references`), under the plain
run's names (``final/<metric>``, ``final/gain_over_supervised``, ``reference/<name>/<metric>``, ...).

The written labels of the gold rows are read once from the staged part files (by row id). The gold rows' votes are
those the engine collected (every gold row's, by id); every row's votes only as vote patterns with their counts,
which stand for their rows in the no-LF-votes warning (``vote_counts``). The gold rows' texts are read on the
driver, part by part (the id and text columns; without a text column every column, the rows' features of the
tabular end model), keeping only the gold rows; they come in input order, as in the plain run, so its folds, ties
and sums are the engine's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.engines.batch import BatchSpec, InputPart
from weaksup.engines.commit import StagedRun
from weaksup.engines.summary import final_names
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.pipeline.end_stage import ReferenceOutcome, clean_texts

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.engines.predict import PredictionTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenGold:
    """The written labels of a gold split's rows, read by row id from the staged part files: the rows' ids and
    gold class ids, the written class ids (``-1``: abstain), probabilities and whether some LF voted on the row."""

    ids: list[str]
    targets: np.ndarray
    labels: np.ndarray
    proba: np.ndarray
    covered: np.ndarray

    @classmethod
    def read(cls, config: RunConfig, space: LabelSpace, gold: Any, staged: StagedRun, split: str) -> WrittenGold:
        """The gold ``split`` rows' written labels (one read of the staged part files, filtered on the ids)."""
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        from weaksup.tasks import task_type

        ids, targets = task_type(config.task.type).gold_targets(gold, split, space)
        if not ids:
            return cls([], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(space))), np.zeros(0, bool))
        data = ds.dataset(sorted(str(p) for p in (staged.path / "labels").glob("*.parquet")), format="parquet")
        found = data.to_table(filter=pc.field("row_id").isin(list(ids))).to_pandas().set_index("row_id").loc[ids]
        proba = found[[f"prob_{c}" for c in space]].to_numpy(dtype=np.float64)
        labels = np.array([ABSTAIN if pd.isna(v) else space.id(v) for v in found["label"]], dtype=np.int64)
        return cls(list(ids), np.asarray(targets, dtype=np.int64), labels, proba, (found["n_votes"] > 0).to_numpy())

    def metrics(self, space: LabelSpace) -> dict[str, float]:
        """The written labels' metrics (:func:`weaksup.metrics.label_metrics`, finite ones), by their bare names.

        Examples
        --------
        >>> space = LabelSpace(["ham", "spam"])
        >>> written = WrittenGold(["a", "b"], np.array([0, 1]), np.array([0, -1]),
        ...                       np.array([[0.9, 0.1], [0.5, 0.5]]), np.array([True, False]))
        >>> written.metrics(space)["accuracy"]  # (an abstain counts wrong)
        0.5
        """
        from weaksup.metrics import label_metrics

        if not self.ids:
            return {}
        metrics = label_metrics(self.targets, self.proba, self.labels, label_space=space, covered=self.covered)
        return {k: float(v) for k, v in metrics.as_dict().items() if isinstance(v, (int, float)) and np.isfinite(v)}


def gold_metrics(config: RunConfig, spec: BatchSpec, gold: Any, staged: StagedRun, split: str
                 ) -> dict[str, float]:
    """The written labels' metrics on the gold ``split`` rows, joined on the row id from the staged part files."""
    space = spec.label_space()
    return WrittenGold.read(config, space, gold, staged, split).metrics(space)


def final_references(spec: BatchSpec, gold: Any, staged: StagedRun, split: str, table: PredictionTable, *,
                     parts: Sequence[InputPart], gold_votes: pd.DataFrame, counts: pd.DataFrame,
                     off_note: str | None = None, written: WrittenGold | None = None) -> ReferenceOutcome:
    """The final labels' figures on the gold ``split`` rows and, for a classification run, the references beside
    them, as the plain run has them.

    Parameters
    ----------
    spec : BatchSpec
    gold : GoldSet
        With dev and ``split`` rows (:func:`weaksup.engines.driver.final_split`).
    staged : StagedRun
        The written labels.
    split : str
        The gold split the final labels are measured on (``"test"``).
    table : PredictionTable
        The fitted label model and, with the end model on, the fitted final labeler (its ``baseline_``).
    parts : sequence of InputPart
        The input, for the gold rows' texts.
    gold_votes : DataFrame
        Every gold row's id and votes.
    counts : DataFrame
        The vote patterns (the LF columns) and their ``count``.
    off_note : str, optional
        Why the end model did not label the rows, when it did not (see
        :func:`weaksup.final.references.gold_test_references`).
    written : WrittenGold, optional
        The ``split`` rows' written labels when the caller has read them already; read here otherwise.

    Returns
    -------
    ReferenceOutcome
        ``metrics``: the final labels' ``final/<metric>`` and the references' metrics
        (:meth:`weaksup.references.References.as_metrics`, finite ones), one name per number;
        ``references``: None when they are not measured, ``note`` then says why.
    """
    config = spec.config
    space = spec.label_space()
    written = written if written is not None else WrittenGold.read(config, space, gold, staged, split)
    metrics = final_names(written.metrics(space))
    if config.task.type != "classification" or not written.ids:
        return ReferenceOutcome(None, "", metrics)
    outcome = class_references(spec, gold, written, table, parts=parts, gold_votes=gold_votes, counts=counts,
                               off_note=off_note)
    metrics.update({k: v for k, v in outcome.metrics.items() if np.isfinite(v)})  # (the plain run's numbers)
    return ReferenceOutcome(outcome.references, outcome.note, metrics)


def class_references(spec: BatchSpec, gold: Any, written: WrittenGold, table: PredictionTable, *,
                     parts: Sequence[InputPart], gold_votes: pd.DataFrame, counts: pd.DataFrame,
                     off_note: str | None = None) -> ReferenceOutcome:
    """Majority vote, the label model, supervised-on-dev and the final labels (``written``) on the gold test rows,
    as the plain run measures them (:func:`weaksup.final.references.gold_test_references`, on the gold rows' votes
    collected by id and every row's vote patterns with their counts)."""
    from weaksup.final.references import gold_test_references
    from weaksup.tasks import task_type

    config = spec.config
    space = spec.label_space()
    dev_ids, dev_targets = task_type(config.task.type).gold_targets(gold, "dev", space)
    baseline = None if table.labeler is None else table.labeler.baseline_  # else the dev texts train one
    with_dev = baseline is None or not config.input.text_column  # (the rows' columns: the leak check reads dev)
    texts = GoldTexts.read(config, spec, parts, set(written.ids) | (set(dev_ids) if with_dev else set()))
    test = np.argsort([texts.positions[i] for i in written.ids], kind="stable")  # the test rows in input order
    ids = [written.ids[i] for i in test]
    by_id = gold_votes.set_index(gold_votes[spec.id_column].astype(str))

    def read_texts(with_dev: bool) -> tuple[Any, tuple[Any, np.ndarray] | None]:
        if not with_dev:
            return texts.at(ids), None
        dev = np.argsort([texts.positions[i] for i in dev_ids], kind="stable")
        return texts.at(ids), (texts.at([dev_ids[i] for i in dev]), np.asarray(dev_targets)[dev])

    lf_ids = list(spec.lf_ids)
    references, note = gold_test_references(
        config, written.targets[test], by_id.loc[ids, lf_ids].to_numpy(dtype=np.int8),
        np.array([texts.positions[i] for i in ids], dtype=np.int64), model=table.model, labeler=table.labeler,
        final_labels=written.labels[test], final_proba=written.proba[test], label_space=space, n_dev=len(dev_ids),
        read_texts=read_texts, votes=counts[lf_ids].to_numpy(dtype=np.int8),  # every row's, as patterns
        vote_counts=counts["count"].to_numpy(dtype=np.int64), off_note=off_note)
    return ReferenceOutcome(references, note, {m: float(v) for m, v in references.as_metrics().items()})


@dataclass(frozen=True)
class GoldTexts:
    """The cleaned texts of some rows (the end model's: :func:`weaksup.pipeline.end_stage.clean_texts`) and their
    positions in the input, by row id; without a text column, their ``columns`` instead (the tabular end model's
    features, :func:`weaksup.engines.endmodel.features_present`), indexed by row id."""

    texts: dict[str, str]
    positions: dict[str, int]
    columns: pd.DataFrame | None = None

    @classmethod
    def read(cls, config: RunConfig, spec: BatchSpec, parts: Sequence[InputPart], ids: set[str]) -> GoldTexts:
        """The rows ``ids``' texts (or columns), read part by part (:func:`weaksup.engines.endmodel.read_end_part`),
        keeping only those rows."""
        from weaksup.engines.endmodel import features_present, read_end_part

        texts: dict[str, str] = {}
        positions: dict[str, int] = {}
        frames: list[pd.DataFrame] = []
        start = 0
        for part in parts:
            frame = read_end_part(spec, part)
            rows = np.flatnonzero(frame[spec.id_column].astype(str).isin(ids).to_numpy())
            if len(rows):
                chosen = frame.iloc[rows]
                chosen_ids = chosen[spec.id_column].astype(str)
                if config.input.text_column:
                    texts.update(zip(chosen_ids, clean_texts(config, chosen)))
                else:
                    frames.append(features_present(config, chosen)[0].set_axis(chosen_ids.to_numpy(), axis=0))
                positions.update(zip(chosen_ids, (int(r) + start for r in rows)))
            start += part.rows
        columns = None if config.input.text_column else (pd.concat(frames) if frames else pd.DataFrame())
        return cls(texts, positions, columns)

    def at(self, ids: Sequence[str]) -> Any:
        """The texts of ``ids`` in their order (an array), or their columns (a frame indexed from 0).

        Examples
        --------
        >>> GoldTexts({"a": "great song", "b": "check my channel"}, {"a": 0, "b": 7}).at(["b", "a"]).tolist()
        ['check my channel', 'great song']
        >>> GoldTexts({}, {"a": 0, "b": 7}, pd.DataFrame({"amount": [3, 9]}, index=["a", "b"])).at(["b"]).to_dict("list")
        {'amount': [9]}
        """
        if self.columns is not None:
            return self.columns.loc[list(ids)].reset_index(drop=True)
        return np.asarray([self.texts[i] for i in ids], dtype=object)
