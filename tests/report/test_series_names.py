"""The report names each of its label-distribution series with the rows its shares are of (every row for the models
and the written labels, the gold split's rows for gold), and its MLflow metrics name the share of all rows with a vote
(``coverage_all_rows``) apart from that of the gold split's rows (``<split>/coverage``)."""

from __future__ import annotations

import html

import numpy as np
import pytest

from tests.report.helpers import youtube_references, youtube_report_inputs
from weaksup.report import WrittenLabels, build_report

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def report(youtube, youtube_registry):
    votes, gold, model, data = youtube_report_inputs(youtube, youtube_registry)
    covered = (votes.values != -1).any(axis=1)
    names = np.array(gold.label_space)
    final = np.where(covered, model.predict(votes.values), -1)
    written = WrittenLabels.of(np.where(final >= 0, names[final], None), label_space=gold.label_space,
                               row_ids=votes.row_ids)
    result = build_report(votes, lfs=youtube_registry, gold=gold, model=model, data=data, written=written,
                          references=youtube_references(votes, gold, model, data))
    yield result
    result.close()


EXPECTED = ["DevWeightedVote, all 1,956 rows", "MajorityVote, all 1,956 rows", "gold, 290 test rows",
            "written labels, all 1,956 rows"]


def test_the_label_distribution_names_each_series_with_its_rows(report):
    fig = report.build_figures()["label_distribution"]
    legend = fig.axes[0].get_legend() or fig.legends[0]
    assert [text.get_text() for text in legend.get_texts()] == EXPECTED
    assert "series' rows" in fig.axes[0].get_ylabel()
    page = html.unescape(report.to_html())
    assert all(f"<th>{name}</th>" in page for name in EXPECTED)  # the written labels' shares table too


def test_the_metrics_name_coverage_of_all_rows_apart_from_the_test_rows(report):
    metrics = report.metrics()
    assert "coverage" not in metrics
    assert metrics["coverage_all_rows"] == report.stats["coverage"] == pytest.approx((report.n_votes > 0).mean())
    assert metrics["test/coverage"] == report.evaluation.model.coverage == report.references.coverage
    assert metrics["coverage_all_rows"] != pytest.approx(metrics["test/coverage"])
    assert metrics["reference/n_dev_gold"] == 286 and "reference/n_gold" not in metrics
