"""The span dataset loader: a hand-written folder (always) and the shared WRENCH/CHMM span sets (when present)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from weaksup.datasets.spans import find_span_folders, is_span_folder, load_span_split, span_lf_names, span_splits
from weaksup.errors import DataError, DatasetError, LabelSpaceError, ParameterError, UnknownLFError
from weaksup.spans.doc import Span

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "spans"

META = {"lf": ["dict", "suffix", "link"], "entity_types": ["Chemical", "Disease"], "lf_rec": ["link", "dict"]}
DOCS = {
    "0": {"data": {"text": ["Cisplatin", "causes", "renal", "failure", "."]},
          "label": [[0, 1, "Chemical"], [2, 4, "Disease"]],
          "weak_labels": [[[0, 1, "Chemical"], [3, 4, "Disease"]], [[2, 4, "Disease"]], []]},
    "1": {"data": {"text": ["No", "effect"]}, "label": [], "weak_labels": [[], [], [[0, 2, "Disease"]]]},
    "7": {"data": {"text": []}, "label": [], "weak_labels": [[], [], []]},
}


def _folder(tmp_path: Path, docs=None, meta=None, split="valid") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "meta.json").write_text(json.dumps(META if meta is None else meta))
    (tmp_path / f"{split}.json").write_text(json.dumps(DOCS if docs is None else docs))
    return tmp_path


def test_a_hand_written_folder_loads(tmp_path):
    folder = _folder(tmp_path)
    assert span_splits(folder) == ["valid"] and is_span_folder(folder)
    part = load_span_split(folder, "valid")
    assert part.n_docs == 3 and part.row_ids == ["valid-0", "valid-1", "valid-7"]
    assert part.docs[0].text == "Cisplatin causes renal failure ." and part.docs[2].n_tokens == 0
    assert part.gold == [[Span(0, 1, "Chemical"), Span(2, 4, "Disease")], [], []]
    assert part.votes.lf_ids == ["dict", "suffix", "link"] and part.votes.row_ids == part.row_ids
    assert part.votes.lf_spans(0, "suffix") == [Span(2, 4, "Disease")]
    assert part.votes.n_tokens.tolist() == [5, 2, 0]
    assert part.votes.token_votes().values[:, 0].tolist() == [1, -1, -1, 3, -1, -1, -1]
    assert part.space.types == ("Chemical", "Disease")


def test_lf_subsets(tmp_path):
    folder = _folder(tmp_path)
    rec = load_span_split(folder, "valid", lfs="rec")
    assert rec.votes.lf_ids == ["link", "dict"] and rec.votes.lf_spans(1, "link") == [Span(0, 2, "Disease")]
    assert len(rec.votes.spans) == 3
    assert load_span_split(folder, "valid", lfs=["suffix"]).votes.m == 1
    assert span_lf_names(folder, "rec") == ["link", "dict"]
    with pytest.raises(UnknownLFError, match="nope"):
        load_span_split(folder, "valid", lfs=["nope"])
    with pytest.raises(ParameterError):
        load_span_split(folder, "valid", lfs="best")
    io = load_span_split(folder, "valid", scheme="IO")
    assert io.votes.token_votes().values[:, 1].tolist() == [-1, -1, 2, 2, -1, -1, -1]


def test_bad_folders(tmp_path):
    with pytest.raises(DatasetError, match="no test.json.*'valid'"):
        load_span_split(_folder(tmp_path), "test")
    with pytest.raises(ParameterError):
        load_span_split(tmp_path, "dev")
    bad = json.loads(json.dumps(DOCS))
    bad["1"]["weak_labels"][2] = [[0, 3, "Disease"]]
    with pytest.raises(DataError, match=r"'link'.*'valid-1'.*2 tokens"):
        load_span_split(_folder(tmp_path, bad), "valid")
    bad = json.loads(json.dumps(DOCS))
    bad["0"]["label"].append([0, 1, "Gene"])
    with pytest.raises(LabelSpaceError, match="Gene"):
        load_span_split(_folder(tmp_path, bad), "valid")
    bad = json.loads(json.dumps(DOCS))
    bad["0"]["weak_labels"] = bad["0"]["weak_labels"][:2]
    with pytest.raises(DatasetError, match="one span list per LF"):
        load_span_split(_folder(tmp_path, bad), "valid")
    (tmp_path / "valid.json").write_text("{")
    with pytest.raises(DatasetError, match="invalid JSON"):
        load_span_split(tmp_path, "valid")


def test_unnamed_lfs_from_num_lf(tmp_path):
    meta = {"num_lf": 3, "entity_types": ["Chemical", "Disease"]}
    part = load_span_split(_folder(tmp_path, meta=meta), "valid")
    assert part.votes.lf_ids == ["lf0", "lf1", "lf2"] and part.votes.lf_spans(0, "lf1") == [Span(2, 4, "Disease")]
    with pytest.raises(DatasetError, match="num_lf"):
        load_span_split(_folder(tmp_path, meta={"entity_types": ["Chemical"]}), "valid")


def test_find_span_folders(tmp_path):
    for name in ("a", "b/c"):
        _folder(tmp_path / name)
    (tmp_path / "empty").mkdir()
    assert find_span_folders(tmp_path) == [tmp_path / "a", tmp_path / "b" / "c"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/spans")
@pytest.mark.parametrize("name,n_docs,m,types", [("bc5cdr", 500, 30, ("Chemical", "Disease")),
                                                   ("ncbi_disease", 99, 17, ("Disease",)),
                                                   ("laptop_review", 800, 16, ("TERM",))])
def test_the_shared_sets(name, n_docs, m, types):
    folder = SHARED / name
    assert span_splits(folder) == ["train", "valid", "test"]
    part = load_span_split(folder, "test")
    assert part.n_docs == n_docs and part.votes.m == m and part.space.types == types
    assert sum(map(len, part.gold)) > n_docs / 2  # entities in many documents
    assert part.votes.token_votes().values.shape == (int(part.votes.n_tokens.sum()), m)
    assert (part.votes.token_votes().values >= 0).any(axis=0).sum() >= 3  # several LFs fire
    rec = load_span_split(folder, "test", lfs="rec")
    assert rec.votes.m == {"bc5cdr": 9, "ncbi_disease": 5, "laptop_review": 3}[name]
    ncbi_first = part.gold[0][0]
    if name == "ncbi_disease":  # SOURCE.md: test document 0 starts with "copper toxicosis" at tokens [4, 6)
        assert ncbi_first == Span(4, 6, "Disease")
        assert part.docs[0].text[slice(*part.docs[0].char_span(ncbi_first))] == "copper toxicosis"
    assert np.all(np.diff(part.votes.doc_offsets) == part.votes.n_tokens)


def _as_wrench_tags(docs: dict, types) -> dict:
    """The same documents in WRENCH's own format: one BIO tag per token, one tag per token and LF."""
    from weaksup.spans.space import SpanSpace
    from weaksup.spans.tags import tags_from_spans

    space = SpanSpace(types)
    out = {}
    for key, item in docs.items():
        n = len(item["data"]["text"])
        gold = [space.tags[t] for t in tags_from_spans([Span(*s) for s in item["label"]], n, space).tolist()]
        per_lf = [[space.tags[t] for t in tags_from_spans([Span(*s) for s in lf], n, space).tolist()]
                  for lf in item["weak_labels"]]
        out[key] = {"data": item["data"], "label": gold, "weak_labels": [list(x) for x in zip(*per_lf)]}
    return out


