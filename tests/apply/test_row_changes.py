"""An LF changing its row never changes what another LF sees, whatever the form (attribute, item) or LF order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import weaksup
from weaksup.lf import labeling_function

TEXTS = ["Great SONG", "check my channel", "Subscribe NOW", "nice"] * 5


@pytest.fixture
def frame():
    return pd.DataFrame({"text": TEXTS, "author": [f"u{i}" for i in range(len(TEXTS))]})


def _sees_upper(x):
    return 1 if any(c.isupper() for c in x.text) else 0


def _lowers_attr(x):
    x.text = x.text.lower()
    return 1 if x.text.startswith("great") else -1  # it sees its own change


def _lowers_item(x):
    x["text"] = x["text"].lower()
    return 1 if x["text"].startswith("great") else -1


def _drops(x):
    del x["text"]
    return -1


EXPECTED_UPPER = np.array([1 if any(c.isupper() for c in t) else 0 for t in TEXTS])
EXPECTED_OWN = np.array([1 if t.lower().startswith("great") else -1 for t in TEXTS])


@pytest.mark.parametrize("changer", [_lowers_attr, _lowers_item])
@pytest.mark.parametrize("first", [True, False])
def test_a_weaksup_lf_changing_its_row_is_unseen_by_the_others(frame, changer, first):
    changes, reads = labeling_function(changer), labeling_function(_sees_upper)
    lfs = [changes, reads] if first else [reads, changes]
    votes = weaksup.apply_lfs(lfs, frame)
    np.testing.assert_array_equal(votes.values[:, lfs.index(reads)], EXPECTED_UPPER)
    np.testing.assert_array_equal(votes.values[:, lfs.index(changes)], EXPECTED_OWN)
    assert frame["text"].tolist() == TEXTS  # the data is untouched


def test_a_weaksup_lf_deleting_a_field_is_unseen_by_the_others(frame):
    votes = weaksup.apply_lfs([labeling_function(_drops), labeling_function(_sees_upper)], frame)
    np.testing.assert_array_equal(votes.values[:, 1], EXPECTED_UPPER)


snorkel_labeling = pytest.importorskip("snorkel.labeling")


@pytest.mark.parametrize("changer", [_lowers_attr, _lowers_item])
@pytest.mark.parametrize("first", [True, False])
def test_a_snorkel_lf_changing_its_row_is_unseen_by_the_others(frame, changer, first):
    changes = snorkel_labeling.LabelingFunction(changer.__name__.lstrip("_"), changer)
    reads = snorkel_labeling.LabelingFunction("sees_upper", _sees_upper)
    lfs = [changes, reads] if first else [reads, changes]
    votes = weaksup.apply_lfs(lfs, frame)
    np.testing.assert_array_equal(votes.values[:, lfs.index(reads)], EXPECTED_UPPER)
    np.testing.assert_array_equal(votes.values[:, lfs.index(changes)], EXPECTED_OWN)


def test_two_changing_snorkel_lfs_on_series_rows_do_not_see_each_other(frame):
    """Both run on pandas Series rows (item assignment): each gets Series rows of its own."""
    def appends(x):
        x["text"] = x["text"] + "!"
        return 1 if x["text"].endswith("!") and not x["text"].endswith("!!") else 0

    lfs = [snorkel_labeling.LabelingFunction("a", appends), snorkel_labeling.LabelingFunction("b", appends)]
    votes = weaksup.apply_lfs(lfs, frame)
    assert (votes.values == 1).all()
