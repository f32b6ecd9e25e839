"""Multi-label benchmarks: GoEmotions (28 emotions incl. "neutral") and span sets read as "which entity types occur".

* :func:`load_goemotions` reads ``../shared/data/goemotions`` (``dev.tsv``, ``test.tsv``, ``emotions.txt``):
  texts, gold label sets and the dev "write"/"select" parts of the multi-label contract.
* :func:`load_span_multilabel` reads a span set of ``../shared/data/spans`` (BC5CDR, NCBI-Disease, laptop
  reviews: WRENCH's sequence-tagging sets with their real LF spans) as a multi-label task per sentence (or
  per document): the labels are the entity types, the gold set is the types of the gold spans in the unit,
  and each LF's vote on a type comes from its spans:

  - **yes**: the LF tags at least one span of that type in the unit;
  - **no** (``no_votes="other_type"``, the default): the LF tags spans in the unit, none of that type, and it
    is an LF that does tag that type somewhere in the split (it looked at the unit and called what it found
    something else);
  - **abstain**: everything else -- an LF that tags nothing in a unit says nothing about it (a dictionary that
    finds no chemical name is weak evidence that there is none, and counting it as "no" would make every
    silent LF outvote the one that fired). ``no_votes="silent"`` counts it as "no" anyway (for comparison).

  The units are sentences (token ``"."`` ends one) by default: every BC5CDR abstract holds both a Chemical
  and a Disease, so at document level the task is trivial (``unit="document"`` still gives it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DatasetError
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.votes import MultiLabelVotes

#: Where the shared benchmark data lives, relative to the repository (``--data`` overrides it).
SHARED_DATA = Path("../shared/data")
NO_VOTES = ("other_type", "silent")
UNITS = ("sentence", "document")


def goemotions_part(row_id: str) -> str:
    """The dev part of a GoEmotions comment id: ``"write"`` (LF writing) or ``"select"`` (model selection).

    The contract's seeded rule: ``sha256(row_id)[0] < 128`` is "write".

    Examples
    --------
    >>> goemotions_part("edgurhb") in ("write", "select")
    True
    """
    return "write" if hashlib.sha256(row_id.encode("utf-8")).digest()[0] < 128 else "select"


@dataclass(frozen=True)
class MultiLabelSplit:
    """The rows of one split: ``frame`` (``row_id``, ``text``), gold ``Y`` ``(n, k)`` and, for span sets, ``votes``."""

    frame: pd.DataFrame
    Y: np.ndarray
    votes: MultiLabelVotes | None = None

    def take(self, rows: Any) -> MultiLabelSplit:
        """The split restricted to some rows (positions or a mask)."""
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        return MultiLabelSplit(self.frame.iloc[idx].reset_index(drop=True), self.Y[idx],
                               None if self.votes is None else self.votes.take(idx))


@dataclass(frozen=True)
class MultiLabelDataset:
    """A multi-label benchmark: its space and splits by name (``"dev"``, ``"test"``, maybe ``"train"``)."""

    name: str
    space: MultiLabelSpace
    splits: dict[str, MultiLabelSplit]


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DatasetError(f"{path} does not exist: point --data (or the path argument) at the shared data folder "
                           "that holds goemotions/ and spans/")
    return path.read_text(encoding="utf-8")


def load_goemotions(path: str | Path = SHARED_DATA / "goemotions") -> MultiLabelDataset:
    """GoEmotions dev and test: 28 labels (``emotions.txt`` order, ``neutral`` the none label).

    Each split's frame has ``row_id`` (the Reddit comment id), ``text`` and, for dev, ``part`` (``"write"`` rows
    are the ones LFs were written on, ``"select"`` the rest: :func:`goemotions_part`).

    Examples
    --------
    >>> ds = load_goemotions("../shared/data/goemotions")  # doctest: +SKIP
    >>> ds.space.k, ds.space.none_label, ds.splits["dev"].Y.shape  # doctest: +SKIP
    (28, 'neutral', (5426, 28))
    """
    folder = Path(path)
    labels = [x.strip() for x in _read_text(folder / "emotions.txt").splitlines() if x.strip()]
    space = MultiLabelSpace(labels, none_label="neutral" if "neutral" in labels else None)
    splits = {}
    for split in ("dev", "test"):
        rows, ids = [], []
        for number, line in enumerate(_read_text(folder / f"{split}.tsv").split("\n"), start=1):
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise DatasetError(f"{folder / split}.tsv line {number}: expected 3 tab-separated fields "
                                   f"(text, label ids, comment id); got {len(fields)}")
            text, label_ids, row_id = fields
            try:
                codes = [int(x) for x in label_ids.split(",")]
            except ValueError:
                raise DatasetError(f"{folder / split}.tsv line {number}: label ids {label_ids!r} are not "
                                   "comma-separated integers") from None
            if min(codes) < 0 or max(codes) >= space.k:
                raise DatasetError(f"{folder / split}.tsv line {number}: label id outside 0..{space.k - 1}")
            rows.append((row_id, text))
            ids.append(codes)
        frame = pd.DataFrame(rows, columns=["row_id", "text"])
        if split == "dev":
            frame["part"] = [goemotions_part(r) for r in frame["row_id"]]
        Y = np.zeros((len(frame), space.k), dtype=bool)
        for i, codes in enumerate(ids):
            Y[i, codes] = True
        splits[split] = MultiLabelSplit(frame, Y)
    return MultiLabelDataset("goemotions", space, splits)


def _units(tokens: list[str], unit: str) -> list[tuple[int, int]]:
    if unit == "document" or not tokens:
        return [(0, len(tokens))]
    ends = [i + 1 for i, t in enumerate(tokens) if t == "."]
    if not ends or ends[-1] != len(tokens):
        ends.append(len(tokens))
    return list(zip([0, *ends[:-1]], ends))


def load_span_multilabel(path: str | Path, *, unit: str = "sentence", no_votes: str = "other_type",
                         splits: tuple[str, ...] = ("train", "valid", "test")) -> MultiLabelDataset:
    """A span set (``{split}.json`` + ``meta.json``, the format of ``../shared/data/spans/SOURCE.md``) as a
    multi-label task over its entity types, with every LF's votes derived from its spans (see the module doc).

    ``valid`` is returned as ``"dev"``. Each frame has ``row_id`` (``"<doc id>:<unit>"``) and ``text``.

    Examples
    --------
    >>> ds = load_span_multilabel("../shared/data/spans/bc5cdr")  # doctest: +SKIP
    >>> ds.space.labels, ds.splits["dev"].votes.m  # doctest: +SKIP
    (('Chemical', 'Disease'), 30)
    """
    if unit not in UNITS:
        raise DatasetError(f"unit must be one of {list(UNITS)}; got {unit!r}")
    if no_votes not in NO_VOTES:
        raise DatasetError(f"no_votes must be one of {list(NO_VOTES)}; got {no_votes!r}")
    folder = Path(path)
    try:
        meta = json.loads(_read_text(folder / "meta.json"))
        types, lf_names = list(meta["entity_types"]), [str(x) for x in meta["lf"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{folder / 'meta.json'}: not a span-set meta file with 'entity_types' and 'lf' "
                           f"({type(exc).__name__}: {exc})") from None
    space = MultiLabelSpace(types)
    out = {}
    for split in splits:
        try:
            docs = json.loads(_read_text(folder / f"{split}.json"))
        except ValueError as exc:
            raise DatasetError(f"{folder / split}.json is not JSON ({exc})") from None
        out["dev" if split == "valid" else split] = _span_split(docs, space, lf_names, unit, no_votes,
                                                                f"{folder / split}.json")
    return MultiLabelDataset(folder.name, space, out)


def _span_split(docs: dict[str, Any], space: MultiLabelSpace, lf_names: list[str], unit: str, no_votes: str,
                where: str) -> MultiLabelSplit:
    m, k = len(lf_names), space.k
    rows, gold, yes_cells, fired_cells = [], [], [], []
    for doc_id, doc in docs.items():
        try:
            tokens, spans, weak = doc["data"]["text"], doc["label"], doc["weak_labels"]
        except (KeyError, TypeError):
            raise DatasetError(f"{where}: document {doc_id!r} lacks data.text, label or weak_labels") from None
        if len(weak) != m:
            raise DatasetError(f"{where}: document {doc_id!r} has spans of {len(weak)} LFs; meta.json lists {m}")
        for u, (start, end) in enumerate(_units(tokens, unit)):
            rows.append((f"{doc_id}:{u}", " ".join(tokens[start:end])))
            gold.append({t for s, _, t in spans if start <= s < end})
            yes, fired = np.zeros((m, k), dtype=bool), np.zeros(m, dtype=bool)
            for j, lf_spans in enumerate(weak):
                for s, _, t in lf_spans:
                    if start <= s < end:
                        fired[j] = True
                        if t in space.labels:
                            yes[j, space.index(t)] = True
            yes_cells.append(yes)
            fired_cells.append(fired)
    yes_all = np.array(yes_cells).reshape(len(rows), m, k)
    fired_all = np.array(fired_cells).reshape(len(rows), m)
    tags_type = np.asarray(yes_all.any(axis=0))  # (m, k): the LF tags this type somewhere in the split
    silent_ok = fired_all[:, :, None] if no_votes == "other_type" else np.ones_like(yes_all)
    values = np.where(yes_all, 1, np.where(silent_ok & tags_type[None], 0, -1)).astype(np.int8)
    frame = pd.DataFrame(rows, columns=["row_id", "text"])
    votes = MultiLabelVotes(values, lf_names, space, row_ids=frame["row_id"].to_numpy())
    return MultiLabelSplit(frame, space.encode([sorted(g) for g in gold], where=where), votes)
