"""One review task per distinct text: rows repeating a text (as the run's duplicate rule finds them) are not queued.

An input made of repeated texts (a corpus copied, a bot posting the same comment) routes every copy of an uncertain
text to review. A reviewer labels a text once; so before the queue is ordered, the candidate rows are grouped by
what the reviewer sees: the text cleaned as the run cleans it (:func:`weaksup.data.prepare`: NFKC, zero-width
characters and byte-order marks dropped, whitespace runs to one space; the run's ``duplicate_of`` rule), together
with the extra ``fields`` shown. Each group gives the queue one row, its most uncertain one (the first on ties); a
group whose text already has a gold label (a reviewed row) gives none. The copies left out keep their draft label:
the answer is imported for the queued row only. The multi-label and span review exports, which pick their own
candidates, take one row per text by the same rule (:func:`distinct_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from weaksup.errors import DataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistinctCandidates:
    """The result of :func:`distinct_candidates`.

    Attributes
    ----------
    keep : bool array (n,)
        The candidates to order: one per distinct text.
    same_text : int
        Candidates left out because another candidate, kept, shows the same text.
    gold_text : int
        Candidates left out because a row with a gold label (or reviewed) shows the same text.
    """

    keep: np.ndarray
    same_text: int
    gold_text: int

    def note(self) -> str:
        """What the queue's summary says of the candidates left out (``""`` when none were).

        Examples
        --------
        >>> DistinctCandidates(np.array([True]), 1200, 3).note()  # doctest: +ELLIPSIS
        '1,200 row(s) repeat the text of another queued ... row per distinct text), 3 repeat a text already in the...'
        >>> DistinctCandidates(np.array([True]), 0, 0).note()
        ''
        """
        if not self.same_text and not self.gold_text:
            return ""
        return (f"{self.same_text:,} row(s) repeat the text of another queued or queueable row (one row per distinct "
                f"text), {self.gold_text:,} repeat a text already in the gold set: left out, they keep their draft "
                "label")


def text_groups(texts: pd.DataFrame) -> np.ndarray:
    """A group number per row: rows in one group show the reviewer the same cleaned text and the same fields.

    The first column is the text, cleaned as the run cleans it (:func:`weaksup.data.prepare` with its defaults);
    the other columns (fields shown beside it) must be equal as they are. A row without text is a group of its own.

    Examples
    --------
    >>> frame = pd.DataFrame({"text": ["Nice  song\\ufeff", "Nice song", "nice song", None, None]})
    >>> text_groups(frame).tolist()
    [0, 0, 1, 2, 3]
    """
    from weaksup.data import prepare

    n = len(texts)
    column = texts.columns[0]
    frame = pd.DataFrame({"_id": np.arange(n), "_text": texts[column].to_numpy()})
    try:
        cleaned = prepare(frame, text="_text", id_column="_id", duplicates=False)[0]["_text"]
    except DataError:  # not text (e.g. a media path column of another type): compared as it is
        cleaned = pd.Series(texts[column].to_numpy(), dtype=object)
    text_codes = pd.factorize(cleaned)[0].astype(np.int64)
    missing = text_codes < 0  # each row without text alone
    text_codes[missing] = text_codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    codes = pd.DataFrame({"text": text_codes})
    for i, name in enumerate(texts.columns[1:]):
        codes[f"f{i}"] = pd.factorize(texts[name].astype(str).to_numpy())[0]
    groups: np.ndarray = codes.groupby(list(codes.columns), sort=False).ngroup().to_numpy(np.int64)
    return groups


def distinct_candidates(groups: np.ndarray, candidates: np.ndarray, score: Sequence[float] | np.ndarray,
                        done: np.ndarray) -> DistinctCandidates:
    """One candidate per text group (its highest ``score``, the first on ties), none in a group with a ``done`` row.

    Examples
    --------
    >>> out = distinct_candidates(np.array([0, 0, 1, 1, 2]), np.array([True, True, True, True, True]),
    ...                           [0.2, 0.9, 0.5, 0.5, 0.7], np.array([False, False, False, False, False]))
    >>> out.keep.tolist(), out.same_text, out.gold_text
    ([False, True, True, False, True], 2, 0)
    >>> distinct_candidates(np.array([0, 0, 1]), np.array([True, False, True]), [0.5, 0.5, 0.5],
    ...                     np.array([False, True, False])).gold_text
    1
    """
    cand = np.asarray(candidates, dtype=bool)
    s = np.asarray(score, dtype=np.float64)
    done_groups = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype=bool)
    done_groups[groups[np.asarray(done, dtype=bool)]] = True
    in_done = cand & done_groups[groups]
    open_rows = np.flatnonzero(cand & ~in_done)
    # the best row of each group: by group, then highest score, then first position
    order = open_rows[np.lexsort((open_rows, -s[open_rows], groups[open_rows]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    keep = np.zeros(len(cand), dtype=bool)
    keep[order[first]] = True
    out = DistinctCandidates(keep, int(len(order) - first.sum()), int(in_done.sum()))
    if out.same_text or out.gold_text:
        logger.info("review queue: %d candidate row(s) repeat the text of another candidate and %d the text of a "
                    "row with a gold label; one row per distinct text is queued (%d)", out.same_text, out.gold_text,
                    int(keep.sum()))
    return out


def distinct_rows(shown: pd.DataFrame, score: Sequence[float] | np.ndarray,
                  gold: pd.DataFrame | None = None) -> DistinctCandidates:
    """One row of ``shown`` per distinct text (:func:`text_groups`, :func:`distinct_candidates`): the queue of a task
    type that keeps its own candidates (multi-label, spans) takes one task per text, as the classification queue does.

    Parameters
    ----------
    shown : DataFrame
        The candidate rows as a reviewer sees them: the text first, then the fields shown beside it.
    score : array-like
        How much each candidate needs review (higher: more); a text's most uncertain candidate is kept.
    gold : DataFrame, optional
        The same columns for the rows with a gold label: a candidate showing one of their texts is left out.

    Examples
    --------
    >>> shown = pd.DataFrame({"text": ["hi  there", "hi there", "refund please", "bye"]})
    >>> out = distinct_rows(shown, [0.2, 0.9, 0.5, 0.4], gold=pd.DataFrame({"text": ["bye"]}))
    >>> out.keep.tolist(), out.same_text, out.gold_text
    ([False, True, True, False], 1, 1)
    """
    n = len(shown)
    if n == 0:
        return DistinctCandidates(np.zeros(0, dtype=bool), 0, 0)
    done = shown.iloc[:0] if gold is None else gold[list(shown.columns)]
    both = pd.concat([shown.reset_index(drop=True), done.reset_index(drop=True)], ignore_index=True)
    position = np.arange(len(both))
    found = distinct_candidates(text_groups(both), position < n,
                                np.concatenate([np.asarray(score, dtype=np.float64), np.zeros(len(done))]),
                                position >= n)
    return DistinctCandidates(found.keep[:n], found.same_text, found.gold_text)
