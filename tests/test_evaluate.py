"""Metric definitions on hand-computed cases, the majority-vote baseline, per-LF error examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from tests.report.helpers import YOUTUBE_GOLD, fit_default
from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats
from weaksup.apply import apply_lfs
from weaksup.errors import DataError, GoldSetError, LabelSpaceError, MissingColumnError, NotFittedError, ParameterError
from weaksup.evaluate import BASELINE, evaluate, expected_calibration_error, gold_rows, label_metrics, lf_errors
from weaksup.gold import load_gold, write_gold
from weaksup.models import DawidSkene, MajorityVote
from weaksup.votes import VoteMatrix

# Three classes; the model abstains on row 3.
Y = [0, 0, 1, 1, 2, 2]
PRED = [0, 1, 1, -1, 2, 0]
PROBA = np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 1, 0], [0.5, 0.5, 0], [0, 0, 1], [0.6, 0, 0.4]])


def test_abstains_count_as_wrong_in_accuracy_and_as_misses_in_recall():
    m = label_metrics(Y, PROBA, PRED, label_space=["a", "b", "c"])
    assert m.accuracy == pytest.approx(3 / 6)        # rows 0, 2, 4 right; the abstain is wrong
    assert m.accuracy_labelled == pytest.approx(3 / 5)
    assert m.labelled == pytest.approx(5 / 6)
    # without the rows' votes the split by votes is unknown, never guessed from the model's own labels
    assert np.isnan(m.coverage) and np.isnan(m.accuracy_voted) and m.n_voted is None
    assert m.per_class["precision"].tolist() == pytest.approx([1 / 2, 1 / 2, 1])
    assert m.per_class["recall"].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 2])   # b's abstained row is a miss
    assert m.per_class["f1"].tolist() == pytest.approx([1 / 2, 1 / 2, 2 / 3])
    assert m.per_class["support"].tolist() == [2, 2, 2]
    assert (m.macro_precision, m.macro_recall) == pytest.approx((2 / 3, 1 / 2))
    assert m.macro_f1 == pytest.approx((1 / 2 + 1 / 2 + 2 / 3) / 3)
    assert m.confusion.columns.tolist() == ["a", "b", "c", "abstain"]
    assert m.confusion.to_numpy().tolist() == [[1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0]]


def test_brier_and_ece_by_hand():
    m = label_metrics(Y, PROBA, PRED)
    # squared errors per row: 0, 0.5, 0, 0.5, 0, 0.36 + 0.36
    assert m.brier == pytest.approx(1.72 / 6)
    # over the 5 rows given a class (row 3 abstains), each at the probability of its given class: 1.0 (3 rows,
    # all right), 0.5 (row 1 given b, wrong) and 0.6 (row 5 given a, wrong)
    assert m.ece == pytest.approx((0.5 + 0.6) / 5)
    assert m.calibration["n"].tolist() == [1, 1, 3]
    assert m.calibration["accuracy"].tolist() == [0.0, 0.0, 1.0]
    binary = label_metrics([0, 1], np.array([[0.8, 0.2], [0.4, 0.6]]))
    assert binary.brier == pytest.approx((0.2**2 + 0.4**2) / 2)  # the usual binary Brier on the positive class


def test_ece_and_calibration_leave_out_rows_given_no_class_like_the_final_labels_ece():
    # majority vote's uniform row (no votes) is an abstain: before, its argmax read as a 0.5 guess of class 0
    uniform = label_metrics([1, 1, 0], np.array([[0.5, 0.5], [0.1, 0.9], [0.8, 0.2]]))
    assert uniform.labelled == pytest.approx(2 / 3)
    assert uniform.calibration["n"].sum() == 2
    assert uniform.ece == pytest.approx((0.1 + 0.2) / 2)
    assert uniform.brier == pytest.approx((0.5**2 + 0.1**2 + 0.2**2) / 3)  # Brier still judges every row


def test_ece_is_zero_when_calibrated_and_the_gap_when_overconfident():
    y = np.array([0, 0, 0, 1])
    assert expected_calibration_error(y, np.tile([0.75, 0.25], (4, 1))) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([0, 1]), np.array([[0.9, 0.1], [0.9, 0.1]])) == pytest.approx(0.4)


def test_without_predictions_the_most_probable_class_is_used_and_a_tie_is_an_abstain():
    m = label_metrics([1, 0], np.array([[0.3, 0.7], [0.2, 0.8]]))
    assert (m.accuracy, m.labelled) == (0.5, 1.0)
    no_votes = np.full((4, 2), -1)  # majority vote's rows without a vote are uniform: not a guess of class 0
    m = label_metrics([0, 0, 1, 0], MajorityVote(cardinality=2).fit(no_votes).predict_proba(no_votes))
    assert (m.accuracy, m.labelled) == (0.0, 0.0)


def test_coverage_means_some_lf_voted_not_that_the_model_gave_a_class():
    # rows 3-5 have no vote; the model labels them all from its prior (class 0): 1 of 3 right
    covered = [True, True, True, False, False, False]
    m = label_metrics([0, 1, 1, 0, 1, 1], np.tile([0.6, 0.4], (6, 1)), [0, 1, 1, 0, 0, 0], covered=covered)
    assert m.labelled == 1.0 and m.coverage == 0.5      # it labelled every row, but only half were covered
    assert (m.n_voted, m.n_no_votes) == (3, 3)
    assert m.accuracy_voted == 1.0 and m.accuracy_no_votes == pytest.approx(1 / 3)
    assert m.accuracy == pytest.approx(4 / 6) != m.accuracy_voted
    assert m.as_dict()["n_no_votes"] == 3.0
    abstaining = label_metrics([0, 1, 1, 0], np.tile([0.6, 0.4], (4, 1)), [0, 1, -1, -1],
                               covered=[True, True, True, False])
    assert abstaining.accuracy_voted == pytest.approx(2 / 3)  # an abstain on a voted row is wrong there too
    assert abstaining.accuracy_no_votes == 0.0 and abstaining.accuracy_labelled == 1.0
    everything = label_metrics([0, 1], np.tile([0.6, 0.4], (2, 1)), covered=[True, True])
    assert np.isnan(everything.accuracy_no_votes) and everything.n_no_votes == 0


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    (([0, -1], np.ones((2, 2)) / 2), {}, ParameterError, "y_true holds ABSTAIN"),
    (([0, 1], np.ones((3, 2)) / 2), {}, ParameterError, r"proba must have shape \(2, k\)"),
    (([0, 1], np.ones((2, 2)) / 2), {"label_space": ["a", "b", "c"]}, LabelSpaceError,
     r"proba has 2 columns but the label space has 3 classes"),
    (([0, 1], np.ones((2, 2)) / 2), {"covered": [True]}, ParameterError, "covered has 1 flags but y_true has 2"),
    (([0, 1], np.ones((2, 2)) / 2, [0]), {}, ParameterError, "y_pred has 1 labels but y_true has 2"),
    ((["ham", "spam"], np.ones((2, 2)) / 2), {}, ParameterError,
     r"y_true holds 'ham' \(str\), not class ids: pass class ids \(e.g. LABELS.id\(\"ham\"\)"),
    (([0, 1.5], np.ones((2, 2)) / 2), {}, ParameterError, r"y_true holds 1.5 \(float\), not class ids"),
    (([0, 5], np.ones((2, 2)) / 2), {}, ParameterError, r"y_true holds class id 5, outside 0..1"),
    (([0, 1], np.ones((2, 2)) / 2, [0, 7]), {}, ParameterError, r"y_pred holds class id 7, outside 0..1"),
    (([0, 1], np.array([[0.5, np.nan], [1.5, 0.0]])), {}, ParameterError, r"proba must hold probabilities"),
])
def test_bad_metric_inputs_say_what_is_wrong(args, kwargs, error, message):
    with pytest.raises(error, match=message) as caught:
        label_metrics(*args, **kwargs)
    assert isinstance(caught.value, ValueError)  # still a ValueError for callers that catch that


class ConstantModel:
    """Always says class 0 with probability 0.9."""

    name = "Constant"

    def predict_proba(self, L):
        return np.tile([0.9, 0.1], (len(L), 1))

    def predict(self, L, *, tie_break="abstain"):
        return np.zeros(len(L), dtype=int)


@pytest.fixture()
def small(tmp_path):
    votes = VoteMatrix([[1, 1, -1], [0, 1, -1], [1, -1, -1], [-1, -1, -1], [0, 0, 0]], row_ids=list("pqrst"),
                       lf_names=["f", "g", "h"])
    rows = pd.DataFrame({"row_id": list("pqrst"), "label": ["y", "y", "y", "x", "x"],
                         "split": ["test", "test", "test", "test", "dev"]})
    return votes, write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])


def test_evaluate_measures_the_test_split_beside_majority_vote(small):
    votes, gold = small
    ev = evaluate(votes, gold, ConstantModel())
    assert ev.split == "test" and ev.gold_hash == gold.hash and ev.model.n_gold == 4
    assert ev.model.accuracy == 0.25                   # says x; only row s is x
    # majority vote on p, q, r, s: y, tie (abstain), y, no votes (abstain)
    assert ev.baseline.name == BASELINE
    assert (ev.baseline.accuracy, ev.baseline.accuracy_labelled, ev.baseline.labelled) == (0.5, 1.0, 0.5)
    # row s has no vote: coverage is 3/4 for both, whatever each model outputs there
    assert ev.model.coverage == ev.baseline.coverage == 0.75 and ev.model.labelled == 1.0
    assert (ev.model.accuracy_voted, ev.model.accuracy_no_votes) == (0.0, 1.0)     # says x on s, which is x
    assert (ev.baseline.accuracy_voted, ev.baseline.accuracy_no_votes) == (2 / 3, 0.0)
    table = ev.table()
    assert table.columns.tolist() == ["Constant", BASELINE, "difference"]
    assert table.loc["accuracy (all gold rows, abstain = wrong)"].tolist() == [0.25, 0.5, -0.25]
    assert ev.formatted().loc["gold rows"].tolist() == ["4", "4", "0"]
    assert ev.formatted().loc["rows with no LF vote"].tolist() == ["1", "1", "0"]
    assert ev.formatted().loc["labelled (share given a class)"].tolist() == ["1.000", "0.500", "+0.500"]
    summary = ev.summary()
    assert "Constant is WORSE than majority vote on the 4 test gold rows" in summary
    assert "on the 3 rows with an LF vote 0.000 vs 0.667, on the 1 with none 1.000 vs 0.000" in summary
    assert summary.endswith("NOT better than always predicting the most common class, 'y' (0.750 of these gold rows)")
    metrics = ev.to_metrics()
    assert metrics["test/label_model/accuracy"] == 0.25 and metrics["test/majority_vote/labelled"] == 0.5
    assert metrics["test/majority_vote/coverage"] == 0.75 and metrics["test/label_model/n_no_votes"] == 1
    assert metrics["test/majority_vote/recall/y"] == pytest.approx(2 / 3)


def test_the_summary_names_the_most_common_class_only_when_the_model_does_not_beat_it(tmp_path):
    from weaksup.gold import write_gold

    ids = [f"r{i}" for i in range(20)]
    labels = ["legit"] * 18 + ["fraud"] * 2
    gold = write_gold(pd.DataFrame({"row_id": ids, "label": labels, "split": "test"}), tmp_path / "g", task="t",
                      label_space=["legit", "fraud"])
    rule = VoteMatrix([[1]] * 20, row_ids=ids)  # a fraud rule firing on every row: 10% right
    said = evaluate(rule, gold, MajorityVote(cardinality=2).fit(rule)).summary()
    assert "NOT better than always predicting the most common class, 'legit' (0.900 of these gold rows)" in said
    right = VoteMatrix([[0]] * 18 + [[1]] * 2, row_ids=ids)
    assert "most common class" not in evaluate(right, gold, MajorityVote(cardinality=2).fit(right)).summary()


def test_tie_break_policy_applies_to_both_models(small):
    votes, gold = small
    ev = evaluate(votes, gold, MajorityVote(cardinality=2).fit(votes), tie_break="seeded_random")
    assert ev.baseline.labelled == 1.0 and ev.baseline.coverage == 0.75 and ev.tie_break == "seeded_random"


def test_gold_may_be_the_gold_set_folder_but_not_a_frame_or_class_names(small):
    votes, gold = small
    by_folder = evaluate(votes, gold.path, ConstantModel())
    assert by_folder.model.accuracy == evaluate(votes, gold, ConstantModel()).model.accuracy
    with pytest.raises(GoldSetError, match=r"gold is a DataFrame: pass a GoldSet \(weaksup.gold.load_gold"):
        evaluate(votes, gold.frame, ConstantModel())
    with pytest.raises(GoldSetError, match=r"gold holds 'y' \(str\), not class ids"):
        evaluate(votes, ["y", "y", "y", "x", "x"], ConstantModel())
    for model in (MajorityVote, "MajorityVote"):
        with pytest.raises(ParameterError, match=r"pass a fitted label model .* not a class or a name"):
            evaluate(votes, gold, model)


def test_no_gold_row_among_the_votes_is_an_error(small):
    votes, gold = small
    other = VoteMatrix(votes.values, row_ids=list("vwxyz"))
    with pytest.raises(GoldSetError, match="no row of the vote matrix has a gold label in split 'test'"):
        evaluate(other, gold, ConstantModel())


def test_precomputed_statistics_aligned_gold_and_baseline_give_the_same_evaluation(small):
    votes, gold = small
    plain = evaluate(votes, gold, ConstantModel())
    baseline = MajorityVote(cardinality=2).fit(votes)
    handed = evaluate(VoteStats.of(votes), AlignedGold.of(gold, votes), ConstantModel(), baseline=baseline)
    assert handed.to_metrics() == plain.to_metrics() and handed.gold_hash == plain.gold_hash == gold.hash
    rows, y = gold_rows(votes, gold, "test")
    assert rows.tolist() == [0, 1, 2, 3] and y.tolist() == [1, 1, 1, 0]


def test_lf_errors_lists_wrong_dev_votes_with_their_text(small):
    votes, gold = small
    data = pd.DataFrame({"row_id": list("pqrst"), "text": ["one", "two", "three", "four", "five"]})
    errors = lf_errors(votes, gold, data, id_column="row_id")  # dev: only row t (gold x); f, g, h all vote x there
    assert errors.empty and errors.columns.tolist() == ["lf", "row_id", "vote", "gold", "text"]
    on_test = lf_errors(votes, gold, data, split="test", id_column="row_id")
    assert on_test.values.tolist() == [["f", "q", "x", "y", "two"]]
    assert len(lf_errors(votes, gold, split=None, per_lf=0)) == 0


def test_youtube_numbers_match_an_independent_computation(youtube, youtube_registry):
    votes = apply_lfs(youtube_registry, youtube.drop(columns=["label", "split"]), id_column="row_id")
    gold = load_gold(YOUTUBE_GOLD)
    model = fit_default(votes, gold)
    ev = evaluate(votes, gold, model)
    test = (youtube["split"] == "test").to_numpy()
    y = youtube.loc[test, "label"].map({"ham": 0, "spam": 1}).to_numpy()
    L = votes.values[test]
    for metrics, fitted in ((ev.model, model), (ev.baseline, MajorityVote(cardinality=2).fit(votes))):
        pred = fitted.predict(L)
        assert metrics.n_gold == 290
        assert metrics.accuracy == pytest.approx(accuracy_score(y, pred))   # abstain (-1) never equals a class
        assert metrics.labelled == pytest.approx((pred != -1).mean())
        voted = (L != -1).any(axis=1)
        assert metrics.coverage == pytest.approx(voted.mean()) and metrics.n_no_votes == (~voted).sum() > 0
        assert metrics.accuracy_no_votes == pytest.approx(accuracy_score(y[~voted], pred[~voted]))
        assert metrics.macro_f1 == pytest.approx(f1_score(y, pred, labels=[0, 1], average="macro"))
    errors = lf_errors(votes, gold, youtube, id_column="row_id")
    assert set(errors["row_id"]) <= set(gold.labels("dev").index)
    assert (errors["vote"] != errors["gold"]).all()


def test_lf_errors_takes_the_ids_from_the_index_by_default_as_apply_lfs_does(small):
    votes, gold = small
    indexed = pd.DataFrame({"text": ["one", "two", "three", "four", "five"]}, index=list("pqrst"))
    assert lf_errors(votes, gold, indexed, split="test")["text"].tolist() == ["two"]
    assert lf_errors(votes, gold, indexed, split="test", id_column=None)["text"].tolist() == ["two"]
    as_numbers = VoteMatrix(votes.values, row_ids=np.arange(5), lf_names=votes.lf_names)
    numbered = pd.DataFrame({"text": list("ABCDE")}, index=pd.Index(["0", "1", "2", "3", "4"]))
    assert lf_errors(as_numbers, np.array([1, 0, 1, 0, -1]), numbered, split=None)["text"].tolist() == ["B"]


def test_lf_errors_names_a_missing_id_column_repeated_ids_and_unmatched_ids(small):
    votes, gold = small
    indexed = pd.DataFrame({"text": ["one", "two", "three", "four", "five"]}, index=list("pqrst"))
    with pytest.raises(MissingColumnError, match=r"no id column 'row_id'; its columns are \['text'\].*id_column="):
        lf_errors(votes, gold, indexed, split="test", id_column="row_id")
    with pytest.raises(MissingColumnError, match=r"no text column 'body'.*text_column="):
        lf_errors(votes, gold, indexed, split="test", text_column="body")
    repeated = pd.DataFrame({"row_id": list("pqrsp"), "text": list("ABCDE")})
    with pytest.raises(DataError, match=r"row ids in column 'row_id' repeat: \['p'\]"):
        lf_errors(votes, gold, repeated, split="test", id_column="row_id")
    by_column = pd.DataFrame({"row_id": list("pqrst"), "text": list("ABCDE")}, index=list("vwxyz"))
    with pytest.raises(DataError, match=r"none of the wrong rows' ids \(e.g. \['q'\]\).*id_column='row_id'"):
        lf_errors(votes, gold, by_column, split="test", id_column=None)
    # the default reads a row_id column when there is one (README: apply_lfs(..., id_column="row_id")), else the
    # index; it had read the index, so every text came from the row before
    assert lf_errors(votes, gold, by_column, split="test")["text"].tolist() == ["B"]


def test_evaluate_takes_the_classes_from_the_model_when_a_class_is_voted_only_off_gold():
    L = np.array([[0, 0, -1], [1, -1, 1], [0, 1, -1], [-1, -1, -1], [2, 2, 2], [1, 1, 0]])
    votes = VoteMatrix(L)
    gold = np.array([0, 1, 1, 0, -1, -1])
    model = DawidSkene(cardinality=3).fit(votes)
    ev = evaluate(votes, gold, model)
    assert ev.model.per_class.index.tolist() == ["0", "1", "2"] and ev.model.n_gold == 4
    assert ev.baseline.per_class.index.tolist() == ["0", "1", "2"]
    assert ev.baseline.accuracy == pytest.approx(2 / 4)  # rows 0, 1 right; 2 ties (abstain); 3 has no vote
    # without a model cardinality, the classes come from every row's votes, not only the gold rows'
    assert evaluate(votes, gold, ConstantThree()).baseline.per_class.index.tolist() == ["0", "1", "2"]


class ConstantThree:
    """Always says class 0 of three."""

    def predict_proba(self, L):
        return np.tile([0.8, 0.1, 0.1], (len(L), 1))

    def predict(self, L, *, tie_break="abstain"):
        return np.zeros(len(L), dtype=int)


def test_evaluate_says_an_unfitted_label_model_is_not_fitted():
    votes = VoteMatrix([[0, 0], [1, -1], [0, 1]])
    with pytest.raises(NotFittedError, match=r"evaluate\(model=DawidSkene\(.*\)\): the label model is not fitted"):
        evaluate(votes, np.array([0, 1, 1]), DawidSkene(cardinality=2))
    with pytest.raises(GoldSetError, match=r"the gold array gives no row a class id"):
        evaluate(votes, np.array([-1, -1, -1]), MajorityVote(2).fit(votes))


def test_evaluate_matches_integer_row_ids_to_the_gold_set(tmp_path):
    rows = pd.DataFrame({"row_id": [101, 102, 103, 104], "label": ["y", "x", "y", "x"], "split": ["test"] * 4})
    gold = write_gold(rows, tmp_path / "g", task="t", label_space=["x", "y"])
    votes = VoteMatrix([[1, -1], [-1, 0], [1, -1], [-1, 0]], row_ids=np.array([101, 102, 103, 104]))
    ev = evaluate(votes, gold, MajorityVote(2).fit(votes))
    assert ev.model.n_gold == 4 and ev.model.accuracy == 1.0


class FirstLF:
    """Says the first LF's vote (class 0 where it abstains): a label model that trusts one LF."""

    name = "FirstLF"

    def predict_proba(self, L):
        return np.eye(2)[np.maximum(L[:, 0], 0)]

    def predict(self, L, *, tie_break="abstain"):
        return np.maximum(L[:, 0], 0)


