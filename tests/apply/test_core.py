"""apply_lfs: Snorkel parity on real data, order, faults and the errors users see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import ABSTAIN, LabelSpace, apply_lfs, keyword_lf, labeling_function, regex_lf, threshold_lf
from weaksup.errors import (DataError, DuplicateLFError, LabelSpaceError, LFApplyError, MissingColumnError,
                            ParameterError)


@pytest.mark.snorkel
@pytest.mark.slow
def test_votes_equal_snorkel_pandas_applier_on_youtube(youtube, youtube_registry):
    from snorkel.labeling import PandasLFApplier

    data = youtube.drop(columns=["label", "split"])
    ours = apply_lfs(youtube_registry, data, id_column="row_id")
    theirs = PandasLFApplier([lf.to_snorkel() for lf in youtube_registry.lfs]).apply(data, progress_bar=False)
    assert ours.values.dtype == np.int8 and ours.shape == (1956, len(youtube_registry))
    assert np.array_equal(ours.to_numpy(), theirs)
    assert (ours.values != ABSTAIN).any(axis=0).all()  # every LF fires somewhere
    assert ours.row_ids.tolist() == data["row_id"].tolist()
    assert ours.lf_versions == [lf.version for lf in youtube_registry.lfs]


@pytest.mark.slow  # every LF row by row on 1,956 rows
def test_vectorised_and_rowwise_paths_agree_on_youtube(youtube, youtube_registry):
    data = youtube.drop(columns=["label", "split"])
    fast = apply_lfs(youtube_registry, data, id_column="row_id", chunk_rows=700)  # several batches
    slow = np.array([[lf(row) for lf in youtube_registry.lfs] for row in data.to_dict("records")])
    assert np.array_equal(fast.values, slow)


def test_shuffled_rows_give_shuffled_votes(youtube, youtube_registry):
    data = youtube.drop(columns=["label", "split"])
    votes = apply_lfs(youtube_registry, data, id_column="row_id")
    order = np.random.default_rng(0).permutation(len(data))
    shuffled = apply_lfs(youtube_registry, data.iloc[order], id_column="row_id")
    assert np.array_equal(shuffled.values, votes.values[order])
    assert shuffled.row_ids.tolist() == votes.row_ids[order].tolist()


@labeling_function
def divides(x):
    return 1 if 10 / x.n > 2 else ABSTAIN


def test_a_raising_lf_is_named_with_the_row():
    df = pd.DataFrame({"n": [1, 0, 2]}, index=["a", "b", "c"])
    with pytest.raises(LFApplyError, match=r"'divides' \(defined at .*test_core.py:\d+\) raised ZeroDivisionError.*row id 'b'.*fault_tolerant=True"):
        apply_lfs([divides], df)


@labeling_function
def hungry(x):
    if x.n == 0:
        np.empty(1 << 62, dtype=np.int8)  # a real allocation the machine refuses: MemoryError
    return ABSTAIN


def test_out_of_memory_in_an_lf_stops_the_run_and_is_not_an_abstain():
    # fault_tolerant counted a MemoryError as the LF's fault (an abstain): the run went on with wrong votes
    df = pd.DataFrame({"n": [1, 0, 2]})
    with pytest.raises(MemoryError):
        apply_lfs([hungry], df, fault_tolerant=True)
    with pytest.raises(MemoryError):
        apply_lfs([hungry], df)


def test_fault_tolerant_abstains_and_counts():
    df = pd.DataFrame({"n": [1, 0, 2, 0, 5]})
    votes = apply_lfs([divides, threshold_lf("big", "n > 1", 0)], df, fault_tolerant=True)
    assert votes.column("divides").tolist() == [1, -1, 1, -1, -1]
    assert votes.faults == {"divides": 2, "big": 0}


def test_out_of_label_space_and_non_int_returns_are_errors():
    @labeling_function
    def says_three(x):
        return 3

    @labeling_function
    def says_name(x):
        return "spam"

    df = pd.DataFrame({"text": ["a"]}, index=[7])
    with pytest.raises(LFApplyError, match=r"'says_three'.*returned 3 on row id 7, outside the label space \['ham', 'spam'\]"):
        apply_lfs([says_three], df, label_space=LabelSpace(["ham", "spam"]))
    with pytest.raises(LFApplyError, match=r"'says_name'.*returned 'spam' \(str\) on row id 7"):
        apply_lfs([says_name], df)

    @labeling_function
    def says_list(x):
        return [1] if x.text == "a" else 1

    for rows in (df, pd.DataFrame({"text": ["a", "b"]}, index=[7, 8])):  # every row a list, or some (ragged)
        with pytest.raises(LFApplyError, match=r"'says_list'.*returned \[1\] \(list\) on row id 7"):
            apply_lfs([says_list], rows)


def test_missing_columns_name_the_lf_the_column_and_the_columns_present():
    df = pd.DataFrame({"body": ["x"]})
    with pytest.raises(MissingColumnError, match=r"'kw'.*reads column\(s\) \['text'\].*columns are \['body'\]"):
        apply_lfs([keyword_lf("kw", "x", 1)], df)

    @labeling_function
    def undeclared(x):
        return 1 if x.title else -1

    with pytest.raises(MissingColumnError, match=r"'undeclared'.*reads column 'title'.*columns are \['body'\]"):
        apply_lfs([undeclared], df, fault_tolerant=True)  # not a row fault: every row would fail

    @labeling_function
    def by_item(x):
        return 1 if x["title"] else -1

    with pytest.raises(MissingColumnError, match=r"'by_item'.*reads column 'title'"):
        apply_lfs([by_item], df)


def test_a_key_error_of_the_lfs_own_lookup_is_a_row_fault_not_a_missing_column():
    known = {"alice": 1}
    df = pd.DataFrame({"author": ["alice", "bob", "alice"]})

    @labeling_function
    def known_author(x):
        return known[x.author]

    with pytest.raises(LFApplyError, match=r"'known_author'.*raised KeyError: 'bob' on row id 1.*fault_tolerant"):
        apply_lfs([known_author], df)
    votes = apply_lfs([known_author], df, fault_tolerant=True)
    assert votes.values[:, 0].tolist() == [1, -1, 1] and votes.faults == {"known_author": 1}


def test_row_ids_and_inputs_are_validated():
    df = pd.DataFrame({"id": ["a", "a"], "text": ["x", "y"]})
    with pytest.raises(DataError, match=r"row ids must be unique; repeated: \['a'\]"):
        apply_lfs([keyword_lf("kw", "x", 1)], df, id_column="id")
    with pytest.raises(MissingColumnError, match="id column 'row'"):
        apply_lfs([keyword_lf("kw", "x", 1)], df, id_column="row")
    with pytest.raises(DuplicateLFError, match="'kw'"):
        apply_lfs([keyword_lf("kw", "x", 1), keyword_lf("kw", "y", 1)], df)
    with pytest.raises(DataError, match="pandas DataFrame"):
        apply_lfs([keyword_lf("kw", "x", 1)], ["x", "y"])


def test_empty_frame_and_dtypes():
    votes = apply_lfs([keyword_lf("kw", "x", 1)], pd.DataFrame({"text": pd.Series([], dtype="str")}))
    assert votes.shape == (0, 1)
    many = LabelSpace([f"c{i}" for i in range(300)])
    wide = apply_lfs([regex_lf("r", "x", 299)], pd.DataFrame({"text": ["x", "y"]}), label_space=many)
    assert wide.values.dtype == np.int16 and wide.values.tolist() == [[299], [-1]]


def test_the_label_space_may_be_class_names():
    df = pd.DataFrame({"text": ["buy now", "hi"]})
    votes = apply_lfs([keyword_lf("kw", "buy", 1)], df, label_space=["ham", "spam"])
    assert list(votes.label_space) == ["ham", "spam"] and votes.values[:, 0].tolist() == [1, -1]
    with pytest.raises(LabelSpaceError, match="apply_lfs.label_space=....: expected a sequence of class names"):
        apply_lfs([keyword_lf("kw", "buy", 1)], df, label_space="hamspam")


def test_an_lf_listed_twice_is_an_error_not_a_column_fewer():
    # Snorkel refuses it; keeping it once gave fewer columns than LFs listed, so columns lined up with the list were
    # off by one from there on
    frame = pd.DataFrame({"text": ["buy now", "nice song"]})
    a, b = keyword_lf("a", ["buy"], 1), keyword_lf("b", ["song"], 0)
    with pytest.raises(DuplicateLFError, match=r"LF 'a' is listed 2 times \(positions \[0, 2\]\).*list each LF once"):
        apply_lfs([a, b, a], frame)
    assert apply_lfs([a, b], frame).values.tolist() == [[1, -1], [-1, 0]]


@pytest.mark.parametrize("where", ["index", "id_column"])
def test_tuple_row_ids_are_refused_with_the_fix(where):
    index = pd.MultiIndex.from_product([["a", "b"], [1, 2]], names=["group", "n"])
    data = pd.DataFrame({"text": ["sub", "x", "sub y", "z"]}, index=index)
    kw = keyword_lf("kw", ["sub"], 1)
    if where == "index":
        with pytest.raises(DataError, match=r"apply_lfs: the row index is a MultiIndex \(levels \['group', 'n'\]\).*"
                                            r"df\.reset_index\(\).*id_column=.*join the levels into one id"):
            apply_lfs([kw], data)
    else:
        with pytest.raises(DataError, match=r"apply_lfs: id column 'key' holds tuples, e\.g\. \('a', 1\) at row 0.*"
                                            r"join the parts into one id"):
            apply_lfs([kw], data.assign(key=list(index)).set_axis(list("wxyz")), id_column="key")
    joined = data.set_axis(["-".join(map(str, t)) for t in index])  # the fix: one id per row
    assert apply_lfs([kw], joined).take_ids(["b-1"]).values.tolist() == [[1]]


def test_repeated_column_names_are_refused():
    data = pd.DataFrame([["a", "b"]], columns=["text", "text"])
    with pytest.raises(DataError, match=r"apply_lfs: the data has repeated column names \['text'\].*"
                                        r"~df\.columns\.duplicated\(\)"):
        apply_lfs([keyword_lf("kw", ["a"], 1)], data)


def test_a_column_named_by_a_number_is_read_by_its_text_name():
    data = pd.DataFrame({0: ["sub x", "y"], "n": [3, 1]})

    @labeling_function(fields=["0"])
    def rowwise(x):
        return 1 if "sub" in x["0"] else ABSTAIN

    votes = apply_lfs([keyword_lf("kw", ["sub"], 1, field="0"), rowwise], data)
    assert votes.values.tolist() == [[1, 1], [-1, -1]]
    with pytest.raises(DataError, match=r"repeated column names \['0'\]"):
        apply_lfs([keyword_lf("kw", ["sub"], 1, field="0")], data.assign(**{"0": ["a", "b"]}))


@pytest.mark.snorkel
def test_row_ids_key_the_votes_and_leave_the_index_to_the_lfs():
    from snorkel.labeling import LabelingFunction

    by_name = LabelingFunction("by_name", lambda x: int(x.name))  # a Snorkel LF reads the row's index label
    df = pd.DataFrame({"text": ["a", "b"] * 5_000}, index=[4, 4] * 5_000)  # a repeated index
    for n_jobs in (None, 2):  # (2: forked processes vote pieces of the rows, each with its own ids)
        votes = apply_lfs([by_name], df, row_ids=[f"r{i}" for i in range(len(df))], n_jobs=n_jobs)
        assert votes.row_ids[:3].tolist() == ["r0", "r1", "r2"] and (votes.values[:, 0] == 4).all()
    with pytest.raises(DataError, match="row ids must be unique"):
        apply_lfs([by_name], df)  # without row_ids, the index keys the votes
    with pytest.raises(ParameterError, match="pass id_column='text' or row_ids=, not both"):
        apply_lfs([by_name], df, id_column="text", row_ids=range(len(df)))
    with pytest.raises(DataError, match="row_ids has 3 ids for 10000 rows"):
        apply_lfs([by_name], df, row_ids=[1, 2, 3])
    with pytest.raises(DataError, match="repeated"):
        apply_lfs([by_name], df, row_ids=[0] * len(df))
