"""Row ids derived from keys that may repeat."""

from __future__ import annotations

import pytest

from weaksup.data import make_row_ids
from weaksup.errors import DataError


def test_make_row_ids_is_stable_and_unique():
    assert make_row_ids(["a", "b", "a", 7, "a"]) == ["a", "b", "a#2", "7", "a#3"]
    with pytest.raises(DataError, match="already end in"):
        make_row_ids(["a", "a", "a#2"])
