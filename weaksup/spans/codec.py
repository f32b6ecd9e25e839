"""How a spans run stores its votes: one row per input row (a document), one text cell per vote column.

A spans run keeps the run's storage of one row per input row (so the vote store saves, reuses and resumes
a chunk's votes, and the outputs are written chunk by chunk in input order), with ``m + 1`` columns:

- one column per span LF (:class:`SpanColumn`, stored as ``name@version#tokenizer``): the LF's spans in that
  document, token offsets, ``[[start, end, "Type"], ...]`` (``[]``: it tagged nothing);
- last, ``__doc__@<tokenizer>`` (:class:`DocColumn`): the document as the LFs saw it,
  ``[text, [s0, e0, s1, e1, ...]]`` (the cleaned text and its tokens' char offsets), so the label model, the
  outputs and the gold alignment never tokenize again (and never disagree with the LFs about tokens). It
  belongs to the last LF (recomputed with it: the task type's ``apply`` always appends it, and the run keeps
  it only when that LF was voted).

The token-level vote matrix of the contract (:meth:`SpanVotes.token_votes`) has one row per token: a chunk's
rows would not be the input's rows, and an edited LF could not be recomputed alone. A per-document cell per
LF keeps both properties and converts losslessly (:func:`decode_block` gives the :class:`SpanVotes`).

Examples
--------
>>> from weaksup.spans.doc import Span, SpanDoc
>>> doc = SpanDoc.from_text("Aspirin causes pain")
>>> decode_doc(encode_doc(doc)) == doc
True
>>> encode_spans([Span(0, 1, "Chemical")])
'[[0,1,"Chemical"]]'
>>> decode_spans('[[0,1,"Chemical"]]')
[Span(start=0, end=1, label='Chemical')]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.errors import VoteMatrixError

if TYPE_CHECKING:
    from weaksup.spans.doc import Span, SpanDoc
    from weaksup.spans.space import SpanSpace
    from weaksup.spans.votes import SpanVotes

#: The name of the document column of a spans run's votes.
DOC_COLUMN = "__doc__"


@dataclass(frozen=True)
class SpanColumn:
    """An LF's column in a spans run: its id carries the tokenizer, since its token offsets depend on it."""

    lf: Any
    tokenizer: str

    @property
    def name(self) -> str:
        """The LF's name."""
        return str(self.lf.name)

    @property
    def version(self) -> str:
        """The LF's version."""
        return str(self.lf.version)

    @property
    def lf_id(self) -> str:
        """``"name@version#tokenizer"``."""
        return f"{self.lf.lf_id}#{self.tokenizer}"


@dataclass(frozen=True)
class DocColumn:
    """The first vote column of a spans run: each document's text and token offsets (by ``tokenizer``)."""

    tokenizer: str

    @property
    def name(self) -> str:
        """``"__doc__"``."""
        return DOC_COLUMN

    @property
    def version(self) -> str:
        """The tokenizer: a run with another tokenizer recomputes the documents (and every LF's spans)."""
        return self.tokenizer

    @property
    def lf_id(self) -> str:
        """``"__doc__@<tokenizer>"``."""
        return f"{DOC_COLUMN}@{self.tokenizer}"


def encode_doc(doc: SpanDoc) -> str:
    """A document as a compact JSON cell: ``[text, [s0, e0, s1, e1, ...]]``."""
    offsets = [x for pair in zip(doc.starts, doc.ends) for x in pair]
    return json.dumps([doc.text, offsets], ensure_ascii=False, separators=(",", ":"))


def decode_doc(cell: Any) -> SpanDoc:
    """The document :func:`encode_doc` wrote.

    Raises
    ------
    VoteMatrixError
        When the cell is not such a document (a damaged vote part: run with ``--fresh``).
    """
    from weaksup.spans.doc import SpanDoc

    try:
        text, offsets = json.loads(cell)
        starts, ends = tuple(int(x) for x in offsets[0::2]), tuple(int(x) for x in offsets[1::2])
        tokens = tuple(text[s:e] for s, e in zip(starts, ends))
        return SpanDoc(text=str(text), tokens=tokens, starts=starts, ends=ends)
    except (TypeError, ValueError) as exc:
        raise VoteMatrixError(f"a spans run's document cell is not [text, offsets] ({exc}); its saved votes are "
                              "damaged: run again with --fresh") from None


def encode_spans(spans: Iterable[Span | tuple[int, int, str]]) -> str:
    """An LF's spans in one document as a compact JSON cell (token offsets)."""
    return json.dumps([[int(s[0]), int(s[1]), str(s[2])] for s in spans], ensure_ascii=False, separators=(",", ":"))


def decode_spans(cell: Any) -> list[Span]:
    """The spans :func:`encode_spans` wrote.

    Raises
    ------
    VoteMatrixError
        When the cell is not a list of ``[start, end, label]`` (a damaged vote part: run with ``--fresh``).
    """
    from weaksup.spans.doc import Span

    try:
        return [Span(int(s), int(e), str(t)) for s, e, t in json.loads(cell)]
    except (TypeError, ValueError) as exc:
        raise VoteMatrixError(f"a spans run's vote cell {str(cell)[:60]!r} is not a list of [start, end, label] "
                              f"({exc}); its saved votes are damaged: run again with --fresh") from None


