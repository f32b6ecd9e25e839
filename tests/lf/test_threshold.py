"""Threshold rules: parsing without eval, vectorised and row-wise agreement, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weaksup import ABSTAIN, apply_lfs, threshold_lf
from weaksup.errors import DataError, LFApplyError, LFDefinitionError
from weaksup.lf.batch import Batch


def test_rules_and_fields():
    lf = threshold_lf("fraud", "amount > 1000 and verified == False", 1)
    assert lf.fields == ("amount", "verified")
    assert lf({"amount": 1500, "verified": False}) == 1
    assert lf({"amount": 1500, "verified": True}) == ABSTAIN
    assert lf({"amount": None, "verified": False}) == ABSTAIN
    assert threshold_lf("r", "0 < a / b <= 0.5", 0)({"a": 1, "b": 4}) == 0
    assert threshold_lf("r", "abs(t - t_lag1) > 5", 1)({"t": 3.0, "t_lag1": 9.5}) == 1
    assert threshold_lf("r", "country in ['NL', 'BE'] or not x >= 2", 1)({"country": "FR", "x": 1}) == 1


@pytest.mark.parametrize("rule", [
    "__import__('os').system('true')", "x.real > 1", "x[0] > 1", "lambda: 1", "x if y else z",
    "x is None", "f(x) > 1", "x > None", "x in y",
])
def test_anything_but_the_whitelist_is_refused(rule):
    with pytest.raises(LFDefinitionError, match="threshold rules do not allow|not a valid expression"):
        threshold_lf("bad", rule, 1)


def test_syntax_error_and_no_field():
    with pytest.raises(LFDefinitionError, match="not a valid expression"):
        threshold_lf("bad", "x >", 1)
    with pytest.raises(LFDefinitionError, match="reads no field"):
        threshold_lf("bad", "1 > 0", 1)


floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=32), st.integers(-5, 5))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(floats, floats), min_size=1, max_size=30))
def test_vectorised_equals_rowwise(pairs):
    frame = pd.DataFrame(pairs, columns=["a", "b"]).astype("float64")
    batch = Batch(frame)
    for lf in (threshold_lf("r1", "a > 1 and b <= 0", 1), threshold_lf("r2", "a / b > 2 or -a >= abs(b)", 0),
               threshold_lf("r3", "not a in [1, 2]", 1)):
        want = [lf(row) for row in batch.rows()]
        assert lf.vote_batch(batch).tolist() == want, lf.name


def test_time_series_window_features():
    temps = pd.Series([20.0, 20.5, 27.0, 27.2, np.nan, 21.0])
    frame = pd.DataFrame({"temp": temps, "temp_lag1": temps.shift(1)})
    spike = threshold_lf("spike", "temp - temp_lag1 > 5", 1)
    assert spike.vote_batch(Batch(frame)).tolist() == [-1, -1, 1, -1, -1, -1]


@pytest.mark.parametrize("rule", ["b == True", 's == "NL"', 's != "NL"', "i > 3", 'o == "NL"', 'o != "NL"'])
def test_pandas_nullable_columns_vote_as_row_by_row_and_missing_cells_abstain(rule):
    # apply_lfs on boolean/string/Int64 columns with <NA> raised "boolean value of NA is ambiguous"
    frame = pd.DataFrame({"row_id": list("abcd"), "b": pd.array([True, None, False, True], dtype="boolean"),
                          "s": pd.array(["NL", None, "BE", "FR"], dtype="string"),
                          "i": pd.array([1, None, 5, 7], dtype="Int64"),
                          "o": np.array(["NL", pd.NA, "BE", "FR"], dtype=object)})
    lf = threshold_lf("rule", rule, 1)
    votes = apply_lfs([lf], frame, id_column="row_id").values[:, 0].tolist()
    assert votes == [lf(row) for row in frame.to_dict("records")] and votes[1] == -1 and 1 in votes


def _both(lf, frame):
    """Votes through apply_lfs (vectorised) and row by row, or the errors they raise."""
    try:
        vectorised = apply_lfs([lf], frame).values[:, 0].tolist()
    except (LFApplyError, DataError) as exc:  # a DataError: the column's type, raised as it is (no row at fault)
        vectorised = str(exc)
    try:
        rowwise = [lf(row) for row in frame.to_dict("records")]
    except DataError as exc:
        rowwise = str(exc)
    return vectorised, rowwise


@pytest.mark.parametrize("rule", ["code == 5", "code != 5", "code > 5"])
def test_a_number_against_a_text_csv_column_names_the_text_value_in_both_paths(tmp_path, rule):
    # code == 5 never fired (a CSV column with one 'unknown' is text: '5' == 5 is False), while code > 5 raised
    (tmp_path / "data.csv").write_text("code\n5\nunknown\n5\n7\n")
    frame = pd.read_csv(tmp_path / "data.csv")
    vectorised, rowwise = _both(threshold_lf("t", rule, 1), frame)
    for message in (vectorised, rowwise):
        assert isinstance(message, str) and "field 'code' holds text (e.g. '5')" in message, message
        assert "compare with text (x == '5')" in message
    assert threshold_lf("t", "code == '5'", 1).vote_batch(Batch(frame)).tolist() == [1, -1, 1, -1]


def test_in_has_pythons_semantics_on_mixed_lists_in_both_paths():
    # np.isin turned [1, 'x'] into strings: nothing matched an int column, nor the 1 of an object column
    lf = threshold_lf("t", "code in [1, 'x']", 1)
    assert _both(lf, pd.DataFrame({"code": [1, 2]})) == ([1, -1], [1, -1])
    mixed = pd.DataFrame({"code": pd.Series([1, "a", "x", 2.0], dtype=object)})
    assert _both(lf, mixed) == ([1, -1, 1, -1], [1, -1, 1, -1])
    assert _both(threshold_lf("t", "code not in [1, 'x']", 1), mixed) == ([-1, 1, -1, 1], [-1, 1, -1, 1])


def test_nullable_integers_above_2_to_53_compare_exactly_in_both_paths():
    frame = pd.DataFrame({"x": pd.array([2**53 + 1, None, 2**53], dtype="Int64")})
    assert _both(threshold_lf("t", f"x > {2**53}", 1), frame) == ([1, -1, -1], [1, -1, -1])
    assert _both(threshold_lf("t", f"x == {2**53 + 1}", 1), frame) == ([1, -1, -1], [1, -1, -1])


def test_a_date_column_against_a_number_names_its_dtype_and_the_fix():
    stamps = pd.to_datetime(["2024-01-01 00:30", "2024-01-02 00:00"]).tz_localize("Europe/Amsterdam")
    frame = pd.DataFrame({"ts": stamps})
    dtype = str(frame["ts"].dtype)  # datetime64[<unit>, Europe/Amsterdam]
    for message in _both(threshold_lf("t", "ts > 5", 1), frame):
        assert isinstance(message, str) and f"dtypes {{'ts': {dtype!r}}}" in message, message
        assert "holds dates" in message and "cannot be compared with numbers" in message
        assert "df['ts'].dt.hour" in message


@pytest.mark.parametrize("rule", ["day == '2024-07-28'", "day != '2024-07-28'", "day in ['2024-07-28', '2024-07-29']",
                                  "day not in ['2024-07-28']", "'2024-07-28' == day", "day == 20240728"])
def test_a_date_column_against_text_or_a_number_with_equality_or_in_raises_like_greater_than(rule):
    # day == '2024-07-28' voted on no row (a Timestamp never equals a str) and != on every row, while > raised
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-07-28", "2024-07-29", None])})
    for message in _both(threshold_lf("t", rule, 1), frame):
        assert isinstance(message, str) and "compares dates with" in message, message
        assert "field 'day' holds dates" in message and "cannot be compared with numbers or text" in message
    assert _both(threshold_lf("t", "day == day", 1), frame) == ([1, 1, -1], [1, 1, -1])


@pytest.mark.parametrize("fault_tolerant", [False, True])
def test_a_number_against_a_whole_text_column_says_convert_it_and_stops_even_fault_tolerant(fault_tolerant):
    # a Parquet column of text ('n/a', numbers as strings): the error said fault_tolerant, which made the LF fault
    # on every row, and 'makes a CSV column text'
    frame = pd.DataFrame({"amount": pd.Series([None, "n/a", "6000", "12.5"], dtype="str")})
    lf = threshold_lf("big", "amount > 5000", 1)
    with pytest.raises(DataError) as caught:
        apply_lfs([lf], frame, fault_tolerant=fault_tolerant)
    message = str(caught.value)
    assert "field 'amount' holds text (e.g. 'n/a'), not numbers" in message, message
    assert "pd.to_numeric(df['amount'], errors='coerce')" in message and f"(defined at {lf.source})" in message
    assert "CSV" not in message and "fault_tolerant=True to abstain" not in message
    assert caught.value.text_fields == ["amount"]


def test_a_column_mixing_numbers_and_text_still_abstains_on_its_text_rows_when_fault_tolerant():
    frame = pd.DataFrame({"amount": pd.Series([6000.0, "n/a", 10.0], dtype=object)})
    votes = apply_lfs([threshold_lf("big", "amount > 5000", 1)], frame, fault_tolerant=True)
    assert votes.values[:, 0].tolist() == [1, -1, -1] and votes.faults == {"big": 1}


@pytest.mark.parametrize("rule", ["country == 'NL' and amount > 100", "amount > 100 and country in ['NL', 'BE']",
                                  "country != 'BE' and amount * 2 > 200", "'NL' == country and abs(amount) > 100"])
def test_only_the_text_column_compared_with_numbers_is_named_to_convert(rule):
    # a text column compared with text works: the message told to convert the first text field it found, so
    # "df['country'] = pd.to_numeric(df['country'], ...)" (every country missing) when country came first
    frame = pd.DataFrame({"country": ["NL", "BE", "NL"], "amount": ["12", "300", "5"]})
    assert apply_lfs([threshold_lf("nl", "country == 'NL'", 1)], frame).values[:, 0].tolist() == [1, -1, 1]
    with pytest.raises(DataError) as caught:
        apply_lfs([threshold_lf("t", rule, 1)], frame)
    message = str(caught.value)
    assert "field 'amount' holds text (e.g. '12'), not numbers" in message, message
    assert "pd.to_numeric(df['amount'], errors='coerce')" in message, message
    assert "field 'country'" not in message and "df['country']" not in message
    assert caught.value.text_fields == ["amount"]
    rowwise = _both(threshold_lf("t", rule, 1), frame)[1]
    assert "field 'amount' holds text" in rowwise and "field 'country'" not in rowwise, rowwise
