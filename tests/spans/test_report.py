"""The spans report: its figures are those of the written spans (label model) and of span majority vote on the
gold test documents; the LF summary; the HTML page; the run summary."""

from __future__ import annotations

import json
import math

import numpy as np

from tests.spans.conftest import TYPES
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.pipeline.stages import EncodedVotes
from weaksup.spans.codec import decode_block, load_span_votes
from weaksup.spans.doc import ScoredSpan, SpanDoc
from weaksup.spans.gold import load_span_gold, token_spans
from weaksup.spans.metrics import span_metrics
from weaksup.spans.models import SpanMajorityVote
from weaksup.spans.models_base import SpanLabelModel
from weaksup.spans.report import build_span_report
from weaksup.spans.space import SpanSpace


def test_report_figures_are_those_of_the_written_spans_and_of_majority_vote(span_project):
    result = run(load_config(span_project), progress=False)
    out = span_project.parent / "out"
    rows = {r["row_id"]: r for r in map(json.loads, (out / "spans.jsonl").read_text().splitlines())}
    gold = load_span_gold(span_project.parent / "gold_sets" / "toy")
    test = gold.spans("test")
    docs = {r: SpanDoc.from_text(rows[r]["text"]) for r in test.index}
    truth = [token_spans(docs[r], spans, row_id=r) for r, spans in test.items()]
    written = [[ScoredSpan(s["token_start"], s["token_end"], s["label"], s["confidence"]) for s in rows[r]["spans"]]
               for r in test.index]
    # the label model's figures: exactly those of the spans written for the test documents
    expected = span_metrics(truth, written, types=TYPES)
    for key in ("f1", "precision", "recall", "ece", "n_pred", "n_gold"):
        assert math.isclose(result.metrics[key], expected[key]), key
    assert math.isclose(result.metrics["token_f1"], expected["token"]["f1"])
    assert json.loads((out / "run.json").read_text())["metrics"]["n_pred"] == expected["n_pred"]
    # which the saved model gives the test documents predicted on their own too (ties of two types at
    # confidence 0.5 included: a span model breaks them by the document, not by the batch)
    _, votes = load_span_votes(out)
    where = {r: i for i, r in enumerate(votes.row_ids)}
    model = SpanLabelModel.from_json(json.loads((out / "label_model.json").read_text()))
    assert model.predict(votes.take([where[r] for r in test.index])) == written
    # majority vote: fitted on every document's stored votes, scored on the same test documents
    majority = SpanMajorityVote().fit(votes).predict(votes.take([where[r] for r in test.index]))
    assert math.isclose(result.metrics["majority_vote.f1"], span_metrics(truth, majority, types=TYPES)["f1"])
    # the report: per-type table beside majority vote, the LF summary with dev precision, the HTML page
    report = result.report
    table = report.per_type()
    assert list(table.index) == TYPES and "majority_vote_f1" in table
    assert len(report.summary) == 4 and "chem_dict" in set(report.summary["lf"])
    assert report.summary["precision"].notna().all()  # measured on the 40 dev gold documents
    metrics = report.metrics()
    assert "label_model/type/Chemical/f1" in metrics and "coverage" not in metrics
    assert metrics["coverage_all_rows"] == report.stats["coverage"]
    assert 0 < report.stats["coverage"] <= 1 and report.params["gold_rows"] == "40"
    page = (out / "report.html").read_text()
    assert "entity F1" in page and "Per entity type" in page


def test_a_report_without_gold_has_the_lf_summary_only():
    docs = [SpanDoc.from_text("Aspirin hurts"), SpanDoc.from_text("Nothing")]
    L = np.array([['[[0,1,"Chemical"]]', '["Aspirin hurts",[0,7,8,13]]'], ["[]", '["Nothing",[0,7]]']], dtype=object)
    space = SpanSpace(["Chemical"])
    _, votes = decode_block(L, ["chem"], space)
    model = SpanMajorityVote().fit(votes)
    report = build_span_report(EncodedVotes(L, np.arange(2), ["chem", "__doc__"], {}), model=model, space=space)
    assert report.scores == {} and report.metrics_table() is None and report.run_metrics() == {}
    assert report.stats["coverage"] == 0.5 and len(report.summary) == 1 and len(docs) == 2
    assert "no gold set" in report.to_html()
