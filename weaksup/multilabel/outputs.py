"""The labels output of a multi-label run: one row per input row, in input order.

=================  ==========================================================================================
``row_id``         the input row's id
``labels``         the row's label set (Parquet: ``list<string>``; CSV: ``;``-joined, the empty set (no label
                   applies) written ``[]``; JSON Lines: a list); null (CSV: an empty cell) when the row is
                   abstained (no LF voted and ``label_model.no_votes = "abstain"``); :func:`labels_from_cell`
                   reads a CSV cell back
``confidence``     the least sure of the row's per-label decisions on the labels with evidence (below), in
                   [0.5, 1]: a label's decision is 0.5 sure at its threshold and 1 at probability 0 or 1
                   (:func:`decision_confidence`, :func:`row_confidence`)
``prob_<label>``   the label model's probability that the row carries the label (one column per label)
``sources``        for each label in the set, the LFs that voted yes on it: ``"joy: kw_joy, re_yay; love: kw_love"``
``n_votes``        the LFs that voted (yes or no, on any label)
``conflict``       some label got both a yes and a no vote
``review_status``  ``needs_review`` when some label with evidence has its probability near its threshold
                   (within ``[task] review_margin``, 0.1, of the way from the threshold to 0 below it or to 1
                   above it: tuned thresholds of rare labels are low, so distances are on each threshold's
                   scale), i.e. when ``2 * confidence - 1 < review_margin``, or no LF voted, or the
                   exclusivity rule dropped a label at or above its threshold (:func:`overruled_rows`: two
                   labels of an exclusive group both reached theirs); ``reviewed`` for
                   the dev gold rows (their labels are the human ones); else ``auto``
``rule_version``   the LF set's version; ``label_model``: the model's class; ``label_source``: ``label_model``,
                   ``human`` (dev gold rows) or null (abstained)
=================  ==========================================================================================

Labels without evidence. A label whose probability the label model gives the same value whatever the votes (no LF
votes on it, or the model learned to ignore its LFs) carries nothing about any one row: it is decided by its prior
alone, the same way on every row, so it cannot be less sure on one row than on another. Such a label sets no row's
``confidence`` and sends no row to review (else a prior that sits near its tuned threshold, as rare labels' do,
would give every row the same low confidence and send every row to review); the run warns which labels they are
(:func:`evidence_note`). The rule lives in one place, :func:`labels_with_evidence` (which labels count) and
:func:`row_confidence` (the confidence over them, which the routing reads). It is a property of the fitted model,
not of the rows at hand: the model is probed on the vote patterns with no vote, one vote (each LF column saying
yes, then no) and every LF column voting yes, then no, so a chunk's routing never depends on which rows it holds.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from weaksup.errors import ParameterError
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.vote_patterns import distinct_rows

if TYPE_CHECKING:
    from weaksup.multilabel.models_base import MultiLabelModel

logger = logging.getLogger(__name__)

#: A label's probability must differ by more than this between vote patterns to count as evidence on a row.
EVIDENCE_TOLERANCE = 1e-9
#: The no-evidence warnings already given for each model (once per model and message, not once per chunk).
_WARNED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

#: The fixed columns around the ``prob_<label>`` ones (which follow ``confidence``).
FIXED_COLUMNS = ["row_id", "labels", "confidence", "sources", "n_votes", "conflict", "review_status",
                 "rule_version", "label_model", "label_source"]


def multilabel_columns(space: MultiLabelSpace) -> list[str]:
    """The columns of a multi-label labels output, in order.

    Examples
    --------
    >>> multilabel_columns(MultiLabelSpace(["joy", "anger"]))[:5]
    ['row_id', 'labels', 'confidence', 'prob_joy', 'prob_anger']
    """
    return [*FIXED_COLUMNS[:3], *(f"prob_{label}" for label in space.labels), *FIXED_COLUMNS[3:]]


def decision_confidence(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How sure each per-label decision is, in [0.5, 1]: 0.5 at the label's threshold, 1 at probability 1 (a yes)
    or 0 (a no), linear in between on each side.

    Examples
    --------
    >>> decision_confidence(np.array([[0.3, 0.65, 1.0]]), np.array([0.3, 0.5, 0.5])).round(2).tolist()
    [[0.5, 0.65, 1.0]]
    """
    P = np.asarray(proba, dtype=np.float64)
    t = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-9, 1 - 1e-9)
    above = 0.5 + 0.5 * (P - t) / (1 - t)
    below = 0.5 + 0.5 * (t - P) / t
    return np.clip(np.where(P >= t, above, below), 0.5, 1.0)


