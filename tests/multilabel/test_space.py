"""MultiLabelSpace: labels in order, exclusive groups, the none label, and the errors that name what is wrong."""

import numpy as np
import pytest

from weaksup.errors import LabelSpaceError, WeakSupError
from weaksup.multilabel import MultiLabelSpace


def test_order_index_and_groups_are_kept():
    space = MultiLabelSpace(["joy", "anger", "fear", "neutral"], exclusive=[["joy", "anger"]], none_label="neutral")
    assert space.labels == ("joy", "anger", "fear", "neutral")
    assert space.k == 4 and space.index("fear") == 2 and space.none_index == 3
    assert space.exclusive == (("joy", "anger"),)
    assert [g.tolist() for g in space.exclusive_indices()] == [[0, 1]]
    assert MultiLabelSpace.from_json(space.to_json()) == space
    assert hash(space) == hash(MultiLabelSpace.from_json(space.to_json()))


def test_encode_decode_round_trip():
    space = MultiLabelSpace(["a", "b", "c"])
    Y = space.encode([["c", "a"], [], ["b"]])
    assert Y.dtype == bool and Y.astype(int).tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert space.decode(Y) == [["a", "c"], [], ["b"]]
    with pytest.raises(LabelSpaceError, match="row 1 has label 'z'"):
        space.encode([["a"], ["z"]])
    with pytest.raises(LabelSpaceError, match=r"\(n, 3\)"):
        space.decode(np.zeros((2, 2), dtype=bool))


@pytest.mark.parametrize("kwargs, message", [
    ({"labels": []}, "at least one label"),
    ({"labels": "abc"}, "must be a list"),
    ({"labels": ["a", "a", "b"]}, r"repeated: \['a'\]"),
    ({"labels": ["a", ""]}, "non-empty string"),
    ({"labels": ["a", "b"], "exclusive": [["a", "z"]]}, r"exclusive group 0 names \['z'\]"),
    ({"labels": ["a", "b"], "exclusive": [["a", "a"]]}, "at least two different"),
    ({"labels": ["a", "b"], "none_label": "none"}, "none_label 'none' is not one of the labels"),
    ({"labels": ["a", "b;c"]}, r"label 'b;c' contains ';', which joins a row's labels"),  # read back as b and c
])
def test_bad_spaces_name_the_problem(kwargs, message):
    labels = kwargs.pop("labels")
    with pytest.raises(LabelSpaceError, match=message) as info:
        MultiLabelSpace(labels, **kwargs)
    assert isinstance(info.value, WeakSupError)


def test_unknown_label_index():
    with pytest.raises(LabelSpaceError, match=r"unknown label 'x'; the labels are \['a'\]"):
        MultiLabelSpace(["a"]).index("x")
