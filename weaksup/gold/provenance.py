"""Accepted pre-fills: how many gold answers took the suggested label unchanged, and how well they agree.

Review tasks come pre-filled with the run's label (a Label Studio prediction). Label Studio records, per
answer, where its result came from (``origin``): ``prediction`` (the pre-fill accepted unchanged),
``prediction-changed`` (the pre-fill edited) or ``manual`` (chosen by hand). The gold set keeps it in its
``origin`` column (empty where unknown: JSON-MIN and CSV exports do not carry it). An accepted pre-fill may
be a checked label or a click-through; :func:`prefill_report` tells them apart as far as the data can: the
acceptance rate per annotator, and how often accepted and edited answers agree with the other annotators
of the same row and with the row's final (majority) label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from weaksup.gold.core import GoldSet

#: The ``origin`` of an answer that took the pre-filled suggestion unchanged.
ACCEPTED = "prediction"
#: The groups of :attr:`PrefillReport.by_origin`.
GROUPS = ("accepted", "edited")


@dataclass(frozen=True)
class PrefillReport:
    """What share of answers accepted the pre-fill, and the agreement of accepted vs edited answers.

    Attributes
    ----------
    per_annotator : DataFrame
        One row per annotator: ``annotator``, ``answers``, ``accepted``, ``edited`` (``prediction-changed``
        or ``manual``), ``unknown`` (no origin recorded), ``acceptance_rate`` (accepted / (accepted + edited);
        NaN without a known origin).
    by_origin : DataFrame
        Indexed by :data:`GROUPS`: ``answers``; ``pairs`` (pairs with another annotator's answer on the same
        row) and ``agree_with_others`` (the share of those that agree); ``with_final`` (answers on rows with
        2+ annotations and a final label) and ``agree_with_final`` (the share equal to it).
    """

    per_annotator: pd.DataFrame = field(repr=False)
    by_origin: pd.DataFrame = field(repr=False)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython shows the account, not the class name
        printer.text(str(self))

    @property
    def known(self) -> int:
        """Answers whose origin is known."""
        return int(self.per_annotator["accepted"].sum() + self.per_annotator["edited"].sum())

    def lines(self) -> list[str]:
        """The account printed at import, e.g. ``pre-fills: 18 of 25 answer(s) accepted unchanged (72.0%) ...``."""
        table = self.per_annotator
        total, unknown = int(table["answers"].sum()), int(table["unknown"].sum())
        if not self.known:
            return [f"pre-fills: the origin of the {total} answer(s) is unknown (Label Studio's JSON export records "
                    "whether a suggestion was accepted unchanged; JSON-MIN and CSV do not)"]
        accepted = int(table["accepted"].sum())
        who = ", ".join(f"{r.annotator or '(anonymous)'} {r.acceptance_rate:.1%} ({r.accepted}/{r.accepted + r.edited})"
                        for r in table.itertuples() if r.accepted + r.edited)
        lines = [f"pre-fills: {accepted} of {self.known} answer(s) accepted the suggestion unchanged "
                 f"({accepted / self.known:.1%}): {who}" + (f"; {unknown} without an origin" if unknown else "")]
        for group, r in self.by_origin.iterrows():
            others = f"{r['agree_with_others']:.3f} ({int(r['pairs'])} pair(s))" if r["pairs"] else "- (no pairs)"
            final = f"{r['agree_with_final']:.3f} ({int(r['with_final'])})" if r["with_final"] else "- (none)"
            lines.append(f"  {group} answers ({int(r['answers'])}): agree with other annotators {others}, "
                         f"with the final label {final}")
        return lines


def prefill_report(annotations: GoldSet | pd.DataFrame, *, final: pd.Series | None = None,
                   context: pd.DataFrame | None = None) -> PrefillReport:
    """The acceptance rate of pre-filled suggestions per annotator, and the agreement of accepted vs edited answers.

    Parameters
    ----------
    annotations : GoldSet or DataFrame
        The answers reported on: ``row_id``, ``annotator``, ``label`` and ``origin`` (empty: unknown).
    final : Series, optional
        The final label of each row, indexed by row id (default: a GoldSet's :meth:`~GoldSet.labels`, else
        the majority of ``annotations`` and ``context``; tied rows have none).
    context : DataFrame, optional
        Other annotations of the same rows (e.g. the gold set's earlier ones): counted as other annotators'
        answers, not reported on.

    Examples
    --------
    >>> rows = pd.DataFrame({"row_id": ["a", "a", "b", "b", "c", "c"], "annotator": ["x", "y"] * 3,
    ...                      "label": ["spam", "spam", "ham", "spam", "ham", "ham"],
    ...                      "origin": ["prediction", "manual", "prediction", "prediction-changed", "", "manual"]})
    >>> report = prefill_report(rows)
    >>> report.per_annotator[["annotator", "accepted", "edited", "unknown"]].values.tolist()
    [['x', 2, 0, 1], ['y', 0, 3, 0]]
    >>> report.by_origin[["pairs", "agree_with_others"]].to_dict("index")
    {'accepted': {'pairs': 2, 'agree_with_others': 0.5}, 'edited': {'pairs': 3, 'agree_with_others': 0.6666666666666666}}
    """
    if isinstance(annotations, GoldSet):
        final = annotations.labels() if final is None else final
        annotations = annotations.frame
    frame = annotations[["row_id", "annotator", "label"]].astype(str).assign(
        origin=annotations["origin"].fillna("").astype(str).to_numpy() if "origin" in annotations else "")
    group = pd.Series(pd.NA, index=frame.index, dtype=object)
    group[frame["origin"] == ACCEPTED] = "accepted"
    group[(frame["origin"] != ACCEPTED) & (frame["origin"] != "")] = "edited"
    frame["group"] = group
    pool = frame if context is None else pd.concat(
        [frame, context[["row_id", "annotator", "label"]].astype(str).assign(group=pd.NA)], ignore_index=True)
    if final is None:
        counts = pool.groupby(["row_id", "label"]).size().rename("n").reset_index()
        top = counts[counts["n"] == counts.groupby("row_id")["n"].transform("max")]
        top = top[~top["row_id"].duplicated(keep=False)]
        final = pd.Series(top["label"].to_numpy(), index=top["row_id"].to_numpy())
    final_of = {str(k): str(v) for k, v in final.items()}
    per_row = pool.groupby("row_id")["label"].agg(list).to_dict()
    size = pool.groupby("row_id").size().to_dict()
    records = []
    for rec in frame.itertuples(index=False):
        labels = list(per_row[rec.row_id])
        labels.remove(rec.label)  # the others' answers on the row
        end = final_of.get(rec.row_id) if size[rec.row_id] >= 2 else None
        records.append((rec.group, len(labels), sum(lab == rec.label for lab in labels),
                        end is not None, end == rec.label))
    scored = pd.DataFrame(records, columns=["group", "pairs", "agree", "with_final", "final_agree"])
    by_origin = pd.DataFrame(index=pd.Index(GROUPS, name="group"))
    sums = scored.dropna(subset=["group"]).groupby("group")[["pairs", "agree", "with_final", "final_agree"]].sum()
    sums = sums.reindex(list(GROUPS), fill_value=0)
    by_origin["answers"] = frame["group"].value_counts().reindex(list(GROUPS), fill_value=0).astype(int)
    by_origin["pairs"] = sums["pairs"].astype(int)
    by_origin["agree_with_others"] = sums["agree"] / sums["pairs"].where(sums["pairs"] > 0)
    by_origin["with_final"] = sums["with_final"].astype(int)
    by_origin["agree_with_final"] = sums["final_agree"] / sums["with_final"].where(sums["with_final"] > 0)
    per = frame.assign(accepted=frame["group"] == "accepted", edited=frame["group"] == "edited",
                       unknown=frame["group"].isna())
    table = per.groupby("annotator", sort=True).agg(answers=("label", "size"), accepted=("accepted", "sum"),
                                                     edited=("edited", "sum"), unknown=("unknown", "sum"))
    table = table.astype(int).reset_index()
    known = table["accepted"] + table["edited"]
    table["acceptance_rate"] = table["accepted"] / known.where(known > 0)
    return PrefillReport(table, by_origin)
