"""Light Series-like rows (``weaksup.lf.rows.SeriesRow``): what only a Series does runs on Series rows, voting as
Snorkel's ``PandasLFApplier`` does row by row."""

from __future__ import annotations

import logging
import operator
import warnings

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import LabelingFunction, PandasLFApplier

from weaksup import apply_lfs
from weaksup.errors import MissingColumnError
from weaksup.lf.rows import NeedsSeries, series_row_type

pytestmark = pytest.mark.snorkel

NUMBERS = pd.DataFrame({"a": [0.1, 0.5, 0.9, 0.7, 0.9], "b": [0.2, 0.6, 0.95, 0.1, 0.9]})
FLAGS = pd.DataFrame({"a": [True, False, True, False], "b": [True, True, False, False]})


def assert_votes_as_snorkel(lfs, frame, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' own deprecations inside Snorkel's rows
        expected, meta = PandasLFApplier(lfs).apply(frame, progress_bar=False, fault_tolerant=True, return_meta=True)
        with caplog.at_level(logging.INFO, logger="weaksup.apply.rowwise"):
            got = apply_lfs(lfs, frame, fault_tolerant=True)
    np.testing.assert_array_equal(got.values, expected)
    assert got.faults == {lf.name: meta.faults.get(lf.name, 0) for lf in lfs}
    for lf in lfs:  # each ran on real Series rows, said once
        assert f"LF {lf.name!r} runs on pandas.Series rows" in caplog.text
    return expected


def test_equality_with_a_row_compares_each_value_as_a_series_does(caplog):
    lfs = [LabelingFunction("any_eq", lambda x: 1 if np.any(x == 0.9) else 0),
           LabelingFunction("all_ne", lambda x: 1 if np.all(x != 0.9) else 0),
           LabelingFunction("eq_reflected", lambda x: 1 if (0.9 == x).sum() == 2 else 0),
           LabelingFunction("eq_row", lambda x: 1 if (x == x).all() else 0)]
    expected = assert_votes_as_snorkel(lfs, NUMBERS, caplog)
    assert expected[:, 0].tolist() == [0, 0, 1, 0, 1] and expected[:, 1].tolist() == [1, 1, 0, 1, 0]
    assert expected[:, 2].tolist() == [0, 0, 0, 0, 1]


def test_a_list_of_labels_and_every_arithmetic_operator_run_as_on_a_series(caplog):
    lfs = [LabelingFunction("sub_mean", lambda x: 1 if x[["a", "b"]].mean() > 0.5 else 0),
           LabelingFunction("get_list", lambda x: 1 if x.get(["a", "b"]).max() > 0.8 else 0),
           LabelingFunction("radd", lambda x: 1 if (1 + x).max() > 1.8 else 0),
           LabelingFunction("rsub", lambda x: 1 if (1 - x).min() < 0.2 else 0),
           LabelingFunction("rmul", lambda x: 1 if (2 * x).sum() > 2 else 0),
           LabelingFunction("rtruediv", lambda x: 1 if (1 / x).max() > 5 else 0),
           LabelingFunction("rfloordiv", lambda x: 1 if (1 // x).max() > 1 else 0),
           LabelingFunction("rmod", lambda x: 1 if (1 % x).max() > 0.2 else 0),
           LabelingFunction("rpow", lambda x: 1 if (2 ** x).sum() > 3 else 0),
           LabelingFunction("pow", lambda x: 1 if (x ** 2).sum() > 0.5 else 0),
           LabelingFunction("mod", lambda x: 1 if (x % 0.4).max() > 0.25 else 0),
           LabelingFunction("floordiv", lambda x: 1 if (x // 0.3).sum() > 2 else 0),
           LabelingFunction("matmul", lambda x: 1 if x @ x > 0.5 else 0),
           LabelingFunction("neg", lambda x: 1 if (-x).min() < -0.8 else 0),
           LabelingFunction("pos", lambda x: 1 if (+x).max() > 0.8 else 0),
           LabelingFunction("abs", lambda x: 1 if abs(x - 0.5).max() < 0.2 else 0),
           LabelingFunction("round", lambda x: 1 if round(x).sum() >= 1 else 0),
           LabelingFunction("divmod", lambda x: 1 if divmod(x, 0.4)[1].max() > 0.25 else 0)]
    expected = assert_votes_as_snorkel(lfs, NUMBERS, caplog)
    assert (expected == 1).any(axis=0).all() and (expected == 0).any(axis=0).all()  # no LF is constant


def test_logical_operators_on_boolean_rows(caplog):
    lfs = [LabelingFunction("and_", lambda x: 1 if (x & True).all() else 0),
           LabelingFunction("rand", lambda x: 1 if (True & x).any() else 0),
           LabelingFunction("or_", lambda x: 1 if (x | False).all() else 0),
           LabelingFunction("ror", lambda x: 1 if (False | x).any() else 0),
           LabelingFunction("xor", lambda x: 1 if (x ^ True).any() else 0),
           LabelingFunction("rxor", lambda x: 1 if (True ^ x).all() else 0),
           LabelingFunction("invert", lambda x: 1 if (~x).all() else 0)]
    expected = assert_votes_as_snorkel(lfs, FLAGS, caplog)
    assert (expected == 1).any(axis=0).all() and (expected == 0).any(axis=0).all()


def test_what_a_light_row_still_does_itself():
    cls, build = series_row_type(["a", "b"])
    row = build((0.1, 0.5))
    assert row["a"] == 0.1 and row.get("b") == 0.5 and row.get("c", 7) == 7 and "a" in row and "c" not in row
    with pytest.raises(MissingColumnError):
        row["c"]
    with pytest.raises(TypeError, match="unhashable"):
        hash(row)  # as a pandas Series: == compares values, so a row is no dict key
    for use in (operator.eq, operator.ne, operator.pow, operator.mod, operator.xor, operator.matmul,
                lambda x, v: v + x, lambda x, v: v ** x, lambda x, v: x[["a", "b"]], lambda x, v: x.get(["a"])):
        cls.wanted.clear()
        with pytest.raises(NeedsSeries):
            use(row, 0.9)
        assert cls.wanted  # noted: the LF moves to Series rows even if it catches the error
    cls.wanted.clear()
