"""The data model of WRENCH-format benchmark datasets: :class:`Split`, :class:`WrenchDataset` and the
:class:`Roles` of their splits in a benchmark run (read by :mod:`weaksup.datasets.wrench`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup.errors import DatasetError, ParameterError
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

