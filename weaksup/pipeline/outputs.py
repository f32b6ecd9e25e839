"""The labels output of a classification run: its columns, one chunk's table, and the writer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.review.routing import Routed, RoutingPolicy, route
from weaksup.votes import distinct_rows
from weaksup.spreadsheet import escape_formulas

if TYPE_CHECKING:
    from weaksup.models.base import BaseLabelModel

#: The fixed columns of the labels output, in order; ``prob_<class>`` columns follow ``confidence``.
LABEL_COLUMNS = ["row_id", "label", "confidence", "sources", "n_votes", "conflict", "review_status",
                 "rule_version", "label_model"]


def label_columns(label_space: LabelSpace) -> list[str]:
    """The columns of the labels output for ``label_space``, in order.

    Examples
    --------
    >>> label_columns(LabelSpace(["ham", "spam"]))[:5]
    ['row_id', 'label', 'confidence', 'prob_ham', 'prob_spam']
    """
    return [*LABEL_COLUMNS[:3], *(f"prob_{name}" for name in label_space), *LABEL_COLUMNS[3:]]


def label_table(routed: Routed, label_space: LabelSpace, rule_version: str, model_name: str) -> pa.Table:
    """The label columns after ``row_id`` as an Arrow table (one row per routed row).

    Examples
    --------
    >>> space = LabelSpace(["ham", "spam"])
    >>> routed = route(np.array([[1, -1]]), np.array([[0.2, 0.8]]), label_space=space, lf_names=["a", "b"])
    >>> label_table(routed, space, "r1", "MajorityVote").to_pylist()[0]["sources"]
    'a'
    """
    names = np.asarray([*label_space, None], dtype=object)
    label = routed.label
    n = len(label)
    arrays: dict[str, pa.Array] = {
        "label": pa.array(names[np.where(label == ABSTAIN, len(label_space), label)], type=pa.string()),
        "confidence": pa.array(routed.confidence),
    }
    for c, name in enumerate(label_space):
        arrays[f"prob_{name}"] = pa.array(routed.proba[:, c])
    arrays.update({
        "sources": pa.array(routed.sources, type=pa.string()),
        "n_votes": pa.array(routed.n_votes),
        "conflict": pa.array(routed.conflict),
        "review_status": pa.array(routed.review_status, type=pa.string()),
        "rule_version": pa.repeat(pa.scalar(rule_version, pa.string()), n),
        "label_model": pa.repeat(pa.scalar(model_name, pa.string()), n),
    })
    return pa.table(arrays)


def chunk_labels(model: BaseLabelModel, L: np.ndarray, reviewed: Mapping[int, int], *, policy: RoutingPolicy,
                 label_space: LabelSpace, lf_names: Sequence[str], rule_version: str, tie_break: str = "abstain",
                 seed: int = 0) -> pa.Table:
    """A chunk's label table, without ``row_id``: predicted by ``model``, routed by ``policy``.

    ``reviewed`` maps a row's position in the chunk to its human (dev gold) label. Label models
    score a row from its votes alone, so with ``tie_break = "abstain"`` each distinct vote pattern
    is predicted and routed once and the chunk's table is taken from those rows (a chunk of
    500,000 rows has a few hundred patterns); reviewed rows keep rows of their own. The other
    tie-breaks depend on a row's position, and run on every row. Either way the table equals the
    row-by-row one.
    """
    inverse = None
    patterns, routed_reviewed = L, dict(reviewed)
    if tie_break == "abstain":
        patterns, inverse = distinct_rows(L)
        if reviewed:
            rows = np.fromiter(reviewed, dtype=np.int64, count=len(reviewed))
            inverse = inverse.copy()
            inverse[rows] = len(patterns) + np.arange(len(rows))
            routed_reviewed = {len(patterns) + k: label for k, label in enumerate(reviewed.values())}
            patterns = np.concatenate([patterns, L[rows]])
    routed = route(patterns, model.predict_proba(patterns), policy,
                   predictions=model.predict(patterns, tie_break=tie_break), label_space=label_space,
                   lf_names=lf_names, tie_break=tie_break, seed=seed, reviewed=routed_reviewed)
    table = label_table(routed, label_space, rule_version, type(model).__name__)
    return table if inverse is None else table.take(pa.array(inverse))


class LabelWriter:
    """Writes label tables chunk by chunk to a temporary file (``tmp``) in ``fmt`` (parquet, csv, jsonl);
    the caller moves it into place once :meth:`close` returns (see :func:`weaksup._io.atomic_path`)."""

    def __init__(self, tmp: Path, fmt: str, *, escape_formulas: bool = True) -> None:
        self.tmp, self.fmt, self.escape_formulas = tmp, fmt, escape_formulas
        self._writer: Any = None
        self._fh: IO[str] | None = None

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (a chunk's labels with ``row_id``)."""
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
            self._writer.write_table(table)
        elif self.fmt == "csv":
            import pyarrow.csv as pacsv

            if self.escape_formulas:  # a CSV is opened in spreadsheets: no cell may start a formula
                table = escape_formulas(table)
            if self._writer is None:
                self._writer = pacsv.CSVWriter(str(self.tmp), table.schema)
            self._writer.write_table(table)
        else:
            if self._fh is None:
                self._fh = open(self.tmp, "w", encoding="utf-8", newline="\n")
            text = table.to_pandas().to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
            self._fh.write(text if text.endswith("\n") or not text else text + "\n")

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
