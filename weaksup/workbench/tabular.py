"""The Workbench on data without text (``text_column=None``): the columns its end model and ``supervised_on_dev``
read (:func:`end_columns`: all but the id column and ``exclude_columns``), and the warning naming a column that
alone predicts the dev gold label (:func:`leak_warnings`, the rule of :func:`weaksup.final.leaks.find_leaks`, as in
``weaksup run``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.final.columns import feature_frame

__all__ = ["EXCLUDE_FIX", "end_columns", "leak_warnings"]

#: How the Workbench leaves a column out (the fix a leak warning names).
EXCLUDE_FIX = "Workbench(..., exclude_columns={columns})"


def end_columns(data: pd.DataFrame, id_column: str | None, exclude_columns: Sequence[str] = (),
                label_model: Any = None) -> pd.DataFrame:
    """The columns of ``data`` the end model of rows without text may read: all but the id column,
    ``exclude_columns`` and the order and sequence columns the ``label_model`` instance's parameters name
    (:func:`weaksup.final.columns.ordering_columns`).

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["a"], "amount": [3.0], "is_fraud": [1]})
    >>> list(end_columns(frame, "row_id", ["is_fraud"]).columns)
    ['amount']
    """
    from weaksup.final.columns import ordering_columns

    given = hasattr(label_model, "get_params") and not isinstance(label_model, type)  # (a class or name: no params)
    params = label_model.get_params() if given else {}
    return feature_frame(data, [id_column, *exclude_columns, *ordering_columns(params)])


def leak_warnings(columns: pd.DataFrame, y_dev: np.ndarray, *, labeler: Any = None, seed: int = 0) -> list[str]:
    """The warnings naming each of ``columns`` (:func:`end_columns`) that alone predicts the dev gold label
    (``y_dev``: a class id per row, ``-1`` without gold), with the fix; only the columns the end model reads are
    judged, those of ``labeler`` (a fitted :class:`~weaksup.final_labels.FinalLabeler`) when given.

    Examples
    --------
    >>> y = np.array([0, 1] * 15)
    >>> leak_warnings(pd.DataFrame({"amount": np.arange(30.0) % 7, "label": np.where(y == 1, "spam", "ham")}), y)
    ["column 'label' alone predicts the dev gold label for 100% of 30 rows: if it is the label or derived from it, leave it out with Workbench(..., exclude_columns=['label'])"]
    """
    from weaksup.final.leaks import find_leaks

    steps = getattr(getattr(labeler, "end_model", None), "steps", None)  # its ColumnFeatures: the columns it reads
    kinds = steps[0][1].kinds if steps else None
    return [leak.message(EXCLUDE_FIX) for leak in find_leaks(columns, y_dev, kinds=kinds, seed=seed)]
