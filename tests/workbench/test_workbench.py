"""The notebook workbench facade: cached votes, previews, summary, label model, clusters, export."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from weaksup.embed.embedder import CallableEmbedder
from weaksup import ABSTAIN, Registry, apply_lfs, keyword_lf, labeling_function, lf_summary, regex_lf
from weaksup.errors import (DataError, LabelModelError, LFDefinitionError, MissingColumnError, ParameterError,
                            UnknownLFError)
from weaksup.lf import threshold_lf
from weaksup.models import DawidSkene, MajorityVote
from weaksup.models.temporal import TemporalLabelModel
from weaksup.workbench import Workbench

HAM, SPAM = 0, 1
LABELS = ["ham", "spam"]
TEXTS = ["Subscribe to my channel!", "nice song", "check out my <b>channel</b> & win", "great song, love it",
         "sub 4 sub", "free money at www.spam.com", "song of the year", "I LOVE THIS SONG!!!", "hello",
         "my channel is the best, subscribe"]
GOLD = pd.Series({"r0": "spam", "r1": "ham", "r2": "spam", "r3": "ham", "r4": "spam", "r7": "ham", "r9": "spam"})


def frame():
    return pd.DataFrame({"row_id": [f"r{i}" for i in range(len(TEXTS))], "text": TEXTS,
                         "n_words": [len(t.split()) for t in TEXTS]})


def kw_sub(version=None):
    return keyword_lf("kw_sub", ["subscribe", "sub"], SPAM, version=version)


@labeling_function(fields=["text"], labels=[HAM])
def mentions_song(x):
    return HAM if "song" in x.text.lower() else ABSTAIN


@pytest.fixture()
def wb():
    return Workbench(frame(), gold=GOLD, lfs=[kw_sub(), mentions_song], label_space=LABELS)


def test_votes_are_cached_per_lf_version(wb):
    assert wb.cache_info().misses == 2
    wb.add(regex_lf("re_channel", r"my\s+channel", SPAM))
    assert wb.cache_info().misses == 3
    edited = keyword_lf("kw_sub", ["subscribe", "sub", "subs"], SPAM)  # an edit: a new version, same name
    wb.add(edited)
    assert wb.cache_info().misses == 4 and wb["kw_sub"] is edited and len(wb) == 3
    before = wb.cache_info()
    wb.add(kw_sub())  # back to the first version: still cached
    wb.remove("re_channel").add(regex_lf("re_channel", r"my\s+channel", SPAM))
    after = wb.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 2
    assert wb.votes == apply_lfs(wb.lfs, frame(), id_column="row_id", label_space=wb.label_space)


def test_preview_figures_match_lf_summary(wb):
    lf = regex_lf("re_channel", r"my\s+channel|www\.", SPAM)
    p = wb.preview(lf)
    assert wb.try_lf(lf).as_dict() == p.as_dict()  # the documented alias
    wb.add(lf)
    summary = lf_summary(wb.votes, wb.lfs, gold=wb.y_dev)
    assert p.coverage == pytest.approx(summary.loc["re_channel", "Coverage"]) == 0.3
    assert (p.correct, p.incorrect) == (summary.loc["re_channel", "Correct"], summary.loc["re_channel", "Incorrect"])
    assert p.polarity == ["spam"] and p.accuracy == 1.0 and p.n_fired == 3
    assert p.per_lf.loc["kw_sub", "overlaps"] == 2 and p.per_lf.loc["kw_sub", "conflicts"] == 0
    assert set(p.fires["row_id"]) == {"r0", "r5", "r9"}  # where it fires, with the text
    assert p.new_coverage == pytest.approx(0.1)  # only r5: kw_sub covers r0 and r9


def test_preview_samples_wrong_and_conflicting_rows(wb):
    loves = keyword_lf("kw_love", ["love"], SPAM)
    p = wb.preview(loves)
    assert set(p.wrong["row_id"]) == {"r3", "r7"} and set(p.wrong["gold"]) == {"ham"}
    assert set(p.conflicts["row_id"]) == {"r3", "r7"}
    assert p.conflicts["others"].tolist() == ["mentions_song=ham", "mentions_song=ham"]
    assert p.conflict == pytest.approx(0.2) and p.accuracy == 0.0
    assert "kw_love" not in wb  # preview does not add
    text = repr(p)
    assert "kw_love" in text and "coverage 0.200" in text and "0 correct, 2 incorrect" in text


def test_preview_html_escapes_text_and_highlights_the_match(wb):
    p = wb.preview(keyword_lf("kw_channel", ["channel"], SPAM))
    page = p._repr_html_()
    assert "&lt;b&gt;<mark>channel</mark>&lt;/b&gt; &amp; win" in page
    assert "<b>channel</b>" not in page


def test_preview_of_an_edit_is_compared_with_the_other_lfs(wb):
    p = wb.preview(kw_sub(version="v2"))
    assert "kw_sub" not in p.per_lf.index and list(p.per_lf.index) == ["mentions_song"]


def test_summary_has_lf_summary_columns_metrics_and_uncovered_rows(wb):
    s = wb.summary(n_uncovered=3)
    assert list(s.lfs.columns) == list(lf_summary(wb.votes, wb.lfs, gold=wb.y_dev).columns)
    assert s.n_uncovered == 3 and set(s.uncovered["row_id"]) == {"r2", "r5", "r8"}
    assert (wb.votes.select(wb.votes.lf_names).to_frame().loc[["r2", "r5", "r8"]] == ABSTAIN).all().all()
    metrics = s.metrics
    assert list(metrics.columns)[1:] == ["MajorityVote", "difference"]
    assert metrics.loc["gold rows", "MajorityVote"] == 7
    assert "LF summary" in s._repr_html_() and "uncovered" in repr(s)


def test_label_model_and_probabilities(wb):
    model = wb.fit_label_model()
    proba = model.predict_proba(wb.votes)
    assert proba.shape == (10, 2) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("model", [DawidSkene(cardinality=2), MajorityVote(cardinality=2), DawidSkene, "DawidSkene"])
def test_label_model_instance_class_or_name(model):
    wb = Workbench(frame(), gold=GOLD, lfs=[kw_sub(), mentions_song], label_space=LABELS, label_model=model)
    fitted = wb.fit_label_model()
    expected = DawidSkene if model == "DawidSkene" else model if isinstance(model, type) else type(model)
    assert fitted is not model and type(fitted) is expected
    assert fitted.predict_proba(wb.votes).shape == (10, 2)
    evaluation = wb.summary().evaluation
    assert evaluation is not None and evaluation.model.name == fitted.__class__.__name__


def test_clusters_show_sizes_examples_and_vote_profile(wb):
    view = wb.clusters(n=3)
    assert view.table["size"].sum() == 10 and len(view.table) == 3
    assert {"coverage", "votes_ham", "votes_spam", "conflict", "n_gold", "terms", "examples"} <= set(view.table.columns)
    assert sum(len(view.rows(c)) for c in view.table.index) == 10
    assert "<li>" in view._repr_html_() and "clusters of 10 rows" in repr(view)
    uncovered = wb.clusters(n=2, rows="uncovered")
    assert set(uncovered.assignments.index) == {"r2", "r5", "r8"}
    assert (uncovered.table["coverage"] == 0).all()
    vectors = np.eye(10)[:, :4] + 0.01
    assert wb.clusters(n=2, embeddings=vectors).table["size"].sum() == 10
    none_left = wb.clusters(n=2, rows=np.zeros(10, dtype=bool))  # e.g. "uncovered" once every row has a vote
    assert len(none_left.table) == 0 and len(none_left.assignments) == 0 and "0 clusters of 0 rows" in repr(none_left)


def test_clusters_embed_the_clustered_rows_with_any_embedder(wb, tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "embeddings.sqlite"))
    seen: list[str] = []

    def by_channel(texts):  # a callable embedder: rows about a channel one way, the rest the other
        seen.extend(texts)
        return np.array([[1.0, 0.0] if "channel" in t else [0.0, 1.0] for t in texts])

    # it carries `seen`, which it changes: its derived cache id would change with it, so it is named here
    embedder = CallableEmbedder(by_channel, model_id="by_channel")
    view = wb.clusters(n=2, rows="uncovered", embeddings=embedder)
    assert set(view.assignments.index) == {"r2", "r5", "r8"}
    assert sorted(seen) == sorted(TEXTS[i] for i in (2, 5, 8))  # only the clustered rows are embedded, once each
    assert view.assignments["r5"] == view.assignments["r8"] != view.assignments["r2"]
    wb.clusters(n=2, rows="uncovered", embeddings=embedder)
    assert len(seen) == 3  # the second call reads the shared embedding cache



def test_errors_name_the_culprit_and_the_fix(wb):
    with pytest.raises(MissingColumnError, match=r"text column 'body' .* Pass text_column="):
        Workbench(frame(), text_column="body")
    with pytest.raises(UnknownLFError, match="did you mean 'kw_sub'"):
        wb.remove("kw_subs")
    assert "kw_sub" not in wb.remove(wb["kw_sub"])  # an LF object is removed by its name
    with pytest.raises(LabelModelError, match="unknown label model 'Snorkle'"):
        Workbench(frame(), label_model="Snorkle")
    for bad in (5, 0.5, -2):
        with pytest.raises(DataError, match=rf"gold label {bad}.* is not a class id of the label space"):
            Workbench(frame(), gold=pd.Series({"r0": bad}), label_space=LABELS)
    with pytest.raises(DataError, match=r"1 row id\(s\) have two different gold labels, e.g. \['r0'\]"):
        Workbench(frame(), gold=pd.Series(["ham", "spam"], index=["r0", "r0"]), label_space=LABELS)
    agreeing = Workbench(frame(), gold=pd.Series(["spam", "spam"], index=["r0", "r0"]), label_space=LABELS)
    assert agreeing.y_dev.tolist().count(SPAM) == 1
    with pytest.raises(LFDefinitionError, match=r"votes \[2\], outside the label space \['ham', 'spam'\]"):
        wb.add(keyword_lf("kw_three", "hello", 2))
    with pytest.raises(LFDefinitionError, match="Decorate the function with @labeling_function"):
        wb.preview(lambda x: 1)
    with pytest.raises(MissingColumnError, match="reads column"):
        wb.add(threshold_lf("long", "n_chars > 10", SPAM))
    repeated = frame()
    repeated.loc[1, "row_id"] = "r0"
    with pytest.raises(DataError, match=r"id column 'row_id': row ids must be unique; repeated: \['r0'\]"):
        Workbench(repeated, id_column="row_id")


def test_export_writes_a_module_with_the_same_votes_and_versions(wb, tmp_path):
    wb.add(regex_lf("re_link", r"www\.|https?://", SPAM, flags=re.IGNORECASE, tags=["links"]),
           threshold_lf("short", "n_words < 3", HAM),
           keyword_lf("kw_money", ["money", "win"], SPAM, description="money talk"))
    path = wb.export(tmp_path / "my_task.py")
    registry = Registry.from_modules(path)
    assert list(registry) == [lf.name for lf in wb.lfs] and registry.label_space == wb.label_space
    assert [lf.version for lf in registry.lfs if lf.kind != "generic"] == \
        [lf.version for lf in wb.lfs if lf.kind != "generic"]
    assert registry["kw_money"].description == "money talk" and registry["re_link"].tags == ("links",)
    exported = apply_lfs(registry, frame(), id_column="row_id")
    assert np.array_equal(exported.values, wb.votes.values)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        wb.export(path)


@pytest.mark.slow
def test_youtube_workbench_end_to_end(youtube, youtube_registry, tmp_path):
    data = youtube.drop(columns=["label", "split"])
    wb = Workbench(data, gold="gold_sets/youtube_spam", lfs=youtube_registry)
    assert int((wb.y_dev != ABSTAIN).sum()) == 286  # dev only, never test
    spam = wb.label_space["spam"]
    p = wb.preview(keyword_lf("kw_like", ["like this", "likes", "thumbs up"], spam))
    assert 0 < p.coverage < 0.2 and p.correct + p.incorrect == p.n_dev > 0
    s = wb.summary()
    # on dev, rows no LF voted on abstain for the label model too (a class-prior guess there flattered it by the
    # share of the majority class among them); where the LFs voted, it is at least as good as majority vote
    assert s.evaluation.model.accuracy_no_votes == s.evaluation.baseline.accuracy_no_votes == 0.0
    assert s.evaluation.model.accuracy_voted >= s.evaluation.baseline.accuracy_voted
    assert s.n_uncovered == int((wb.votes.values == ABSTAIN).all(axis=1).sum()) > 0
    view = wb.clusters(n=8, rows="uncovered")
    assert view.table["size"].sum() == s.n_uncovered
    # the fitted model of the model-score LF is exported beside the module (an artefact), with the same votes
    registry = Registry.from_modules(wb.export(tmp_path / "yt.py"))
    # (on the text the LFs read in the workbench: cleaned as `weaksup run` cleans it, tests/workbench/test_clean.py)
    assert np.array_equal(apply_lfs(registry, wb.data, id_column="row_id").values, wb.votes.values)


def test_preview_benchmark_runs(tmp_path):
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("wb_bench", REPO / "benchmarks" / "workbench_preview.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--rows", "3000", "--repeats", "1", "--json", str(tmp_path / "wb.json")])
    assert result["rows"] == 3000 and 0 < result["keyword"]["coverage"] < 1
    assert result["regex"]["preview_s"] > 0 and result["keyword"]["n_dev"] > 0


def test_an_lf_that_is_not_cacheable_is_recomputed_when_added_again():
    spacy = pytest.importorskip("spacy")
    from spacy.matcher import Matcher

    from weaksup.lf import spacy_lf

    matcher = Matcher(spacy.blank("en").vocab)
    matcher.add("SUB", [[{"LOWER": "subscribe"}]])

    def make():
        @spacy_lf
        def matcher_lf(x):
            return SPAM if matcher(x.doc) else ABSTAIN
        return matcher_lf

    wb = Workbench(frame(), gold=GOLD, label_space=LABELS)
    first = make()
    assert not first.cacheable
    assert wb.add(first).votes.values[:, 0].tolist().count(SPAM) == 2
    matcher.add("WIN", [[{"LOWER": "win"}]])  # the rules are extended; the cell defining the LF runs again
    again = make()
    assert again.lf_id == first.lf_id
    fresh = apply_lfs([again], frame(), id_column="row_id").values[:, 0]
    assert wb.add(again).votes.values[:, 0].tolist() == fresh.tolist() and fresh.tolist().count(SPAM) == 3
    assert wb.preview(again).n_fired == 3


# ---------------------------------------------------------------- tabular data: integer ids, row order


def _tabular(ids) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "amount": [12.5, 500.0, 40.0, 900.0, 7.0, 310.0], "country": list("ABCDEF")})


@pytest.fixture()
def text_gold(tmp_path):
    """A gold set whose row ids are text (as `weaksup gold create` writes them) for the ids 1000..1005."""
    from weaksup.gold import write_gold

    rows = pd.DataFrame({"row_id": ["1000", "1001", "1003", "1004"], "label": ["ham", "spam", "spam", "ham"],
                         "split": ["dev", "dev", "dev", "test"]})
    write_gold(rows, tmp_path / "gold", task="t", label_space=LABELS)
    return tmp_path / "gold"


@pytest.mark.parametrize("ids", [np.arange(1000, 1006), np.arange(1000, 1006).astype(float),
                                 pd.array(range(1000, 1006), dtype="Int64"), [str(i) for i in range(1000, 1006)]])
def test_integer_and_float_ids_match_the_gold_sets_text_ids(text_gold, ids, caplog):
    """Gold ids are text: a data id 1000 (int64, Int64, or 1000.0 from a CSV read with NaNs) is gold id "1000"."""
    big = threshold_lf("big", "amount > 300", SPAM)
    wb = Workbench(_tabular(ids), gold=text_gold, lfs=[big], id_column="id", text_column=None, label_space=LABELS)
    assert wb.y_dev.tolist() == [HAM, SPAM, ABSTAIN, SPAM, ABSTAIN, ABSTAIN]  # 1004 is test gold: not shown
    assert "no data row has a dev gold label" not in caplog.text
    assert wb.summary().evaluation is not None and wb.preview(big).n_dev == 2  # it fires on 1001 and 1003
    by_series = Workbench(_tabular(ids), gold=pd.Series({"1000": "ham", "1003": "spam"}), id_column="id",
                          text_column=None, label_space=LABELS)
    assert by_series.y_dev.tolist() == [HAM, ABSTAIN, ABSTAIN, SPAM, ABSTAIN, ABSTAIN]


def test_gold_ids_that_match_no_data_id_are_named_in_the_warning(text_gold, caplog):
    Workbench(_tabular(np.arange(5000, 5006)), gold=text_gold, id_column="id", text_column=None, label_space=LABELS)
    assert "no data row has a dev gold label (gold ids ['1000', '1001', '1003']" in caplog.text
    assert "check that the gold ids are the data's id values" in caplog.text


def test_gold_ids_that_lost_their_leading_zeros_are_named_with_the_fix(caplog):
    data = pd.DataFrame({"id": [f"{i:07d}" for i in range(2620, 2626)], "amount": [10, 400, 20, 500, 30, 600]})
    gold = pd.Series({2623: "spam", 2620: "ham"})  # ids read as numbers: '0002623' became 2623
    Workbench(data, gold=gold, id_column="id", text_column=None, label_space=LABELS)
    assert "the gold ids are numbers without the leading zeros of the input's ids ('0002620'; '2623' is '0002623' " \
           "there): read the gold ids as text (dtype=str), keeping their leading zeros" in caplog.text


@pytest.mark.parametrize("model", ["temporal", "TemporalLabelModel", TemporalLabelModel,
                                   TemporalLabelModel(2, base="DawidSkene")])
def test_a_temporal_label_model_is_refused_since_rows_have_no_order(model):
    with pytest.raises(ParameterError) as info:
        Workbench(frame(), gold=GOLD, lfs=[kw_sub(), mentions_song], label_space=LABELS, label_model=model)
    message = str(info.value)
    assert "scores rows independently" in message and "order_column" in message and "weaksup run" in message
    base = "DawidSkene" if isinstance(model, TemporalLabelModel) else "DevNaiveBayes"
    assert f"label_model={base!r}" in message
