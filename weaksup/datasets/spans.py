"""Span benchmark datasets in the WRENCH/CHMM span format (``../shared/data/spans/<set>``).

A folder holds ``meta.json`` (``lf``: the LF names in the order of ``weak_labels``; ``entity_types``;
``lf_rec``: the LFs WRENCH recommends) and any of ``train.json``, ``valid.json``, ``test.json``: an
object from a string id to ``{"data": {"text": [token, ...]}, "label": [[start, end, "TYPE"], ...],
"weak_labels": [[[start, end, "TYPE"], ...] for each LF]}`` (token offsets, ``end`` exclusive).

Documents are rebuilt with :meth:`SpanDoc.from_tokens` (text = tokens joined by one space); row ids
are ``"<split>-<id>"``, unique across the splits of a folder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DatasetError, LabelSpaceError, ParameterError, UnknownLFError
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.space import SpanSpace
from weaksup.spans.votes import SpanVotes

logger = logging.getLogger(__name__)

__all__ = ["SPAN_SPLITS", "SpanSplit", "find_span_folders", "is_span_folder", "load_span_split", "span_lf_names",
           "span_splits"]

#: The splits of a span folder, in this order.
SPAN_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class SpanSplit:
    """One split of a span dataset: documents, LF span votes and gold spans (one list per document)."""

    docs: list[SpanDoc]
    votes: SpanVotes
    gold: list[list[Span]]
    space: SpanSpace
    row_ids: list[str]

    @property
    def n_docs(self) -> int:
        """The number of documents."""
        return len(self.docs)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from None


def is_span_folder(folder: str | Path) -> bool:
    """Whether a folder is in the span format: ``meta.json`` with ``entity_types`` and at least one split.

    Examples
    --------
    >>> is_span_folder("/nonexistent")
    False
    """
    path = Path(folder)
    if not (path / "meta.json").is_file() or not any((path / f"{s}.json").is_file() for s in SPAN_SPLITS):
        return False
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "entity_types" in meta and "lf" in meta


def find_span_folders(root: str | Path) -> list[Path]:
    """The span-format folders under ``root`` (``root`` itself included), sorted by path.

    Examples
    --------
    >>> find_span_folders("/nonexistent")
    []
    """
    base = Path(root)
    if not base.is_dir():
        return []
    found = [base] if is_span_folder(base) else []
    found += [p.parent for p in base.rglob("meta.json") if p.parent != base and is_span_folder(p.parent)]
    return sorted(found)


def span_splits(folder: str | Path) -> list[str]:
    """The splits present in a span folder, in the order train, valid, test.

    Examples
    --------
    >>> span_splits("/nonexistent")
    []
    """
    path = Path(folder)
    return [s for s in SPAN_SPLITS if (path / f"{s}.json").is_file()]


def _meta(folder: Path) -> dict[str, Any]:
    meta = _read_json(folder / "meta.json")
    if not isinstance(meta, dict) or not isinstance(meta.get("lf"), list) or "entity_types" not in meta:
        raise DatasetError(f"{folder / 'meta.json'}: expected an object with 'lf' (LF names) and 'entity_types'")
    return meta


def span_lf_names(folder: str | Path, lfs: str | Sequence[str] = "all") -> list[str]:
    """The LF names ``lfs`` selects: ``"all"`` (meta's ``lf``), ``"rec"`` (meta's ``lf_rec``) or a list of names."""
    meta = _meta(Path(folder))
    names = [str(x) for x in meta["lf"]]
    if isinstance(lfs, str):
        if lfs == "all":
            return names
        if lfs == "rec":
            if not isinstance(meta.get("lf_rec"), list):
                raise DatasetError(f"{Path(folder) / 'meta.json'} has no 'lf_rec' list; use lfs='all' or LF names")
            lfs = [str(x) for x in meta["lf_rec"]]
        else:
            raise ParameterError(f"lfs={lfs!r}: use 'all', 'rec' or a list of LF names of {names}")
    chosen = [str(x) for x in lfs]
    unknown = [x for x in chosen if x not in names]
    if unknown:
        raise UnknownLFError(f"{Path(folder) / 'meta.json'} has no LFs {unknown}; its LFs are {names}")
    return chosen


def _spans(raw: Any, where: str) -> list[tuple[int, int, str]]:
    if not isinstance(raw, list):
        raise DatasetError(f"{where}: expected a list of [start, end, type] spans; got {raw!r:.120}")
    out = []
    for item in raw:
        if (not isinstance(item, (list, tuple)) or len(item) != 3 or not isinstance(item[0], int)
                or not isinstance(item[1], int) or not isinstance(item[2], str)):
            raise DatasetError(f"{where}: a span must be [start, end, type] (ints, ints, str); got {item!r:.120}")
        out.append((item[0], item[1], item[2]))
    return out


def load_span_split(folder: str | Path, split: str, *, lfs: str | Sequence[str] = "all",
                    scheme: str = "BIO") -> SpanSplit:
    """Load one split of a span folder.

    Parameters
    ----------
    folder : str or Path
        A span-format folder (``meta.json`` and ``{split}.json``).
    split : {"train", "valid", "test"}
    lfs : "all", "rec" or sequence of str
        The LFs to keep: all of meta's ``lf``, WRENCH's recommended ``lf_rec``, or these names (in that order).
    scheme : {"BIO", "IO"}
        The tag scheme of the span space.

    Returns
    -------
    SpanSplit

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "meta.json").write_text(json.dumps({"lf": ["dict", "rule"], "entity_types": ["Disease"]}))
    >>> doc = {"data": {"text": ["copper", "toxicosis", "."]}, "label": [[0, 2, "Disease"]],
    ...        "weak_labels": [[[1, 2, "Disease"]], []]}
    >>> _ = (folder / "test.json").write_text(json.dumps({"0": doc}))
    >>> part = load_span_split(folder, "test")
    >>> part.gold, part.votes.lf_spans(0, "dict"), part.row_ids, part.docs[0].text
    ([[Span(start=0, end=2, label='Disease')]], [Span(start=1, end=2, label='Disease')], ['test-0'], 'copper toxicosis .')
    """
    path = Path(folder)
    if split not in SPAN_SPLITS:
        raise ParameterError(f"unknown split {split!r}; use one of {list(SPAN_SPLITS)}")
    if not (path / f"{split}.json").is_file():
        raise DatasetError(f"{path} has no {split}.json; the splits present are {span_splits(path)}")
    meta = _meta(path)
    all_names = [str(x) for x in meta["lf"]]
    chosen = span_lf_names(path, lfs)
    columns = np.array([all_names.index(x) for x in chosen], dtype=np.int64)
    new_col = np.full(len(all_names), -1, dtype=np.int64)
    new_col[columns] = np.arange(len(columns))
    try:
        space = SpanSpace([str(t) for t in meta["entity_types"]], scheme=scheme)
    except LabelSpaceError as exc:
        raise DatasetError(f"{path / 'meta.json'}: bad 'entity_types' ({exc})") from None
    raw = _read_json(path / f"{split}.json")
    file = path / f"{split}.json"
    if not isinstance(raw, dict):
        raise DatasetError(f"{file}: expected a JSON object {{id: {{data, label, weak_labels}}}}")
    docs: list[SpanDoc] = []
    gold: list[list[Span]] = []
    row_ids: list[str] = []
    doc_col: list[int] = []
    lf_col: list[int] = []
    triples: list[tuple[int, int, str]] = []
    for d, (key, item) in enumerate(raw.items()):
        where = f"{file}: document {key!r}"
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict) or "text" not in item["data"]:
            raise DatasetError(f"{where}: expected {{'data': {{'text': [tokens]}}, 'label': [...], "
                               f"'weak_labels': [...]}}")
        doc = SpanDoc.from_tokens(item["data"]["text"])
        weak = item.get("weak_labels", [])
        if not isinstance(weak, list) or len(weak) != len(all_names):
            raise DatasetError(f"{where}: 'weak_labels' must hold one span list per LF of meta.json "
                               f"({len(all_names)}); got {len(weak) if isinstance(weak, list) else weak!r}")
        labelled = []
        for s, e, t in _spans(item.get("label", []), f"{where} 'label'"):
            if t not in space.types:
                raise LabelSpaceError(f"{where}: gold span [{s}, {e}, {t!r}] has a type outside meta.json's "
                                      f"entity_types {list(space.types)}")
            if not 0 <= s < e <= doc.n_tokens:
                raise DatasetError(f"{where}: gold span [{s}, {e}, {t!r}] is outside its {doc.n_tokens} tokens")
            labelled.append(Span(s, e, t))
        for j in columns.tolist():
            spans = _spans(weak[j], f"{where} LF {all_names[j]!r}")
            triples.extend(spans)
            doc_col.extend([d] * len(spans))
            lf_col.extend([int(new_col[j])] * len(spans))
        docs.append(doc)
        gold.append(labelled)
        row_ids.append(f"{split}-{key}")
    frame = pd.DataFrame({
        "doc": np.asarray(doc_col, dtype=np.int64), "lf": np.asarray(lf_col, dtype=np.int32),
        "start": np.asarray([t[0] for t in triples], dtype=np.int64),
        "end": np.asarray([t[1] for t in triples], dtype=np.int64),
        "label": np.asarray([t[2] for t in triples], dtype=object)})
    n_tokens = np.fromiter((doc.n_tokens for doc in docs), dtype=np.int64, count=len(docs))
    votes = SpanVotes(n_tokens, chosen, space, frame, row_ids)
    logger.info("loaded %s/%s: %d documents, %d tokens, %d LFs, %d LF spans", path.name, split, len(docs),
                int(n_tokens.sum()), len(chosen), len(frame))
    return SpanSplit(docs=docs, votes=votes, gold=gold, space=space, row_ids=row_ids)
