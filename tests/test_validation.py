"""weaksup.validation: each input check once, with messages naming what, where and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import keyword_lf
from weaksup.errors import (
    DataError,
    DuplicateLFError,
    LabelModelError,
    LabelSpaceError,
    LFDefinitionError,
    MissingColumnError,
    ParameterError,
    ReviewError,
    VoteMatrixError,
)
from weaksup.gold import write_gold
from weaksup.labels import LabelSpace
from weaksup.validation import (
    as_label_space,
    check_choice,
    check_columns,
    check_fraction,
    check_lf_labels,
    check_lf_names,
    check_number,
    check_row_ids,
    check_votes,
    is_gold_set,
)

SPACE = LabelSpace(["ham", "spam"])


def test_as_label_space_keeps_a_space_and_builds_one_from_names():
    assert as_label_space(SPACE) is SPACE
    assert as_label_space(["ham", "spam"]) == SPACE and as_label_space(("ham", "spam")) == SPACE


@pytest.mark.parametrize(("value", "match"), [
    ("hamspam", r"where=: expected a sequence of class names; got the string 'hamspam'"),
    (None, "where=: expected a sequence of class names; got None"),
    (3, "where=: expected a sequence of class names; got int"),
    (["ham", "ham"], r"where=: class name 'ham' appears twice"),
    ([], "where=: a LabelSpace needs at least one class name"),
])
def test_as_label_space_refuses_what_is_not_a_list_of_names(value, match):
    with pytest.raises(LabelSpaceError, match=match):
        as_label_space(value, where="where=")


def test_check_votes_returns_the_smallest_dtype_and_accepts_whole_floats_only_when_asked():
    assert check_votes(np.array([[0, 1], [-1, 1]], dtype=np.int64), 2, where="L").dtype == np.int8
    assert check_votes(np.zeros((0, 3), dtype=np.int64), 2, where="L").shape == (0, 3)
    assert check_votes([[0.0, 1.0]], 2, where="L", whole_floats=True).tolist() == [[0, 1]]
    with pytest.raises(VoteMatrixError, match=r"L: votes must be integers.*got dtype float64"):
        check_votes([[0.0, 1.0]], 2, where="L")
    with pytest.raises(VoteMatrixError, match="integers"):
        check_votes([[0.5, 1.0]], 2, where="L", whole_floats=True)


@pytest.mark.parametrize(("L", "match"), [
    ([0, 1], r"L must be a 2-D array \(rows x labeling functions\); got shape \(2,\)"),
    ([[0, -1], [1, -2]], r"L: vote -2 at row 1, column 1 is below -1 \(ABSTAIN\)"),
    ([[0, 1], [2, 0]], r"L: vote 2 at row 1, column 0 is outside the label space \['ham', 'spam'\] \(ids 0\.\.1"),
])
def test_check_votes_names_the_first_bad_vote_and_where_it_is(L, match):
    with pytest.raises(VoteMatrixError, match=match):
        check_votes(L, 2, where="L", label_space=SPACE)


def test_check_votes_raises_the_callers_error_and_bounds_by_the_label_space_alone():
    with pytest.raises(LabelModelError, match="outside the label space"):
        check_votes([[3]], 2, where="L", error=LabelModelError)
    with pytest.raises(VoteMatrixError, match="vote 2 at row 0"):
        check_votes([[2]], None, where="votes", label_space=SPACE)
    assert check_votes([[200]], None, where="votes").dtype == np.int16  # no bound without a cardinality


@pytest.mark.parametrize("ids", [
    ["a", "b", "c"],
    pd.Index([3, 1, 2]),
    pd.Series(["x", "y", "z"], dtype="string[pyarrow]"),
])
def test_check_row_ids_returns_the_ids_in_order(ids):
    assert list(check_row_ids(ids, where="ids")) == list(ids)


@pytest.mark.parametrize("dtype", [object, "string[pyarrow]"])
def test_check_row_ids_names_the_first_missing_or_repeated_id_and_the_fix(dtype):
    with pytest.raises(DataError, match=r"frame: row id is missing at row 1; every row needs an id"):
        check_row_ids(pd.Series(["a", None, "c"], dtype=dtype), where="frame")
    with pytest.raises(DataError, match=r"frame: row ids must be unique; repeated: \['b', 'a'\]\. .*make_row_ids"):
        check_row_ids(pd.Series(["b", "a", "b", "a", "c"], dtype=dtype), where="frame")
    with pytest.raises(DataError, match=r"repeated: \['a'\]\. Deduplicate the input\.$"):
        check_row_ids(pd.Series(["a", "a"], dtype=dtype), where="frame", fix="Deduplicate the input.")


def test_check_columns_names_the_missing_ones_the_present_ones_and_the_fix():
    check_columns(["id", "text"], ["text", "id"], where="data")
    with pytest.raises(MissingColumnError, match=r"^run: no id column 'row'; its columns are \['id', 'text'\]\. "
                                                 r"Set input\.id_column$"):
        check_columns(["id", "text"], ["row"], where="run", what="id column", fix="Set input.id_column")
    with pytest.raises(MissingColumnError, match=r"data: no columns \['a', 'b'\]"):
        check_columns(["id"], ["a", "b"], where="data")


@pytest.mark.parametrize("value", [0, 0.5, 1, np.float32(0.25)])
def test_check_fraction_accepts_numbers_in_the_unit_interval(value):
    assert check_fraction(value, name="threshold") == float(value)


@pytest.mark.parametrize("value", [-0.1, 1.01, True, "0.5", None, float("nan")])
def test_check_fraction_refuses_the_rest_naming_the_parameter(value):
    with pytest.raises(ParameterError, match=r"^threshold must be a number in \[0, 1\]; got "):
        check_fraction(value, name="threshold")
    with pytest.raises(ReviewError, match="diversity must be a number"):
        check_fraction(value, name="diversity", error=ReviewError)


def test_lf_names_are_distinct_and_lf_votes_inside_the_label_space():
    a = keyword_lf("kw", "x", 1)
    b = keyword_lf("kw", "y", 1)
    assert check_lf_names([a, a]) == [a]
    with pytest.raises(DuplicateLFError, match=r"two labeling functions are named 'kw': one defined at .*rename one"):
        check_lf_names([a, b])
    made = [keyword_lf(f"keyword_{words[0]}", words, 1) for words in (["check", "out"], ["check", "this"])]
    with pytest.raises(DuplicateLFError, match=r"named 'keyword_check': both made at .*test_validation.py:\d+ \(a "
                                               r"loop or a factory giving its LFs one name"):
        check_lf_names(made)
    check_lf_labels(a, SPACE)
    check_lf_labels(keyword_lf("kw3", "x", 3), None)
    with pytest.raises(LFDefinitionError, match=r"LF 'kw3' \(defined at .*\) votes \[3\], outside the label space"):
        check_lf_labels(keyword_lf("kw3", "x", 3), SPACE)


def test_is_gold_set_tells_a_gold_set_from_labels(tmp_path):
    rows = pd.DataFrame({"row_id": ["a"], "label": ["ham"], "split": ["dev"]})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=SPACE)
    assert is_gold_set(gold) and is_gold_set(gold.split("dev"))
    assert not any(is_gold_set(x) for x in (gold.frame, gold.labels(), np.array([0, 1]), None))


@pytest.mark.parametrize(("value", "kwargs", "match"), [
    (0, {"low": 1, "integer": True}, r"^n must be a whole number >= 1; got 0$"),
    (2.5, {"low": 1, "integer": True}, r"^n must be a whole number >= 1; got 2.5$"),
    (True, {"low": 0}, r"^n must be a number >= 0; got True$"),
    (0, {"low": 0, "low_open": True, "note": "seconds"}, r"^n must be a number > 0 \(seconds\); got 0$"),
    (1, {"low": 0, "high": 1, "high_open": True}, r"^n must be a number in \[0, 1\); got 1$"),
    (float("nan"), {"high": 5}, r"^n must be a number <= 5; got nan$"),
    ("3", {}, r"^n must be a number; got '3'$"),
])
def test_check_number_describes_the_bounds_it_wants(value, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        check_number(value, name="n", **kwargs)


def test_check_number_returns_good_values_unchanged():
    assert check_number(np.int64(3), name="n", low=1, integer=True) == 3
    assert check_number(0.5, name="n", low=0, high=1, low_open=True, high_open=True) == 0.5


def test_check_choice_lists_the_choices():
    assert check_choice("dev", ("dev", "test"), name="split") == "dev"
    with pytest.raises(ReviewError, match=r"^split must be one of \['dev', 'test'\]; got 'train'$"):
        check_choice("train", ("dev", "test"), name="split", error=ReviewError)
