"""Benchmark datasets in the WRENCH format (vote matrices with gold labels)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DatasetError, LabelSpaceError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix

#: WRENCH scores these datasets with binary F1 (positive class 1), the others with accuracy.
WRENCH_F1 = frozenset({"sms", "spouse", "cdr", "commercial", "tennis", "basketball", "census"})
SPLITS = ("train", "valid", "test")


@dataclass
class Split:
    """One split: the votes, the gold class ids (``ABSTAIN`` where unknown), and the raw records."""

    votes: VoteMatrix
    y: np.ndarray
    data: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class WrenchDataset:
    """A WRENCH-format dataset: its label space and its splits (any may be missing).

    ``marked_metric`` is the ``"metric"`` entry of ``label.json`` when it has one
    (``{"0": "ham", "1": "spam", "metric": "f1"}``), else ``None``.
    """

    name: str
    label_space: LabelSpace
    splits: dict[str, Split]
    marked_metric: str | None = None

    @property
    def metric(self) -> str:
        """``"f1"`` (binary, positive class 1) if ``label.json`` says so or WRENCH scores the set by F1, else ``"acc"``."""
        if self.marked_metric is not None:
            return self.marked_metric
        return "f1" if self.name in WRENCH_F1 and self.label_space.cardinality == 2 else "acc"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from None


def _json_split(path: Path, space: LabelSpace, n_lfs: int | None) -> Split:
    raw = _read_json(path)
    if not isinstance(raw, dict) or not raw:
        raise DatasetError(f"{path}: expected a non-empty JSON object {{id: {{label, weak_labels, data}}}}")
    ids, votes, labels, records = [], [], [], []
    for key, item in raw.items():
        if not isinstance(item, dict):
            raise DatasetError(f"{path}: entry {key!r} is {type(item).__name__}, expected an object")
        for needed in ("label", "weak_labels"):
            if needed not in item:
                raise DatasetError(f"{path}: entry {key!r} has no {needed!r} key (keys: {sorted(item)})")
        weak = item["weak_labels"]
        if not isinstance(weak, list) or not all(isinstance(v, int) for v in weak):
            raise DatasetError(f"{path}: entry {key!r}: 'weak_labels' must be a list of ints; got {weak!r}")
        n_lfs = len(weak) if n_lfs is None else n_lfs
        if len(weak) != n_lfs:
            raise DatasetError(f"{path}: entry {key!r} has {len(weak)} weak labels, earlier entries {n_lfs}")
        label = item["label"]
        if not isinstance(label, int) or not ABSTAIN <= label < space.cardinality:
            raise DatasetError(
                f"{path}: entry {key!r}: label {label!r} is not a class id of {list(space)} (or -1)"
            )
        ids.append(key)
        votes.append(weak)
        labels.append(label)
        records.append(item.get("data", {}))
    values = np.asarray(votes, dtype=np.int64).reshape(len(ids), n_lfs or 0)
    bad = (values < ABSTAIN) | (values >= space.cardinality)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DatasetError(f"{path}: entry {ids[r]!r}: weak label {values[r, c]} (LF {c}) is outside {list(space)}")
    lf_names = [f"lf{j}" for j in range(values.shape[1])]
    return Split(VoteMatrix(values, row_ids=ids, lf_names=lf_names, label_space=space), np.asarray(labels),
                 pd.DataFrame.from_records(records, index=pd.Index(ids, name="row_id")))


def _npz_dataset(path: Path, name: str) -> WrenchDataset:
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DatasetError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    with data:
        present = [s for s in SPLITS if f"L_{s}" in data.files]
        if not present:
            raise DatasetError(f"{path}: no 'L_train'/'L_valid'/'L_test' arrays (found {sorted(data.files)})")
        arrays = {}
        for s in present:
            if f"y_{s}" not in data.files:
                raise DatasetError(f"{path}: has 'L_{s}' but no 'y_{s}'")
            L, y = data[f"L_{s}"], data[f"y_{s}"]
            for key, arr in ((f"L_{s}", L), (f"y_{s}", y)):
                if not np.issubdtype(arr.dtype, np.integer) or (arr.size and arr.min() < ABSTAIN):
                    raise DatasetError(f"{path}: key {key!r} must hold integer class ids (-1 = abstain/unknown); "
                                       f"got dtype {arr.dtype}" + (f", minimum {arr.min()}" if arr.size else ""))
            if L.ndim != 2 or y.ndim != 1 or len(L) != len(y):
                raise DatasetError(f"{path}: key 'L_{s}' has shape {L.shape} and 'y_{s}' {y.shape}; "
                                   "expected (n, m) votes and n labels")
            arrays[s] = (L.astype(np.int64), y.astype(np.int64))
    k = int(max(max(L.max(initial=0), y.max(initial=0)) for L, y in arrays.values())) + 1
    space = LabelSpace([str(c) for c in range(max(k, 2))])
    widths = {s: L.shape[1] for s, (L, _) in arrays.items()}
    if len(set(widths.values())) > 1:
        raise DatasetError(f"{path}: the vote arrays have different numbers of LF columns {widths}")
    splits = {}
    for s, (L, y) in arrays.items():
        ids = np.arange(len(L))
        splits[s] = Split(VoteMatrix(L, row_ids=ids, lf_names=[f"lf{j}" for j in range(L.shape[1])], label_space=space),
                          y, pd.DataFrame(index=pd.Index(ids, name="row_id")))
    return WrenchDataset(name, space, splits)


def load_wrench(folder: str | os.PathLike[str]) -> WrenchDataset:
    """Read a WRENCH-format dataset: a folder with ``train/valid/test.json`` and ``label.json``, or a ``.npz``.

    Any split may be missing. A folder holding a single ``*_votes.npz`` (and no JSON) is read
    from that file, with keys ``L_<split>`` and ``y_<split>``.

    Examples
    --------
    >>> ds = load_wrench("../shared/data/youtube")  # doctest: +SKIP
    >>> ds.label_space, ds.splits["test"].votes.shape  # doctest: +SKIP
    (LabelSpace(['HAM', 'SPAM']), (250, 10))
    """
    path = Path(folder)
    if not path.exists():
        raise DatasetError(f"dataset {str(path)!r} does not exist")
    if path.is_file():
        if path.suffix != ".npz":
            raise DatasetError(f"{path}: expected a WRENCH folder or a .npz vote file")
        return _npz_dataset(path, path.stem.replace("_votes", ""))
    label_file = path / "label.json"
    if not label_file.exists():
        npz = sorted(path.glob("*.npz"))
        if len(npz) == 1:
            return _npz_dataset(npz[0], path.name)
        raise DatasetError(f"{path}: no label.json (and not exactly one .npz); not a WRENCH dataset folder")
    space, metric = _label_file(label_file)
    splits: dict[str, Split] = {}
    n_lfs = None
    for s in SPLITS:
        file = path / f"{s}.json"
        if file.exists():
            splits[s] = _json_split(file, space, n_lfs)
            n_lfs = splits[s].votes.shape[1]
    if not splits:
        raise DatasetError(f"{path}: none of {', '.join(s + '.json' for s in SPLITS)} exists")
    return WrenchDataset(path.name, space, splits, metric)


def _label_file(path: Path) -> tuple[LabelSpace, str | None]:
    """The label space of ``label.json`` (``{"0": name, ...}``) and its optional ``"metric"`` mark."""
    raw = _read_json(path)
    expected = '{"0": name, "1": name, ...} (plus an optional "metric": "acc" or "f1")'
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected {expected}; got {type(raw).__name__}")
    names = {key: value for key, value in raw.items() if key != "metric"}
    missing = [str(i) for i in range(len(names)) if str(i) not in names]
    if missing:
        raise DatasetError(f"{path}: keys must be the class ids 0..{len(names) - 1}; missing {missing} in "
                           f"{sorted(names)}; expected {expected}")
    try:
        space = LabelSpace([names[str(i)] for i in range(len(names))])
    except LabelSpaceError as exc:
        raise DatasetError(f"{path}: {exc}") from None
    metric = raw.get("metric")
    if metric is not None and (metric not in ("acc", "f1") or (metric == "f1" and space.cardinality != 2)):
        raise DatasetError(f"{path}: key 'metric' is {metric!r}; use 'acc', or 'f1' for two classes")
    return space, metric


def find_datasets(root: str | os.PathLike[str]) -> list[Path]:
    """Every WRENCH-format dataset folder (``label.json`` or one ``*_votes.npz``) directly under ``root``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["sms", "notes"]:
    ...     (root / name).mkdir()
    >>> _ = (root / "sms" / "label.json").write_text('{"0": "ham", "1": "spam"}')
    >>> [p.name for p in find_datasets(root)]
    ['sms']
    """
    root = Path(root)
    found = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        if (sub / "label.json").exists() or len(list(sub.glob("*_votes.npz"))) == 1:
            found.append(sub)
    return found
