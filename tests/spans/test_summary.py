"""span_lf_summary: counts, coverage, overlaps and conflicts by hand, and accuracy against gold."""

from __future__ import annotations

import pandas as pd
import pytest

from weaksup.errors import DataError
from weaksup.spans.doc import Span
from weaksup.spans.space import SpanSpace
from weaksup.spans.summary import SUMMARY_COLUMNS, span_lf_summary
from weaksup.spans.votes import SPAN_COLUMNS, SpanVotes


def _votes():
    rows = [(0, 0, 0, 2, "Chemical"), (0, 1, 1, 3, "Chemical"), (0, 2, 1, 2, "Disease"), (1, 0, 0, 1, "Disease"),
            (1, 0, 2, 4, "Chemical")]
    return SpanVotes([5, 5], ["a@1", "b@1", "c@1", "d@1"], SpanSpace(["Chemical", "Disease"]),
                     pd.DataFrame(rows, columns=list(SPAN_COLUMNS)))


def test_counts_and_token_shares():
    s = span_lf_summary(_votes()).set_index("lf")
    assert list(s.reset_index().columns) == SUMMARY_COLUMNS[:-3]
    assert s["spans"].tolist() == [3, 1, 1, 0] and s["docs_covered"].tolist() == [2, 1, 1, 0]
    assert s["types"].tolist() == ["Chemical,Disease", "Chemical", "Disease", ""]
    assert s["token_coverage"].tolist() == pytest.approx([5 / 10, 2 / 10, 1 / 10, 0])
    # token 1 of doc 0: a (Chemical), b (Chemical), c (Disease); token 0: a alone; token 2: b alone
    assert s["overlaps"].tolist() == pytest.approx([1 / 10, 1 / 10, 1 / 10, 0])
    assert s["conflicts"].tolist() == pytest.approx([1 / 10, 1 / 10, 1 / 10, 0])


def test_against_gold():
    gold = [[Span(0, 2, "Chemical")], [Span(0, 1, "Disease"), Span(2, 3, "Chemical")]]
    s = span_lf_summary(_votes(), gold).set_index("lf")
    assert s.loc["a@1", ["precision", "recall"]].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert s.loc["b@1", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    assert s.loc["d@1", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]  # tags nothing: 0, not nan
    with pytest.raises(DataError, match="votes.take"):
        span_lf_summary(_votes(), gold[:1])


def test_no_tokens():
    votes = SpanVotes([0], ["a"], SpanSpace(["X"]), pd.DataFrame(columns=list(SPAN_COLUMNS)))
    assert span_lf_summary(votes)[["spans", "token_coverage"]].values.tolist() == [[0, 0.0]]
