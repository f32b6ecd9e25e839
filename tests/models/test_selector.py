"""DevSelector's cross-validation sample of L depends on the rows, not their order (engines fit in pattern order)."""

import numpy as np

import weaksup.models.selector as selector
from weaksup.models import DevSelector


def votes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    right = rng.random((n, 6)) < [0.9, 0.8, 0.7, 0.6, 0.55, 0.5]
    fires = rng.random((n, 6)) < 0.5
    L = np.where(fires, np.where(right, y[:, None], rng.integers(0, 3, (n, 6))), -1)
    return L, y


def test_the_cross_validation_sample_of_L_is_the_same_in_any_row_order(monkeypatch) -> None:
    monkeypatch.setattr(selector, "CV_ROWS", 500)  # sample L (3,000 rows) as a 20k+ row L would be
    L, _ = votes(3000, 0)
    L_dev, y_dev = votes(120, 1)
    shuffled = L[np.random.default_rng(2).permutation(len(L))]
    first = DevSelector(3, seed=3).fit(L, L_dev=L_dev, y_dev=y_dev)
    second = DevSelector(3, seed=3).fit(shuffled, L_dev=L_dev, y_dev=y_dev)
    assert first.dev_scores_ == second.dev_scores_
    assert np.array_equal(first.predict_proba(L_dev), second.predict_proba(L_dev))
