"""Apply span LFs to documents: :func:`apply_span_lfs` -> :class:`~weaksup.spans.votes.SpanVotes`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, LabelSpaceError, LFApplyError, LFDefinitionError
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.lfs import SpanLF, is_span_lf
from weaksup.spans.lfs_spacy import shared_spans
from weaksup.spans.space import SpanSpace
from weaksup.spans.votes import SpanVotes

__all__ = ["apply_span_lfs", "span_lfs_of"]

logger = logging.getLogger(__name__)

#: Documents per call of an LF's ``spans_batch`` (the progress bar moves once per chunk).
CHUNK = 512


def span_lfs_of(lfs: Any, space: SpanSpace | None = None) -> list[SpanLF]:
    """The span LFs of ``lfs`` (a sequence, a single LF, or a :class:`~weaksup.registry.Registry`), checked: span
    LFs only, unique names, and (given ``space``) entity types among the space's.

    Examples
    --------
    >>> from weaksup.spans.lfs_gazetteer import gazetteer_lf
    >>> [lf.name for lf in span_lfs_of([gazetteer_lf("drugs", ["aspirin"], label="Chemical")])]
    ['drugs']
    """
    if is_span_lf(lfs):
        lfs = [lfs]
    elif hasattr(lfs, "lfs") and not isinstance(lfs, (list, tuple)):
        lfs = lfs.lfs  # a Registry
    out: list[SpanLF] = []
    for lf in lfs:
        if not is_span_lf(lf):
            raise LFDefinitionError(
                f"{getattr(lf, 'name', lf)!r} is not a span LF (kind {getattr(lf, 'kind', type(lf).__name__)!r}); "
                "span tasks take gazetteer_lf, span_regex_lf, token_pattern_lf, span_model_lf or "
                "@span_labeling_function LFs"
            )
        out.append(lf)
    names = [lf.name for lf in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise LFDefinitionError(f"span LF names must be unique; repeated: {repeated}. Rename one of each")
    if space is not None:
        for lf in out:
            unknown = [t for t in lf.span_labels if t not in space.types]
            if unknown:
                raise LabelSpaceError(f"span LF {lf.name!r} (defined at {lf.source}) tags {unknown}, not entity types "
                                      f"of the task {list(space.types)}; fix its labels or add the type to [task] "
                                      "labels")
    return out


def _failure(lf: SpanLF, row_id: str, exc: BaseException) -> LFApplyError:
    return LFApplyError(
        f"span LF {lf.name!r} (defined at {lf.source}) failed on row {row_id!r}: {type(exc).__name__}: {exc}. "
        "Fix the LF, or pass fault_tolerant=True to count such documents as faults (the LF tags nothing there; in a "
        "run: lfs.fault_tolerant = true, or --set lfs.fault_tolerant=true)"
    )


def _one_by_one(lf: SpanLF, docs: Sequence[SpanDoc], ids: Sequence[str], fault_tolerant: bool,
                faults: dict[str, int]) -> list[list[Span]]:
    """``lf`` on each document alone: the row an exception comes from is named (or counted as a fault)."""
    out: list[list[Span]] = []
    for doc, row_id in zip(docs, ids):
        try:
            out.append(lf.spans(doc))
        except Exception as exc:  # noqa: BLE001 - user code: named, or counted when fault tolerant
            if not fault_tolerant:
                raise _failure(lf, row_id, exc) from exc
            logger.warning("span LF %r failed on row %r: %s: %s", lf.name, row_id, type(exc).__name__, exc)
            faults[lf.name] = faults.get(lf.name, 0) + 1
            out.append([])
    return out


def _found(lf: SpanLF, chunk: Sequence[SpanDoc], shared: list[list[Span]] | Exception | None,
           chunk_ids: Sequence[str], fault_tolerant: bool, faults: dict[str, int]) -> list[list[Span]]:
    """``lf``'s spans on a chunk: ``shared`` (its spans read from Docs shared with other LFs, or what it raised)
    when given, else its ``spans_batch``; an error reruns it document by document to name the row."""
    try:
        if isinstance(shared, Exception):
            raise shared
        found = lf.spans_batch(chunk) if shared is None else shared
        if len(found) != len(chunk):
            raise LFDefinitionError(f"spans_batch returned {len(found)} lists for {len(chunk)} documents")
    except Exception:  # noqa: BLE001 - rerun one by one to name the row
        found = _one_by_one(lf, chunk, chunk_ids, fault_tolerant, faults)
    return found


def _checked_spans(lf: SpanLF, found: list[list[Span]], docs: Sequence[SpanDoc], ids: Sequence[str],
                   space: SpanSpace, fault_tolerant: bool, faults: dict[str, int]) -> Iterable[list[Span]]:
    """Each document's spans, after checking offsets and types (a bad span is the LF's fault, named by row)."""
    for doc, row_id, spans in zip(docs, ids, found):
        bad = [s for s in spans if not (0 <= s.start < s.end <= doc.n_tokens) or s.label not in space.types]
        if bad:
            exc = DataError(f"it tagged {bad[0]!r} on a document of {doc.n_tokens} tokens (types "
                            f"{list(space.types)}; token offsets 0 <= start < end <= n_tokens)")
            if not fault_tolerant:
                raise _failure(lf, row_id, exc)
            faults[lf.name] = faults.get(lf.name, 0) + 1
            spans = []
        yield spans


def apply_span_lfs(docs: Sequence[SpanDoc], lfs: Any, space: SpanSpace, *, row_ids: Sequence[str] | None = None,
                   progress: bool = False, fault_tolerant: bool = False) -> SpanVotes:
    """Apply span LFs to documents: the spans each LF tags in each document, as :class:`SpanVotes`.

    Each LF runs on chunks of :data:`CHUNK` documents through its ``spans_batch`` (the vectorised pass of kinds
    that have one), chunk after chunk; the spaCy LFs sharing a pipeline read each document's spaCy ``Doc`` in turn,
    built once for all of them and dropped after (:func:`~weaksup.spans.lfs_spacy.shared_spans`). An LF raising
    is a :class:`~weaksup.errors.LFApplyError` naming the LF and the row id (the chunk is rerun document by
    document to find it), unless ``fault_tolerant``: then the LF tags nothing on that
    document and ``votes.faults[lf.name]`` counts it. A span outside its document or of a type outside ``space``
    is the same kind of fault.

    Parameters
    ----------
    docs : sequence of SpanDoc
    lfs : sequence of span LFs, or a Registry of them
        Their order is the order of ``votes.lf_ids``.
    space : SpanSpace
        The task's entity types; every LF's ``labels`` must be among them.
    row_ids : sequence of str, optional
        One id per document (``"0", "1", ...`` by default), used in errors and kept in the votes.
    progress : bool, default False
        Show a progress bar (``tqdm.auto``) over LFs times documents.
    fault_tolerant : bool, default False

    Returns
    -------
    SpanVotes
        Documents in the order given, LFs in the order given.

    Examples
    --------
    >>> from weaksup.spans.lfs_gazetteer import gazetteer_lf
    >>> from weaksup.spans.lfs_regex import span_regex_lf
    >>> docs = [SpanDoc.from_text("lithium causes tremor"), SpanDoc.from_text("no drug here")]
    >>> lfs = [gazetteer_lf("drugs", ["lithium"], label="Chemical"), span_regex_lf("or", r"\\w+or\\b", label="Disease")]
    >>> votes = apply_span_lfs(docs, lfs, SpanSpace(["Chemical", "Disease"]), row_ids=["a", "b"])
    >>> votes.spans[["doc", "lf", "start", "end", "label"]].values.tolist()
    [[0, 0, 0, 1, 'Chemical'], [0, 1, 2, 3, 'Disease']]
    """
    if not isinstance(space, SpanSpace):
        raise LabelSpaceError(f"apply_span_lfs needs a SpanSpace of the entity types; got {type(space).__name__}")
    docs = list(docs)
    bad = [i for i, d in enumerate(docs) if not isinstance(d, SpanDoc)]
    if bad:
        raise DataError(f"apply_span_lfs takes SpanDoc documents; document {bad[0]} is {type(docs[bad[0]]).__name__}"
                        ". Build them with SpanDoc.from_text(text, tokenizer=...)")
    ids = [str(i) for i in range(len(docs))] if row_ids is None else [str(r) for r in row_ids]
    if len(ids) != len(docs):
        raise DataError(f"apply_span_lfs got {len(ids)} row_ids for {len(docs)} documents (one id per document)")
    checked = span_lfs_of(lfs, space)
    faults: dict[str, int] = {lf.name: 0 for lf in checked}
    frames: list[pd.DataFrame] = []
    bar = _bar(progress, len(checked) * len(docs))
    try:
        for lo in range(0, len(docs), CHUNK):
            chunk, chunk_ids = docs[lo:lo + CHUNK], ids[lo:lo + CHUNK]
            shared = shared_spans(checked, chunk)
            for j, lf in enumerate(checked):
                found = _found(lf, chunk, shared.pop(id(lf), None), chunk_ids, fault_tolerant, faults)
                rows = [(lo + k, s.start, s.end, s.label)
                        for k, spans in enumerate(_checked_spans(lf, found, chunk, chunk_ids, space, fault_tolerant,
                                                                 faults)) for s in spans]
                if rows:
                    frame = pd.DataFrame(rows, columns=["doc", "start", "end", "label"])
                    frame.insert(1, "lf", j)
                    frames.append(frame)
                if bar is not None:
                    bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    spans = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"doc": np.zeros(0, np.int64), "lf": np.zeros(0, np.int32), "start": np.zeros(0, np.int32),
         "end": np.zeros(0, np.int32), "label": np.zeros(0, object)})
    spans = spans.astype({"doc": np.int64, "lf": np.int32, "start": np.int32, "end": np.int32})
    n_tokens = np.fromiter((d.n_tokens for d in docs), dtype=np.int64, count=len(docs))
    if any(faults.values()):
        logger.warning("span LF faults (documents where the LF failed and tagged nothing): %s",
                       {k: v for k, v in faults.items() if v})
    return SpanVotes(n_tokens, [lf.lf_id for lf in checked], space, spans, row_ids=ids, faults=faults)


def _bar(progress: bool, total: int) -> Any:
    if not progress or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="span LFs", unit="doc")
