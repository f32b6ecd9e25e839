"""The span LF summary: per LF, its spans, the documents and tokens it covers, overlaps, conflicts, accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError
from weaksup.spans.metrics import span_metrics
from weaksup.spans.votes import SpanVotes

__all__ = ["SUMMARY_COLUMNS", "span_lf_summary"]

#: The columns of :func:`span_lf_summary` (the last three only with gold).
SUMMARY_COLUMNS = ["lf", "types", "spans", "docs_covered", "token_coverage", "overlaps", "conflicts",
                   "precision", "recall", "f1"]


def span_lf_summary(votes: SpanVotes, gold: Sequence[Sequence[Any]] | None = None) -> pd.DataFrame:
    """One row per LF: what it tags, how much, with whom it agrees and (with gold) how well.

    Parameters
    ----------
    votes : SpanVotes
    gold : sequence of sequences of spans, optional
        One gold span list per document of ``votes`` (take the dev documents with ``votes.take``).

    Returns
    -------
    pandas.DataFrame
        ``lf`` (id), ``types`` (the entity types it tagged, comma-separated), ``spans`` (number
        tagged), ``docs_covered`` (documents with at least one of its spans), ``token_coverage``
        (share of all tokens it tags), ``overlaps`` (share of all tokens it tags that another LF
        tags too), ``conflicts`` (share of all tokens it tags that another LF tags with another
        type); with gold, ``precision``, ``recall``, ``f1`` of its spans by exact match
        (:func:`~weaksup.spans.metrics.span_metrics`, 0.0 when it tags nothing), recall over the gold spans of
        the types it tags (a Chemical LF is not blamed for the Disease mentions). Token shares are
        over the LF's token votes (overlapping spans of one LF resolved longest first).

    Examples
    --------
    >>> from weaksup.spans.space import SpanSpace
    >>> from weaksup.spans.span import Span
    >>> spans = pd.DataFrame({"doc": [0, 0, 1], "lf": [0, 1, 1], "start": [0, 1, 0], "end": [2, 2, 1],
    ...                       "label": ["A", "B", "B"]})
    >>> votes = SpanVotes([4, 1], ["x", "y"], SpanSpace(["A", "B"]), spans)
    >>> summary = span_lf_summary(votes, gold=[[Span(0, 2, "A")], []])
    >>> summary[["lf", "spans", "docs_covered", "token_coverage", "overlaps", "conflicts", "f1"]].values.tolist()
    [['x', 1, 1, 0.4, 0.2, 0.2, 1.0], ['y', 2, 2, 0.4, 0.2, 0.2, 0.0]]
    """
    if gold is not None and len(gold) != votes.n_docs:
        raise DataError(f"span_lf_summary got gold for {len(gold)} documents but the votes have {votes.n_docs}; "
                        f"pass one gold span list per document (votes.take(dev_docs) for a dev subset)")
    values = votes.token_votes().values
    n_tokens = max(len(values), 1)
    voted = values >= 0
    typ = np.r_[-1, votes.space.tag_type_ids][values.astype(np.int64) + 1]  # (T, m): type index, -1 = none
    n_voting = voted.sum(axis=1)
    per_type = np.stack([(typ == k).sum(axis=1) for k in range(votes.space.n_types)], axis=1) \
        if len(values) else np.zeros((0, votes.space.n_types), dtype=np.int64)
    lf_col = votes.spans["lf"].to_numpy()
    doc_col = votes.spans["doc"].to_numpy()
    labels = votes.spans["label"].to_numpy()
    rows = []
    for j, lf_id in enumerate(votes.lf_ids):
        mine = lf_col == j
        on = voted[:, j]
        own_type_count = per_type[np.flatnonzero(on), typ[on, j]]
        row: dict[str, Any] = {
            "lf": lf_id,
            "types": ",".join(t for t in votes.space.types if t in set(labels[mine].tolist())),
            "spans": int(mine.sum()),
            "docs_covered": int(len(np.unique(doc_col[mine]))),
            "token_coverage": float(on.sum() / n_tokens),
            "overlaps": float((n_voting[on] > 1).sum() / n_tokens),
            "conflicts": float((n_voting[on] > own_type_count).sum() / n_tokens),
        }
        if gold is not None:  # recall over the gold spans of the types it tags (as the Workbench's preview)
            own = set(labels[mine].tolist())
            scores = span_metrics([[s for s in doc if s[2] in own] for doc in gold], votes.lf_doc_spans(j),
                                  types=votes.space)
            row.update(precision=scores["precision"], recall=scores["recall"], f1=scores["f1"])
        rows.append(row)
    columns = SUMMARY_COLUMNS if gold is not None else SUMMARY_COLUMNS[:-3]
    return pd.DataFrame(rows, columns=columns)
