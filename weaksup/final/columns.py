"""The end model of rows without text (tabular data): the rows' own columns as features, gradient-boosted trees.

When the input has no text column (``input.text_column = ""``; the Workbench's ``text_column=None``), ``weaksup run``
and the Workbench train :func:`tabular_end_model` instead of the TF-IDF one: the classifier trained on the dev gold
alone (``supervised_on_dev``) and the final labels then read the rows' columns, so a tabular task is measured
against training on its gold rows as a text task is. :class:`ColumnFeatures` turns a frame into numbers: numeric
and boolean columns as they are (missing values stay missing: the trees learn where they go), dates as seconds,
and text columns of at most :data:`MAX_CATEGORIES` distinct values as one-hot categories; the row id, free text
(every value distinct, or too many values) and columns holding one value are left out. Gradient-boosted trees suit the threshold rules tabular LFs are made of.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from weaksup.errors import EndModelError

__all__ = ["ISO_DATE", "MAX_CATEGORIES", "PARSED_SHARE", "ColumnFeatures", "as_dates", "as_numbers", "column_kind",
           "excluded_problem", "feature_frame", "ordering_columns", "tabular_end_model"]

#: A text column with at most this many distinct values is a category; with more, free text or an id (left out).
MAX_CATEGORIES = 50


class ColumnFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """The columns of a frame as a float matrix: numbers and booleans, dates (seconds since 1970), categories.

    Parameters
    ----------
    exclude : sequence of str
        Columns never used (the row id, gold columns).
    kinds : dict, optional
        The columns to read, as a fitted one's :attr:`kinds_` (``{"numbers": [...], "dates": [...], "categories":
        {column: [values]}}``): fit then chooses nothing, so that every cross-fitting fold of a few rows reads the
        columns chosen on all of them (:func:`tabular_end_model` with ``columns=``).

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b", "c"], "amount": [10.0, None, 3.0], "region": ["n", "s", "n"],
    ...                       "day": pd.to_datetime(["2024-01-01", "2024-01-02", None]), "note": ["x", "y", "z"]})
    >>> features = ColumnFeatures(exclude=["id"]).fit(frame)
    >>> features.feature_names_
    ['amount', 'day', 'region=n', 'region=s']
    >>> features.transform(frame).round(0).tolist()[1]  # (the missing amount stays missing)
    [nan, 1704153600.0, 0.0, 1.0]
    """

    numbers_: list[str]
    dates_: list[str]
    categories_: dict[str, list[str]]
    feature_names_: list[str]
    #: The columns not read, with why (one value, free text or an id, too many categories).
    left_out_: dict[str, str]

    def __init__(self, exclude: Sequence[str] = (), kinds: dict[str, Any] | None = None) -> None:
        self.exclude = exclude
        self.kinds = kinds

    @property
    def kinds_(self) -> dict[str, Any]:
        """The columns read, by kind (``kinds=`` of another :class:`ColumnFeatures`)."""
        return {"numbers": list(self.numbers_), "dates": list(self.dates_), "categories": dict(self.categories_),
                "left_out": dict(self.left_out_)}

    def fit(self, X: Any, y: Any = None) -> Self:
        """Choose the columns: numbers, booleans and dates with two values or more, text columns of few values."""
        frame = _as_frame(X)
        if self.kinds is not None:
            self.numbers_, self.dates_ = list(self.kinds["numbers"]), list(self.kinds["dates"])
            self.categories_ = {str(k): list(v) for k, v in self.kinds["categories"].items()}
            self.left_out_ = dict(self.kinds.get("left_out", {}))
            self.feature_names_ = [*self.numbers_, *self.dates_, *(f"{name}={value}" for name, values in
                                                                   self.categories_.items() for value in values)]
            return self
        self.numbers_, self.dates_, self.categories_, self.left_out_ = [], [], {}, {}
        for name in frame.columns:
            if name in set(self.exclude):
                continue
            kind, why = column_kind(frame[name])
            if kind == "number":
                self.numbers_.append(str(name))
            elif kind == "date":
                self.dates_.append(str(name))
            elif kind == "category":
                self.categories_[str(name)] = sorted(frame[name].dropna().astype(str).unique().tolist())
            else:
                self.left_out_[str(name)] = why
        if not (self.numbers_ or self.dates_ or self.categories_):
            raise EndModelError(f"no column to learn from among {[str(c) for c in frame.columns]}: the end model of rows "
                                "without text reads numbers, booleans, dates and text columns of at most "
                                f"{MAX_CATEGORIES} distinct values (columns of one value, the row id and free text "
                                "are left out)")
        self.feature_names_ = [*self.numbers_, *self.dates_,
                               *(f"{name}={value}" for name, values in self.categories_.items() for value in values)]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``(n, len(feature_names_))`` float features of the rows of ``X`` (a value unseen in fit: no category)."""
        frame = _as_frame(X)
        missing = [c for c in [*self.numbers_, *self.dates_, *self.categories_] if c not in frame.columns]
        if missing:
            raise EndModelError(f"the end model reads columns {missing}, which these rows do not have")
        parts = [as_numbers(frame[name]).to_numpy()[:, None] for name in self.numbers_]
        for name in self.dates_:
            stamps = as_dates(frame[name])
            seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
            parts.append(seconds.to_numpy(dtype=float)[:, None])
        for name, values in self.categories_.items():
            text = frame[name].astype(object).where(frame[name].notna(), None)
            cells = np.array([None if v is None else str(v) for v in text], dtype=object)
            parts.append(np.column_stack([cells == value for value in values]).astype(float))
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))


