"""Dask application on a real LocalCluster: row order, fault counts from every partition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import apply_lfs
from weaksup.apply.dask import apply_lfs_dask
from weaksup.errors import DataError, LFApplyError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow  # a local Dask cluster and the whole YouTube set
def test_same_votes_and_order_as_pandas_with_a_shuffled_index(client, youtube, youtube_registry):
    data = youtube.drop(columns=["label", "split"]).sample(frac=1.0, random_state=3)
    data.index = np.random.default_rng(0).permutation(len(data))  # unsorted index: Snorkel reorders here
    ddf = dd.from_pandas(data, npartitions=4, sort=False)
    ours = apply_lfs_dask(youtube_registry, ddf, id_column="row_id", client=client)
    local = apply_lfs(youtube_registry, data, id_column="row_id")
    assert ours == local
    assert ours.row_ids.tolist() == data["row_id"].tolist()


@pytest.mark.slow  # starts a local Dask cluster
def test_fault_counts_are_summed_over_partitions(client):
    from tests.apply.test_core import divides  # a module-level LF: it travels by reference

    frame = pd.DataFrame({"n": [1, 0, 2, 0, 5, 0, 4, 1]})
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    votes = apply_lfs_dask([divides], ddf, fault_tolerant=True, client=client)
    assert votes.faults == {"divides": 3}
    assert votes.column("divides").tolist() == apply_lfs([divides], frame, fault_tolerant=True).column("divides").tolist()
    with pytest.raises(LFApplyError, match="'divides'.*ZeroDivisionError"):
        apply_lfs_dask([divides], ddf, client=client)


def test_repeated_ids_across_partitions_are_refused():
    from weaksup import keyword_lf

    ddf = dd.from_pandas(pd.DataFrame({"text": ["a", "b", "c", "d"]}, index=[0, 1, 0, 1]), npartitions=2, sort=False)
    with pytest.raises(DataError, match=r"across partitions: row ids must be unique; repeated: \[0, 1\].*id_column="):
        apply_lfs_dask([keyword_lf("kw", "a", 1)], ddf)


@pytest.mark.slow  # a local Dask cluster
@pytest.mark.snorkel
def test_snorkel_lfs_vote_as_pandas_lf_applier_on_dask(client, youtube):
    from snorkel.labeling import LabelingFunction as SnorkelLF
    from snorkel.labeling import PandasLFApplier

    import labeling_functions.snorkel_spam as spam

    lfs = [v for v in vars(spam).values() if isinstance(v, SnorkelLF)]
    data = youtube[["row_id", "author", "date", "text", "video"]]
    ours = apply_lfs_dask(lfs, dd.from_pandas(data, npartitions=3, sort=False), id_column="row_id", client=client)
    np.testing.assert_array_equal(ours.values, PandasLFApplier(lfs).apply(data, progress_bar=False))
    assert ours.row_ids.tolist() == data["row_id"].tolist()
