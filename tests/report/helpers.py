"""The YouTube quality report the report, evaluation and tracking tests share."""

from __future__ import annotations

from tests.conftest import REPO
from weaksup.apply import apply_lfs
from weaksup.gold import GoldSet, load_gold
from weaksup.models import DevWeightedVote
from weaksup.report import QualityReport, build_report

YOUTUBE_GOLD = REPO / "gold_sets" / "youtube_spam"


def fit_default(votes, gold: GoldSet) -> DevWeightedVote:
    """weaksup's default label model, fitted on all votes with the dev gold split."""
    y_dev = gold.y(votes.row_ids, split="dev")
    return DevWeightedVote(cardinality=2).fit(votes, L_dev=votes.values[y_dev >= 0], y_dev=y_dev[y_dev >= 0])


def youtube_quality_report(youtube, registry) -> tuple[QualityReport, GoldSet]:
    """The report of the shipped YouTube example (``youtube`` and ``registry``: the conftest fixtures)."""
    data = youtube.drop(columns=["label", "split"])
    votes = apply_lfs(registry, data, id_column="row_id")
    gold = load_gold(YOUTUBE_GOLD, row_ids=data["row_id"])
    return build_report(votes, lfs=registry, gold=gold, model=fit_default(votes, gold), data=data), gold
