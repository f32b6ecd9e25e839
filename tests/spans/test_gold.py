"""Span gold sets: write/read, versions, char -> token alignment and the errors that name the fix."""

from __future__ import annotations

import json

import pytest

from tests.spans.conftest import TYPES, documents
from weaksup.errors import GoldSetError
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.gold import (char_spans, is_span_gold, load_span_gold, next_version, token_spans,
                                write_span_gold)


def _rows(n=6):
    data, spans = documents(n)
    return data, [{"row_id": r, "split": "dev" if i % 2 else "test",
                   "spans": [{"start": s, "end": e, "label": t} for s, e, t in spans[i]]}
                  for i, r in enumerate(data["row_id"])]


def test_written_gold_reads_back_with_manifest_and_versions(tmp_path):
    data, rows = _rows()
    gold = write_span_gold(rows, tmp_path / "g", task="toy", types=TYPES, description="synthetic")
    manifest = json.loads((tmp_path / "g" / "manifest.json").read_text())
    assert manifest["type"] == "spans" and manifest["files"] == ["spans.jsonl"] and manifest["version"] == 1
    assert manifest["splits"] == {"dev": 3, "test": 3} and is_span_gold(tmp_path / "g")
    again = load_span_gold(tmp_path / "g", types=TYPES)
    assert again.hash == gold.hash and again.counts() == {"dev": 3, "test": 3}
    first = again.spans("dev").iloc[0]
    text = data.set_index("row_id").loc[again.spans("dev").index[0], "text"]
    assert all(text[s:e] in ("lithium carbonate", *text.split()) or " " in text[s:e] for s, e, _ in first)
    # a second version keeps the first's file; version 1 still loads
    changed = [{**rows[0], "spans": []}, *rows[1:]]
    assert next_version(tmp_path / "g") == 2
    v2 = write_span_gold(changed, tmp_path / "g", task="toy", types=TYPES, version=2)
    assert v2.version == 2 and v2.hash != gold.hash
    names = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert "spans.jsonl" in names and any(n.startswith("spans-") for n in names)
    assert load_span_gold(tmp_path / "g", version=1).hash == gold.hash
    assert load_span_gold(tmp_path / "g").spans().loc[rows[0]["row_id"]] == []
    with pytest.raises(GoldSetError, match="already exists with other labels"):
        write_span_gold(rows, tmp_path / "g", task="toy", types=TYPES, version=2)


def test_bad_rows_are_named_with_the_fix(tmp_path):
    bad = [{"row_id": "a", "split": "dev", "spans": [{"start": 0, "end": 3, "label": "Drug"}]},
           {"row_id": "a", "split": "train", "spans": [{"start": 5, "end": 2, "label": "Chemical"}]},
           {"row_id": "", "split": "dev", "spans": []}]
    with pytest.raises(GoldSetError) as info:
        write_span_gold(bad, tmp_path / "g", task="t", types=TYPES)
    message = str(info.value)
    for needle in ("unknown entity type 'Drug'", "also on line 1", "split is 'train'", "is empty or negative",
                   "row_id is missing or blank", "the entity types are ['Chemical', 'Disease']"):
        assert needle in message
    assert not (tmp_path / "g").exists()  # nothing written


def test_loading_names_a_mismatched_label_space_or_wrong_type(tmp_path):
    _, rows = _rows()
    write_span_gold(rows, tmp_path / "g", task="t", types=TYPES)
    with pytest.raises(GoldSetError, match="differ from the task's"):
        load_span_gold(tmp_path / "g", types=["Chemical"])
    manifest = json.loads((tmp_path / "g" / "manifest.json").read_text())
    (tmp_path / "g" / "manifest.json").write_text(json.dumps({**manifest, "type": "multilabel"}))
    with pytest.raises(GoldSetError, match="not \"spans\""):
        load_span_gold(tmp_path / "g")
    with pytest.raises(GoldSetError, match="does not exist"):
        load_span_gold(tmp_path / "missing")


