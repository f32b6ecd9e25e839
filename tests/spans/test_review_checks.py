"""A span review import's refusals name the export file, the task and the fix: overlapping regions, a region that
cuts a run's token (fixed in Label Studio), offsets counted in UTF-16 units; a JSON-MIN export is said once."""

from __future__ import annotations

import json

import pytest

from weaksup.errors import ReviewImportError
from weaksup.spans.review import read_span_export
from weaksup.spans.review_checks import utf16_hint

TYPES = ["MONEY", "PHONE"]


def _region(start, end, label, said):
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": said, "labels": [label]}}


def _refused(tmp_path, tasks):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ReviewImportError) as info:
        read_span_export(path, TYPES)
    return str(info.value), str(path)


def test_overlapping_regions_of_one_answer_are_refused_naming_the_export_and_the_task(tmp_path):
    text = "call 09050000327 now"
    message, path = _refused(tmp_path, [{"id": 17, "data": {"row_id": "h01", "text": text}, "annotations": [
        {"completed_by": 1, "result": [_region(5, 16, "PHONE", "09050000327"), _region(5, 16, "MONEY", "09050000327"),
                                       _region(0, 9, "MONEY", "call 0905")]}]}])
    assert f"{path}: task 17: row 'h01': user-1's regions overlap: 0..9 'call 0905' (MONEY) with 5..16 " in message
    assert "5..16 '09050000327' (MONEY) with 5..16 '09050000327' (PHONE)" in message
    assert "keep one region per stretch of text in Label Studio" in message


def test_offsets_in_utf16_units_are_named_as_such(tmp_path):
    text = "😀😀😀😀 call 08000839402"  # each emoji: one character, two UTF-16 units
    start = text.index("0800")
    message, path = _refused(tmp_path, [{"id": 3, "data": {"row_id": "h03", "text": text}, "annotations": [
        {"completed_by": 1, "result": [_region(start + 4, start + 15, "PHONE", "08000839402")]}]}])
    assert (f"{path}: task 3: row 'h03': region {start + 4}..{start + 15} is outside the text ({len(text)} "
            f"characters); the region's text '08000839402' is at {start}..{start + 11} counting characters: its "
            "offsets count UTF-16 code units") in message
    shifted = "😀😀😀😀 call 0800 or 0900"  # inside the text, on other characters
    assert "UTF-16" in utf16_hint(shifted, 14, 18, "0800") and utf16_hint(shifted, 10, 14, "0800") == ""


def test_a_json_min_export_is_said_once(tmp_path):
    tasks = [{"id": i, "row_id": f"h{i}", "text": "x", "label": [], "annotator": 1} for i in range(1, 9)]
    message, path = _refused(tmp_path, tasks)
    assert message.count("JSON-MIN") == 2 and "has 1 problem" in message
    assert f"{path}: 8 task(s) without data or annotations (tasks 1, 2, 3, 4, 5 ...): this looks like a JSON-MIN" \
        in message
