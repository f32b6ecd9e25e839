"""The labels output: one chunk's table predicted once per distinct vote pattern equals the row-by-row table."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.labels import LabelSpace
from weaksup.models import DawidSkene, MajorityVote
from weaksup.pipeline.outputs import chunk_labels, label_columns, label_table
from weaksup.review.routing import RoutingPolicy, route


@pytest.mark.parametrize("model_cls", [DawidSkene, MajorityVote])
def test_labels_predicted_once_per_distinct_vote_pattern_equal_the_row_by_row_labels(model_cls):
    rng = np.random.default_rng(3)
    space = LabelSpace(["a", "b", "c"])
    L = rng.integers(-1, 3, (4000, 5)).astype(np.int8)
    model = model_cls(cardinality=3).fit(L)
    policy = RoutingPolicy(threshold=0.6)
    reviewed = {5: 2, 17: 0, 3999: 1}
    names = [f"lf{j}" for j in range(5)]
    fast = chunk_labels(model, L, reviewed, policy=policy, label_space=space, lf_names=names, rule_version="r1")
    routed = route(L, model.predict_proba(L), policy, predictions=model.predict(L), label_space=space,
                   lf_names=names, reviewed=reviewed)
    slow = label_table(routed, space, "r1", type(model).__name__)
    assert fast.equals(slow)
    assert fast.column("review_status").to_pylist().count("reviewed") == 3
    assert set(fast.column("review_status").to_pylist()) == {"auto", "needs_review", "reviewed"}
    assert ["row_id", *fast.column_names] == label_columns(space)
