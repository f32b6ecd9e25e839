"""Benchmark datasets in the WRENCH format (vote matrices with gold labels).

Three layouts load: a WRENCH folder (``label.json`` and any of ``train/valid/test.json``), a
``*_votes.npz`` file (keys ``L_<split>``, ``y_<split>``), and a FlyingSquid folder of ``.npy``
arrays (``L_<split>*.npy``/``Y_<split>*.npy``, votes ``-1``/``+1`` with ``0`` = abstain). Any split
may be missing; :meth:`WrenchDataset.roles` says which split a label model is fitted on, which one
gives dev gold and which one is scored (a test-only folder: fitted transductively on the test votes,
no dev gold).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.datasets.wrench_arrays import load_flyingsquid, load_npz
from weaksup.datasets.wrench_split import SPLITS, WRENCH_F1, Roles, Split, WrenchDataset
from weaksup.errors import DatasetError, LabelSpaceError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

__all__ = ["SPLITS", "WRENCH_F1", "Roles", "Split", "WrenchDataset", "find_datasets", "is_dataset_folder",
           "load_wrench"]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from None


def _json_split(path: Path, space: LabelSpace, n_lfs: int | None, raw: Any = None) -> Split:
    raw = _read_json(path) if raw is None else raw
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


def load_wrench(folder: str | os.PathLike[str]) -> WrenchDataset:
    """Read a WRENCH-format dataset: a folder with ``train/valid/test.json`` and ``label.json``, or a ``.npz``.

    Any split may be missing. A folder holding a single ``*_votes.npz`` (and no JSON) is read
    from that file, with keys ``L_<split>`` and ``y_<split>``. A folder of FlyingSquid ``.npy``
    arrays (``L_train_video.npy``, ``L_dev_video.npy``, ``Y_dev_video.npy``) is read in FlyingSquid's
    convention: votes ``-1``/``+1`` become classes 0/1, a ``0`` vote abstains, ``dev`` is the
    ``valid`` split, and a split without its ``Y_`` file has no gold (``y`` all ``-1``).

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
        return load_npz(path, path.stem.replace("_votes", ""))
    label_file = path / "label.json"
    files = {s: path / f"{s}.json" for s in SPLITS if (path / f"{s}.json").exists()}
    if not label_file.exists() and not files:
        npz = sorted(path.glob("*.npz"))
        if len(npz) == 1:
            return load_npz(npz[0], path.name)
        if list(path.glob("L_*.npy")):
            return load_flyingsquid(path)
        raise DatasetError(f"{path}: no label.json nor {'/'.join(SPLITS)}.json (and not exactly one .npz, nor "
                           "L_<split>.npy files); not a WRENCH dataset folder")
    raws = {s: _read_json(file) for s, file in files.items()}
    if label_file.exists():
        space, metric = _label_file(label_file)
    else:
        space, metric = _inferred_space(raws), None
        logger.info("%s: no label.json; classes 0..%d named by their ids", path, space.cardinality - 1)
    splits: dict[str, Split] = {}
    n_lfs = None
    for s, file in files.items():
        splits[s] = _json_split(file, space, n_lfs, raws[s])
        n_lfs = splits[s].votes.shape[1]
    if not splits:
        raise DatasetError(f"{path}: none of {', '.join(s + '.json' for s in SPLITS)} exists")
    return WrenchDataset(path.name, space, splits, metric)


def _inferred_space(raws: dict[str, Any]) -> LabelSpace:
    """Classes ``"0".."k-1"`` for split files without ``label.json``: ``k`` from the largest label or vote (>= 2)."""
    top = 1
    for raw in raws.values():
        for item in raw.values() if isinstance(raw, dict) else ():
            if isinstance(item, dict):
                weak = item.get("weak_labels")
                values = [item.get("label"), *(weak if isinstance(weak, list) else [])]
                top = max([top, *(v for v in values if isinstance(v, int) and not isinstance(v, bool))])
    return LabelSpace([str(c) for c in range(top + 1)])


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
    """Every dataset folder directly under ``root`` (:func:`is_dataset_folder`).

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
    return [sub for sub in sorted(p for p in Path(root).iterdir() if p.is_dir()) if is_dataset_folder(sub)]


def is_dataset_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether :func:`load_wrench` reads ``folder``: ``label.json`` or a ``<split>.json``, one ``*_votes.npz``,
    or FlyingSquid ``L_*.npy`` files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> is_dataset_folder(folder), (folder / "test.json").write_text("{}") > 0, is_dataset_folder(folder)
    (False, True, True)
    """
    path = Path(folder)
    return path.is_dir() and ((path / "label.json").exists() or any((path / f"{s}.json").exists() for s in SPLITS)
                              or len(list(path.glob("*_votes.npz"))) == 1 or bool(list(path.glob("L_*.npy"))))
