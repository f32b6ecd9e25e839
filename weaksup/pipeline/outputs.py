"""The labels output of a classification run: its columns, one chunk's table, and the writer."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.review.routing import REASONS, Routed, RoutingPolicy, route
from weaksup.vote_patterns import distinct_rows
from weaksup.votes import has_vote
from weaksup.spreadsheet import escape_formulas

if TYPE_CHECKING:
    from weaksup.models.base import BaseLabelModel

#: The fixed columns of the labels output, in order; ``prob_<class>`` columns follow ``confidence``.
#: ``label_source`` says where a row's label came from: ``label_model``, ``end_model`` or ``human`` (dev gold
#: rows), null when the row is abstained.
LABEL_COLUMNS = ["row_id", "label", "confidence", "sources", "n_votes", "conflict", "review_status",
                 "rule_version", "label_model", "label_source"]
#: The values of ``label_source`` (null: no label).
LABEL_SOURCES = ("label_model", "end_model", "human")


def label_columns(label_space: LabelSpace) -> list[str]:
    """The columns of the labels output for ``label_space``, in order.

    Examples
    --------
    >>> label_columns(LabelSpace(["ham", "spam"]))[:5]
    ['row_id', 'label', 'confidence', 'prob_ham', 'prob_spam']
    """
    return [*LABEL_COLUMNS[:3], *(f"prob_{name}" for name in label_space), *LABEL_COLUMNS[3:]]


def label_table(routed: Routed, label_space: LabelSpace, rule_version: str, model_name: str,
                label_source: np.ndarray | None = None) -> pa.Table:
    """The label columns after ``row_id`` as an Arrow table (one row per routed row).

    Examples
    --------
    >>> space = LabelSpace(["ham", "spam"])
    >>> routed = route(np.array([[1, -1]]), np.array([[0.2, 0.8]]), label_space=space, lf_names=["a", "b"])
    >>> row = label_table(routed, space, "r1", "MajorityVote").to_pylist()[0]
    >>> row["sources"], row["label_source"]
    ('a', 'label_model')
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
        "label_source": pa.array(sources_of(routed, label_source), type=pa.string()),
    })
    return pa.table(arrays)


def sources_of(routed: Routed, label_source: np.ndarray | None = None) -> np.ndarray:
    """Each routed row's ``label_source``: ``"human"`` for reviewed rows, None for abstained ones, else
    ``label_source`` (default ``"label_model"``)."""
    source = np.full(len(routed.label), "label_model", dtype=object) if label_source is None \
        else np.array(label_source, dtype=object)
    source[routed.label == ABSTAIN] = None
    source[routed.review_status == "reviewed"] = "human"
    return source


def chunk_labels(model: BaseLabelModel, L: np.ndarray, reviewed: Mapping[int, int], *, policy: RoutingPolicy,
                 label_space: LabelSpace, lf_names: Sequence[str], rule_version: str, tie_break: str = "abstain",
                 seed: int = 0, no_votes: str = "predict") -> pa.Table:
    """A chunk's label table, without ``row_id``: predicted by ``model``, routed by ``policy``.

    With ``no_votes="abstain"`` the rows no LF voted on are not labeled (uniform probabilities, routed
    to review) instead of being guessed from the model's prior.

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
    proba = model.predict_proba(patterns)
    predictions = model.predict(patterns, tie_break=tie_break)
    if no_votes == "abstain":
        silent = ~has_vote(patterns)
        proba = np.where(silent[:, None], 1.0 / len(label_space), proba)
        predictions = np.where(silent, ABSTAIN, predictions)
    routed = route(patterns, proba, policy, predictions=predictions, label_space=label_space,
                   lf_names=lf_names, tie_break=tie_break, seed=seed, reviewed=routed_reviewed)
    table = label_table(routed, label_space, rule_version, type(model).__name__)
    return table if inverse is None else table.take(pa.array(inverse))


def final_chunk_labels(L: np.ndarray, proba: np.ndarray, label_source: np.ndarray, reviewed: Mapping[int, int], *,
                       policy: RoutingPolicy, label_space: LabelSpace, lf_names: Sequence[str], rule_version: str,
                       model_name: str, tie_break: str = "abstain", seed: int = 0) -> pa.Table:
    """A chunk's label table, without ``row_id``, from the final (end-stage) probabilities.

    Routed by ``policy`` on those probabilities; a row no LF voted on that the end model labeled
    (``label_source == "end_model"``) needs review only for low confidence, not for its lack of votes.

    Examples
    --------
    >>> space = LabelSpace(["ham", "spam"])
    >>> table = final_chunk_labels(np.array([[1], [-1]]), np.array([[0.1, 0.9], [0.95, 0.05]]),
    ...                            np.array(["label_model", "end_model"]), {}, policy=RoutingPolicy(),
    ...                            label_space=space, lf_names=["a"], rule_version="r1", model_name="MV")
    >>> table.select(["label", "review_status", "label_source"]).to_pylist()[1]
    {'label': 'ham', 'review_status': 'auto', 'label_source': 'end_model'}
    """
    from weaksup.models.base import break_ties

    predictions = break_ties(np.asarray(proba, dtype=np.float64), tie_break, seed)
    # a row nobody labeled (no vote, no text for the end model) abstains whatever the tie-break: its uniform
    # probabilities are no tie between classes to break
    predictions[np.asarray(label_source, dtype=object) == np.array(None)] = ABSTAIN
    routed = route(L, proba, policy, predictions=predictions, label_space=label_space, lf_names=lf_names,
                   tie_break=tie_break, seed=seed, reviewed=reviewed)
    by_end = (np.asarray(label_source) == "end_model") & (routed.n_votes == 0) & (routed.review_status != "reviewed")
    if by_end.any():
        reasons = routed.reasons.copy()
        reasons[by_end, REASONS.index("no_votes")] = False  # no_votes: the end model labeled the row from its text
        status = np.where(reasons.any(axis=1), "needs_review", "auto").astype(object)
        status[routed.review_status == "reviewed"] = "reviewed"
        routed = dataclasses.replace(routed, reasons=reasons, review_status=status)
    return label_table(routed, label_space, rule_version, model_name, label_source)


#: A CSV cell holding an empty list (a multi-label row's empty label set: no label applies). A null list (an
#: abstained row) is an empty cell, so the two stay apart when the file is read back, e.g. by pandas' defaults.
EMPTY_LIST_CELL = "[]"


def joined_lists(table: pa.Table, sep: str = ";") -> pa.Table:
    """``table`` with each list column as text, its items joined by ``sep``; an empty list is
    :data:`EMPTY_LIST_CELL` (``[]``), a null list stays null (an empty CSV cell).

    Examples
    --------
    >>> t = pa.table({"labels": pa.array([["a", "b"], [], None], type=pa.list_(pa.string()))})
    >>> joined_lists(t).column("labels").to_pylist()
    ['a;b', '[]', None]
    """
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            column = table.column(i).cast(pa.list_(pa.string()))
            empty = pc.equal(pc.list_value_length(column), 0)
            joined = pc.if_else(empty, pa.scalar(EMPTY_LIST_CELL), pc.binary_join(column, sep))
            table = table.set_column(i, field.name, joined)
    return table


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

            table = joined_lists(table)  # (a multi-label run's labels: CSV cells hold text)
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
