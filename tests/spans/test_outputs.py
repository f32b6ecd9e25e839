"""A spans run's labels table from its vote cells: char offsets, sources, routing, dev gold rows, the codec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup.errors import GoldSetError, VoteMatrixError
from weaksup.spans.codec import decode_block, encode_votes
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.models import SpanMajorityVote
from weaksup.spans.outputs import SPAN_COLUMNS, chunk_table, count_spans
from weaksup.spans.space import SpanSpace
from weaksup.spans.votes import SpanVotes

SPACE = SpanSpace(["Chemical", "Disease"])
TEXTS = ["Aspirin caused renal failure .", "Cocaine users had seizures .", "Nothing here ."]
LF_IDS = ["chem@1", "dis@1", "guess@1"]


def _votes():
    docs = [SpanDoc.from_text(t) for t in TEXTS]
    frame = pd.DataFrame({"doc": [0, 0, 0, 1, 1], "lf": [0, 1, 2, 0, 2], "start": [0, 2, 3, 0, 0],
                          "end": [1, 4, 4, 1, 1], "label": ["Chemical", "Disease", "Disease", "Chemical", "Disease"]})
    return docs, SpanVotes([d.n_tokens for d in docs], LF_IDS, SPACE, frame)


def test_vote_cells_round_trip_and_damage_is_named():
    docs, votes = _votes()
    block = encode_votes(docs, votes)
    assert block.shape == (3, 4) and block[2, 0] == "[]" and block[0, 3].startswith('["Aspirin caused')
    back_docs, back = decode_block(block, LF_IDS, SPACE)
    assert back_docs == docs and back == votes
    with pytest.raises(VoteMatrixError, match="--fresh"):
        decode_block(block[:, :3], LF_IDS, SPACE)
    block[1, 0] = "not json"
    with pytest.raises(VoteMatrixError, match="damaged"):
        decode_block(block, LF_IDS, SPACE)


def test_the_table_has_char_offsets_sources_routing_and_human_rows():
    docs, votes = _votes()
    block = encode_votes(docs, votes)
    model = SpanMajorityVote().fit(votes)
    table = chunk_table(model, block, {}, space=SPACE, lf_names=[*LF_IDS, "__doc__"], rule_version="r1",
                        threshold=0.7)
    assert table.column_names == SPAN_COLUMNS[1:]
    rows = table.to_pylist()
    predicted = model.predict(votes)
    for row, doc, spans in zip(rows, docs, predicted):
        assert [(s["token_start"], s["token_end"], s["label"]) for s in row["spans"]] == sorted(
            (s.start, s.end, s.label) for s in spans)
        for s in row["spans"]:
            assert row["text"][s["start"]:s["end"]] == " ".join(doc.tokens[s["token_start"]:s["token_end"]])
            unsure = s["confidence"] < 0.7
            if unsure:
                assert row["review_status"] == "needs_review"
    # doc 1: two LFs tag "Cocaine" with different types -> a conflict, sent to review
    assert rows[1]["conflict"] and rows[1]["review_status"] == "needs_review"
    assert not rows[2]["conflict"] and rows[2]["spans"] == [] and rows[2]["review_status"] == "auto"
    chem = [s for s in rows[0]["spans"] if s["label"] == "Chemical"]
    assert chem and chem[0]["sources"] == ["chem"]
    counts = count_spans(table, SPACE)
    assert counts["(none)"] == 1 and counts["Chemical"] + counts["Disease"] == sum(len(r["spans"]) for r in rows)
    # a dev gold row keeps its human spans (char offsets in, token offsets out)
    human = chunk_table(model, block, {2: [(0, 7, "Chemical")]}, space=SPACE, lf_names=[*LF_IDS, "__doc__"],
                        rule_version="r1").to_pylist()[2]
    assert human["review_status"] == "reviewed" and human["label_source"] == "human"
    assert [(s["token_start"], s["token_end"], s["confidence"]) for s in human["spans"]] == [(0, 1, 1.0)]
    with pytest.raises(GoldSetError, match="does not fall on token boundaries"):
        chunk_table(model, block, {2: [(0, 5, "Chemical")]}, space=SPACE, lf_names=[*LF_IDS, "__doc__"],
                    rule_version="r1")


def test_an_empty_chunk_gives_an_empty_table():
    docs, votes = _votes()
    model = SpanMajorityVote().fit(votes)
    empty = np.empty((0, 4), dtype=object)
    assert chunk_table(model, empty, {}, space=SPACE, lf_names=[*LF_IDS, "__doc__"], rule_version="r").num_rows == 0
    assert Span(0, 1, "Chemical") in votes.lf_spans(0, 0)
