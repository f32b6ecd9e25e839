"""The end model of rows without text: the rows' columns as features (numbers, dates, categories), trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import EndModelError
from weaksup.final.columns import MAX_CATEGORIES, ColumnFeatures, feature_frame, tabular_end_model


def test_numbers_dates_and_few_valued_text_are_features_ids_free_text_and_constants_are_not():
    frame = pd.DataFrame({
        "claim_id": [f"c{i}" for i in range(6)],                       # every value distinct: an id
        "amount": [10.0, np.nan, 3.0, 8.0, 1.0, 2.0],
        "flag": [True, False, True, True, False, False],
        "region": ["n", "s", "n", None, "e", "s"],
        "day": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04", "2024-01-05", "2024-01-06"]),
        "same": [1] * 6,                                               # one value: nothing to learn
        "note": [f"free text {i}" for i in range(6)],
    })
    features = ColumnFeatures(exclude=["amount"]).fit(frame)
    assert features.feature_names_ == ["flag", "day", "region=e", "region=n", "region=s"]
    X = features.transform(frame)
    assert X.shape == (6, 5)
    assert np.isnan(X[2, 1]) and X[1, 1] - X[0, 1] == 86400.0       # a missing date stays missing; seconds
    assert X[3, 2:].tolist() == [0.0, 0.0, 0.0]                      # a missing category: none of them
    unseen = frame.assign(region=["w"] * 6)
    assert features.transform(unseen)[:, 2:].sum() == 0              # a value unseen in fit: no category
    assert "amount" in ColumnFeatures().fit(frame).feature_names_
    wide = pd.DataFrame({"code": [f"k{i % (MAX_CATEGORIES + 1)}" for i in range(200)], "x": np.arange(200)})
    assert ColumnFeatures().fit(wide).feature_names_ == ["x"]        # too many values for a category


def test_a_frame_without_a_usable_column_or_not_a_frame_is_refused_saying_why():
    with pytest.raises(EndModelError, match="no column to learn from among \\['row_id', 'note'\\]"):
        ColumnFeatures().fit(pd.DataFrame({"row_id": ["a", "b"], "note": ["x y", "z w"]}))
    with pytest.raises(EndModelError, match="reads a DataFrame of their columns; got list"):
        ColumnFeatures().fit([[1, 2]])
    features = ColumnFeatures().fit(pd.DataFrame({"x": [1, 2, 1]}))
    with pytest.raises(EndModelError, match="reads columns \\['x'\\], which these rows do not have"):
        features.transform(pd.DataFrame({"y": [1]}))


def test_the_trees_learn_a_threshold_rule_from_the_columns():
    gen = np.random.default_rng(0)
    frame = pd.DataFrame({"amount": gen.gamma(2, 500, 1500), "days": gen.integers(0, 90, 1500),
                          "region": gen.choice(["n", "s"], 1500)})
    y = ((frame["amount"] > 1200) & (frame["days"] > 30)).astype(int).to_numpy()
    model = tabular_end_model(0).fit(frame[:1000], y[:1000])
    assert (model.predict(frame[1000:]) == y[1000:]).mean() > 0.95
    again = tabular_end_model(0).fit(frame[:1000], y[:1000])
    assert np.array_equal(model.predict_proba(frame[1000:]), again.predict_proba(frame[1000:]))  # seeded
    assert feature_frame(frame.assign(row_id="r"), ["row_id"]).columns.tolist() == ["amount", "days", "region"]
