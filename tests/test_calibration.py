"""Temperature scaling: recovers a known temperature, keeps the ranking, refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.calibration import apply_temperature, fit_temperature
from weaksup.errors import ParameterError
from weaksup.evaluate import expected_calibration_error


def _calibrated(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that are right by construction, and labels drawn from them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 2.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (proba.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    return proba, y


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_recovers_a_known_temperature(true_t):
    proba, y = _calibrated(6000, 3, seed=1)
    distorted = apply_temperature(proba, 1.0 / true_t)  # sharpened (true_t > 1) or flattened (true_t < 1)
    fitted = fit_temperature(distorted, y)
    assert fitted == pytest.approx(true_t, rel=0.1)
    fixed = apply_temperature(distorted, fitted)
    assert expected_calibration_error(y, fixed) < 0.03
    assert np.array_equal(fixed.argmax(axis=1), distorted.argmax(axis=1))


def test_rows_without_gold_are_ignored_and_no_gold_gives_one():
    proba, y = _calibrated(3000, 2, seed=2)
    distorted = apply_temperature(proba, 0.5)
    with_missing = y.copy()
    with_missing[::2] = -1
    assert fit_temperature(distorted, with_missing) == pytest.approx(2.0, rel=0.15)
    assert fit_temperature(distorted, np.full(len(y), -1)) == 1.0


def test_apply_temperature_one_is_identity_and_rows_sum_to_one():
    proba, _ = _calibrated(50, 4, seed=3)
    assert np.allclose(apply_temperature(proba, 1.0), proba, atol=1e-5)
    assert np.allclose(apply_temperature(proba, 3.0).sum(axis=1), 1.0)
    assert apply_temperature(np.zeros((0, 2)), 2.0).shape == (0, 2)


def test_bad_input_is_refused_with_the_fix():
    with pytest.raises(ParameterError, match="temperature must be a number > 0"):
        apply_temperature([[0.5, 0.5]], 0.0)
    with pytest.raises(ParameterError, match=r"n_classes >= 2"):
        fit_temperature([0.5, 0.5], [0])
    with pytest.raises(ParameterError, match="one class id per row"):
        fit_temperature([[0.5, 0.5]], [0, 1])
    with pytest.raises(ParameterError, match="only 2 columns"):
        fit_temperature([[0.5, 0.5]], [2])
    with pytest.raises(ParameterError, match="smooth must be"):
        fit_temperature([[0.5, 0.5]], [0], smooth="yes")
    with pytest.raises(ParameterError, match="NaN"):
        fit_temperature([[np.nan, 0.5]], [0])


def test_a_small_all_right_sample_does_not_drive_the_temperature_to_zero():
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.9, 0.1], [0.25, 0.75]] * 5)
    y = np.array([0, 1, 0, 1] * 5)
    plain = fit_temperature(proba, y, smooth=False)
    smoothed = fit_temperature(proba, y, smooth=True)
    assert plain < 0.05  # the plain likelihood sharpens without limit
    assert 0.2 < smoothed < 1.0
    assert fit_temperature(proba, y) == smoothed  # "auto" falls back to Platt's targets
    wrong_once = y.copy()
    wrong_once[0] = 1
    assert fit_temperature(proba, wrong_once) == fit_temperature(proba, wrong_once, smooth=False)
    top = apply_temperature(proba, smoothed).max(axis=1)
    assert 0.93 < top.mean() < 0.97  # about Platt's 21 / 22: 20 right answers out of 20 do not mean certainty
