"""apply_span_lfs: order of documents and LFs, checks, faults named by LF and row id, the fault-tolerant count."""

from __future__ import annotations

import pytest

from weaksup.errors import DataError, LabelSpaceError, LFApplyError, LFDefinitionError
from weaksup.lf import labeling_function
from weaksup.registry import Registry
from weaksup.spans import Span, SpanDoc, SpanLF, SpanSpace, apply_span_lfs, gazetteer_lf, span_labeling_function, span_regex_lf
from weaksup.spans import apply as apply_module

SPACE = SpanSpace(["Chemical", "Disease"])
TEXTS = ["lithium causes tremor", "no drug here", "tremor after lithium and cocaine", ""]
DOCS = [SpanDoc.from_text(t) for t in TEXTS]
DRUGS = gazetteer_lf("drugs", ["lithium", "cocaine"], label="Chemical")
TREMOR = span_regex_lf("tremor", r"\btremor\b", label="Disease")


@span_labeling_function(labels=["Disease"])
def fragile(doc):
    if "drug" in doc.tokens:
        raise ValueError("no drugs here")
    return [(0, 1, "Disease")] if doc.n_tokens else []


def test_votes_keep_document_and_lf_order():
    votes = apply_span_lfs(DOCS, [TREMOR, DRUGS], SPACE, row_ids=["a", "b", "c", "d"])
    assert votes.lf_ids == [TREMOR.lf_id, DRUGS.lf_id] and votes.row_ids == ["a", "b", "c", "d"]
    assert votes.n_tokens.tolist() == [3, 3, 5, 0]
    assert votes.spans[["doc", "lf", "start", "end", "label"]].values.tolist() == [
        [0, 0, 2, 3, "Disease"], [0, 1, 0, 1, "Chemical"], [2, 0, 0, 1, "Disease"], [2, 1, 2, 3, "Chemical"],
        [2, 1, 4, 5, "Chemical"]]
    assert votes.lf_spans(2, DRUGS.lf_id) == [Span(2, 3, "Chemical"), Span(4, 5, "Chemical")]
    assert str(votes.spans.dtypes["lf"]) == "int32" and votes.faults == {"tremor": 0, "drugs": 0}
    # a Registry, a single LF and progress bars give the same
    again = apply_span_lfs(DOCS, Registry([TREMOR, DRUGS]), SPACE, progress=True)
    assert again.spans.equals(votes.spans) and again.row_ids == ["0", "1", "2", "3"]
    assert apply_span_lfs(DOCS, DRUGS, SPACE).lf_ids == [DRUGS.lf_id]


def test_chunks_give_the_same_votes(monkeypatch):
    many = DOCS * 7
    whole = apply_span_lfs(many, [TREMOR, DRUGS, fragile], SPACE, fault_tolerant=True)
    monkeypatch.setattr(apply_module, "CHUNK", 3)
    chunked = apply_span_lfs(many, [TREMOR, DRUGS, fragile], SPACE, fault_tolerant=True)
    assert chunked.spans.equals(whole.spans) and chunked.faults == whole.faults == {"tremor": 0, "drugs": 0,
                                                                                  "fragile": 7}


def test_an_lf_raising_is_named_with_the_row_or_counted():
    with pytest.raises(LFApplyError, match=r"span LF 'fragile' .* failed on row 'row-1': ValueError: no drugs here"):
        apply_span_lfs(DOCS, [DRUGS, fragile], SPACE, row_ids=["row-0", "row-1", "row-2", "row-3"])
    votes = apply_span_lfs(DOCS, [DRUGS, fragile], SPACE, fault_tolerant=True)
    assert votes.faults == {"drugs": 0, "fragile": 1}
    assert votes.lf_spans(0, fragile.lf_id) == [Span(0, 1, "Disease")] and votes.lf_spans(1, fragile.lf_id) == []
    assert votes.lf_spans(2, fragile.lf_id) == [Span(0, 1, "Disease")]


def test_bad_inputs_are_named():
    chem_only = SpanSpace(["Chemical"])
    with pytest.raises(LabelSpaceError, match=r"'tremor' .* tags \['Disease'\]"):
        apply_span_lfs(DOCS, [TREMOR], chem_only)
    with pytest.raises(DataError, match="3 row_ids for 4 documents"):
        apply_span_lfs(DOCS, [DRUGS], SPACE, row_ids=["a", "b", "c"])
    with pytest.raises(DataError, match="document 1 is str"):
        apply_span_lfs([DOCS[0], "text"], [DRUGS], SPACE)

    @labeling_function()
    def classifier(x):
        return 0

    with pytest.raises(LFDefinitionError, match="'classifier' is not a span LF"):
        apply_span_lfs(DOCS, [DRUGS, classifier], SPACE)
    with pytest.raises(LFDefinitionError, match=r"repeated: \['drugs'\]"):
        apply_span_lfs(DOCS, [DRUGS, gazetteer_lf("drugs", ["x"], label="Chemical")], SPACE)
    with pytest.raises(LabelSpaceError, match="SpanSpace"):
        apply_span_lfs(DOCS, [DRUGS], ["Chemical"])


def test_a_span_of_another_type_at_apply_time_is_the_lfs_fault():
    class Liar(SpanLF):
        kind = "span_generic"

        def spans(self, doc):
            return [Span(0, 1, "Gene")] if doc.n_tokens else []

    liar = Liar("liar", labels=["Chemical"], params={})
    with pytest.raises(LFApplyError, match=r"'liar' .* failed on row '0'.*Gene"):
        apply_span_lfs(DOCS, [liar], SPACE)
    assert apply_span_lfs(DOCS, [liar], SPACE, fault_tolerant=True).faults == {"liar": 3}


def test_token_votes_of_applied_spans():
    votes = apply_span_lfs(DOCS[2:3], [TREMOR, DRUGS], SPACE)
    tags = votes.token_votes().values.tolist()
    b_chem, b_dis = SPACE.tag_id("B-Chemical"), SPACE.tag_id("B-Disease")
    assert tags == [[b_dis, -1], [-1, -1], [-1, b_chem], [-1, -1], [-1, b_chem]]
