"""What an LF's votes may be: weaksup's strict rule (class ids and ABSTAIN) and Snorkel's lenient one.

:func:`weaksup.apply_lfs` and runs take a class id (an ``int``) or ``ABSTAIN`` (-1) only. Snorkel's appliers keep
any result ``y`` with ``y >= 0`` (``True``/``False`` stored as 1/0, ``1.0`` as 1) and drop the rest as abstains
(``NaN``, ``-2``, ``-1.0``): the compat appliers (:mod:`weaksup.compat.snorkel`) apply that rule inside
:func:`snorkel_vote_rule`, so that their ``L`` is Snorkel's.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import numpy as np

from weaksup.errors import LFApplyError
from weaksup.labels import ABSTAIN, LabelSpace

__all__ = ["checked_votes", "snorkel_rule_on", "snorkel_vote_rule"]

_SNORKEL_RULE: contextvars.ContextVar[bool] = contextvars.ContextVar("weaksup_snorkel_vote_rule", default=False)

_SNORKEL_HINT = ("; Snorkel's PandasLFApplier would have accepted it (it keeps any result >= 0 as an int vote and "
                 "drops the rest as abstains), weaksup does not: return int(...) of a class id, or ABSTAIN (-1)")


@contextlib.contextmanager
def snorkel_vote_rule() -> Iterator[None]:
    """Within: the :func:`~weaksup.apply_lfs` calls made (in this thread or context) judge votes as Snorkel does.

    Examples
    --------
    >>> with snorkel_vote_rule():
    ...     inside = snorkel_rule_on()
    >>> inside, snorkel_rule_on()
    (True, False)
    """
    token = _SNORKEL_RULE.set(True)
    try:
        yield
    finally:
        _SNORKEL_RULE.reset(token)


def snorkel_rule_on() -> bool:
    """Whether :func:`snorkel_vote_rule` is in force here."""
    return _SNORKEL_RULE.get()


def _snorkel_votes(name: str, source: str, votes: Any, row_ids: np.ndarray) -> np.ndarray:
    """Snorkel's rule: ``y`` kept (as an int) if ``y >= 0``, else an abstain; a ``y`` that cannot be compared
    with 0 (``None``, a string) is an error, as in Snorkel's applier (a ``TypeError`` there)."""
    try:
        arr: np.ndarray | None = np.asarray(votes)
    except ValueError:  # ragged: some results are sequences
        arr = None
    if arr is not None and arr.ndim == 1 and arr.dtype.kind in "biuf":
        with np.errstate(invalid="ignore"):
            keep = arr >= 0  # NaN compares False: an abstain
        return np.where(keep, np.where(keep, arr, 0).astype(np.int64), ABSTAIN)
    out = np.empty(len(votes), dtype=np.int64)
    for i, y in enumerate(votes):
        try:
            out[i] = int(y) if y >= 0 else ABSTAIN
        except (TypeError, ValueError, OverflowError) as exc:
            raise LFApplyError(
                f"labeling function {name!r} (defined at {source}) returned {y!r} ({type(y).__name__}) on row id "
                f"{_show(row_ids[i])!r}, which Snorkel's applier cannot compare with 0 either ({exc}); return a "
                "class id (int) or ABSTAIN (-1)"
            ) from exc
    return out


def _show(row_id: Any) -> Any:
    return row_id.item() if isinstance(row_id, np.generic) else row_id


def checked_votes(lf: Any, votes: Any, row_ids: np.ndarray, label_space: LabelSpace | None,
                  dtype: np.dtype[Any]) -> np.ndarray:
    """An LF's votes on a batch as an array of ``dtype``, or the :class:`~weaksup.errors.LFApplyError` naming the
    first bad one (under :func:`snorkel_vote_rule`: Snorkel's rule instead).

    Examples
    --------
    >>> from weaksup.lf import keyword_lf
    >>> lf, ids = keyword_lf("kw", "x", 1), np.arange(3)
    >>> checked_votes(lf, [1, -1, 0], ids, None, np.dtype(np.int64))
    array([ 1, -1,  0])
    >>> with snorkel_vote_rule():
    ...     checked_votes(lf, [True, -2, 1.0], ids, None, np.dtype(np.int64))
    array([ 1, -1,  1])
    >>> try:
    ...     checked_votes(lf, [True, -2, 1.0], ids, None, np.dtype(np.int64))
    ... except LFApplyError as e:
    ...     print(str(e).split("; ")[2][:48])
    Snorkel's PandasLFApplier would have accepted it
    """
    if _SNORKEL_RULE.get():
        votes = _snorkel_votes(lf.name, lf.source, votes, row_ids)
    try:
        arr = np.asarray(votes)
    except ValueError:  # ragged: some LF results are sequences
        arr = np.asarray(votes, dtype=object)
    if (arr.dtype.kind not in "iu" or arr.ndim != 1) and len(arr):
        bad = next((i for i, v in enumerate(votes)
                    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))), 0)
        value = votes[bad]
        lenient = isinstance(value, (bool, np.bool_, float, np.floating))
        raise LFApplyError(
            f"labeling function {lf.name!r} (defined at {lf.source}) returned {value!r} "
            f"({type(value).__name__}) on row id {_show(row_ids[bad])!r}; an LF must return a class id (int) "
            f"or ABSTAIN (-1)" + (_SNORKEL_HINT if lenient else "")
        )
    k = label_space.cardinality if label_space is not None else None
    if arr.size and (arr.min() < ABSTAIN or (k is not None and arr.max() >= k)):  # no mask unless out of range
        i = int(np.flatnonzero((arr < ABSTAIN) | ((arr >= k) if k is not None else False))[0])
        space = (f"the label space {list(label_space)} (ids 0..{label_space.cardinality - 1})" if label_space
                 else "class ids >= 0")
        raise LFApplyError(
            f"labeling function {lf.name!r} (defined at {lf.source}) returned {int(arr[i])} on row id "
            f"{_show(row_ids[i])!r}, outside {space} or ABSTAIN (-1)" + (_SNORKEL_HINT if arr[i] < ABSTAIN else "")
        )
    return arr.astype(dtype, copy=False)
