"""review_queue: the mixed order on a run's labels table, each queued row with its reason, exported as a sheet."""

import numpy as np
import pandas as pd
import pytest

from weaksup.review import ReviewError, export_queue, read_sheet, review_queue
from weaksup.review.mixing import QUEUE_REASONS


def run_labels(n_uncovered=30, n_voted=30, seed=0):
    """A run's labels: uncovered rows abstained at uniform probabilities, voted rows with the label model's."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_uncovered):
        rows.append({"row_id": f"u{i}", "label": "", "confidence": 0.5, "prob_ham": 0.5, "prob_spam": 0.5,
                     "n_votes": 0, "sources": "", "conflict": False, "review_status": "needs_review",
                     "text": f"{['great song', 'minecraft game', 'pizza recipe'][i % 3]} number {i}"})
    for i in range(n_voted):
        p = float(rng.uniform(0.5, 0.69))
        rows.append({"row_id": f"v{i}", "label": "ham", "confidence": p, "prob_ham": p, "prob_spam": 1 - p,
                     "n_votes": 2, "sources": "a" if i % 3 == 0 else "a,b", "conflict": i % 3 == 0,
                     "review_status": "needs_review", "text": f"subscribe to channel {i} for free gifts {i * 3}"})
    rows.append({"row_id": "sure", "label": "spam", "confidence": 0.99, "prob_ham": 0.01, "prob_spam": 0.99,
                 "n_votes": 3, "sources": "a,b,c", "conflict": False, "review_status": "auto", "text": "buy now"})
    return pd.DataFrame(rows)


def test_the_default_order_mixes_reasons_and_records_them():
    labels = run_labels()
    queue = review_queue(labels, None, ["ham", "spam"], budget=12)
    assert len(queue) == 12 and queue["priority"].tolist() == list(range(1, 13))
    assert set(queue["review_reason"]) == {"uncovered", "lf_conflict", "low_margin"}
    assert set(queue["review_reason"]) <= set(QUEUE_REASONS)
    assert "sure" not in set(queue["row_id"])  # routing still decides who may be queued
    by_id = labels.set_index("row_id")
    for _, row in queue.iterrows():
        voted = by_id.loc[row["row_id"], "n_votes"] > 0
        assert (row["review_reason"] == "uncovered") == (not voted)
        assert "low_confidence" in row["routed_for"] and ("no_votes" in row["routed_for"]) == (not voted)
    plain = review_queue(labels, None, ["ham", "spam"], budget=12, order="uncertainty", diversity=0.0)
    assert (plain["review_reason"] == "uncovered").all()  # entropy alone: only the abstained rows


def test_a_second_opinion_queues_confident_rows_it_disagrees_with():
    labels = run_labels()
    other = np.where(labels["row_id"] == "sure", "ham", labels["label"].replace("", None))
    queue = review_queue(labels, None, ["ham", "spam"], compare=other, budget=10)
    assert queue.loc[queue["row_id"] == "sure", "review_reason"].tolist() == ["model_disagreement"]
    assert queue.loc[queue["row_id"] == "sure", "routed_for"].tolist() == [""]  # routing let it through
    proba = labels[["prob_ham", "prob_spam"]].to_numpy()[:, ::-1]  # probabilities work too
    flipped = review_queue(labels, None, ["ham", "spam"], compare=proba, budget=10)
    assert "model_disagreement" in set(flipped["review_reason"])


def test_export_carries_the_reason_to_the_review_sheet(tmp_path):
    queue = review_queue(run_labels(), None, ["ham", "spam"], budget=6)
    exported = export_queue(queue, tmp_path / "review.csv", format="csv", label_space=["ham", "spam"])
    sheet = pd.read_csv(exported.path, dtype=str, keep_default_na=False)
    assert sheet["review_reason"].tolist() == queue["review_reason"].tolist()
    assert read_sheet(exported.path, ["ham", "spam"], annotator="x").unanswered == 6  # nothing answered yet


@pytest.mark.parametrize("kwargs, match", [
    ({"order": "random"}, "unknown review order 'random'; choose one of"),
    ({"compare": ["ham"]}, r"compare has 1 row\(s\) but the labels have 61"),
    ({"compare": ["maybe"] * 61}, r"compare names class\(es\) \['maybe'\] outside the label space"),
    ({"weights": "log"}, "unknown budget split weights"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ReviewError, match=match):
        review_queue(run_labels(), None, ["ham", "spam"], **kwargs)


def test_run_summary_and_export_queue_counts_agree(tmp_path, youtube, monkeypatch):
    """The run counts gold test rows among those needing review; the export never queues them: both say so."""
    from tests.pipeline_project import make_project, write_config
    from weaksup.config import load_config
    from weaksup.gold import write_gold
    from weaksup.pipeline import load_run, run
    from weaksup.review.queue import queue_summary

    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    labelled = youtube[youtube["split"].isin(["dev", "test"])].groupby("split").head(150)
    write_gold(labelled[["row_id", "label", "split"]], tmp_path / "gold", task="yt", label_space=["ham", "spam"])
    result = run(load_config(write_config(tmp_path, gold={"path": "gold", "split": "test"})), progress=False)
    held, needs = result.review_held_out, result.status_counts["needs_review"]
    assert 0 < held < 150 and result.status_counts["reviewed"] == 150  # the dev gold rows are reviewed in the run
    assert f"needs_review {needs:,} ({held} of them gold test rows, never exported: they measure the labels; " \
           f"{needs - held:,} to review), reviewed 150" in result.summary()
    finished = load_run(tmp_path / "out")
    queue = review_queue(finished.labels, finished.read_input(), finished.label_space, gold=finished.gold,
                         policy=finished.config.review.policy)
    counts = queue.attrs["review_counts"]  # the comments repeat texts: one row per distinct text is queued
    repeats, in_gold = counts["same_text"], counts["gold_text"]
    assert repeats > 0 and len(queue) == needs - held - repeats - in_gold
    assert not set(queue["row_id"]) & set(labelled["row_id"])
    assert queue_summary(queue) == (f"{len(queue)} row(s) in the review queue: the run counts {needs} needing "
                                    f"review; {held} of them have a gold label (test {held}), never exported; "
                                    f"{repeats} row(s) repeat the text of another queued or queueable row (one row "
                                    f"per distinct text), {in_gold} repeat a text already in the gold set: left out, "
                                    "they keep their draft label")
