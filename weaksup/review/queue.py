"""The review queue of a run, and its export (Label Studio tasks or the plain CSV sheet), masked as configured."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import ReviewError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.review import labelstudio, plain_csv
from weaksup.review.display import display_column, display_text
from weaksup.review.mixing import mixed_review_order, row_reasons
from weaksup.review.priority import review_order
from weaksup.review.privacy import mask_frame
from weaksup.review.repeats import DistinctCandidates, distinct_candidates, text_groups
from weaksup.review.routing import RoutingPolicy, probabilities, review_issues
from weaksup.validation import as_label_space, is_gold_set

logger = logging.getLogger(__name__)

#: Export formats of :func:`export_queue`.
EXPORT_FORMATS = ("labelstudio", "csv")
#: Review orders of :func:`review_queue`.
ORDERS = ("mixed", "uncertainty")


def review_queue(
    labels: pd.DataFrame,
    data: pd.DataFrame | None,
    label_space: LabelSpace | Sequence[str],
    *,
    id_column: str = "row_id",
    text_column: str = "text",
    budget: int | None = None,
    policy: RoutingPolicy | None = None,
    threshold: float | None = None,
    class_thresholds: Mapping[str, float] | None = None,
    conflict_threshold: float | None = None,
    method: str = "entropy",
    order: str = "mixed",
    compare: Any = None,
    weights: str = "sqrt",
    n_clusters: int = 8,
    diversity: float = 0.3,
    near_duplicate: float = 0.9,
    seed: int = 0,
    votes: Any = None,
    gold: Any = None,
    fields: Iterable[str] = (),
) -> pd.DataFrame:
    """The rows that need review, most informative first (at most ``budget``), with their text and why.

    Routing is :func:`~weaksup.review.routing.review_issues` (same parameters: a
    :class:`~weaksup.review.routing.RoutingPolicy`, whose fields ``threshold``, ``class_thresholds``
    and ``conflict_threshold`` override). The order (``order="mixed"``, the default) is
    :func:`~weaksup.review.mixing.mixed_review_order`: the budget is shared between rows no LF voted on
    (by text cluster), LF conflicts, low-margin rows with votes and, with ``compare``, rows where a
    second model names another class, each with the MMR diversity step; ``order="uncertainty"`` ranks
    every routed row by ``uncertainty_score`` alone (:func:`~weaksup.review.priority.review_order`). Either
    way a text is queued once (:mod:`weaksup.review.repeats`): copies of a candidate's text (cleaned as the run
    cleans it, with the same ``fields``) and of a gold row's text are left out, and :func:`queue_summary` counts them.

    Parameters
    ----------
    order : {"mixed", "uncertainty"}, default "mixed"
    compare : array (n, k) of probabilities, or (n,) class names or ids, optional
        A second opinion aligned with ``labels`` (e.g. the label model's probabilities when the labels are
        the end model's): rows where it names another class are queued as ``model_disagreement``, even
        when routing let them through.
    weights : {"sqrt", "count", "equal"}, default "sqrt"
        How the budget is split between the reasons (:func:`~weaksup.review.mixing.divisor_split`).
    n_clusters : int, default 8
        Text clusters of the rows without votes.

    Returns
    -------
    DataFrame
        ``priority`` (1 = first), ``row_id``, ``text_column``, ``label`` (the draft), ``confidence``,
        ``review_reason`` (why the row is in the queue: one of
        :data:`~weaksup.review.mixing.QUEUE_REASONS`), ``routed_for`` (the routing reasons, e.g.
        ``"low_confidence,no_votes"``), ``uncertainty_score``, ``conflict_score``, ``sources``, and ``fields``.

    Examples
    --------
    >>> labels = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["spam", "ham", ""],
    ...     "confidence": [0.99, 0.6, 0.5], "prob_ham": [0.01, 0.6, 0.5], "prob_spam": [0.99, 0.4, 0.5],
    ...     "n_votes": [2, 1, 0], "sources": ["x,y", "w", ""]})
    >>> data = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["sub 4 sub", "nice", "wow"]})
    >>> queue = review_queue(labels, data, ["ham", "spam"])
    >>> queue[["priority", "row_id", "review_reason", "routed_for"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'priority': [1, 2], 'row_id': ['b', 'c'], 'review_reason': ['low_margin', 'uncovered'],
     'routed_for': ['low_confidence', 'low_confidence,no_votes']}
    >>> review_queue(labels, data, ["ham", "spam"], compare=["ham", "ham", ""])["review_reason"].tolist()
    ['model_disagreement', 'low_margin', 'uncovered']
    """
    if order not in ORDERS:
        raise ReviewError(f"unknown review order {order!r}; choose one of {list(ORDERS)}")
    space = as_label_space(label_space)
    fields = [f for f in dict.fromkeys(fields) if f not in (id_column, text_column)]
    issues = review_issues(labels, space, policy=policy, threshold=threshold, class_thresholds=class_thresholds,
                           conflict_threshold=conflict_threshold, method=method, votes=votes, gold=gold)
    texts = _texts(labels, data, id_column, text_column, fields)
    text = texts[text_column].to_numpy()
    proba = probabilities(labels, space)
    other = _second_opinion(compare, len(labels), space)
    n_votes = labels["n_votes"].fillna(0).to_numpy(dtype=np.int64)
    conflict = np.where(issues["is_conflict"].to_numpy(), np.maximum(issues["conflict_score"].to_numpy(), 1e-9), 0.0)
    reasons = row_reasons(proba, n_votes, conflict=conflict, other=other)
    wanted = issues["needs_review"].to_numpy() | ((reasons == "model_disagreement") & ~issues["is_reviewed"].to_numpy())
    distinct = _one_per_text(texts, wanted, issues)
    candidates = distinct.keep
    if order == "mixed":
        mixed = mixed_review_order(proba, n_votes, texts=text, conflict=conflict, other=other, candidates=candidates,
                                   budget=budget, weights=weights, n_clusters=n_clusters, diversity=diversity,
                                   near_duplicate=near_duplicate, seed=seed)
        rows = mixed.positions
    else:
        positions = np.flatnonzero(candidates)
        score = issues["uncertainty_score"].to_numpy()
        rows = positions[review_order(score[positions], text[positions], budget=budget, diversity=diversity,
                                       near_duplicate=near_duplicate, seed=seed)]
    out = pd.DataFrame({
        "priority": np.arange(1, len(rows) + 1),
        "row_id": issues["row_id"].to_numpy()[rows],
        text_column: text[rows],
        "label": issues["label"].to_numpy()[rows],
        "confidence": issues["confidence"].to_numpy()[rows],
        "review_reason": reasons[rows],
        "routed_for": issues["review_reason"].to_numpy()[rows],
        "uncertainty_score": issues["uncertainty_score"].to_numpy()[rows],
        "conflict_score": issues["conflict_score"].to_numpy()[rows],
        "sources": labels["sources"].fillna("").astype(str).to_numpy()[rows] if "sources" in labels else "",
    })
    for name in fields:
        out[name] = texts[name].to_numpy()[rows]
    out.attrs["review_counts"] = _counts(labels, issues, wanted, len(out), budget, gold, distinct)
    logger.info("%d of %d rows need review (%d distinct texts); queue of %d (%s)", int(wanted.sum()), len(labels),
                int(candidates.sum()), len(out),
                ", ".join(f"{k} {v}" for k, v in out["review_reason"].value_counts().items()) or "empty")
    return out


def _one_per_text(texts: pd.DataFrame, wanted: np.ndarray, issues: pd.DataFrame) -> DistinctCandidates:
    """The candidates kept, one per distinct text shown (:mod:`weaksup.review.repeats`); grouped over the candidates
    and the reviewed rows only."""
    done = issues["is_reviewed"].to_numpy(dtype=bool)
    involved = np.flatnonzero(wanted | done)
    groups = np.full(len(wanted), -1, dtype=np.int64)
    if len(involved):
        groups[involved] = text_groups(texts.iloc[involved])
    found = distinct_candidates(np.maximum(groups, 0), wanted, issues["uncertainty_score"].to_numpy(),
                                done & (groups >= 0))
    return found


def _counts(labels: pd.DataFrame, issues: pd.DataFrame, wanted: np.ndarray, queued: int, budget: int | None,
            gold: Any, distinct: DistinctCandidates) -> dict[str, Any]:
    """How the run's count of rows needing review becomes the queue's (see :func:`queue_summary`)."""
    run = (labels["review_status"].astype(str) == "needs_review").to_numpy() if "review_status" in labels else None
    has_gold = (issues["gold_label"] != "").to_numpy() if "gold_label" in issues else np.zeros(len(issues), bool)
    split_of = (dict(zip(gold.frame["row_id"].astype(str), gold.frame["split"].astype(str))) if is_gold_set(gold)
                else {})
    held = has_gold & run if run is not None else np.zeros(len(issues), dtype=bool)
    splits = pd.Series([split_of.get(r, "gold") for r in issues.loc[held, "row_id"]], dtype=object).value_counts()
    return {"run_needs_review": None if run is None else int(run.sum()), "in_gold": int(held.sum()),
            "in_gold_splits": {str(k): int(v) for k, v in splits.items()},
            "routed": int(issues["needs_review"].sum()), "candidates": int(distinct.keep.sum()),
            "model_disagreement": int((wanted & ~issues["needs_review"].to_numpy()).sum()), "queued": queued,
            "budget": budget, "same_text": distinct.same_text, "gold_text": distinct.gold_text}


def queue_summary(queue: pd.DataFrame) -> str:
    """Why the queue has as many rows as it has, against the run's count of rows needing review.

    The run counts every row routed for review, gold test rows included (they must not take the human label,
    or the test split would no longer measure the labels); the queue leaves out every row with a gold label,
    adds rows where a second model disagrees, and stops at the budget.

    Examples
    --------
    >>> labels = pd.DataFrame({"row_id": ["a", "b", "c"], "label": ["spam", "ham", "ham"],
    ...     "confidence": [0.99, 0.6, 0.55], "prob_ham": [0.01, 0.6, 0.55], "prob_spam": [0.99, 0.4, 0.45],
    ...     "n_votes": [2, 1, 1], "sources": ["x,y", "w", "w"], "review_status": ["auto", "needs_review",
    ...     "needs_review"]})
    >>> data = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["sub 4 sub", "nice", "cool"]})
    >>> queue = review_queue(labels, data, ["ham", "spam"], gold=pd.Series({"c": "ham"}))
    >>> queue_summary(queue)
    '1 row(s) in the review queue: the run counts 2 needing review; 1 of them have a gold label (gold 1), never exported'
    """
    counts = queue.attrs.get("review_counts")
    if not counts:
        return f"{len(queue)} row(s) in the review queue"
    parts = []
    if counts["run_needs_review"] is not None:
        parts.append(f"the run counts {counts['run_needs_review']} needing review")
    if counts["in_gold"]:
        where = ", ".join(f"{split} {n}" for split, n in counts["in_gold_splits"].items())
        parts.append(f"{counts['in_gold']} of them have a gold label ({where}), never exported")
    expected = None if counts["run_needs_review"] is None else counts["run_needs_review"] - counts["in_gold"]
    if expected is not None and counts["routed"] != expected:
        parts.append(f"{counts['routed']} routed by this export's thresholds (not {expected})")
    if counts["model_disagreement"]:
        parts.append(f"+{counts['model_disagreement']} where the label model names another class")
    repeats = DistinctCandidates(np.zeros(0, dtype=bool), counts.get("same_text", 0), counts.get("gold_text", 0))
    if repeats.note():
        parts.append(repeats.note())
    if counts["budget"] is not None and counts["candidates"] > counts["queued"]:
        parts.append(f"the budget keeps {counts['queued']} of {counts['candidates']}")
    return f"{counts['queued']} row(s) in the review queue" + (": " + "; ".join(parts) if parts else "")


def _second_opinion(compare: Any, n: int, space: LabelSpace) -> np.ndarray | None:
    """``compare`` as (n, k) probabilities or (n,) class ids (-1: none)."""
    if compare is None:
        return None
    values = np.asarray(compare.to_numpy() if isinstance(compare, (pd.Series, pd.DataFrame)) else compare)
    if len(values) != n:
        raise ReviewError(f"compare has {len(values)} row(s) but the labels have {n}; pass the second model's "
                          "output in the labels' row order")
    if values.ndim == 2:
        return np.asarray(values, dtype=np.float64)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    names = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
    unknown = sorted(set(names) - set(space) - {""})
    if unknown:
        raise ReviewError(f"compare names class(es) {unknown[:5]} outside the label space {list(space)}")
    return np.array([space.id(v) if v else ABSTAIN for v in names], dtype=np.int64)


def _texts(labels: pd.DataFrame, data: pd.DataFrame | None, id_column: str, text_column: str,
           fields: list[str]) -> pd.DataFrame:
    """The text (and fields) of every labelled row, in the labels' order."""
    wanted = [text_column, *fields]
    if data is None:
        missing = [c for c in wanted if c not in labels.columns]
        if missing:
            raise ReviewError(f"no data given and the labels lack {missing}; pass the run's input rows")
        return labels[wanted].reset_index(drop=True)
    missing = [c for c in [id_column, *wanted] if c not in data.columns]
    if missing:
        raise ReviewError(f"the data lacks column(s) {missing}; its columns are {list(map(str, data.columns))} "
                          "(check the config's id_column, text_column and the review fields)")
    ids = data[id_column].astype(str)
    if not ids.is_unique:
        raise ReviewError(f"the data's id column {id_column!r} repeats ids, e.g. {ids[ids.duplicated()].head(3).tolist()}")
    table = data[wanted].set_index(ids)
    row_ids = labels["row_id"].astype(str)
    absent = ~row_ids.isin(table.index)
    if absent.any():
        raise ReviewError(f"{int(absent.sum())} labelled row id(s) are not in the data, e.g. "
                          f"{row_ids[absent].head(3).tolist()}; the labels and the data come from different runs")
    return table.loc[row_ids.to_numpy()].reset_index(drop=True)


