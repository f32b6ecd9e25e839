"""DevWeightedVote: accuracies from dev gold, F1 threshold from dev, never the test split."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models.test_models import L, Y
from weaksup.errors import LabelModelError
from weaksup.models import DEFAULT_MODEL, MODELS, DevWeightedVote, LabelModel


def test_measures_lf_accuracy_on_dev():
    model = DevWeightedVote(cardinality=3, prior_strength=0.0).fit(L, L_dev=L[:200], y_dev=Y[:200])
    voted = L[:200] >= 0
    expected = ((L[:200] == Y[:200, None]) & voted).sum(0) / voted.sum(0)
    assert np.allclose(model.accuracy_, expected)
    proba = model.predict_proba(L)
    assert np.allclose(proba.sum(1), 1) and (model.predict(L, tie_break="hash") == Y).mean() > 0.7


def test_better_lfs_weigh_more():
    # LF 0 is always right on dev, LF 1 and 2 are coin flips: LF 0 must win a 1-vs-2 disagreement
    y = np.array([0, 1] * 50)
    dev = np.stack([y, np.tile([0, 0, 1, 1], 25), np.tile([1, 0, 0, 1], 25)], axis=1)
    model = DevWeightedVote(cardinality=2).fit(dev, L_dev=dev, y_dev=y)
    assert model.predict([[0, 1, 1]]).tolist() == [0]


def test_f1_threshold_is_tuned_on_dev_and_saved(tmp_path):
    binary = np.where(L >= 0, L % 2, -1)
    y = Y % 2
    model = DevWeightedVote(cardinality=2, metric="f1").fit(binary, L_dev=binary[:200], y_dev=y[:200])
    assert model.threshold_ is not None
    back = LabelModel.load(model.save(tmp_path / "m.json"))
    assert back.threshold_ == model.threshold_ and np.array_equal(back.predict(binary), model.predict(binary))


def test_needs_dev_gold_and_says_so():
    with pytest.raises(LabelModelError, match="needs dev gold labels.*L_dev=.*MajorityVote"):
        DevWeightedVote(cardinality=3).fit(L)
    with pytest.raises(LabelModelError, match="outside classes 0..2"):
        DevWeightedVote(cardinality=3).fit(L, L_dev=L[:5], y_dev=[0, 1, 2, 3, 0])
    assert DEFAULT_MODEL in MODELS


def test_label_model_benchmark_smoke(tmp_path):
    import importlib.util

    from tests.conftest import REPO, SHARED_DATA

    if not (SHARED_DATA / "youtube").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    spec = importlib.util.spec_from_file_location("label_models", REPO / "benchmarks" / "label_models.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--data", str(SHARED_DATA), "--datasets", "youtube", "--json", str(tmp_path / "r.json")])
    assert result["youtube"]["MajorityVote"]["test"] == 84.0  # WRENCH's published MV
    assert result["youtube"]["default"]["test"] >= result["youtube"]["MajorityVote"]["test"] - 1
