"""The quality report on the YouTube example: contents, self-contained HTML, atomic writing, statistics computed once."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pandas as pd
import pytest

from tests.report.helpers import YOUTUBE_GOLD, youtube_references, youtube_report_inputs
from weaksup import analysis, vote_patterns
from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats
from weaksup.errors import GoldSetError, WeakSupError
from weaksup.gold import load_gold
from weaksup.models import MajorityVote
from weaksup.report import QualityReport, WrittenLabels, build_report, data_hash
from weaksup.votes import VoteMatrix

pytest.importorskip("matplotlib")  # the report's figures and HTML page need the `report` extra

FIGURES = ["lf_rates", "lf_conflicts", "votes_per_row", "label_distribution", "confusion_matrix", "calibration"]


@pytest.fixture(scope="module")
def youtube_inputs(youtube, youtube_registry):
    return youtube_report_inputs(youtube, youtube_registry)


@pytest.fixture(scope="module")
def references(youtube_inputs):
    return youtube_references(*youtube_inputs)


@pytest.fixture(scope="module")
def report(youtube_inputs, youtube_registry, references) -> QualityReport:
    votes, gold, model, data = youtube_inputs
    result = build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data, references=references)
    yield result
    result.close()


def test_report_holds_summary_metrics_and_provenance(report, youtube, youtube_registry):
    assert report.evaluation.split == "test" and report.evaluation.model.n_gold == 290
    assert report.metrics_table().columns.tolist() == ["DevWeightedVote", "MajorityVote", "difference"]
    # LF accuracies are counted on dev gold, never on test
    assert report.summary[["Correct", "Incorrect"]].to_numpy().sum() <= 286 * len(youtube_registry)
    assert report.summary["Learned Weight"].notna().all()
    p = report.params
    assert p["rule_version"] == youtube_registry.rule_version and p["gold_hash"] == load_gold(YOUTUBE_GOLD).hash
    assert p["data_hash"] == data_hash(youtube.drop(columns=["label", "split"]))
    assert (p["n_rows"], p["gold_n_dev"], p["gold_n_test"], p["label_model"]) == ("1956", "286", "290",
                                                                                    "DevWeightedVote")
    assert all(p[f"lf.{lf.name}"] == lf.version for lf in youtube_registry.lfs)
    assert [m["name"] for m in report.manifest] == [lf.name for lf in youtube_registry.lfs]
    assert {"kind", "params", "version"} <= set(report.manifest[0])


def test_metrics_are_flat_names_for_mlflow(report):
    metrics = report.metrics()
    for key in ("coverage_all_rows", "test/coverage", "overlap", "conflict", "lf/kw_subscribe/coverage",
                "lf/kw_subscribe/emp_acc",
                "test/label_model/accuracy", "test/label_model/accuracy_voted", "test/majority_vote/accuracy",
                "test/label_model/accuracy_no_votes", "test/label_model/coverage", "test/label_model/labelled",
                "test/majority_vote/ece", "test/label_model/f1/spam", "reference/supervised_on_dev/accuracy",
                "reference/majority_vote/accuracy_no_votes", "final/accuracy", "final/accuracy_no_votes", "final/ece",
                "lf_dependence/findings"):
        assert key in metrics, key
    assert metrics["test/label_model/accuracy"] == report.evaluation.model.accuracy
    assert all(isinstance(v, float) for v in metrics.values())
    assert report.references.as_metrics().items() <= metrics.items()


def test_coverage_counts_rows_some_lf_voted_on_not_rows_the_model_labelled(report, youtube_inputs):
    from weaksup.evaluate import gold_rows

    votes, gold, model, _ = youtube_inputs
    test, _ = gold_rows(votes, gold, "test")
    voted = (votes.values[test] != -1).any(axis=1)
    assert voted.sum() < 290  # some test rows have no vote
    for metrics, fitted in ((report.evaluation.model, model), (report.evaluation.baseline, MajorityVote(2).fit(votes))):
        assert (metrics.n_voted, metrics.n_no_votes) == (voted.sum(), 290 - voted.sum())
        assert metrics.coverage == pytest.approx(voted.mean())
        assert metrics.labelled == pytest.approx((fitted.predict(votes.values[test]) != -1).mean())
    # majority vote abstains on ties too: it labels fewer rows than some LF voted on
    assert report.evaluation.baseline.labelled < report.evaluation.baseline.coverage
    assert report.references.coverage == pytest.approx(voted.mean()) and report.references.n_voted == voted.sum()
    assert f"on the {290 - voted.sum()} with none" in report.evaluation.summary()


def test_the_references_and_the_verdict_are_on_the_page(report, references):
    page = report.to_html()
    assert "Does weak supervision earn its keep? (290 test gold rows)" in page
    assert references.verdict in page and references.lines()[1] in page
    assert "weak supervision" in references.verdict and "286 gold rows" in references.verdict
    for name in ("majority_vote", "label_model", "supervised_on_dev", "final", "accuracy, rows with no vote"):
        assert f"<th>{name}</th>" in page, name
    assert page.index("Does weak supervision earn its keep?") < page.index("Label model vs majority vote")
    if references.beats_supervised is False:
        assert references.verdict in report.warnings()


def test_the_metrics_caption_says_the_ece_is_over_the_rows_given_a_class_as_the_figure_and_readme(report,
                                                                                                  youtube_inputs):
    """The caption said "Brier and ECE judge the probabilities of every gold row"; the numbers, the README and the
    calibration figure's legend ("ECE 0.048 over the 94% of rows given a class") are over the rows given a class."""
    from weaksup.evaluate import expected_calibration_error, gold_rows

    page = report.to_html()
    caption = re.search(r"Ties: <code>abstain</code>\. ([^<]*)</p>", page).group(1)
    assert "every gold row" not in caption.split(";")[1]
    assert "ECE those of the rows given a class" in caption and "Brier score judges the probabilities of every" in caption
    votes, gold, model, _ = youtube_inputs
    test, y = gold_rows(votes, gold, "test")
    labels = model.predict(votes.values[test])
    given = labels != -1
    assert not given.all()  # some rows abstained: "every gold row" and "rows given a class" differ here
    assert report.evaluation.model.ece == pytest.approx(
        expected_calibration_error(y[given], model.predict_proba(votes.values[test])[given], y_pred=labels[given]))
    legend = report.build_figures()["calibration"].legends[0].get_texts()[1].get_text()
    assert f"over the {report.evaluation.model.labelled:.0%} of rows given a class" in legend


