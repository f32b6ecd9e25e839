"""Span benchmark datasets in the WRENCH/CHMM span format (``../shared/data/spans/<set>``).

A folder holds ``meta.json`` (``lf``: the LF names in the order of ``weak_labels``; ``entity_types``;
``lf_rec``: the LFs WRENCH recommends) and any of ``train.json``, ``valid.json``, ``test.json``: an
object from a string id to ``{"data": {"text": [token, ...]}, "label": [[start, end, "TYPE"], ...],
"weak_labels": [[[start, end, "TYPE"], ...] for each LF]}`` (token offsets, ``end`` exclusive).
WRENCH's own sequence format loads too: ``label`` one tag per token (``"O"``, ``"B-TYPE"``,
``"I-TYPE"``) and ``weak_labels`` one list per token of one tag per LF (names or BIO ids, ``"O"`` =
no span; spans decoded with BIO repair).

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
from weaksup.spans.tags import span_rows_from_votes, spans_from_tags
from weaksup.spans.votes import SpanVotes

logger = logging.getLogger(__name__)

__all__ = ["SPAN_SPLITS", "SpanSplit", "find_span_folders", "is_span_folder", "load_span_split", "span_lf_names",
           "span_splits"]

#: The splits of a span folder, in this order.
SPAN_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class SpanSplit:
    """One split of a span dataset: documents, LF span votes and gold spans (one list per document).

    Examples
    --------
    >>> part = SpanSplit([SpanDoc.from_tokens(["a"])], SpanVotes([1], ["f"], SpanSpace(["X"]), pd.DataFrame(
    ...     {"doc": [0], "lf": [0], "start": [0], "end": [1], "label": ["X"]})), [[]], SpanSpace(["X"]), ["0"])
    >>> part.n_docs
    1
    """

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
    return isinstance(meta, dict) and "entity_types" in meta and ("lf" in meta or "num_lf" in meta)


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
    if isinstance(meta, dict) and "lf" not in meta and isinstance(meta.get("num_lf"), int) and meta["num_lf"] >= 0:
        meta["lf"] = [f"lf{j}" for j in range(meta["num_lf"])]  # unnamed LFs: lf0, lf1, ...
    if not isinstance(meta, dict) or not isinstance(meta.get("lf"), list) or "entity_types" not in meta:
        raise DatasetError(f"{folder / 'meta.json'}: expected an object with 'entity_types' and 'lf' (LF names) "
                           f"or 'num_lf'")
    return meta


def span_lf_names(folder: str | Path, lfs: str | Sequence[str] = "all") -> list[str]:
    """The LF names ``lfs`` selects: ``"all"`` (meta's ``lf``), ``"rec"`` (meta's ``lf_rec``) or a list of names.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "meta.json").write_text(json.dumps({"lf": ["a", "b"], "lf_rec": ["b"], "entity_types": ["X"]}))
    >>> span_lf_names(folder), span_lf_names(folder, "rec")
    (['a', 'b'], ['b'])
    """
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


def _span_gold(raw: Any, n_tokens: int, space: SpanSpace, where: str) -> list[Span]:
    out = []
    for s, e, t in _spans(raw, f"{where} 'label'"):
        if t not in space.types:
            raise LabelSpaceError(f"{where}: gold span [{s}, {e}, {t!r}] has a type outside meta.json's "
                                  f"entity_types {list(space.types)}")
        if not 0 <= s < e <= n_tokens:
            raise DatasetError(f"{where}: gold span [{s}, {e}, {t!r}] is outside its {n_tokens} tokens")
        out.append(Span(s, e, t))
    return out


def _same_format(seen: str, fmt: str, where: str) -> str:
    if seen and seen != fmt:
        raise DatasetError(f"{where}: {'one tag per token' if fmt == 'tags' else 'span lists'} after documents in "
                           f"the other format; use one format (span lists or WRENCH tags) in a file")
    return fmt


def _is_tag_format(item: dict[str, Any]) -> bool:
    """WRENCH's own sequence format: ``label`` one tag per token, ``weak_labels`` one tag per token and LF."""
    label, weak = item.get("label"), item.get("weak_labels")
    if isinstance(label, list) and label and isinstance(label[0], str):
        return True
    return (isinstance(weak, list) and bool(weak) and isinstance(weak[0], list) and bool(weak[0])
            and isinstance(weak[0][0], (str, int)) and not isinstance(weak[0][0], bool))


