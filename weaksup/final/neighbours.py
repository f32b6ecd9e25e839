"""Label propagation for the final labels' self-training: the labels of a row's nearest labeled neighbours.

The end model labels the rows no LF votes on from their words alone (TF-IDF). Their nearest labeled rows in a
sentence-embedding space (:func:`weaksup.embed.embed`) see the meaning instead, and the two disagree on
different rows, so :class:`weaksup.FinalLabeler` (``neighbours=k``) self-trains on the geometric mean of both
(:func:`mix_proba`). Measured on dev only: with 20-200 dev gold rows of the shipped YouTube example, scored on
the rest of dev, ``neighbours=10, self_train=3`` raised the final labels from 0.963-0.965 to 0.967-0.974
accuracy; on the test split it did not (README, *Does weak supervision earn its keep?*), so it is off by default
(``benchmarks/earn_its_keep.py --neighbours``).

It needs the rows' texts: :func:`texts_needed` is the one rule refusing it where the end model reads the rows'
columns instead (a run's input without a text column, a frame of columns given to :class:`weaksup.FinalLabeler`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weaksup.calibration import EPS

__all__ = ["BLOCK_ROWS", "end_model_columns", "mix_proba", "neighbour_proba", "texts_needed"]

#: Query rows compared with the labeled rows at a time (bounds the similarity block's memory).
BLOCK_ROWS = 512


def neighbour_proba(queries: Any, labeled: Any, labeled_proba: Any, k: int = 10) -> np.ndarray:
    """``(n_queries, n_classes)``: the cosine-weighted mean label of each query's ``k`` most similar labeled rows.

    Similarities below 0 count as 0; a query with no positive neighbour gets the labeled rows' mean label.
    ``labeled_proba`` rows are normalised first (weighted labels keep their class shares).

    Parameters
    ----------
    queries, labeled : array (n, d)
        Unit-norm embeddings (a dot product is their cosine).
    labeled_proba : array (n_labeled, n_classes)
        The labels of the labeled rows (probabilities, or one-hot gold).
    k : int, default 10

    Examples
    --------
    >>> ref = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> labels = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> neighbour_proba(np.array([[1.0, 0.05], [0.1, 1.0]]), ref, labels, k=1).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    q = np.asarray(queries, dtype=np.float32)
    ref = np.asarray(labeled, dtype=np.float32)
    p = np.asarray(labeled_proba, dtype=float)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), EPS)
    out = np.tile(p.mean(axis=0) if len(p) else np.zeros(p.shape[1]), (len(q), 1))
    n_near = min(int(k), len(ref))
    if not len(q) or not n_near:
        return out
    for start in range(0, len(q), BLOCK_ROWS):
        sim = q[start:start + BLOCK_ROWS] @ ref.T
        near = np.argpartition(-sim, n_near - 1, axis=1)[:, :n_near]
        w = np.take_along_axis(sim, near, axis=1).clip(0).astype(float)
        total = w.sum(axis=1)
        block = np.einsum("qn,qnc->qc", w, p[near]) / np.maximum(total, EPS)[:, None]
        has = total > 0
        out[start:start + BLOCK_ROWS][has] = block[has]
    return out


def mix_proba(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The normalised geometric mean of two ``(n, k)`` probability arrays.

    Examples
    --------
    >>> mix_proba(np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])).round(2).tolist()
    [[0.75, 0.25]]
    """
    z = 0.5 * np.log(np.clip(a, EPS, 1.0)) + 0.5 * np.log(np.clip(b, EPS, 1.0))
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def texts_needed(neighbours: int, setting: str, columns: str | None, fix: str) -> str | None:
    """The one rule of label propagation without texts (a run's ``[end_model] neighbours``, the engines',
    :class:`~weaksup.FinalLabeler`'s ``neighbours``): it finds each row's neighbours among sentence embeddings of the
    rows' texts, so it is refused when the end model reads the rows' columns instead, however many (one, or none
    once the id is left out). ``columns`` says what the end model reads (None: one text per row); returns the
    problem, naming ``setting`` and the ``fix``, or None.

    Examples
    --------
    >>> texts_needed(3, "neighbours=3", None, "set neighbours=0") is None  # texts: fine
    True
    >>> texts_needed(3, "neighbours=3", "a DataFrame of columns ['amount']", "set neighbours=0")
    "neighbours=3 finds each row's neighbours among sentence embeddings of the rows' texts, and the end model \
reads the rows' columns instead (a DataFrame of columns ['amount']): set neighbours=0"
    """
    if not neighbours or columns is None:
        return None
    return (f"{setting} finds each row's neighbours among sentence embeddings of the rows' texts, and the end model "
            f"reads the rows' columns instead ({columns}): {fix}")


def end_model_columns(features: Any) -> str | None:
    """What an end model's ``features`` are when they are not one text per row (a DataFrame, of any width, or a
    2-D array), for :func:`texts_needed`; None for texts (a list, 1-D array or Series).

    Examples
    --------
    >>> import pandas as pd
    >>> end_model_columns(["buy now", "nice song"]) is None, end_model_columns(pd.DataFrame({"amount": [1.5]}))
    (True, "a DataFrame of columns ['amount']")
    """
    columns = getattr(features, "columns", None)
    if columns is not None:
        shown = [str(c) for c in list(columns)[:5]]
        return f"a DataFrame of columns {shown}" + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
    ndim = getattr(features, "ndim", None)
    ndim = np.ndim(features) if ndim is None else ndim
    return None if ndim == 1 else f"{type(features).__name__} of shape {np.shape(features)}"
