"""What an engine run wrote, counted as the streaming run counts its labels (:func:`weaksup.pipeline.stages.write_stage`):
rows per label, per review status and per ``label_source``, and the rows with conflicting votes
(:class:`LabelTallies`: from the vote patterns when the labels follow them, else from the staged part files), and the
gold test rows' written labels (:func:`watched_labels`). Together they are the report's "Written labels" section
(:meth:`LabelTallies.written`), the streaming run's section for the same labels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.engines.commit import StagedRun
from weaksup.engines.predict import PredictionTable, label_arrow
from weaksup.engines.summary import FINAL_SPLIT
from weaksup.pipeline.outputs import LABEL_SOURCES

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.engines.batch import BatchSpec
    from weaksup.engines.references import WrittenGold
    from weaksup.pipeline.stages import Written

#: The written columns counted, with what a row without a value counts as.
COUNTED = (("label", "(abstain)"), ("review_status", "(none)"), ("label_source", "(none)"))


@dataclass
class LabelTallies:
    """Rows per label (``"(abstain)"``: no label) and per review status (those with rows), per ``label_source``
    (every source, ``"(none)"``: no label, as the streaming run's ``source_counts``), and the rows with conflicting
    votes.

    Examples
    --------
    >>> tallies = LabelTallies()
    >>> tallies.add(pd.DataFrame({"label": ["ham", None], "review_status": ["auto", "needs_review"],
    ...                           "label_source": ["label_model", None], "conflict": [True, False]}), np.array([3, 2]))
    >>> tallies.labels, tallies.sources, tallies.conflicts
    ({'(abstain)': 2, 'ham': 3}, {'label_model': 3, 'end_model': 0, 'human': 0, '(none)': 2}, 3)
    """

    labels: dict[str, int] = dataclasses.field(default_factory=dict)
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)
    sources: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys([*LABEL_SOURCES, "(none)"], 0))
    conflicts: int = 0

    def tallies(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """The counts of the :data:`COUNTED` columns, in their order."""
        return self.labels, self.statuses, self.sources

    def add(self, labels: pd.DataFrame, weight: np.ndarray) -> None:
        """Count the rows of a labels table (the written columns), each standing for ``weight`` rows."""
        for tally, (column, missing) in zip(self.tallies(), COUNTED):
            for key, value in pd.Series(weight).groupby(labels[column].fillna(missing).to_numpy()).sum().items():
                tally[str(key)] = tally.get(str(key), 0) + int(value)
        self.conflicts += int((weight * labels["conflict"].fillna(False).to_numpy(dtype=bool)).sum())

    def drop_empty(self) -> LabelTallies:
        """The labels and review statuses without those of no rows (the summary's counts); the sources keep theirs."""
        self.labels = {k: v for k, v in self.labels.items() if v}
        self.statuses = {k: v for k, v in self.statuses.items() if v}
        return self

    def written(self, watched: WrittenGold | None, positions: dict[str, int], k: int) -> Written:
        """What the report stage takes of the labels written (:class:`weaksup.pipeline.stages.Written`): these
        counts, and the written labels and probabilities of the gold test rows (``watched``) at their ``positions``
        among the report's rows (``k`` classes)."""
        from weaksup.pipeline.stages import Written

        if watched is None:
            return Written(self.labels, self.statuses, self.conflicts, self.sources, np.zeros(0, dtype=np.int64),
                           np.zeros((0, k)))
        rows = np.array([positions[i] for i in watched.ids], dtype=np.int64)
        return Written(self.labels, self.statuses, self.conflicts, self.sources, watched.labels, watched.proba,
                       watched_rows=rows)


def pattern_tallies(table: PredictionTable, counts: pd.DataFrame, dev_votes: pd.DataFrame | None = None
                    ) -> LabelTallies:
    """The labels' tallies from the vote patterns weighted by their counts, with the dev gold rows (``dev_votes``:
    their id and votes) moved from their pattern's label to their human one (``reviewed``)."""
    votes = counts.drop(columns="count").assign(row_id=[str(i) for i in range(len(counts))])
    tallies = LabelTallies()
    plain = dataclasses.replace(table, reviewed={})
    tallies.add(label_arrow(plain, votes[["row_id", *table.lf_ids]]).to_pandas(), counts["count"].to_numpy())
    if dev_votes is not None and len(dev_votes):
        dev = dev_votes[[dev_votes.columns[0], *table.lf_ids]]
        tallies.add(label_arrow(plain, dev).to_pandas(), -np.ones(len(dev), dtype=np.int64))
        tallies.add(label_arrow(table, dev).to_pandas(), np.ones(len(dev), dtype=np.int64))
    return tallies.drop_empty()


def written_tallies(staged: StagedRun) -> LabelTallies:
    """The labels' tallies in the staged part files (the counted columns read a file at a time)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tallies = LabelTallies()
    for path in sorted((staged.path / "labels").glob("*.parquet")):
        table = pq.read_table(path, columns=[*(column for column, _ in COUNTED), "conflict"])
        for tally, (column, missing) in zip(tallies.tallies(), COUNTED):
            for entry in pc.value_counts(table.column(column)).to_pylist():
                key = entry["values"] if entry["values"] is not None else missing
                tally[key] = tally.get(key, 0) + int(entry["counts"])
        tallies.conflicts += int(pc.sum(table.column("conflict")).as_py() or 0)
    return tallies.drop_empty()


def watched_labels(config: RunConfig, spec: BatchSpec, gold: Any, staged: StagedRun) -> WrittenGold | None:
    """The written labels of the gold test rows (:class:`weaksup.engines.references.WrittenGold`, read once from
    the staged part files), those the streaming run watches as it writes; None without gold test rows, or for a run
    that is not a classification run (the report's written labels are a classification run's)."""
    from weaksup.engines.references import WrittenGold

    if gold is None or config.task.type != "classification" or not gold.counts().get(FINAL_SPLIT):
        return None
    return WrittenGold.read(config, spec.label_space(), gold, staged, FINAL_SPLIT)
