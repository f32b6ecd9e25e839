"""review_queue at scale: rows repeating a text take one queue slot per distinct text, never the budget of others."""

import numpy as np
import pandas as pd

from weaksup.review import review_queue
from weaksup.review.queue import queue_summary


def repeated_labels(n_texts=60, copies=25, seed=0):
    """Uncertain rows whose texts repeat ``copies`` times (as in an input made by repeating a corpus): copies of a
    text share its votes and probabilities; half the texts have votes, half none."""
    rng = np.random.default_rng(seed)
    words = ["song", "channel", "video", "pizza", "game", "guitar", "movie", "dance", "phone", "shoes"]
    rows = []
    for t in range(n_texts):
        voted = t % 2 == 0
        p = float(rng.uniform(0.5, 0.69)) if voted else 0.5
        text = f"{words[t % 10]} {words[(t // 10) % 10]} comment number {t}"
        for c in range(copies):
            rows.append({"row_id": f"t{t}c{c}", "label": "ham" if voted else "", "confidence": p, "prob_ham": p,
                         "prob_spam": 1 - p, "n_votes": 2 if voted else 0, "sources": "a,b" if voted else "",
                         "review_status": "needs_review",
                         # as read from the input: spacing and a byte-order mark differ between copies, the cleaned
                         # (NFKC, whitespace runs, zero-width) text the run votes on does not
                         "text": text.replace(" ", "  ") + "\ufeff" if c % 3 == 1 else text})
    return pd.DataFrame(rows)


def normalised(texts):
    return pd.Series(texts).str.replace("\ufeff", "").str.split().str.join(" ")


def test_a_budget_is_filled_with_distinct_texts():
    labels = repeated_labels()
    for order in ("mixed", "uncertainty"):
        queue = review_queue(labels, None, ["ham", "spam"], budget=40, order=order)
        assert len(queue) == 40  # the budget is filled ...
        assert normalised(queue["text"]).is_unique  # ... with 40 distinct texts, no copy twice
    counts = queue.attrs["review_counts"]
    assert counts["candidates"] == 60 and counts["same_text"] == 60 * 24
    assert "1,440 row(s) repeat the text of another queued or queueable row (one row per distinct text)" in \
        queue_summary(queue)


def test_without_a_budget_each_text_is_queued_once():
    labels = repeated_labels(n_texts=12, copies=5)
    queue = review_queue(labels, None, ["ham", "spam"])
    assert len(queue) == 12 and normalised(queue["text"]).is_unique


def test_a_text_already_in_the_gold_set_is_not_queued_again():
    """After a review round the reviewed row has a gold label; its copies must not bring the text back."""
    labels = repeated_labels(n_texts=10, copies=4)
    gold = pd.Series({"t0c0": "ham", "t1c2": "spam"})
    queue = review_queue(labels, None, ["ham", "spam"], gold=gold)
    texts = set(normalised(queue["text"]))
    assert len(queue) == 8 and not texts & set(normalised(labels.loc[labels["row_id"].str[:2].isin(["t0", "t1"]),
                                                                     "text"]))
    assert queue.attrs["review_counts"]["gold_text"] == 6  # the three other copies of each gold text
    assert "6 repeat a text already in the gold set" in queue_summary(queue)


def test_rows_showing_different_fields_stay_apart():
    """Reviewers see the text and the --field columns: copies whose shown fields differ are different tasks."""
    labels = repeated_labels(n_texts=4, copies=3)
    data = labels[["row_id", "text"]].assign(author=[f"a{i % 2}" for i in range(len(labels))])
    queue = review_queue(labels, data, ["ham", "spam"], fields=["author"])
    assert len(queue) == 8  # 4 texts, each shown with 2 authors
    assert not pd.DataFrame({"t": normalised(queue["text"]), "a": queue["author"]}).duplicated().any()