@dataclass(frozen=True)
class Exported:
    """What :func:`export_queue` wrote."""

    path: Path
    format: str
    n_tasks: int
    config_path: Path | None = None
    masked: dict[str, int] = field(default_factory=dict)
    #: Row ids of the queue not written: media rows without a file to show (they stay ``needs_review``).
    left_out: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"wrote {self.n_tasks} review task(s) to {self.path} ({self.format})"]
        if self.config_path is not None:
            lines.append(f"labeling config: {self.config_path} (paste it into the project's Settings > Labeling "
                         "Interface > Code, then import the tasks)")
        masked = {k: v for k, v in self.masked.items() if v}
        lines.append("masked: " + (", ".join(f"{n} value(s) in {c!r}" for c, n in masked.items()) if masked
                                   else "nothing (no sensitive values found, or masking off)"))
        if self.left_out:
            lines.append(f"left out: {len(self.left_out)} row(s) without a file to show ({self.left_out[:5]}"
                         f"{' ...' if len(self.left_out) > 5 else ''}); give them a path in the input to review them")
        return "\n".join(lines)


def export_queue(
    queue: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str = "labelstudio",
    label_space: LabelSpace | Sequence[str],
    model_version: str = "",
    text_column: str = "text",
    fields: Iterable[str] = (),
    sensitive_fields: Iterable[str] = (),
    mask: bool | None = None,
    escape_formulas: bool = True,
) -> Exported:
    """Write a review queue as Label Studio tasks (plus labeling config) or as the plain CSV sheet.

    Parameters
    ----------
    queue : DataFrame
        From :func:`review_queue`.
    format : {"labelstudio", "csv"}
    fields : iterable of str
        Extra data columns to show the reviewer.
    sensitive_fields : iterable of str
        Columns marked sensitive (the run config's ``review.sensitive_fields``). By default the text
        column, when sensitive, has its e-mails, card and phone numbers masked, and other sensitive
        columns are redacted whole.
    mask : bool, optional
        ``True``: mask the text column even if it is not marked sensitive; ``False``: mask nothing
        (a warning is logged when sensitive fields are exported unmasked).
    escape_formulas : bool, default True
        In the CSV sheet, give text cells a spreadsheet would run as formulas (``=``, ``+``, ``-``, ``@``,
        tab, CR first) a leading ``'`` (:func:`weaksup.spreadsheet.escape_formulas`); the run config's
        ``output.escape_formulas``. Label Studio tasks are JSON and need no escaping.

    Reviewers see display text (:func:`reviewer_view`): HTML entities unescaped, ``<br>`` as newlines, tags
    and scripts removed; rows are matched back by ``row_id``, so the answers import the same.
    """
    if format not in EXPORT_FORMATS:
        raise ReviewError(f"unknown review export format {format!r}; choose one of {list(EXPORT_FORMATS)}")
    fields = [f for f in dict.fromkeys(fields) if f not in ("row_id", text_column)]
    shown, counts = reviewer_view(queue, text_column=text_column, fields=fields, sensitive_fields=sensitive_fields,
                                  mask=mask)
    if format == "labelstudio":
        tasks = labelstudio.to_tasks(shown, model_version=model_version, text_column=text_column,
                                     extra_fields=fields)
        target, config = labelstudio.write_tasks(tasks, path, config=labelstudio.labeling_config(label_space))
        return Exported(target, format, len(tasks), config, counts)
    target = plain_csv.write_sheet(shown, path, text_column=text_column, extra_fields=fields,
                                   escape_formulas=escape_formulas)
    return Exported(target, format, len(shown), None, counts)


