"""A multi-label run's review export holds one task per distinct text (with the fields shown), as the classification
queue does (:func:`weaksup.review.repeats.distinct_rows`): rows repeating a text, or a gold row's text, do not take
the budget."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.multilabel.ml_project import make_ml_project
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.multilabel.review import export_multilabel_review
from weaksup.pipeline import run


def _needs_review(folder):
    """The run's rows needing review, with their text."""
    labels = pd.read_parquet(folder / "out" / "labels.parquet")
    data = pd.read_csv(folder / "tickets.csv", dtype=str)
    return labels[labels["review_status"] == "needs_review"].merge(data, on="row_id")


def _export(capsys, *args):
    with pytest.raises(SystemExit) as done:
        main(["review", "export", *map(str, args)])
    out = capsys.readouterr()
    assert done.value.code in (0, None), out.err
    return out.out


def test_a_budget_over_repeated_texts_holds_distinct_texts(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(load_config(make_ml_project(tmp_path, gold_rows=0)), progress=False)
    rows = _needs_review(tmp_path)
    distinct = rows["text"].nunique()
    assert len(rows) > 30 and 1 < distinct < 30  # the premise: a budget of 30 covers every text, some many times
    n, path = export_multilabel_review(tmp_path / "out", budget=30)
    texts = [t["data"]["text"] for t in json.loads(path.read_text(encoding="utf-8"))]
    assert n == len(texts) == distinct and len(set(texts)) == distinct
    least = rows.sort_values("confidence", kind="stable").drop_duplicates("text")  # each text's least sure row
    queued = [t["data"]["row_id"] for t in json.loads(path.read_text(encoding="utf-8"))]
    assert sorted(queued) == sorted(least["row_id"])  # (in the mixed review order: weaksup.multilabel.review_queue)
    said = _export(capsys, tmp_path / "out", "--budget", 30)
    assert f"{distinct} row(s) of the multi-label run" in said
    assert (f"{len(rows) - distinct:,} row(s) repeat the text of another queued or queueable row (one row per "
            "distinct text), 0 repeat a text already in the gold set") in said


def test_a_text_the_gold_set_holds_is_not_queued_again(tmp_path, monkeypatch, capsys):
    """The synthetic tickets' rows needing review all repeat a text of the gold set's rows: none is queued."""
    monkeypatch.chdir(tmp_path)
    run(load_config(make_ml_project(tmp_path)), progress=False)
    rows = _needs_review(tmp_path)
    gold_texts = set(pd.read_csv(tmp_path / "tickets.csv", dtype=str)["text"][:160])
    queueable = rows[~rows["row_id"].isin(set(pd.read_csv(tmp_path / "tickets.csv", dtype=str)["row_id"][:160]))]
    assert len(queueable) > 6 and set(queueable["text"]) <= gold_texts  # the premise
    n, _ = export_multilabel_review(tmp_path / "out", budget=6)
    assert n == 0
    said = _export(capsys, tmp_path / "out", "--budget", 6)
    assert f"0 row(s) repeat the text of another queued or queueable row (one row per distinct text), " \
           f"{len(queueable)} repeat a text already in the gold set" in said
