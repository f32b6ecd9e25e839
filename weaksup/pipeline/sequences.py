"""Ordered items in a run: the task's unit (rows or windows) and the temporal label model's sequences.

``[task] unit`` says what one labeled item is: an input ``"row"`` or a ``"window"`` of consecutive samples (the
input is then a window table, :func:`weaksup.media.series.windows`, one row per window). A gold set says its unit
in its manifest (``"unit"``, default ``"row"``; :func:`set_gold_unit`); one in another unit than the task is
refused before any row is read, so row labels and window labels never mix. ``run.json`` records the unit.

The temporal label model (``[label_model] name = "temporal"``) needs the items of a sequence together and in
order, which the chunked run does not give: the run reads the two columns ``label_model.params.sequence_column``
and ``order_column`` of every row (only those: :mod:`weaksup.pipeline.order_columns`, which reads a text order
column as ISO 8601 times, by instant, and checks the columns before any LF runs), sorts the row positions by
(sequence, order; ties in file order), refits the chain on that order after the base model is fitted
(:func:`order_stage`), then smooths the whole vote matrix (it is in memory) once (:func:`smooth_stage`) and hands
each chunk its slice of the posteriors, so chunk boundaries never cut a sequence; the references and the report
read the same posteriors by row position (:class:`RunPosteriors`).
Without ``sequence_column`` the whole input is one sequence. Without ``order_column`` the run is refused before any
row is read (:func:`check_order`: a shuffled input would be smoothed over random neighbours), unless
``label_model.params.file_order = true`` says the rows are in order in the file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.errors import ConfigError, DataError, GoldSetError
from weaksup.media.series import UNITS
from weaksup.pipeline.order_columns import read_order

if TYPE_CHECKING:
    from weaksup.config import RunConfig
    from weaksup.models.base import BaseLabelModel
    from weaksup.pipeline.plan import RunPlan
    from weaksup.pipeline.voting import AppliedVotes

logger = logging.getLogger(__name__)

__all__ = ["RunOrder", "RunPosteriors", "check_order", "check_unit", "gold_unit", "order_stage", "run_order",
           "set_gold_unit", "smooth_stage"]


def check_unit(config: RunConfig, gold: Any = None) -> str:
    """The task's unit, checked: ``task.unit`` is ``"row"`` or ``"window"``; a window task names its window
    length (``task.window_length`` >= 1; ``window_step`` 0 means the length); the gold set is in the same unit;
    a temporal label model says where the order of the items comes from (:func:`check_order`).

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x", "unit": "window"}, "input": {"path": "w.csv", "id_column": "window_id"},
    ...        "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.csv"}}
    >>> check_unit(RunConfig.from_dict(doc))
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <dict>: task.unit = 'window' needs task.window_length (samples per window, >= 1, \
as the input's windows were made with weaksup.media.series.windows)
    """
    task = config.task
    if task.unit not in UNITS:
        raise ConfigError(f"{config.source}: task.unit = {task.unit!r}; choose 'row' (each input row is an item) or "
                          "'window' (each input row is a window made by weaksup.media.series.windows)")
    if task.unit == "window" and task.window_length < 1:
        raise ConfigError(f"{config.source}: task.unit = 'window' needs task.window_length (samples per window, >= 1, "
                          "as the input's windows were made with weaksup.media.series.windows)")
    if task.unit == "row" and (task.window_length or task.window_step):
        raise ConfigError(f"{config.source}: task.window_length/window_step are for task.unit = 'window'; set the "
                          "unit or drop them")
    if task.window_step < 0:
        raise ConfigError(f"{config.source}: task.window_step = {task.window_step}; give samples between window "
                          "starts (>= 1), or 0 for the window length")
    if gold is not None:
        unit = gold_unit(getattr(gold, "manifest", None) or {})
        if unit != task.unit:
            fix = ("label windows (ids from weaksup.media.series.windows) and mark the gold set with "
                   "weaksup.pipeline.sequences.set_gold_unit(folder, 'window')" if task.unit == "window" else
                   "use a gold set of row labels, or set task.unit = 'window' for a window table")
            raise GoldSetError(f"{config.source}: gold set {config.gold.path!r} labels {unit}s but task.unit = "
                               f"{task.unit!r}: row labels and window labels never mix; {fix}")
    check_order(config)
    return str(task.unit)


def _order_problem(params: dict[str, Any]) -> str:
    """Why a temporal model with these parameters has no order to sort a run's rows by ("" when it has one):
    no ``order_column`` and no ``file_order = true``, or both."""
    seq_col, order_col = params.get("sequence_column", ""), params.get("order_column", "")
    file_order = params.get("file_order", False) is True
    if order_col and file_order:
        return (f"label_model.params names order_column = {order_col!r} and sets file_order = true; choose one: "
                "the order column (the rows are sorted by it), or file_order = true without it (the file order)")
    if order_col or file_order:
        return ""
    within = (f"each {seq_col!r} sequence" if seq_col else "the whole input (no label_model.params.sequence_column: "
              "one sequence)")
    return ("the temporal label model smooths each item with its neighbours, but label_model.params names no "
            f"order_column: the rows of {within} would be taken in file order, and a shuffled or re-sorted input "
            "smoothed over wrong neighbours. Name the column giving each row's position in its sequence "
            "(label_model.params.order_column, e.g. \"frame\") and, when the input holds several sequences "
            "(videos, series), the column naming each row's sequence (label_model.params.sequence_column, e.g. "
            "\"video\"); or, if the rows are already in order in the file, say so with "
            "label_model.params.file_order = true")


def check_order(config: RunConfig) -> None:
    """A run config whose label model is ``"temporal"`` says where the items' order comes from: it names
    ``label_model.params.order_column``, or sets ``file_order = true`` (the rows are in order in the file).

    Raises
    ------
    ConfigError
        Naming ``label_model.params.order_column`` (and ``sequence_column``) and the fix; before any row is read.

    Examples
    --------
    >>> from weaksup.config import RunConfig
    >>> doc = {"task": {"name": "x"}, "input": {"path": "f.csv"}, "lfs": {"modules": ["m"]},
    ...        "output": {"path": "out/labels.csv"}, "label_model": {"name": "temporal", "params": {}}}
    >>> check_order(RunConfig.from_dict(doc))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: <dict>: the temporal label model smooths each item with its neighbours, but label_model.params names no order_column: ...
    >>> doc["label_model"]["params"] = {"sequence_column": "video", "order_column": "frame"}
    >>> check_order(RunConfig.from_dict(doc))
    >>> doc["label_model"]["params"] = {"file_order": True}
    >>> check_order(RunConfig.from_dict(doc))
    """
    from weaksup.models.temporal import CONFIG_NAMES

    if config.label_model.name not in CONFIG_NAMES:
        return
    problem = _order_problem(dict(config.label_model.params))
    if problem:
        raise ConfigError(f"{config.source}: {problem}")


def gold_unit(manifest: dict[str, Any]) -> str:
    """The unit a gold set's manifest declares (``"row"`` when it says none).

    Examples
    --------
    >>> gold_unit({}), gold_unit({"unit": "window"})
    ('row', 'window')
    """
    return str(manifest.get("unit", "row"))


def set_gold_unit(folder: str | Path, unit: str) -> None:
    """Record in a gold set's manifest that its labels are for ``unit`` items (``"row"`` or ``"window"``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "manifest.json").write_text('{"task": "machine_anomaly"}')
    >>> set_gold_unit(folder, "window")
    >>> gold_unit(json.loads((folder / "manifest.json").read_text()))
    'window'
    >>> set_gold_unit(folder, "frame")
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: unit 'frame': choose one of ['row', 'window']
    """
    if unit not in UNITS:
        raise GoldSetError(f"unit {unit!r}: choose one of {list(UNITS)}")
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise GoldSetError(f"{path}: missing; write the gold set first (weaksup.gold.write_gold)")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["unit"] = unit
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


class RunOrder:
    """The run's rows in (sequence, order) order: ``order`` (row positions, sorted) and ``sequences`` (the
    sequence id of each sorted row)."""

    def __init__(self, order: np.ndarray, sequences: np.ndarray) -> None:
        self.order = order
        self.sequences = sequences


def _temporal(model: Any) -> bool:
    from weaksup.models.temporal import TemporalLabelModel

    return isinstance(model, TemporalLabelModel)


def run_order(plan: RunPlan, model: BaseLabelModel, n_rows: int) -> RunOrder:
    """Read the sequence and order columns the temporal model names (all rows, those columns only) and sort.

    Numbers sort as numbers; a datetime column or a text one (ISO 8601 times, parsed) sorts by instant, times with a
    zone or an offset converted to UTC (:func:`weaksup.media.series.order_times`), so a clock change never reorders
    the rows. Rows of a sequence sharing an order value (ties) keep their file order. Without ``order_column`` the
    model must say ``file_order = true`` (the rows of each sequence in file order), else a ``ConfigError``
    (:func:`check_order`). A row without a sequence id or an order value (NaN, None, a blank cell) is a
    ``DataError`` naming the column and the first row ids: such a row has no place in any sequence; a text order
    value that is not a time is a ``ConfigError`` naming the rows (a run checks both before any LF runs:
    :func:`weaksup.pipeline.order_columns.check_run_order`).
    """
    seq_col, order_col = getattr(model, "sequence_column", ""), getattr(model, "order_column", "")
    problem = _order_problem({"sequence_column": seq_col, "order_column": order_col,
                             "file_order": getattr(model, "file_order", False)})
    if problem:  # (a run checks it before reading a row: check_order)
        raise ConfigError(f"{plan.config.source}: {problem}")
    if not seq_col and not order_col:  # file_order = true, one sequence
        return RunOrder(np.arange(n_rows), np.zeros(n_rows, dtype=np.int64))
    seq, pos = read_order(plan.config, seq_col, order_col)
    if len(seq) != n_rows:
        raise DataError(f"{plan.config.source}: read {len(seq)} rows of {[c for c in (seq_col, order_col) if c]} for "
                        f"{n_rows} voted rows; the input changed during the run: run again")
    if not order_col:
        pos = np.arange(n_rows)
    codes = np.unique(seq, return_inverse=True)[1]
    order = np.lexsort((np.arange(n_rows), pos, codes))  # sequence, then order, then input order
    return RunOrder(order.astype(np.int64), codes[order])


def order_stage(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel) -> BaseLabelModel:
    """A fitted temporal model with its chain refitted on the run's (sequence, order) order (the base model as
    fitted); any other model unchanged."""
    if not _temporal(model):
        return model
    values = applied.values
    ro = run_order(plan, model, len(values))
    y_dev = dev_sequences = None
    if plan.gold is not None and plan.has_dev_gold:
        dev, y = plan.task.gold_targets(plan.gold, "dev", plan.label_space)
        positions = np.array([applied.gold_positions[r] for r in dev], dtype=np.int64)
        rank = np.empty(len(values), dtype=np.int64)
        rank[ro.order] = np.arange(len(values))
        by = np.argsort(rank[positions], kind="stable")
        y_dev = np.asarray(y)[by]
        sorted_rank = rank[positions][by]
        dev_sequences = ro.sequences[sorted_rank]
        dev_sequences = np.cumsum(np.r_[1, (np.diff(sorted_rank) != 1) | (np.diff(dev_sequences) != 0)])
    refit: BaseLabelModel = model.fit_chain(model.base_, values[ro.order], y_dev=y_dev,  # type: ignore[attr-defined]
                                            sequences=ro.sequences, dev_sequences=dev_sequences)
    return refit


class RunPosteriors:
    """A run's temporal model with its smoothed posteriors of every row, by row position.

    What the writer, the references and the report read of a temporal model: a row's probabilities depend on
    its neighbours, so they are looked up by the row's position in the run (:meth:`proba_at`), never predicted
    from a vote row alone (see :func:`weaksup.evaluate.predictions_at`). Other attributes are the model's.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> model = MajorityVote(2).fit(np.array([[0, 0], [1, 1]]))
    >>> posteriors = RunPosteriors(model, np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]))
    >>> posteriors.name, posteriors.predict_at([2, 1, 0]).tolist(), posteriors.cardinality_
    ('MajorityVote', [1, -1, 0], 2)
    >>> [(p.shape, list(s)) for p, s in posteriors.chunks([2, 1])]
    [((2, 2), ['label_model', 'label_model']), ((1, 2), ['label_model'])]
    """

    def __init__(self, model: BaseLabelModel, proba: np.ndarray) -> None:
        self.model = model
        self.proba = proba
        self.name = type(model).__name__

    def __getattr__(self, item: str) -> Any:
        if item == "model":  # (not set yet: copy and pickle build the object without __init__)
            raise AttributeError(item)
        return getattr(self.model, item)

    def proba_at(self, positions: Any) -> np.ndarray:
        """The smoothed ``(n, k)`` probabilities of the rows at ``positions``."""
        return np.asarray(self.proba[np.asarray(positions, dtype=np.int64)])

    def predict_at(self, positions: Any, *, tie_break: str = "abstain") -> np.ndarray:
        """The class ids of the rows at ``positions`` (``-1`` on ties with ``tie_break="abstain"``)."""
        from weaksup.models.base import break_ties

        labels: np.ndarray = break_ties(self.proba_at(positions), tie_break, self.model.seed)
        return labels

    def chunks(self, sizes: list[int]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Each chunk's probabilities and ``label_source`` (``"label_model"``), for the write stage."""
        start = 0
        for size in sizes:
            yield self.proba[start:start + size], np.full(size, "label_model", dtype=object)
            start += size


def smooth_stage(plan: RunPlan, applied: AppliedVotes, model: BaseLabelModel) -> RunPosteriors | None:
    """One pass of a temporal model over every row in (sequence, order) order: its :class:`RunPosteriors`;
    None for any other model."""
    if not _temporal(model):
        return None
    values = applied.values
    ro = run_order(plan, model, len(values))
    proba = np.empty((len(values), model.cardinality_))
    proba[ro.order] = model.predict_proba(values[ro.order], sequences=ro.sequences)  # type: ignore[call-arg]
    logger.info("temporal label model: %d rows smoothed over %d sequence(s)", len(values),
                len(np.unique(ro.sequences)))
    return RunPosteriors(model, proba)
