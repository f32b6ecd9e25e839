"""spaCy span LFs over many documents: each spaCy Doc is built once for the LFs sharing its pipeline and dropped
after they have read it (none kept across chunks or after the run); the spans equal the per-document ones."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from weaksup.errors import LFApplyError
from weaksup.spans import (SpanDoc, SpanModelLF, SpanSpace, TokenPatternLF, apply_span_lfs, span_labeling_function,
                           span_model_lf, token_pattern_lf)
from weaksup.spans.apply import CHUNK
from weaksup.spans.doc import Span

spacy = pytest.importorskip("spacy")
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

SPACE = SpanSpace(["Chemical", "Disease"])
SEEN: list[str] = []  # the texts the counting pipeline component processed


@Language.component("weaksup_test_count_docs")
def _count_docs(doc: Doc) -> Doc:
    if "explode" in doc.text:
        raise RuntimeError("the component cannot read this text")
    SEEN.append(doc.text)
    return doc


def _docs(n: int) -> list[SpanDoc]:
    """``n`` distinct documents (each numbered), a few shapes of chemicals and diseases."""
    shapes = ["heart failure after lithium carbonate in patient {i} .", "valproic acid gave patient {i} renal damage",
              "no finding for patient {i}", "", "acute kidney injury and aspirin , case {i}"]
    return [SpanDoc.from_text(shapes[i % len(shapes)].format(i=i)) for i in range(n)]


def _live_docs() -> int:
    gc.collect()
    return sum(type(o) is Doc for o in gc.get_objects())  # (isinstance would dereference dead weak proxies)


def _pattern_lfs() -> list[TokenPatternLF]:
    organ = token_pattern_lf("organ", [{"label": "Disease", "pattern": [
        {"LOWER": {"IN": ["acute", "chronic"]}, "OP": "?"}, {"LOWER": {"IN": ["heart", "renal", "kidney"]}},
        {"LOWER": {"IN": ["failure", "damage", "injury"]}}]}])
    acid = token_pattern_lf("acid", [{"LOWER": {"REGEX": "ic$"}}, {"LOWER": "acid"}], label="Chemical")
    phrases = token_pattern_lf("phrases", ["lithium carbonate", "lithium", "aspirin"], label="Chemical",
                               overlapping=True)
    return [organ, acid, phrases]


def _ruler_lfs() -> list[SpanModelLF]:
    nlp = spacy.blank("en")
    nlp.add_pipe("weaksup_test_count_docs")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "CHEM", "pattern": "aspirin"},
                                               {"label": "DIS", "pattern": [{"LOWER": "heart"}, {"LOWER": "failure"}]}])
    chem = span_model_lf("ruler_chem", nlp, labels=["Chemical"], label_map={"CHEM": "Chemical"}, batch_size=16)
    dis = span_model_lf("ruler_dis", nlp, labels=["Disease"], label_map={"DIS": "Disease"}, batch_size=16)
    return [chem, dis]


def test_spacy_docs_stay_bounded_while_span_lfs_run_over_many_documents() -> None:
    counts: list[int] = []
    calls = iter(range(10**9))

    @span_labeling_function(labels=["Disease"])
    def probe(doc: SpanDoc) -> Iterator[Span]:  # reads how many spaCy Docs are alive, a few times a chunk
        if next(calls) % 200 == 0:
            counts.append(_live_docs())
        return iter(())

    docs = _docs(3 * CHUNK + 100)
    before = _live_docs()
    votes = apply_span_lfs(docs, [*_pattern_lfs(), *_ruler_lfs(), probe], SPACE)
    assert len(counts) >= 8 and len(votes.spans) > len(docs)
    assert max(counts) - before <= 2, counts  # the LRU kept up to 2048 Docs: here over 1,600 of them
    assert _live_docs() == before  # none kept after the run


def test_lfs_sharing_a_pipeline_read_each_doc_once_and_tag_what_they_tag_alone() -> None:
    docs = _docs(CHUNK + 37)
    lfs = [*_pattern_lfs(), *_ruler_lfs()]
    SEEN.clear()
    votes = apply_span_lfs(docs, lfs, SPACE, row_ids=[f"r{i}" for i in range(len(docs))])
    assert SEEN == [d.text for d in docs]  # the two model LFs share their pipeline's Docs: each text parsed once
    expected = sorted([d, j, s.start, s.end, s.label] for j, lf in enumerate(lfs) for d, doc in enumerate(docs)
                       for s in lf.spans(doc))  # SpanVotes' order: doc, LF, start, end, type (here alphabetical)
    assert votes.spans[["doc", "lf", "start", "end", "label"]].values.tolist() == expected
    assert {s.label for lf in lfs[:3] for s in lf.spans(docs[0])} == {"Chemical", "Disease"}
    assert all(votes.spans["lf"].eq(j).any() for j in range(len(lfs)))  # every LF tagged something


def test_a_pipeline_error_is_each_sharing_lfs_fault_on_that_row_only() -> None:
    docs = _docs(40)
    docs[7] = SpanDoc.from_text("aspirin will explode here")
    lfs = [*_ruler_lfs(), *_pattern_lfs()]
    votes = apply_span_lfs(docs, lfs, SPACE, fault_tolerant=True)
    assert votes.faults == {"ruler_chem": 1, "ruler_dis": 1, "organ": 0, "acid": 0, "phrases": 0}
    tagged = votes.spans[votes.spans["lf"] == 0]
    assert 7 not in set(tagged["doc"]) and {4, 9}.issubset(set(tagged["doc"]))  # aspirin in the others
    assert 7 in set(votes.spans[votes.spans["lf"] == 4]["doc"])  # the pattern LFs read it as usual
    with pytest.raises(LFApplyError, match="'ruler_chem'.*row '7'.*cannot read this text"):
        apply_span_lfs(docs, lfs, SPACE)