def test_wrench_tag_format_loads_the_same(tmp_path):
    spans = load_span_split(_folder(tmp_path / "spans"), "valid", lfs="rec")
    tags = load_span_split(_folder(tmp_path / "tags", _as_wrench_tags(DOCS, META["entity_types"])), "valid",
                           lfs="rec")
    assert tags.gold == spans.gold and tags.votes == spans.votes and tags.row_ids == spans.row_ids
    bad = _as_wrench_tags(DOCS, META["entity_types"])
    bad["1"]["weak_labels"][0][2] = "B-Gene"
    with pytest.raises(LabelSpaceError, match="B-Gene"):
        load_span_split(_folder(tmp_path / "bad", bad), "valid")
    bad["1"]["weak_labels"][0] = ["O", "O"]
    with pytest.raises(DatasetError, match="one tag per token"):
        load_span_split(_folder(tmp_path / "bad", bad), "valid")
    mixed = dict(_as_wrench_tags(DOCS, META["entity_types"]))
    mixed["9"] = DOCS["0"]
    with pytest.raises(DatasetError, match="one format"):
        load_span_split(_folder(tmp_path / "mixed", mixed), "valid")


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/spans")
def test_a_shared_set_in_wrench_tags_loads_the_same(tmp_path):
    folder = SHARED / "ncbi_disease"
    meta = json.loads((folder / "meta.json").read_text())
    docs = json.loads((folder / "test.json").read_text())
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    (tmp_path / "test.json").write_text(json.dumps(_as_wrench_tags(docs, meta["entity_types"])))
    a, b = load_span_split(folder, "test"), load_span_split(tmp_path, "test")
    assert a.gold == b.gold and a.votes == b.votes
