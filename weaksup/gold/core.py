"""The :class:`GoldSet` value: validated hand labels with a content hash (see :mod:`weaksup.gold`)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import GoldSetError
from weaksup.labels import ABSTAIN, LabelSpace

logger = logging.getLogger("weaksup.gold")

#: The splits a gold row may belong to.
SPLITS = ("dev", "test")
#: The columns every label file must have (besides the id column).
REQUIRED = ("label", "split")
#: Optional columns that are part of a gold set's identity.
OPTIONAL = ("annotator", "timestamp")
#: Per-annotation columns :func:`~weaksup.gold.write_gold` keeps, outside the identity (the hash): ``origin`` is
#: Label Studio's ``prediction`` (a pre-filled suggestion accepted unchanged), ``prediction-changed`` or ``manual``;
#: ``annotator_id`` and ``annotation_id`` are Label Studio's user and annotation ids (one name per annotator across
#: exports that name a user by e-mail or by id, see :mod:`weaksup.review.annotators`), ``project_id`` its project (an
#: answer a later export of the project no longer has is reported, see :mod:`weaksup.review.export_contents`).
KEPT = ("origin", "annotator_id", "annotation_id", "project_id")
#: The file that describes a gold set folder.
MANIFEST = "manifest.json"
#: Label file suffixes and their formats.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class GoldSet:
    """A validated gold set: one row per annotation in :attr:`frame`.

    Attributes
    ----------
    task : str
        The task name (``gold_sets/<task>/``).
    version : int or str
        The version the manifest gives; bump it whenever the labels change.
    label_space : LabelSpace
        The task's classes.
    frame : pandas.DataFrame
        Columns ``row_id``, ``label``, ``split``, ``annotator``, ``timestamp`` (empty strings when
        absent), plus any extra columns of the files, and ``_file``/``_line`` (where each row is).
    hash : str
        A 16-hex-digit content hash (see the module docstring).
    path : pathlib.Path or None
        The folder it was loaded from.

    Examples
    --------
    >>> from weaksup.gold import load_gold
    >>> gold = load_gold("gold_sets/youtube_spam")
    >>> gold.task, len(gold), sorted(gold.counts())
    ('youtube_spam', 576, ['dev', 'test'])
    >>> gold.labels(split="test").value_counts().to_dict()
    {'spam': 156, 'ham': 134}
    """

    task: str
    version: int | str
    label_space: LabelSpace
    frame: pd.DataFrame = field(repr=False)
    hash: str
    path: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)
    #: What this gold set has logged already (shared with its :meth:`split` subsets): a warning once per run.
    logged: set[str] = field(default_factory=set, repr=False, compare=False)
    #: Whether this version was asked for (``load_gold(version=)``, a run's ``gold.version``): :meth:`describe` says so.
    pinned: bool = field(default=False, compare=False)

    def __len__(self) -> int:
        return len(self.frame)

    def counts(self) -> dict[str, int]:
        """The number of labelled rows per split that the labels use (:meth:`labels`), so the rows evaluated on.

        A row whose annotators tie has no label, so it is not counted (see :meth:`tied`).

        Examples
        --------
        >>> rows = pd.DataFrame({"row_id": ["a", "b", "b"], "label": ["ham", "ham", "spam"],
        ...                      "split": ["test", "test", "test"], "annotator": ["x", "x", "y"]})
        >>> gold = GoldSet("t", 1, LabelSpace(["ham", "spam"]), rows, "0")
        >>> gold.counts(), gold.tied()
        ({'test': 1}, {'test': 1})
        """
        per_row = self.frame.drop_duplicates("row_id")
        if not self.frame["row_id"].is_unique:
            winners, tied = _majority(self.frame)
            per_row = per_row[per_row["row_id"].isin(set(winners.loc[~tied, "row_id"]))]
        return {s: int((per_row["split"] == s).sum()) for s in SPLITS if (per_row["split"] == s).any()}

    def tied(self) -> dict[str, int]:
        """The number of rows per split whose annotators tie: left out of :meth:`labels` and :meth:`counts`."""
        if self.frame["row_id"].is_unique:
            return {}
        winners, tied = _majority(self.frame)
        split_of = self.frame.drop_duplicates("row_id").set_index("row_id")["split"]
        rows = split_of.reindex(pd.unique(winners.loc[tied, "row_id"]))
        return {s: int((rows == s).sum()) for s in SPLITS if (rows == s).any()}

    def labels(self, split: str | None = None) -> pd.Series:
        """One class name per labelled row (the annotators' majority), indexed by row id.

        Rows whose annotators tie are left out, with a warning naming how many, logged once per gold set
        (a run asks for its labels several times).
        """
        frame = self.frame if split is None else self.frame[self.frame["split"] == check_split(split)]
        if frame["row_id"].is_unique:
            return pd.Series(frame["label"].to_numpy(), index=pd.Index(frame["row_id"], name="row_id"), name="label")
        winners, tied = _majority(frame)
        if tied.any() and "ties" not in self.logged:
            self.logged.add("ties")
            every, every_tied = _majority(self.frame)  # named once for the whole gold set, every split
            per_split = self.frame.drop_duplicates("row_id").set_index("row_id")["split"]
            rows = per_split.reindex(pd.unique(every.loc[every_tied, "row_id"])).value_counts()
            logger.warning(
                "gold set %s: %d row(s) have tied annotations (%s) and are left out of the labels; resolve them "
                "(e.g. a third annotator), see weaksup.gold.agreement", self.task, int(rows.sum()),
                ", ".join(f"{n} {s}" for s, n in rows.items()),
            )
        winners = winners[~tied]
        return pd.Series(winners["label"].to_numpy(), index=pd.Index(winners["row_id"], name="row_id"), name="label")

    def y(self, row_ids: Iterable[Any], split: str | None = None) -> np.ndarray:
        """Gold class ids aligned with ``row_ids``; ``ABSTAIN`` where a row has no gold label.

        Gold ids are text: ``row_ids`` match them as text (:func:`match_ids`), so the data id ``101`` (an
        integer index) finds the gold id ``"101"``.

        Examples
        --------
        >>> from weaksup.gold import load_gold
        >>> gold = load_gold("gold_sets/youtube_spam")
        >>> y = gold.y(["LZQPQhLyRh_C2cTtd9MvFRJedxydaVW-2sNg5Diuo4A", "not-labelled"])
        >>> y.tolist()
        [1, -1]
        >>> rows = pd.DataFrame({"row_id": ["101", "102"], "label": ["ham", "spam"], "split": ["test", "test"]})
        >>> GoldSet("t", 1, LabelSpace(["ham", "spam"]), rows, "0").y(np.array([102, 101, 103])).tolist()
        [1, 0, -1]
        """
        labels = self.labels(split)
        ids = labels.map(self.label_space.id).to_numpy(dtype=np.int64)
        at = match_ids(labels.index, row_ids)  # vectorised: fast for millions of rows
        y = np.full(len(at), ABSTAIN, dtype=np.int64)
        y[at >= 0] = ids[at[at >= 0]]
        return y

    def split(self, name: str) -> GoldSet:
        """The gold set restricted to one split (its hash is that of the subset)."""
        frame = self.frame[self.frame["split"] == check_split(name)].reset_index(drop=True)
        return GoldSet(self.task, self.version, self.label_space, frame,
                       content_hash(frame, self.label_space, self.task), self.path, self.manifest, self.logged,
                       self.pinned)

    def describe(self) -> str:
        """A one-line provenance string, e.g. ``youtube_spam v1 (hash 1a2b...; 286 dev + 290 test)``, or ``youtube_spam
        v1 (pinned; v2 is the latest; hash ...)`` for a version asked for (:attr:`pinned`)."""
        counts = " + ".join(f"{n} {s}" for s, n in self.counts().items()) or "no labelled row"
        tied = " + ".join(f"{n} {s}" for s, n in self.tied().items())
        from weaksup.gold.versions import pin_text

        pin = pin_text(self.manifest, self.version, self.pinned)
        return f"{self.task} v{self.version} ({pin}hash {self.hash}; {counts}" + (
            f"; {tied} tied, left out" if tied else "") + ")"


def id_texts(row_ids: Any) -> list[pd.Index]:
    """Each row id as text, the way ``weaksup run`` reads it, for matching gold ids (which are text).

    The run reads a CSV's id column as text, and turns any other column's ids into text with ``str``
    (:func:`weaksup.pipeline.inputs.chunk_ids`): ``1000`` is ``"1000"``. A column of whole floats (``1000.0``:
    an integer column pandas read as float, since it had a missing value) has two texts: ``"1000"`` (what the
    CSV held, and what the run reads from it) first, then ``"1000.0"`` (its ``str``).

    Examples
    --------
    >>> [ids.tolist() for ids in id_texts(np.array([1000, 1001]))]
    [['1000', '1001']]
    >>> [ids.tolist() for ids in id_texts(np.array([1000.0, 1001.0]))]
    [['1000', '1001'], ['1000.0', '1001.0']]
    """
    index = row_ids if isinstance(row_ids, pd.Index) else pd.Index(
        row_ids if isinstance(row_ids, (np.ndarray, pd.Series, list)) else list(row_ids))
    if (pd.api.types.is_string_dtype(index.dtype) and not pd.api.types.is_object_dtype(index.dtype)) \
            or index.inferred_type == "string":  # text already (object dtype: every value a str)
        return [index]
    texts = [index.astype(str).where(index.notna(), None)]
    if index.dtype.kind == "f":
        values = index.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if len(finite) and (finite == np.round(finite)).all() and np.abs(finite).max() < 2.0 ** 53:
            whole = index.astype("Int64")
            texts.insert(0, whole.astype(str).where(whole.notna(), None))
    return texts


def match_ids(keys: Iterable[Any], row_ids: Iterable[Any]) -> np.ndarray:
    """The position in ``keys`` (gold ids) of each of ``row_ids``, matched as text; ``-1`` where none matches.

    Both sides are read as text by :func:`id_texts` (the rule of :meth:`GoldSet.y`, of
    :meth:`weaksup.alignment.AlignedGold.of` and of the Workbench): the id ``101`` matches the gold id ``"101"``,
    and a whole float ``101.0`` matches ``"101"`` (else ``"101.0"``). A key whose text repeats an earlier one's
    is not matched (the first wins).

    Examples
    --------
    >>> match_ids(pd.Index(["101", "102"]), np.array([102, 7, 101])).tolist()
    [1, -1, 0]
    >>> match_ids(["101"], pd.Index([101.0, None])).tolist()
    [0, -1]
    """
    key_text = id_texts(keys)[0]
    position = pd.Series(np.arange(len(key_text)), index=key_text)
    position = position[~position.index.duplicated() & position.index.notna()]
    texts = id_texts(row_ids)
    at = np.full(len(texts[0]), -1, dtype=np.int64)
    for text in texts:
        found = position.reindex(text).to_numpy(dtype=float, na_value=np.nan)
        at = np.where((at < 0) & ~np.isnan(found), np.nan_to_num(found, nan=-1).astype(np.int64), at)
    return at


def _majority(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Each row's most frequent labels (``row_id``, ``label``, ``n``) and whether each is tied with another."""
    counts = frame.groupby(["row_id", "label"], sort=False).size().rename("n").reset_index()
    top = counts.groupby("row_id", sort=False)["n"].transform("max")
    winners = counts[counts["n"] == top]
    return winners, winners["row_id"].duplicated(keep=False)


def content_hash(frame: pd.DataFrame, label_space: LabelSpace, task: str = "") -> str:
    """A 16-hex-digit sha256 of the identity columns, independent of row order and file format.

    Examples
    --------
    >>> a = pd.DataFrame({"row_id": ["1", "2"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    >>> content_hash(a, LabelSpace(["ham", "spam"])) == content_hash(a[::-1], LabelSpace(["ham", "spam"]))
    True
    """
    cols = ["row_id", "label", "split", *OPTIONAL]
    rows = as_text(frame.reindex(columns=cols)).to_numpy().tolist()
    blob = json.dumps({"task": task, "label_space": list(label_space), "rows": sorted(rows)},
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a string; missing cells as ``""``.

    Examples
    --------
    >>> as_text(pd.DataFrame({"a": [1, None]}))["a"].tolist()
    ['1.0', '']
    """
    frame = frame.astype(object)
    return frame.where(frame.notna(), "").astype(str)


def empty_frame() -> pd.DataFrame:
    """A gold frame without rows: the identity columns plus ``_file`` and ``_line``.

    Examples
    --------
    >>> list(empty_frame().columns)
    ['row_id', 'label', 'split', 'annotator', 'timestamp', '_file', '_line']
    """
    return pd.DataFrame(columns=["row_id", *REQUIRED, *OPTIONAL, "_file", "_line"])


def check_split(split: str) -> str:
    """``split`` if it is one of :data:`SPLITS`; a :class:`~weaksup.errors.GoldSetError` otherwise.

    Examples
    --------
    >>> check_split("dev")
    'dev'
    """
    if split not in SPLITS:
        raise GoldSetError(f"unknown gold split {split!r}; splits are {list(SPLITS)}")
    return split


