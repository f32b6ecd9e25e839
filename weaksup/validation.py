"""The checks weaksup applies to its inputs, each written once.

Every function here raises a :class:`~weaksup.errors.WeakSupError` subclass whose message
names what is at fault, where (the ``where`` argument: a function, a file, a config key)
and how to fix it. Modules call these instead of re-typing the checks, so that one fault
reads the same wherever it is found.

Examples
--------
>>> as_label_space(["ham", "spam"])
LabelSpace(['ham', 'spam'])
>>> check_votes([[0, -1], [1, 1]], 2, where="L").dtype.name
'int8'
>>> check_fraction(0.7, name="threshold")
0.7
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import (
    DataError,
    DuplicateLFError,
    LabelSpaceError,
    LFDefinitionError,
    MissingColumnError,
    ParameterError,
    VoteMatrixError,
    WeakSupError,
)
from weaksup.labels import ABSTAIN, LabelSpace, smallest_vote_dtype

__all__ = [
    "as_label_space", "check_choice", "check_columns", "check_fraction", "check_lf_labels", "check_lf_names",
    "check_number", "check_row_ids", "check_votes",
    "is_gold_set",
]

#: The fix a row-id error suggests unless the caller gives its own.
ROW_ID_FIX = ("Use weaksup.data.make_row_ids() to derive stable unique ids, or pass id_column= naming a "
              "unique column")


def _at(where: str | None) -> str:
    return f"{where}: " if where else ""


def as_label_space(value: LabelSpace | Iterable[str], *, where: str | None = None) -> LabelSpace:
    """A :class:`~weaksup.labels.LabelSpace` from a label space or a sequence of class names.

    Parameters
    ----------
    value : LabelSpace or iterable of str
        A label space (returned as is) or the class names in id order.
    where : str, optional
        What passed it (a parameter, a file), named in the error.

    Returns
    -------
    LabelSpace

    Raises
    ------
    LabelSpaceError
        For ``None``, a single string, or names a ``LabelSpace`` refuses (blank, repeated).

    Examples
    --------
    >>> space = as_label_space(("ham", "spam"))
    >>> as_label_space(space) is space
    True
    >>> as_label_space("spam", where="label_space=")
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelSpaceError: label_space=: expected a sequence of class names; got the string 'spam'
    """
    if isinstance(value, LabelSpace):
        return value
    if value is None or isinstance(value, (str, bytes)):
        got = f"the string {value!r}" if isinstance(value, (str, bytes)) else "None"
        raise LabelSpaceError(f"{_at(where)}expected a sequence of class names; got {got}")
    if not isinstance(value, Iterable):
        raise LabelSpaceError(f"{_at(where)}expected a sequence of class names; got {type(value).__name__}")
    try:
        return LabelSpace(value)
    except LabelSpaceError as exc:
        if not where:
            raise
        raise LabelSpaceError(f"{where}: {exc}") from None


def check_votes(L: Any, cardinality: int | None, *, where: str, label_space: LabelSpace | None = None,
                error: type[WeakSupError] = VoteMatrixError, whole_floats: bool = False) -> np.ndarray:
    """A vote matrix as a 2-D array of class ids in ``[-1, cardinality)``, in the smallest dtype.

    Parameters
    ----------
    L : array-like of shape (n_rows, n_lfs)
        The votes: class ids, or ``ABSTAIN`` (-1). Not a scipy sparse matrix: its implicit zeros would be votes
        for class 0, not abstentions; ``.toarray()`` densifies it knowingly.
    cardinality : int or None
        The number of classes; ``None`` checks only the lower bound.
    where : str
        What holds the votes (``"L"``, ``"votes"``, a file), named in the error.
    label_space : LabelSpace, optional
        Named in the message for out-of-range votes (its cardinality is used when ``cardinality`` is None).
    error : WeakSupError subclass
        The error to raise (``VoteMatrixError``; label models pass ``LabelModelError``).
    whole_floats : bool
        Accept a float array whose values are all whole numbers.

    Returns
    -------
    numpy.ndarray
        The votes in the smallest signed integer dtype holding ``-1..max + 1`` (no copy when already so).

    Examples
    --------
    >>> check_votes(np.array([[0, 1], [-1, 1]]), 2, where="L").tolist()
    [[0, 1], [-1, 1]]
    >>> check_votes([[0, 2]], 2, where="L")
    Traceback (most recent call last):
    ...
    weaksup.errors.VoteMatrixError: L: vote 2 at row 0, column 1 is outside the label space (ids 0..1, or -1 to abstain)
    """
    if hasattr(L, "toarray") and hasattr(L, "nnz"):  # scipy.sparse: abstain is -1, so its zeros are not "no vote"
        raise error(f"{where}: got a scipy sparse {type(L).__name__}; densify it with .toarray() if its implicit "
                    f"zeros are meant as votes for class 0 (abstain is {ABSTAIN}, not 0)")
    try:
        arr = np.asarray(L)
    except ValueError:  # rows of different lengths
        sizes = [len(row) if hasattr(row, "__len__") else 1 for row in L]
        rows = [f"row {i} has {k} vote{'s' * (k != 1)}" for i, k in enumerate(sizes) if i == 0 or k != sizes[0]]
        raise error(f"{where}: rows of different lengths: {', '.join(rows[:3])}; every row needs one vote per "
                    f"labeling function ({ABSTAIN} where it abstains)") from None
    if arr.ndim != 2:
        raise error(f"{where} must be a 2-D array (rows x labeling functions); got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not (whole_floats and np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0)):
            raise error(f"{where}: votes must be integers, i.e. integer votes (class ids, or {ABSTAIN} to "
                        f"abstain); got dtype {arr.dtype}")
    low, high = (int(arr.min()), int(arr.max())) if arr.size else (ABSTAIN, ABSTAIN)
    if low < ABSTAIN:
        r, c = np.argwhere(arr < ABSTAIN)[0]
        raise error(f"{where}: vote {arr[r, c]} at row {r}, column {c} is below {ABSTAIN} (ABSTAIN); "
                    "votes are class ids 0..k-1 or -1")
    k = cardinality if cardinality is not None else (label_space.cardinality if label_space is not None else None)
    if k is not None and high >= k:
        r, c = np.argwhere(arr >= k)[0]
        names = f" {list(label_space)!r}" if label_space is not None else ""
        raise error(f"{where}: vote {arr[r, c]} at row {r}, column {c} is outside the label space{names} "
                    f"(ids 0..{k - 1}, or {ABSTAIN} to abstain)")
    return arr.astype(smallest_vote_dtype(max(high + 1, 1)), copy=False)


def check_row_ids(ids: Any, *, where: str, fix: str | None = None) -> np.ndarray:
    """Row ids as an array, checked: none missing, none repeated.

    Arrow-backed text ids are checked in Polars (pandas' hash table holds the GIL, and is
    several times slower on millions of ids).

    Parameters
    ----------
    ids : pandas.Index, pandas.Series or array-like
        One id per row.
    where : str
        What holds them (``"row id column 'id'"``, ``"index"``), named in the error.
    fix : str, optional
        How to fix repeated ids (default: derive ids with ``make_row_ids`` or pass ``id_column=``).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    DataError
        Naming the first missing row or the first repeated ids (up to 5).

    Examples
    --------
    >>> check_row_ids(["a", "b"], where="ids").tolist()
    ['a', 'b']
    >>> check_row_ids(pd.Index(["a", "b", "a"]), where="index", fix="Deduplicate them.")
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: index: row ids must be unique; repeated: ['a']. Deduplicate them.
    """
    if not isinstance(ids, (pd.Index, pd.Series)):
        ids = pd.Index(np.asarray(ids) if not isinstance(ids, list) else ids)
    if pd.api.types.is_string_dtype(ids.dtype) and not isinstance(ids.dtype, np.dtype):
        import polars as pl
        import pyarrow as pa

        series = pl.Series(pa.array(ids, from_pandas=True))
        missing = int(series.is_null().arg_true()[0]) if series.null_count() else None
        dupes = (series.filter(series.is_duplicated()).unique(maintain_order=True).head(5).to_list()
                 if series.n_unique() != len(series) else [])
        values = series.to_numpy()
    else:
        index = pd.Index(ids)
        missing = int(np.flatnonzero(pd.isna(index))[0]) if index.hasnans else None
        dupes = [] if index.is_unique else index[index.duplicated()].unique()[:5].tolist()
        values = index.to_numpy()
    if missing is not None:
        raise DataError(f"{where}: row id is missing at row {missing}; every row needs an id")
    if dupes:
        raise DataError(f"{where}: row ids must be unique; repeated: {dupes}. {fix or ROW_ID_FIX}")
    return values


def check_columns(present: Iterable[Any], needed: Iterable[str], *, where: str, fix: str | None = None,
                  what: str = "column") -> None:
    """Every ``needed`` column is among the ``present`` ones.

    ``what`` names the role of the columns in the message (``"id column"``, ``"text column"``).

    Raises
    ------
    MissingColumnError
        Naming the missing columns, the present ones and the fix.

    Examples
    --------
    >>> check_columns(["id", "text"], ["text"], where="data")
    >>> check_columns(["id", "text"], ["title", "text"], where="data", fix="Rename the column.")
    Traceback (most recent call last):
    ...
    weaksup.errors.MissingColumnError: data: no column 'title'; its columns are ['id', 'text']. Rename the column.
    """
    columns = [str(c) for c in present]
    missing = [c for c in needed if c not in columns]
    if missing:
        named = f"{what} {missing[0]!r}" if len(missing) == 1 else f"{what}s {missing}"
        raise MissingColumnError(f"{where}: no {named}; its columns are {columns}" + (f". {fix}" if fix else ""))


def check_number(value: Any, *, name: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False, note: str = "",
                 error: type[WeakSupError] = ParameterError) -> Any:
    """A real number (or a whole number, with ``integer``) within bounds, returned as given.

    Parameters
    ----------
    value : object
        The value to check; ``bool`` is refused (it is an ``int`` to Python, never meant as a number here).
    name : str
        The parameter, named in the error.
    low, high : float, optional
        The bounds; ``low_open``/``high_open`` exclude them.
    integer : bool
        Require a whole number (``int`` or a NumPy integer).
    note : str
        Added to the description, e.g. ``"seconds; None for no budget"``.
    error : WeakSupError subclass
        The error to raise (``ParameterError`` by default).

    Examples
    --------
    >>> check_number(3, name="chunk_rows", low=1, integer=True)
    3
    >>> check_number(0, name="near_duplicate", low=0, high=1, low_open=True)
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: near_duplicate must be a number in (0, 1]; got 0
    >>> check_number(-1, name="lf_timeout", low=0, low_open=True, note="seconds; None for no budget")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: lf_timeout must be a number > 0 (seconds; None for no budget); got -1
    """
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, (bool, np.bool_)) and not (
        (low is not None and (value <= low if low_open else value < low))
        or (high is not None and (value >= high if high_open else value > high))
        or value != value)  # NaN
    if not ok:
        what = "a whole number" if integer else "a number"
        if low is not None and high is not None:
            what += f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            what += f" {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            what += f" {'<' if high_open else '<='} {high:g}"
        raise error(f"{name} must be {what}{f' ({note})' if note else ''}; got {value!r}")
    return value


def check_fraction(value: Any, *, name: str, error: type[WeakSupError] = ParameterError) -> float:
    """A number in ``[0, 1]`` (a threshold, a share), as a float.

    Raises
    ------
    ParameterError
        For anything else, naming the parameter (or ``error``, e.g. ``ReviewError``).

    Examples
    --------
    >>> check_fraction(1, name="conflict_threshold")
    1.0
    >>> check_fraction(1.5, name="threshold")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: threshold must be a number in [0, 1]; got 1.5
    """
    return float(check_number(value, name=name, low=0, high=1, error=error))


def check_choice(value: Any, choices: Iterable[Any], *, name: str, error: type[WeakSupError] = ParameterError) -> Any:
    """``value`` if it is one of ``choices``; otherwise an error listing them.

    Examples
    --------
    >>> check_choice("skip", ("keep", "skip", "error"), name="on_conflict")
    'skip'
    >>> check_choice("drop", ("keep", "skip", "error"), name="on_conflict")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: on_conflict must be one of ['keep', 'skip', 'error']; got 'drop'
    """
    options = list(choices)
    if value not in options:
        raise error(f"{name} must be one of {options}; got {value!r}")
    return value


def check_lf_names(lfs: Iterable[Any]) -> list[Any]:
    """Labeling functions with distinct names; the same object twice is kept once.

    Raises
    ------
    DuplicateLFError
        Naming where both LFs of one name are defined.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> spam = keyword_lf("spam", "buy", 1)
    >>> [lf.name for lf in check_lf_names([spam, spam])]
    ['spam']
    """
    seen: dict[str, Any] = {}
    for lf in lfs:
        earlier = seen.get(lf.name)
        if earlier is not None and earlier is not lf:
            where = (f"both made at {lf.source} (a loop or a factory giving its LFs one name? derive each name "
                     "from all the arguments, e.g. keyword_check_out and keyword_check_this)"
                     if earlier.source == lf.source else f"one defined at {earlier.source}, the other at {lf.source}")
            raise DuplicateLFError(f"two labeling functions are named {lf.name!r}: {where}; rename one of them")
        seen[lf.name] = lf
    return list(seen.values())


def check_lf_labels(lf: Any, label_space: LabelSpace | None, *, fix: str = "") -> None:
    """An LF's declared votes lie in the label space (nothing to check without one).

    Raises
    ------
    LFDefinitionError
        Naming the LF, where it is defined and the votes outside the label space.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> check_lf_labels(keyword_lf("kw", "x", 1), LabelSpace(["ham", "spam"]))
    """
    if label_space is None:
        return
    bad = [lab for lab in lf.labels if lab >= label_space.cardinality]
    if bad:
        raise LFDefinitionError(
            f"LF {lf.name!r} (defined at {lf.source}) votes {bad}, outside the label space "
            f"{list(label_space)} (ids 0..{label_space.cardinality - 1}){fix}"
        )


def is_gold_set(obj: object) -> bool:
    """Whether ``obj`` is a :class:`~weaksup.gold.GoldSet` (not an array of gold labels).

    Examples
    --------
    >>> is_gold_set([0, 1, 1])
    False
    """
    from weaksup.gold import GoldSet  # (gold imports this module)

    return isinstance(obj, GoldSet)

