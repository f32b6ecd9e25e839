"""WRENCH-format datasets stored as NumPy arrays: a ``*_votes.npz`` file and a FlyingSquid folder of ``.npy``
files (read by :func:`weaksup.datasets.load_wrench`)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from weaksup.datasets.wrench_split import SPLITS, Split, WrenchDataset
from weaksup.errors import DatasetError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix


def load_npz(path: Path, name: str) -> WrenchDataset:
    """A ``.npz`` of ``L_<split>`` votes and ``y_<split>`` labels (WRENCH's convention: ``-1`` abstains).

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "toy_votes.npz"
    >>> np.savez(file, L_test=np.array([[0, -1], [1, 1]]), y_test=np.array([0, 1]))
    >>> ds = load_npz(file, "toy")
    >>> list(ds.splits), ds.label_space.cardinality
    (['test'], 2)
    """
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




_NPY = re.compile(r"^([LY])_(train|dev|valid|test)(?:_.*)?\.npy$")


def _npy_array(file: Path, values: tuple[int, ...]) -> np.ndarray:
    """A FlyingSquid array whose entries are all in ``values`` (whole floats accepted), as int64."""
    try:
        arr = np.load(file, allow_pickle=False)
    except Exception as exc:
        raise DatasetError(f"{file}: cannot read ({type(exc).__name__}: {exc})") from None
    if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, values).all():
        found = sorted(set(np.unique(arr).tolist()) - set(values)) if np.issubdtype(arr.dtype, np.number) else arr.dtype
        raise DatasetError(f"{file}: FlyingSquid arrays hold {list(values)} (votes -1/+1, 0 = abstain; labels "
                           f"-1/+1); found {found}")
    as_int: np.ndarray = arr.astype(np.int64)
    return as_int


def load_flyingsquid(path: Path) -> WrenchDataset:
    """A folder of FlyingSquid ``L_<split>*.npy`` votes and ``Y_<split>*.npy`` labels (binary, +-1, 0 abstains).

    Votes ``-1``/``+1`` become classes 0/1 (named ``"-1"``, ``"+1"``), a ``0`` vote abstains, ``dev``
    is the ``valid`` split, and a split without its ``Y_`` file has no gold (``y`` all ``-1``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> np.save(folder / "L_dev_video.npy", np.array([[1, 0], [-1, -1]]))
    >>> np.save(folder / "Y_dev_video.npy", np.array([1, -1]))
    >>> valid = load_flyingsquid(folder).splits["valid"]
    >>> valid.votes.values.tolist(), valid.y.tolist()
    ([[1, -1], [0, 0]], [1, 0])
    """
    files: dict[tuple[str, str], Path] = {}
    for file in sorted(path.glob("*.npy")):
        if (match := _NPY.match(file.name)) is not None:
            kind, split = match.group(1), {"dev": "valid"}.get(match.group(2), match.group(2))
            if (kind, split) in files:
                raise DatasetError(f"{path}: two {kind} files for the {split!r} split: "
                                   f"{files[kind, split].name} and {file.name}; keep one")
            files[kind, split] = file
    space = LabelSpace(["-1", "+1"])
    splits: dict[str, Split] = {}
    for split in SPLITS:
        if ("L", split) not in files:
            continue
        raw = _npy_array(files["L", split], (-1, 0, 1))
        votes = np.where(raw == 0, ABSTAIN, (raw + 1) // 2)
        y = np.full(len(votes), ABSTAIN, dtype=np.int64)
        if ("Y", split) in files:
            labels = _npy_array(files["Y", split], (-1, 1)).reshape(-1)
            if votes.ndim != 2 or len(labels) != len(votes):
                raise DatasetError(f"{files['Y', split]}: {len(labels)} labels for the {votes.shape} votes of "
                                   f"{files['L', split].name}; expected one label a row")
            y = (labels + 1) // 2
        if votes.ndim != 2 or (splits and votes.shape[1] != next(iter(splits.values())).votes.shape[1]):
            raise DatasetError(f"{files['L', split]}: votes of shape {votes.shape}; expected (rows, LFs) with the "
                               "same LFs in every split")
        ids = np.arange(len(votes))
        splits[split] = Split(VoteMatrix(votes, row_ids=ids, label_space=space), y,
                              pd.DataFrame(index=pd.Index(ids, name="row_id")))
    if not splits:
        raise DatasetError(f"{path}: no L_train/L_dev/L_valid/L_test .npy file")
    return WrenchDataset(path.name, space, splits)


