from __future__ import annotations

import pytest

from weaksup import ABSTAIN, LabelSpace
from weaksup.errors import LabelSpaceError


def test_ids_and_names():
    space = LabelSpace(["ham", "spam"])
    assert space["spam"] == 1 and space[0] == "ham" and list(space) == ["ham", "spam"]
    assert space.name(ABSTAIN) == "" and space.cardinality == 2 and "ham" in space


@pytest.mark.parametrize(("names", "message"), [([], "at least one"), (["a", "a"], "appears twice"), (["a", " "], "non-blank")])
def test_bad_spaces(names, message):
    with pytest.raises(LabelSpaceError, match=message):
        LabelSpace(names)


def test_unknown_labels_list_the_space():
    space = LabelSpace(["ham", "spam"])
    with pytest.raises(LabelSpaceError, match=r"unknown label 'eggs'; the label space is \['ham', 'spam'\]"):
        space.id("eggs")
    with pytest.raises(LabelSpaceError, match=r"outside 0..1"):
        space.name(2)


@pytest.mark.parametrize("names, fix", [("pos", "LabelSpace(['pos'])"), ("ham,spam", "LabelSpace(['ham', 'spam'])")])
def test_one_string_is_refused_with_the_list_to_pass(names, fix):
    # a str iterates as characters: LabelSpace("pos") must not become ['p', 'o', 's']
    with pytest.raises(LabelSpaceError, match="not one string") as caught:
        LabelSpace(names)
    assert fix in str(caught.value)
