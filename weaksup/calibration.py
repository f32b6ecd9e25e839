"""Temperature scaling: one number that makes over- or under-confident probabilities honest.

A model's probabilities ``p`` become ``softmax(log(p) / T)``: ``T > 1`` flattens them (an overconfident model),
``T < 1`` sharpens them, and the ranking of the classes in each row never changes (so neither does accuracy).
``T`` is fitted by minimising the negative log-likelihood of gold labels the model did not learn from (the
out-of-fold dev predictions of :class:`weaksup.final_labels.FinalLabeler`). When a few dozen gold rows are all
predicted right, the plain likelihood sharpens without limit (``T -> 0``, every confidence 1.0); then Platt's
smoothed targets are used instead (the gold class ``(n + 1) / (n + 2)``, the others share ``1 / (n + 2)``), which
stop where ``n`` right answers out of ``n`` stop being evidence of anything sharper. The expected calibration error
stays :func:`weaksup.evaluate.expected_calibration_error`.
"""

from __future__ import annotations

import numpy as np

from weaksup.errors import ParameterError

__all__ = ["apply_temperature", "fit_temperature"]

#: The smallest probability used when taking logs (a probability of exactly 0 would give an infinite loss).
EPS = 1e-6
#: The range searched for the temperature, in log space.
LOG_T_BOUNDS = (-4.0, 4.0)


def _check_proba(proba: object, where: str) -> np.ndarray:
    arr = np.asarray(proba, dtype=float)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ParameterError(f"{where}: proba must be an (n_rows, n_classes >= 2) array of probabilities; "
                             f"got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ParameterError(f"{where}: proba has negative, NaN or infinite values; pass probabilities "
                             "(each row >= 0, summing to 1)")
    return arr


def _scaled(log_p: np.ndarray, temperature: float) -> np.ndarray:
    z = log_p / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def apply_temperature(proba: object, temperature: float) -> np.ndarray:
    """``softmax(log(proba) / temperature)`` row by row: the probabilities at that temperature.

    Parameters
    ----------
    proba : array of float, shape (n, k)
        Class probabilities.
    temperature : float
        Above 1 flattens, below 1 sharpens, 1 leaves ``proba`` as it is (up to the clipping at ``1e-6``).

    Returns
    -------
    numpy.ndarray
        ``(n, k)`` probabilities; each row keeps its most probable class.

    Examples
    --------
    >>> apply_temperature([[0.9, 0.1]], 2.0).round(3).tolist()
    [[0.75, 0.25]]
    """
    arr = _check_proba(proba, "apply_temperature")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ParameterError(f"apply_temperature: temperature must be a number > 0; got {temperature!r}")
    if len(arr) == 0:
        return arr.copy()
    return _scaled(np.log(np.clip(arr, EPS, 1.0)), float(temperature))


def fit_temperature(proba: object, y: object, *, smooth: bool | str = "auto") -> float:
    """The temperature ``T`` minimising the negative log-likelihood of ``softmax(log(proba) / T)`` on ``y``.

    Parameters
    ----------
    proba : array of float, shape (n, k)
        Probabilities from a model that never learned from these rows' labels (out-of-fold).
    y : array of int, shape (n,)
        Gold class ids; rows with ``y < 0`` (no gold) are ignored.
    smooth : {"auto", True, False}, default "auto"
        ``True``: Platt's targets, the gold class counts ``(n + 1) / (n + 2)`` and the other classes share
        ``1 / (n + 2)`` (``n`` rows with gold), so that a small, all-right sample cannot drive ``T`` to 0.
        ``False``: the plain likelihood of the gold class. ``"auto"``: the plain likelihood, unless it has no
        minimum (every row's most probable class is its gold class: ``T`` would run to 0), then Platt's.

    Returns
    -------
    float
        ``T`` in ``[e^-4, e^4]``; ``1.0`` when no row has gold.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(4000, 3)) * 3
    >>> true = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    >>> y = np.array([rng.choice(3, p=p) for p in true])
    >>> overconfident = apply_temperature(true, 0.5)  # sharper than the truth
    >>> round(fit_temperature(overconfident, y), 1)
    2.0
    """
    from scipy.optimize import minimize_scalar

    arr = _check_proba(proba, "fit_temperature")
    labels = np.asarray(y)
    if labels.shape != (len(arr),):
        raise ParameterError(f"fit_temperature: y must have one class id per row of proba ({len(arr)}); "
                             f"got shape {labels.shape}")
    labels = labels.astype(np.int64)
    keep = labels >= 0
    if (labels >= arr.shape[1]).any():
        raise ParameterError(f"fit_temperature: y has class ids up to {int(labels.max())} but proba has only "
                             f"{arr.shape[1]} columns; pass proba with one column per class")
    if not keep.any():
        return 1.0
    log_p = np.log(np.clip(arr[keep], EPS, 1.0))
    target = labels[keep]
    n, k = len(target), arr.shape[1]

    def fit(platt: bool) -> float:
        other = 1.0 / (n + 2) / (k - 1) if platt else 0.0
        weights = np.full((n, k), other)
        weights[np.arange(n), target] = 1.0 - other * (k - 1)

        def nll(log_t: float) -> float:
            z = log_p / np.exp(log_t)
            z -= z.max(axis=1, keepdims=True)
            log_q = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            return float(-(weights * log_q).sum(axis=1).mean())

        result = minimize_scalar(nll, bounds=LOG_T_BOUNDS, method="bounded", options={"xatol": 1e-4})
        return float(result.x)

    if smooth not in ("auto", True, False):
        raise ParameterError(f"fit_temperature: smooth must be 'auto', True or False; got {smooth!r}")
    all_right = bool((log_p.argmax(axis=1) == target).all())  # then the plain likelihood falls as T -> 0
    return float(np.exp(fit(smooth is True or (smooth == "auto" and all_right))))
