"""The workbench's vote cache: one column and fault count per name@version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import LabelSpace, keyword_lf, labeling_function
from weaksup.errors import LFDefinitionError
from weaksup.workbench.cache import CacheInfo, VoteCache

DATA = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["sub now", "nice song", None]})


def test_a_column_is_applied_once_per_version_and_read_only():
    cache = VoteCache(DATA, LabelSpace(["ham", "spam"]), "row_id")
    lf = keyword_lf("kw_sub", "sub", 1)
    first = cache.votes(lf)
    assert first.column.tolist() == [1, -1, -1] and first.faults == 0 and not first.column.flags.writeable
    assert cache.votes(lf) is first and cache.stored(lf) is first
    assert cache.info() == CacheInfo(hits=1, misses=1, size=1)
    cache.compute([keyword_lf("kw_sub", "sub", 1, version="v2"), keyword_lf("kw_song", "song", 0)])
    assert cache.info() == CacheInfo(hits=1, misses=3, size=3) and lf.lf_id in cache
    cache.forget(lf.lf_id)
    assert lf.lf_id not in cache and cache.info().size == 2
    cache.forget()
    assert cache.info().size == 0


def test_faults_are_kept_beside_the_column():
    @labeling_function
    def fragile(x):
        return 1 if x.text.startswith("sub") else -1

    cached = VoteCache(DATA, None, "row_id", fault_tolerant=True).votes(fragile)
    assert cached.column.tolist() == [1, -1, -1] and cached.faults == 1


def test_turning_fault_tolerance_off_applies_the_faulted_columns_again():
    # Workbench.fault_tolerant was read once, at construction: set to False later, the cached column with its
    # fault was still served, so the LF never stopped with the row id
    from weaksup import Workbench
    from weaksup.errors import LFApplyError

    @labeling_function
    def fragile(x):
        return 1 if x.text.startswith("sub") else -1

    wb = Workbench(DATA, fault_tolerant=True).add(fragile, keyword_lf("kw_song", "song", 0))
    assert wb.votes.faults == {"fragile": 1, "kw_song": 0}
    wb.fault_tolerant = False
    assert wb.fault_tolerant is False
    with pytest.raises(LFApplyError, match="'c'"):
        wb.summary(references=False)
    with pytest.raises(LFApplyError, match="'c'"):
        wb.add(fragile)
    misses = wb.cache_info().misses
    wb.fault_tolerant = True  # tolerated again: the cached columns serve, nothing is applied
    assert wb.votes.faults == {"fragile": 1, "kw_song": 0} and wb.cache_info().misses == misses


def test_refuses_what_is_not_an_lf_and_votes_outside_the_label_space():
    cache = VoteCache(DATA, LabelSpace(["ham", "spam"]), "row_id")
    with pytest.raises(LFDefinitionError, match="expected a LabelingFunction"):
        cache.compute([lambda x: 1])
    with pytest.raises(LFDefinitionError, match=r"votes \[2\], outside the label space"):
        cache.compute([keyword_lf("kw", "x", 2)])
    assert cache.info().misses == 0 and np.array_equal(list(cache.columns()), [])


def test_an_lf_that_is_not_cacheable_is_applied_again_each_time_it_is_computed():
    import types

    rules = types.SimpleNamespace(words={"sub"})  # state its version cannot hash (like a spaCy Matcher)

    @labeling_function
    def uses_rules(x):
        return 1 if x.text is not None and any(w in x.text for w in rules.words) else -1

    assert not uses_rules.cacheable
    cache = VoteCache(DATA, LabelSpace(["ham", "spam"]), "row_id")
    assert cache.votes(uses_rules).column.tolist() == [1, -1, -1]
    rules.words.add("song")  # the rules changed, the version did not
    assert cache.stored(uses_rules).column.tolist() == [1, -1, -1]  # the column computed last
    assert cache.votes(uses_rules).column.tolist() == [1, 1, -1]
    assert cache.info() == CacheInfo(hits=0, misses=2, size=1)
