"""The shipped example: the data, the gold split rule, and the demo command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from tests.conftest import REPO
from weaksup.examples import youtube_split


def test_all_rows_with_unique_ids(youtube):
    assert len(youtube) == 1956 and youtube["row_id"].is_unique
    assert youtube["row_id"].str.endswith("#2").sum() == 3
    assert set(youtube["label"]) == {"ham", "spam"}


def test_gold_file_follows_the_split_rule(youtube):
    gold = pd.read_csv(REPO / "gold_sets" / "youtube_spam" / "labels.csv")
    by_id = youtube.set_index("row_id")
    assert set(gold["split"]) == {"dev", "test"}
    base_ids = gold["row_id"].str.replace(r"#\d+$", "", regex=True)
    assert (base_ids.map(youtube_split) == gold["split"]).all()
    assert (by_id.loc[gold["row_id"], "label"].to_numpy() == gold["label"].to_numpy()).all()
    expected = youtube[youtube["split"] != "unlabeled"]
    assert sorted(gold["row_id"]) == sorted(expected["row_id"])


def test_demo_command_prints_the_lf_summary():
    out = subprocess.run([sys.executable, "-m", "weaksup", "demo"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "kw_subscribe" in out.stdout and "Emp. Acc." in out.stdout and "Coverage" in out.stdout
