"""Cleaning text on a copy of the rows: normalise, mask, and find exact and near duplicates."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from weaksup.errors import DataError

logger = logging.getLogger(__name__)


#: The version of the cleaning rules, part of what identifies saved votes: a change to what cleaning does to a
#: text recomputes them. 2: NFKC composes (pyarrow 25's ``utf8_normalize`` left "é" decomposed, so an accented
#: keyword missed).
CLEANING_VERSION = 2

#: What cleaning can change besides trimming: a character outside printable ASCII, or a double space (printable
#: ASCII is already NFKC). Texts without one only have their spaces trimmed.
_NEEDS_WORK = r"[^\x20-\x7e]|  "

#: Masks applied by :func:`prepare` (``mask=``): an RE2 pattern and its replacement token.
MASKS = {
    "url": (r"(?i)\b(?:https?://|www\.)[^\s<>\"']+", "<URL>"),
    "email": (r"(?i)\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "<EMAIL>"),
    "number": (r"\b\d[\d,.]*\b", "<NUM>"),
}


@dataclass(frozen=True)
class PrepReport:
    """What :func:`prepare` found: counts for the run summary, ids for the audit."""

    rows: int
    missing_text: int
    exact_duplicates: int
    near_duplicates: int
    #: Rows whose text cleaning changed (normalised, masked, or blank made missing): what the LFs see differs
    #: from the file. Rows without text in the file are not counted.
    text_changed: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for ``run.json`` and MLflow)."""
        return asdict(self)


def _normalise(arr: pa.Array) -> pa.Array:
    """NFKC, zero-width characters and byte-order marks dropped, whitespace runs to one space, trimmed.

    Only rows with a character outside printable ASCII or a double space can change before the trim
    (printable ASCII is already NFKC), so the costly steps run on those rows alone.
    """
    import polars as pl

    import numpy as np

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    mask = pl.Series(arr).str.contains(_NEEDS_WORK).fill_null(False).to_numpy()
    if mask.any():
        rows = pl.Series(arr.filter(pa.array(mask))).str.normalize("NFKC")
        rows = rows.str.replace_all(r"[\x{200b}-\x{200d}\x{2060}\x{feff}]", "")
        # runs of ASCII whitespace (RE2's \s: tab, newline, form feed, return, space) to one space
        rows = rows.str.replace_all(r"[\t\n\f\r ]{2,}|[\t\n\f\r]", " ")
        # put the cleaned rows back: a take over [arr, cleaned] (much faster than replace_with_mask on strings)
        index = np.arange(len(arr), dtype=np.int64)
        index[mask] = len(arr) + np.arange(int(mask.sum()), dtype=np.int64)
        arr = pa.concat_arrays([arr, rows.to_arrow().cast(arr.type)]).take(pa.array(index))
    return pc.utf8_trim_whitespace(arr)


def clean_texts(texts: Iterable[Any]) -> list[str | None]:
    """The texts as :func:`prepare` (``normalize=True``) normalises them: the one cleaning rule, for code that must
    recognise a cleaned text from its raw form (the embedding cache's key, an example's own row).

    NFKC, zero-width characters and byte-order marks dropped, ASCII whitespace runs to one space, trimmed; a
    missing text (None) stays None. Blank texts are not made missing and nothing is masked (both are
    :func:`prepare`'s steps after this one).

    Examples
    --------
    >>> clean_texts(["\\ufeffBuy  now\\u200b", "\\ufb01ne", None])
    ['Buy now', 'fine', None]
    """
    import re

    values = list(texts)
    needs = re.compile(_NEEDS_WORK)
    out = [None if t is None else t.strip(" ") for t in values]  # printable ASCII: trimming is all that applies
    work = [i for i, t in enumerate(values) if t is not None and needs.search(t)]
    if work:  # the others through the rule itself (one Arrow call: a text at a time would cost ~0.5 ms each)
        for i, text in zip(work, _normalise(pa.array([values[i] for i in work], type=pa.large_string())).to_pylist()):
            out[i] = text
    return out


def duplicate_keys(texts: pa.Array, *, near: bool = True) -> tuple[Any, Any]:
    """64-bit hashes of each text (exact duplicates) and, with ``near``, of its lower-cased letters and
    digits only (near duplicates: copies differing in case, punctuation, spacing or emoji).

    Missing texts hash to 0; without ``near`` the second array is all 0. The hashes are stable for a
    given Polars version.

    Examples
    --------
    >>> exact, near = duplicate_keys(pa.array(["Hi there!", "hi  THERE", None]))
    >>> bool(exact[0] == exact[1]), bool(near[0] == near[1]), int(exact[2])
    (False, True, 0)
    """
    import numpy as np
    import polars as pl

    series = pl.Series(texts).cast(pl.String)
    missing = series.is_null().to_numpy()
    exact = series.hash(seed=0).to_numpy().copy()
    exact[missing] = 0
    if near:
        loose = series.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", "")
        near_keys = loose.hash(seed=0).to_numpy().copy()
        near_keys[missing] = 0
    else:
        near_keys = np.zeros(len(series), dtype=np.uint64)
    return exact, near_keys


