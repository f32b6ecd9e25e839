"""Snorkel LFs taken as they are: the votes, faults and memoisation of Snorkel's PandasLFApplier, versions,
round trips, the registry, the workbench and run configs."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import LabelingFunction as SnorkelLF
from snorkel.labeling import PandasLFApplier
from snorkel.labeling import labeling_function as snorkel_labeling_function
from snorkel.preprocess import preprocessor as snorkel_preprocessor

import labeling_functions.snorkel_spam as spam
from weaksup import Registry, apply_lfs, from_snorkel, lf_summary
from weaksup.errors import LFApplyError, LFDefinitionError
from weaksup.lf import SnorkelLF as WeaksupSnorkelLF
from weaksup.lf import keyword_lf, labeling_function

pytestmark = pytest.mark.snorkel

COLUMNS = ["row_id", "author", "date", "text", "video"]


@pytest.fixture(scope="module")
def comments():
    from weaksup.datasets.examples import load_youtube_spam

    return load_youtube_spam()[COLUMNS]


def module_lfs():
    return [v for v in vars(spam).values() if isinstance(v, SnorkelLF)]


def snorkel_votes(lfs, frame, **kwargs):
    return PandasLFApplier(lfs).apply(frame, progress_bar=False, **kwargs)


def test_the_module_votes_as_pandas_lf_applier_on_the_youtube_comments(comments):
    lfs = module_lfs()
    assert len(lfs) >= 12 and {type(lf).__name__ for lf in lfs} == {"LabelingFunction", "NLPLabelingFunction"}
    expected = snorkel_votes(lfs, comments)
    ours = apply_lfs(lfs, comments)
    np.testing.assert_array_equal(ours.values, expected)
    assert ours.lf_names == [lf.name for lf in lfs] and not any(ours.faults.values())
    assert (expected != -1).any(axis=0).all()  # every LF fires somewhere: the comparison is not vacuous
    # the same through the registry (a module imported from its path), in batches, and on a shuffled frame
    registry = Registry.from_modules(spam.__file__)
    assert [lf.kind for lf in registry.lfs] == ["snorkel"] * len(lfs)
    np.testing.assert_array_equal(apply_lfs(registry, comments, chunk_rows=300).values, expected)
    shuffled = comments.sample(frac=1.0, random_state=1)
    np.testing.assert_array_equal(apply_lfs(lfs, shuffled).values, snorkel_votes(lfs, shuffled))


def test_preprocessors_see_snorkel_row_values_and_copies():
    """Missing text is NaN (not None), as in Series rows; a field set by one preprocessor is lost by the next one's
    copy, as Snorkel's pickled Series copy loses it; a row without the field faults alike."""
    seen = []

    @snorkel_preprocessor()
    def first(x):
        x.flag = True
        return x

    @snorkel_preprocessor()
    def second(x):
        x.flag_again = x.flag  # Snorkel: AttributeError (pickle drops instance attributes of a Series)
        return x

    @snorkel_labeling_function(pre=[first, second])
    def chained(x):
        return 1

    @snorkel_labeling_function(pre=[first])
    def reads_flag(x):
        return 1 if x.flag and x["text"] == x.text else 0

    @snorkel_labeling_function()
    def missing_text(x):
        seen.append(type(x.text).__name__)
        return 0 if isinstance(x.text, float) and np.isnan(x.text) else -1

    frame = pd.DataFrame({"text": ["a", None, "c"], "n": [1, 2, 3]})
    lfs = [chained, reads_flag, missing_text]
    expected, meta = snorkel_votes(lfs, frame, fault_tolerant=True, return_meta=True)
    ours = apply_lfs(lfs, frame, fault_tolerant=True)
    np.testing.assert_array_equal(ours.values, expected)
    assert ours.faults == {"chained": 3, "reads_flag": 0, "missing_text": 0} == {lf.name: meta.faults.get(lf.name, 0)
                                                                                  for lf in lfs}
    assert expected[1, 2] == 0 and "float" in seen


