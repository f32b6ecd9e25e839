"""Inter-annotator agreement of a gold set: raw agreement, Cohen's and Fleiss' kappa."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from weaksup.gold.core import GoldSet
from weaksup.labels import LabelSpace


@dataclass(frozen=True)
class Agreement:
    """Inter-annotator agreement over the rows labelled by two or more annotators.

    Attributes
    ----------
    n_items : int
        Rows with at least two annotations.
    n_annotators : int
        Distinct annotators over those rows.
    raw_agreement : float
        The share of agreeing annotation pairs, averaged over rows (Fleiss' observed agreement).
    cohen_kappa : float
        Cohen's kappa for two annotators; with more, the mean over annotator pairs sharing rows
        (Light's kappa). NaN when no pair shares a row.
    fleiss_kappa : float
        Fleiss' kappa (rows may have different numbers of annotators).
    pairwise : pandas.DataFrame
        One row per annotator pair: ``annotator_a``, ``annotator_b``, ``n_items``, ``agreement``, ``cohen_kappa``.
    """

    n_items: int
    n_annotators: int
    raw_agreement: float
    cohen_kappa: float
    fleiss_kappa: float
    pairwise: pd.DataFrame = field(repr=False)


def agreement(gold: GoldSet | pd.DataFrame, label_space: LabelSpace | Sequence[str] | None = None) -> Agreement:
    """Raw agreement, Cohen's and Fleiss' kappa of the annotators of a gold set.

    Parameters
    ----------
    gold : GoldSet or DataFrame
        Annotations with ``row_id``, ``label`` and ``annotator`` columns.
    label_space : optional
        The classes (taken from a GoldSet; from the labels seen otherwise).

    Examples
    --------
    >>> rows = pd.DataFrame({"row_id": [1, 1, 2, 2, 3, 3], "annotator": list("ababab"),
    ...                      "label": ["x", "x", "y", "y", "x", "y"]})
    >>> a = agreement(rows)
    >>> a.n_items, round(a.raw_agreement, 3), round(a.cohen_kappa, 3), round(a.fleiss_kappa, 3)
    (3, 0.667, 0.4, 0.333)
    """
    from sklearn.metrics import cohen_kappa_score

    frame = gold.frame if isinstance(gold, GoldSet) else gold
    if label_space is None:
        label_space = gold.label_space if isinstance(gold, GoldSet) else sorted(frame["label"].unique())
    classes = list(label_space)
    sizes = frame.groupby("row_id")["label"].transform("size")
    multi = frame[sizes >= 2]
    # counts[i, j]: annotators who gave row i the class j
    counts = pd.crosstab(multi["row_id"], pd.Categorical(multi["label"], categories=classes), dropna=False)
    counts = counts.to_numpy(dtype=float)
    n_i = counts.sum(axis=1)
    if len(counts):
        p_i = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
        p_bar = float(p_i.mean())
        p_j = counts.sum(axis=0) / counts.sum()
        p_e = float((p_j**2).sum())
        fleiss = (p_bar - p_e) / (1 - p_e) if p_e < 1 else float("nan")
    else:
        p_bar = fleiss = float("nan")
    pairs = []
    by_annotator = {a: g.set_index("row_id")["label"] for a, g in multi.groupby("annotator")}
    for a, b in itertools.combinations(sorted(by_annotator), 2):
        shared = by_annotator[a].index.intersection(by_annotator[b].index)
        if len(shared) == 0:
            continue
        ya, yb = by_annotator[a].loc[shared], by_annotator[b].loc[shared]
        kappa = cohen_kappa_score(ya, yb, labels=classes) if (ya.nunique() > 1 or yb.nunique() > 1) else float("nan")
        pairs.append({"annotator_a": a, "annotator_b": b, "n_items": len(shared),
                      "agreement": float((ya.to_numpy() == yb.to_numpy()).mean()), "cohen_kappa": float(kappa)})
    pairwise = pd.DataFrame(pairs, columns=["annotator_a", "annotator_b", "n_items", "agreement", "cohen_kappa"])
    cohen = float(pairwise["cohen_kappa"].mean()) if len(pairwise) else float("nan")
    return Agreement(len(counts), len(by_annotator), p_bar, cohen, float(fleiss), pairwise)
