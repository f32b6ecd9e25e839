"""The YouTube quality report the report, evaluation and tracking tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.conftest import REPO
from weaksup.apply import apply_lfs
from weaksup.gold import GoldSet, load_gold
from weaksup.baseline import supervised_on_dev
from weaksup.evaluate import gold_rows
from weaksup.labels import ABSTAIN
from weaksup.models import DevWeightedVote, MajorityVote
from weaksup.references import References, compare_references
from weaksup.registry import Registry
from weaksup.report import QualityReport, build_report
from weaksup.votes import VoteMatrix

YOUTUBE_GOLD = REPO / "gold_sets" / "youtube_spam"


def fit_default(votes: VoteMatrix, gold: GoldSet) -> DevWeightedVote:
    """weaksup's default label model, fitted on all votes with the dev gold split."""
    y_dev = gold.y(votes.row_ids, split="dev")
    return DevWeightedVote(cardinality=2).fit(votes, L_dev=votes.values[y_dev >= 0], y_dev=y_dev[y_dev >= 0])


def youtube_report_inputs(youtube: pd.DataFrame,
                          registry: Registry) -> tuple[VoteMatrix, GoldSet, DevWeightedVote, pd.DataFrame]:
    """The votes, gold set, fitted default model and data rows of the shipped YouTube example."""
    data = youtube.drop(columns=["label", "split"])
    votes = apply_lfs(registry, data, id_column="row_id")
    gold = load_gold(YOUTUBE_GOLD, row_ids=data["row_id"])
    return votes, gold, fit_default(votes, gold), data


def youtube_references(votes: VoteMatrix, gold: GoldSet, model: DevWeightedVote, data: pd.DataFrame) -> References:
    """The references on the YouTube test rows: majority vote, the label model, a classifier trained on the 286
    dev gold rows, and as "final" the label model with no-vote rows abstained (a run without the end model)."""
    test, y = gold_rows(votes, gold, "test")
    dev, y_dev = gold_rows(votes, gold, "dev")
    texts = data["text"].to_numpy()
    L = votes.values[test]
    covered = (L != ABSTAIN).any(axis=1)
    label_model = model.predict(L)
    baseline = supervised_on_dev(texts[dev], y_dev, cardinality=2)
    predictions = {"majority_vote": MajorityVote(cardinality=2).fit(votes).predict(L), "label_model": label_model,
                   "supervised_on_dev": baseline.predict(texts[test]),
                   "final": np.where(covered, label_model, ABSTAIN)}
    return compare_references(y, predictions, covered=covered, final_proba=model.predict_proba(L),
                              label_space=gold.label_space, n_gold=len(dev), split="test")


def youtube_quality_report(youtube: pd.DataFrame, registry: Registry) -> tuple[QualityReport, GoldSet]:
    """The report of the shipped YouTube example (``youtube`` and ``registry``: the conftest fixtures)."""
    votes, gold, model, data = youtube_report_inputs(youtube, registry)
    return build_report(votes, lfs=registry, gold=gold, model=model, data=data), gold