def reviewer_view(
    queue: pd.DataFrame,
    *,
    text_column: str = "text",
    fields: Iterable[str] = (),
    sensitive_fields: Iterable[str] = (),
    mask: bool | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The queue as reviewers see it: display text (:func:`~weaksup.review.display.display_text`), then masked.

    The text column and the extra ``fields`` holding text lose their HTML (entities unescaped, ``<br>`` as
    newlines, tags and scripts removed) before masking, so an e-mail written ``jo&#64;example.com`` is
    masked too. Masking is that of :func:`export_queue` (``sensitive_fields``, ``mask``); the counts of masked
    values per column come back with the frame. Use it to send tasks another way (e.g. Label Studio's API):
    ``to_tasks(reviewer_view(queue)[0], ...)``.

    Examples
    --------
    >>> q = pd.DataFrame({"row_id": ["a"], "text": ["i&#39;m jo&#64;example.com<br/>hi"], "label": ["ham"],
    ...                   "confidence": [0.6]})
    >>> shown, masked = reviewer_view(q, sensitive_fields=["text"])
    >>> shown["text"].tolist(), masked
    (["i'm <EMAIL>\\nhi"], {'text': 1})
    """
    fields = [f for f in dict.fromkeys(fields) if f not in ("row_id", text_column)]
    shown = queue.copy()
    for name in [text_column, *fields]:
        if name in shown and (name == text_column or shown[name].map(lambda v: isinstance(v, str)).any()):
            shown[name] = display_column(shown[name]) if name == text_column else shown[name].map(
                lambda v: display_text(v) if isinstance(v, str) else v)
    sensitive = set(sensitive_fields)
    if mask is False:
        if sensitive & {text_column, *fields}:
            logger.warning("exporting sensitive field(s) %s unmasked (mask=False)", sorted(sensitive & {text_column,
                                                                                                       *fields}))
        return shown, {}
    text_cols = [text_column] if (mask or text_column in sensitive) else []
    return mask_frame(shown, text_cols, redact=[f for f in fields if f in sensitive])
