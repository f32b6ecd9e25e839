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


def test_text_that_holds_numbers_dates_decimals_or_durations_is_read_as_what_it_holds():
    from decimal import Decimal

    n = 40
    frame = pd.DataFrame({
        "amount": [str(i * 10) for i in range(n - 2)] + ["n/a", None],       # a CSV column with a few "n/a"
        "claim_date": [f"2024-03-{i % 28 + 1:02d}" for i in range(n)],        # dates as text (a CSV)
        "money": [Decimal(f"{i}.50") for i in range(n)],                      # a database export's decimals
        "waited": pd.to_timedelta(np.arange(n), unit="h"),
        "adjuster": pd.Categorical([f"a{i % 5}" for i in range(n)]),           # a categorical dtype
        "note": [f"called about claim {i}" for i in range(n)],               # free text
    })
    features = ColumnFeatures().fit(frame)
    assert features.numbers_ == ["amount", "money", "waited"] and features.dates_ == ["claim_date"]
    assert features.categories_ == {"adjuster": ["a0", "a1", "a2", "a3", "a4"]}
    assert features.left_out_["note"].startswith("free text or an id (40 distinct values of 40)")
    X = features.transform(frame)
    assert np.isnan(X[n - 2, 0]) and X[3, 0] == 30.0 and X[1, 1] == 1.5 and X[2, 2] == 7200.0  # (seconds)
    assert X[1, 3] - X[0, 3] == 86400.0


def test_edge_columns_are_left_out_or_read_the_same_way_in_every_block():
    frame = pd.DataFrame({"x": np.arange(6.0), "tags": [["a"], ["b", "c"], [], ["a"], ["b"], ["c"]],
                          "meta": [{"k": 1}] * 6, "waited": pd.to_timedelta(["1h", None, "2h", "3h", "1h", "2h"]),
                          "when": ["01/02/2024", "13/02/2024", "today", "March", "02/02/2024", "03/02/2024"]})
    features = ColumnFeatures().fit(frame)  # lists and mappings are no values; ambiguous dates no dates
    assert features.numbers_ == ["x", "waited"] and features.dates_ == []
    assert features.left_out_["tags"] == features.left_out_["meta"] == "lists or mappings, not values"
    assert np.isnan(features.transform(frame)[1, 1])  # a missing duration stays missing
    iso = pd.DataFrame({"when": ["2024-02-01", "2024-02-13", "2024-03-01 12:30", "2024-01-05"]})
    first, second = (ColumnFeatures().fit(iso).transform(part)[:, 0] for part in (iso, iso.iloc[::-1]))
    assert first.tolist() == second[::-1].tolist()  # the same value, the same seconds, in any block


def test_a_run_records_the_columns_its_end_model_read_and_those_left_out(tmp_path, monkeypatch, caplog):
    from weaksup.config import RunConfig
    from weaksup.pipeline.end_columns import tabular_model

    config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"path": "a.csv", "text_column": ""},
                                  "lfs": {"modules": ["m"]}, "output": {"path": "labels.csv"}})
    frame = pd.DataFrame({"amount": np.arange(30.0), "note": [f"text {i}" for i in range(30)], "same": 1})
    info: dict = {}
    with caplog.at_level("INFO"):
        assert tabular_model(config, frame, info) is not None
    assert info["columns"] == {"numbers": ["amount"], "dates": [], "categories": []}
    assert info["columns_left_out"] == {"note": "free text or an id (30 distinct values of 30)", "same": "one value"}
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert said == ["end model: columns left out: note (free text or an id (30 distinct values of 30))"]
    info = {}
    assert tabular_model(config, frame[["note"]], info) is None and "no column to learn from" in info["skipped"]
