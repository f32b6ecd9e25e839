"""PandasLFApplier: the votes, faults and errors of Snorkel's applier, computed by weaksup.apply_lfs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.compat.snorkel import ApplierMetadata, DaskLFApplier, PandasLFApplier, PandasParallelLFApplier
from weaksup.errors import DataError, DuplicateLFError, ParameterError

pytestmark = pytest.mark.snorkel


def test_votes_equal_snorkels_on_a_snorkel_lf_module(comments, snorkel_lfs, snorkel_L):
    # keyword factory with resources, regexes, a memoised preprocessor used by two LFs, a spaCy LF, a field heuristic
    L = PandasLFApplier(snorkel_lfs).apply(comments[0], progress_bar=False)
    assert L.dtype == np.int64 and L.shape == snorkel_L.shape == (len(comments[0]), len(snorkel_lfs))
    assert np.array_equal(L, snorkel_L)
    assert (L != -1).any(axis=0).all()  # every LF votes somewhere: the comparison is not of empty columns


@pytest.mark.slow
def test_weaksup_lfs_give_the_votes_snorkel_gives_on_their_snorkel_form(comments, youtube_registry):
    from snorkel.labeling import PandasLFApplier as SnorkelApplier

    lfs = youtube_registry.lfs
    L = PandasLFApplier(lfs).apply(comments[0], progress_bar=False)
    assert np.array_equal(L, SnorkelApplier([lf.to_snorkel() for lf in lfs]).apply(comments[0], progress_bar=False))


def test_a_repeated_index_is_fine_as_in_snorkel(comments, snorkel_lfs, snorkel_L):
    df = pd.concat([comments[0].iloc[:50], comments[0].iloc[50:100]]).set_axis([0] * 100, axis=0)
    assert np.array_equal(PandasLFApplier(snorkel_lfs).apply(df, progress_bar=False), snorkel_L[:100])


def test_fault_tolerant_counts_the_faults_snorkel_counts():
    from snorkel.labeling import PandasLFApplier as SnorkelApplier
    from snorkel.labeling import labeling_function

    @labeling_function()
    def fragile(x):
        return 1 if 10 // int(x.num) > 1 else 0  # ZeroDivisionError where num == 0

    @labeling_function()
    def steady(x):
        return 0 if x.num > 5 else -1

    df = pd.DataFrame({"num": [0, 3, 0, 9, 0]})
    ours, meta = PandasLFApplier([fragile, steady]).apply(df, progress_bar=False, fault_tolerant=True,
                                                          return_meta=True)
    theirs, their_meta = SnorkelApplier([fragile, steady]).apply(df, progress_bar=False, fault_tolerant=True,
                                                                 return_meta=True)
    assert np.array_equal(ours, theirs) and isinstance(meta, ApplierMetadata)
    assert meta.faults == dict(their_meta.faults) == {"fragile": 3}
    with pytest.raises(Exception, match="fragile"):  # not tolerant: the error names the LF
        PandasLFApplier([fragile, steady]).apply(df, progress_bar=False)


def test_bad_input_is_named():
    from snorkel.labeling import labeling_function

    @labeling_function(name="same")
    def one(x):
        return -1

    @labeling_function(name="same")
    def two(x):
        return -1

    with pytest.raises(DuplicateLFError, match=r"non-unique LF names: \['same'\]"):
        PandasLFApplier([one, two])
    with pytest.raises(DataError, match="takes a pandas DataFrame; got list"):
        PandasLFApplier([one]).apply([{"text": "a"}])


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["processes", "threads"])
def test_the_parallel_applier_gives_the_same_votes_in_row_order(comments, snorkel_lfs, snorkel_L, scheduler):
    shuffled = comments[0].sample(frac=1.0, random_state=0)  # an unsorted index: Snorkel's would reorder the rows
    L = PandasParallelLFApplier(snorkel_lfs).apply(shuffled, n_parallel=2, scheduler=scheduler)
    order = comments[0].index.get_indexer(shuffled.index)
    assert L.dtype == np.int64 and np.array_equal(L, snorkel_L[order])
    with pytest.raises(ParameterError, match="n_parallel should be >= 2"):
        PandasParallelLFApplier(snorkel_lfs).apply(shuffled, n_parallel=1)
    with pytest.raises(ParameterError, match="scheduler='gpu'"):
        PandasParallelLFApplier(snorkel_lfs).apply(shuffled, scheduler="gpu")


def test_the_dask_applier_equals_snorkels(comments, youtube_registry):
    import dask.dataframe as dd
    from snorkel.labeling.apply.dask import DaskLFApplier as SnorkelDaskApplier

    lfs = [lf.to_snorkel() for lf in youtube_registry.lfs[:4]]
    df = dd.from_pandas(comments[0].iloc[:300], npartitions=3)
    ours = DaskLFApplier(lfs).apply(df, scheduler="synchronous")
    assert np.array_equal(ours, SnorkelDaskApplier(lfs).apply(df, scheduler="synchronous"))
