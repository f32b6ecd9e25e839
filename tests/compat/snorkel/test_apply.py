"""PandasLFApplier: the votes, faults and errors of Snorkel's applier, computed by weaksup.apply_lfs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.compat.snorkel import ApplierMetadata, DaskLFApplier, PandasLFApplier, PandasParallelLFApplier
from weaksup.errors import DataError, DuplicateLFError, LFApplyError, ParameterError

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


def votes_of_both(lfs, df, **options):
    """``(weaksup's L, Snorkel's L)`` of the same LFs on the same rows."""
    import warnings

    from snorkel.labeling import PandasLFApplier as SnorkelApplier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' deprecations inside Snorkel's Series rows
        theirs = SnorkelApplier(lfs).apply(df, progress_bar=False, **options)
        return PandasLFApplier(lfs).apply(df, progress_bar=False, **options), theirs


ROWS = pd.DataFrame({"text": ["check my channel", "nice song", "so good"], "score": [0.9, float("nan"), 0.2]})


def test_results_snorkel_reads_exactly_give_snorkels_votes():
    from snorkel.labeling import LabelingFunction

    lfs = [LabelingFunction("says_bool", lambda x: "check" in x.text),  # True/False on every row: 1/0
           LabelingFunction("says_np_bool", lambda x: np.bool_(x.score > 0.5)),
           LabelingFunction("says_float", lambda x: 1.0 if "song" in x.text else -1.0),  # whole floats
           LabelingFunction("passes_nan_on", lambda x: x.score * 0 + 2),  # NaN: no vote (Snorkel keeps y >= 0)
           LabelingFunction("mixed", lambda x: True if "so" in x.text else 0)]
    ours, theirs = votes_of_both(lfs, ROWS)
    assert theirs.tolist() == [[1, 1, -1, 2, 0], [0, 0, 1, -1, 1], [0, 0, -1, 2, 1]]
    assert ours.dtype == np.int64 and np.array_equal(ours, theirs)


@pytest.mark.parametrize("value, snorkel_stores", [(1.5, 1), (0.7, 0), (-2, -1), (-3.0, -1)])
def test_results_snorkel_silently_misreads_are_refused_naming_lf_row_value_and_fix(value, snorkel_stores):
    from snorkel.labeling import LabelingFunction
    from snorkel.labeling import PandasLFApplier as SnorkelApplier

    odd = LabelingFunction("odd", lambda x: value if x.text == "nice song" else 0)
    assert SnorkelApplier([odd]).apply(ROWS, progress_bar=False)[:, 0].tolist() == [0, snorkel_stores, 0]
    for tolerant in (False, True):  # a wrong result is no fault of the row: never a counted abstain
        with pytest.raises(LFApplyError, match=rf"'odd' .*returned {value!r} on row id 1.*Snorkel's applier would "
                                               rf"silently store {snorkel_stores}.*return a class id"):
            PandasLFApplier([odd]).apply(ROWS, progress_bar=False, fault_tolerant=tolerant)


def test_an_infinite_result_is_refused_where_snorkel_overflows():
    from snorkel.labeling import LabelingFunction
    from snorkel.labeling import PandasLFApplier as SnorkelApplier

    endless = LabelingFunction("endless", lambda x: float("inf") if x.score > 0.5 else -1)
    with pytest.raises(OverflowError):
        SnorkelApplier([endless]).apply(ROWS, progress_bar=False)
    with pytest.raises(LFApplyError, match=r"'endless' .*returned inf on row id 0.*return a class id"):
        PandasLFApplier([endless]).apply(ROWS, progress_bar=False)


def test_a_row_written_by_item_or_attribute_reaches_later_lfs_as_in_snorkel(caplog):
    import logging

    from snorkel.labeling import LabelingFunction
    from snorkel.preprocess import preprocessor

    def readers(tag, pre):
        return [LabelingFunction(f"{tag}_attr", lambda x: 1 if getattr(x, "f", 0) > 8 else 0, pre=pre),
                LabelingFunction(f"{tag}_item", lambda x: 1 if x.get("f", 0) > 8 else 0, pre=pre),
                LabelingFunction(f"{tag}_in", lambda x: 1 if "f" in x else 0, pre=pre),
                LabelingFunction(f"{tag}_text", lambda x: 1 if x["text"].isupper() else 0, pre=pre)]

    writes = {"item": lambda x: x.__setitem__("f", len(x.text)), "attr": lambda x: setattr(x, "f", len(x.text)),
              "item_column": lambda x: x.__setitem__("text", x.text.upper()),
              "attr_column": lambda x: setattr(x, "text", x.text.upper())}
    for how, write in writes.items():
        for memoised in (False, True):
            @preprocessor()
            def copied(x):  # Snorkel runs it on a pickled copy of the row, for each LF
                return x

            @preprocessor(memoize=True)
            def shared(x):  # Snorkel hands every LF listing it the same memoised row (its memo outlives the call)
                return x

            pre = [shared] if memoised else []
            writer = LabelingFunction("writer", lambda x, write=write: write(x) or -1, pre=pre)
            lfs = [writer, *readers("plain", pre), *readers("copied", [*pre, copied])]
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="weaksup.apply.rowwise"):
                ours, theirs = votes_of_both(lfs, ROWS)
            assert np.array_equal(ours, theirs), (how, pre, ours.tolist(), theirs.tolist())
            assert "runs on pandas.Series rows" not in caplog.text  # the writer keeps weaksup's light rows
            assert (theirs[:, 1:5] == 1).any()  # the LFs after the writer see its write: no vacuous comparison


def test_an_lf_catching_an_error_around_its_write_votes_as_in_snorkel():
    from snorkel.labeling import LabelingFunction

    def careful(x):
        try:
            x["n_words"] = len(x.text.split())
        except Exception:  # noqa: BLE001 - what a cautious migrant writes
            return 0
        return 1 if x.n_words > 2 else -1

    ours, theirs = votes_of_both([LabelingFunction("careful", careful)], ROWS)
    assert theirs[:, 0].tolist() == [1, -1, -1] and np.array_equal(ours, theirs)


def test_x_name_is_the_index_label_under_a_repeated_index_as_in_snorkel():
    from snorkel.labeling import LabelingFunction

    from weaksup.lf import keyword_lf

    df = pd.DataFrame({"text": ["check it", "song", "check", "so good"]}, index=[7, 7, 3, 7])
    by_name = LabelingFunction("by_name", lambda x: int(x.name))
    ours, theirs = votes_of_both([by_name], df)
    assert theirs[:, 0].tolist() == [7, 7, 3, 7] and np.array_equal(ours, theirs)
    both = PandasParallelLFApplier([by_name, keyword_lf("kw", "check", 1)]).apply(df, scheduler="threads")
    assert both.tolist() == [[7, 1], [7, -1], [3, 1], [7, -1]]


def test_a_failing_lf_raises_its_own_exception_as_in_snorkel():
    from snorkel.labeling import LabelingFunction
    from snorkel.preprocess import preprocessor

    @preprocessor()
    def parses(x):
        x.n = int(x.text)
        return x

    df = pd.DataFrame({"text": ["4", "0"]})
    failing = {ZeroDivisionError: LabelingFunction("divides", lambda x: 1 if 8 // int(x.text) > 1 else 0),
               AttributeError: LabelingFunction("misspelt", lambda x: 1 if x.txt else 0),
               KeyError: LabelingFunction("misspelt_item", lambda x: 1 if x["txt"] else 0),
               ValueError: LabelingFunction("from_pre", lambda x: x.n, pre=[parses])}
    df_for = {ValueError: pd.DataFrame({"text": ["4", "four"]})}
    for kind, lf in failing.items():
        rows = df_for.get(kind, df)
        with pytest.raises(kind):
            votes_of_both([lf], rows)  # Snorkel's applier raises first
        with pytest.raises(kind) as raised:
            PandasLFApplier([lf]).apply(rows, progress_bar=False)
        assert not isinstance(raised.value, LFApplyError)
        note = "\n".join(getattr(raised.value, "__notes__", []))
        where = "reads column 'txt'" if kind is KeyError else "row id"
        assert f"labeling function {lf.name!r}" in note and where in note, (kind, note)
    many = pd.DataFrame({"text": ["4"] * 10_000 + ["0"]})  # enough rows for worker processes
    with pytest.raises(ZeroDivisionError) as raised:
        PandasParallelLFApplier([failing[ZeroDivisionError]]).apply(many, n_parallel=2)
    assert "'divides'" in raised.value.__notes__[0] and "row id 10000" in raised.value.__notes__[0]
    holds_lock = LabelingFunction("holds_lock", lambda x: _raise(HoldsLock("no vote")) if x.text == "0" else 1)
    with pytest.raises(LFApplyError, match=r"'holds_lock' .*raised HoldsLock: no vote on row id 1") as raised:
        PandasLFApplier([holds_lock]).apply(df, progress_bar=False)  # no pickled copy: weaksup's error, its cause
    assert isinstance(raised.value.__cause__, HoldsLock)


class HoldsLock(Exception):
    """An exception that cannot be pickled (it holds a lock), so no worker process can send it back."""

    def __init__(self, what):
        import threading

        super().__init__(what)
        self.lock = threading.Lock()


def _raise(exc):
    raise exc


def test_a_label_written_by_item_reaches_a_later_lf_on_series_rows_as_in_snorkel():
    from snorkel.labeling import labeling_function

    @labeling_function()
    def writer(x):
        x["flag"] = 1
        return -1

    @labeling_function()
    def reader_series(x):  # len(x): this LF runs on pandas.Series rows, the writer on light rows
        return 1 if len(x) > 0 and x.get("flag") == 1 else 0

    @labeling_function()
    def reader_in(x):
        return 1 if "flag" in x else 0

    @labeling_function()
    def overwriter(x):  # a column's value written by item
        x["text"] = x.text.upper()
        return -1

    @labeling_function()
    def reader_text(x):
        return 1 if len(x) > 0 and x.to_dict()["text"].isupper() else 0

    ours, theirs = votes_of_both([writer, reader_series, reader_in, overwriter, reader_text], ROWS)
    assert theirs[:, 1:].tolist() == [[1, 1, -1, 1]] * 3
    assert np.array_equal(ours, theirs), ours.tolist()
