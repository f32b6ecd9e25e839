"""WRENCH-format loading (weaksup.datasets.wrench): the shared benchmark folders and ``.npz`` files, and errors
that name file and key."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from weaksup.datasets import find_datasets, is_dataset_folder, load_wrench
from weaksup.datasets.wrench import Roles, Split
from weaksup.errors import DatasetError, ParameterError
from weaksup.labels import LabelSpace
from weaksup.votes import VoteMatrix


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
    assert "youtube_uci" not in names and "spans" not in names and "tennis_flyingsquid" in names


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


# -- transductive folders: which split is fitted, which gives dev gold, which is scored ---------------------------
def test_a_test_only_folder_is_fitted_transductively(tmp_path):
    source = shared("youtube")
    for name in ("label.json", "test.json"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    ds = load_wrench(tmp_path)
    assert set(ds.splits) == {"test"} and ds.splits["test"].votes.shape == (250, 10)
    assert ds.roles() == Roles(fit="test", dev=None, evaluation="test") and ds.roles().transductive


def test_a_folder_without_label_json_names_classes_by_id(tmp_path):
    write_split(tmp_path, "test", {"0": {"label": 2, "weak_labels": [0, -1]}, "1": {"label": 0, "weak_labels": [1, 1]}})
    assert is_dataset_folder(tmp_path) and not is_dataset_folder(tmp_path / "absent")
    ds = load_wrench(tmp_path)
    assert ds.label_space.names == ("0", "1", "2") and ds.metric == "acc"
    assert ds.splits["test"].y.tolist() == [2, 0] and ds.roles().transductive
    write_split(tmp_path, "test", {"0": {"label": 0, "weak_labels": [-1, 0]}})
    assert load_wrench(tmp_path).label_space.cardinality == 2  # at least two classes


def test_roles_of_the_shared_layouts():
    assert load_wrench(shared("youtube")).roles() == Roles("train", "valid", "test")
    roles = load_wrench(shared("chemprot")).roles()  # no train split: fitted on the valid votes, not test's
    assert roles == Roles("valid", "valid", "test") and not roles.transductive


def test_roles_need_a_split_with_gold(tiny):
    ds = load_wrench(tiny)
    ds.splits["test"].y[:] = -1
    assert ds.splits["train"].has_gold  # train is never scored
    with pytest.raises(DatasetError, match=r"dataset '.*': no test or valid split with gold labels .*'train'"):
        ds.roles()


def test_reads_the_flyingsquid_tennis_folder():
    ds = load_wrench(shared("tennis_flyingsquid"))
    assert {s: split.votes.shape for s, split in ds.splits.items()} == {"train": (6959, 6), "valid": (746, 6)}
    assert ds.metric == "f1" and ds.label_space.names == ("-1", "+1")  # WRENCH's tennis is scored by F1
    assert not ds.splits["train"].has_gold and (ds.splits["train"].y == -1).all()
    assert np.bincount(ds.splits["valid"].y).tolist() == [437, 309]  # FlyingSquid's -1/+1 labels
    assert ds.roles() == Roles("train", None, "valid")  # no test split: the labeled dev split is scored
    raw = np.load(shared("tennis_flyingsquid") / "L_dev_video.npy")
    assert ((ds.splits["valid"].votes.values == -1) == (raw == 0)).all()  # 0 abstains


def test_flyingsquid_convention_and_errors(tmp_path):
    np.save(tmp_path / "L_train_x.npy", np.array([[1.0, 0.0], [-1.0, 1.0]]))
    np.save(tmp_path / "L_dev_x.npy", np.array([[0, -1], [1, 1], [-1, 0]]))
    np.save(tmp_path / "Y_dev_x.npy", np.array([-1, 1, -1]))
    ds = load_wrench(tmp_path)
    assert ds.splits["train"].votes.values.tolist() == [[1, -1], [0, 1]]
    assert ds.splits["valid"].votes.values.tolist() == [[-1, 0], [1, 1], [0, -1]]
    assert ds.splits["valid"].y.tolist() == [0, 1, 0] and ds.splits["train"].y.tolist() == [-1, -1]
    assert [p.name for p in find_datasets(tmp_path.parent) if p == tmp_path] == [tmp_path.name]
    np.save(tmp_path / "Y_dev_x.npy", np.array([0, 1, 2]))
    with pytest.raises(DatasetError, match=r"Y_dev_x.npy: FlyingSquid arrays hold \[-1, 1\].*found \[0, 2\]"):
        load_wrench(tmp_path)
    np.save(tmp_path / "Y_dev_x.npy", np.array([1, 1]))
    with pytest.raises(DatasetError, match=r"Y_dev_x.npy: 2 labels for the \(3, 2\) votes"):
        load_wrench(tmp_path)
    np.save(tmp_path / "L_test_x.npy", np.array([[1, 1, 1]]))
    np.save(tmp_path / "Y_dev_x.npy", np.array([1, 1, 1]))
    with pytest.raises(DatasetError, match=r"L_test_x.npy: votes of shape \(1, 3\); expected .* same LFs"):
        load_wrench(tmp_path)


# -- dev subsamples for the learning curve ------------------------------------------------------------------------
def _split(y):
    y = np.asarray(y)
    return Split(VoteMatrix(np.zeros((len(y), 1), dtype=int), row_ids=np.arange(len(y))), y)


def test_sample_is_stratified_seeded_and_deterministic():
    split = _split([0] * 60 + [1] * 30 + [2] * 9 + [-1] * 5)
    small = split.sample(10, seed=3)
    assert np.bincount(small.y).tolist() == [6, 3, 1]  # shares of 60/30/9, every class present
    assert small.votes.row_ids.tolist() == split.sample(10, seed=3).votes.row_ids.tolist()  # deterministic
    assert small.votes.row_ids.tolist() != split.sample(10, seed=4).votes.row_ids.tolist()
    assert sorted(small.votes.row_ids.tolist()) == small.votes.row_ids.tolist()  # the split's order
    assert np.bincount(split.sample(3, seed=0).y).tolist() == [1, 1, 1]  # a rare class still gets a row
    assert len(split.sample(2, seed=0).y) == 2  # fewer rows than classes: plain random draw
    everything = split.sample(1000)
    assert len(everything.y) == 99 and (everything.y != -1).all()  # rows without gold are never drawn


def test_sample_keeps_records_aligned():
    ds = load_wrench(shared("youtube"))
    valid = ds.splits["valid"]
    part = valid.sample(20, seed=0)
    assert len(part.y) == 20 and len(part.data) == 20 and len(set(part.y.tolist())) == 2
    assert part.data.index.tolist() == part.votes.row_ids.tolist()
    rows = [valid.votes.row_ids.tolist().index(r) for r in part.votes.row_ids]
    assert (valid.y[rows] == part.y).all() and (valid.votes.values[rows] == part.votes.values).all()


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_sample_refuses_a_bad_size(size):
    with pytest.raises(ParameterError, match="sample size must be a positive number of rows"):
        _split([0, 1]).sample(size)
