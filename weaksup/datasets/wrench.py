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
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup.errors import DatasetError, LabelSpaceError, ParameterError
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

    @property
    def has_gold(self) -> bool:
        """Whether any row has a gold class id (a FlyingSquid train split has none)."""
        return bool((self.y != ABSTAIN).any())

    def take(self, rows: Any) -> Split:
        """The split restricted to ``rows`` (positions or a boolean mask), in that order."""
        rows = np.asarray(rows)
        data = self.data.iloc[rows] if len(self.data) == len(self.y) else self.data
        return Split(self.votes.take(rows), self.y[rows], data)

    def sample(self, size: int, *, seed: int = 0) -> Split:
        """``size`` rows with gold labels, drawn without replacement (seeded), stratified when possible.

        When ``size`` is at least the number of gold classes present, each class gets its share of
        ``size`` (largest remainders, at least one row each) and its rows are drawn at random;
        otherwise ``size`` rows are drawn at random from all gold rows. The rows keep the split's
        order. Every gold row when ``size`` is at least their number. The same ``size`` and ``seed``
        give the same rows.

        Examples
        --------
        >>> from weaksup.votes import VoteMatrix
        >>> split = Split(VoteMatrix([[0], [1], [0], [1], [0], [0]]), np.array([0, 1, 0, 1, 0, -1]))
        >>> small = split.sample(3, seed=1)
        >>> len(small.y), sorted(set(small.y.tolist())), small.y.tolist() == split.sample(3, seed=1).y.tolist()
        (3, [0, 1], True)
        >>> split.sample(100).y.tolist()  # every gold row; the one without gold is left out
        [0, 1, 0, 1, 0]
        """
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ParameterError(f"sample size must be a positive number of rows; got {size!r}")
        gold = np.flatnonzero(self.y != ABSTAIN)
        if size >= len(gold):
            return self.take(gold)
        rng = np.random.default_rng(seed)
        classes, counts = np.unique(self.y[gold], return_counts=True)
        if size < len(classes):
            return self.take(np.sort(rng.choice(gold, size, replace=False)))
        quota = _shares(counts, size)
        chosen = [rng.choice(gold[self.y[gold] == c], q, replace=False) for c, q in zip(classes, quota)]
        return self.take(np.sort(np.concatenate(chosen)))


def _shares(counts: np.ndarray, size: int) -> np.ndarray:
    """``size`` split over classes in proportion to ``counts`` (largest remainders), at least one each."""
    exact = counts * size / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    for c in np.argsort(-(exact - quota), kind="stable")[: size - int(quota.sum())]:
        quota[c] += 1
    while (quota == 0).any():  # a rare class: one row, taken from the class with the most rows to spare
        quota[np.argmax(quota - (quota == 0) * size)] -= 1
        quota[np.flatnonzero(quota == 0)[0]] = 1
    shares: np.ndarray = np.minimum(quota, counts)
    return shares


class Roles(NamedTuple):
    """Which split does what in a benchmark run (split names, ``None`` when there is none)."""

    #: The split whose votes label models are fitted on (never its labels).
    fit: str
    #: The split whose gold labels dev-aware models learn from.
    dev: str | None
    #: The split that is scored.
    evaluation: str

    @property
    def transductive(self) -> bool:
        """Fitted on the votes of the very rows that are scored (a folder with no other split)."""
        return self.fit == self.evaluation


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
        """``"f1"`` (binary, positive class 1) if ``label.json`` says so or WRENCH scores the set by F1, else ``"acc"``.

        A WRENCH F1 set is recognised by its name, or by its name before a ``_`` suffix
        (``tennis_flyingsquid`` is WRENCH's ``tennis``).
        """
        if self.marked_metric is not None:
            return self.marked_metric
        wrench_f1 = self.name in WRENCH_F1 or self.name.split("_")[0] in WRENCH_F1
        return "f1" if wrench_f1 and self.label_space.cardinality == 2 else "acc"

    def roles(self) -> Roles:
        """Which split label models are fitted on, which gives dev gold, which is scored.

        The scored split is ``test``, else (no test split) ``valid``. Label models are fitted on
        the votes of ``train``, else of ``valid``, else of the scored split itself (a test-only
        folder: transductive, and no dev gold). Dev gold is the ``valid`` split's, unless it is
        the scored split. A split without any gold label is never scored nor used as dev gold.

        Examples
        --------
        >>> from weaksup.votes import VoteMatrix
        >>> test = Split(VoteMatrix([[0, 1], [1, 1]]), np.array([0, 1]))
        >>> roles = WrenchDataset("t", LabelSpace(["a", "b"]), {"test": test}).roles()
        >>> roles, roles.transductive
        (Roles(fit='test', dev=None, evaluation='test'), True)
        """
        gold = [s for s in ("test", "valid") if s in self.splits and self.splits[s].has_gold]
        if not gold:
            raise DatasetError(f"dataset {self.name!r}: no test or valid split with gold labels (splits: "
                               f"{sorted(self.splits)}); add a test split whose rows have a 'label' other than -1")
        evaluation = gold[0]
        dev = "valid" if evaluation != "valid" and "valid" in gold else None
        fit = next(s for s in ("train", "valid", evaluation) if s in self.splits)
        return Roles(fit, dev, evaluation)


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
        return _npz_dataset(path, path.stem.replace("_votes", ""))
    label_file = path / "label.json"
    if not label_file.exists():
        npz = sorted(path.glob("*.npz"))
        if len(npz) == 1:
            return _npz_dataset(npz[0], path.name)
        if list(path.glob("L_*.npy")):
            return _npy_dataset(path)
        raise DatasetError(f"{path}: no label.json (and not exactly one .npz, nor L_<split>.npy files); "
                           "not a WRENCH dataset folder")
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


def _npy_dataset(path: Path) -> WrenchDataset:
    """A folder of FlyingSquid ``L_<split>*.npy`` votes and ``Y_<split>*.npy`` labels (binary, +-1, 0 abstains)."""
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
    """Every dataset folder directly under ``root``: ``label.json``, one ``*_votes.npz``, or ``L_*.npy`` files.

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
        if (sub / "label.json").exists() or len(list(sub.glob("*_votes.npz"))) == 1 or list(sub.glob("L_*.npy")):
            found.append(sub)
    return found
