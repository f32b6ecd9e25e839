"""benchmarks/multilabel_models.py's nested dev figure (how the default is chosen without test): repeated fold
splits average the single splits, every model gets a figure in [0, 1]. Synthetic votes: runs without ../shared."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.conftest import REPO
from tests.multilabel.test_models import synthetic
from weaksup.multilabel import MULTILABEL_MODELS


def _bench():
    spec = importlib.util.spec_from_file_location("multilabel_bench_nested", REPO / "benchmarks" / "multilabel_models.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.slow  # 3 x 5 folds x every model (~20 s on 2 busy cores)
def test_repeated_nested_dev_is_the_mean_of_single_splits():
    nested_dev = _bench().nested_dev
    votes, Y = synthetic(n=500)
    dev, rows = votes.take(range(250)), votes.take(range(250, 500))
    one = nested_dev(rows, dev, Y[:250], seed=0)
    other = nested_dev(rows, dev, Y[:250], seed=1)
    both = nested_dev(rows, dev, Y[:250], seed=0, repeats=2)
    assert set(both) == set(MULTILABEL_MODELS) and all(0 <= v <= 1 for v in both.values())
    for name in MULTILABEL_MODELS:
        assert both[name] == pytest.approx((one[name] + other[name]) / 2, abs=1.5e-4)
    assert both["vote_blend"] > both["majority"]  # 'b' has no LF of its own: only learned models find it
    assert not np.isclose(one["majority"], 0.0)