def encode_votes(docs: Sequence[SpanDoc], votes: SpanVotes) -> np.ndarray:
    """The ``(n, m + 1)`` object block of text cells of ``votes`` (an LF's spans per document), the document
    column last."""
    n, m = len(docs), len(votes.lf_ids)
    cells: list[list[list[list[Any]]]] = [[[] for _ in range(m)] for _ in range(n)]
    frame = votes.spans
    for d, j, s, e, t in zip(frame["doc"].to_numpy(), frame["lf"].to_numpy(), frame["start"].to_numpy(),
                             frame["end"].to_numpy(), frame["label"].to_numpy()):
        cells[int(d)][int(j)].append([int(s), int(e), str(t)])
    block = np.empty((n, m + 1), dtype=object)
    for i in range(n):
        block[i, m] = encode_doc(docs[i])
        for j in range(m):
            block[i, j] = json.dumps(sorted(cells[i][j]), ensure_ascii=False, separators=(",", ":"))
    return block


def decode_block(L: np.ndarray, lf_ids: Sequence[str], space: SpanSpace, row_ids: Sequence[str] | None = None
                 ) -> tuple[list[SpanDoc], SpanVotes]:
    """The documents and :class:`SpanVotes` of a spans run's ``(n, m + 1)`` vote block (``lf_ids``: the names
    of the ``m`` LF columns, before the document column).

    Examples
    --------
    >>> from weaksup.spans.doc import SpanDoc
    >>> from weaksup.spans.space import SpanSpace
    >>> doc = SpanDoc.from_text("Aspirin causes pain")
    >>> L = np.array([['[[0,1,"Chemical"]]', encode_doc(doc)]], dtype=object)
    >>> docs, votes = decode_block(L, ["chem@1"], SpanSpace(["Chemical"]))
    >>> votes.lf_spans(0, 0), docs[0].tokens
    ([Span(start=0, end=1, label='Chemical')], ('Aspirin', 'causes', 'pain'))
    """
    import pandas as pd

    from weaksup.spans.votes import SpanVotes

    L = np.asarray(L, dtype=object)
    m = len(lf_ids)
    if L.ndim != 2 or L.shape[1] != m + 1:
        raise VoteMatrixError(f"a spans run's vote block has {L.shape[-1] if L.ndim == 2 else 0} columns for {m} "
                              "LFs and the document column; its saved votes are damaged: run again with --fresh")
    docs = [decode_doc(cell) for cell in L[:, m]]
    rows: dict[str, list[Any]] = {"doc": [], "lf": [], "start": [], "end": [], "label": []}
    for i in range(len(L)):
        for j in range(len(lf_ids)):
            for span in decode_spans(L[i, j]):
                rows["doc"].append(i)
                rows["lf"].append(j)
                rows["start"].append(span.start)
                rows["end"].append(span.end)
                rows["label"].append(span.label)
    frame = pd.DataFrame({"doc": np.asarray(rows["doc"], dtype=np.int64), "lf": np.asarray(rows["lf"], dtype=np.int32),
                          "start": np.asarray(rows["start"], dtype=np.int32),
                          "end": np.asarray(rows["end"], dtype=np.int32),
                          "label": pd.Series(rows["label"], dtype=object)})
    n_tokens = np.array([doc.n_tokens for doc in docs], dtype=np.int64)
    votes = SpanVotes(n_tokens, list(lf_ids), space, frame, row_ids=row_ids)
    return docs, votes


def load_span_votes(run_dir: str | Path) -> tuple[list[SpanDoc], SpanVotes]:
    """The documents and span votes a spans run saved in ``run_dir/votes/`` (every chunk, in row order; each part
    verified against the sha256 its index entry recorded), LFs named as the run's label model knows them.

    Raises
    ------
    DataError
        When the folder holds no saved votes, or not a spans run's (its ``run.json``).
    """
    import pyarrow.parquet as pq

    from weaksup.errors import DataError
    from weaksup.pipeline.vote_store import read_verified
    from weaksup.spans.space import SpanSpace

    folder = Path(run_dir)
    try:
        doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        index = json.loads((folder / "votes" / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder}: no saved votes of a finished run ({exc}); run `weaksup apply CONFIG` first"
                        ) from None
    if doc.get("task_type") != "spans":
        raise DataError(f"{folder} is a {doc.get('task_type')!r} run, not a spans run: use weaksup.pipeline.load_votes")
    space = SpanSpace(doc["label_space"], scheme=str(doc["config"]["task"].get("scheme") or "BIO"))
    blocks, ids, names = [], [], []
    for entry in index["parts"]:
        path, _, _ = read_verified(folder / "votes", entry, require_hash=False)
        table = pq.read_table(path)  # verified above; Parquet read from bytes in memory may abort at exit (pyarrow 25)
        names = [c for c in table.column_names if c != "row_id"]
        blocks.append(np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in names]))
        ids += [str(r) for r in table.column("row_id").to_pylist()]
    lf_names = [name.partition("@")[0] for name in names[:-1]]
    return decode_block(np.concatenate(blocks), lf_names, space, row_ids=ids)