def _tag_array(raw: Any, tag_ids: dict[str, int], where: str) -> np.ndarray:
    try:
        arr = np.asarray(raw)
    except ValueError:
        raise DatasetError(f"{where}: ragged tag lists; expected one tag per token (and per LF)") from None
    if arr.dtype.kind in "iu":
        ids = arr.astype(np.int64)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= len(tag_ids)):
            raise LabelSpaceError(f"{where}: tag ids must be in 0..{len(tag_ids) - 1} ({list(tag_ids)})")
        return ids
    if arr.size and arr.dtype.kind != "U":
        raise DatasetError(f"{where}: expected tag names such as 'B-X' or tag ids; got dtype {arr.dtype}")
    flat = [tag_ids.get(t, -1) for t in arr.ravel().tolist()]
    ids = np.asarray(flat, dtype=np.int64).reshape(arr.shape)
    if (ids < 0).any():
        bad = arr.ravel()[int(np.flatnonzero(ids.ravel() < 0)[0])]
        raise LabelSpaceError(f"{where}: unknown tag {bad!r}; the tags of meta.json's entity_types are "
                              f"{list(tag_ids)}")
    return ids


def _tag_gold(raw: Any, n_tokens: int, bio: SpanSpace, tag_ids: dict[str, int], where: str) -> list[Span]:
    ids = _tag_array(raw, tag_ids, f"{where} 'label'")
    if ids.shape != (n_tokens,):
        raise DatasetError(f"{where}: 'label' has {ids.shape} tags for {n_tokens} tokens (one tag per token)")
    return spans_from_tags(ids, bio)


def _tag_votes(raw: Any, n_tokens: int, m: int, tag_ids: dict[str, int], where: str) -> np.ndarray:
    ids = _tag_array(raw, tag_ids, f"{where} 'weak_labels'") if n_tokens else np.zeros((0, m), dtype=np.int64)
    if ids.shape != (n_tokens, m):
        raise DatasetError(f"{where}: 'weak_labels' has shape {ids.shape}; one tag per token and LF of meta.json "
                           f"is ({n_tokens}, {m})")
    return ids


def _frame_from_tags(tags: np.ndarray, n_tokens: list[int], bio: SpanSpace) -> pd.DataFrame:
    """The span rows of token-tag votes (``O`` = no span; BIO repair), every LF column decoded at once."""
    offsets = np.r_[np.int64(0), np.cumsum(np.asarray(n_tokens, dtype=np.int64))]
    doc, lf, start, end, types = span_rows_from_votes(tags, offsets, bio)
    return pd.DataFrame({"doc": doc, "lf": lf, "start": start, "end": end,
                         "label": pd.Categorical.from_codes(types, categories=list(bio.types))})

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
    bio = SpanSpace(space.types)
    tag_ids = {t: i for i, t in enumerate(bio.tags)}
    docs: list[SpanDoc] = []
    gold: list[list[Span]] = []
    row_ids: list[str] = []
    doc_col: list[int] = []
    lf_col: list[int] = []
    triples: list[tuple[int, int, str]] = []
    tag_votes: list[np.ndarray] = []  # documents in WRENCH's token-tag format: (n_tokens, len(chosen)) tag ids
    fmt = ""
    for d, (key, item) in enumerate(raw.items()):
        where = f"{file}: document {key!r}"
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict) or "text" not in item["data"]:
            raise DatasetError(f"{where}: expected {{'data': {{'text': [tokens]}}, 'label': [...], "
                               f"'weak_labels': [...]}}")
        doc = SpanDoc.from_tokens(item["data"]["text"])
        weak = item.get("weak_labels", [])
        if doc.n_tokens == 0 and not weak and not item.get("label"):
            gold.append([])  # an empty document: nothing to vote on in either format
            tag_votes.append(np.zeros((0, len(columns)), dtype=np.int64))
        elif _is_tag_format(item):
            fmt = _same_format(fmt, "tags", where)
            gold.append(_tag_gold(item.get("label", []), doc.n_tokens, bio, tag_ids, where))
            tag_votes.append(_tag_votes(weak, doc.n_tokens, len(all_names), tag_ids, where)[:, columns])
        else:
            fmt = _same_format(fmt, "spans", where)
            gold.append(_span_gold(item.get("label", []), doc.n_tokens, space, where))
            if not isinstance(weak, list) or len(weak) != len(all_names):
                raise DatasetError(f"{where}: 'weak_labels' must hold one span list per LF of meta.json "
                                   f"({len(all_names)}); got {len(weak) if isinstance(weak, list) else weak!r}")
            for j in columns.tolist():
                spans = _spans(weak[j], f"{where} LF {all_names[j]!r}")
                triples.extend(spans)
                doc_col.extend([d] * len(spans))
                lf_col.extend([int(new_col[j])] * len(spans))
        docs.append(doc)
        row_ids.append(f"{split}-{key}")
    if fmt == "tags":
        frame = _frame_from_tags(np.concatenate(tag_votes), [doc.n_tokens for doc in docs], bio)
    else:
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