#: Text read as a date: ISO 8601, a date with an optional time and UTC offset.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
#: A text column is read as numbers (or dates) when at least this share of its values parse as such.
PARSED_SHARE = 0.9


def column_kind(column: pd.Series) -> tuple[str, str]:
    """How :class:`ColumnFeatures` reads a column: ``"number"``, ``"date"``, ``"category"`` or ``"left out"``, and
    why it is left out. Text that parses (numbers with a few ``"n/a"``, ISO 8601 dates in a CSV) and decimals are read
    as numbers or dates, durations (``timedelta64``) as seconds.

    Examples
    --------
    >>> column_kind(pd.Series(["12.5", "n/a", "3", "40", "7", "8", "9", "10", "11", "12"]))
    ('number', '')
    >>> column_kind(pd.Series(["2024-01-01", "2024-02-03", None])), column_kind(pd.Series(["a b", "c d", "e f"]))
    (('date', ''), ('left out', 'free text or an id (3 distinct values of 3)'))
    """
    values = column.dropna()
    try:
        distinct = values.nunique()
    except TypeError:  # lists, mappings: no value to compare
        return "left out", "lists or mappings, not values"
    if distinct < 2:
        return "left out", "one value" if distinct else "no value"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "date", ""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column) \
            or pd.api.types.is_timedelta64_dtype(column):
        return "number", ""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        if pd.to_numeric(values, errors="coerce").notna().mean() >= PARSED_SHARE:
            return "number", ""
        if as_dates(values).notna().mean() >= PARSED_SHARE:
            return "date", ""
    if distinct > MAX_CATEGORIES:
        return "left out", f"{distinct} distinct values, more than {MAX_CATEGORIES} for a category"
    if distinct == len(values):
        return "left out", f"free text or an id ({distinct} distinct values of {len(values)})"
    return "category", ""


def as_dates(column: pd.Series) -> pd.Series:
    """``column`` as UTC timestamps: a date column as it is, text in ISO 8601 (``2024-03-01``, ``2024-03-01
    12:30``); other text is missing. One format for every block of rows: "01/02/2024" would be read in January or
    February depending on the block's first value, "today" on the clock.

    Examples
    --------
    >>> as_dates(pd.Series(["2024-03-01", "01/02/2024", "today", None])).dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-01', nan, nan, nan]
    """
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column, utc=True)
    text = column.astype(object).where(column.notna(), None)
    iso = text.map(lambda v: v if isinstance(v, str) and ISO_DATE.match(v.strip()) else None)
    return pd.to_datetime(iso, errors="coerce", utc=True, format="ISO8601")


def as_numbers(column: pd.Series) -> pd.Series:
    """``column`` as floats: durations in seconds, text that is no number (and missing values) missing.

    Examples
    --------
    >>> as_numbers(pd.Series(pd.to_timedelta(["1h", None]))).tolist(), as_numbers(pd.Series(["2", "n/a"])).tolist()
    ([3600.0, nan], [2.0, nan])
    """
    if pd.api.types.is_timedelta64_dtype(column):
        return column.dt.total_seconds().astype(float)
    return pd.to_numeric(column, errors="coerce").astype(float)


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    raise EndModelError(f"the end model of rows without text reads a DataFrame of their columns; got "
                        f"{type(X).__name__}")


