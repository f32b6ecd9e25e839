"""The labels output of a multi-label run: one row per input row, in input order.

=================  ==========================================================================================
``row_id``         the input row's id
``labels``         the row's label set (Parquet: ``list<string>``; CSV: ``;``-joined; JSON Lines: a list);
                   null when the row is abstained (no LF voted and ``label_model.no_votes = "abstain"``)
``confidence``     the least sure of the row's per-label decisions, in [0.5, 1]: a label's decision is 0.5
                   sure at its threshold and 1 at probability 0 or 1 (:func:`decision_confidence`)
``prob_<label>``   the label model's probability that the row carries the label (one column per label)
``sources``        for each label in the set, the LFs that voted yes on it: ``"joy: kw_joy, re_yay; love: kw_love"``
``n_votes``        the LFs that voted (yes or no, on any label)
``conflict``       some label got both a yes and a no vote
``review_status``  ``needs_review`` when some label's probability sits near its threshold (within
                   ``[task] review_margin``, 0.1, of the way from the threshold to 0 below it or to 1 above it:
                   tuned thresholds of rare labels are low, so distances are on each threshold's scale), or no LF
                   voted; ``reviewed`` for the dev gold rows (their labels are the human ones); else ``auto``
``rule_version``   the LF set's version; ``label_model``: the model's class; ``label_source``: ``label_model``,
                   ``human`` (dev gold rows) or null (abstained)
=================  ==========================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup.multilabel.space import MultiLabelSpace
from weaksup.vote_patterns import distinct_rows

if TYPE_CHECKING:
    from weaksup.multilabel.models_base import MultiLabelModel

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
    uncertain = (2 * confidence_per_label - 1 < margin).any(axis=1)  # near a threshold, on the threshold's scale
    silent = n_votes == 0
    status = np.where(uncertain | silent, "needs_review", "auto").astype(object)
    abstained = silent if no_votes == "abstain" else np.zeros(len(Y), dtype=bool)
    source = np.full(len(Y), "label_model", dtype=object)
    source[abstained] = None
    for i, gold in routed_reviewed.items():
        Y[i], proba[i], status[i], source[i], abstained[i] = gold, gold.astype(np.float64), "reviewed", "human", False
        confidence_per_label[i] = 1.0
    names = [lf_id.rpartition("@")[0] or lf_id for lf_id in votes.lf_ids]
    sets = [None if skip else [space.labels[c] for c in np.flatnonzero(row)] for row, skip in zip(Y, abstained)]
    arrays: dict[str, pa.Array] = {
        "labels": pa.array(sets, type=pa.list_(pa.string())),
        "confidence": pa.array(confidence_per_label.min(axis=1) if space.k else np.ones(len(Y))),
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
