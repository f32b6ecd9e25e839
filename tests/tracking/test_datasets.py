"""The labels and the input as MLflow datasets: read in every output format, whole when small, described when large."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import weaksup.tracking.datasets as datasets
from weaksup.tracking.datasets import input_dataset, labels_dataset, read_labels

pytestmark = pytest.mark.mlflow


@pytest.fixture
def labels():
    return pd.DataFrame({"row_id": ["007", "008", "009"], "label": ["spam", None, "ham"],
                         "prob_spam": [0.9, 0.5, 0.2], "n_votes": [2, 0, 1]})


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_read_labels_in_every_output_format_keeps_row_ids_as_text(labels, tmp_path, suffix):
    path = tmp_path / f"labels{suffix}"
    if suffix == ".parquet":
        labels.to_parquet(path)
    elif suffix == ".csv":
        labels.to_csv(path, index=False)
    else:
        labels.to_json(path, orient="records", lines=True)
    whole = read_labels(path)
    assert whole["row_id"].tolist() == ["007", "008", "009"] and whole["label"].isna().tolist() == [False, True, False]
    assert read_labels(path, rows=2)["row_id"].tolist() == ["007", "008"]


def test_small_labels_are_a_whole_dataset_and_large_ones_metadata_with_their_schema(labels, tmp_path, monkeypatch):
    path = tmp_path / "labels.parquet"
    labels.to_parquet(path)
    dataset, small = labels_dataset(path, tmp_path / "published.parquet", task="t", digest="abc123")
    assert small and dataset.name == "labels:t" and dataset.digest == "abc123"
    assert dataset.profile["num_rows"] == 3
    assert json.loads(dataset.source.to_json())["uri"].endswith("published.parquet")
    monkeypatch.setattr(datasets, "LABELS_ARTIFACT_BYTES", 10)  # (a 10-byte threshold: every file is large)
    dataset, small = labels_dataset(path, tmp_path / "published.parquet", task="t", digest="abc123")
    assert not small and dataset.digest == "abc123" and dataset.profile == {"bytes": path.stat().st_size}
    assert dataset.schema.input_names() == ["row_id", "label", "prob_spam", "n_votes"]
    assert json.loads(dataset.to_dict()["profile"]) == {"bytes": path.stat().st_size}


def test_the_input_dataset_is_metadata_only(tmp_path):
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for f in files:
        f.write_text("row_id,text\n1,x\n")
    dataset = input_dataset(files, task="t", digest="d" * 16, rows=2)
    assert dataset.name == "input:t" and dataset.digest == "d" * 16
    assert json.loads(dataset.source.to_json())["uri"] == str(tmp_path.resolve())
    assert dataset.profile == {"num_rows": 2, "files": 2, "bytes": 2 * len("row_id,text\n1,x\n")}