def labels_with_evidence(model: MultiLabelModel, lf_names: Sequence[str], space: MultiLabelSpace) -> np.ndarray:
    """``(k,)`` bool: the labels whose probability ``model`` makes depend on the votes (see the module docstring).

    The model is probed on the vote patterns with no vote, each LF column (``lf_names``, ``lf_id::label``) alone
    saying yes, then no, and every column saying yes, then no; a label whose probability stays within
    :data:`EVIDENCE_TOLERANCE` on all of them has no evidence: no LF votes on it, or the model ignores its votes.

    Examples
    --------
    >>> from weaksup.multilabel.models import MultiLabelMajority
    >>> from weaksup.multilabel.task import as_votes
    >>> space = MultiLabelSpace(["joy", "anger", "caring"])
    >>> names = ["kw_joy@1::joy", "kw_mad@1::anger"]
    >>> L = np.array([[1, -1], [-1, 1], [-1, -1]], dtype=np.int8)
    >>> model = MultiLabelMajority().fit(as_votes(L, names, space))
    >>> labels_with_evidence(model, names, space).tolist()
    [True, True, False]
    """
    from weaksup.multilabel.task import as_votes

    m = len(lf_names)
    probes = np.full((2 * m + 3, m), -1, dtype=np.int8)
    columns = np.arange(m)
    probes[1 + 2 * columns, columns] = 1
    probes[2 + 2 * columns, columns] = 0
    probes[-2], probes[-1] = 1, 0
    proba = np.asarray(model.predict_proba(as_votes(probes, lf_names, space)), dtype=np.float64)
    varies: np.ndarray = np.ptp(proba, axis=0) > EVIDENCE_TOLERANCE
    return varies


