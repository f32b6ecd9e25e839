"""The majority of a span review's annotators: a span half of them marked ties its document, which is left out of
the import and named (as a tied classification or multi-label row), never written with half the answers."""

from __future__ import annotations

import json

import pandas as pd

from weaksup.spans.gold import load_span_gold, write_span_gold
from weaksup.spans.review import SpanAnswers, import_if_spans
from weaksup.spans.review_votes import AGREED, TIED, majority_spans

TYPES = ["MONEY", "PHONE"]
TEXT = "<b>WIN</b> £500 txt 87121"
MONEY, PHONE = (11, 15, "MONEY"), (20, 25, "PHONE")


def _region(span):
    start, end, label = span
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}}


def _task(i, row_id, *answers):
    return {"id": i, "data": {"row_id": row_id, "text": TEXT}, "annotations": [
        {"completed_by": k + 1, "result": [_region(s) for s in spans]} for k, spans in enumerate(answers)]}


def test_a_one_one_tie_on_a_span_leaves_the_document_out_and_names_it(tmp_path):
    export = tmp_path / "export.json"
    export.write_text(json.dumps([
        _task(1, "h02", [MONEY, PHONE], [MONEY]),             # 1-1 on PHONE: tied
        _task(2, "h03", [MONEY, PHONE], [MONEY], [MONEY]),    # 1-2 on PHONE: a majority says no PHONE
        _task(3, "h04", [MONEY], [MONEY]),                    # agreed
        _task(4, "old", [PHONE], []),                         # tied, and held by the gold set already
    ]), encoding="utf-8")
    folder = tmp_path / "gold"
    write_span_gold([{"row_id": "old", "split": "test", "spans": [PHONE]}], folder, task="sms", types=TYPES)
    message = import_if_spans(export, task="sms", gold_dir=folder, run_dir=None)
    spans = load_span_gold(folder).spans()
    assert "h02" not in spans.index
    assert spans["h03"] == [MONEY] and spans["h04"] == [MONEY]
    assert spans["old"] == [PHONE]  # the tied answers did not overwrite it
    assert ("2 document(s) where no majority decides a span (exactly half of the annotators marked it): left out: "
            "h02, old") in message
    assert "h02: user-1=11..15 MONEY '£500', 20..25 PHONE '87121'; user-2=11..15 MONEY '£500' [tied: dev row left" \
        in message
    assert "h03: " in message and "[majority per span: 11..15 MONEY '£500']" in message
    assert "old: " in message and "the document keeps its gold spans before" in message
    assert "h04: " not in message


def test_one_of_two_marking_a_span_and_the_other_none_is_a_tie_not_no_entity():
    frame = pd.DataFrame({"row_id": ["a", "a", "b", "b"], "annotator": ["x", "y", "x", "y"],
                          "text": [TEXT] * 4, "spans": [[MONEY], [], [], []]})
    decided = majority_spans(SpanAnswers(frame))
    assert list(decided["status"]) == [TIED, AGREED]
    assert decided["annotator"][0] == "x+y" and decided["answers"][1] == ""
