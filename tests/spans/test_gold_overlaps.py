"""Overlapping gold spans: refused when written or imported, warned about when an existing gold set has them, and
scored by one rule (the longest kept, as tags_from_spans and the token scores do)."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from tests.spans.conftest import TYPES
from weaksup.errors import GoldSetError, ReviewImportError
from weaksup.spans.doc import Span
from weaksup.spans.gold import load_span_gold, write_span_gold
from weaksup.spans.metrics import span_metrics
from weaksup.spans.review import SpanAnswers, import_span_answers, read_span_export

TEXT = "Lithium carbonate poisoning causes pain ."
GOOD = {"row_id": "d1", "split": "test", "spans": [{"start": 0, "end": 17, "label": "Chemical"},
                                                   {"start": 18, "end": 27, "label": "Disease"}]}
OTHER = {"row_id": "d2", "split": "dev", "spans": [{"start": 0, "end": 7, "label": "Chemical"}]}


def _with(row, *spans):
    return {**row, "spans": [*row["spans"], *({"start": s, "end": e, "label": t} for s, e, t in spans)]}


@pytest.mark.parametrize("extra, shown", [
    ((0, 17, "Disease"), "0..17 (Chemical) with 0..17 (Disease)"),  # the same text, two types
    ((0, 27, "Chemical"), "0..17 (Chemical) with 0..27 (Chemical)"),  # a span inside another
    ((0, 17, "Chemical"), "0..17 (Chemical) with 0..17 (Chemical)"),  # a span listed twice
])
def test_overlapping_spans_are_refused_when_written_naming_the_row_the_spans_and_the_fix(tmp_path, extra, shown):
    with pytest.raises(GoldSetError) as info:
        write_span_gold([OTHER, _with(GOOD, extra)], tmp_path / "g", task="t", types=TYPES)
    message = str(info.value)
    assert "<rows>:2: column 'spans': row 'd1' holds overlapping spans: " + shown in message, message
    assert "keep one span per stretch of text" in message and "flat NER: one entity type per token" in message
    assert not (tmp_path / "g").exists()  # nothing written
    # spans that only touch (end is exclusive) are fine
    assert write_span_gold([_with(GOOD, (28, 34, "Disease"))], tmp_path / "ok", task="t", types=TYPES).spans()["d1"] \
        == [(0, 17, "Chemical"), (18, 27, "Disease"), (28, 34, "Disease")]


def _hand_written(folder, rows):
    """A gold set whose file was written by hand (the overlap check bypassed), as older gold sets may be."""
    write_span_gold([{**r, "spans": []} for r in rows], folder, task="t", types=TYPES)
    (folder / "spans.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_an_existing_gold_set_with_overlaps_loads_with_a_warning_naming_rows_and_spans(tmp_path, caplog):
    _hand_written(tmp_path / "g", [OTHER, _with(GOOD, (0, 17, "Disease"))])
    with caplog.at_level(logging.WARNING, logger="weaksup.gold"):
        gold = load_span_gold(tmp_path / "g", types=TYPES)
    warned = [r.getMessage() for r in caplog.records if "overlapping spans" in r.getMessage()]
    assert len(warned) == 1, caplog.text
    assert "1 row(s) hold overlapping spans: row 'd1' holds overlapping spans: 0..17 (Chemical) with 0..17 " \
           "(Disease) (line 2)" in warned[0]
    assert "the longest in tokens" in warned[0] and "fix the rows in a new gold version" in warned[0]
    assert gold.spans()["d1"] == [(0, 17, "Chemical"), (0, 17, "Disease"), (18, 27, "Disease")]  # kept as written
    # a new version carrying the row unchanged is written (the row was warned about); one changing it is refused
    more = {"row_id": "d3", "split": "dev", "spans": []}
    v2 = write_span_gold([OTHER, _with(GOOD, (0, 17, "Disease")), more], tmp_path / "g", task="t", types=TYPES,
                         version=2)
    assert v2.version == 2 and len(v2) == 3
    with pytest.raises(GoldSetError, match="row 'd1' holds overlapping spans: 0..17 \\(Chemical\\) with 0..27"):
        write_span_gold([OTHER, _with(GOOD, (0, 27, "Chemical")), more], tmp_path / "g", task="t", types=TYPES,
                        version=3)


def test_a_label_studio_region_with_two_types_is_refused_on_import(tmp_path):
    region = {"from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": 0, "end": 17, "text": TEXT[:17], "labels": ["Chemical", "Disease"]}}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"row_id": "d1", "text": TEXT},
                                 "annotations": [{"completed_by": 1, "result": [region]}]}]))
    write_span_gold([OTHER], tmp_path / "gold", task="t", types=TYPES)
    with pytest.raises(ReviewImportError, match=f"{path}: task 1: row 'd1': user-1's regions overlap: 0..17 "
                                                "'Lithium carbonate' \\(Chemical\\) with 0..17 'Lithium carbonate' "
                                                "\\(Disease\\)"):
        read_span_export(path, TYPES)  # named where it is fixed: the export's task
    answers = SpanAnswers(pd.DataFrame({"row_id": ["d1"], "annotator": ["user-1"], "text": [TEXT],
                                        "spans": [[(0, 17, "Chemical"), (0, 17, "Disease")]]}))
    with pytest.raises(GoldSetError, match="row 'd1' holds overlapping spans: 0..17 \\(Chemical\\) with 0..17 "
                                           "\\(Disease\\)"):
        import_span_answers(answers, tmp_path / "gold", task="t", types=TYPES)
    assert load_span_gold(tmp_path / "gold").version == 1  # nothing imported


def test_metrics_count_overlapping_gold_spans_one_way_entity_and_token_alike():
    gold = [[Span(0, 2, "Chemical"), Span(0, 2, "Disease"), Span(3, 4, "Disease")],  # same tokens, two types
            [Span(0, 3, "Chemical"), Span(1, 2, "Disease")]]  # the longer one wins, as tags_from_spans does
    pred = [[Span(0, 2, "Chemical"), Span(3, 4, "Disease")], [Span(0, 3, "Chemical")]]
    s = span_metrics(gold, pred, types=TYPES)
    assert (s["n_gold"], s["n_pred"], s["n_correct"]) == (3, 3, 3)
    assert (s["precision"], s["recall"], s["f1"]) == (1.0, 1.0, 1.0)
    assert s["token"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}  # the same gold spans at token level
    assert s["per_type"].set_index("type")["support"].to_dict() == {"Chemical": 2, "Disease": 1}
