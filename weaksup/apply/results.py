"""What labeling functions return, read as votes: class ids and ``ABSTAIN`` (-1), checked against the label space.

weaksup's own LFs return ints. A Snorkel LF's results are read as Snorkel's ``PandasLFApplier`` reads them where
that reading is exact: ``True``/``False`` are 1/0 and a whole float (``1.0``) is its int, as Snorkel's int matrix
stores them, and ``NaN`` is no vote (Snorkel keeps only results ``>= 0``). Where Snorkel's reading is silently
wrong (a fraction such as ``1.5``, which it stores as 1; an infinity; a negative result other than -1, which it
stores as an abstain), the result is refused with an error naming the LF, the row, the value and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from weaksup.errors import LFApplyError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.lf.snorkel import SnorkelLF

__all__ = ["read_votes", "show_id"]

_INT64 = np.iinfo(np.int64)


def show_id(row_id: Any) -> Any:
    """A row id as users wrote it (``7``, not ``np.int64(7)``).

    Examples
    --------
    >>> show_id(np.int64(7)), show_id("a")
    (7, 'a')
    """
    return row_id.item() if isinstance(row_id, np.generic) else row_id


def _returned(lf: LabelingFunction, value: Any) -> str:
    return f"labeling function {lf.name!r} (defined at {lf.source}) returned {value!r}"


def _not_a_vote(lf: LabelingFunction, value: Any, row_id: Any) -> LFApplyError:
    return LFApplyError(f"{_returned(lf, value)} ({type(value).__name__}) on row id {show_id(row_id)!r}; an LF "
                        "must return a class id (int) or ABSTAIN (-1)")


def _misread(lf: LabelingFunction, value: Any, row_id: Any, snorkel: str) -> LFApplyError:
    """The error for a Snorkel LF's result that Snorkel's applier reads silently wrong (``snorkel`` says how)."""
    return LFApplyError(f"{_returned(lf, value)} on row id {show_id(row_id)!r}, which is no class id: "
                        f"Snorkel's applier would {snorkel}. Make the LF return a class id (an int, e.g. "
                        "int(round(score)) or a threshold on the score) or ABSTAIN (-1) where it has no vote")


def _snorkel_reading(lf: LabelingFunction, value: Any, row_id: Any) -> int:
    """One result of a Snorkel LF as Snorkel's applier stores it, or the error where that reading is silently wrong."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ABSTAIN
        if math.isinf(value):
            raise _misread(lf, value, row_id, "raise OverflowError on it" if value > 0 else "silently store -1")
        if not float(value).is_integer():
            raise _misread(lf, value, row_id, f"silently store {int(value) if value >= 0 else ABSTAIN}")
    if isinstance(value, (int, np.integer, float, np.floating)):
        if not _INT64.min <= value <= _INT64.max:
            raise _misread(lf, value, row_id, "overflow its int64 matrix on it")
        return int(value)
    raise _not_a_vote(lf, value, row_id)  # None, text, a list: Snorkel's applier raises TypeError on them


def _as_snorkel_reads(lf: LabelingFunction, votes: Sequence[Any], arr: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "b" and arr.ndim == 1:
        return arr.astype(np.int64)
    if arr.dtype.kind == "f" and arr.ndim == 1:
        whole = np.isnan(arr) | (np.isfinite(arr) & (arr == np.trunc(arr)) & (np.abs(arr) < 2.0 ** 62))
        if whole.all():
            return np.where(np.isnan(arr), ABSTAIN, np.nan_to_num(arr)).astype(np.int64)
    return np.array([_snorkel_reading(lf, v, row_ids[i]) for i, v in enumerate(votes)], dtype=np.int64)


def read_votes(lf: LabelingFunction, votes: Any, row_ids: np.ndarray, label_space: LabelSpace | None,
               dtype: np.dtype) -> np.ndarray:
    """An LF's results on a batch's rows as votes of ``dtype``, or the error naming the first result that is none.

    Parameters
    ----------
    lf : LabelingFunction
        The LF (a :class:`~weaksup.lf.SnorkelLF`'s results are read as Snorkel's applier reads them).
    votes : sequence
        Its results, one per row.
    row_ids : numpy.ndarray
        The rows' ids, named in errors.
    label_space : LabelSpace, optional
        Votes must be its ids (or ``ABSTAIN``); without one, any class id ``>= 0``.
    dtype : numpy.dtype
        The dtype of the votes returned.

    Examples
    --------
    >>> from snorkel.labeling import LabelingFunction
    >>> from weaksup.lf import from_snorkel
    >>> says = from_snorkel(LabelingFunction("says", lambda x: x))
    >>> read_votes(says, [True, 2.0, float("nan")], np.arange(3), None, np.dtype(np.int8)).tolist()
    [1, 2, -1]
    """
    try:
        arr = np.asarray(votes)
    except ValueError:  # ragged: some LF results are sequences
        arr = np.asarray(votes, dtype=object)
    if (arr.dtype.kind not in "iu" or arr.ndim != 1) and len(arr):
        if isinstance(lf, SnorkelLF):
            arr = _as_snorkel_reads(lf, votes, arr, row_ids)
        else:
            bad = next((i for i, v in enumerate(votes)
                        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))), 0)
            raise _not_a_vote(lf, votes[bad], row_ids[bad])
    k = label_space.cardinality if label_space is not None else None
    if arr.size and (arr.min() < ABSTAIN or (k is not None and arr.max() >= k)):  # no mask unless out of range
        i = int(np.flatnonzero((arr < ABSTAIN) | ((arr >= k) if k is not None else False))[0])
        if isinstance(lf, SnorkelLF) and arr[i] < ABSTAIN:
            raise _misread(lf, votes[i], row_ids[i], "silently store -1 (it keeps only results >= 0)")
        space = f"the label space {list(label_space)} (ids 0..{len(label_space) - 1})" if label_space else \
            "class ids >= 0"
        raise LFApplyError(f"labeling function {lf.name!r} (defined at {lf.source}) returned {int(arr[i])} on row id "
                           f"{show_id(row_ids[i])!r}, outside {space} or ABSTAIN (-1)")
    return arr.astype(dtype, copy=False)