def tabular_end_model(seed: int = 0, *, exclude: Sequence[str] = (), columns: pd.DataFrame | None = None) -> Any:
    """An unfitted pipeline: :class:`ColumnFeatures`, then scikit-learn's histogram gradient-boosted trees; with
    ``columns`` (the rows it will learn from), the columns it reads are chosen on them once.

    Examples
    --------
    >>> [name for name, _ in tabular_end_model(exclude=["id"]).steps]
    ['columns', 'trees']
    >>> tabular_end_model(columns=pd.DataFrame({"x": [1, 2], "y": [3, 3]})).steps[0][1].kinds
    {'numbers': ['x'], 'dates': [], 'categories': {}, 'left_out': {'y': 'one value'}}
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    trees = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=10,
                                           l2_regularization=1.0, early_stopping=False, random_state=seed)
    kinds = None if columns is None else ColumnFeatures(exclude=list(exclude)).fit(columns).kinds_
    return Pipeline([("columns", ColumnFeatures(exclude=list(exclude), kinds=kinds)), ("trees", trees)])


def feature_frame(frame: pd.DataFrame, exclude: Sequence[str | None]) -> pd.DataFrame:
    """The columns of ``frame`` the end model may read (``exclude`` dropped; None: nothing), positions as the index.

    Examples
    --------
    >>> feature_frame(pd.DataFrame({"row_id": ["a"], "amount": [3]}, index=[7]), ["row_id"]).to_dict("list")
    {'amount': [3]}
    """
    return frame.drop(columns=[c for c in exclude if c is not None and c in frame.columns])


def ordering_columns(params: Mapping[str, Any]) -> dict[str, str]:
    """The columns a label model's parameters name as where a row sits (``order_column`` and ``sequence_column`` of
    :class:`weaksup.models.TemporalLabelModel`), with why the end model of rows without text leaves them out.

    A frame number or a video id says where a row is, not what it is: trees that learn from it predict a later block
    of rows (a test block after the dev one, tomorrow's frames) from the nearest rows they saw, whatever the row
    holds (on the shipped tennis example, the classifier on the dev gold read ``frame`` and predicted one class for
    every test row, 0.539, where without it it scores 0.868).

    Examples
    --------
    >>> ordering_columns({"base": "DevNaiveBayes", "order_column": "frame", "sequence_column": "video"})
    {'frame': "the label model's order column", 'video': "the label model's sequence column"}
    >>> ordering_columns({})
    {}
    """
    return {str(params[key]): f"the label model's {what} column" for key, what in
            (("order_column", "order"), ("sequence_column", "sequence")) if isinstance(params.get(key), str)
            and params[key]}


def excluded_problem(names: Sequence[str], present: Sequence[str], *, key: str, text_column: str | None = None,
                     data: str = "the input", no_text: str = 'input.text_column = ""') -> str | None:
    """What is wrong with the columns ``names`` to leave out of the end model (``key``: where they were given), or
    None: a name that is not among the columns ``present`` of ``data``, or columns left out of data with a
    ``text_column`` (its end model reads the text alone: nothing to leave out; ``no_text``: how to read no text).

    Examples
    --------
    >>> excluded_problem(["is_fraud"], ["row_id", "amount", "is_fraud"], key="x") is None
    True
    >>> excluded_problem(["is_frad", "lable"], ["row_id", "is_fraud"], key="[end_model] exclude_columns")
    "[end_model] exclude_columns names ['is_frad', 'lable'], which are not columns of the input; its columns are ['row_id', 'is_fraud']: correct the names, or remove them from [end_model] exclude_columns"
    """
    if not names:
        return None
    if text_column:
        return (f"{key} = {list(names)} leaves columns out of the end model of rows without text, and {data} has a "
                f"text column ({text_column!r}), from which alone the end model learns: remove {key}, or set "
                f"{no_text} for an end model of the rows' columns")
    unknown = [name for name in names if name not in set(present)]
    if not unknown:
        return None
    return (f"{key} names {unknown}, which {'is not a column' if len(unknown) == 1 else 'are not columns'} of "
            f"{data}; its columns are {list(present)}: correct the {'name' if len(unknown) == 1 else 'names'}, or "
            f"remove {'it' if len(unknown) == 1 else 'them'} from {key}")