def row_confidence(per_label: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """``(n,)`` each row's confidence: its least sure decision (:func:`decision_confidence`) over the labels with
    ``evidence`` (``(k,)`` bool, :func:`labels_with_evidence`); 1 when no label has any (nothing differs between
    rows). A row needs review when ``2 * confidence - 1`` is under the review margin.

    Examples
    --------
    >>> per_label = np.array([[0.9, 0.51], [0.6, 0.51]])
    >>> row_confidence(per_label, np.array([True, False])).tolist()
    [0.9, 0.6]
    >>> row_confidence(per_label, np.array([False, False])).tolist()
    [1.0, 1.0]
    """
    P = np.asarray(per_label, dtype=np.float64)
    kept = P[:, np.asarray(evidence, dtype=bool)]
    out: np.ndarray = kept.min(axis=1) if kept.shape[1] else np.ones(len(P))
    return out


def evidence_note(evidence: np.ndarray, prior: np.ndarray, thresholds: np.ndarray, space: MultiLabelSpace) -> str:
    """The warning naming the labels without evidence (``~evidence``) and how their prior decides them, or ``""``.

    ``prior``: each label's probability on a row without votes (a label without evidence has it on every row).

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "caring", "pride", "neutral"], none_label="neutral")
    >>> print(evidence_note(np.array([True, False, False, False]), np.array([0.2, 0.05, 0.9, 0.0]),
    ...                     np.array([0.5, 0.051, 0.5, 0.5]), space))  # doctest: +NORMALIZE_WHITESPACE
    3 of 4 labels have no LF evidence (no LF votes on them, or the label model gives them the same probability on
    every row). Each is decided by its prior alone, so none of them sets a row's confidence or sends a row to
    review: on no row (prior below the threshold): caring; on every row (prior at or above the threshold): pride;
    the none label neutral: on where no other label is. Write LFs that vote on them to label them row by row
    """
    missing = np.flatnonzero(~np.asarray(evidence, dtype=bool)).tolist()
    if not missing:
        return ""
    on = np.asarray(prior) >= np.asarray(thresholds)
    grouped = {int(c) for group in space.exclusive_indices() for c in group}
    never = [space.labels[c] for c in missing if c != space.none_index and not on[c]]
    always = [space.labels[c] for c in missing if c != space.none_index and on[c]]
    parts = [f"on no row (prior below the threshold): {', '.join(never)}"] if never else []
    if always:
        but = " but where a label exclusive with it wins" if grouped & {space.index(x) for x in always} else ""
        parts.append(f"on every row{but} (prior at or above the threshold): {', '.join(always)}")
    if space.none_index in missing:
        parts.append(f"the none label {space.labels[space.none_index]}: on where no other label is")
    return (f"{len(missing)} of {space.k} labels have no LF evidence (no LF votes on them, or the label model gives "
            "them the same probability on every row). Each is decided by its prior alone, so none of them sets a "
            f"row's confidence or sends a row to review: {'; '.join(parts)}. Write LFs that vote on them to label "
            "them row by row")


def warn_once(model: MultiLabelModel, note: str) -> None:
    """Log ``note`` as a warning unless it was logged for ``model`` already (a run labels chunk by chunk)."""
    if not note:
        return
    try:
        seen = _WARNED.setdefault(model, set())
    except TypeError:  # (a model that cannot be weakly referenced: warn every time)
        seen = set()
    if note not in seen:
        seen.add(note)
        logger.warning("%s", note)


def overruled_rows(proba: np.ndarray, Y: np.ndarray, thresholds: np.ndarray, space: MultiLabelSpace) -> np.ndarray:
    """``(n,)`` the rows whose label set ``Y`` lacks a label of an exclusive group (``[task] exclusive``) whose
    probability is at or above its threshold: the exclusivity rule (:func:`~weaksup.multilabel.thresholds.decide`)
    dropped it for the label of its group furthest above its threshold. Such a row goes to review: the model is
    sure of two labels the row cannot carry together. (The none label is left out: it is the fallback when no
    other label is on, by design dropped beside any other label, so its probability beside another label's is no
    contradiction; an LF saying yes to it and another label is warned about when the LFs are applied.)

    Examples
    --------
    >>> space = MultiLabelSpace(["pos", "neg", "none"], exclusive=[["pos", "neg"]], none_label="none")
    >>> proba = np.array([[0.9, 0.7, 0.1], [0.9, 0.2, 0.1], [0.9, 0.1, 0.8]])
    >>> Y = np.array([[True, False, False], [True, False, False], [True, False, False]])
    >>> overruled_rows(proba, Y, np.array([0.5, 0.5, 0.5]), space).tolist()
    [True, False, False]
    """
    grouped = np.zeros(space.k, dtype=bool)
    for group in space.exclusive_indices():
        grouped[group] = True
    on = np.asarray(proba, dtype=np.float64) >= np.asarray(thresholds, dtype=np.float64)
    out: np.ndarray = (on & ~np.asarray(Y, dtype=bool))[:, grouped].any(axis=1)
    return out


def overruled_note(on: np.ndarray, space: MultiLabelSpace) -> str:
    """The warning saying why the overruled rows (:func:`overruled_rows`; ``on``: their labels at or above their
    thresholds) went to review, naming the rules they break.

    Examples
    --------
    >>> space = MultiLabelSpace(["pos", "neg", "none"], exclusive=[["pos", "neg"]], none_label="none")
    >>> overruled_note(np.array([[True, True, False]]), space)  # doctest: +ELLIPSIS
    "rows whose label model probabilities reach the thresholds of labels a row cannot carry together (two labels ..."
    """
    rules = "; ".join(rule for rule in space.broken_rules(on) if "exclusive group" in rule) or "an exclusive group"
    return (f"rows whose label model probabilities reach the thresholds of labels a row cannot carry together "
            f"({rules}) go to review (review_status needs_review): the exclusivity rule kept only one of those "
            "labels. Check the LFs voting yes on them, or take the group out of [task] exclusive")


def sources_text(values: np.ndarray, Y: np.ndarray, names: Sequence[str], space: MultiLabelSpace) -> list[str]:
    """For each row, the LFs that voted yes on each label of its set (``values``: ``(n, m, k)`` votes)."""
    out = []
    for row, chosen in zip(values, Y):
        parts = []
        for c in np.flatnonzero(chosen):
            voters = [names[int(j)] for j in np.flatnonzero(row[:, c] == 1)]
            if voters:
                parts.append(f"{space.labels[c]}: {', '.join(voters)}")
        out.append("; ".join(parts))
    return out


def chunk_table(model: MultiLabelModel, L: np.ndarray, reviewed: Mapping[int, Any], *, margin: float = 0.1,
                space: MultiLabelSpace, lf_names: Sequence[str], rule_version: str, no_votes: str = "abstain"
                ) -> pa.Table:
    """A chunk's labels table (without ``row_id``): predicted by ``model`` from the chunk's flattened
    ``(rows, columns)`` votes; a row needs review when a label's probability is within ``margin`` of its
    threshold (on the threshold's scale) or no LF voted (see the module docstring).

    Each distinct vote pattern is predicted once (a label model scores a row from its votes alone); the rows
    in ``reviewed`` (chunk position -> ``(k,)`` bool gold label set) keep their human labels.

    Examples
    --------
    >>> from weaksup.multilabel.models import MultiLabelMajority
    >>> from weaksup.multilabel.task import as_votes
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> L = np.array([[1, -1], [-1, 1], [-1, -1]], dtype=np.int8)
    >>> names = ["kw_joy@1::joy", "kw_mad@1::anger"]
    >>> model = MultiLabelMajority().fit(as_votes(L, names, space))
    >>> table = chunk_table(model, L, {}, space=space, lf_names=names, rule_version="r1")
    >>> table.column("labels").to_pylist(), table.column("sources").to_pylist()
    ([['joy'], ['anger'], None], ['joy: kw_joy', 'anger: kw_mad', ''])
    """
    from weaksup.multilabel.task import as_votes

    patterns, inverse = distinct_rows(np.asarray(L))
    routed_reviewed: dict[int, np.ndarray] = {}
    if reviewed:
        rows = np.fromiter(reviewed, dtype=np.int64, count=len(reviewed))
        inverse = inverse.copy()
        inverse[rows] = len(patterns) + np.arange(len(rows))
        routed_reviewed = {len(patterns) + i: np.asarray(y, dtype=bool) for i, y in enumerate(reviewed.values())}
        patterns = np.concatenate([patterns, np.asarray(L)[rows]])
    votes = as_votes(patterns, lf_names, space)
    proba = np.asarray(model.predict_proba(votes), dtype=np.float64)
    Y = np.asarray(model.predict(votes), dtype=bool)
    thresholds = np.asarray(model.thresholds_, dtype=np.float64)
    voted = votes.values != -1
    n_votes = voted.any(axis=2).sum(axis=1)
    yes, no = votes.counts()
    conflict = ((yes > 0) & (no > 0)).any(axis=1)
    confidence_per_label = decision_confidence(proba, thresholds)
    evidence = labels_with_evidence(model, lf_names, space)  # labels decided by their prior alone decide no routing
    if not evidence.all():
        prior = model.predict_proba(as_votes(np.full((1, len(lf_names)), -1, dtype=np.int8), lf_names, space))
        warn_once(model, evidence_note(evidence, np.asarray(prior, dtype=np.float64)[0], thresholds, space))
    silent = n_votes == 0
    confidence = row_confidence(confidence_per_label, evidence)
    uncertain = 2 * confidence - 1 < margin  # some label with evidence near its threshold, on the threshold's scale
    overruled = overruled_rows(proba, Y, thresholds, space)  # exclusivity dropped a label reaching its threshold
    overruled[list(routed_reviewed)] = False  # (dev gold rows keep their human sets)
    if overruled.any():
        warn_once(model, overruled_note(proba[overruled] >= thresholds, space))
    status = np.where(uncertain | silent | overruled, "needs_review", "auto").astype(object)
    abstained = silent if no_votes == "abstain" else np.zeros(len(Y), dtype=bool)
    source = np.full(len(Y), "label_model", dtype=object)
    source[abstained] = None
    for i, gold in routed_reviewed.items():
        Y[i], proba[i], status[i], source[i], abstained[i] = gold, gold.astype(np.float64), "reviewed", "human", False
        confidence[i] = 1.0
    names = [lf_id.rpartition("@")[0] or lf_id for lf_id in votes.lf_ids]
    sets = [None if skip else [space.labels[c] for c in np.flatnonzero(row)] for row, skip in zip(Y, abstained)]
    arrays: dict[str, pa.Array] = {
        "labels": pa.array(sets, type=pa.list_(pa.string())),
        "confidence": pa.array(confidence),
    }
    for c, label in enumerate(space.labels):
        arrays[f"prob_{label}"] = pa.array(proba[:, c])
    n = len(Y)
    arrays.update({
        "sources": pa.array(sources_text(votes.values, Y & ~abstained[:, None], names, space), type=pa.string()),
        "n_votes": pa.array(n_votes.astype(np.int64)),
        "conflict": pa.array(conflict),
        "review_status": pa.array(status, type=pa.string()),
        "rule_version": pa.repeat(pa.scalar(rule_version, pa.string()), n),
        "label_model": pa.repeat(pa.scalar(type(model).__name__, pa.string()), n),
        "label_source": pa.array(source, type=pa.string()),
    })
    return pa.table(arrays).take(pa.array(inverse))


def labels_from_cell(cell: Any, *, empty_cell: Literal["abstain", "empty set"] = "abstain", sep: str = ";"
                     ) -> list[str] | None:
    """A row's label set from a ``labels`` cell: the one reader of a multi-label labels cell (a run's labels file,
    a gold file or frame, a review queue, a workbench's gold). ``[]`` (a CSV labels file's empty set) or an empty
    list is the empty set (no label applies), else the ``sep``-joined names (CSV) or a list (Parquet, JSON Lines).

    An empty or missing cell (``""``, None, NaN: what pandas reads from an empty CSV cell) differs by file:
    ``empty_cell="abstain"`` (a run's labels file) gives None, the row is abstained; ``empty_cell="empty set"``
    (a gold file, where a blank cell is the empty set) gives ``[]``.

    Examples
    --------
    >>> labels_from_cell("joy;love"), labels_from_cell("[]"), labels_from_cell(""), labels_from_cell(float("nan"))
    (['joy', 'love'], [], None, None)
    >>> labels_from_cell(np.array(["joy"], dtype=object)), labels_from_cell(None)
    (['joy'], None)
    >>> labels_from_cell("", empty_cell="empty set"), labels_from_cell(" joy | love", sep="|")
    ([], ['joy', 'love'])
    """
    from weaksup.pipeline.outputs import EMPTY_LIST_CELL

    if empty_cell not in ("abstain", "empty set"):
        raise ParameterError(f"labels_from_cell(empty_cell={empty_cell!r}): use 'abstain' (a run's labels file) or "
                             "'empty set' (a gold file)")
    empty: list[str] | None = None if empty_cell == "abstain" else []
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return empty
    if not isinstance(cell, str):
        return [str(x) for x in cell]
    text = cell.strip()
    if not text:
        return empty
    return [] if text == EMPTY_LIST_CELL else [x.strip() for x in text.split(sep) if x.strip()]


def count_labels(table: pa.Table, space: MultiLabelSpace) -> dict[str, int]:
    """Rows carrying each label in a labels table, rows with an empty set (``"(none)"``) and abstained rows.

    Examples
    --------
    >>> t = pa.table({"labels": pa.array([["a", "b"], [], None, ["b"]], type=pa.list_(pa.string()))})
    >>> count_labels(t, MultiLabelSpace(["a", "b"]))
    {'a': 1, 'b': 2, '(none)': 1, '(abstain)': 1}
    """
    import pyarrow.compute as pc

    column = table.column("labels")
    counts = dict.fromkeys([*space.labels, "(none)", "(abstain)"], 0)
    for entry in pc.value_counts(pc.list_flatten(column)).to_pylist():
        counts[entry["values"]] += entry["counts"]
    sizes = pc.list_value_length(column)
    counts["(abstain)"] = int(column.null_count)
    counts["(none)"] = int(pc.sum(pc.equal(sizes, 0)).as_py() or 0)
    return counts


def sets_at(table: pa.Table, rows: np.ndarray, space: MultiLabelSpace) -> tuple[np.ndarray, np.ndarray]:
    """The ``(len(rows), k)`` bool label sets (abstained: empty) and probabilities a labels table holds at ``rows``."""
    taken = table.take(pa.array(rows))
    Y = space.encode([names or [] for names in taken.column("labels").to_pylist()])
    proba = np.column_stack([taken.column(f"prob_{label}").to_numpy() for label in space.labels])
    return Y, proba
