"""Rows without text and the end model, one rule for every place the final labels are made: the end model learns
from texts only and never labels a row without one; such a row keeps the label model's outcome.

:func:`present_texts` says which rows have a text (cleaning's None: missing, empty or only whitespace) and gives the
texts as the end model reads them; :func:`final_outcome` makes a block of rows' final probabilities and
``label_source`` by that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from weaksup.votes import has_vote

__all__ = ["final_outcome", "present_texts"]


def present_texts(cleaned: Any) -> tuple[np.ndarray, np.ndarray]:
    """The cleaned texts as the end model reads them (a row without text as ``""``) and which rows have a text.

    A row has no text where the cleaned column holds None or NaN: cleaning (:func:`weaksup.data.prepare`) turns a
    missing, empty or whitespace-only text into None. Such a row is no training row of the end model, and the end
    model does not label it (:func:`final_outcome`).

    Parameters
    ----------
    cleaned : Series, array or sequence
        The cleaned text of each row.

    Returns
    -------
    (object array of str, bool array)

    Examples
    --------
    >>> texts, present = present_texts(pd.Series(["Hi you", None, float("nan")]))
    >>> texts.tolist(), present.tolist()
    (['Hi you', '', ''], [True, False, False])
    """
    column = cleaned if isinstance(cleaned, pd.Series) else pd.Series(np.asarray(cleaned, dtype=object))
    present = column.notna().to_numpy(dtype=bool)
    return np.asarray(column.fillna("").astype(str).to_numpy(), dtype=object), present


def final_outcome(L: np.ndarray, present: np.ndarray, k: int,
                  end_model: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                  label_model: Callable[[np.ndarray], np.ndarray], *, guess_unvoted: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A block of rows' final probabilities ``(n, k)`` and ``label_source``: the end model's on the rows with a text,
    the label model's outcome on the others.

    A row without text (``present`` false) keeps the label model's outcome: its label where some LF voted
    (``"label_model"``), its guess where none did when ``guess_unvoted`` (a run's ``label_model.no_votes =
    "predict"``, which also applies to the rows with text that no LF voted on), else no label (uniform
    probabilities, ``label_source`` None): it is abstained on, whatever the tie-break.

    Parameters
    ----------
    L : int array (n, m)
        The rows' votes.
    present : bool array (n,)
        Which rows have a text (:func:`present_texts`).
    k : int
        The number of classes.
    end_model : callable
        ``rows -> (proba, label_source)`` of the rows at those indices of the block (rows with a text).
    label_model : callable
        ``rows -> proba``: the label model's probabilities of the rows at those indices.
    guess_unvoted : bool, default False
        The label model's guess on the rows no LF voted on.

    Examples
    --------
    >>> L = np.array([[1, -1], [0, -1], [-1, -1]])
    >>> proba, source = final_outcome(L, np.array([True, False, False]), 2,
    ...                               lambda rows: (np.tile([0.2, 0.8], (len(rows), 1)), np.full(len(rows), "end_model")),
    ...                               lambda rows: np.tile([0.9, 0.1], (len(rows), 1)))
    >>> proba.tolist(), source.tolist()
    ([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]], ['end_model', 'label_model', None])
    """
    proba = np.full((len(L), k), 1.0 / k)  # a row without text and without votes: no label (unless guessed)
    source = np.full(len(L), None, dtype=object)
    present = np.asarray(present, dtype=bool)
    rows = np.flatnonzero(present)
    if len(rows):
        proba[rows], source[rows] = end_model(rows)
    voted = has_vote(L)
    guessed = ~present & voted  # no text: the label model's label
    if guess_unvoted:
        guessed |= ~voted  # and its guess on the rows no LF voted on, text or not
    if guessed.any():
        proba[guessed] = label_model(np.flatnonzero(guessed))
        source[guessed] = "label_model"
    return proba, source
