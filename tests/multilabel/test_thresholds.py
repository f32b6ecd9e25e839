"""Per-label thresholds: the half-F1 rule on calibrated probabilities, its fall back to the best cut, and its checks."""

import numpy as np
import pytest

from weaksup.errors import ParameterError
from weaksup.models import f1_threshold
from weaksup.multilabel.thresholds import HALF_F1_KEPT, f1_curve, half_f1_threshold, tune_thresholds


def calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that are calibrated by construction: y ~ Bernoulli(p)."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.3, 3.0, n)
    return p, (rng.random(n) < p).astype(np.int64)


def test_half_the_best_f1_on_calibrated_probabilities_is_near_the_best_cut_and_steadier():
    halves, cuts = [], []
    for seed in range(40):  # 40 dev sets of 400 rows (about 36 positives each)
        p, y = calibrated(400, seed)
        halves.append(half_f1_threshold(p, y))
        cuts.append(f1_threshold(p, y))
        best = f1_curve(p, y)[1].max()
        assert halves[-1] == pytest.approx(best / 2) or halves[-1] == pytest.approx(cuts[-1])
    assert abs(np.mean(halves) - np.mean(cuts)) < 0.1
    assert np.std(halves) < np.std(cuts)  # the point of the rule: it moves less from one dev set to another


def test_far_from_calibrated_probabilities_fall_back_to_the_best_cut():
    p, y = calibrated(2000, 0)
    squashed = p * 0.1  # every probability ten times too small: half the best F1 keeps no row
    assert half_f1_threshold(squashed, y) == pytest.approx(f1_threshold(squashed, y))
    cuts, f1 = f1_curve(squashed, y)
    assert f1[cuts >= f1.max() / 2].max(initial=0.0) < HALF_F1_KEPT * f1.max()


def test_tune_thresholds_takes_the_rule_and_checks_it():
    p, y = calibrated(2000, 1)
    P, Y = np.column_stack([p, p]), np.column_stack([y, y]).astype(bool)
    half = tune_thresholds(P, Y, strength=0.0, rule="half_f1")
    cut = tune_thresholds(P, Y, strength=0.0)
    assert half[0] == pytest.approx(half_f1_threshold(p, y)) and cut[0] == pytest.approx(f1_threshold(p, y))
    with pytest.raises(ParameterError, match="rule must be one of"):
        tune_thresholds(P, Y, rule="half")


def test_the_half_f1_threshold_is_kept_only_where_its_own_dev_f1_is_near_the_best():
    # the check once read the F1 of a neighbouring cut, not of the rows ``scores >= half`` labels
    rng = np.random.default_rng(3)
    for _ in range(2000):
        n = int(rng.integers(2, 9))
        scores, y = rng.random(n).round(2), rng.integers(0, 2, n)
        if not y.any():
            continue
        t = half_f1_threshold(scores, y)
        best = f1_curve(scores, y)[1].max()
        if t != pytest.approx(f1_threshold(scores, y)):
            on = scores >= t
            assert t == pytest.approx(best / 2)
            assert 2 * (on & (y == 1)).sum() / (on.sum() + y.sum()) >= HALF_F1_KEPT * best