def test_high_ece_and_dependent_lfs_are_warned_about_in_plain_words(tmp_path):
    from weaksup.references import compare_references

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    L = np.where(rng.random((3000, 4)) < 0.4, np.where(rng.random((3000, 4)) < 0.85, y[:, None], 1 - y[:, None]), -1)
    L[:, 3] = L[:, 0]  # a copy of LF a: a label model counts its evidence twice
    votes = VoteMatrix(L, lf_names=["a", "b", "c", "a_copy"])
    pred = MajorityVote(cardinality=2).fit(votes).predict(L, tie_break="seeded_random")
    refs = compare_references(y, {"final": pred}, covered=(L >= 0).any(axis=1), final_proba=np.eye(2)[pred] * 0.98
                              + 0.01)
    report = build_report(votes, references=refs)
    assert [f.lfs for f in report.dependence] == [("a", "a_copy")]
    assert report.metrics()["lf_dependence/findings"] == 1.0 and report.metrics()["final/ece"] == refs.ece
    assert refs.ece_warning.startswith("confidences are overstated") and f"final labels: {refs.ece_warning}" in report.warnings()
    page = report.to_html()
    assert f'<p class="warning">{html.escape(refs.ece_warning)}' in page
    assert html.escape(report.dependence[0].message) in page and "no verdict: no supervised_on_dev" in page
    report.close()
    handed = build_report(votes, dependence=[])
    assert handed.dependence == [] and handed.metrics()["lf_dependence/findings"] == 0.0
    handed.close()


