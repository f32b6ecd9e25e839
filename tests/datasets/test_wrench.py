"""WRENCH-format loading (weaksup.datasets.wrench): the shared benchmark folders and ``.npz`` files, and errors
that name file and key."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from weaksup.datasets import find_datasets, load_wrench
from weaksup.errors import DatasetError
from weaksup.labels import LabelSpace


def shared(name: str):
    if not (SHARED_DATA / name).exists():
        pytest.skip(f"shared data {name!r} not found under {SHARED_DATA} (set WEAKSUP_SHARED_DATA)")
    return SHARED_DATA / name


def write_split(folder, split: str, rows: dict) -> None:
    (folder / f"{split}.json").write_text(json.dumps(rows))


@pytest.fixture
def tiny(tmp_path):
    """A two-class WRENCH folder with train and test (no valid)."""
    (tmp_path / "label.json").write_text(json.dumps({"0": "ham", "1": "spam"}))
    write_split(tmp_path, "train", {"0": {"label": 1, "weak_labels": [1, -1], "data": {"text": "buy"}},
                                    "1": {"label": 0, "weak_labels": [-1, 0], "data": {"text": "hi"}}})
    write_split(tmp_path, "test", {"7": {"label": 0, "weak_labels": [0, 0], "data": {"text": "yo"}}})
    return tmp_path


def test_reads_the_shared_youtube_folder():
    ds = load_wrench(shared("youtube"))
    assert ds.name == "youtube" and ds.label_space == LabelSpace(["HAM", "SPAM"]) and ds.metric == "acc"
    assert {s: len(split.y) for s, split in ds.splits.items()} == {"train": 1686, "valid": 120, "test": 250}
    test = ds.splits["test"]
    assert test.votes.shape == (250, 10) and test.votes.values.dtype == np.int8
    assert test.votes.row_ids[:3].tolist() == ["0", "1", "2"] and test.data.index[0] == "0"
    assert test.data.loc["0", "text"].startswith("Check out this video")
    assert test.votes.label_space == ds.label_space and set(np.unique(test.y)) == {0, 1}


def test_reads_npz_vote_files_and_marks_f1_sets():
    ds = load_wrench(shared("basketball"))
    assert ds.metric == "f1" and ds.label_space.cardinality == 2
    assert {s: split.votes.shape for s, split in ds.splits.items()} == {
        "train": (17970, 4), "valid": (1064, 4), "test": (1222, 4)}
    assert load_wrench(shared("domainnet")).label_space.cardinality == 5
    chemprot = load_wrench(shared("chemprot"))
    assert set(chemprot.splits) == {"valid", "test"}  # a missing split is simply absent


def test_finds_every_dataset_folder():
    names = [p.name for p in find_datasets(shared("youtube").parent)]
    assert {"youtube", "sms", "trec", "chemprot", "imdb", "yelp", "basketball", "domainnet", "hausa"} <= set(names)
    assert "youtube_uci" not in names and "tennis_flyingsquid" not in names


def test_small_folder_any_split_missing_and_metric_mark(tiny):
    ds = load_wrench(tiny)
    assert set(ds.splits) == {"train", "test"} and ds.metric == "acc"
    assert ds.splits["train"].votes.values.tolist() == [[1, -1], [-1, 0]]
    assert ds.splits["test"].votes.row_ids.tolist() == ["7"] and ds.splits["train"].y.tolist() == [1, 0]
    (tiny / "label.json").write_text(json.dumps({"0": "ham", "1": "spam", "metric": "f1"}))
    assert load_wrench(tiny).metric == "f1" and load_wrench(tiny).label_space.names == ("ham", "spam")


@pytest.mark.parametrize("content, message", [
    ("{not json", r"label.json:1: invalid JSON"),
    ('{"0": "a", "2": "b"}', r"label.json: keys must be the class ids 0..1; missing \['1'\]"),
    ('{"0": "a", "1": "a"}', r"label.json: class name 'a' appears twice"),
    ('{"0": "a", "1": "b", "2": "c", "metric": "f1"}', r"label.json: key 'metric' is 'f1'; use 'acc', or 'f1' for two"),
])
def test_bad_label_file_names_file_and_key(tiny, content, message):
    (tiny / "label.json").write_text(content)
    with pytest.raises(DatasetError, match=message):
        load_wrench(tiny)


@pytest.mark.parametrize("entry, message", [
    ({"label": 0, "data": {}}, r"train.json: entry '5' has no 'weak_labels' key"),
    ({"weak_labels": [0, 0]}, r"train.json: entry '5' has no 'label' key"),
    ({"label": 0, "weak_labels": [0]}, r"train.json: entry '5' has 1 weak labels, earlier entries 2"),
    ({"label": 0, "weak_labels": [0, "x"]}, r"train.json: entry '5': 'weak_labels' must be a list of ints"),
    ({"label": 4, "weak_labels": [0, 0]}, r"train.json: entry '5': label 4 is not a class id"),
    ({"label": 0, "weak_labels": [0, 3]}, r"train.json: entry '5': weak label 3 \(LF 1\) is outside"),
])
def test_bad_split_entries_name_file_entry_and_key(tiny, entry, message):
    write_split(tiny, "train", {"4": {"label": 0, "weak_labels": [0, 0]}, "5": entry})
    with pytest.raises(DatasetError, match=message):
        load_wrench(tiny)


def test_bad_npz_files_name_file_and_key(tmp_path):
    good = {"L_train": np.array([[0, -1], [1, 1]]), "y_train": np.array([0, 1])}
    cases = {
        "nokeys.npz": ({"votes": np.zeros((2, 2), dtype=int)}, r"nokeys.npz: no 'L_train'/'L_valid'/'L_test'"),
        "noy.npz": ({"L_test": good["L_train"]}, r"noy.npz: has 'L_test' but no 'y_test'"),
        "float.npz": ({**good, "L_train": good["L_train"] * 0.5}, r"float.npz: key 'L_train' must hold integer"),
        "short.npz": ({**good, "y_train": np.array([0])}, r"short.npz: key 'L_train' has shape \(2, 2\) and 'y_train'"),
        "width.npz": ({**good, "L_test": np.zeros((1, 3), dtype=int), "y_test": np.array([0])},
                      r"width.npz: the vote arrays have different numbers of LF columns"),
    }
    for name, (arrays, message) in cases.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(DatasetError, match=message):
            load_wrench(tmp_path / name)
    np.savez(tmp_path / "ok_votes.npz", **good)
    assert load_wrench(tmp_path / "ok_votes.npz").name == "ok"
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="broken.npz: cannot read"):
        load_wrench(tmp_path / "broken.npz")
    with pytest.raises(DatasetError, match="does not exist"):
        load_wrench(tmp_path / "absent")
