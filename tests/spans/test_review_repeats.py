"""A spans run's review export holds one task per distinct text (:func:`weaksup.review.repeats.distinct_rows`), as
the classification queue does: documents repeating a text, or a gold document's text, do not take the budget."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.spans.conftest import make_span_project
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.spans.review import export_span_review


def _repeating_project(root):
    """The synthetic spans project whose documents after the 80 gold ones are 10 texts, each 8 times, one of them a
    gold document's text; a low-threshold review sends them all to review."""
    config = make_span_project(root, extra="[review]\nthreshold = 0.999\n")
    data = pd.read_csv(root / "docs.csv", dtype=str)
    texts = [data["text"][0], *(f"Case {k} : {data['text'][80 + k]}" for k in range(9))]  # 9 new texts, doc000's
    data.loc[80:, "text"] = [texts[i % 10] + ("  " if i % 3 == 1 else "") for i in range(len(data) - 80)]
    data.to_csv(root / "docs.csv", index=False)
    run(load_config(config, project=root), progress=False)
    return root / "out", data


def _normalised(texts):
    return [" ".join(str(t).split()) for t in texts]


def test_a_budget_over_repeated_texts_holds_distinct_texts(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_dir, data = _repeating_project(tmp_path)
    rows = [json.loads(line) for line in (run_dir / "spans.jsonl").read_text(encoding="utf-8").splitlines()]
    queued = [r for r in rows if r["review_status"] == "needs_review" and int(r["row_id"][3:]) >= 80]
    assert len(queued) == 80 and len(set(_normalised(r["text"] for r in queued))) == 10  # the premise
    n, path = export_span_review(run_dir, budget=30)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    texts = _normalised(t["data"]["text"] for t in tasks)
    assert n == len(tasks) == 9  # the budget of 30 holds each of the 9 texts once ...
    assert len(set(texts)) == 9 and " ".join(data["text"][0].split()) not in texts  # ... none a gold one's
    with pytest.raises(SystemExit) as done:
        main(["review", "export", str(run_dir), "--budget", "30"])
    said = capsys.readouterr().out
    assert done.value.code in (0, None)
    assert "9 document(s) of the spans run" in said
    assert ("63 row(s) repeat the text of another queued or queueable row (one row per distinct text), 8 repeat a "
            "text already in the gold set: left out, they keep their draft label") in said