def test_label_distribution_includes_abstain_and_gold(report):
    dist = report.distribution
    assert list(dist) == ["DevWeightedVote", "MajorityVote", "gold (test)"]
    assert dist["MajorityVote"]["abstain"] > 0
    for shares in dist.values():
        assert shares.sum() == pytest.approx(1.0)


def test_the_written_labels_are_shown_beside_the_label_model_and_scored_by_the_references(
        youtube_inputs, youtube_registry, references):
    """As a run without the end model writes them: the dev gold rows their gold label (reviewed), the others the
    label model's with no-vote rows abstained. The report shows those shares and that confusion."""
    from weaksup.evaluate import gold_rows

    votes, gold, model, data = youtube_inputs
    covered = (votes.values != -1).any(axis=1)
    final = np.where(covered, model.predict(votes.values), -1)
    dev, y_dev = gold_rows(votes, gold, "dev")
    final[dev] = y_dev
    names = np.array(gold.label_space)
    written = WrittenLabels.of(np.where(final >= 0, names[final], None), label_space=gold.label_space,
                               row_ids=votes.row_ids)
    result = build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data, references=references,
                          written=written)
    shares = result.distribution["written labels"]
    assert list(result.distribution) == ["DevWeightedVote", "MajorityVote", "gold (test)", "written labels"]
    assert shares["abstain"] == pytest.approx((final == -1).mean()) and (final == -1).any()
    for name in ("abstain", "spam"):  # not the label model's shares
        assert shares[name] != pytest.approx(result.distribution["DevWeightedVote"][name], abs=1e-3)
    ev = result.written_evaluation
    test, y = gold_rows(votes, gold, "test")
    assert ev.split == "test" and ev.n_rows == 290 and ev.from_references and ev.score is references["final"]
    assert ev.confusion["abstain"].sum() == (final[test] == -1).sum() == (~covered[test]).sum()
    assert np.trace(ev.confusion.to_numpy()) == (final[test] == y).sum()
    assert ev.score.accuracy == pytest.approx((final[test] == y).mean())  # the references scored these labels
    fig = result.build_figures()["confusion_matrix"]
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["DevWeightedVote", "MajorityVote", "written labels"]
    page = result.to_html()
    assert "<h2>Written labels (the labels file)</h2>" in page and "Written labels on the 290 test gold rows" in page
    assert f"Accuracy {references['final'].accuracy:.3f} (abstain = wrong)" in page
    assert f"<td>{(final == -1).sum()}</td>" in page  # the abstained rows, counted
    assert page.index("Label model vs majority vote") < page.index("Written labels") < page.index("Labeling functions")
    result.close()


def test_a_runs_labels_file_read_back_shows_its_shares_and_confusion(tmp_path, youtube, monkeypatch):
    """A real run (majority vote, no end model) writes labels.parquet; read back, it is what the report shows."""
    from tests.pipeline_project import make_project, write_config
    from weaksup.config import load_config
    from weaksup.pipeline import load_votes, run

    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    done = run(load_config(write_config(tmp_path, gold={"path": str(YOUTUBE_GOLD)})), progress=False)
    labels = pd.read_parquet(done.labels_path)
    votes = load_votes(done.run_dir)
    gold = load_gold(YOUTUBE_GOLD)
    written = WrittenLabels.of(labels["label"], label_space=gold.label_space, row_ids=labels["row_id"],
                               sources=labels["label_source"])
    result = build_report(votes, gold=gold, model=MajorityVote(cardinality=2).fit(votes), written=written)
    shares = result.distribution["written labels"]
    assert shares["abstain"] == pytest.approx(labels["label"].isna().mean()) and shares["abstain"] > 0
    assert shares["spam"] == pytest.approx((labels["label"] == "spam").mean())
    assert written.sources["human"] == 286 and written.sources["(none)"] == labels["label"].isna().sum()
    test = gold.labels("test")
    on_test = labels.set_index("row_id")["label"].loc[test.index]
    ev = result.written_evaluation
    assert ev.n_rows == 290 and not ev.from_references  # no references passed: scored here
    assert ev.confusion["abstain"].sum() == on_test.isna().sum() > 0
    assert ev.score.accuracy == pytest.approx((on_test == test).mean())
    assert f"human {written.sources['human']}" in result.to_html()
    result.close()


