"""The YouTube quality report the report, evaluation and tracking tests share."""

from __future__ import annotations

import pandas as pd

from tests.conftest import REPO
from weaksup.apply import apply_lfs
from weaksup.gold import GoldSet, load_gold
from weaksup.models import DevWeightedVote
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


def youtube_quality_report(youtube: pd.DataFrame, registry: Registry) -> tuple[QualityReport, GoldSet]:
    """The report of the shipped YouTube example (``youtube`` and ``registry``: the conftest fixtures)."""
    votes, gold, model, data = youtube_report_inputs(youtube, registry)
    return build_report(votes, lfs=registry, gold=gold, model=model, data=data), gold
