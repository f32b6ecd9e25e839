"""Review rounds move the labels (issue 15): on the YouTube example, a few rounds of the mixed order raise the
label model's accuracy on held-out rows, where ranking by entropy alone spends every review on rows no LF voted
on (all at the maximal entropy when the label model abstains on them) and leaves the accuracy where it was.

The set-up of a new user with the 16 LFs written on dev (the shipped example's other 12, written from the unlabeled
rows, leave few rows without a vote: with all 28 the label model starts at 0.903 and three rounds move it to 0.879 /
0.900 either way, so the mix-against-entropy contrast issue 15 measured is tested where it arises): 20 dev gold rows (a seeded sample of the dev split), the unlabeled split as the pool
the run labels, the test split held out (never reviewed). Each round the reviewed rows join the dev gold and the
default label model is refitted; it abstains on rows without votes (a run's ``no_votes = "abstain"``: uniform
probabilities), and abstaining counts as wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.analysis import row_conflict
from weaksup.labels import ABSTAIN
from weaksup.models import default_label_model
from weaksup.review import review_order, uncertainty_score
from weaksup.review.mixing import mixed_review_order

ROUNDS, BATCH, N_DEV = 3, 20, 20


@pytest.fixture(scope="module")
def task(youtube, youtube_registry):
    from weaksup.apply import apply_lfs

    dev_written = youtube_registry.select(names=[lf.name for lf in youtube_registry.lfs if not lf.name.startswith("u_")])
    L = apply_lfs(dev_written, youtube, id_column="row_id").values.astype(np.int64)
    y = youtube["label"].map({"ham": 0, "spam": 1}).to_numpy()
    split = youtube["split"].to_numpy()
    dev = np.random.default_rng(0).choice(np.flatnonzero(split == "dev"), N_DEV, replace=False)
    pool, test = np.flatnonzero(split == "unlabeled"), np.flatnonzero(split == "test")
    return {"L": L, "y": y, "text": youtube["text"].fillna("").astype(str).to_numpy(), "dev": dev, "pool": pool,
            "test": test}


def held_out_accuracy_per_round(task, strategy):
    """Held-out accuracy after each round, and how many reviewed rows of each batch had no vote."""
    L, y, pool, test = task["L"], task["y"], task["pool"], task["test"]
    voted = (L != ABSTAIN).any(axis=1)
    reviewed = np.zeros(len(pool), dtype=bool)
    accuracy, no_vote_reviews = [], []
    for r in range(ROUNDS + 1):
        gold = np.concatenate([task["dev"], pool[reviewed]])
        model = default_label_model(2, seed=0).fit(L[pool], L_dev=L[gold], y_dev=y[gold])
        predicted = np.where(voted[test], model.predict(L[test], tie_break="abstain"), ABSTAIN)
        accuracy.append(float((predicted == y[test]).mean()))
        if r == ROUNDS:
            break
        open_rows = np.flatnonzero(~reviewed)
        rows = pool[open_rows]
        proba = np.where(voted[rows, None], model.predict_proba(L[rows]), 0.5)  # abstained: uniform
        if strategy == "entropy":
            order = review_order(uncertainty_score(proba, "entropy"), budget=BATCH, seed=0)
        else:
            n_votes, conflict = row_conflict(L[rows])
            order = mixed_review_order(proba, n_votes, texts=task["text"][rows], conflict=conflict, budget=BATCH,
                                       seed=0).positions
        picked = open_rows[order]
        assert len(picked) == BATCH
        no_vote_reviews.append(int((~voted[pool[picked]]).sum()))
        reviewed[picked] = True
    return accuracy, no_vote_reviews


def test_mixed_review_rounds_raise_held_out_accuracy_where_entropy_alone_does_not(task):
    mixed, mixed_no_votes = held_out_accuracy_per_round(task, "mixed")
    entropy, entropy_no_votes = held_out_accuracy_per_round(task, "entropy")
    assert mixed[0] == entropy[0]  # the same start
    assert entropy_no_votes == [BATCH] * ROUNDS  # issue 15's failure: every reviewed row had no vote
    assert all(0 < n < BATCH for n in mixed_no_votes)  # the mix spends part of each batch there, not all of it
    assert mixed[-1] >= mixed[0] + 0.02, mixed  # 60 reviewed rows: at least two points more on held-out rows
    assert entropy[-1] <= entropy[0] + 0.005, entropy  # 60 reviews of no-vote rows: the label model did not move
    assert mixed[-1] > entropy[-1]
