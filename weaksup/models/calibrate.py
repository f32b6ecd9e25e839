"""Calibrating a label model's probabilities on its out-of-fold dev predictions, kept only when it helps.

A model's probabilities are mixed with the uniform distribution (weight ``mix``, one of :data:`MIXES`: a model
that gives the gold class of some dev rows probability ~0 cannot be fixed by a temperature alone), then put at
the temperature of :func:`weaksup.calibration.fit_temperature`; the pair with the best likelihood of the dev
gold wins. Neither step changes a row's most probable class. The calibration is kept only if, fitted on one half
of the dev rows and applied to the other (both ways), it lowers their expected calibration error: on a dev split
too small to show anything, the model's own probabilities stay.
"""

from __future__ import annotations

import numpy as np

from weaksup.models.fitting import dev_folds

#: The weights of the uniform distribution tried when calibrating.
MIXES = (0.0, 0.01, 0.03, 0.1, 0.3)
#: No calibration: the mix and the temperature that leave the probabilities as they are.
IDENTITY = (0.0, 1.0)


def calibrated(proba: np.ndarray, mix: float, temperature: float) -> np.ndarray:
    """``proba`` mixed with the uniform distribution (weight ``mix``), then at ``temperature``.

    Examples
    --------
    >>> calibrated(np.array([[1.0, 0.0]]), 0.1, 1.0).round(2).tolist()
    [[0.95, 0.05]]
    """
    from weaksup.calibration import EPS
    from weaksup.models.dawid_skene import softmax_rows

    if mix == 0.0 and temperature == 1.0:
        return proba
    mixed = proba * (1 - mix)
    mixed += mix / proba.shape[1]
    if temperature == 1.0:
        return mixed
    # weaksup.calibration.apply_temperature, in place (a million rows are calibrated at every predict)
    np.clip(mixed, EPS, 1.0, out=mixed)
    np.log(mixed, out=mixed)
    mixed /= temperature
    return softmax_rows(mixed)


def fit_calibration(proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The ``(mix, temperature)`` with the lowest negative log-likelihood of ``y``: each mix of :data:`MIXES`
    with its temperature fitted by :func:`weaksup.calibration.fit_temperature`.

    Examples
    --------
    >>> proba = np.array([[0.99, 0.01]] * 6 + [[0.01, 0.99]] * 4)
    >>> mix, temperature = fit_calibration(proba, np.array([0] * 5 + [1] * 5))  # one row wrong at 0.99
    >>> mix, round(temperature, 2)  # flattened: 0.99 becomes about 0.9
    (0.0, 2.09)
    """
    from weaksup.calibration import fit_temperature

    best: tuple[float, float, float] | None = None
    for mix in MIXES:
        temperature = fit_temperature(calibrated(proba, mix, 1.0), y)
        picked = np.clip(calibrated(proba, mix, temperature)[np.arange(len(y)), y], 1e-12, 1.0)
        nll = float(-np.log(picked).mean())
        if best is None or nll < best[0] - 1e-12:
            best = (nll, mix, temperature)
    assert best is not None
    return best[1], best[2]


def cross_fitted_calibration(stacked: np.ndarray, y_stacked: np.ndarray, n_dev: int,
                             seed: int) -> tuple[float, float]:
    """``(mix, temperature)`` fitted on out-of-fold dev probabilities, or :data:`IDENTITY` when calibrating does
    not lower the expected calibration error of held-out dev rows.

    ``stacked`` holds ``len(stacked) // n_dev`` repeats of the ``n_dev`` dev rows' out-of-fold probabilities
    (``y_stacked`` their gold, the dev labels tiled). The dev rows are split in two stratified halves (seeded);
    each half is calibrated by the other's fit, and the calibration is kept (then fitted on all rows) only if
    that lowers the ECE.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> right = rng.random(200) < 0.8  # 80% right, always at confidence 0.99
    >>> proba = np.where((right == (y == 1))[:, None], [[0.01, 0.99]], [[0.99, 0.01]])
    >>> mix, temperature = cross_fitted_calibration(proba, y, 200, seed=0)
    >>> (mix, temperature) != IDENTITY
    True
    >>> cross_fitted_calibration(np.tile([0.5, 0.5], (200, 1)), y, 200, seed=0)  # every row a tie: no ECE to lower
    (0.0, 1.0)
    """
    from weaksup.metrics import expected_calibration_error

    if n_dev < 2 or len(stacked) == 0:
        return IDENTITY
    y_dev = y_stacked[:n_dev]
    halves = np.tile(dev_folds(y_dev, 2, seed), len(stacked) // n_dev)
    crossed = stacked.copy()
    for half in (0, 1):
        if not (halves != half).any():
            return IDENTITY
        mix, temperature = fit_calibration(stacked[halves != half], y_stacked[halves != half])
        crossed[halves == half] = calibrated(stacked[halves == half], mix, temperature)
    if not expected_calibration_error(y_stacked, crossed) < expected_calibration_error(y_stacked, stacked):
        return IDENTITY  # kept only when it lowers the held-out ECE (NaN, every row a tie: not lowered)
    return fit_calibration(stacked, y_stacked)