def test_char_spans_align_to_tokens_or_say_which_tokenizer():
    doc = SpanDoc.from_text("Given aspirin, patients had renal failure.")
    assert token_spans(doc, [(28, 33, "Disease")], row_id="r") == [Span(4, 5, "Disease")]
    with pytest.raises(GoldSetError, match=r"row 'r'.*'aspirin'.*cuts the tokens \['aspirin,'\].*\"regex\""):
        token_spans(doc, [(6, 13, "Chemical")], row_id="r")
    regex = SpanDoc.from_text("Given aspirin, patients had renal failure.", "regex")
    aligned = token_spans(regex, [(6, 13, "Chemical"), (28, 41, "Disease")], row_id="r")
    assert aligned == [Span(1, 2, "Chemical"), Span(5, 7, "Disease")]
    assert char_spans(regex, aligned) == [(6, 13, "Chemical"), (28, 41, "Disease")]


def test_offsets_that_are_not_whole_numbers_are_refused_not_truncated(tmp_path):
    rows = [{"row_id": "a", "split": "dev", "spans": [{"start": 0, "end": 15.9, "label": "Chemical"}]},
            {"row_id": "b", "split": "dev", "spans": [{"start": "26", "end": 30, "label": "Disease"}]},
            {"row_id": "c", "split": "dev", "spans": [{"start": True, "end": 3, "label": "Disease"}]}]
    with pytest.raises(GoldSetError) as info:
        write_span_gold(rows, tmp_path / "g", task="t", types=TYPES)
    message = str(info.value)
    assert "has 3 problems" in message and "row 'a': span 0..15.9 (Chemical)" in message
    assert "row 'b': span '26'..30 (Disease)" in message and "write the span's char offsets as integers" in message
    assert not (tmp_path / "g").exists() or not (tmp_path / "g" / "manifest.json").exists()
    whole = [{"row_id": "a", "split": "dev", "spans": [{"start": 0.0, "end": 7.0, "label": "Chemical"}]}]
    assert write_span_gold(whole, tmp_path / "g", task="t", types=TYPES).spans()["a"] == [(0, 7, "Chemical")]
    path = tmp_path / "g" / "spans.jsonl"  # a hand-edited file: the loader refuses it too
    path.write_text(json.dumps({"row_id": "a", "split": "dev", "spans": [{"start": "0", "end": 7,
                                                                          "label": "Chemical"}]}) + "\n")
    with pytest.raises(GoldSetError, match=r"spans.jsonl:1: column 'spans': row 'a': span '0'..7"):
        load_span_gold(tmp_path / "g")


def test_a_spans_text_is_kept_in_the_gold_file_and_checked_against_the_document(tmp_path):
    rows = [{"row_id": "a", "split": "dev", "spans": [{"start": 15, "end": 19, "label": "Disease", "text": "pain"}]}]
    gold = write_span_gold(rows, tmp_path / "g", task="t", types=TYPES)
    assert json.loads((tmp_path / "g" / "spans.jsonl").read_text())["spans"][0]["text"] == "pain"
    span = load_span_gold(tmp_path / "g").spans()["a"][0]
    assert span == (15, 19, "Disease") and span.text == "pain" and gold.spans()["a"][0].text == "pain"
    doc = SpanDoc.from_text("Aspirin causes pain")
    assert token_spans(doc, [span], row_id="a") == [Span(2, 3, "Disease")]
    with pytest.raises(GoldSetError, match=r"row 'a': the span 15..19 \(Disease\) says its text is 'pain' but the "
                                           r"row's text there is 'ache'.*fix the span's offsets in the gold set"):
        token_spans(SpanDoc.from_text("Aspirin causes ache"), [span], row_id="a")
    with pytest.raises(GoldSetError, match="its text must be a string"):
        write_span_gold([{**rows[0], "spans": [{**rows[0]["spans"][0], "text": 4}]}], tmp_path / "h", task="t",
                        types=TYPES)
