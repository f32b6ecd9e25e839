"""Words that tell groups of texts apart: :func:`contrastive_terms`, on texts cleaned by :func:`clean_text`.

Used to name clusters (:mod:`weaksup.clusters`): the words and word pairs over-represented in a cluster against
the other rows, without English stop words (scikit-learn's list, no download, plus contraction parts), HTML tags
or entities, or bare numbers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CONTRACTION_PARTS", "TOKEN_PATTERN", "clean_text", "contrastive_terms", "stop_words"]

#: Tokens of two or more word characters with at least one letter (no bare numbers such as ``39`` or ``000``).
TOKEN_PATTERN = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"
#: Left by the tokenizer from contractions ("don't" -> "don"), on top of scikit-learn's English stop words.
CONTRACTION_PARTS = frozenset({"ain", "aren", "couldn", "didn", "doesn", "don", "dont", "hadn", "hasn", "haven", "im",
                               "isn", "ive", "ll", "shouldn", "thats", "ve", "wasn", "weren", "won", "wouldn", "youre"})
_TAG = re.compile(r"<[^>]{0,200}>")


def clean_text(text: Any) -> str:
    """The text as words: HTML entities decoded and tags dropped (``&#39;`` and ``<br />`` are no terms).

    Examples
    --------
    >>> clean_text("I&#39;m here<br /><br />now"), clean_text(None)
    ("I'm here  now", '')
    """
    return _TAG.sub(" ", html.unescape(text)) if isinstance(text, str) else ""


def stop_words() -> list[str]:
    """scikit-learn's English stop words (no download) and :data:`CONTRACTION_PARTS`, sorted.

    Examples
    --------
    >>> {"the", "don", "and"} <= set(stop_words()), "song" in stop_words()
    (True, False)
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | CONTRACTION_PARTS)


def contrastive_terms(present: Any, labels: np.ndarray, vocabulary: Sequence[str], n_terms: int = 5) -> list[list[str]]:
    """The ``n_terms`` terms most over-represented in each cluster against the rest of the rows.

    A term's score in cluster ``c`` is ``p_in * log(p_in / p_out)``, with ``p_in`` and ``p_out`` the (smoothed)
    shares of rows inside and outside ``c`` that contain it: frequent in the cluster *and* rarer elsewhere.
    Terms the rest uses as often are never chosen (a word every cluster shares names none), nor terms in fewer
    than two of the cluster's rows (one when it has one row). A term sharing a word with a term shown already is
    skipped (``love song`` after ``love``, ``song`` after ``love song``): each term says something new.

    Parameters
    ----------
    present : sparse or dense matrix (n_rows, n_vocabulary)
        Non-zero where the row contains the term (counts or TF-IDF weights).
    labels : int array (n_rows,)
        The cluster of each row, ``0..n-1``.
    vocabulary : sequence of str
        The term of each column.
    n_terms : int, default 5

    Returns
    -------
    list of list of str
        Per cluster, best first.

    Examples
    --------
    >>> X = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1]])
    >>> contrastive_terms(X, np.array([0, 0, 1, 1]), ["video", "subscribe", "song"])
    [['subscribe'], ['song']]
    """
    from scipy import sparse

    labels = np.asarray(labels, dtype=np.int64)
    rows = len(labels)
    n = int(labels.max()) + 1 if rows else 0
    hits = sparse.csr_matrix(present, dtype=float)
    hits.data = (hits.data != 0).astype(float)
    member = sparse.csr_matrix((np.ones(rows), (labels, np.arange(rows))), shape=(n, rows))
    inside = np.asarray((member @ hits).todense())  # (n, vocabulary): rows of the cluster holding the term
    total = inside.sum(axis=0)
    sizes = np.bincount(labels, minlength=n).astype(float)
    words = [str(t) for t in vocabulary]
    found: list[list[str]] = []
    for c in range(n):
        p_in = (inside[c] + 0.5) / (sizes[c] + 1.0)
        p_out = (total - inside[c] + 0.5) / (rows - sizes[c] + 1.0)
        score = p_in * np.log(p_in / p_out)
        rest = max(rows - sizes[c], 1.0)
        not_more = inside[c] / max(sizes[c], 1.0) <= (total - inside[c]) / rest  # raw shares: no smoothing bias
        score[(inside[c] < min(2.0, sizes[c])) | not_more] = -np.inf
        chosen: list[str] = []
        shown: set[str] = set()
        for i in np.argsort(-score, kind="stable"):
            if not np.isfinite(score[i]) or len(chosen) == n_terms:
                break
            parts = set(words[i].split())
            if parts & shown:  # a pair with a shown word, or a word of a shown pair: the same thing again
                continue
            chosen.append(words[i])
            shown |= parts
        found.append(chosen)
    return found
