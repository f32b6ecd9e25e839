"""A workbench for span LFs: preview what an LF tags (each span highlighted), its coverage and, on the dev gold,
its precision and recall; the span LF summary of all of them.

:class:`SpanWorkbench` holds the documents (and the dev gold of those that have one); :meth:`SpanWorkbench.preview`
returns a :class:`SpanPreview`, shown as HTML in a notebook and as text with ``[spans|Type]`` in a terminal.
"""

from __future__ import annotations

import html
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, ParameterError, UnknownLFError
from weaksup.render import NOTEBOOK_STYLE, html_table
from weaksup.spans.apply import apply_span_lfs, span_lfs_of
from weaksup.spans.doc import Span, SpanDoc, Tokenizer
from weaksup.spans.gold import SpanGoldSet
from weaksup.spans.gold_spans import GoldSpan, check_token_spans
from weaksup.spans.lfs import SpanLF, is_whole
from weaksup.spans.metrics import span_metrics
from weaksup.spans.space import SpanSpace
from weaksup.spans.summary import span_lf_summary
from weaksup.spans.votes import SpanVotes

__all__ = ["SHOW", "SpanPreview", "SpanWorkbench", "render_spans"]

#: Which documents a preview shows: where the LF tags spans, where it is wrong on dev, where it misses dev
#: gold spans of its types, or any.
SHOW = ("fired", "errors", "missed", "all")
_COLOURS = ("#ffe066", "#a5d8ff", "#b2f2bb", "#ffc9c9", "#d0bfff", "#ffd8a8", "#99e9f2", "#eebefa")


def _windows(doc: SpanDoc, spans: Sequence[Span], context: int) -> list[tuple[int, int]]:
    """Char windows of ``doc.text`` around the spans (merged), or the whole text when it is short."""
    if len(doc.text) <= 2 * context + 80 or not spans:
        return [(0, min(len(doc.text), 4 * context + 160))]
    merged: list[list[int]] = []
    for span in sorted(spans):
        cs, ce = doc.char_span(span)
        lo, hi = max(0, cs - context), min(len(doc.text), ce + context)
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(a, b) for a, b in merged]


def render_spans(doc: SpanDoc, spans: Iterable[Sequence[Any]], *, gold: Iterable[Sequence[Any]] | None = None, as_html: bool = False,
                 context: int = 60, types: Sequence[str] = ()) -> str:
    """``doc``'s text with ``spans`` marked: ``[heart failure|Disease]`` in text, ``<mark>`` in HTML.

    Long documents show windows of ``context`` characters around the spans, joined by `` … ``. With ``gold``,
    a span not in the gold is marked wrong (``[x|Disease✗]``, red in HTML) and a gold span it misses is shown as
    ``{missed|Disease}`` (dashed in HTML). Overlapping spans: the first (then longest) is marked.

    Examples
    --------
    >>> doc = SpanDoc.from_text("Congestive heart failure after lithium")
    >>> render_spans(doc, [Span(1, 3, "Disease")], gold=[Span(1, 3, "Disease"), Span(4, 5, "Chemical")])
    'Congestive [heart failure|Disease] after {lithium|Chemical}'
    >>> render_spans(doc, [Span(4, 5, "Chemical")], as_html=True).count("<mark")
    1
    """
    pred = sorted({Span(int(s[0]), int(s[1]), str(s[2])) for s in spans}, key=lambda s: (s.start, -s.end))
    gold_set = None if gold is None else {Span(int(s[0]), int(s[1]), str(s[2])) for s in gold}
    missed = [] if gold_set is None else sorted(gold_set - set(pred))
    colour = {t: _COLOURS[i % len(_COLOURS)] for i, t in enumerate(dict.fromkeys([*types, *(s.label for s in pred)]))}
    marks: list[tuple[int, int, str, str]] = []  # (cstart, cend, label, state) non-overlapping
    taken = np.zeros(doc.n_tokens, dtype=bool)
    for state, group in (("ok", pred), ("missed", missed)):
        for span in group:
            if taken[span.start:span.end].any():
                continue
            taken[span.start:span.end] = True
            bad = state == "ok" and gold_set is not None and span not in gold_set
            marks.append((*doc.char_span(span), span.label, "bad" if bad else state))
    marks.sort()
    esc = html.escape if as_html else (lambda s: s)
    pieces = []
    for lo, hi in _windows(doc, [Span(s, e, "") for s, e in _token_ranges(doc, marks)], context):
        out, pos = ["…" if lo > 0 else ""], lo
        for cs, ce, label, state in marks:
            if cs < lo or ce > hi:
                continue
            out.append(esc(doc.text[pos:cs]))
            word = doc.text[cs:ce]
            if as_html:
                style = {"ok": f"background:{colour.get(label, _COLOURS[0])}",
                         "bad": f"background:{colour.get(label, _COLOURS[0])};outline:2px solid #b00020",
                         "missed": "background:none;border:1px dashed #555"}[state]
                out.append(f"<mark style='{style}' title='{html.escape(label)} ({state})'>{html.escape(word)}"
                           f"<sub>{html.escape(label)}</sub></mark>")
            else:
                out.append({"ok": f"[{word}|{label}]", "bad": f"[{word}|{label}✗]", "missed": f"{{{word}|{label}}}"}
                           [state])
            pos = ce
        out.append(esc(doc.text[pos:hi]) + ("…" if hi < len(doc.text) else ""))
        pieces.append("".join(out))
    return " ".join(pieces)


