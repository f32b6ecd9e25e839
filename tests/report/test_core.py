"""The quality report on the YouTube example: contents, self-contained HTML, atomic writing, statistics computed once."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest

from tests.report.helpers import YOUTUBE_GOLD, youtube_report_inputs
from weaksup import analysis, votes as votes_module
from weaksup.alignment import AlignedGold
from weaksup.analysis import VoteStats
from weaksup.errors import GoldSetError, WeakSupError
from weaksup.gold import load_gold
from weaksup.models import MajorityVote
from weaksup.report import QualityReport, build_report, data_hash
from weaksup.votes import VoteMatrix

pytest.importorskip("matplotlib")  # the report's figures and HTML page need the `report` extra

FIGURES = ["lf_rates", "lf_conflicts", "votes_per_row", "label_distribution", "confusion_matrix", "calibration"]


@pytest.fixture(scope="module")
def youtube_inputs(youtube, youtube_registry):
    return youtube_report_inputs(youtube, youtube_registry)


@pytest.fixture(scope="module")
def report(youtube_inputs, youtube_registry) -> QualityReport:
    votes, gold, model, data = youtube_inputs
    result = build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data)
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
    for key in ("coverage", "overlap", "conflict", "lf/kw_subscribe/coverage", "lf/kw_subscribe/emp_acc",
                "test/label_model/accuracy", "test/label_model/accuracy_covered", "test/majority_vote/accuracy",
                "test/majority_vote/ece", "test/label_model/f1/spam"):
        assert key in metrics, key
    assert metrics["test/label_model/accuracy"] == report.evaluation.model.accuracy


def test_label_distribution_includes_abstain_and_gold(report):
    dist = report.distribution
    assert list(dist) == ["DevWeightedVote", "MajorityVote", "gold (test)"]
    assert dist["MajorityVote"]["abstain"] > 0
    for shares in dist.values():
        assert shares.sum() == pytest.approx(1.0)


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


def test_precomputed_statistics_and_aligned_gold_give_the_same_report(report, youtube_inputs, youtube_registry):
    votes, gold, model, data = youtube_inputs
    plain = report
    stats = VoteStats.of(votes)
    handed = build_report(stats, lfs=youtube_registry, gold=AlignedGold.of(gold, votes), model=model, data=data)
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
    monkeypatch.setattr(analysis, "distinct_rows", counted("distinct_rows", votes_module.distinct_rows))
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
