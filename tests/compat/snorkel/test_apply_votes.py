"""The compat appliers judge LF results by Snorkel's rule (kept if ``>= 0``), compared with Snorkel's own applier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.compat.snorkel import PandasLFApplier, PandasParallelLFApplier
from weaksup.errors import LFApplyError

snorkel_labeling = pytest.importorskip("snorkel.labeling")


def _lenient_lfs():
    lf = snorkel_labeling.labeling_function

    @lf()
    def returns_bool(x):
        return "free" in x.text

    @lf()
    def returns_np_bool(x):
        return np.bool_("song" in x.text)

    @lf()
    def returns_float(x):
        return 1.0 if "free" in x.text else -1.0

    @lf()
    def returns_minus_two(x):
        return -2 if "free" in x.text else 1

    @lf()
    def returns_nan(x):
        return np.nan if "free" in x.text else 0

    @lf()
    def returns_np_float(x):
        return np.float64(2.7) if "song" in x.text else -3.5

    return [returns_bool, returns_np_bool, returns_float, returns_minus_two, returns_nan, returns_np_float]


@pytest.fixture(scope="module")
def frame():
    texts = ["a b", "free money", "nice song", "free song !!!"] * 30
    return pd.DataFrame({"text": texts, "author": [f"u{i}" for i in range(len(texts))]})


def test_bool_float_and_negative_results_give_snorkels_votes(frame):
    lfs = _lenient_lfs()
    expected = snorkel_labeling.PandasLFApplier(lfs).apply(frame, progress_bar=False)
    got = PandasLFApplier(lfs).apply(frame, progress_bar=False)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    assert (got[:, 0] == 0).any() and (got[:, 0] == 1).any() and (got[:, 3] == -1).any()  # False, True, -2


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_the_parallel_applier_uses_snorkels_rule_too(frame, scheduler):
    from weaksup.apply.core import MIN_ROWS_PER_JOB

    frame = pd.concat([frame] * (2 * MIN_ROWS_PER_JOB // len(frame) + 1), ignore_index=True)  # enough to fork
    lfs = _lenient_lfs()
    expected = snorkel_labeling.PandasLFApplier(lfs).apply(frame, progress_bar=False)
    got = PandasParallelLFApplier(lfs).apply(frame, n_parallel=2, scheduler=scheduler)
    np.testing.assert_array_equal(got, expected)


def test_a_result_snorkel_cannot_compare_with_zero_is_an_error_naming_it(frame):
    @snorkel_labeling.labeling_function()
    def returns_none(x):
        return 1 if "free" in x.text else None

    with pytest.raises(TypeError):
        snorkel_labeling.PandasLFApplier([returns_none]).apply(frame, progress_bar=False)
    with pytest.raises(LFApplyError, match=r"returns_none.*returned None .*cannot compare with 0"):
        PandasLFApplier([returns_none]).apply(frame, progress_bar=False)


def test_apply_lfs_stays_strict_and_says_what_snorkel_would_do(frame):
    import weaksup

    for lf in _lenient_lfs():
        with pytest.raises(LFApplyError, match=r"Snorkel's PandasLFApplier would have accepted it.*int\(\.\.\.\).*"
                                               r"ABSTAIN \(-1\)") as info:
            weaksup.apply_lfs([lf], frame)
        assert repr(lf.name) in str(info.value)


def test_a_repeated_index_names_the_series_rows_as_in_snorkel():
    """``x.name`` is the row's index label (the tutorial's ``pd.concat`` of CSVs repeats them), not its position."""
    part = pd.DataFrame({"text": [f"comment {i}" for i in range(15)]})
    frame = pd.concat([part, part, part])  # index 0..14 three times

    @snorkel_labeling.labeling_function()
    def first_rows(x):
        return 1 if x.name < 10 else 0

    expected = snorkel_labeling.PandasLFApplier([first_rows]).apply(frame, progress_bar=False)
    assert (expected[:, 0] == 1).sum() == 30
    np.testing.assert_array_equal(PandasLFApplier([first_rows]).apply(frame, progress_bar=False), expected)
    np.testing.assert_array_equal(PandasParallelLFApplier([first_rows]).apply(frame, scheduler="threads"), expected)
    assert frame.attrs == {}  # the caller's frame is left as it was


def test_a_changed_row_is_seen_by_later_lfs_in_snorkel_not_here(frame):
    """The documented difference: each LF sees the row as read, whatever the LF order."""
    @snorkel_labeling.labeling_function()
    def lowers(x):
        x.text = x.text.upper()
        return -1

    @snorkel_labeling.labeling_function()
    def sees_upper(x):
        return 1 if "FREE" in x.text else 0

    theirs = snorkel_labeling.PandasLFApplier([lowers, sees_upper]).apply(frame, progress_bar=False)
    ours = PandasLFApplier([lowers, sees_upper]).apply(frame, progress_bar=False)
    alone = snorkel_labeling.PandasLFApplier([sees_upper]).apply(frame, progress_bar=False)
    assert (theirs[:, 1] == 1).sum() > (alone[:, 0] == 1).sum()
    np.testing.assert_array_equal(ours[:, 1], alone[:, 0])
