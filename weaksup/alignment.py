"""Gold labels aligned once to the rows of a vote matrix: :class:`AlignedGold`.

A gold set is keyed by row id and split; the LF summary, the metrics and the report need one class id
per vote row and a mask per split. :meth:`AlignedGold.of` does that matching once, and the aligned
object is handed down (see :mod:`weaksup.analysis`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from weaksup.errors import GoldSetError
from weaksup.gold import SPLITS
from weaksup.gold.core import match_ids
from weaksup.labels import ABSTAIN, LabelSpace, check_class_ids
from weaksup.validation import is_gold_set
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet

__all__ = ["AlignedGold", "gold_ids"]


@dataclass(frozen=True, eq=False)
class AlignedGold:
    """Gold labels aligned once to the rows of a vote matrix, with a mask per gold split.

    Build it with :meth:`of`; :func:`weaksup.analysis.lf_summary`, :func:`weaksup.evaluate.evaluate`,
    :func:`weaksup.evaluate.lf_errors` and :func:`weaksup.report.build_report` take it wherever
    they take gold.

    Attributes
    ----------
    y : int array (n,)
        The gold class id of each vote row, ``ABSTAIN`` where a row has no gold label.
    splits : mapping of str to bool array (n,), or None
        Per split (``"dev"``, ``"test"``), the vote rows in it; None for gold given as an array,
        which has no splits (a ``split`` asked of it is ignored).
    label_space : LabelSpace or None
        The gold set's classes.
    hash : str
        The gold set's content hash (empty for an array).
    source : GoldSet or None
        The gold set aligned (for its task, version, counts and labels).
    counts : dict of str to int
        Labelled rows per split in the gold set.

    Examples
    --------
    >>> gold = AlignedGold.of([0, -1, 1], VoteMatrix([[0], [1], [1]]))
    >>> gold.y.tolist(), gold.rows("test")[0].tolist()
    ([0, -1, 1], [0, 2])
    """

    y: np.ndarray = field(repr=False)
    splits: Mapping[str, np.ndarray] | None = field(repr=False)
    label_space: LabelSpace | None
    hash: str = ""
    source: GoldSet | None = field(default=None, repr=False)
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, gold: GoldSet | AlignedGold | np.ndarray | Sequence[int] | str | os.PathLike[str],
           votes: VoteMatrix) -> AlignedGold:
        """``gold`` aligned with the rows of ``votes``: a GoldSet (or its folder) is matched on
        ``votes.row_ids`` as text (:func:`weaksup.gold.core.match_ids`: the id ``101`` is the gold id ``"101"``);
        a Series of class ids by its index, matched the same way (rows it lacks have no gold); an array must hold
        one class id per row (``ABSTAIN`` for rows without gold); an AlignedGold is returned
        as is (after checking its length)."""
        if isinstance(gold, AlignedGold):
            if len(gold.y) != len(votes):
                raise GoldSetError(f"the aligned gold has {len(gold.y)} rows but the vote matrix has {len(votes)}; "
                                   "align the gold set to these votes (AlignedGold.of(gold, votes))")
            return gold
        if isinstance(gold, (str, os.PathLike)):  # a gold set folder
            from weaksup.gold import load_gold

            gold = load_gold(gold)
        if isinstance(gold, pd.DataFrame):
            raise GoldSetError("gold is a DataFrame: pass a GoldSet (weaksup.gold.load_gold(folder)), the gold set "
                               f"folder, or one class id per row ({ABSTAIN} for rows without gold)")
        if is_gold_set(gold):
            gold_set = cast("GoldSet", gold)
            ids = pd.Index(votes.row_ids)
            split_of = gold_set.frame.drop_duplicates("row_id").set_index("row_id")["split"]  # one split per row
            at = match_ids(split_of.index, ids)  # as text, as GoldSet.y matches them
            aligned_split = np.full(len(ids), None, dtype=object)
            aligned_split[at >= 0] = split_of.to_numpy(dtype=object)[at[at >= 0]]
            return cls(y=gold_set.y(ids), splits={s: aligned_split == s for s in SPLITS},
                       label_space=gold_set.label_space, hash=gold_set.hash, source=gold_set, counts=gold_set.counts())
        if isinstance(gold, pd.Series):  # by its index, as pandas aligns: matched to the row ids as text
            at = match_ids(gold.index, votes.row_ids)
            strays = len(gold) - len(np.unique(at[at >= 0]))  # its entries that are no row of the votes
            if strays:  # (a column of another frame, indexed 0..n-1 beside ids 1..n, would shift every label)
                raise GoldSetError(f"gold is a Series with {strays} of its {len(gold)} index entries not among the "
                                   f"vote matrix's row ids (index starts {list(gold.index[:3])}, row ids "
                                   f"{list(votes.row_ids[:3])}): index it by row id (gold.reindex(votes.row_ids) "
                                   "keeps those rows), or pass gold.to_numpy() for one class id per row in the "
                                   "votes' order")
            values = check_class_ids(gold.to_numpy(), name="gold", error=GoldSetError)
            return cls(y=np.where(at >= 0, values[np.maximum(at, 0)], ABSTAIN), splits=None, label_space=None)
        y = check_class_ids(gold, name="gold", error=GoldSetError)
        if len(y) != len(votes):
            raise GoldSetError(f"gold has {len(y)} labels but the vote matrix has {len(votes)} rows; "
                               f"pass one class id per row ({ABSTAIN} for rows without gold), or a GoldSet")
        return cls(y=y, splits=None, label_space=None)

    def _mask(self, split: str) -> np.ndarray:
        assert self.splits is not None
        if split not in self.splits:
            raise GoldSetError(f"unknown gold split {split!r}; splits are {list(SPLITS)}")
        return self.splits[split]

    def y_in(self, split: str | None) -> np.ndarray:
        """:attr:`y` with ``ABSTAIN`` outside ``split`` (``None``: every gold row).

        Examples
        --------
        >>> AlignedGold(y=np.array([0, 1, -1]), splits={"dev": np.array([True, False, False])},
        ...             label_space=None).y_in("dev").tolist()
        [0, -1, -1]
        """
        if split is None or self.splits is None:
            return self.y
        return np.where(self._mask(split), self.y, ABSTAIN)

    def rows(self, split: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the vote rows with a gold label in ``split``, and those labels."""
        y = self.y_in(split)
        rows = np.flatnonzero(y != ABSTAIN)
        return rows, y[rows]

    def restrict(self, split: str) -> AlignedGold:
        """Only the rows of one split (its hash that of the split, as :meth:`GoldSet.split <weaksup.gold.GoldSet.split>`)."""
        if self.splits is None or self.source is None:
            return self
        subset = self.source.split(split)
        mask = self._mask(split)
        return AlignedGold(y=np.where(mask, self.y, ABSTAIN),
                           splits={s: (mask if s == split else np.zeros_like(mask)) for s in self.splits},
                           label_space=self.label_space, hash=subset.hash, source=subset,
                           counts={s: n for s, n in self.counts.items() if s == split})


def gold_ids(gold: GoldSet | AlignedGold | np.ndarray | Sequence[int], votes: VoteMatrix) -> np.ndarray:
    """Gold class ids aligned with the rows of ``votes`` (``ABSTAIN`` where a row has no gold label).

    ``gold`` is a :class:`~weaksup.gold.GoldSet` (matched on ``votes.row_ids``) or an array of
    class ids, one per row (see :meth:`AlignedGold.of`).

    Examples
    --------
    >>> gold_ids(np.array([1, -1]), VoteMatrix([[0], [1]])).tolist()
    [1, -1]
    """
    return AlignedGold.of(gold, votes).y
