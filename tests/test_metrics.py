"""Macro precision / recall / F1 of :func:`weaksup.metrics.label_metrics` average over the classes with gold rows
(:func:`weaksup.metrics.macro_mean`), as the references' macro recall does: one report, one macro recall."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.errors import ParameterError
from weaksup.metrics import label_metrics, macro_mean
from weaksup.references import compare_references

NAMES = ["a", "b", "c"]


def _references_macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    refs = compare_references(y, {"final": pred, "supervised_on_dev": pred}, covered=np.ones(len(y), bool),
                              label_space=NAMES, n_gold=len(y))
    return float(refs.table().loc["final", "macro recall"])


def test_a_class_without_gold_rows_is_left_out_of_the_macro_figures_as_in_the_references():
    y = np.array([0, 0, 1, 1])  # class c has no gold rows
    m = label_metrics(y, np.eye(3)[y], y, label_space=NAMES)
    assert (m.macro_precision, m.macro_recall, m.macro_f1) == (1.0, 1.0, 1.0)  # perfect: was 2/3 each
    assert m.macro_recall == _references_macro_recall(y, y)


def test_a_prediction_of_the_absent_class_still_costs_the_true_class_recall():
    y = np.array([0, 0, 1, 1, 1])
    pred = np.array([0, 2, 1, 1, -1])  # a row of a called c (no gold rows), an abstain on b
    m = label_metrics(y, np.eye(3)[np.where(pred < 0, 0, pred)], pred, label_space=NAMES)
    assert m.macro_recall == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert m.macro_recall == pytest.approx(_references_macro_recall(y, pred))
    assert m.macro_precision == pytest.approx(1.0)  # c's precision 0 is shown but not averaged
    assert m.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    # every class keeps its row; c's has support 0, precision 0 (predicted once, wrongly), no recall or F1
    assert m.per_class.index.tolist() == NAMES
    c = m.per_class.loc["c"]
    assert c["support"] == 0 and c["precision"] == 0.0 and np.isnan(c["recall"]) and np.isnan(c["f1"])


def test_a_class_with_gold_rows_but_no_predictions_still_counts_zero():
    y = np.array([0, 0, 1, 1])
    pred = np.array([0, 0, 0, 0])  # b is never predicted; c has no gold rows and is never predicted
    m = label_metrics(y, np.eye(3)[pred], pred, label_space=NAMES)
    assert m.per_class.loc["b", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    assert m.per_class.loc["c", ["precision", "recall", "f1"]].isna().all()  # neither gold nor predicted
    assert m.macro_recall == pytest.approx(1 / 2) == pytest.approx(_references_macro_recall(y, pred))
    assert m.macro_precision == pytest.approx(1 / 4)  # a 0.5, b 0
    assert m.macro_f1 == pytest.approx(1 / 3)  # a 2/3, b 0


def test_every_class_with_gold_rows_matches_sklearn_macro():
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    pred = np.where(rng.random(200) < 0.6, y, rng.integers(-1, 3, 200))
    m = label_metrics(y, np.full((200, 3), 1 / 3), pred, label_space=NAMES)
    expected = precision_recall_fscore_support(y, pred, labels=[0, 1, 2], average="macro", zero_division=0.0)[:3]
    assert (m.macro_precision, m.macro_recall, m.macro_f1) == pytest.approx(expected)


def test_macro_mean_leaves_out_classes_without_support_and_checks_its_input():
    assert macro_mean([0.2, 0.4, float("nan")], [1, 3, 0]) == pytest.approx(0.3)
    assert np.isnan(macro_mean([1.0, 1.0], [0, 0]))  # no gold rows at all: no macro figure
    with pytest.raises(ParameterError, match="3 scores but 2 supports"):
        macro_mean([1.0, 0.5, 0.0], [1, 1])


def test_expected_calibration_error_leaves_out_tied_rows_as_label_metrics_does():
    from weaksup.metrics import expected_calibration_error

    y = np.array([0, 1, 1, 0, 1])
    proba = np.array([[.9, .1], [.3, .7], [.6, .4], [.2, .8], [.5, .5]])  # the last row ties: no class given
    # 4 rows given a class: confidences .9 .7 .6 .8, right, right, wrong, wrong
    assert expected_calibration_error(y, proba) == pytest.approx(label_metrics(y, proba).ece) \
        == pytest.approx((0.1 + 0.3 + 0.6 + 0.8) / 4)
    assert np.isnan(expected_calibration_error(np.array([1]), np.array([[0.5, 0.5]])))
    given = np.array([0, 1, 0, 1, 0])  # y_pred gives the tied row class 0 at 0.5 (wrong)
    assert expected_calibration_error(y, proba, y_pred=given) == pytest.approx(label_metrics(y, proba, given).ece)


@pytest.mark.parametrize(("y", "proba", "message"), [
    ([0, 1], np.array([0.2, 0.8]), r"expected_calibration_error: proba must have shape \(2, k\).*got \(2,\)"),
    ([0, 1, 1], np.ones((2, 2)) / 2, r"proba must have shape \(3, k\).*got \(2, 2\).*np.column_stack"),
])
def test_expected_calibration_error_names_a_bad_shape_and_the_fix(y, proba, message):
    from weaksup.metrics import expected_calibration_error

    with pytest.raises(ParameterError, match=message):
        expected_calibration_error(np.array(y), proba)


def test_no_gold_row_gives_nan_metrics_not_an_error():
    m = label_metrics(np.array([], dtype=int), np.zeros((0, 2)), label_space=["a", "b"])
    assert m.n_gold == 0 and all(np.isnan(m.as_dict()[key]) for key in ("accuracy", "macro_f1", "brier", "ece"))
    assert m.per_class["support"].tolist() == [0, 0] and m.per_class["recall"].isna().all()
    assert m.confusion.to_numpy().tolist() == [[0, 0, 0], [0, 0, 0]] and m.calibration.empty
