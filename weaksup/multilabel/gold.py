"""Multi-label gold sets: hand-labelled label *sets*, versioned like :mod:`weaksup.gold`'s gold sets.

A multi-label gold set is a folder holding a ``manifest.json`` and label files (CSV or JSON Lines)::

    gold_sets/goemotions/
        manifest.json   {"task": "goemotions", "type": "multilabel", "version": 1,
                         "label_space": ["admiration", ..., "neutral"], "none_label": "neutral",
                         "exclusive": [], "files": ["labels.csv"], "label_column": "labels", ...}
        labels.csv      row_id,labels,split,annotator,timestamp

- ``labels``: the row's labels, ``;``-joined (``label_separator``); an empty cell is the empty set (with a
  ``none_label`` a row that carries none of the others should carry it);
- ``row_id``, ``split`` (``dev`` / ``test``), ``annotator`` and ``timestamp`` as in :mod:`weaksup.gold`.
  Several annotators may label the same row: a label is in the row's set when more than half of them gave it.

Versions work as for classification gold sets (:mod:`weaksup.gold.versions`): a new version never
overwrites an earlier one's files, and ``load_multilabel_gold(folder, version=N)`` reads any of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.errors import GoldSetError, LabelSpaceError, Problems, location
from weaksup.gold.core import FORMATS, MANIFEST, OPTIONAL, SPLITS, as_text, check_split
from weaksup.gold.versions import (ESCAPED_FILES, VERSIONS, manifest_type, pin_text, plan_version, publish_manifest,
                                   read_manifest, select_version, warn_if_edited)
from weaksup.gold.io import row_locations
from weaksup.gold.lock import gold_lock
from weaksup.multilabel.gold_files import (SEPARATOR, empty_set_note, empty_set_problem, read_label_file, split_labels,
                                           validate_rows)
from weaksup.multilabel.space import MultiLabelSpace, broken_rules_note
from weaksup.spreadsheet import write_csv

logger = logging.getLogger("weaksup.gold")

#: The manifest's ``type`` of a multi-label gold set.
GOLD_TYPE = "multilabel"
#: The default column holding a row's labels, and what joins them.
LABELS_COLUMN = "labels"


@dataclass(frozen=True)
class MultiLabelGoldSet:
    """A validated multi-label gold set: one row per annotation in :attr:`frame`.

    Attributes
    ----------
    task : str
    version : int or str
    space : MultiLabelSpace
    frame : pandas.DataFrame
        ``row_id``, ``labels`` (``;``-joined, labels in the space's order), ``split``, ``annotator``,
        ``timestamp``, extra columns, ``_file``/``_line``.
    hash : str
        A 16-hex-digit content hash (ids, label sets, splits, annotators, timestamps, the space).
    path : pathlib.Path or None
    manifest : dict

    Examples
    --------
    >>> import tempfile
    >>> rows = pd.DataFrame({"row_id": ["a", "b", "c"], "labels": ["joy;love", "", "anger"],
    ...                      "split": ["dev", "dev", "test"]})
    >>> gold = write_multilabel_gold(rows, tempfile.mkdtemp(), task="demo",
    ...                              space=MultiLabelSpace(["joy", "love", "anger"]))
    >>> gold.counts(), gold.label_sets("dev").to_dict()
    ({'dev': 2, 'test': 1}, {'a': ('joy', 'love'), 'b': ()})
    """

    task: str
    version: int | str
    space: MultiLabelSpace
    frame: pd.DataFrame = field(repr=False)
    hash: str
    path: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)
    pinned: bool = field(default=False, compare=False)  # this version was asked for (gold.version)

    @property
    def label_space(self) -> MultiLabelSpace:
        """The space (the name a classification gold set uses)."""
        return self.space

    def __len__(self) -> int:
        return len(self.frame)

    def counts(self) -> dict[str, int]:
        """The number of labelled rows per split."""
        per_row = self.frame.drop_duplicates("row_id")
        return {s: int((per_row["split"] == s).sum()) for s in SPLITS if (per_row["split"] == s).any()}

    def label_sets(self, split: str | None = None) -> pd.Series:
        """Each labelled row's label set (a tuple in the space's order), indexed by row id; with several
        annotators, the labels more than half of them gave."""
        frame = self.frame if split is None else self.frame[self.frame["split"] == check_split(split)]
        ids = pd.Index(frame["row_id"], name="row_id")
        if ids.is_unique:
            return pd.Series([split_labels(v) for v in frame["labels"]], index=ids, name="labels", dtype=object)
        Y = pd.DataFrame(self.space.encode([split_labels(v) for v in frame["labels"]]), index=ids)
        share = Y.groupby(level=0, sort=False).mean()
        sets = [tuple(self.space.labels[j] for j in np.flatnonzero(row > 0.5)) for row in share.to_numpy()]
        return pd.Series(sets, index=share.index.rename("row_id"), name="labels", dtype=object)

    def matrix(self, split: str | None = None) -> tuple[list[str], np.ndarray]:
        """The row ids of a split and their ``(n, k)`` bool gold matrix.

        Examples
        --------
        >>> import tempfile
        >>> rows = pd.DataFrame({"row_id": ["a"], "labels": ["y"], "split": ["dev"]})
        >>> gold = write_multilabel_gold(rows, tempfile.mkdtemp(), task="t", space=MultiLabelSpace(["x", "y"]))
        >>> ids, Y = gold.matrix("dev"); ids, Y.tolist()
        (['a'], [[False, True]])
        """
        sets = self.label_sets(split)
        return [str(r) for r in sets.index], self.space.encode(list(sets), where=f"gold set {self.task}")

    def contradictions(self) -> pd.DataFrame:
        """The labelled rows whose set breaks a rule of :attr:`space` (the none label beside another label, two
        labels of an exclusive group): ``row_id``, ``split``, ``labels`` (``;``-joined), ``breaks`` (the rules) and
        ``where`` (``file:line`` of the row's first annotation).

        They are kept as labelled (a dataset's own annotations; GoEmotions has 355 ``neutral`` + emotion rows) and
        scored as such; :func:`load_multilabel_gold` warns about them (:meth:`contradiction_note`).

        Examples
        --------
        >>> import tempfile
        >>> rows = pd.DataFrame({"row_id": ["a", "b"], "labels": ["joy;neutral", "joy"], "split": ["dev", "test"]})
        >>> space = MultiLabelSpace(["joy", "neutral"], none_label="neutral")
        >>> gold = write_multilabel_gold(rows, tempfile.mkdtemp(), task="t", space=space)
        >>> gold.contradictions().drop(columns="where").to_dict("records")
        [{'row_id': 'a', 'split': 'dev', 'labels': 'joy;neutral', 'breaks': "the none label 'neutral' with another label"}]
        """
        ids, Y, splits, where = self._every_row
        broken = self.space.broken_rules(Y)
        at = np.flatnonzero(np.logical_or.reduce(list(broken.values()))) if broken else np.zeros(0, dtype=np.int64)
        return pd.DataFrame({
            "row_id": [ids[i] for i in at], "split": [splits[i] for i in at],
            "labels": [SEPARATOR.join(x) for x in self.space.decode(Y[at])],
            "breaks": ["; ".join(rule for rule, hit in broken.items() if hit[i]) for i in at],
            "where": [where[i] for i in at]}, columns=["row_id", "split", "labels", "breaks", "where"])

    def contradiction_note(self) -> str:
        """The warning about :meth:`contradictions` (how many per rule and split, a few ids, the fix), or ``""``."""
        ids, Y, splits, _ = self._every_row
        return broken_rules_note(self.space, ids, Y, what=f"gold set {self.task} v{self.version}", splits=splits,
                                 listed="in a new gold version; MultiLabelGoldSet.contradictions() lists them all")

    @cached_property
    def _every_row(self) -> tuple[list[str], np.ndarray, list[str], list[str]]:
        """Every labelled row's id, label set (``(n, k)``), split and first ``file:line`` (computed once: the set
        is frozen; a run's copy keyed by row position is another set)."""
        ids, Y = self.matrix()
        first = self.frame.drop_duplicates("row_id")
        keys = first["row_id"].astype(str)
        split_of = dict(zip(keys, first["split"].astype(str)))
        where_of = dict(zip(keys, (f"{Path(str(f)).name}:{line}" for f, line in zip(first["_file"], first["_line"])))
                        ) if {"_file", "_line"} <= set(first.columns) else {}
        return ids, Y, [split_of[i] for i in ids], [where_of.get(i, "") for i in ids]

    def describe(self) -> str:
        """A one-line provenance string, e.g. ``goemotions v1 (hash 0e5e...; 5426 dev + 5427 test)``, naming the
        rows that break the label space's rules (:meth:`contradictions`) when there are any."""
        counts = " + ".join(f"{n} {s}" for s, n in self.counts().items())
        broken = len(self.contradictions())
        against = f"; {broken} against the label space's rules, kept as labelled" if broken else ""
        pin = pin_text(self.manifest, self.version, self.pinned)
        return f"{self.task} v{self.version} ({pin}hash {self.hash}; {counts}{against})"


def is_multilabel_gold(path: str | os.PathLike[str]) -> bool:
    """Whether the gold set folder (or its ``manifest.json``) is a multi-label one (manifest ``type``)."""
    return manifest_type(path) == GOLD_TYPE


def multilabel_hash(frame: pd.DataFrame, space: MultiLabelSpace, task: str = "") -> str:
    """A 16-hex-digit sha256 of the identity columns, independent of row order, label order and file format.

    Examples
    --------
    >>> a = pd.DataFrame({"row_id": ["1", "2"], "labels": ["x;y", ""], "split": ["dev", "test"]})
    >>> b = pd.DataFrame({"row_id": ["2", "1"], "labels": ["", "y;x"], "split": ["test", "dev"]})
    >>> multilabel_hash(a, MultiLabelSpace(["x", "y"])) == multilabel_hash(b, MultiLabelSpace(["x", "y"]))
    True
    """
    out = as_text(frame.reindex(columns=["row_id", "labels", "split", *OPTIONAL]))
    out["labels"] = [SEPARATOR.join(sorted(split_labels(v))) for v in out["labels"]]
    blob = json.dumps({"task": task, "space": space.to_json(), "rows": sorted(out.to_numpy().tolist())},
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def load_multilabel_gold(path: str | os.PathLike[str], *, space: MultiLabelSpace | None = None,
                         version: int | str | None = None) -> MultiLabelGoldSet:
    """Load and validate a multi-label gold set folder (or its ``manifest.json``).

    Parameters
    ----------
    path : path-like
    space : MultiLabelSpace, optional
        The run's label space: the manifest's labels must be the same, in the same order.
    version : int or str, optional
        An earlier version (default: the current one).

    Raises
    ------
    GoldSetError
        Every problem at once, each naming its file, line and column: a missing or malformed manifest or
        file, a missing column, a blank id, an unknown label, a bad split, a duplicate id, a row in two splits.

    Examples
    --------
    >>> load_multilabel_gold("no/such/gold")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold set folder 'no/such/gold' does not exist; ...
    """
    folder = Path(path)
    folder = folder.parent if folder.name == MANIFEST else folder
    if not folder.is_dir():
        raise GoldSetError(f"gold set folder {str(folder)!r} does not exist; gold sets live in gold_sets/<task>/")
    where = str(folder / MANIFEST)
    manifest = read_manifest(folder, kind="multi-label", writer="weaksup.multilabel.gold.write_multilabel_gold")
    if version is not None and str(version) != str(manifest.get("version")):
        manifest = select_version(manifest, version, folder)
    problems = Problems(f"gold set {folder}")
    for key in ("task", "version", "label_space", "files"):
        if key not in manifest:
            problems.add("missing_key", f"missing key {key!r}", where=location(where, column=key))
    if GOLD_TYPE not in (manifest.get("type"), manifest.get("task_type")):
        problems.add("not_multilabel", f"type is {manifest.get('type')!r}, not \"multilabel\": this is a "
                     "classification gold set (load it with weaksup.gold.load_gold), or add \"type\": "
                     "\"multilabel\" to the manifest", where=location(where, column="type"))
    gold_space = None
    try:
        gold_space = MultiLabelSpace(manifest.get("label_space", []), exclusive=manifest.get("exclusive") or (),
                                     none_label=manifest.get("none_label"))
    except LabelSpaceError as exc:
        problems.add("bad_label_space", str(exc), where=location(where, column="label_space"))
    if gold_space is not None and space is not None and gold_space.labels != space.labels:
        problems.add("label_space_differs", f"the gold set's labels {list(gold_space.labels)} differ from the "
                     f"task's {list(space.labels)}; label the gold set with the task's labels, in the same order",
                     where=location(where, column="label_space"))
    names = manifest.get("files")
    if not isinstance(names, list) or not names:
        problems.add("bad_files", f"files must be a non-empty list of file names; got {names!r}",
                     where=location(where, column="files"))
        names = []
    problems.raise_if_any(GoldSetError)
    assert gold_space is not None
    column, sep = str(manifest.get("label_column") or LABELS_COLUMN), str(manifest.get("label_separator") or SEPARATOR)
    id_column = str(manifest.get("id_column") or "row_id")
    escaped = {str(f) for f in manifest.get(ESCAPED_FILES) or []}
    records: list[dict[str, Any]] = []
    for name in names:
        file = folder / str(name)
        if Path(str(name)).suffix.lower() not in FORMATS:
            problems.add("unsupported_file_type", "unsupported gold file type; use .csv or .jsonl",
                         where=location(str(file)))
        elif not file.is_file():
            problems.add("missing_file", "listed in manifest.json but missing", where=location(str(file)))
        else:
            records += read_label_file(file, id_column, column, sep, problems, escaped=file.name in escaped)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(
        columns=["row_id", "labels", "split", *OPTIONAL, "_file", "_line"])
    if records:
        validate_rows(frame, gold_space, problems)
    problems.raise_if_any(GoldSetError, fix=f"the labels are {list(gold_space.labels)}, joined with {sep!r}")
    first = ["row_id", "labels", "split", *OPTIONAL]
    frame = frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)
    task = str(manifest.get("task") or folder.name)
    digest = multilabel_hash(frame, gold_space, task)
    warn_if_edited(folder, manifest, digest, logger)
    gold = MultiLabelGoldSet(task, manifest["version"], space or gold_space, frame, digest, folder, manifest,
                             pinned=version is not None)
    logger.info("loaded multi-label gold set %s", gold.describe())
    ids, Y, _, at = gold._every_row
    empty = np.flatnonzero(~Y.any(axis=1) & (gold_space.none_label is not None))
    for note in (gold.contradiction_note(), empty_set_note(f"gold set {task} v{gold.version}", str(
            gold_space.none_label), [ids[i] for i in empty], [at[i] for i in empty])):
        if note:
            logger.warning("%s", note)
    return gold


def write_multilabel_gold(frame: pd.DataFrame, folder: str | os.PathLike[str], *, task: str, space: MultiLabelSpace,
                          version: int | str = 1, description: str = "", history: Sequence[dict[str, Any]] | None = None,
                          escape_formulas: bool = True, skip_if_unchanged: bool = False,
                          unknown_fix: str = "the space (MultiLabelSpace)") -> MultiLabelGoldSet:
    """Validate ``frame`` and write it as ``version`` of the multi-label gold set in ``folder``.

    ``frame`` needs ``row_id``, ``labels`` (``;``-joined strings, or lists/tuples of names) and ``split``,
    and may have ``annotator`` and ``timestamp``. A folder that holds a gold set gets a new version: earlier
    files are never overwritten (:func:`weaksup.gold.versions.plan_version`); nothing is written when the rows
    have problems, nor (``skip_if_unchanged``, what a review import asks) when they are the latest version's
    content: that version is returned. A problem names the ``_file``/``_line`` of its row
    (:func:`weaksup.gold.io.row_locations`); an unknown label's fix says to add it to ``unknown_fix``. With a
    none label, a row with an empty label set is refused (the model gives it the none label), unless the
    gold set's current version holds it already (:func:`load_multilabel_gold` warns about those).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> space = MultiLabelSpace(["x", "y"])
    >>> rows = pd.DataFrame({"row_id": ["a"], "labels": [["x", "y"]], "split": ["dev"]})
    >>> write_multilabel_gold(rows, folder, task="t", space=space).label_sets().to_dict()
    {'a': ('x', 'y')}
    >>> rows2 = rows.assign(labels=[["y"]])
    >>> write_multilabel_gold(rows2, folder, task="t", space=space, version=2).label_sets().to_dict()
    {'a': ('y',)}
    >>> load_multilabel_gold(folder, version=1).label_sets().to_dict()
    {'a': ('x', 'y')}
    """
    folder = Path(folder)
    missing = [c for c in ("row_id", "labels", "split") if c not in frame.columns]
    if missing:
        raise GoldSetError(f"gold frame: missing column(s) {missing}; it has {list(frame.columns)}")
    sets = [tuple(str(x) for x in v) if isinstance(v, (list, tuple, set, np.ndarray)) else split_labels(v)
            for v in frame["labels"]]
    problems = Problems(f"gold frame for {folder}")
    files, lines = row_locations(frame)
    carried = _empty_sets(folder) if space.none_label is not None and not all(sets) else set()
    annotators = as_text(frame.reindex(columns=["annotator"]))["annotator"].tolist()
    for i, (names, rid) in enumerate(zip(sets, frame["row_id"].astype(str))):
        unknown = [x for x in names if x not in space.labels]
        if unknown:
            problems.add("unknown_label", f"unknown label(s) {unknown}", where=location(files[i], lines[i], "labels"))
        if not names and space.none_label is not None and (rid, annotators[i]) not in carried:
            problems.add("empty_label_set", empty_set_problem(rid, space.none_label),
                         where=location(files[i], lines[i], "labels"))
    out = as_text(frame[[c for c in ("row_id", "split", *OPTIONAL) if c in frame.columns]])
    out.insert(1, "labels", [SEPARATOR.join(x for x in space.labels if x in names) for names in sets])
    out = out.drop(columns=[c for c in OPTIONAL if c in out and not (out[c] != "").any()])
    checked = out.assign(_file=files, _line=lines)
    for col in OPTIONAL:
        checked[col] = checked[col] if col in checked else ""
    validate_rows(checked, space, problems)
    problems.raise_if_any(GoldSetError, fix=f"the labels are {list(space.labels)}" + (
        f": fix them, or add the classes to {unknown_fix}" if any(p.code == "unknown_label" for p in problems) else ""))
    digest = multilabel_hash(out, space, task)
    with gold_lock(folder, create=True):  # read the manifest, plan, write, publish: one writer at a time
        previous = None
        if (folder / MANIFEST).is_file():
            try:
                previous = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            except ValueError as exc:
                raise GoldSetError(f"{folder / MANIFEST}: not valid JSON ({exc}); fix it before writing a new version"
                                   ) from None
            if not is_multilabel_gold(folder):
                raise GoldSetError(f"{folder} holds a classification gold set; write the multi-label one to its own "
                                   "folder")
            if skip_if_unchanged and previous.get("content_hash") == digest:
                return load_multilabel_gold(folder, space=space)
        name, write, versions = plan_version(previous, folder, version=version, digest=digest, file_name=None)
        escaped = [str(f) for f in (previous or {}).get(ESCAPED_FILES) or [] if str(f) != name or not write]
        fresh = write and not (folder / name).exists()  # a new file: removed if the manifest fails
        if write:
            with atomic_path(folder / name) as tmp:
                write_csv(out, tmp, escape=escape_formulas)
            if escape_formulas:
                escaped.append(name)
        splits = {s: int((out.drop_duplicates("row_id")["split"] == s).sum()) for s in SPLITS}
        manifest: dict[str, Any] = {
            "task": task, "type": GOLD_TYPE, "version": version, "label_space": list(space.labels),
            "exclusive": [list(g) for g in space.exclusive], "none_label": space.none_label, "files": [name],
            "id_column": "row_id", "label_column": LABELS_COLUMN, "label_separator": SEPARATOR, "splits": splits,
            "content_hash": digest, "description": description or (previous or {}).get("description", ""),
            VERSIONS: versions,
        }
        publish_manifest(folder, manifest, escaped=escaped, history=history, previous=previous,
                         written=folder / name if fresh else None)
        return load_multilabel_gold(folder, space=space)


def _empty_sets(folder: Path) -> set[tuple[str, str]]:
    """The ``(row_id, annotator)`` annotations with an empty label set in the gold set's current version (none when
    ``folder`` holds no readable multi-label gold set)."""
    if not is_multilabel_gold(folder):
        return set()
    try:
        frame = load_multilabel_gold(folder).frame
    except GoldSetError:
        return set()
    return {(str(r), str(a)) for r, a, v in zip(frame["row_id"], frame["annotator"], frame["labels"]) if not v}