def test_html_is_self_contained_with_every_figure(report, tmp_path):
    path = report.write_html(tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    tags = re.findall(r"<[a-z]+\s[^<>]*>", page)  # real tags: text is escaped, so its '<' is '&lt;'
    assert not [t for t in tags if re.search(r"""\b(src|href)=["'](?!data:)""", t)], "the page must load nothing"
    assert not [t for t in tags if t.startswith(("<script", "<link", "<iframe"))]
    images = re.findall(r'<img alt="([a-z_]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [name for name, _ in images] == FIGURES
    assert all(base64.b64decode(data)[:4] == b"\x89PNG" for _, data in images)
    for text in ("Label model vs majority vote (290 test gold rows)", "accuracy (all gold rows, abstain = wrong)",
                 report.evaluation.summary(), "LF error examples (dev gold rows)", report.params["gold_hash"],
                 "Emp. Acc.", "kw_subscribe"):
        assert text in page, text
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_error_examples_escape_html(report):
    page = report.to_html()
    raw = [t for t in report.errors["text"] if "<" in t]
    assert raw, "the YouTube dev errors include comments with HTML in them"
    for text in raw:
        assert text not in page  # shown escaped


def test_a_failing_write_leaves_the_old_report(report, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")

    def broken(self):
        raise RuntimeError("render failed")

    monkeypatch.setattr(QualityReport, "to_html", broken)
    with pytest.raises(RuntimeError):
        report.write_html(target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_without_gold_or_model_the_report_still_has_the_lf_part(tmp_path):
    votes = VoteMatrix([[0, 1, -1], [1, 1, -1], [-1, -1, 0]], lf_names=["a", "b", "c"])
    result = build_report(votes)
    assert result.evaluation is None and result.errors is None and result.metrics_table() is None
    assert result.params["label_model"] == "MajorityVote" and "gold_hash" not in result.params
    assert list(result.build_figures()) == FIGURES[:4]
    assert "no gold set" in result.to_html()
    result.close()


def test_a_gold_set_without_a_test_split_gives_no_metrics_and_says_so(tmp_path, caplog):
    from weaksup.gold import write_gold

    votes = VoteMatrix([[0, 1], [1, 1]], row_ids=["a", "b"], lf_names=["f", "g"])
    gold = write_gold(pd.DataFrame({"row_id": ["a"], "label": ["x"], "split": ["dev"]}), tmp_path / "g",
                      task="t", label_space=["x", "y"])
    result = build_report(votes, gold=gold, model=MajorityVote(cardinality=2).fit(votes))
    assert result.evaluation is None and "has no 'test' split" in caplog.text
    assert result.summary["Correct"].tolist() == [1, 0]
    assert np.isclose(result.stats["coverage"], 1.0)


def _same_report(a: QualityReport, b: QualityReport) -> None:
    assert a.summary.equals(b.summary) and a.summary.attrs == b.summary.attrs
    assert a.stats == b.stats and a.metrics() == b.metrics() and a.params == b.params
    assert a.conflicts.equals(b.conflicts) and np.array_equal(a.n_votes, b.n_votes)
    assert a.errors.equals(b.errors) and a.manifest == b.manifest
    assert list(a.distribution) == list(b.distribution)
    assert all(a.distribution[k].equals(b.distribution[k]) for k in a.distribution)
    assert a.metrics_table().equals(b.metrics_table())


def test_precomputed_statistics_and_aligned_gold_give_the_same_report(report, youtube_inputs, youtube_registry,
                                                                     references):
    votes, gold, model, data = youtube_inputs
    plain = report
    stats = VoteStats.of(votes)
    handed = build_report(stats, lfs=youtube_registry, gold=AlignedGold.of(gold, votes), model=model, data=data,
                          references=references, dependence=report.dependence)
    _same_report(plain, handed)
    assert handed.conflicts.equals(stats.pair_matrix("conflict"))


def test_a_report_computes_the_vote_statistics_and_aligns_gold_once(youtube_inputs, youtube_registry, monkeypatch):
    from weaksup.gold import GoldSet

    votes, gold, model, data = youtube_inputs
    calls = {"row_conflict": 0, "distinct_rows": 0, "GoldSet.y": 0}

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(analysis, "row_conflict", counted("row_conflict", analysis.row_conflict))
    monkeypatch.setattr(analysis, "distinct_rows", counted("distinct_rows", vote_patterns.distinct_rows))
    monkeypatch.setattr(GoldSet, "y", counted("GoldSet.y", GoldSet.y))
    build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data)
    # the LF summary, the rates, the metrics, the error examples and the figures share one VoteStats and one
    # AlignedGold: per-row conflicts, distinct patterns and the gold-to-row matching are each computed once
    assert calls == {"row_conflict": 1, "distinct_rows": 1, "GoldSet.y": 1}


def test_gold_labels_without_a_gold_set_are_refused_by_the_report():
    votes = VoteMatrix([[0, 1], [1, 1]], row_ids=["a", "b"], lf_names=["f", "g"])
    with pytest.raises(GoldSetError, match="build_report needs a GoldSet") as caught:
        build_report(votes, gold=AlignedGold.of(np.array([0, 1]), votes))
    assert isinstance(caught.value, WeakSupError)


def test_with_many_lfs_the_page_says_what_the_figures_leave_out(monkeypatch):
    rng = np.random.default_rng(0)
    m = 50
    L = np.where(rng.random((3000, m)) < 0.3, rng.integers(0, 2, (3000, m)), -1).astype(np.int8)
    votes = VoteMatrix(L, lf_names=[f"kw_{j}" for j in range(m)])
    exact = build_report(votes)
    assert "pair_rows" not in exact.params  # every pair on every row: the numbers are exact
    monkeypatch.setattr(analysis, "PAIR_WORK", 10**5)  # as if the rows were too many for every pair
    report = build_report(votes)
    assert int(report.params["pair_rows"]) == 1000  # the smallest sample
    assert report.summary.equals(exact.summary) and report.stats == exact.stats  # per-LF numbers stay exact
    page = report.to_html()
    assert f"With {m} LFs, the per-LF bars show the {m} LFs with the most conflicts and the heatmap the 40" in page
    assert f"estimated on a uniform sample of {report.params['pair_rows']} of the 3000 rows" in page
    assert "With " not in build_report(VoteMatrix(L[:, :10])).to_html()  # few LFs: no note


def test_a_class_no_lf_votes_for_is_a_warning_of_the_report():
    from weaksup.references import compare_references

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)                          # three classes; the LFs vote only 0 and 1
    L = np.where(rng.random((300, 2)) < 0.7, np.where(y[:, None] == 2, 0, y[:, None]), -1)
    refs = compare_references(y, {"supervised_on_dev": np.zeros(300, int), "final": np.minimum(y, 1)},
                              covered=(L >= 0).any(axis=1), label_space=["ham", "spam", "scam"], votes=L)
    assert refs.unvoted_warning.startswith("no LF votes for scam (none of the ")
    report = build_report(VoteMatrix(L, lf_names=["a", "b"]), references=refs)
    assert report.warnings().count(refs.unvoted_warning) == 1
    assert report.to_html().count(f'<p class="warning">{html.escape(refs.unvoted_warning)}</p>') == 1
    report.close()
