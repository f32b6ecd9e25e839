"""The labels a run wrote, as the report takes them: counted with their abstains, scored on the gold rows they are
given for, and refused with what to fix when they do not fit the label space."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.alignment import AlignedGold
from weaksup.errors import ParameterError
from weaksup.references import compare_references
from weaksup.report.written import WrittenLabels, evaluate_written
from weaksup.votes import VoteMatrix

VOTES = VoteMatrix([[0, -1], [1, 1], [-1, -1], [0, 0], [-1, -1]], row_ids=["a", "b", "c", "d", "e"])
GOLD = np.array([0, 1, 1, 1, -1])  # e has no gold label


def test_a_labels_column_is_counted_with_its_abstains_and_sources():
    column = pd.Series(["ham", None, "spam", np.nan, "spam"])
    written = WrittenLabels.of(column, label_space=["ham", "spam"], row_ids=list("abcde"),
                               sources=["human", None, "end_model", None, "label_model"])
    assert written.labels.tolist() == [0, -1, 1, -1, 1] and written.row_ids.tolist() == list("abcde")
    assert written.counts == {"ham": 1, "spam": 2, "abstain": 2}
    assert written.rows(["ham", "spam"]).tolist() == [1, 2, 2]
    assert written.shares(["ham", "spam"]).to_dict() == {"ham": 0.2, "spam": 0.4, "abstain": 0.4}
    assert written.sources == {"(none)": 2, "human": 1, "end_model": 1, "label_model": 1}
    # a run's label_counts spell the abstains "(abstain)"
    assert WrittenLabels({"ham": 3, "spam": 0, "(abstain)": 1}).shares(["ham", "spam"]).tolist() == [0.75, 0.0, 0.25]


def test_written_labels_that_do_not_fit_are_refused_with_the_fix():
    with pytest.raises(ParameterError, match=r"labels \['eggs'\] are not in the label space \['ham', 'spam'\]"):
        WrittenLabels.of(["ham", "eggs"], label_space=["ham", "spam"])
    with pytest.raises(ParameterError, match=r"counts of \['maybe'\], not classes .* as 'abstain'"):
        WrittenLabels({"ham": 1, "maybe": 2}).shares(["ham", "spam"])
    with pytest.raises(ParameterError, match="1 labels for 2 row_ids"):
        WrittenLabels({}, row_ids=["a", "b"], labels=[0])
    with pytest.raises(ParameterError, match="row_ids repeat a row"):
        WrittenLabels({}, row_ids=["a", "a"], labels=[0, 1])
    with pytest.raises(ParameterError, match="build them from class names with WrittenLabels.of"):
        WrittenLabels({}, row_ids=["a"], labels=["ham"])
    with pytest.raises(ParameterError, match=r"class id 2 is outside 0..1"):
        evaluate_written(WrittenLabels({}, row_ids=["a"], labels=[2]), VOTES, AlignedGold.of(GOLD, VOTES), None,
                         ["ham", "spam"])


def test_the_written_labels_are_scored_on_the_gold_rows_they_are_given_for_abstains_counted_wrong():
    aligned = AlignedGold.of(GOLD, VOTES)
    written = WrittenLabels({}, row_ids=["d", "c", "b", "a", "e"], labels=[1, -1, 1, 0, 0])  # any order
    ev = evaluate_written(written, VOTES, aligned, None, ["ham", "spam"])
    assert ev.confusion.loc["spam"].tolist() == [0, 2, 1] and ev.confusion.loc["ham"].tolist() == [1, 0, 0]
    assert ev.confusion.columns.tolist() == ["ham", "spam", "abstain"] and ev.n_rows == 4 and ev.n_missing == 0
    # the references' scores of the same labels: row c (no vote) abstained is wrong
    same = compare_references([0, 1, 1, 1], {"final": [0, 1, -1, 1]}, covered=[True, True, False, True])
    assert ev.score.as_dict() == same["final"].as_dict() and not ev.from_references
    assert (ev.score.accuracy, ev.score.accuracy_no_votes, ev.score.labelled) == (0.75, 0.0, 0.75)
    part = evaluate_written(WrittenLabels({}, row_ids=["a", "b"], labels=[0, 0]), VOTES, aligned, None, ["ham", "spam"])
    assert (part.n_rows, part.n_missing, part.score.accuracy) == (2, 2, 0.5)
    assert evaluate_written(WrittenLabels({"ham": 5}), VOTES, aligned, None, ["ham", "spam"]) is None


def test_the_references_final_scores_are_reused_only_on_the_same_rows():
    aligned = AlignedGold.of(GOLD, VOTES)
    written = WrittenLabels({}, row_ids=list("abcd"), labels=[0, 1, -1, 1])
    final = {"final": [0, 1, -1, 1]}
    refs = compare_references([0, 1, 1, 1], final, covered=[True, True, False, True])
    reused = evaluate_written(written, VOTES, aligned, None, ["ham", "spam"], refs)
    assert reused.from_references and reused.score is refs["final"]
    of_test = compare_references([0, 1, 1, 1], final, covered=[True, True, False, True], split="test")
    other = evaluate_written(written, VOTES, aligned, None, ["ham", "spam"], of_test)  # another split: scored here
    assert not other.from_references and other.score.as_dict() == refs["final"].as_dict()
    fewer = evaluate_written(WrittenLabels({}, row_ids=list("abc"), labels=[0, 1, -1]), VOTES, aligned, None,
                             ["ham", "spam"], refs)  # not every gold row given: not the references' rows
    assert not fewer.from_references and fewer.n_missing == 1
