"""Pattern counts merge exactly; the label model fitted on them is the streaming run's fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engines.engine_data import synthetic_config
from weaksup.engines.batch import BatchSpec
from weaksup.engines.stats import DevGold, fit_on_counts, gold_patterns, merge_pattern_counts, pattern_counts
from weaksup.models.sampling import stratified_sample
from weaksup.models import DawidSkene, DevNaiveBayes
from weaksup.models.fitting import fit_label_model


def votes_frame(L):
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(len(L))]})
    for j in range(L.shape[1]):
        frame[f"lf{j}@1"] = L[:, j].astype(np.int8)
    return frame


@pytest.fixture
def L():
    rng = np.random.default_rng(0)
    return rng.integers(-1, 2, size=(5000, 6)).astype(np.int8)


def test_merged_counts_equal_the_counts_of_all_rows(L):
    lf_ids = [f"lf{j}@1" for j in range(6)]
    pieces = [pattern_counts(votes_frame(L[a:b]), lf_ids) for a, b in [(0, 1000), (1000, 1001), (1001, 5000)]]
    merged = merge_pattern_counts(pieces[::-1])
    whole = pattern_counts(votes_frame(L), lf_ids)
    pd.testing.assert_frame_equal(merged, whole)
    assert merged["count"].sum() == 5000 and merged["count"].dtype == np.int64


def test_gold_patterns_keep_the_gold_rows(L):
    gold = gold_patterns(votes_frame(L), {"r3", "r10"})
    assert gold["row_id"].tolist() == ["r3", "r10"] and gold.shape[1] == 7


def spec_and_counts(tmp_path, L, **tables):
    config = synthetic_config(tmp_path, **tables)
    spec = BatchSpec.from_config(config)
    frame = votes_frame(L[:, :len(spec.lf_ids)])
    frame.columns = ["row_id", *spec.lf_ids][: frame.shape[1]]
    return config, spec, pattern_counts(frame, spec.lf_ids)


def test_a_weighted_model_is_fitted_exactly_as_on_every_row(tmp_path, L):
    L = np.hstack([L, L[:, :4]])  # the 10 LFs of the config
    config, spec, counts = spec_and_counts(tmp_path, L, label_model={"name": "DawidSkene"})
    fit = fit_on_counts(spec, config, counts, None)
    local = fit_label_model(DawidSkene(cardinality=2, seed=0), L)
    assert fit.note == "" and fit.rows == 5000
    np.testing.assert_array_equal(fit.model.predict_proba(L), local.predict_proba(L))


def test_a_dev_aware_model_without_weights_is_fitted_on_the_expanded_rows(tmp_path, L):
    L = np.hstack([L, L[:, :4]])
    config, spec, counts = spec_and_counts(tmp_path, L, label_model={"name": "DevNaiveBayes"})
    y = (L[:200, 0] == 1).astype(np.int64)
    fit = fit_on_counts(spec, config, counts, DevGold(L[:200], y))
    local = fit_label_model(DevNaiveBayes(cardinality=2, seed=0), L, L_dev=L[:200], y_dev=y)
    np.testing.assert_allclose(fit.model.predict_proba(L), local.predict_proba(L), rtol=0, atol=1e-12)


def test_too_many_patterns_fall_back_to_a_seeded_stratified_sample_said_in_the_note(tmp_path, L):
    L = np.hstack([L, L[:, :4]])
    config, spec, counts = spec_and_counts(tmp_path, L, label_model={"name": "DawidSkene"},
                                           engine={"max_patterns": 500})
    assert len(counts) > 500
    fit = fit_on_counts(spec, config, counts, None)
    again = fit_on_counts(spec, config, counts, None)
    assert "max_patterns = 500" in fit.note and "stratified sample" in fit.note
    np.testing.assert_array_equal(fit.model.predict_proba(L[:50]), again.model.predict_proba(L[:50]))  # seeded


def test_the_stratified_sample_keeps_each_strata_share():
    patterns = np.array([[-1, -1], [0, -1], [1, 1], [0, 0]], dtype=np.int8)
    rows, counts = stratified_sample(patterns, np.array([600, 200, 150, 50]), 100, seed=1)
    votes = (rows != -1).sum(axis=1)
    assert counts.sum() == 100 and counts[votes == 0].sum() == 60 and counts[votes == 1].sum() == 20
