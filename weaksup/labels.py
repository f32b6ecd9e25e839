"""Class labels: the ``ABSTAIN`` vote, the :class:`LabelSpace` of a task, the dtype of votes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from weaksup.errors import LabelSpaceError, ParameterError, WeakSupError

__all__ = ["ABSTAIN", "LabelSpace", "check_class_ids", "smallest_vote_dtype"]

#: The vote of a labeling function that does not label a row.
ABSTAIN: int = -1


def smallest_vote_dtype(cardinality: int) -> np.dtype:
    """The smallest signed integer dtype holding ``ABSTAIN`` and ``0..cardinality-1``.

    Examples
    --------
    >>> smallest_vote_dtype(2).name, smallest_vote_dtype(300).name
    ('int8', 'int16')
    """
    for dtype in (np.int8, np.int16, np.int32):
        if cardinality - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def check_class_ids(values: Any, *, name: str, error: type[WeakSupError] = ParameterError) -> np.ndarray:
    """``values`` as an int64 array of class ids (``ABSTAIN`` for none), or an ``error`` naming ``name``, what it
    holds instead (class names, fractions, missing values) and the fix.

    Examples
    --------
    >>> check_class_ids([1, 0, -1], name="y_true").tolist()
    [1, 0, -1]
    >>> check_class_ids(["ham", "spam"], name="y_true")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: y_true holds 'ham' (str), not class ids: pass class ids (e.g. LABELS.id("ham"), or GoldSet.y(row_ids) for a gold set's), -1 for none
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64).reshape(-1)
    flat = arr.reshape(-1)
    bad = next((v for v in flat.tolist() if not (isinstance(v, (int, float)) and float(v).is_integer())), None)
    if bad is None:
        return arr.astype(np.int64).reshape(-1)
    hint = f'LABELS.id("{bad}")' if isinstance(bad, str) else "LABELS.id(name)"
    raise error(f"{name} holds {bad!r} ({type(bad).__name__}), not class ids: pass class ids (e.g. {hint}, or "
                f"GoldSet.y(row_ids) for a gold set's), {ABSTAIN} for none")


class LabelSpace(Sequence[str]):
    """The class names of a task, mapped to the ids ``0..k-1`` in order.

    Labeling functions vote with the integer ids; names are used at the edges
    (outputs, reports, review tools).

    Parameters
    ----------
    names : iterable of str
        The class names, in id order. Must be non-empty, unique, non-blank strings.

    Examples
    --------
    >>> space = LabelSpace(["ham", "spam"])
    >>> space["spam"], space.name(0), len(space)
    (1, 'ham', 2)
    >>> space.name(ABSTAIN)
    ''
    >>> LabelSpace("ham,spam")
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelSpaceError: LabelSpace takes a list of class names, not one string 'ham,spam' (it would be read character by character); pass LabelSpace(['ham', 'spam'])
    """

    def __init__(self, names: Iterable[str]) -> None:
        if isinstance(names, (str, bytes)):  # a str is an iterable of characters, never the names meant
            text = names.decode(errors="replace") if isinstance(names, bytes) else names
            parts = [p.strip() for p in text.split(",") if p.strip()] or [text]
            raise LabelSpaceError(f"LabelSpace takes a list of class names, not one string {text!r} (it would be read "
                                  f"character by character); pass LabelSpace({parts!r})")
        names = tuple(names)
        if not names:
            raise LabelSpaceError("a LabelSpace needs at least one class name; got none")
        bad = [n for n in names if not isinstance(n, str) or not n.strip()]
        if bad:
            raise LabelSpaceError(
                f"class names must be non-blank strings; got {bad!r} in {list(names)!r}"
            )
        seen: dict[str, int] = {}
        for i, n in enumerate(names):
            if n in seen:
                raise LabelSpaceError(
                    f"class name {n!r} appears twice in {list(names)!r} "
                    f"(positions {seen[n]} and {i}); class names must be unique"
                )
            seen[n] = i
        self._names = names
        self._ids = seen

    # Sequence protocol: iteration and len give the names in id order.
    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    @overload  # a str key gives the id; an int or a slice, names (as Sequence does)
    def __getitem__(self, key: str) -> int: ...

    @overload
    def __getitem__(self, key: int) -> str: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[str, ...]: ...

    def __getitem__(self, key: str | int | slice) -> int | str | tuple[str, ...]:
        """``space["spam"] -> 1``; ``space[0] -> "ham"``."""
        if isinstance(key, str):
            return self.id(key)
        return self._names[key]

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSpace) and self._names == other._names

    def __hash__(self) -> int:
        return hash(self._names)

    def __repr__(self) -> str:
        return f"LabelSpace({list(self._names)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """The class names in id order."""
        return self._names

    @property
    def cardinality(self) -> int:
        """The number of classes ``k``."""
        return len(self._names)

    def id(self, name: str) -> int:
        """The id of a class name; a :class:`LabelSpaceError` names the known ones."""
        try:
            return self._ids[name]
        except (KeyError, TypeError):
            raise LabelSpaceError(
                f"unknown label {name!r}; the label space is {list(self._names)!r}"
            ) from None

    def name(self, label_id: int) -> str:
        """The class name of an id; ``ABSTAIN`` gives the empty string."""
        if label_id == ABSTAIN:
            return ""
        if isinstance(label_id, bool) or not 0 <= int(label_id) < len(self._names):
            raise LabelSpaceError(
                f"label id {label_id!r} is outside 0..{len(self._names) - 1} "
                f"(or {ABSTAIN} for abstain) of {list(self._names)!r}"
            )
        return self._names[int(label_id)]

    def to_json(self) -> list[str]:
        """The names as a JSON-safe list."""
        return list(self._names)
