"""What the annotators of a span review decide: each document's spans by majority (:func:`majority_spans`), the
documents they disagree on and what became of them (:func:`span_conflict_notes`), and their agreement
(:func:`span_agreement`).

The rule is the one of the classification and multi-label imports, applied per span: a span is gold when more
than half of the document's annotators marked it, and left out when fewer than half did (a majority decided it
is not an entity). A span exactly half of them marked has no majority either way (one of two annotators marked
``87121`` PHONE): the document is then TIED and is left out of the import, named in what the import prints, as a
tied classification or multi-label row is. Keeping it without that span would write "87121 is no entity" into
gold on half the votes, and keeping the span would write the other half's answer: either is a guess, and a gold
document must hold all its entities (a span missing from a gold document is scored as a false positive).
A tied document that the gold set holds already keeps its earlier spans; another answer breaks the tie.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from weaksup.spans.review import SpanAnswers

#: A char span ``(start, end, label)``.
CharSpan = tuple[int, int, str]

#: The decisions of :func:`majority_spans`: every annotator marked the same spans, a majority decided every span,
#: or some span was marked by exactly half of the annotators (the document is left out).
AGREED, MAJORITY, TIED = "agreed", "majority", "tied"

#: At most this many disagreeing documents are listed one by one.
SHOWN = 10


def span_agreement(answers: SpanAnswers) -> float:
    """Mean exact-match F1 between pairs of annotators of the same document (nan when no document has two).

    Examples
    --------
    >>> from weaksup.spans.review import SpanAnswers
    >>> frame = pd.DataFrame({"row_id": ["a", "a"], "annotator": ["x", "y"], "text": ["", ""],
    ...                       "spans": [[(0, 3, "C"), (5, 9, "D")], [(0, 3, "C")]]})
    >>> round(span_agreement(SpanAnswers(frame)), 3)
    0.667
    """
    scores = []
    for _, group in latest_answers(answers.frame).groupby("row_id", sort=False):
        for a, b in combinations([set(s) for s in group["spans"]], 2):
            scores.append(1.0 if not a and not b else 2 * len(a & b) / (len(a) + len(b)))
    return float(sum(scores) / len(scores)) if scores else float("nan")


def latest_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """One answer per (document, annotator): the last in the export (an annotator who answered twice is one vote,
    as in the classification import).

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["a", "a", "a"], "annotator": ["x", "x", "y"], "spans": [[1], [2], []]})
    >>> latest_answers(frame)["spans"].tolist()
    [[2], []]
    """
    return frame.drop_duplicates(["row_id", "annotator"], keep="last")


def _shown(text: str, spans: list[CharSpan]) -> str:
    return ", ".join(f"{s}..{e} {label} {text[s:e]!r}" for s, e, label in spans) or "(no entity)"


def majority_spans(answers: SpanAnswers) -> pd.DataFrame:
    """One row per document: ``row_id``, ``annotator`` (its annotators joined by ``+``), ``text``, ``spans`` (those
    more than half of its annotators marked), ``status`` (:data:`AGREED`, :data:`MAJORITY`, or :data:`TIED` when
    some span was marked by exactly half of them: the document has no decided spans and is left out of an import)
    and ``answers`` (each annotator's spans, for a document they disagree on; ``""`` otherwise).

    Examples
    --------
    >>> from weaksup.spans.review import SpanAnswers
    >>> text = "WIN £500 txt 87121"
    >>> money, phone = (4, 8, "MONEY"), (13, 18, "PHONE")
    >>> frame = pd.DataFrame({"row_id": ["h1", "h1", "h2", "h2", "h2"], "annotator": ["u1", "u2", "u1", "u2", "u3"],
    ...                       "text": [text] * 5, "spans": [[money, phone], [money], [money, phone], [money], [money]]})
    >>> decided = majority_spans(SpanAnswers(frame))
    >>> decided[["row_id", "status", "spans"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'row_id': 'h1', 'status': 'tied', 'spans': [(4, 8, 'MONEY')]},
     {'row_id': 'h2', 'status': 'majority', 'spans': [(4, 8, 'MONEY')]}]
    >>> decided["answers"][0]
    "u1=4..8 MONEY '£500', 13..18 PHONE '87121'; u2=4..8 MONEY '£500'"
    """
    rows = []
    for row_id, group in latest_answers(answers.frame).groupby("row_id", sort=False):
        n, text = len(group), str(group["text"].iloc[0])
        sets = [sorted(set(s)) for s in group["spans"]]
        votes = Counter(span for spans in sets for span in spans)
        kept = sorted(span for span, k in votes.items() if 2 * k > n)
        if all(s == sets[0] for s in sets):
            status, shown = AGREED, ""
        else:
            status = TIED if any(2 * k == n for k in votes.values()) else MAJORITY
            shown = "; ".join(f"{a or '(anonymous)'}={_shown(text, s)}" for a, s in zip(group["annotator"], sets))
        rows.append({"row_id": str(row_id), "annotator": "+".join(sorted(set(group["annotator"]))), "text": text,
                     "spans": kept, "status": status, "answers": shown})
    return pd.DataFrame(rows, columns=["row_id", "annotator", "text", "spans", "status", "answers"])


def span_conflict_notes(decided: pd.DataFrame, *, held: AbstractSet[str] = frozenset(), split: str = "dev"
                        ) -> list[str]:
    """The lines an import prints about the documents of ``decided`` (:func:`majority_spans`) whose annotators
    disagree: the tied ones (left out, named), then each disagreeing document and what became of it (``held``:
    the row ids the gold set holds already, which keep their earlier spans when tied).

    Examples
    --------
    >>> decided = pd.DataFrame({"row_id": ["h1"], "annotator": ["u1+u2"], "text": ["WIN £500 txt 87121"],
    ...                         "spans": [[(4, 8, "MONEY")]], "status": [TIED], "answers": ["u1=...; u2=..."]})
    >>> print("\\n".join(span_conflict_notes(decided)))  # doctest: +NORMALIZE_WHITESPACE
    1 document(s) where no majority decides a span (exactly half of the annotators marked it): left out: h1
    1 document(s) with disagreeing spans:
      h1: u1=...; u2=... [tied: dev row left out of the gold set until another answer breaks the tie]
    """
    lines = []
    tied = list(decided.loc[decided["status"] == TIED, "row_id"])
    if tied:
        lines.append(f"{len(tied)} document(s) where no majority decides a span (exactly half of the annotators "
                     f"marked it): left out: {', '.join(tied[:SHOWN])}"
                     + (f" and {len(tied) - SHOWN} more" if len(tied) > SHOWN else ""))
    conflicts = decided[decided["status"] != AGREED]
    if len(conflicts):
        lines.append(f"{len(conflicts)} document(s) with disagreeing spans:")
    for rec in conflicts.head(2 * SHOWN).to_dict("records"):
        if rec["status"] == MAJORITY:
            what = f"majority per span: {_shown(str(rec['text']), list(rec['spans']))}"
        elif rec["row_id"] in held:
            what = "tied: not written; the document keeps its gold spans before"
        else:
            what = f"tied: {split} row left out of the gold set until another answer breaks the tie"
        lines.append(f"  {rec['row_id']}: {rec['answers']} [{what}]")
    if len(conflicts) > 2 * SHOWN:
        lines.append(f"  ... and {len(conflicts) - 2 * SHOWN} more")
    return lines
