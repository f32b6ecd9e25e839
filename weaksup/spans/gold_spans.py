"""Gold char spans meet a run's documents: their offsets (:func:`gold_offset`: integers only), the text a span
says it covers (:class:`GoldSpan`), and their token spans (:func:`token_spans` for one document,
:func:`check_token_spans` for a split, every problem in one error).

A gold span may carry the ``text`` it covers (``{"start": 15, "end": 26, "label": "PHONE", "text": "09061701461"}``):
the gold set keeps it, and where the gold spans meet the documents' texts (a run's gold check, a review import
with ``--run``) a span whose text is not the text at its offsets is refused: its offsets are off (counted in
UTF-16 units or bytes, or taken from another version of the text).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from weaksup.errors import GoldSetError, Problems

if TYPE_CHECKING:
    from weaksup.spans.doc import Span, SpanDoc

#: A gold span in char offsets: ``(start, end, label)``.
CharSpan = tuple[int, int, str]

#: What to do about a gold span that does not fall on the run's tokens.
CUT_FIX = ("set [task] tokenizer to one that splits there (\"regex\" splits punctuation off words, \"spacy\" as "
           "spaCy does), or move the span's ends to token boundaries in the gold set")


class GoldSpan(tuple[int, int, str]):
    """A gold char span ``(start, end, label)`` (equal to the plain tuple) with the ``text`` it says it covers
    (None when the gold set does not say). Every span of a loaded gold set is one, so what takes token spans
    (:class:`~weaksup.spans.workbench.SpanWorkbench`'s ``gold``) can tell char offsets from token offsets.

    Examples
    --------
    >>> span = GoldSpan(4, 8, "MONEY", "£500")
    >>> span == (4, 8, "MONEY"), span.text, list(span)
    (True, '£500', [4, 8, 'MONEY'])
    """

    text: str | None

    def __new__(cls, start: int, end: int, label: str, text: str | None = None) -> GoldSpan:
        span = super().__new__(cls, (start, end, label))
        span.text = text
        return span

    def __getnewargs__(self) -> tuple[Any, ...]:  # type: ignore[override]  # pickled and copied with its text
        return (*self, self.text)


def gold_offset(value: Any) -> int | None:
    """A gold span's char offset as an int; None when ``value`` is not a whole number (a string, a bool, a float
    with a fraction): an offset is never rounded or parsed.

    Examples
    --------
    >>> gold_offset(15), gold_offset(15.0), gold_offset(15.9), gold_offset("26"), gold_offset(True)
    (15, 15, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def token_spans(doc: SpanDoc, spans: Iterable[CharSpan], *, row_id: str, where: str = "gold set",
                problems: Problems | None = None, cut_fix: str = CUT_FIX) -> list[Span]:
    """Gold char spans as token spans of ``doc``.

    Raises
    ------
    GoldSetError
        For a span whose start or end is not a token boundary of ``doc`` (naming the row, the span, the text
        and the tokens it falls in, and the fix), that runs past the text, or whose ``text``
        (:class:`GoldSpan`) is not the text at its offsets. With ``problems``, each is recorded there instead
        (the span left out), for one error listing them all (:func:`check_token_spans`). ``cut_fix`` is what a
        span that cuts a token is told to do.

    Examples
    --------
    >>> from weaksup.spans.doc import SpanDoc
    >>> doc = SpanDoc.from_text("Aspirin causes pain")
    >>> token_spans(doc, [(15, 19, "Disease")], row_id="d1")
    [Span(start=2, end=3, label='Disease')]
    >>> token_spans(doc, [(0, 3, "Chemical")], row_id="d1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold set: row 'd1': the span 0..3 'Asp' (Chemical) does not fall on token ...
    >>> token_spans(doc, [(15, 40, "Disease")], row_id="d1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold set: row 'd1': the span 15..40 (Disease) runs past the text (19 characters: ...
    >>> token_spans(doc, [GoldSpan(15, 19, "Disease", "pains")], row_id="d1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold set: row 'd1': the span 15..19 (Disease) says its text is 'pains' but ...
    """
    from weaksup.spans.doc import Span

    def refuse(code: str, message: str) -> None:
        if problems is None:
            raise GoldSetError(f"{where}: {message}")
        problems.add(code, message, where=where)

    starts = {s: i for i, s in enumerate(doc.starts)}
    ends = {e: i + 1 for i, e in enumerate(doc.ends)}
    out = []
    for span in spans:
        start, end, label = span
        said = getattr(span, "text", None)
        if not 0 <= start < end <= len(doc.text):
            refuse("outside_text", f"row {row_id!r}: the span {start}..{end} ({label}) runs past the text "
                   f"({len(doc.text)} characters: {doc.text[:60]!r}); gold spans are character offsets into the "
                   "row's text as given: fix the span, or check that the gold set belongs to this input")
        elif said is not None and said != doc.text[start:end]:
            refuse("text_differs", f"row {row_id!r}: the span {start}..{end} ({label}) says its text is {said!r} "
                   f"but the row's text there is {doc.text[start:end]!r} (offsets counted in another unit, e.g. "
                   "UTF-16 around emoji or bytes, or taken from another version of the text); fix the span's "
                   "offsets in the gold set (char offsets into the row's text), or check that the gold set belongs "
                   "to this input")
        elif start in starts and end in ends and starts[start] < ends[end]:
            out.append(Span(starts[start], ends[end], label))
        else:
            near = doc.token_span(start, end)
            tokens = list(doc.tokens[near[0]:near[1]]) if near else []
            refuse("cuts_tokens", f"row {row_id!r}: the span {start}..{end} {doc.text[start:end]!r} ({label}) does "
                   f"not fall on token boundaries (it cuts the tokens {tokens}); " + cut_fix)
    return sorted(out)


def check_token_spans(docs: Sequence[SpanDoc], targets: Iterable[Iterable[CharSpan]], row_ids: Sequence[str], *,
                      where: str, cut_fix: str = CUT_FIX) -> list[list[Span]]:
    """Every document's gold char spans as token spans (:func:`token_spans`); one :class:`GoldSetError` lists
    every span that cuts a token, runs past its text or says another text (the first
    :attr:`GoldSetError.MAX_LISTED`, then how many more).

    Examples
    --------
    >>> from weaksup.spans.doc import SpanDoc
    >>> docs = [SpanDoc.from_text("Aspirin causes pain"), SpanDoc.from_text("No pain")]
    >>> check_token_spans(docs, [[(0, 3, "Chemical")], [(0, 1, "Disease")]], ["d1", "d2"], where="gold set")
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold set has 2 problems:
      gold set: row 'd1': the span 0..3 'Asp' (Chemical) does not fall on token boundaries (it cuts the tokens ['Aspirin']); set [task] tokenizer to one that splits there ("regex" splits punctuation off words, "spacy" as spaCy does), or move the span's ends to token boundaries in the gold set
      gold set: row 'd2': the span 0..1 'N' (Disease) does not fall on token boundaries (it cuts the tokens ['No']); set [task] tokenizer to one that splits there ("regex" splits punctuation off words, "spacy" as spaCy does), or move the span's ends to token boundaries in the gold set
    """
    problems = Problems(where)
    out = [token_spans(doc, spans, row_id=str(r), where=where, problems=problems, cut_fix=cut_fix)
           for doc, spans, r in zip(docs, targets, row_ids)]
    problems.raise_if_any(GoldSetError)
    return out
