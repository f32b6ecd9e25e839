"""spans.spacy and spans.conll read back: the spans, confidences, entities and tags that were written."""

from __future__ import annotations

import spacy
from spacy.tokens import DocBin

from tests.spans.conftest import TYPES, documents
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.export import non_overlapping, read_conll, write_conll, write_docbin
from weaksup.spans.gold import token_spans
from weaksup.spans.space import SpanSpace


def _rows(n=12):
    data, gold = documents(n, seed=3)
    docs = [SpanDoc.from_text(t) for t in data["text"]]
    rows = []
    for i, (doc, spans) in enumerate(zip(docs, gold)):
        token = token_spans(doc, spans, row_id=str(i))
        records = [{"token_start": s.start, "token_end": s.end, "label": s.label, "confidence": 0.5 + 0.01 * k,
                    "sources": ["lf_a"]} for k, s in enumerate(token)]
        if token and i % 3 == 0:  # an overlapping, less sure span: in the span group, not among the entities
            first = token[0]
            records.append({"token_start": first.start, "token_end": first.end + 1, "label": "Disease",
                            "confidence": 0.2, "sources": []})
        rows.append({"row_id": data["row_id"][i], "review_status": "auto", "spans": records})
    rows[-1]["spans"] = []  # a document without spans
    return docs, rows


def test_docbin_holds_every_span_with_confidence_and_non_overlapping_entities(tmp_path):
    docs, rows = _rows()
    path = write_docbin(tmp_path / "spans.spacy", docs, rows)
    nlp = spacy.blank("en")
    back = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    assert len(back) == len(docs)
    for doc, row, sdoc in zip(docs, rows, back):
        assert [t.text for t in sdoc] == list(doc.tokens) and sdoc.text == doc.text
        assert sdoc.user_data["row_id"] == row["row_id"]
        group = sdoc.spans["weaksup"]
        expected = sorted((s["token_start"], s["token_end"], s["label"]) for s in row["spans"])
        assert [(s.start, s.end, s.label_) for s in group] == expected
        by_span = {(s["token_start"], s["token_end"], s["label"]): s["confidence"] for s in row["spans"]}
        assert group.attrs["confidence"] == [by_span[key] for key in expected]
        ents = [(e.start, e.end, e.label_) for e in sdoc.ents]
        assert ents == [(s["token_start"], s["token_end"], s["label"]) for s in non_overlapping(row["spans"])]
        tokens = [t for e in sdoc.ents for t in range(e.start, e.end)]
        assert len(tokens) == len(set(tokens))
    assert any(len(s.spans["weaksup"]) > len(s.ents) for s in back)  # overlaps kept in the group only


def test_conll_parses_back_to_the_spans_written(tmp_path):
    docs, rows = _rows()
    space = SpanSpace(TYPES)
    rows = [{**row, "spans": non_overlapping(row["spans"])} for row in rows]
    path = write_conll(tmp_path / "spans.conll", docs, rows, space)
    back = read_conll(path, space)
    assert len(back) == len(docs)
    for doc, row, (tokens, spans) in zip(docs, rows, back):
        assert tokens == list(doc.tokens)
        assert spans == sorted(Span(s["token_start"], s["token_end"], s["label"]) for s in row["spans"])
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and lines[-2] == "" and all("\t" in line for line in lines if line)


def test_docbin_keeps_the_input_text_and_the_char_offsets_of_spans_jsonl(tmp_path):
    texts = ["Line one\r\nCall 09061701461 now", "  leading and trailing  ", "tab\tsep\tand  double  spaces",
             "café ☎️ 😀 £500 naïve", "old mac\rline", "\t\n", "", "x"]
    docs = [SpanDoc.from_text(t) for t in texts]
    rows = []
    for i, doc in enumerate(docs):  # every token a span, alternating types, as spans.jsonl would list them
        spans = [{"token_start": k, "token_end": k + 1, "label": TYPES[k % 2], "confidence": 0.9, "sources": []}
                 for k in range(doc.n_tokens)]
        rows.append({"row_id": f"r{i}", "review_status": "auto", "spans": spans,
                     "jsonl": [(doc.starts[k], doc.ends[k], TYPES[k % 2]) for k in range(doc.n_tokens)]})
    path = write_docbin(tmp_path / "spans.spacy", docs, rows)
    back = list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))
    for text, row, sdoc in zip(texts, rows, back, strict=True):
        assert sdoc.text == text
        assert [(e.start_char, e.end_char, e.label_) for e in sdoc.ents] == row["jsonl"]
        assert [(s.start_char, s.end_char, s.label_) for s in sdoc.spans["weaksup"]] == row["jsonl"]
        assert [e.text for e in sdoc.ents] == [text[s:e] for s, e, _ in row["jsonl"]]
    crlf = back[0]
    assert [t.text for t in crlf][:4] == ["Line", "one", "\r\n", "Call"] and crlf[0].whitespace_ == " "