def test_fault_tolerant_counts_faults_as_snorkel_does(comments):
    calls = itertools.count()

    @snorkel_preprocessor(memoize=True)
    def fragile(x):
        next(calls)
        if "?" in x.text:
            raise ValueError("a question")
        x.n_words = len(x.text.split())
        return x

    @snorkel_labeling_function(pre=[fragile])
    def long_comment(x):
        return 1 if x.n_words > 30 else -1

    @snorkel_labeling_function(pre=[fragile])
    def ignores_the_row(x):  # never reads the row: faults only where its preprocessor raised
        return 0

    @snorkel_labeling_function()
    def year(x):
        return 1 if int(x.date[:4]) < 2014 else 0  # a missing date (NaN) raises TypeError

    lfs = [long_comment, ignores_the_row, year, spam.keyword_please]
    expected, meta = snorkel_votes(lfs, comments, fault_tolerant=True, return_meta=True)
    ours = apply_lfs(lfs, comments, fault_tolerant=True)
    np.testing.assert_array_equal(ours.values, expected)
    assert ours.faults == {lf.name: meta.faults.get(lf.name, 0) for lf in lfs}
    assert ours.faults["year"] == comments["date"].isna().sum() > 0
    assert ours.faults["long_comment"] == ours.faults["ignores_the_row"] > 0
    with pytest.raises(LFApplyError, match=r"'year'.*TypeError.*row id .*fault_tolerant=True.*"
                                           r"--set lfs\.fault_tolerant=true"):
        apply_lfs([year], comments)
    with pytest.raises(LFApplyError, match=r"'long_comment'.* failed: its preprocessor raised ValueError: a quest"):
        apply_lfs([long_comment], comments)


def test_memoize_reuses_results_for_rows_of_equal_content_as_snorkel_does():
    counter = itertools.count()

    @snorkel_preprocessor(memoize=True)
    def stamp(x):
        x.stamp = next(counter)  # impure on purpose: memoisation decides what each row sees
        return x

    @snorkel_labeling_function(pre=[stamp])
    def even_stamp(x):
        return 1 if x.stamp % 2 == 0 else 0

    @snorkel_labeling_function(pre=[stamp])
    def small_stamp(x):
        return 1 if x.stamp < 2 else 0

    frame = pd.DataFrame({"text": ["a", "b", "a", "c", "b", "a"]})
    expected = snorkel_votes([even_stamp, small_stamp], frame)
    snorkel_calls = next(counter)
    stamp.reset_cache()
    counter = itertools.count()
    ours = apply_lfs([even_stamp, small_stamp], frame)
    np.testing.assert_array_equal(ours.values, expected)
    assert next(counter) == snorkel_calls == 3  # one call per distinct row, for both LFs


def test_an_lf_needing_series_behaviour_runs_on_series_rows(caplog):
    @snorkel_labeling_function()
    def by_index(x):
        return 1 if x.name % 2 else 0  # the row's index label: Series behaviour

    @snorkel_labeling_function()
    def by_dict(x):
        return 1 if len(x.to_dict()) == 2 else 0

    @snorkel_labeling_function()
    def faults_then_index(x):
        if x.n == 1:
            raise ValueError("first row")
        return 1 if x.name > 5 else 0  # faults on a light row first, then needs the Series: counted once

    frame = pd.DataFrame({"text": ["a", "b", "c"], "n": [1, 2, 3]}, index=[4, 7, 9])
    lfs = [by_index, by_dict, spam.short_comment, faults_then_index]
    with caplog.at_level(logging.INFO, logger="weaksup.apply.rowwise"):
        ours = apply_lfs(lfs, frame, fault_tolerant=True)
    expected, meta = snorkel_votes(lfs, frame, fault_tolerant=True, return_meta=True)
    np.testing.assert_array_equal(ours.values, expected)
    assert ours.faults == {"by_index": 0, "by_dict": 0, "short_comment": 0, "faults_then_index": 1} \
        == {lf.name: meta.faults.get(lf.name, 0) for lf in lfs}
    assert "'by_index' runs on pandas.Series rows" in caplog.text and "'short_comment'" not in caplog.text
    def add_length(x):  # Snorkel runs any callable in pre=[...]
        x.length = len(x.text)
        return x

    plain_pre = SnorkelLF("plain_pre", f=lambda x: 1 if x.length > 0 else 0, pre=[add_length])
    np.testing.assert_array_equal(apply_lfs([plain_pre], frame).values, snorkel_votes([plain_pre], frame))
    assert from_snorkel(plain_pre).params["pre"] == ["add_length"]
    # a column named like a Series attribute: x.name is the Series' name in Snorkel
    named = pd.DataFrame({"name": ["ann", "bob"], "text": ["hi there", "spam spam spam spam spam"]})
    np.testing.assert_array_equal(apply_lfs([by_index, spam.short_comment], named).values,
                                  snorkel_votes([by_index, spam.short_comment], named))


