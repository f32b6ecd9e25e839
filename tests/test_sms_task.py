"""The SMS benchmark task: a fixed, disjoint dev/test split and an LF module written on dev (needs ../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "sms_uci" / "SMSSpamCollection").is_file(),
                                reason="the raw SMS Spam Collection (../shared/data/sms_uci) is not here")


@pytest.fixture(scope="module")
def task():
    from benchmarks.tasks.sms import load

    return load(SHARED_DATA / "sms_uci")


def test_rows_have_no_label_and_unique_ids(task):
    data, gold, space = task
    assert list(data.columns) == ["row_id", "text"] and len(data) == 5574
    assert data["row_id"].is_unique and list(space) == ["ham", "spam"]
    assert gold.label_space == space and set(gold.labels().index) <= set(data["row_id"])


def test_split_is_deterministic_disjoint_and_by_text(task):
    from benchmarks.tasks.sms import load, sms_split

    data, gold, _ = task
    again = load(SHARED_DATA / "sms_uci").gold
    assert again.hash == gold.hash  # the same rule gives the same gold set
    dev, test = set(gold.labels("dev").index), set(gold.labels("test").index)
    assert not dev & test
    assert gold.counts() == {"dev": 291, "test": 622}
    texts = data.set_index("row_id")["text"]
    # repeats share a split: no test message is a copy of a dev message
    assert not set(texts[list(dev)].str.strip()) & set(texts[list(test)].str.strip())
    assert all(sms_split(texts[r]) == "dev" for r in list(dev)[:50])
    # both classes in both splits
    for split in ("dev", "test"):
        assert set(gold.labels(split)) == {"ham", "spam"}


def test_lf_module_loads_and_covers_dev(task):
    from weaksup.apply import apply_lfs
    from weaksup.registry import Registry

    data, gold, space = task
    registry = Registry.from_modules("benchmarks.tasks.sms_lfs")
    assert registry.label_space == space and 15 <= len(registry.lfs) <= 25
    assert {lf.kind for lf in registry.lfs} >= {"keyword", "regex", "generic"}
    assert not any(lf.kind == "model_score" for lf in registry.lfs)  # no model trained on the task's own data
    dev_ids = gold.labels("dev").index
    dev = data[data["row_id"].isin(dev_ids)]
    L = apply_lfs(registry, dev, id_column="row_id", progress=False).values
    y = gold.y(dev["row_id"])
    assert (L != -1).any(axis=1).mean() > 0.9
    voted = L != -1
    assert (L[voted] == np.broadcast_to(y[:, None], L.shape)[voted]).mean() > 0.9  # votes are mostly right on dev
    for label in range(len(space)):  # LFs for both classes
        assert (L == label).any()