@pytest.mark.parametrize("split_rows, said", [(3, ", within noise (3 of 100 rows): "),
                                              (12, " (by 12 of 100 rows): ")])
def test_the_label_model_vs_majority_vote_line_says_when_its_lead_is_within_noise(split_rows, said):
    """On the lfw config the line said "beats majority vote ... 0.980 vs 0.950" on 100 rows: 3 rows, p >= 0.25.
    The verdict's McNemar rule (weaksup.verdict.within_noise) now judges it too, with the same wording."""
    from weaksup.verdict import supervised_verdict

    y = np.arange(100) % 2
    L = np.column_stack([y, y])
    L[:split_rows, 1] = 1 - y[:split_rows]  # the LFs disagree there: majority vote abstains, FirstLF is right
    ev = evaluate(VoteMatrix(L), y, FirstLF(), label_space=["a", "b"])
    assert (ev.model.accuracy, ev.baseline.accuracy) == (1.0, 1 - split_rows / 100)
    assert ev.discordant == (split_rows, 0)
    line = ev.summary()
    assert line.startswith(f"FirstLF beats majority vote on the 100 test gold rows{said}accuracy 1.000 vs ")
    # the verdict reads the same rows the same way (one rule)
    from weaksup.references import compare_references

    refs = compare_references(y, {"final": y, "supervised_on_dev": np.where(np.arange(100) < split_rows, -1, y)},
                              covered=np.ones(100, bool))
    verdict, _ = supervised_verdict(np.ones(100, bool), np.arange(100) >= split_rows, refs["final"],
                                    refs["supervised_on_dev"], 100, "gold rows", [])
    assert ("within noise" in verdict) == ("within noise" in line) == (split_rows == 3)


def test_a_tie_with_majority_vote_says_no_difference_in_rows(small):
    votes, gold = small
    mv = MajorityVote(cardinality=2).fit(votes)
    line = evaluate(votes, gold, mv, baseline=mv).summary()
    assert "ties with majority vote on the 4 test gold rows: accuracy" in line and "within noise" not in line
