"""The label space of a multi-label task: the labels, groups of mutually exclusive labels and a "none" label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from weaksup.errors import LabelSpaceError


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise LabelSpaceError(f"{what} must be a list of label names; got {value!r}")
    names = tuple(value)
    bad = [x for x in names if not isinstance(x, str) or not x.strip()]
    if bad:
        raise LabelSpaceError(f"{what}: every label must be a non-empty string; got {bad[0]!r}")
    joined = [x for x in names if ";" in x]
    if joined:  # CSV outputs and gold files join a row's labels with ';'
        raise LabelSpaceError(f"{what}: label {joined[0]!r} contains ';', which joins a row's labels in CSV outputs "
                              "and gold files (it would read back as two labels); rename it, e.g. with '/' or '_'")
    return names


@dataclass(frozen=True)
class MultiLabelSpace:
    """The labels a row may carry (several at once), in a fixed order.

    Parameters
    ----------
    labels : sequence of str
        The label names; their order is the column order of votes, gold and probabilities.
    exclusive : sequence of sequences of str, default ()
        Groups of labels of which a row carries at most one (e.g. ``[["positive", "negative"]]``).
    none_label : str, optional
        A label of ``labels`` meaning "none of the others" (GoEmotions' ``neutral``): it is exclusive
        with every other label and is predicted when no other label is.

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "anger", "neutral"], exclusive=[["joy", "anger"]], none_label="neutral")
    >>> space.k, space.index("anger"), space.exclusive
    (3, 1, (('joy', 'anger'),))
    >>> MultiLabelSpace(["joy", "joy"])
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelSpaceError: labels must be unique; repeated: ['joy'] (name each label once in [task] labels)
    """

    labels: tuple[str, ...]
    exclusive: tuple[tuple[str, ...], ...] = ()
    none_label: str | None = None
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __init__(self, labels: Sequence[str], *, exclusive: Sequence[Sequence[str]] = (),
                 none_label: str | None = None) -> None:
        names = _names(labels, "labels")
        if not names:
            raise LabelSpaceError("a multi-label space needs at least one label (set [task] labels)")
        dupes = sorted({x for x in names if names.count(x) > 1})
        if dupes:
            raise LabelSpaceError(f"labels must be unique; repeated: {dupes} (name each label once in [task] labels)")
        if isinstance(exclusive, str) or not isinstance(exclusive, Sequence):
            raise LabelSpaceError(f"exclusive must be a list of label groups (lists of names); got {exclusive!r}")
        groups = []
        for g, group in enumerate(exclusive):
            members = _names(group, f"exclusive group {g}")
            unknown = [x for x in members if x not in names]
            if unknown:
                raise LabelSpaceError(f"exclusive group {g} names {unknown}, not labels of the space {list(names)}")
            if len(set(members)) < 2:
                raise LabelSpaceError(f"exclusive group {g} {list(members)} needs at least two different labels")
            groups.append(members)
        if none_label is not None and none_label not in names:
            raise LabelSpaceError(f"none_label {none_label!r} is not one of the labels {list(names)}; "
                                  "add it to [task] labels or leave none_label unset")
        object.__setattr__(self, "labels", names)
        object.__setattr__(self, "exclusive", tuple(groups))
        object.__setattr__(self, "none_label", none_label)
        object.__setattr__(self, "_index", {x: i for i, x in enumerate(names)})

    @property
    def k(self) -> int:
        """The number of labels."""
        return len(self.labels)

    def index(self, label: str) -> int:
        """The column of ``label``; a :class:`~weaksup.errors.LabelSpaceError` names an unknown one.

        Examples
        --------
        >>> MultiLabelSpace(["a", "b"]).index("b")
        1
        """
        try:
            return self._index[label]
        except (KeyError, TypeError):
            raise LabelSpaceError(f"unknown label {label!r}; the labels are {list(self.labels)}") from None

    @property
    def none_index(self) -> int | None:
        """The column of the none label, or None."""
        return None if self.none_label is None else self._index[self.none_label]

    def exclusive_indices(self) -> list[np.ndarray]:
        """Column indices of each exclusive group (the none label's implied group is not listed).

        Examples
        --------
        >>> MultiLabelSpace(["a", "b", "c"], exclusive=[["c", "a"]]).exclusive_indices()[0].tolist()
        [2, 0]
        """
        return [np.array([self._index[x] for x in group], dtype=np.int64) for group in self.exclusive]

    def broken_rules(self, Y: np.ndarray) -> dict[str, np.ndarray]:
        """The rows of an ``(n, k)`` bool label matrix that break a rule of the space, per rule some row breaks.

        The rules: the none label goes with no other label, and a row carries at most one label of each
        exclusive group. The label model's sets keep them (:func:`~weaksup.multilabel.thresholds.decide`); a
        gold set may not (GoEmotions' raters gave 355 comments ``neutral`` beside another emotion).

        Examples
        --------
        >>> space = MultiLabelSpace(["pos", "neg", "none"], exclusive=[["pos", "neg"]], none_label="none")
        >>> Y = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1]], dtype=bool)
        >>> {rule: rows.tolist() for rule, rows in space.broken_rules(Y).items()}
        {"the none label 'none' with another label": [True, False, False], "two labels of the exclusive group ['pos', 'neg']": [False, True, False]}
        """
        arr = np.asarray(Y, dtype=bool)
        if arr.ndim != 2 or arr.shape[1] != self.k:
            raise LabelSpaceError(f"expected an (n, {self.k}) label matrix; got shape {arr.shape}")
        out: dict[str, np.ndarray] = {}
        none = self.none_index
        if none is not None:
            rows = arr[:, none] & np.delete(arr, none, axis=1).any(axis=1)
            if rows.any():
                out[f"the none label {self.none_label!r} with another label"] = rows
        for group, cols in zip(self.exclusive, self.exclusive_indices()):
            rows = arr[:, cols].sum(axis=1) > 1
            if rows.any():
                out[f"two labels of the exclusive group {list(group)}"] = rows
        return out

    def to_json(self) -> dict[str, Any]:
        """The space as JSON-safe data (:meth:`from_json` reads it back).

        Examples
        --------
        >>> space = MultiLabelSpace(["a", "b"], none_label="b")
        >>> MultiLabelSpace.from_json(space.to_json()) == space
        True
        """
        return {"labels": list(self.labels), "exclusive": [list(g) for g in self.exclusive],
                "none_label": self.none_label}

    @classmethod
    def from_json(cls, doc: Any) -> MultiLabelSpace:
        """Rebuild a space from :meth:`to_json` output."""
        if not isinstance(doc, dict) or "labels" not in doc:
            raise LabelSpaceError(f"not a multi-label space description (a dict with 'labels'): {doc!r}")
        return cls(doc["labels"], exclusive=doc.get("exclusive") or (), none_label=doc.get("none_label"))

    def encode(self, label_sets: Sequence[Sequence[str]], *, where: str = "labels") -> np.ndarray:
        """``(n, k)`` bool gold matrix of label sets (an empty set is all False).

        Examples
        --------
        >>> MultiLabelSpace(["a", "b"]).encode([["b"], [], ["a", "b"]]).astype(int).tolist()
        [[0, 1], [0, 0], [1, 1]]
        """
        Y = np.zeros((len(label_sets), self.k), dtype=bool)
        for i, labels in enumerate(label_sets):
            for label in labels:
                if label not in self._index:
                    raise LabelSpaceError(f"{where}: row {i} has label {label!r}, not one of {list(self.labels)}")
                Y[i, self._index[label]] = True
        return Y

    def decode(self, Y: np.ndarray) -> list[list[str]]:
        """The label names of each row of an ``(n, k)`` bool matrix.

        Examples
        --------
        >>> MultiLabelSpace(["a", "b"]).decode(np.array([[True, True], [False, False]]))
        [['a', 'b'], []]
        """
        arr = np.asarray(Y, dtype=bool)
        if arr.ndim != 2 or arr.shape[1] != self.k:
            raise LabelSpaceError(f"expected an (n, {self.k}) label matrix; got shape {arr.shape}")
        return [[self.labels[j] for j in np.flatnonzero(row)] for row in arr]


def broken_rules_note(space: MultiLabelSpace, row_ids: Sequence[Any], Y: np.ndarray, *, what: str,
                      splits: Sequence[str] | None = None, examples: int = 3, listed: str = "") -> str:
    """A warning naming the gold rows of ``Y`` that break the space's rules (:meth:`MultiLabelSpace.broken_rules`):
    how many per rule (per split when ``splits`` is given), a few row ids with their labels, what it costs and the
    fix (``listed``: where to find them all); ``""`` when no row breaks one.

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "anger", "neutral"], none_label="neutral")
    >>> Y = np.array([[1, 0, 1], [0, 1, 0]], dtype=bool)
    >>> print(broken_rules_note(space, ["r1", "r2"], Y, what="gold set demo", splits=["dev", "test"]))
    ... # doctest: +ELLIPSIS
    gold set demo: 1 of 2 gold rows breaks the label space's rules: 1 carries the none label 'neutral' with another label (1 dev; e.g. r1 [joy;neutral]). They are kept and scored as labelled, ... leave none_label unset ...
    >>> broken_rules_note(space, ["r2"], Y[1:], what="gold set demo")
    ''
    """
    broken = space.broken_rules(Y)
    if not broken:
        return ""
    arr = np.asarray(Y, dtype=bool)
    parts = []
    for rule, rows in broken.items():
        at = [int(i) for i in np.flatnonzero(rows)]
        per_split = ""
        if splits is not None:
            counts: dict[str, int] = {}
            for i in at:
                counts[str(splits[i])] = counts.get(str(splits[i]), 0) + 1
            per_split = ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())) + "; "
        shown = ", ".join(f"{row_ids[i]} [{';'.join(space.decode(arr[[i]])[0])}]" for i in at[:examples])
        parts.append(f"{len(at):,} {'carries' if len(at) == 1 else 'carry'} {rule} ({per_split}e.g. {shown})")
    n = int(np.logical_or.reduce(list(broken.values())).sum())
    fixes = []
    if any(rule.startswith("the none label") for rule in broken):
        fixes.append(f"leave none_label unset ([task] none_label, MultiLabelSpace(none_label=): {space.none_label!r} "
                     "becomes a label like the others, decided by its own threshold)")
    if any(rule.startswith("two labels") for rule in broken):
        fixes.append("take the group out of exclusive ([task] exclusive, MultiLabelSpace(exclusive=))")
    return (f"{what}: {n:,} of {len(arr):,} gold rows {'breaks' if n == 1 else 'break'} the label space's rules: "
            + "; ".join(parts) + ". "
            "They are kept and scored as labelled, but the label model never predicts such a set (the none label "
            "only when no other label is on, at most one label of an exclusive group), so each of them costs "
            "recall or exact-set accuracy. If these labels do go together, " + " and ".join(fixes) + "; else "
            "correct the rows" + (f" ({listed})" if listed else ""))
