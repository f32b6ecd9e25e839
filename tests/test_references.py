"""compare_references: accuracy with abstain = wrong, the split by LF votes, the verdict both ways, the ECE warning."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.errors import ParameterError
from weaksup.evaluate import expected_calibration_error
from weaksup.references import compare_references
from weaksup.verdict import ECE_WARNING, MACRO_MARGIN, NOISE_ALPHA, calibration_warning

NAMES = ["billing", "hardware", "login"]
# 10 gold rows; rows 6-9 have no LF vote
Y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 2])
COVERED = np.arange(10) < 6
SUPERVISED = np.array([0, 0, 1, 0, 2, 2, 0, 1, 2, 0])        # 8 of 10
MAJORITY = np.array([0, 0, 1, 1, 2, -1, -1, -1, -1, -1])     # abstains on a tie and on every no-vote row


def test_abstain_counts_wrong_and_the_split_follows_the_votes():
    refs = compare_references(Y, {"majority_vote": MAJORITY}, covered=COVERED, label_space=NAMES)
    mv = refs["majority_vote"]
    assert mv.accuracy == 0.5 and mv.labelled == 0.5             # 5 right, 5 abstains counted wrong
    assert mv.accuracy_voted == pytest.approx(5 / 6) and mv.accuracy_no_votes == 0.0
    assert (refs.n_rows, refs.n_voted, refs.coverage) == (10, 6, 0.6)
    assert mv.recall["login"] == pytest.approx(1 / 4)             # login rows 4, 5, 8, 9: only row 4 right
    assert refs.verdict is None and "no final and no supervised_on_dev prediction" in refs.missing
    assert refs.ece is None and "final/ece" not in refs.as_metrics()


def test_verdict_when_weak_supervision_adds_points():
    final = Y.copy()
    final[9] = 1                                                      # 9 of 10
    refs = compare_references(Y, {"supervised_on_dev": SUPERVISED, "final": final}, covered=COVERED,
                              label_space=NAMES, n_gold=286, split="test")
    assert refs.beats_supervised is True
    assert refs.verdict == ("weak supervision adds +10.0 points over training on your 286 gold rows "
                            "(final 0.900 vs 0.800: 1 of 10 test rows, within noise)")
    assert refs.lines()[1] == "6 of 10 test gold rows have at least one LF vote (test/coverage 0.600); 4 have none"


def test_verdict_when_it_does_not_beat_names_the_classes_behind_the_baseline():
    # the final labels lose two login rows the supervised model gets right, and gain one billing row
    final = np.array([0, 0, 1, 0, 2, 0, 0, 1, 1, 0])                  # 6 of 10
    refs = compare_references(Y, {"majority_vote": MAJORITY, "supervised_on_dev": SUPERVISED, "final": final},
                              covered=COVERED, label_space=NAMES, n_gold=40)
    assert refs.beats_supervised is False
    assert refs.verdict == ("weak supervision does not beat training on your 40 gold rows (final 0.600 vs 0.800: 2 "
                            "of 10 gold rows, within noise): write LFs for login, or label more")
    tie = compare_references(Y, {"supervised_on_dev": SUPERVISED, "final": SUPERVISED}, covered=COVERED,
                             label_space=NAMES)
    assert tie.beats_supervised is False and "does not beat training on your 10 gold rows" in tie.verdict
    assert "write LFs for hardware, login, or" in tie.verdict   # none behind: the lowest recalls (2/3, 3/4)


def test_verdict_with_a_class_the_gold_rows_lack_asks_for_rows_of_it():
    # every gold row is billing or hardware: it advised "write LFs for billing" (recall 1.0) instead
    y = np.array([0, 0, 1, 1, 0, 1])
    refs = compare_references(y, {"supervised_on_dev": y, "final": y}, covered=np.ones(6, bool), label_space=NAMES,
                              n_gold=6)
    assert refs.verdict.endswith("label gold rows of login: the gold rows have none, so neither is judged there")


def test_as_metrics_and_table():
    proba = np.eye(3)[np.where(Y == 2, 2, Y)] * 0.7 + 0.1
    refs = compare_references(Y, {"majority_vote": MAJORITY, "supervised_on_dev": SUPERVISED, "final": Y},
                              covered=COVERED, final_proba=proba, label_space=NAMES)
    metrics = refs.as_metrics()
    for key in ("reference/supervised_on_dev/accuracy", "reference/majority_vote/accuracy_no_votes",
                "reference/supervised_on_dev/accuracy_voted", "final/accuracy", "final/accuracy_voted",
                "final/accuracy_no_votes", "final/labelled", "final/ece", "final/gain_over_supervised",
                "reference/coverage", "reference/n_dev_gold"):
        assert key in metrics, key
    assert all(isinstance(v, float) for v in metrics.values())
    assert metrics["reference/supervised_on_dev/accuracy"] == 0.8 and metrics["final/accuracy_no_votes"] == 1.0
    assert metrics["final/gain_over_supervised"] == pytest.approx(0.2)
    assert metrics["final/ece"] == pytest.approx(expected_calibration_error(Y, proba)) == pytest.approx(0.2)
    table = refs.table()
    assert table.index.tolist() == ["majority_vote", "supervised_on_dev", "final"]
    assert table.loc["majority_vote", "accuracy, rows with no vote"] == 0.0
    text = refs.text()
    assert refs.verdict in text and "supervised_on_dev" in text and "overstated" not in text


def test_ece_warning_above_the_threshold_in_plain_words():
    y = np.array([0, 1] * 10)
    overconfident = np.tile([0.95, 0.05], (20, 1))                 # always class 0 at 0.95: half right
    refs = compare_references(y, {"final": np.zeros(20, int)}, covered=np.ones(20, bool), final_proba=overconfident)
    assert refs.ece == pytest.approx(0.45)
    assert refs.ece_warning == ("confidences are overstated (ECE 0.450): of the 20 rows labelled with >= 0.9 "
                                "confidence only 50% are right")
    assert refs.ece_warning in refs.text()
    # just under and just over the threshold
    assert calibration_warning(y, overconfident, ECE_WARNING) is None
    assert calibration_warning(y, overconfident, ECE_WARNING + 1e-6) is not None
    modest = np.tile([0.75, 0.25], (20, 1))                          # 75% confident, 50% right, none >= 0.9
    assert "mean confidence 75% but only 50%" in calibration_warning(y, modest, 0.25)
    shy = np.tile([0.55, 0.45], (20, 1))
    assert calibration_warning(np.zeros(20, int), shy, 0.45).startswith("confidences are understated")
    calibrated = compare_references(y, {"final": np.zeros(20, int)}, covered=np.ones(20, bool),
                                    final_proba=np.tile([0.5, 0.5], (20, 1)))
    assert calibrated.ece == pytest.approx(0.0) and calibrated.ece_warning is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"predictions": {}}, "at least one prediction"),
    ({"predictions": {"final": Y[:3]}}, "prediction 'final' has 3 labels but y_true has 10 rows"),
    ({"covered": COVERED[:4]}, "covered has 4 entries but y_true has 10 rows"),
    ({"final_proba": np.ones((10, 2)) / 2}, r"final_proba must have shape \(10, 3\)"),
    ({"y_true": np.r_[Y[:9], -1]}, "rows without a gold label"),
    ({"predictions": {"final": np.r_[Y[:9], 5]}}, "class id 5 is outside the label space"),
])
def test_bad_inputs_say_what_is_wrong(kwargs, message):
    args = {"y_true": Y, "predictions": {"final": Y}, "covered": COVERED, "label_space": NAMES, **kwargs}
    with pytest.raises(ParameterError, match=message):
        compare_references(args.pop("y_true"), args.pop("predictions"), **args)


def test_the_final_ece_and_its_warning_leave_abstained_rows_out():
    # abstained rows carry uniform probabilities: their argmax read as confident guesses of class 0, and the warning
    # said "mean confidence 62% but 96% of the rows are right" with the final labels 24% right
    y = np.array([0] * 9 + [1])
    final = np.array([0, 1, -1, -1, -1, -1, -1, -1, -1, -1])
    proba = np.full((10, 3), 1 / 3)
    proba[0], proba[1] = [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]
    refs = compare_references(y, {"final": final}, covered=np.ones(10, bool), final_proba=proba, label_space=NAMES)
    assert refs.ece == pytest.approx(expected_calibration_error(y[:2], proba[:2]))  # row 1 is wrong at 0.9
    assert refs.ece_warning is not None and "of the 2 rows labelled with >= 0.9 confidence only 50% are right" in \
        refs.ece_warning


# the 7-class walkthrough: 500 test rows, no LF votes for fear or disgust; the gold-only classifier says joy to all
# but 11 amusement rows (0.462), the final labels get 229 rows right (0.458) but many more of the small classes
EMOTIONS = ["joy", "amusement", "anger", "sadness", "surprise", "fear", "disgust"]
Y7 = np.repeat(np.arange(7), [220, 130, 50, 40, 30, 15, 15])
SUPERVISED7 = np.where(np.isin(np.arange(500), np.flatnonzero(Y7 == 1)[:11]), 1, 0)
FINAL7 = np.zeros(500, dtype=int)
for _c, _right in enumerate([120, 55, 25, 17, 12]):
    _rows = np.flatnonzero(Y7 == _c)
    FINAL7[_rows] = 1 if _c == 0 else 0                       # wrong ...
    FINAL7[_rows[:_right]] = _c                                # ... but for the first `_right` rows of the class
VOTES7 = np.tile(np.array([[0, 1, -1], [2, -1, 3], [4, -1, -1], [-1, 1, 0]]), (25, 1))  # classes 0-4; 5, 6 never


def test_the_classes_no_lf_votes_for_lead_the_advice_and_are_warned_about():
    # it advised "write LFs for joy, or label more" (joy has LFs) and nothing said no LF votes for fear or disgust:
    # at recall 0 in both references they were never behind
    refs = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, covered=np.ones(500, bool),
                              label_space=EMOTIONS, n_gold=300, split="test", votes=VOTES7)
    assert refs["final"].recall[["fear", "disgust"]].tolist() == refs["supervised_on_dev"].recall[["fear",
                                                                                                    "disgust"]].tolist() == [0, 0]
    assert refs.verdict.endswith("): no LF votes for fear, disgust: write LFs for them (and for joy), or label more")
    assert refs.unvoted_warning == ("no LF votes for fear, disgust (none of the 175 votes on the 100 rows labeled): "
                                    "write LFs for them")
    # the "does not beat" verdict's advice names them: the lines and the text say so once
    assert refs.unvoted_note is None and "\n".join(refs.lines()).count("no LF votes for fear, disgust") == 1
    assert refs.text().count("no LF votes for") == 1
    # said when weak supervision wins too, and not at all without the votes or when every class has a vote
    wins = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": Y7}, covered=np.ones(500, bool),
                              label_space=EMOTIONS, votes=VOTES7)
    assert wins.beats_supervised and wins.unvoted_note == wins.unvoted_warning and wins.lines()[-1] == wins.unvoted_note
    assert "no LF votes" not in wins.verdict
    blind = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, covered=np.ones(500, bool),
                               label_space=EMOTIONS)
    assert blind.unvoted_warning is None and "no LF votes" not in blind.verdict  # (the final labels find no fear:
    assert blind.verdict.endswith("): the final labels find none of the gold rows of fear, disgust: write LFs for "
                                  "them (and for joy), or label more")  # tests/test_references.py below)
    every = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, covered=np.ones(500, bool),
                               label_space=EMOTIONS, votes=np.c_[VOTES7, np.r_[[5, 6] * 50]])
    assert every.unvoted_warning is None and "no LF votes" not in "\n".join(every.lines())


def test_vote_counts_let_distinct_vote_patterns_stand_for_their_rows():
    # an engine run has its votes only as distinct patterns with their counts (millions of rows): given as
    # ``vote_counts``, the warning's figures are those of the rows, as if every row's votes were passed
    patterns, counts = np.unique(VOTES7, axis=0, return_counts=True)
    assert len(patterns) == 4 and counts.tolist() == [25] * 4
    kwargs = dict(covered=np.ones(500, bool), label_space=EMOTIONS, n_gold=300, split="test")
    rows = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, votes=VOTES7, **kwargs)
    weighted = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, votes=patterns,
                                  vote_counts=counts, **kwargs)
    assert weighted.unvoted_warning == rows.unvoted_warning == (
        "no LF votes for fear, disgust (none of the 175 votes on the 100 rows labeled): write LFs for them")
    assert weighted.verdict == rows.verdict
    # the counts weigh each pattern: 1 + 1000 rows of two patterns, 1 + 2 * 1000 votes
    two = compare_references(Y7, {"final": FINAL7}, votes=np.array([[0, -1], [1, 2]]), vote_counts=[1, 1000],
                             **kwargs)
    assert two.unvoted_warning == ("no LF votes for sadness, surprise, fear, disgust (none of the 2,001 votes on the 1,001 "
                                   "rows labeled): write LFs for them")
    # a pattern counted 0 times votes for nobody: its classes are unvoted
    none = compare_references(Y7, {"final": FINAL7}, votes=np.array([[0, -1], [1, 2]]), vote_counts=[5, 0], **kwargs)
    assert none.unvoted_warning == ("no LF votes for amusement, anger, sadness, surprise, fear, disgust (none of the "
                                    "5 votes on the 5 rows labeled): write LFs for them")
    with pytest.raises(ParameterError, match="vote_counts has 3 entries but votes has 2 rows"):
        compare_references(Y7, {"final": FINAL7}, votes=np.array([[0, -1], [1, 2]]), vote_counts=[1, 2, 3], **kwargs)
    with pytest.raises(ParameterError, match="vote_counts without votes"):
        compare_references(Y7, {"final": FINAL7}, vote_counts=[1, 2], **kwargs)
    with pytest.raises(ParameterError, match="negative"):
        compare_references(Y7, {"final": FINAL7}, votes=np.array([[0, -1], [1, 2]]), vote_counts=[1, -2], **kwargs)


def test_the_verdict_says_the_difference_in_rows_whether_it_is_noise_and_a_disagreeing_macro_recall():
    # it said "does not beat ... (final 0.458 vs 0.462)": 2 of 500 rows, with macro recall 0.328 vs 0.155 the other way
    refs = compare_references(Y7, {"supervised_on_dev": SUPERVISED7, "final": FINAL7}, covered=np.ones(500, bool),
                              label_space=EMOTIONS, n_gold=300, split="test")
    assert refs.beats_supervised is False
    assert refs.verdict.startswith(
        "weak supervision does not beat training on your 300 gold rows (final 0.458 vs 0.462: 2 of 500 test rows, "
        "within noise; macro recall 0.328 vs 0.155: the final labels find more of the small classes): ")


@pytest.mark.parametrize(("wins", "losses", "noise"), [(15, 5, False), (14, 6, True), (0, 0, True), (5, 15, False)])
def test_within_noise_is_an_exact_mcnemar_test_on_the_discordant_rows(wins, losses, noise):
    from scipy.stats import binomtest

    y = np.zeros(100, dtype=int)                                    # one class: macro recall = accuracy
    supervised, final = y.copy(), y.copy()
    final[:losses] = 1                                              # rows only the supervised model gets right
    supervised[50:50 + wins] = 1                                    # rows only the final labels get right
    supervised[90:], final[90:] = 1, 1                              # both wrong: not discordant, not counted
    refs = compare_references(y, {"supervised_on_dev": supervised, "final": final}, covered=np.ones(100, bool),
                              label_space=["a", "b"], split="test")
    assert f": {abs(wins - losses)} of 100 test rows" in refs.verdict
    assert ("within noise" in refs.verdict) is noise
    if wins + losses:
        assert bool(binomtest(wins, wins + losses).pvalue >= NOISE_ALPHA) is noise
    assert "macro recall" not in refs.verdict                       # it agrees with accuracy


def test_macro_recall_is_said_when_it_favours_the_other_side_by_the_margin():
    # the final labels win on accuracy (the big class) and lose the small class the supervised model finds
    y = np.array([0] * 90 + [1] * 10)
    supervised = np.r_[np.ones(5, int), np.zeros(75, int), np.ones(20, int)]  # 85 right, recall 0.833 / 1.0
    final = np.zeros(100, dtype=int)                                          # 90 right, recall 1.0 / 0.0
    refs = compare_references(y, {"supervised_on_dev": supervised, "final": final}, covered=np.ones(100, bool),
                              label_space=["big", "small"], split="test")
    assert refs.beats_supervised is True
    assert refs.verdict.endswith("(final 0.900 vs 0.850: 5 of 100 test rows, within noise; macro recall 0.500 vs "
                                 "0.917: the gold-only classifier finds more of the small classes)")
    close = compare_references(y, {"supervised_on_dev": final, "final": final}, covered=np.ones(100, bool))
    assert "macro recall" not in close.verdict                       # a tie: no difference at all
    assert MACRO_MARGIN == 0.05


def test_the_ece_warning_reads_the_classes_the_final_labels_gave():
    # the ECE read the given classes (ties broken) but the warning the argmax: "only 0% of the rows are right"
    # for four rows all right at 50% confidence
    y = np.array([1, 1, 1, 1])
    refs = compare_references(y, {"final": y}, covered=np.ones(4, bool), final_proba=np.tile([0.5, 0.5], (4, 1)))
    assert refs.ece == 0.5 and refs.ece_warning.startswith("confidences are understated (ECE 0.500)")
    assert "mean confidence 50% but 100% of the rows are right" in refs.ece_warning


def test_a_class_the_final_labels_never_find_leads_the_advice():
    # the tabular claims walkthrough: 274 legit and 26 fraud test rows; neither the final labels nor the gold-only
    # classifier finds one fraud row, so fraud was never "behind" and the advice said "write LFs for legit"
    y = np.repeat([0, 1], [274, 26])
    supervised = np.zeros(300, dtype=int)                      # legit everywhere: 0.913
    final = np.where(np.arange(300) < 200, 0, -1)              # legit on 200 rows, abstains on the rest: 0.667
    refs = compare_references(y, {"supervised_on_dev": supervised, "final": final}, covered=np.ones(300, bool),
                              label_space=["legit", "fraud"], n_gold=300, split="test")
    assert refs["final"].recall["fraud"] == refs["supervised_on_dev"].recall["fraud"] == 0
    assert refs.verdict.endswith("): the final labels find none of the gold rows of fraud: write LFs for it "
                                 "(and for legit), or label more")
    # with no LF vote for fraud, the no-vote words say it (once); a class with votes but no find still leads
    unvoted = compare_references(y, {"supervised_on_dev": supervised, "final": final}, covered=np.ones(300, bool),
                                 label_space=["legit", "fraud"], votes=np.zeros((300, 1), dtype=int))
    assert unvoted.verdict.endswith("): no LF votes for fraud: write LFs for them (and for legit), or label more")
    three = compare_references(np.repeat([0, 1, 2], [270, 20, 10]), {"supervised_on_dev": supervised,
                                                                     "final": final}, covered=np.ones(300, bool),
                               label_space=["legit", "fraud", "abuse"], votes=np.c_[np.zeros(300, int),
                                                                                   np.r_[[1] * 150, [-1] * 150]])
    assert three.verdict.endswith("): the final labels find none of the gold rows of fraud; no LF votes for abuse: "
                                  "write LFs for them (and for legit), or label more")