def prepare(
    frame: pd.DataFrame,
    *,
    text: str = "text",
    id_column: str = "row_id",
    normalize: bool = True,
    lowercase_into: str | None = None,
    mask: Iterable[str] = (),
    duplicates: bool = True,
) -> tuple[pd.DataFrame, PrepReport]:
    """Clean a text column, on a copy: the caller's frame (and the raw file) are never modified.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, with a unique ``id_column``.
    text : str, default "text"
        The column to clean (strings; a category of strings is decoded); rows where it is missing,
        empty or only whitespace are kept with the text None (LFs abstain, the row goes to review).
    normalize : bool, default True
        Unicode NFKC, zero-width characters and byte-order marks removed, whitespace runs
        to one space, trimmed.
    lowercase_into : str, optional
        Also write a lower-cased copy of the cleaned text into this new column.
    mask : iterable of {"url", "email", "number"}
        Replace these by ``<URL>``, ``<EMAIL>``, ``<NUM>`` (e.g. for data leaving the
        machine); duplicates are found before masking.
    duplicates : bool, default True
        Add ``duplicate_of``: the id of the first row with the same cleaned text (empty when
        none), and ``near_duplicate_of``: the same after lower-casing and dropping everything
        but letters and digits (catches copies that differ in case, punctuation, spacing or
        emoji).

    Returns
    -------
    (pandas.DataFrame, PrepReport)

    Examples
    --------
    >>> df = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["Check  it out!", "check it out", None]})
    >>> clean, report = prepare(df)
    >>> clean["text"].tolist()[:2], clean["text"].isna().tolist(), clean["near_duplicate_of"].tolist()
    (['Check it out!', 'check it out'], [False, False, True], ['', 'a', ''])
    >>> report.missing_text, report.near_duplicates, report.text_changed
    (1, 1, 1)
    """
    if text not in frame.columns:
        raise DataError(f"text column {text!r} is not in the data; its columns are {list(map(str, frame.columns))}")
    if id_column not in frame.columns:
        raise DataError(f"id column {id_column!r} is not in the data; its columns are {list(map(str, frame.columns))}")
    unknown = set(mask) - set(MASKS)
    if unknown:
        raise DataError(f"unknown mask(s) {sorted(unknown)}; choose from {sorted(MASKS)}")
    out = frame.copy()
    arr = pa.array(out[text], from_pandas=True)
    if pa.types.is_dictionary(arr.type):  # a pandas category of strings
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type)):
        raise DataError(f"column {text!r} must hold text; it holds {arr.type}")
    arr = arr.cast(pa.large_string())
    raw = arr
    if normalize:
        arr = _normalise(arr)
    arr = _blank_to_missing(arr, trimmed=normalize)
    missing = int(arr.null_count)
    exact = near = 0
    if duplicates:
        ids = out[id_column].astype(str)
        out["duplicate_of"] = _first_of_group(pd.Series(arr.to_numpy(zero_copy_only=False), index=out.index), ids)
        loose = pc.replace_substring_regex(pc.utf8_lower(arr), r"[^\pL\pN]+", "")
        out["near_duplicate_of"] = _first_of_group(pd.Series(loose.to_numpy(zero_copy_only=False), index=out.index), ids)
        exact = int((out["duplicate_of"] != "").sum())
        near = int((out["near_duplicate_of"] != "").sum())
    for name in MASKS:
        if name in mask:
            pattern, token = MASKS[name]
            arr = pc.replace_substring_regex(arr, pattern, token)
    out[text] = as_text_series(arr, out.index)
    if lowercase_into:
        out[lowercase_into] = as_text_series(pc.utf8_lower(arr), out.index)
    report = PrepReport(rows=len(out), missing_text=missing, exact_duplicates=exact, near_duplicates=near,
                        text_changed=changed_rows(raw, arr))
    logger.info("prepared %d rows: %s", len(out), report.to_dict())
    return out, report


def changed_rows(before: pa.Array, after: pa.Array) -> int:
    """How many rows' text differs between ``before`` and ``after`` (a text made missing counts; a row
    missing in ``before`` does not).

    Examples
    --------
    >>> changed_rows(pa.array(["a ", "b", None, " "]), pa.array(["a", "b", None, None]))
    2
    """
    same = pc.fill_null(pc.equal(before, after), False)
    return int(pc.sum(pc.and_(pc.invert(same), pc.is_valid(before))).as_py() or 0)


def _blank_to_missing(arr: pa.Array, *, trimmed: bool) -> pa.Array:
    """Empty and whitespace-only texts as missing (None): LFs abstain and the row goes to review."""
    blank = pc.equal(arr if trimmed else pc.utf8_trim_whitespace(arr), "")
    if not pc.any(blank).as_py():
        return arr
    return pc.if_else(blank, pa.scalar(None, arr.type), arr)


def as_text_series(arr: pa.Array, index: pd.Index) -> pd.Series:
    """A pandas text column over an Arrow string array (no Python string objects), on ``index``.

    Examples
    --------
    >>> series = as_text_series(pa.array(["a", None]), pd.Index([10, 11]))
    >>> series.tolist(), series.dtype.storage, series.index.tolist()
    (['a', nan], 'pyarrow', [10, 11])
    """
    series = arr.cast(pa.large_string()).to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    series.index = index
    return series


def _first_of_group(keys: pd.Series, ids: pd.Series) -> pd.Series:
    """For each row, the id of the first earlier row with the same key ('' if none, or if the key is missing/empty)."""
    valid = keys.notna() & (keys.astype(str) != "")
    first = ids.where(valid).groupby(keys.where(valid)).transform("first")
    result = first.where(valid & (first != ids), "")
    return result.fillna("").astype(str)
