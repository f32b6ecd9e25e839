"""The span Workbench: previews (text and HTML), dev precision/recall, error views, the LF summary, the votes."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.errors import DataError, ParameterError, UnknownLFError
from weaksup.spans import (
    Span,
    SpanDoc,
    SpanSpace,
    SpanWorkbench,
    apply_span_lfs,
    gazetteer_lf,
    render_spans,
    span_regex_lf,
)

SPACE = SpanSpace(["Chemical", "Disease"])
TEXTS = ["lithium causes tremor", "heart failure after cocaine", "no drug here", "lithium carbonate and gout"]
GOLD = [[Span(0, 1, "Chemical"), Span(2, 3, "Disease")], [Span(0, 2, "Disease"), Span(3, 4, "Chemical")],
        None, [Span(0, 2, "Chemical"), Span(3, 4, "Disease")]]
DRUGS = gazetteer_lf("drugs", ["lithium", "cocaine"], label="Chemical")
ITIS = span_regex_lf("failure", r"\w+ failure|tremor", label="Disease")


def _bench(**kw):
    return SpanWorkbench(TEXTS, SPACE, row_ids=["a", "b", "c", "d"], gold=GOLD, lfs=[DRUGS, ITIS], **kw)


def test_preview_figures_on_all_docs_and_dev_gold():
    p = _bench().preview("drugs")
    assert (p.n_docs, p.docs_covered, p.n_spans, p.n_dev) == (4, 3, 3, 3)
    assert p.coverage == 0.75 and p.per_type == {"Chemical": 3}
    assert p.token_coverage == pytest.approx(3 / 14)
    # dev: lithium (a) right, cocaine (b) right, lithium in d wrong (gold: "lithium carbonate"); 3 Chemical gold
    assert p.precision == pytest.approx(2 / 3) and p.recall == pytest.approx(2 / 3)
    assert [row for row, *_ in p.examples] == ["a", "b", "d"]
    assert p.stats()[["lf", "spans", "dev_docs"]].values.tolist() == [[DRUGS.lf_id, 3, 3]]


def test_preview_text_and_html_mark_each_span():
    wb = _bench()
    text = str(wb.preview(DRUGS, show="errors"))
    assert "d: [lithium|Chemical✗] {carbonate|" not in text  # the missed gold span is the longer one
    assert "d: [lithium|Chemical✗] carbonate and gout" in text
    missed = str(wb.preview(DRUGS, show="missed"))
    assert "d: [lithium|Chemical✗] carbonate and gout" in missed and "a:" not in missed
    html = wb.preview(ITIS)._repr_html_()
    assert html.count("<mark") == 2 and "heart failure<sub>Disease</sub>" in html
    assert "SpanPreview of failure@" in html
    assert wb.preview(ITIS, n=1).examples[0][0] in {"a", "b"}  # n documents sampled among those it tags


def test_render_spans_windows_and_overlaps():
    doc = SpanDoc.from_text(" ".join(["filler"] * 40 + ["lithium"] + ["filler"] * 40))
    text = render_spans(doc, [Span(40, 41, "Chemical")], context=20)
    assert text.startswith("…") and text.endswith("…") and "[lithium|Chemical]" in text and len(text) < 80
    short = SpanDoc.from_text("heart failure here")
    assert render_spans(short, [Span(0, 2, "Disease"), Span(1, 2, "Disease")]) == "[heart failure|Disease] here"
    assert render_spans(short, []) == "heart failure here"
    html = render_spans(SpanDoc.from_text("a <b> c"), [Span(1, 2, "X")], as_html=True)
    assert "&lt;b&gt;<sub>X</sub></mark>" in html


def test_summary_and_votes_match_apply():
    wb = _bench()
    votes = wb.votes()
    direct = apply_span_lfs([SpanDoc.from_text(t) for t in TEXTS], [DRUGS, ITIS], SPACE, row_ids=list("abcd"))
    assert votes.spans.equals(direct.spans) and votes.lf_ids == direct.lf_ids
    summary = wb.summary()
    assert summary["lf"].tolist() == [DRUGS.lf_id, ITIS.lf_id]
    assert {"spans", "docs_covered", "token_coverage", "overlaps", "conflicts", "precision", "recall",
            "f1"} <= set(summary.columns)
    assert summary["precision"].tolist() == pytest.approx([2 / 3, 1.0])
    # recall over the gold spans of the LF's own types, in the summary as in the preview (it was over all gold spans:
    # the Chemical LF's 2 of 6 instead of 2 of 3)
    assert summary["recall"].tolist() == pytest.approx([wb.preview(DRUGS).recall, wb.preview(ITIS).recall])
    assert summary["recall"].tolist() == pytest.approx([2 / 3, 2 / 3])
    dev_votes, gold = wb.dev_votes()
    assert dev_votes.row_ids == ["a", "b", "d"] and gold[2] == GOLD[3]


def test_adding_an_lf_of_the_same_name_replaces_it():
    wb = _bench()
    wb.add(gazetteer_lf("drugs", ["lithium carbonate", "cocaine", "lithium"], label="Chemical"))
    assert len(wb.lfs) == 2 and wb.preview("drugs").precision == 1.0
    assert wb.votes().m == 2


def test_bad_workbench_inputs():
    with pytest.raises(DataError, match="gold for 2 documents"):
        SpanWorkbench(TEXTS, SPACE, gold=GOLD[:2])
    with pytest.raises(DataError, match="not documents"):
        SpanWorkbench(TEXTS, SPACE, gold={"zzz": []})
    with pytest.raises(ParameterError, match="show must be"):
        _bench().preview("drugs", show="some")
    with pytest.raises(UnknownLFError, match="no span LF 'nope'"):
        _bench().preview("nope")
    no_gold = SpanWorkbench(TEXTS, SPACE, lfs=[DRUGS])
    assert np.isnan(no_gold.preview("drugs").precision) and "no dev gold" in str(no_gold.preview("drugs"))
    assert np.isnan(no_gold.summary()["f1"]).all()
    by_id = SpanWorkbench(TEXTS, SPACE, row_ids=list("abcd"), gold={"b": GOLD[1]}, lfs=[DRUGS])
    assert by_id.preview("drugs").n_dev == 1


@pytest.mark.parametrize(("gold", "needle"), [
    ({"a": [{"start": 0, "end": 1, "label": "Chemical"}]}, "is not a span; give Span(start, end, label)"),
    ({"a": [Span(0, 1, "Drug")]}, "entity type 'Drug' is not one of ['Chemical', 'Disease']"),
    ({"a": [Span(0, 9, "Chemical")]}, "is outside its 3 tokens"),
    ({"a": [(0.0, 1.0, "Chemical")]}, "is not a span"),
])
def test_dev_gold_spans_are_checked(gold, needle):
    with pytest.raises(DataError) as info:
        SpanWorkbench(TEXTS, SPACE, row_ids=list("abcd"), gold=gold)
    assert needle in str(info.value) and "row 'a'" in str(info.value)
    with pytest.raises(DataError, match=r"row_ids repeat \(e.g. \['a'\]\)"):
        SpanWorkbench(TEXTS, SPACE, row_ids=list("aacd"))
    import numpy as np

    ok = SpanWorkbench(TEXTS, SPACE, row_ids=list("abcd"), gold={"a": [(np.int64(0), np.int64(1), "Chemical")]})
    assert ok.gold[0] == [Span(0, 1, "Chemical")]


def test_a_span_gold_set_is_aligned_to_the_tokens_and_its_char_spans_are_never_taken_as_token_spans(tmp_path):
    from weaksup.spans.gold import load_span_gold, write_span_gold

    rows = [{"row_id": "a", "split": "dev", "spans": [(0, 7, "Chemical"), (15, 21, "Disease")]},
            {"row_id": "b", "split": "dev", "spans": [(0, 13, "Disease"), (20, 27, "Chemical")]},
            {"row_id": "d", "split": "test", "spans": [(0, 17, "Chemical")]},  # test gold: never used
            {"row_id": "zz", "split": "dev", "spans": []}]  # not among these documents: left aside
    gold = write_span_gold(rows, tmp_path / "g", task="t", types=SPACE.types)
    wb = SpanWorkbench(TEXTS, SPACE, row_ids=list("abcd"), gold=gold, lfs=[DRUGS, ITIS])
    assert wb.gold == [GOLD[0], GOLD[1], None, None]
    assert wb.preview("drugs").n_dev == 2
    letters = "a b c d e f g h i j"  # char offsets 2..3 ('b') that token offsets 2..3 ('c') would take silently
    write_span_gold([{"row_id": "x", "split": "dev", "spans": [(2, 3, "Chemical")]}], tmp_path / "h", task="t",
                    types=SPACE.types)
    char_gold = dict(load_span_gold(tmp_path / "h").spans("dev"))
    with pytest.raises(DataError, match=r"row 'x': \(2, 3, 'Chemical'\) is a span of a span gold set, in char "
                                        r"offsets.*pass gold=the SpanGoldSet itself"):
        SpanWorkbench([letters], SPACE, row_ids=["x"], gold=char_gold)
    assert SpanWorkbench([letters], SPACE, row_ids=["x"], gold=load_span_gold(tmp_path / "h")).gold == [
        [Span(1, 2, "Chemical")]]
    with pytest.raises(DataError, match=r"none of the 3 dev row ids.*pass row_ids="):
        SpanWorkbench(TEXTS, SPACE, gold=gold)
