"""The shipped span example: BC5CDR documents, the dev/test span gold set, its span LFs and its config."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.config import load_config
from weaksup.registry import Registry
from weaksup.spans import SpanDoc, SpanMajorityVote, SpanWorkbench, is_span_lf, span_metrics
from weaksup.spans.gold import load_span_gold, token_spans

TYPES = ["Chemical", "Disease"]


@pytest.fixture(scope="module")
def example():
    frame = pd.read_csv(REPO / "data" / "bc5cdr" / "documents.csv", dtype=str, keep_default_na=False)
    gold = load_span_gold(REPO / "gold_sets" / "bc5cdr", types=TYPES)
    return frame, gold


def test_documents_and_gold_set(example):
    frame, gold = example
    assert list(frame.columns) == ["row_id", "text"] and frame["row_id"].is_unique
    assert frame["row_id"].str.split("-").str[0].value_counts().to_dict() == {"train": 500, "dev": 500, "test": 500}
    assert gold.counts() == {"dev": 249, "test": 500}
    # the dev gold is the 'select' part only: the 'write' part, whose gold the term lists come from, is left out
    assert all(hashlib.sha256(r.encode()).digest()[0] >= 128 for r in gold.frame["row_id"] if r.startswith("dev-"))
    texts = dict(zip(frame["row_id"], frame["text"]))
    n_spans = 0
    for row in gold.frame.itertuples(index=False):
        assert row.row_id.startswith(f"{row.split}-")  # dev gold is the release's valid split, test its test split
        doc = SpanDoc.from_text(texts[row.row_id])  # the whitespace tokenizer gives back the corpus' tokens
        n_spans += len(token_spans(doc, row.spans, row_id=row.row_id))  # every span on token boundaries
    assert n_spans > 14_000
    assert (REPO / "data" / "bc5cdr" / "SOURCE.md").read_text().count("BC5CDR") >= 1


@pytest.fixture(scope="module")
def dev(example):
    frame, gold = example
    texts = dict(zip(frame["row_id"], frame["text"]))
    rows = gold.frame[gold.frame["split"] == "dev"]
    docs = [SpanDoc.from_text(texts[r]) for r in rows["row_id"]]
    spans = [token_spans(d, s, row_id=r) for d, s, r in zip(docs, rows["spans"], rows["row_id"])]
    return docs, spans, rows["row_id"].tolist()


@pytest.mark.slow
def test_example_lfs_load_and_tag_the_dev_documents(dev):
    from labeling_functions.bc5cdr import LFS, SPACE

    registry = Registry.from_modules("labeling_functions.bc5cdr")
    assert registry.lfs == LFS and len(LFS) >= 8 and all(is_span_lf(lf) and lf.cacheable for lf in LFS)
    assert {lf.kind for lf in LFS} >= {"gazetteer", "span_regex", "token_pattern", "span_generic"}
    docs, gold, row_ids = dev
    wb = SpanWorkbench(docs, SPACE, row_ids=row_ids, gold=gold, lfs=LFS)
    summary = wb.summary().set_index("lf")
    assert (summary["docs_covered"] > 0).all() and (summary["spans"] >= 20).all()
    assert (summary["precision"] > 0.6).all()  # on the dev rows they were not written on
    votes, dev_gold = wb.dev_votes()
    pred = SpanMajorityVote().fit(votes).predict(votes)
    scores = span_metrics(dev_gold, pred, types=SPACE)
    assert scores["f1"] > 0.7 and scores["n_gold"] == sum(map(len, gold))


def test_config_is_a_spans_task():
    config = load_config(REPO / "configs" / "bc5cdr.toml")
    assert config.task.type == "spans" and list(config.task.labels) == TYPES
    assert config.task.tokenizer == "whitespace" and config.lfs.modules == ["labeling_functions.bc5cdr"]