def test_from_snorkel_and_to_snorkel_round_trip(comments):
    lf = from_snorkel(spam.keyword_subscribe)
    assert isinstance(lf, WeaksupSnorkelLF) and lf.kind == "snorkel" and lf.name == "keyword_subscribe"
    assert from_snorkel(spam.keyword_subscribe) is lf and lf.to_snorkel() is spam.keyword_subscribe
    assert lf.params["resources"]["keywords"] == ["subscribe", "subscribing", "sub to"]
    assert lf({"text": "please SUBSCRIBE"}) == 1 == lf(pd.Series({"text": "subscribe"}))
    native = keyword_lf("kw_song", "song", 0)

    @labeling_function(pre=[spam.tone_preprocessor])
    def warm(x):
        return 0 if x.polarity > 0.5 else -1

    for ours in (native, warm):
        theirs = ours.to_snorkel()
        assert isinstance(theirs, SnorkelLF) and theirs.name == ours.name and from_snorkel(theirs) is ours
        np.testing.assert_array_equal(snorkel_votes([theirs], comments), apply_lfs([ours], comments).values)


def test_a_constant_read_by_a_preprocessor_helper_is_in_the_version(tmp_path):
    source = open(spam.__file__, encoding="utf-8").read()
    assert '"love": 0.8,' in source
    versions = []
    for weight in ("0.8", "0.9"):
        path = tmp_path / f"spam_{weight.replace('.', '')}.py"
        path.write_text(source.replace('"love": 0.8,', f'"love": {weight},'), encoding="utf-8")
        versions.append({lf.name: lf.version for lf in Registry.from_modules(path).lfs})
    assert [n for n in versions[0] if versions[0][n] != versions[1][n]] == ["tone_very_positive", "tone_emotional"]


def test_versions_hash_the_function_resources_and_preprocessors():
    lfs = {lf.name: from_snorkel(lf) for lf in module_lfs()}
    assert len({lf.version for lf in lfs.values()}) == len(lfs)
    # the factory's LFs share a function: resources tell them apart; the same definition gives the same version
    assert from_snorkel(spam.make_keyword_lf(["subscribe", "subscribing", "sub to"])).version == \
        lfs["keyword_subscribe"].version
    assert from_snorkel(spam.make_keyword_lf(["subscribe"])).version != lfs["keyword_subscribe"].version

    def make(body):
        namespace = {}
        exec("from snorkel.preprocess import preprocessor\nfrom snorkel.labeling import labeling_function\n"
             f"@preprocessor()\ndef pre(x):\n    x.score = {body}\n    return x\n"
             "@labeling_function(pre=[pre])\ndef lf(x):\n    return 1 if x.score > 3 else -1\n", namespace)
        return from_snorkel(namespace["lf"])

    assert make("len(x.text)").version == make("len(x.text)").version != make("len(x.text.split())").version
    assert "tone_preprocessor" in lfs["tone_very_positive"].params["pre"]


def test_the_error_for_what_is_not_an_lf_names_what_it_is():
    with pytest.raises(LFDefinitionError) as info:
        apply_lfs([spam.keyword_please, len], pd.DataFrame({"text": ["x"]}))
    message = str(info.value)
    assert "builtins.builtin_function_or_method" in message and "Snorkel's" in message
    assert "expected LabelingFunction objects; got LabelingFunction" not in message


def test_several_processes_give_the_same_votes_and_faults(comments):
    @snorkel_labeling_function()
    def year(x):
        return 1 if int(x.date[:4]) < 2014 else 0

    frame = comments.iloc[np.arange(12_000) % len(comments)].reset_index(drop=True)
    lfs = [*module_lfs(), year]
    one = apply_lfs(lfs, frame, fault_tolerant=True)
    two = apply_lfs(lfs, frame, fault_tolerant=True, n_jobs=2)
    assert one == two and one.faults == two.faults and one.faults["year"] > 0
    np.testing.assert_array_equal(one.values[:len(comments)], snorkel_votes(lfs[:-1] + [year], comments,
                                                                               fault_tolerant=True))


def test_the_workbench_takes_snorkel_lfs(comments):
    from weaksup import Workbench

    frame = comments
    bench = Workbench(frame, lfs=[spam.keyword_subscribe, spam.tone_very_positive], label_space=["ham", "spam"])
    bench.add(spam.regex_link)
    assert [lf.kind for lf in bench.lfs] == ["snorkel"] * 3
    np.testing.assert_array_equal(bench.votes.values, snorkel_votes(
        [spam.keyword_subscribe, spam.tone_very_positive, spam.regex_link], bench.data))  # (cleaned as a run does)
    assert bench.preview(spam.short_comment).lf.name == "short_comment"


