"""The shipped example: its package data behind one seam, the gold split rule, and the demo command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import weaksup
from weaksup.datasets import EXAMPLES, get_example, load_youtube_spam, youtube_split
from weaksup.errors import DatasetError
from weaksup.gold import load_gold
from weaksup.registry import Registry

PACKAGE = Path(weaksup.__file__).resolve().parent


@pytest.fixture(scope="module")
def example():
    return get_example("youtube_spam")


def test_all_rows_with_unique_ids(youtube):
    assert len(youtube) == 1956 and youtube["row_id"].is_unique
    assert youtube["row_id"].str.endswith("#2").sum() == 3
    assert set(youtube["label"]) == {"ham", "spam"}


def test_gold_file_follows_the_split_rule(youtube, example):
    gold = pd.read_csv(example.gold_dir / "labels.csv")
    by_id = youtube.set_index("row_id")
    assert set(gold["split"]) == {"dev", "test"}
    base_ids = gold["row_id"].str.replace(r"#\d+$", "", regex=True)
    assert (base_ids.map(youtube_split) == gold["split"]).all()
    assert (by_id.loc[gold["row_id"], "label"].to_numpy() == gold["label"].to_numpy()).all()
    expected = youtube[youtube["split"] != "unlabeled"]
    assert sorted(gold["row_id"]) == sorted(expected["row_id"])


def test_every_file_of_the_example_is_package_data(example):
    paths = [*example.files, example.gold_dir, example.root / "data" / "SOURCE.md"]
    assert all(p.exists() and p.resolve().is_relative_to(PACKAGE) for p in paths)
    assert [p.name for p in example.files] == sorted(p.name for p in example.data_dir.glob("*.csv"))
    gold = load_gold(example.gold_dir, label_space=example.label_space)
    assert gold.task == example.name and gold.counts() == {"dev": 286, "test": 290}


def test_load_and_chunks_give_the_same_rows(example):
    rows = example.load()
    pd.testing.assert_frame_equal(rows, load_youtube_spam())
    assert {example.id_column, example.text_column} <= set(rows.columns)
    chunks = list(example.iter_chunks(chunk_rows=500, columns=["row_id", "text", "no_such_column"]))
    assert [len(c) for c in chunks] == [500, 500, 500, 456]
    pd.testing.assert_frame_equal(pd.concat(chunks), rows[["row_id", "text"]])
    assert "label" not in rows and "label" in example.load(with_labels=True)


def test_lf_module_is_importable_and_the_repo_name_re_exports_it(example):
    packaged = Registry.from_modules(example.lfs_module)
    assert packaged.label_space == example.label_space and len(packaged) == 28  # 16 written on dev, 12 from the unlabeled rows
    in_repo = Registry.from_modules("labeling_functions.youtube_spam")
    assert [lf.lf_id for lf in in_repo.lfs] == [lf.lf_id for lf in packaged.lfs]


def test_unknown_example_names_the_choices():
    assert sorted(EXAMPLES) == ["youtube_spam"]
    with pytest.raises(DatasetError, match=r"'imdb' is not a shipped example; choose one of \['youtube_spam'\]"):
        get_example("imdb")


@pytest.mark.slow
@pytest.mark.mlflow
def test_demo_command_prints_the_lf_summary(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}  # the store goes to ./mlflow.db
    out = subprocess.run([sys.executable, "-m", "weaksup", "demo"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "kw_subscribe" in out.stdout and "Emp. Acc." in out.stdout and "Coverage" in out.stdout
    assert (tmp_path / "reports" / "youtube_spam.html").exists()  # written where it runs, not into the checkout


def test_the_shipped_lfs_abstain_on_rows_without_text(youtube, youtube_registry):
    from weaksup.apply import apply_lfs

    rows = youtube.head(3).assign(text=[None, "", "check out my new video"])
    votes = apply_lfs(youtube_registry.lfs, rows)  # not fault-tolerant: an LF that fails on None raises
    assert (votes.values[:2] == -1).all() and (votes.values[2] != -1).any()
    assert not any(votes.faults.values())
