"""The multi-label loaders on the real shared data (skipped when ../shared/data is absent) and on small files."""

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA as SHARED
from weaksup.datasets.multilabel import goemotions_part, load_goemotions, load_span_multilabel
from weaksup.errors import DatasetError

needs_goemotions = pytest.mark.skipif(not (SHARED / "goemotions" / "dev.tsv").exists(), reason="no shared GoEmotions")
needs_bc5cdr = pytest.mark.skipif(not (SHARED / "spans" / "bc5cdr" / "valid.json").exists(), reason="no shared BC5CDR")


@needs_goemotions
def test_goemotions_counts_and_parts():
    ds = load_goemotions(SHARED / "goemotions")
    assert ds.space.k == 28 and ds.space.labels[0] == "admiration" and ds.space.none_label == "neutral"
    dev, test = ds.splits["dev"], ds.splits["test"]
    assert dev.Y.shape == (5426, 28) and test.Y.shape == (5427, 28)
    assert int(dev.Y.sum()) == 6380 and int(test.Y.sum()) == 6329  # SOURCE.md's label assignments
    assert int(dev.Y[:, ds.space.index("neutral")].sum()) == 1766
    assert dev.frame["part"].value_counts().to_dict() == {"select": 2770, "write": 2656}  # the contract's rule
    assert dev.frame.loc[0, "row_id"] == "edgurhb" and dev.Y[1].nonzero()[0].tolist() == [4, 27]


def test_goemotions_part_rule():
    import hashlib

    for row_id in ["edgurhb", "ee84bjg", "x"]:
        assert (goemotions_part(row_id) == "write") == (hashlib.sha256(row_id.encode()).digest()[0] < 128)


def _span_folder(tmp_path):
    meta = {"lf": ["dict_chem", "dict_dis", "mixed"], "entity_types": ["Chemical", "Disease"]}
    doc = {"data": {"text": ["Aspirin", "caused", "rash", ".", "No", "drug", "here", "."]},
           "label": [[0, 1, "Chemical"], [2, 3, "Disease"]],
           "weak_labels": [[[0, 1, "Chemical"]], [], [[2, 3, "Chemical"], [5, 6, "Disease"]]]}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    for split in ("train", "valid", "test"):
        (tmp_path / f"{split}.json").write_text(json.dumps({"0": doc}))
    return tmp_path


def test_span_votes_from_spans(tmp_path):
    ds = load_span_multilabel(_span_folder(tmp_path))
    dev = ds.splits["dev"]
    assert dev.frame["row_id"].tolist() == ["0:0", "0:1"] and dev.frame.loc[0, "text"] == "Aspirin caused rash ."
    assert dev.Y.astype(int).tolist() == [[1, 1], [0, 0]]
    v = dev.votes.values
    # dict_chem: yes to Chemical in sentence 0; silent in sentence 1 -> abstain; never tags Disease -> abstain
    assert v[:, 0].tolist() == [[1, -1], [-1, -1]]
    # dict_dis never fires: abstains everywhere
    assert (v[:, 1] == -1).all()
    # mixed tags both types somewhere: sentence 0 it tags only Chemical -> no to Disease; sentence 1 the reverse
    assert v[:, 2].tolist() == [[1, 0], [0, 1]]
    silent = load_span_multilabel(tmp_path, no_votes="silent").splits["dev"].votes.values
    assert silent[1, 0].tolist() == [0, -1]  # a silent Chemical tagger says no to Chemical
    whole = load_span_multilabel(tmp_path, unit="document").splits["test"]
    assert whole.Y.astype(int).tolist() == [[1, 1]] and whole.votes.values[0, 2].tolist() == [1, 1]


def test_span_loader_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_span_multilabel(tmp_path)
    folder = _span_folder(tmp_path)
    with pytest.raises(DatasetError, match="unit must be"):
        load_span_multilabel(folder, unit="paragraph")
    (folder / "test.json").write_text(json.dumps({"0": {"data": {"text": []}, "label": [], "weak_labels": [[]]}}))
    with pytest.raises(DatasetError, match="spans of 1 LFs; meta.json lists 3"):
        load_span_multilabel(folder)


@needs_bc5cdr
def test_bc5cdr_sentences():
    ds = load_span_multilabel(SHARED / "spans" / "bc5cdr", splits=("valid",))
    dev = ds.splits["dev"]
    assert dev.votes.n == 4647 and dev.votes.m == 30 and ds.space.labels == ("Chemical", "Disease")
    sizes = dev.Y.sum(axis=1)
    assert (sizes == 0).sum() == 817 and (sizes == 2).sum() == 1917  # sentence-level: a real multi-label task
    assert (dev.votes.values == 0).any() and (dev.votes.values == 1).mean() > 0.02
    assert np.isin(dev.votes.values, (-1, 0, 1)).all()
