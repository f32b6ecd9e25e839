"""SpanSpace: tags of the BIO and IO schemes, lookups and bad spaces."""

from __future__ import annotations

import pytest

from weaksup.errors import LabelSpaceError, ParameterError
from weaksup.spans.space import SpanSpace


def test_bio_tags_in_type_order():
    space = SpanSpace(["Disease", "Chemical"])
    assert space.tags == ("O", "B-Disease", "I-Disease", "B-Chemical", "I-Chemical")
    assert space.n_tags == 5 and space.types == ("Disease", "Chemical")
    assert [space.type_of(i) for i in range(5)] == [None, "Disease", "Disease", "Chemical", "Chemical"]
    assert [space.is_begin(i) for i in range(5)] == [False, True, False, True, False]
    assert space.tag_id("B-Chemical") == 3
    assert space.begin_ids.tolist() == [1, 3] and space.inside_ids.tolist() == [2, 4]


def test_io_scheme_has_no_begin_tags():
    space = SpanSpace(["A", "B"], scheme="IO")
    assert space.tags == ("O", "I-A", "I-B")
    assert not any(space.is_begin(i) for i in range(space.n_tags))
    assert space.begin_ids.tolist() == space.inside_ids.tolist() == [1, 2]
    assert space.tag_type_ids.tolist() == [-1, 0, 1]


def test_spaces_compare_and_hash_by_value():
    assert SpanSpace(["A"]) == SpanSpace(("A",))
    assert SpanSpace(["A"]) != SpanSpace(["A"], scheme="IO")
    assert len({SpanSpace(["A"]), SpanSpace(["A"])}) == 1
    with pytest.raises(AttributeError):
        SpanSpace(["A"]).scheme = "IO"  # type: ignore[misc]


@pytest.mark.parametrize("types", [[], ["A", "A"], ["O"], [""], ["B-X"], "Disease"])
def test_bad_types_are_label_space_errors(types):
    with pytest.raises(LabelSpaceError):
        SpanSpace(types)


def test_unknown_scheme_tag_and_type():
    with pytest.raises(ParameterError, match="BILOU"):
        SpanSpace(["A"], scheme="BILOU")
    space = SpanSpace(["A"])
    with pytest.raises(LabelSpaceError, match="B-Z"):
        space.tag_id("B-Z")
    with pytest.raises(LabelSpaceError, match="'Z'"):
        space.type_id("Z")
    with pytest.raises(LabelSpaceError):
        space.type_of(3)


def test_json_round_trip():
    space = SpanSpace(["Term"], scheme="IO")
    assert SpanSpace.from_json(space.to_json()) == space
    with pytest.raises(LabelSpaceError):
        SpanSpace.from_json({"scheme": "BIO"})
