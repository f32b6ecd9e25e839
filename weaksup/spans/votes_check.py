"""The checks of span vote rows: columns, ranges, labels; sorted, without exact repeats."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from weaksup.errors import DataError, LabelSpaceError
from weaksup.spans.space import SpanSpace

__all__ = ["SPAN_COLUMNS", "check_span_rows", "label_type_ids"]

#: The columns of ``SpanVotes.spans``, with their dtypes (``label`` is stored as a categorical of the types).
SPAN_COLUMNS = {"doc": np.int64, "lf": np.int32, "start": np.int32, "end": np.int32, "label": object}


def label_type_ids(labels: pd.Series, space: SpanSpace) -> np.ndarray:
    """The type index of each label (-1 when unknown), looked up per distinct value, not per row.

    Examples
    --------
    >>> label_type_ids(pd.Series(["B", "A", "Z", "B"]), SpanSpace(["A", "B"])).tolist()
    [1, 0, -1, 1]
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        codes, uniques = labels.cat.codes.to_numpy(), labels.cat.categories
    else:
        codes, uniques = pd.factorize(labels.to_numpy(dtype=object), use_na_sentinel=True)
    table = np.r_[pd.Index(list(space.types)).get_indexer([str(u) for u in uniques]), -1]
    return np.asarray(table[np.where(np.asarray(codes) < 0, len(uniques), codes)], dtype=np.int64)


def _sorted_distinct(doc: np.ndarray, lf: np.ndarray, start: np.ndarray, end: np.ndarray, type_ids: np.ndarray,
                     sizes: list[int]) -> np.ndarray:
    """Row positions sorted by (doc, lf, start, end, type) without exact repeats: one int64 key when it fits."""
    if len(doc) == 0:
        return np.zeros(0, dtype=np.int64)
    if float(np.prod(np.asarray(sizes, dtype=np.float64))) < 2.0 ** 62:
        key = doc.copy()
        for col, size in zip((lf, start, end, type_ids), sizes[1:]):
            key *= size
            key += col
        order = np.arange(len(key)) if bool((key[1:] >= key[:-1]).all()) else np.argsort(key, kind="stable")
        key = key[order]
        return order[np.r_[True, key[1:] != key[:-1]]]
    order = np.lexsort((type_ids, end, start, lf, doc))
    stacked = np.stack([doc, lf, start, end, type_ids])[:, order]
    return order[np.r_[True, (stacked[:, 1:] != stacked[:, :-1]).any(axis=0)]]


def check_span_rows(spans: pd.DataFrame, n_tokens: np.ndarray, lf_ids: Sequence[str], row_ids: Sequence[str],
                    space: SpanSpace) -> tuple[pd.DataFrame, np.ndarray]:
    """Span vote rows checked and normalised, and the type index of each kept row.

    Every row must name a document and an LF that exist and a non-empty token range of that document
    (DataError naming the LF and the document's row id) with a type of ``space`` (LabelSpaceError).
    The rows come back sorted by (doc, lf, start, end, type order), exact repeats dropped, with the
    dtypes of :data:`SPAN_COLUMNS` (``label`` a categorical of ``space.types``).

    Examples
    --------
    >>> rows = pd.DataFrame({"doc": [0, 0], "lf": [0, 0], "start": [2, 0], "end": [3, 1], "label": ["X", "X"]})
    >>> frame, types = check_span_rows(rows, np.array([3]), ["f"], ["d"], SpanSpace(["X"]))
    >>> frame["start"].tolist(), types.tolist()
    ([0, 2], [0, 0])
    """
    if not isinstance(spans, pd.DataFrame):
        raise DataError(f"SpanVotes spans must be a DataFrame with columns {list(SPAN_COLUMNS)}; "
                        f"got {type(spans).__name__}")
    missing = [c for c in SPAN_COLUMNS if c not in spans.columns]
    if missing:
        raise DataError(f"SpanVotes spans lack the columns {missing}; they need {list(SPAN_COLUMNS)}")
    cols = {}
    for col in ("doc", "lf", "start", "end"):
        raw = spans[col].to_numpy()
        if len(raw) and not np.issubdtype(raw.dtype, np.integer):
            raise DataError(f"SpanVotes spans column {col!r} must hold integers; got dtype {raw.dtype}")
        cols[col] = raw.astype(np.int64)
    doc, lf, start, end = cols["doc"], cols["lf"], cols["start"], cols["end"]
    bad = np.flatnonzero((doc < 0) | (doc >= len(n_tokens)) | (lf < 0) | (lf >= len(lf_ids)))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"span row {i}: doc {doc[i]} / lf {lf[i]} is outside the {len(n_tokens)} documents"
                        f" / {len(lf_ids)} LFs of these votes")
    bad = np.flatnonzero((start < 0) | (start >= end) | (end > n_tokens[doc]))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"LF {lf_ids[lf[i]]!r} tagged tokens [{start[i]}, {end[i]}) in document "
                        f"{row_ids[doc[i]]!r} (index {doc[i]}), which has {n_tokens[doc[i]]} tokens; "
                        f"spans are non-empty token ranges, end exclusive (fix the LF or the tokenizer)")
    type_ids = label_type_ids(spans["label"], space)
    bad = np.flatnonzero(type_ids < 0)
    if len(bad):
        i = int(bad[0])
        raise LabelSpaceError(f"LF {lf_ids[lf[i]]!r} tagged the unknown entity type {spans['label'].iloc[i]!r} "
                              f"in document {row_ids[doc[i]]!r}; the types are {list(space.types)}")
    width = int(n_tokens.max()) + 1 if len(n_tokens) else 1
    keep = _sorted_distinct(doc, lf, start, end, type_ids,
                            [max(len(n_tokens), 1), max(len(lf_ids), 1), width, width, space.n_types])
    kept_types = type_ids[keep]
    frame = pd.DataFrame({
        "doc": doc[keep], "lf": lf[keep].astype(np.int32), "start": start[keep].astype(np.int32),
        "end": end[keep].astype(np.int32),
        "label": pd.Categorical.from_codes(kept_types, categories=list(space.types)),
    })
    return frame, kept_types
