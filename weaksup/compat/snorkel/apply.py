"""Snorkel's ``PandasLFApplier`` over :func:`weaksup.apply_lfs`: the same ``L``, computed by weaksup's engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup.apply import apply_lfs
from weaksup.errors import DataError, DuplicateLFError

__all__ = ["ApplierMetadata", "PandasLFApplier"]


class ApplierMetadata(NamedTuple):
    """What an ``apply(..., return_meta=True)`` call reports: ``faults``, the rows each LF failed on (only LFs that
    failed are listed), as in Snorkel."""

    faults: dict[str, int]


class PandasLFApplier:
    """Apply LFs to every row of a DataFrame (Snorkel's ``snorkel.labeling.PandasLFApplier``).

    The LFs may be Snorkel's (``@labeling_function``, ``LabelingFunction(name, f, resources=..., pre=[...])``,
    ``nlp_labeling_function``) or weaksup's. The work is :func:`weaksup.apply_lfs`: weaksup's vectorised kinds run
    on whole columns, row-wise LFs on light row objects with shared, memoised preprocessors.

    Parameters
    ----------
    lfs : list of LFs
        Their names must be unique.

    Examples
    --------
    >>> from weaksup.lf import labeling_function
    >>> @labeling_function
    ... def is_big_num(x):
    ...     return 1 if x.num > 42 else 0
    >>> PandasLFApplier([is_big_num]).apply(pd.DataFrame(dict(num=[10, 100])), progress_bar=False)
    array([[0],
           [1]])
    """

    def __init__(self, lfs: Sequence[Any]) -> None:
        self._lfs = list(lfs)
        names = [lf.name for lf in self._lfs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise DuplicateLFError(f"Found non-unique LF names: {repeated}; give every LF its own name")

    def apply(self, df: pd.DataFrame, progress_bar: bool = True, fault_tolerant: bool = False,
              return_meta: bool = False) -> np.ndarray | tuple[np.ndarray, ApplierMetadata]:
        """The ``(rows, LFs)`` int64 vote matrix ``L`` (``-1`` = abstain), rows in the DataFrame's order.

        Parameters
        ----------
        df : pandas.DataFrame
            The rows (any index, repeated values allowed).
        progress_bar : bool, default True
        fault_tolerant : bool, default False
            An LF that raises abstains on that row and the fault is counted (else the error stops the call).
        return_meta : bool, default False
            Also return an :class:`ApplierMetadata` with the fault counts.
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"PandasLFApplier.apply takes a pandas DataFrame; got {type(df).__name__}")
        if not df.index.is_unique:  # weaksup keys rows by their index; Snorkel does not look at it
            df = df.set_axis(pd.RangeIndex(len(df)), axis=0)
        votes = apply_lfs(self._lfs, df, fault_tolerant=fault_tolerant, progress=progress_bar)
        L = votes.values.astype(np.int64)
        if return_meta:
            return L, ApplierMetadata({name: count for name, count in votes.faults.items() if count})
        return L
