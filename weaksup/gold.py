"""Gold sets: versioned, validated, content-hashed hand labels under ``gold_sets/<task>/``.

A gold set is a folder holding a ``manifest.json`` and one or more label files::

    gold_sets/youtube_spam/
        manifest.json   {"task": "youtube_spam", "version": 1, "label_space": ["ham", "spam"],
                         "files": ["labels.csv"], "id_column": "row_id", ...}
        labels.csv      row_id,label,split,annotator,timestamp

Label files are CSV (``.csv``) or JSON Lines (``.jsonl``), one annotation per row or line:

- ``row_id`` (or the manifest's ``id_column``): the id of the labelled data row;
- ``label``: a class name of the manifest's ``label_space``;
- ``split``: ``dev`` (for writing and tuning LFs and label models) or ``test`` (only for measuring);
- ``annotator`` and ``timestamp`` (ISO 8601), optional. Several annotators may label the same row:
  :meth:`GoldSet.labels` takes their majority, :func:`agreement` measures how much they agree.

Other columns are kept in :attr:`GoldSet.frame` but are not part of the gold set's identity.

Loading (:func:`load_gold`) checks everything and reports every problem at once, each with its
file and line, in one :class:`~weaksup.errors.GoldSetError`. :attr:`GoldSet.hash` identifies the
content (ids, labels, splits, annotators, timestamps and the label space; not the row order or
the file format): log it wherever the gold set is used.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.errors import GoldSetError, GoldSetProblem, LabelSpaceError
from weaksup.labels import ABSTAIN, LabelSpace

logger = logging.getLogger(__name__)

#: The splits a gold row may belong to.
SPLITS = ("dev", "test")
#: The columns every label file must have (besides the id column).
REQUIRED = ("label", "split")
#: Optional columns that are part of a gold set's identity.
OPTIONAL = ("annotator", "timestamp")
MANIFEST = "manifest.json"
_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


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

    def __len__(self) -> int:
        return len(self.frame)

    def counts(self) -> dict[str, int]:
        """The number of labelled rows per split."""
        per_row = self.frame.drop_duplicates("row_id")
        return {s: int((per_row["split"] == s).sum()) for s in SPLITS if (per_row["split"] == s).any()}

    def labels(self, split: str | None = None) -> pd.Series:
        """One class name per labelled row (the annotators' majority), indexed by row id.

        Rows whose annotators tie are left out, with a logged warning naming how many.
        """
        frame = self.frame if split is None else self.frame[self.frame["split"] == _check_split(split)]
        if frame["row_id"].is_unique:
            return pd.Series(frame["label"].to_numpy(), index=pd.Index(frame["row_id"], name="row_id"), name="label")
        counts = frame.groupby(["row_id", "label"], sort=False).size().rename("n").reset_index()
        top = counts.groupby("row_id", sort=False)["n"].transform("max")
        winners = counts[counts["n"] == top]
        tied = winners["row_id"].duplicated(keep=False)
        if tied.any():
            logger.warning(
                "gold set %s: %d row(s) have tied annotations and are left out of the labels; resolve them "
                "(e.g. a third annotator), see weaksup.gold.agreement", self.task, winners.loc[tied, "row_id"].nunique(),
            )
        winners = winners[~tied]
        return pd.Series(winners["label"].to_numpy(), index=pd.Index(winners["row_id"], name="row_id"), name="label")

    def y(self, row_ids: Iterable[Any], split: str | None = None) -> np.ndarray:
        """Gold class ids aligned with ``row_ids``; ``ABSTAIN`` where a row has no gold label.

        Examples
        --------
        >>> gold = load_gold("gold_sets/youtube_spam")
        >>> y = gold.y(["LZQPQhLyRh_C2cTtd9MvFRJedxydaVW-2sNg5Diuo4A", "not-labelled"])
        >>> y.tolist()
        [1, -1]
        """
        ids = self.labels(split).map(self.label_space.id)
        target = row_ids if isinstance(row_ids, (np.ndarray, pd.Index, pd.Series)) else list(row_ids)
        aligned = ids.reindex(pd.Index(target))  # vectorised: fast for millions of rows
        return aligned.fillna(ABSTAIN).to_numpy(dtype=np.int64)

    def split(self, name: str) -> GoldSet:
        """The gold set restricted to one split (its hash is that of the subset)."""
        frame = self.frame[self.frame["split"] == _check_split(name)].reset_index(drop=True)
        return GoldSet(self.task, self.version, self.label_space, frame,
                       content_hash(frame, self.label_space, self.task), self.path, self.manifest)

    def describe(self) -> str:
        """A one-line provenance string, e.g. ``youtube_spam v1 (sha 1a2b..., 286 dev + 290 test)``."""
        counts = " + ".join(f"{n} {s}" for s, n in self.counts().items())
        return f"{self.task} v{self.version} (hash {self.hash}; {counts})"


def content_hash(frame: pd.DataFrame, label_space: LabelSpace, task: str = "") -> str:
    """A 16-hex-digit sha256 of the identity columns, independent of row order and file format.

    Examples
    --------
    >>> a = pd.DataFrame({"row_id": ["1", "2"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    >>> content_hash(a, LabelSpace(["ham", "spam"])) == content_hash(a[::-1], LabelSpace(["ham", "spam"]))
    True
    """
    cols = ["row_id", "label", "split", *OPTIONAL]
    rows = _as_text(frame.reindex(columns=cols)).to_numpy().tolist()
    blob = json.dumps({"task": task, "label_space": list(label_space), "rows": sorted(rows)},
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def load_gold(
    path: str | os.PathLike[str],
    *,
    row_ids: Iterable[Any] | None = None,
    label_space: LabelSpace | Sequence[str] | None = None,
) -> GoldSet:
    """Load and validate the gold set in a folder (or the folder of a ``manifest.json``).

    Parameters
    ----------
    path : path-like
        ``gold_sets/<task>`` or its ``manifest.json``.
    row_ids : iterable, optional
        The ids of the dataset the gold set labels; every gold id must be among them.
    label_space : LabelSpace or sequence of str, optional
        The label space the caller expects (e.g. the registry's); it must equal the manifest's.

    Raises
    ------
    GoldSetError
        With every problem found (``.problems``), each naming the file, the line and the column:
        a missing or malformed manifest, missing or empty files, missing columns, blank ids, unknown
        labels, bad splits or timestamps, duplicate ids, a row in two splits, ids not in the dataset.

    Examples
    --------
    >>> load_gold("gold_sets/youtube_spam").describe()  # doctest: +ELLIPSIS
    'youtube_spam v1 (hash ...; 286 dev + 290 test)'
    """
    folder = Path(path)
    if folder.name == MANIFEST:
        folder = folder.parent
    problems: list[GoldSetProblem] = []
    manifest, space, files, id_column = _read_manifest(folder, problems)
    if space is not None and label_space is not None:
        expected = label_space if isinstance(label_space, LabelSpace) else LabelSpace(label_space)
        if expected != space:
            problems.append(GoldSetProblem(
                str(folder / MANIFEST), None, "label_space",
                f"the gold set's label space {list(space)} differs from the expected {list(expected)}; "
                "label the gold set with the task's classes, in the same order",
            ))
    records: list[dict[str, Any]] = []
    for file in files:
        records.extend(_read_file(file, id_column, problems))
    frame = pd.DataFrame.from_records(records) if records else _empty_frame()
    if space is not None and records:
        _validate(frame, space, row_ids, problems)
    if problems:
        raise GoldSetError.from_problems(f"gold set {folder}", problems)
    first = ["row_id", *REQUIRED, *OPTIONAL]
    frame = frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)
    digest = content_hash(frame, space, manifest["task"])
    if manifest.get("content_hash") not in (None, digest):
        logger.warning(
            "gold set %s: the labels changed since the manifest was written (content_hash %s, now %s); "
            "bump its version and rewrite it with weaksup.gold.write_gold", folder, manifest["content_hash"], digest,
        )
    gold = GoldSet(manifest["task"], manifest["version"], space, frame, digest, folder, manifest)
    logger.info("loaded gold set %s", gold.describe())
    return gold


def write_gold(
    frame: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    task: str,
    label_space: LabelSpace | Sequence[str],
    version: int | str = 1,
    description: str = "",
    file_name: str = "labels.csv",
    row_ids: Iterable[Any] | None = None,
) -> GoldSet:
    """Validate ``frame`` as a gold set and write it (label file and manifest, each atomically).

    ``frame`` needs ``row_id``, ``label`` and ``split`` columns, and may have ``annotator`` and
    ``timestamp``. Nothing is written when it has problems (the :class:`GoldSetError` lists them
    with the frame's row positions as lines). The manifest records the content hash.

    Examples
    --------
    >>> import tempfile
    >>> rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    >>> gold = write_gold(rows, tempfile.mkdtemp(), task="demo", label_space=["ham", "spam"])
    >>> gold.counts()
    {'dev': 1, 'test': 1}
    """
    space = label_space if isinstance(label_space, LabelSpace) else LabelSpace(label_space)
    folder = Path(folder)
    fmt = _FORMATS.get(Path(file_name).suffix.lower())
    problems: list[GoldSetProblem] = []
    if fmt is None:
        raise GoldSetError(f"{file_name}: unsupported gold file type; use .csv or .jsonl")
    missing = [c for c in ("row_id", *REQUIRED) if c not in frame.columns]
    if missing:
        raise GoldSetError(f"gold frame: missing column(s) {missing}; it has {list(frame.columns)}")
    out = frame[[c for c in ("row_id", *REQUIRED, *OPTIONAL) if c in frame.columns]].copy()
    out = _as_text(out)
    out = out.drop(columns=[c for c in OPTIONAL if c in out and not (out[c] != "").any()])
    checked = out.assign(_file="<frame>", _line=np.arange(len(out)))
    for col in OPTIONAL:
        checked[col] = checked[col] if col in checked else ""
    _validate(checked, space, row_ids, problems)
    if problems:
        raise GoldSetError.from_problems(f"gold frame for {folder}", problems)
    target = folder / file_name
    with atomic_path(target) as tmp:
        if fmt == "csv":
            out.to_csv(tmp, index=False, lineterminator="\n")
        else:
            out.to_json(tmp, orient="records", lines=True, force_ascii=False)
    digest = content_hash(out, space, task)
    manifest = {
        "task": task, "version": version, "label_space": list(space), "files": [file_name],
        "id_column": "row_id", "splits": {s: int((out.drop_duplicates("row_id")["split"] == s).sum()) for s in SPLITS},
        "content_hash": digest, "description": description,
    }
    with atomic_path(folder / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return load_gold(folder)


@dataclass(frozen=True)
class Agreement:
    """Inter-annotator agreement over the rows labelled by two or more annotators.

    Attributes
    ----------
    n_items : int
        Rows with at least two annotations.
    n_annotators : int
        Distinct annotators over those rows.
    raw_agreement : float
        The share of agreeing annotation pairs, averaged over rows (Fleiss' observed agreement).
    cohen_kappa : float
        Cohen's kappa for two annotators; with more, the mean over annotator pairs sharing rows
        (Light's kappa). NaN when no pair shares a row.
    fleiss_kappa : float
        Fleiss' kappa (rows may have different numbers of annotators).
    pairwise : pandas.DataFrame
        One row per annotator pair: ``annotator_a``, ``annotator_b``, ``n_items``, ``agreement``, ``cohen_kappa``.
    """

    n_items: int
    n_annotators: int
    raw_agreement: float
    cohen_kappa: float
    fleiss_kappa: float
    pairwise: pd.DataFrame = field(repr=False)


def agreement(gold: GoldSet | pd.DataFrame, label_space: LabelSpace | Sequence[str] | None = None) -> Agreement:
    """Raw agreement, Cohen's and Fleiss' kappa of the annotators of a gold set.

    Parameters
    ----------
    gold : GoldSet or DataFrame
        Annotations with ``row_id``, ``label`` and ``annotator`` columns.
    label_space : optional
        The classes (taken from a GoldSet; from the labels seen otherwise).

    Examples
    --------
    >>> rows = pd.DataFrame({"row_id": [1, 1, 2, 2, 3, 3], "annotator": list("ababab"),
    ...                      "label": ["x", "x", "y", "y", "x", "y"]})
    >>> a = agreement(rows)
    >>> a.n_items, round(a.raw_agreement, 3), round(a.cohen_kappa, 3), round(a.fleiss_kappa, 3)
    (3, 0.667, 0.4, 0.333)
    """
    from sklearn.metrics import cohen_kappa_score

    frame = gold.frame if isinstance(gold, GoldSet) else gold
    if label_space is None:
        label_space = gold.label_space if isinstance(gold, GoldSet) else sorted(frame["label"].unique())
    classes = list(label_space)
    sizes = frame.groupby("row_id")["label"].transform("size")
    multi = frame[sizes >= 2]
    # counts[i, j]: annotators who gave row i the class j
    counts = pd.crosstab(multi["row_id"], pd.Categorical(multi["label"], categories=classes), dropna=False)
    counts = counts.to_numpy(dtype=float)
    n_i = counts.sum(axis=1)
    if len(counts):
        p_i = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
        p_bar = float(p_i.mean())
        p_j = counts.sum(axis=0) / counts.sum()
        p_e = float((p_j**2).sum())
        fleiss = (p_bar - p_e) / (1 - p_e) if p_e < 1 else float("nan")
    else:
        p_bar = fleiss = float("nan")
    pairs = []
    by_annotator = {a: g.set_index("row_id")["label"] for a, g in multi.groupby("annotator")}
    for a, b in itertools.combinations(sorted(by_annotator), 2):
        shared = by_annotator[a].index.intersection(by_annotator[b].index)
        if len(shared) == 0:
            continue
        ya, yb = by_annotator[a].loc[shared], by_annotator[b].loc[shared]
        kappa = cohen_kappa_score(ya, yb, labels=classes) if (ya.nunique() > 1 or yb.nunique() > 1) else float("nan")
        pairs.append({"annotator_a": a, "annotator_b": b, "n_items": len(shared),
                      "agreement": float((ya.to_numpy() == yb.to_numpy()).mean()), "cohen_kappa": float(kappa)})
    pairwise = pd.DataFrame(pairs, columns=["annotator_a", "annotator_b", "n_items", "agreement", "cohen_kappa"])
    cohen = float(pairwise["cohen_kappa"].mean()) if len(pairwise) else float("nan")
    return Agreement(len(counts), len(by_annotator), p_bar, cohen, float(fleiss), pairwise)


# --- reading and validation -------------------------------------------------------------------


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a string; missing cells as ``""``."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), "").astype(str)


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=["row_id", *REQUIRED, *OPTIONAL, "_file", "_line"])


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise GoldSetError(f"unknown gold split {split!r}; splits are {list(SPLITS)}")
    return split


def _read_manifest(folder: Path, problems: list[GoldSetProblem]):
    where = str(folder / MANIFEST)
    if not folder.is_dir():
        raise GoldSetError(f"gold set folder {str(folder)!r} does not exist; gold sets live in gold_sets/<task>/")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldSetError(
            f"{where}: missing; a gold set needs a manifest with task, version, label_space and files "
            "(see weaksup.gold.write_gold)") from None
    except json.JSONDecodeError as exc:
        raise GoldSetError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(manifest, dict):
        raise GoldSetError(f"{where}: must hold a JSON object; got {type(manifest).__name__}")
    for key in ("task", "version", "label_space", "files"):
        if key not in manifest:
            problems.append(GoldSetProblem(where, None, key, f"missing key {key!r}"))
    manifest.setdefault("task", folder.name)
    manifest.setdefault("version", "")
    space = None
    if "label_space" in manifest:
        try:
            space = LabelSpace(manifest["label_space"])
        except (LabelSpaceError, TypeError) as exc:
            problems.append(GoldSetProblem(where, None, "label_space", str(exc)))
    names = manifest.get("files", [])
    if isinstance(names, str) or not isinstance(names, list) or not names:
        if "files" in manifest:
            problems.append(GoldSetProblem(where, None, "files", f"must be a non-empty list of file names; got {names!r}"))
        names = []
    id_column = manifest.get("id_column", "row_id")
    files = []
    for name in names:
        file = folder / str(name)
        if Path(str(name)).suffix.lower() not in _FORMATS:
            problems.append(GoldSetProblem(str(file), None, None, "unsupported gold file type; use .csv or .jsonl"))
        elif not file.is_file():
            problems.append(GoldSetProblem(str(file), None, None, "listed in manifest.json but missing"))
        else:
            files.append(file)
    return manifest, space, files, id_column


def _read_file(file: Path, id_column: str, problems: list[GoldSetProblem]) -> list[dict[str, Any]]:
    """The records of one label file, each tagged with ``_file`` and ``_line``."""
    name = str(file)
    raw: list[tuple[int, dict[str, Any]]] = []
    if _FORMATS[file.suffix.lower()] == "csv":
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                problems.append(GoldSetProblem(name, 1, None, "empty file; expected a header row and labelled rows"))
                return []
            columns = set(header)
            line = 1
            for row in reader:
                raw.append((line + 1, row))
                line = reader.line_num
    else:
        columns = set()
        with open(file, encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    problems.append(GoldSetProblem(name, line, None, f"not valid JSON: {exc.msg}"))
                    continue
                if not isinstance(obj, dict):
                    problems.append(GoldSetProblem(name, line, None, f"expected a JSON object; got {type(obj).__name__}"))
                    continue
                columns |= set(obj)
                raw.append((line, obj))
    if not raw:
        problems.append(GoldSetProblem(name, None, None, "empty file: no labelled rows"))
        return []
    missing = [c for c in (id_column, *REQUIRED) if c not in columns]
    if missing:
        problems.append(GoldSetProblem(
            name, 1, ", ".join(missing),
            f"missing column(s) {missing}; gold files need {[id_column, *REQUIRED]} (optional {list(OPTIONAL)}); "
            f"found {sorted(columns)}"))
        return []
    records = []
    for line, row in raw:
        rec = {k: ("" if v is None else str(v).strip()) for k, v in row.items() if k is not None}
        rec["row_id"] = rec.pop(id_column)
        for col in OPTIONAL:
            rec.setdefault(col, "")
        rec["_file"], rec["_line"] = name, line
        records.append(rec)
    return records


def _validate(frame: pd.DataFrame, space: LabelSpace, row_ids: Iterable[Any] | None,
              problems: list[GoldSetProblem]) -> None:
    """Append one problem per bad cell, duplicate or conflict in ``frame`` (all rows, all files)."""
    known = set(space)
    wanted = None if row_ids is None else {str(r) for r in row_ids}
    where = list(zip(frame["_file"], frame["_line"]))
    for (file, line), rid, label, split, stamp in zip(where, frame["row_id"], frame["label"], frame["split"],
                                                      frame["timestamp"]):
        if not rid:
            problems.append(GoldSetProblem(file, line, "row_id", "blank row id"))
        elif wanted is not None and rid not in wanted:
            problems.append(GoldSetProblem(file, line, "row_id", f"id {rid!r} is not in the dataset; "
                                           "check the id column, or drop the row from the gold set"))
        if label not in known:
            problems.append(GoldSetProblem(file, line, "label", f"unknown label {label!r}; the label space is "
                                           f"{list(space)} (fix the label, or add the class to manifest.json)"))
        if split not in SPLITS:
            problems.append(GoldSetProblem(file, line, "split", f"unknown split {split!r}; use one of {list(SPLITS)}"))
        if stamp and pd.isna(pd.to_datetime(stamp, errors="coerce", format="ISO8601")):
            problems.append(GoldSetProblem(file, line, "timestamp", f"{stamp!r} is not an ISO 8601 time "
                                           "(e.g. 2024-05-01T12:00:00Z)"))
    first: dict[tuple[str, str], tuple[str, int]] = {}
    split_of: dict[str, tuple[str, str, int]] = {}
    for (file, line), rid, annotator, split in zip(where, frame["row_id"], frame["annotator"], frame["split"]):
        if not rid:
            continue
        key = (rid, annotator)
        if key in first:
            f0, l0 = first[key]
            who = f" by annotator {annotator!r}" if annotator else ""
            problems.append(GoldSetProblem(file, line, "row_id", f"duplicate id {rid!r}{who}: first at {f0}:{l0}; "
                                           "keep one row (or give each annotator's row its annotator)"))
        else:
            first[key] = (file, line)
        if split in SPLITS:
            prev = split_of.setdefault(rid, (split, file, line))
            if prev[0] != split:
                problems.append(GoldSetProblem(file, line, "split", f"id {rid!r} is in {split!r} here but in "
                                               f"{prev[0]!r} at {prev[1]}:{prev[2]}; a row belongs to one split"))