@pytest.mark.slow  # a whole run
def test_a_run_config_with_a_snorkel_lf_module(tmp_path, comments, monkeypatch):
    from tests.pipeline.helpers import run_config
    from tests.pipeline_project import write_config

    comments.to_csv(tmp_path / "comments.csv", index=False)
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, lfs={"modules": [spam.__file__]}, clean={"normalize": False})
    result = run_config(config)
    labels = pd.read_parquet(result.labels_path)
    data = pd.read_csv(tmp_path / "comments.csv", dtype=str)
    expected = snorkel_votes(module_lfs(), data)
    assert labels["row_id"].tolist() == comments["row_id"].tolist()
    assert labels["n_votes"].tolist() == (expected != -1).sum(axis=1).tolist()
    fired = set(labels["sources"].dropna().str.split(",").sum()) - {""}
    assert fired <= {lf.name for lf in module_lfs()} and "nlp_mentions_the_music" in fired


def test_the_version_covers_default_arguments_so_an_edited_keyword_list_is_recomputed():
    # Snorkel's loop idiom binds each keyword as a default argument; editing the list must change the version
    # (the vote caches key on name@version: an unchanged version would reuse the old keyword's votes)
    def make(words):
        return [SnorkelLF(f"kw_{i}", lambda x, w=w: 1 if w in x.text else -1) for i, w in enumerate(words)]

    def native(words):
        @labeling_function(name="kw_native")
        def kw(x, keywords=tuple(words)):
            return 1 if any(k in x.text for k in keywords) else -1
        return kw

    assert from_snorkel(make(["check"])[0]).version != from_snorkel(make(["subscribe"])[0]).version
    assert from_snorkel(make(["check"])[0]).version == from_snorkel(make(["check"])[0]).version
    assert native(["check"]).version != native(["song"]).version == native(["song"]).version


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_series_only_behaviour_runs_on_series_rows_and_votes_as_snorkel():
    # x["col"] = ... in a preprocessor, len(x), comparisons of the whole row: a light row raised TypeError, so every
    # row faulted (0 votes with fault_tolerant); they now run on pandas Series rows, as PandasLFApplier does
    import warnings

    @snorkel_preprocessor()
    def add_words(x):
        x["words"] = x.text.lower().split()
        return x

    @snorkel_labeling_function(pre=[add_words])
    def many_words(x):
        return 1 if len(x.words) > 3 else -1

    two_fields = SnorkelLF("two_fields", lambda x: 1 if len(x) == 2 and "check" in x.text else -1)
    text = pd.DataFrame({"text": ["check out my channel now", "great song", "check this"] * 5, "author": ["a"] * 15})
    numbers = pd.DataFrame({"a": np.linspace(0, 1, 20), "b": np.linspace(1, 0, 20)})
    both_high = SnorkelLF("both_high", lambda x: 1 if (x > 0.4).sum() == 2 else -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lfs, frame in (([many_words, two_fields], text), ([both_high], numbers)):
            expected = PandasLFApplier(lfs).apply(frame, progress_bar=False)
            got = apply_lfs(lfs, frame).values
            assert (got == expected).all() and (got != -1).any()


def test_a_snorkel_lf_reading_a_column_the_data_lacks_names_it_and_the_columns():
    reads_content = SnorkelLF("reads_content", lambda x: 1 if "check" in x["CONTENT"] else -1)
    with pytest.raises(Exception, match=r"reads column 'CONTENT', which the data does not have; its columns are "
                                        r"\['text'\]"):
        apply_lfs([reads_content], pd.DataFrame({"text": ["check it"]}))


def test_the_lf_summary_of_snorkel_lfs_says_their_kind():
    reads = SnorkelLF("reads", lambda x: 1 if "x" in x.text else -1)
    votes = apply_lfs([reads], pd.DataFrame({"text": ["x", "y"]}))
    assert lf_summary(votes, [reads])["kind"].tolist() == ["snorkel"]


def test_a_slicing_function_is_not_taken_as_an_lf(comments):
    from snorkel.slicing import slicing_function

    @slicing_function()
    def short_slice(x):
        return len(x.text) < 20

    with pytest.raises(LFDefinitionError, match=r"'short_slice' is a Snorkel slicing function.*slice_dataframe"):
        apply_lfs([spam.keyword_please, short_slice], comments.iloc[:5])
    with pytest.raises(LFDefinitionError, match="slicing function"):
        from_snorkel(short_slice)