def _token_ranges(doc: SpanDoc, marks: Sequence[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    ranges = [doc.token_span(cs, ce) for cs, ce, _, _ in marks]
    return [r for r in ranges if r is not None]


def _per_lf(votes: SpanVotes) -> dict[str, list[list[Span]]]:
    """Each LF's spans per document, from the votes' span table in one pass."""
    out: dict[str, list[list[Span]]] = {lf_id: [[] for _ in range(votes.n_docs)] for lf_id in votes.lf_ids}
    columns = [votes.spans[c].tolist() for c in ("doc", "lf", "start", "end", "label")]
    for doc, lf, start, end, label in zip(*columns):
        out[votes.lf_ids[lf]][doc].append(Span(start, end, label))
    return out


@dataclass(frozen=True, repr=False)
class SpanPreview:
    """What one span LF tags on the workbench's documents, and how well on the dev gold.

    Attributes
    ----------
    lf : SpanLF
    n_docs, docs_covered, n_spans : int
        Documents, documents with at least one span, spans tagged.
    coverage : float
        ``docs_covered / n_docs``.
    token_coverage : float
        Share of all tokens inside a span of the LF.
    per_type : dict
        Spans tagged per entity type.
    n_dev : int
        Documents with dev gold.
    precision, recall, f1 : float
        Exact-match span scores on the dev documents (recall over the gold spans of the LF's types); nan
        without dev gold.
    examples : list
        ``(row_id, doc, spans, gold or None)`` of the documents shown.
    """

    lf: SpanLF
    n_docs: int
    docs_covered: int
    n_spans: int
    token_coverage: float
    per_type: dict[str, int]
    n_dev: int
    precision: float
    recall: float
    f1: float
    show: str
    examples: list[tuple[str, SpanDoc, list[Span], list[Span] | None]] = field(repr=False)

    @property
    def coverage(self) -> float:
        """Share of documents where the LF tags at least one span."""
        return self.docs_covered / self.n_docs if self.n_docs else 0.0

    def stats(self) -> pd.DataFrame:
        """The figures as a one-row table."""
        return pd.DataFrame([{"lf": self.lf.lf_id, "kind": self.lf.kind, "spans": self.n_spans,
                              "coverage": self.coverage, "token_coverage": self.token_coverage,
                              "dev_docs": self.n_dev, "precision": self.precision, "recall": self.recall,
                              "f1": self.f1}])

    def __repr__(self) -> str:
        return self.__str__()

    def __str__(self) -> str:
        head = (f"{self.lf.lf_id} ({self.lf.kind}): {self.n_spans} spans in {self.docs_covered}/{self.n_docs} docs "
                f"(coverage {self.coverage:.3f}, tokens {self.token_coverage:.3f}); "
                + (f"dev P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} on {self.n_dev} docs"
                   if self.n_dev else "no dev gold"))
        lines = [head, f"{self.show} documents ([span|Type]" + ("; ✗ wrong, {missed}" if self.n_dev else "") + "):"]
        for row_id, doc, spans, gold in self.examples:
            lines.append(f"  {row_id}: {render_spans(doc, spans, gold=gold)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(f"<tr><td>{html.escape(row_id)}</td><td>"
                        f"{render_spans(doc, spans, gold=gold, as_html=True, types=self.lf.span_labels)}</td></tr>"
                        for row_id, doc, spans, gold in self.examples)
        return (f"{NOTEBOOK_STYLE}<div class='weaksup-wb'><b>SpanPreview of {html.escape(self.lf.lf_id)}</b>"
                f"{html_table(self.stats())}<p>{html.escape(self.show)} documents (red outline: not in the dev gold;"
                f" dashed: a dev gold span it missed)</p><table>{items}</table></div>")


class SpanWorkbench:
    """Span LFs on a set of documents, some with dev gold: previews, the LF summary, the votes.

    Parameters
    ----------
    docs : sequence of SpanDoc or str
        Strings are tokenized with ``tokenizer``.
    space : SpanSpace
    row_ids : sequence of str, optional
    gold : SpanGoldSet, sequence (one per document; None where a document has none) or mapping row id -> spans
        The dev gold: a span gold set (its dev split, char offsets aligned to the documents' tokens with
        :func:`~weaksup.spans.gold.token_spans`; its rows that are not documents here are left aside), or token
        spans (a gold set's char spans are refused there). Never pass test gold: LFs are written on dev.
    lfs : iterable of span LFs, optional
    tokenizer : str or callable, default "whitespace"
    seed : int, default 0
        Which documents previews sample.

    Examples
    --------
    >>> from weaksup.spans.lfs_gazetteer import gazetteer_lf
    >>> wb = SpanWorkbench(["aspirin eased the headache", "no aspirin"], SpanSpace(["Chemical", "Disease"]),
    ...                    gold=[[Span(0, 1, "Chemical"), Span(3, 4, "Disease")], None])
    >>> p = wb.preview(gazetteer_lf("drugs", ["aspirin"], label="Chemical"))
    >>> p.docs_covered, p.precision, p.recall
    (2, 1.0, 1.0)
    >>> print(str(p).splitlines()[2])
      0: [aspirin|Chemical] eased the headache
    """

    def __init__(self, docs: Sequence[SpanDoc | str], space: SpanSpace, *, row_ids: Sequence[str] | None = None,
                 gold: SpanGoldSet | Sequence[Sequence[Span] | None] | Mapping[str, Sequence[Span]] | None = None,
                 lfs: Iterable[SpanLF] = (), tokenizer: Tokenizer = "whitespace", seed: int = 0) -> None:
        if not isinstance(space, SpanSpace):
            raise ParameterError(f"SpanWorkbench needs a SpanSpace; got {type(space).__name__}")
        self.docs = [d if isinstance(d, SpanDoc) else SpanDoc.from_text(d, tokenizer) for d in docs]
        self.space = space
        self.row_ids = [str(i) for i in range(len(self.docs))] if row_ids is None else [str(r) for r in row_ids]
        if len(self.row_ids) != len(self.docs):
            raise DataError(f"SpanWorkbench got {len(self.row_ids)} row_ids for {len(self.docs)} documents")
        if isinstance(gold, SpanGoldSet):
            gold = self._dev_of(gold)
        if isinstance(gold, Mapping):
            unknown = sorted(set(map(str, gold)) - set(self.row_ids))
            if unknown:
                raise DataError(f"SpanWorkbench gold names rows that are not documents: {unknown[:5]}")
            gold = [gold.get(r) for r in self.row_ids]
        elif gold is not None and len(gold) != len(self.docs):
            raise DataError(f"SpanWorkbench got gold for {len(gold)} documents; pass one entry per document "
                            f"({len(self.docs)}; None where a document has none) or a mapping row id -> spans")
        if len(set(self.row_ids)) != len(self.row_ids):
            repeated = sorted({r for r in self.row_ids if self.row_ids.count(r) > 1})
            raise DataError(f"SpanWorkbench: row_ids repeat (e.g. {repeated[:3]}); give each document its own id")
        self.gold: list[list[Span] | None] = [None if g is None else [self._gold_span(s, i) for s in g]
                                              for i, g in enumerate(gold or [None] * len(self.docs))]
        self.dev = np.array([i for i, g in enumerate(self.gold) if g is not None], dtype=np.int64)
        self.seed = seed
        self._lfs: dict[str, SpanLF] = {}
        self._spans: dict[str, list[list[Span]]] = {}
        self.add(*lfs)

    def _dev_of(self, gold: SpanGoldSet) -> dict[str, list[Span]]:
        """The dev split of a span gold set as token spans of the documents it labels (one error naming every span
        off their tokens)."""
        dev = gold.spans("dev")
        at = {r: i for i, r in enumerate(self.row_ids)}
        ids = [str(r) for r in dev.index if str(r) in at]
        if len(dev) and not ids:
            raise DataError(f"SpanWorkbench: none of the {len(dev)} dev row ids of the span gold set "
                            f"{gold.describe()} is a document here (e.g. {list(dev.index[:3])}; the documents' ids "
                            f"are {self.row_ids[:3]}...); pass row_ids= (the input's row ids) with the documents")
        spans = check_token_spans([self.docs[at[r]] for r in ids], [dev[r] for r in ids], ids,
                                  where=f"span gold set {gold.describe()} (dev split)")
        return dict(zip(ids, spans))

    def _gold_span(self, item: Any, i: int) -> Span:
        """A dev gold span of document ``i``, checked: token offsets inside it, an entity type of the space."""
        if isinstance(item, GoldSpan):
            raise DataError(f"SpanWorkbench gold of row {self.row_ids[i]!r}: {tuple(item)!r} is a span of a span gold "
                            "set, in char offsets; the workbench's gold spans are token offsets: pass gold=the "
                            "SpanGoldSet itself (its dev split is aligned to the documents' tokens), or convert each "
                            "row with weaksup.spans.gold.token_spans(doc, spans, row_id=...)")
        parts = list(item) if isinstance(item, (tuple, list)) else None
        if parts is None or len(parts) != 3 or not (is_whole(parts[0]) and is_whole(parts[1])):
            raise DataError(f"SpanWorkbench gold of row {self.row_ids[i]!r}: {item!r} is not a span; give "
                            "Span(start, end, label) or (start, end, label) in token offsets")
        span = Span(operator.index(parts[0]), operator.index(parts[1]), str(parts[2]))
        n = self.docs[i].n_tokens
        if not 0 <= span.start < span.end <= n:
            raise DataError(f"SpanWorkbench gold of row {self.row_ids[i]!r}: {span} is outside its {n} tokens "
                            "(gold spans here are token offsets; char offsets are for gold sets)")
        if span.label not in self.space.types:
            raise DataError(f"SpanWorkbench gold of row {self.row_ids[i]!r}: entity type {span.label!r} is not one "
                            f"of {list(self.space.types)}")
        return span

    @property
    def lfs(self) -> list[SpanLF]:
        """The LFs added, in order."""
        return list(self._lfs.values())

    def add(self, *lfs: SpanLF) -> None:
        """Add LFs (an LF with the name of one already here replaces it: edit, re-run the cell)."""
        for lf in span_lfs_of(list(lfs), self.space):
            self._lfs[lf.name] = lf

    def spans_of(self, lf: SpanLF | str) -> list[list[Span]]:
        """The spans ``lf`` tags in each document (applied once per LF version)."""
        lf = self._lookup(lf)
        if lf.lf_id not in self._spans:
            self._spans.update(_per_lf(apply_span_lfs(self.docs, [lf], self.space, row_ids=self.row_ids)))
        return self._spans[lf.lf_id]

    def _lookup(self, lf: SpanLF | str) -> SpanLF:
        if isinstance(lf, str):
            if lf not in self._lfs:
                raise UnknownLFError(f"no span LF {lf!r} in the workbench; it has {sorted(self._lfs)}")
            return self._lfs[lf]
        return span_lfs_of([lf], self.space)[0]

    def preview(self, lf: SpanLF | str, n: int = 5, *, show: str = "fired") -> SpanPreview:
        """What ``lf`` tags: figures over all documents, dev precision/recall, and ``n`` documents (see
        :data:`SHOW`) with each span marked. The LF need not be added."""
        if show not in SHOW:
            raise ParameterError(f"show must be one of {list(SHOW)}; got {show!r}")
        lf = self._lookup(lf)
        found = self.spans_of(lf)
        n_tok = sum(d.n_tokens for d in self.docs)
        covered_tokens = sum(int(np.unique(np.concatenate([np.arange(s.start, s.end) for s in spans])).size)
                             for spans in found if spans)
        dev = self.dev.tolist()
        own = set(lf.span_labels)
        gold_dev = [[s for s in self.gold[i] or [] if s.label in own] for i in dev]
        scores = span_metrics(gold_dev, [found[i] for i in dev], types=self.space) if dev else {}
        wrong = {i for i in dev if set(found[i]) - set(self.gold[i] or [])}
        missed = {i for i, g in zip(dev, gold_dev) if set(g) - set(found[i])}
        pool = {"fired": [i for i, s in enumerate(found) if s], "errors": sorted(wrong), "missed": sorted(missed),
                "all": list(range(len(self.docs)))}[show]
        rng = np.random.default_rng(self.seed)
        chosen = sorted(rng.choice(pool, size=n, replace=False).tolist()) if len(pool) > n else pool
        per_type = pd.Series([s.label for spans in found for s in spans], dtype=object).value_counts()
        return SpanPreview(
            lf=lf, n_docs=len(self.docs), docs_covered=sum(1 for s in found if s), n_spans=sum(map(len, found)),
            token_coverage=covered_tokens / n_tok if n_tok else 0.0,
            per_type={str(k): int(v) for k, v in per_type.items()}, n_dev=len(dev),
            precision=float(scores.get("precision", np.nan)), recall=float(scores.get("recall", np.nan)),
            f1=float(scores.get("f1", np.nan)), show=show,
            examples=[(self.row_ids[i], self.docs[i], found[i],
                       None if self.gold[i] is None else [s for s in self.gold[i] or [] if s.label in own])
                      for i in chosen],
        )

    def votes(self, *, progress: bool = False) -> SpanVotes:
        """The spans of every LF in every document (:func:`~weaksup.spans.apply.apply_span_lfs`, reusing the
        spans of LFs already previewed)."""
        missing = [lf for lf in self.lfs if lf.lf_id not in self._spans]
        if missing:
            self._spans.update(_per_lf(apply_span_lfs(self.docs, missing, self.space, row_ids=self.row_ids,
                                                      progress=progress)))
        rows = [(d, j, s.start, s.end, s.label) for j, lf in enumerate(self.lfs)
                for d, spans in enumerate(self._spans[lf.lf_id]) for s in spans]
        frame = pd.DataFrame(rows, columns=["doc", "lf", "start", "end", "label"]).astype(
            {"doc": np.int64, "lf": np.int32, "start": np.int32, "end": np.int32, "label": object})
        return SpanVotes([d.n_tokens for d in self.docs], [lf.lf_id for lf in self.lfs], self.space, frame,
                         row_ids=self.row_ids)

    def dev_votes(self) -> tuple[SpanVotes, list[list[Span]]]:
        """The votes of the dev documents and their gold (for a label model's ``dev=`` or scoring)."""
        return self.votes().take(self.dev.tolist()), [list(self.gold[i] or []) for i in self.dev.tolist()]

    def summary(self) -> pd.DataFrame:
        """:func:`~weaksup.spans.summary.span_lf_summary` of every LF over all documents, with ``precision``,
        ``recall`` and ``f1`` on the dev documents (nan without dev gold)."""
        votes = self.votes()
        frame = span_lf_summary(votes)
        if len(self.dev):
            dev_votes, gold = self.dev_votes()
            scores = span_lf_summary(dev_votes, gold)[["lf", "precision", "recall", "f1"]]
            frame = frame.merge(scores, on="lf", how="left")
        else:
            frame = frame.assign(precision=np.nan, recall=np.nan, f1=np.nan)
        return frame
