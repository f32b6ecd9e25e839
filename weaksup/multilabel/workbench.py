"""The multi-label Workbench: write multi-label LFs in a notebook and see, per label, what each one does.

:class:`MultiLabelWorkbench` keeps the data, the dev gold (a ``(n, k)`` label matrix on the rows that have it), the
current LFs and their votes, cached by ``name@version`` (adding or editing one LF applies only that LF).
:meth:`MultiLabelWorkbench.preview` shows, for each label an LF votes on, how many rows it says **yes** and **no**
on, its coverage and its precision on the dev gold (yes: the row carries the label; no: it does not), how much it
adds to the other LFs and where it contradicts them, with sample rows (matches highlighted);
:meth:`MultiLabelWorkbench.label` shows one label across all LFs (who votes on it, dev recall of the yes votes,
gold rows no LF finds); :meth:`MultiLabelWorkbench.summary` the per-(LF, label) table
(:func:`~weaksup.multilabel.summary.multilabel_lf_summary`, precision on the dev gold rows only).

Only dev gold belongs here: LFs are written on dev, the test split is for measuring.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError, MissingColumnError, ParameterError
from weaksup.lf.core import LabelingFunction
from weaksup.multilabel.apply import apply_multilabel_lfs, as_multilabel_lf_list, check_lf_labels
from weaksup.multilabel.outputs import labels_from_cell
from weaksup.multilabel.space import MultiLabelSpace, broken_rules_note
from weaksup.multilabel.summary import multilabel_lf_summary
from weaksup.multilabel.votes import MultiLabelVotes
from weaksup.render import NOTEBOOK_STYLE, clip, html_table
from weaksup.validation import check_row_ids

if TYPE_CHECKING:
    from weaksup.workbench.preview import RowSample

logger = logging.getLogger(__name__)

__all__ = ["LabelView", "MultiLabelPreview", "MultiLabelWorkbench", "dev_gold"]

#: The per-label columns of a preview (and of a label view's LF table).
PREVIEW_COLUMNS = ["label", "yes", "no", "coverage", "precision", "no_precision", "dev_yes", "dev_no",
                   "new_yes", "conflicts"]


def dev_gold(gold: Any, row_ids: np.ndarray, space: MultiLabelSpace) -> tuple[np.ndarray, np.ndarray]:
    """``(Y, has_gold)``: the ``(n, k)`` dev gold matrix of the rows and which rows have dev gold.

    ``gold`` is a gold-set folder (its ``dev`` split, :func:`~weaksup.multilabel.gold.load_multilabel_gold`), a
    Series or mapping from row id to labels (a list/tuple/set of names or a ``;``-joined string; rows missing
    from it have no gold), or an ``(n, k)`` bool array for every row.

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> Y, has = dev_gold(pd.Series({"a": "joy;anger", "c": []}), np.array(["a", "b", "c"]), space)
    >>> Y.astype(int).tolist(), has.tolist()
    ([[1, 1], [0, 0], [0, 0]], [True, False, True])
    """
    n = len(row_ids)
    if gold is None:
        return np.zeros((n, space.k), dtype=bool), np.zeros(n, dtype=bool)
    if isinstance(gold, (str, os.PathLike)):
        from weaksup.multilabel.gold import load_multilabel_gold

        ids, M = load_multilabel_gold(gold, space=space).matrix("dev")
        gold = pd.Series(list(space.decode(M)), index=ids, dtype=object)
    if isinstance(gold, dict):
        gold = pd.Series(gold, dtype=object)
    if isinstance(gold, pd.Series):
        where = {str(r): i for i, r in enumerate(row_ids)}
        Y = np.zeros((n, space.k), dtype=bool)
        has = np.zeros(n, dtype=bool)
        seen: dict[str, frozenset[str]] = {}
        for row_id, labels in gold.items():
            i = where.get(str(row_id))
            if i is None:
                continue
            names = labels_from_cell(labels, empty_cell="empty set") or []  # gold: an empty cell is no label
            if seen.setdefault(str(row_id), frozenset(names)) != frozenset(names):
                raise DataError(f"MultiLabelWorkbench(gold=...): row id {row_id!r} has two different label sets, "
                                f"{sorted(seen[str(row_id)])} and {sorted(names)}; keep one per row id")
            Y[i] = space.encode([names], where=f"gold of row {row_id!r}")[0]
            has[i] = True
        if not has.any() and len(gold):
            raise DataError(f"MultiLabelWorkbench: none of the {len(gold)} gold row ids is a row id of the data "
                            f"(e.g. {list(gold.index[:3])} vs {list(row_ids[:3])}); check id_column=")
        return Y, has
    Y = np.asarray(gold, dtype=bool)
    if Y.shape != (n, space.k):
        raise ParameterError(f"MultiLabelWorkbench: a gold array must have shape ({n}, {space.k}) (rows x labels); "
                             f"got {Y.shape}. Pass a Series from row id to labels for gold on some rows only")
    return Y, np.ones(n, dtype=bool)


def _rate(hits: np.ndarray, of: np.ndarray) -> float:
    return float(hits.sum() / of.sum()) if of.any() else float("nan")


def label_table(V: np.ndarray, j: int, labels: Sequence[int], space: MultiLabelSpace, Y: np.ndarray,
                has: np.ndarray) -> pd.DataFrame:
    """Per label of ``labels``: what LF ``j`` of the ``(n, m, k)`` votes ``V`` does (:data:`PREVIEW_COLUMNS`)."""
    n = max(len(V), 1)
    rows = []
    for c in labels:
        v = V[:, j, c]
        others = np.delete(V[:, :, c], j, axis=1)
        yes, no = v == 1, v == 0
        other_yes, other_no = (others == 1).any(axis=1), (others == 0).any(axis=1)
        rows.append({"label": space.labels[c], "yes": int(yes.sum()), "no": int(no.sum()),
                     "coverage": float((yes | no).sum() / n),
                     "precision": _rate(yes & has & Y[:, c], yes & has),
                     "no_precision": _rate(no & has & ~Y[:, c], no & has),
                     "dev_yes": int((yes & has).sum()), "dev_no": int((no & has).sum()),
                     "new_yes": int((yes & ~other_yes).sum()),
                     "conflicts": int(((yes & other_no) | (no & other_yes)).sum())})
    return pd.DataFrame(rows, columns=PREVIEW_COLUMNS)


def _fmt(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.2f}"


#: A sample's ``gold`` when the row's dev gold set is empty (a row without dev gold has it missing: ``no gold``).
EMPTY_GOLD = "(none)"


def gold_text(gold: Any, *, prefix: str = "gold ") -> str:
    """A sample row's dev gold as shown: ``gold joy;love``, ``gold (none)`` (an empty set) or ``no gold`` (missing).

    Examples
    --------
    >>> gold_text("joy;love"), gold_text(EMPTY_GOLD), gold_text(None), gold_text("joy", prefix="")
    ('gold joy;love', 'gold (none)', 'no gold', 'joy')
    """
    return f"{prefix}{gold}" if isinstance(gold, str) else "no gold"  # (missing: None, NaN or NA)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(gold=[gold_text(g, prefix="") for g in frame["gold"]])


@dataclass(frozen=True)
class MultiLabelPreview:
    """What one multi-label LF does, per label it votes on.

    Attributes
    ----------
    lf : LabelingFunction
    table : DataFrame
        One row per label: ``yes`` / ``no`` (rows), ``coverage``, dev ``precision`` (yes votes on rows carrying
        the label) and ``no_precision`` (no votes on rows without it), ``dev_yes`` / ``dev_no`` (its votes on dev
        gold rows), ``new_yes`` (rows where no other LF says yes to the label), ``conflicts`` (rows where another
        LF votes the opposite on the label).
    samples : dict of str to DataFrame
        Per label, sample rows it votes on (``vote``, ``gold``, the text). ``gold`` is a dev gold row's label set
        (``;``-joined; ``"(none)"`` for an empty set), missing on rows without dev gold (shown as ``no gold``).
    wrong : dict of str to DataFrame
        Per label, sample dev rows where its vote disagrees with the gold.
    """

    lf: LabelingFunction
    table: pd.DataFrame
    samples: dict[str, pd.DataFrame] = field(repr=False)
    wrong: dict[str, pd.DataFrame] = field(repr=False)
    text_column: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        lines = [f"MultiLabelPreview {self.lf.lf_id} ({self.lf.kind})"]
        for r in self.table.itertuples():
            lines.append(f"  {r.label}: yes {r.yes}, no {r.no}, coverage {r.coverage:.3f}, dev precision "
                         f"{_fmt(r.precision)} (of {r.dev_yes}), no-precision {_fmt(r.no_precision)} (of {r.dev_no}), "
                         f"new yes {r.new_yes}, conflicts {r.conflicts}")
            for title, frames in (("votes on", self.samples), ("wrong on dev", self.wrong)):
                frame = frames.get(str(r.label))
                if frame is None:
                    continue
                first = str(frame.columns[0])
                for rec in frame.to_dict("records"):
                    text = clip(rec.get(self.text_column, ""), 80) if self.text_column else ""
                    lines.append(f"    {title} [{rec['vote']}; {gold_text(rec['gold'])}] {rec[first]}: {text}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [NOTEBOOK_STYLE, "<div class='weaksup-wb'>",
                 f"<h4>{html.escape(self.lf.name)} <small>({html.escape(self.lf.kind)}, version "
                 f"{html.escape(self.lf.version)})</small></h4>", html_table(self.table.round(3))]
        for label in self.table["label"]:
            parts.append(f"<details open><summary>{html.escape(label)}: sample rows</summary>"
                         + html_table(_shown(self.samples[label]), text_column=self.text_column,
                                      patterns=self.lf.patterns)
                         + "<b>wrong on dev</b>"
                         + html_table(_shown(self.wrong[label]), text_column=self.text_column, patterns=self.lf.patterns)
                         + "</details>")
        return "".join(parts + ["</div>"])


@dataclass(frozen=True)
class LabelView:
    """One label across every LF: ``lfs`` (one row per LF voting on it, :data:`PREVIEW_COLUMNS` with ``lf``),
    ``n_gold`` dev rows carrying it, ``recall`` (share of them with a yes vote), ``n_yes_rows`` (rows with any yes
    vote) and ``missed`` sample dev rows carrying the label that no LF says yes to (what to write next)."""

    label: str
    lfs: pd.DataFrame
    n_gold: int
    recall: float
    n_yes_rows: int
    missed: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        head = (f"LabelView {self.label}: {self.n_gold} dev gold rows, yes-vote recall {_fmt(self.recall)}, "
                f"{self.n_yes_rows} rows with a yes vote")
        lfs = [f"  {r.lf}: yes {r.yes}, no {r.no}, dev precision {_fmt(r.precision)}, no-precision "
               f"{_fmt(r.no_precision)}" for r in self.lfs.itertuples()]
        missed = [f"  missed {rec[str(self.missed.columns[0])]}: {clip(rec.get('text', ''), 80)}"
                  for rec in self.missed.to_dict("records")]
        return "\n".join([head, *lfs, *missed])

    def _repr_html_(self) -> str:
        return (f"{NOTEBOOK_STYLE}<div class='weaksup-wb'><h4>{html.escape(self.label)}</h4><p>{self.n_gold} dev "
                f"gold rows, yes-vote recall {_fmt(self.recall)}, {self.n_yes_rows} rows with a yes vote</p>"
                + html_table(self.lfs.round(3)) + "<b>dev rows no LF says yes to</b>" + html_table(self.missed)
                + "</div>")


class MultiLabelWorkbench:
    """A notebook session for multi-label LFs: data, dev gold, the current LFs and their cached votes.

    Parameters
    ----------
    data : DataFrame
        The rows LFs are written for.
    space : MultiLabelSpace
        The labels.
    gold : path, Series, mapping or (n, k) bool array, optional
        Dev gold (see :func:`dev_gold`): e.g. only the rows of the dev part you write LFs on.
    lfs : LabelingFunction or iterable of them, optional
    id_column : str or None, default "row_id"
        The column of unique row ids (``None``: the index).
    text_column : str or None, default "text"
        The text the LFs read, cleaned as ``weaksup run`` cleans it, and shown in samples.
    seed : int, default 0
        Seeds the sample rows.
    clean : bool, mapping or CleanConfig, default True
        As :class:`~weaksup.workbench.Workbench`'s: the run's ``[clean]`` defaults, a ``[clean]`` table, or False.

    Examples
    --------
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf
    >>> space = MultiLabelSpace(["gratitude", "anger", "neutral"], none_label="neutral")
    >>> df = pd.DataFrame({"row_id": ["a", "b", "c"], "text": ["thanks!", "thanks, idiot", "ok"]})
    >>> wb = MultiLabelWorkbench(df, space, gold=pd.Series({"a": "gratitude", "b": "anger", "c": "neutral"}))
    >>> p = wb.preview(multilabel_keyword_lf("kw_thanks", "thanks", "gratitude", no=["anger"]))
    >>> p.table[["label", "yes", "no", "precision", "no_precision"]].values.tolist()
    [['gratitude', 2, 0, 0.5, nan], ['anger', 0, 2, nan, 0.5]]
    >>> wb.add(p.lf).votes.values.shape
    (3, 1, 3)
    """

    def __init__(self, data: pd.DataFrame, space: MultiLabelSpace, gold: Any = None, lfs: Any = None, *,
                 id_column: str | None = "row_id", text_column: str | None = "text", seed: int = 0,
                 clean: Any = True) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"MultiLabelWorkbench(data=...) needs a pandas DataFrame; got {type(data).__name__}")
        if not isinstance(space, MultiLabelSpace):
            raise ParameterError(f"MultiLabelWorkbench(space=...) needs a MultiLabelSpace; got {space!r}")
        columns = [str(c) for c in data.columns]
        for what, column in (("id", id_column), ("text", text_column)):
            if column is not None and column not in columns:
                raise MissingColumnError(f"MultiLabelWorkbench: {what} column {column!r} is not in the data; its "
                                         f"columns are {columns}. Pass {what}_column= (or None)")
        from weaksup.workbench.inputs import as_clean_config, clean_data  # (weaksup.workbench imports this module)
        data = clean_data(data, text_column, as_clean_config(clean))  # the text as weaksup run cleans it (a copy)
        ids = pd.Index(data[id_column] if id_column is not None else data.index)
        check_row_ids(ids, where="MultiLabelWorkbench: row ids")
        self.data, self.space, self.id_column, self.text_column = data, space, id_column, text_column
        self.row_ids = ids.to_numpy()
        self.Y, self.has_gold = dev_gold(gold, self.row_ids, space)
        #: The warning about dev gold rows breaking the space's rules, or "" (a gold set folder warns as it loads).
        self.gold_note = broken_rules_note(space, self.row_ids[self.has_gold].tolist(), self.Y[self.has_gold],
                                           what="MultiLabelWorkbench: the dev gold")
        if self.gold_note and not isinstance(gold, (str, os.PathLike)):
            logger.warning("%s", self.gold_note)
        from weaksup.workbench.preview import RowSample
        self._rows: RowSample = RowSample(self.row_ids, data[text_column].to_numpy() if text_column else None, id_column,
                               text_column, seed)
        self._cache: dict[str, np.ndarray] = {}  # lf_id -> (n, k) int8 votes
        self._lfs: dict[str, LabelingFunction] = {}
        self.add(*([] if lfs is None else as_multilabel_lf_list(lfs)))

    def _compute(self, lfs: Sequence[LabelingFunction]) -> None:
        new = [lf for lf in dict.fromkeys(lfs) if lf.lf_id not in self._cache]
        if new:
            votes = apply_multilabel_lfs(self.data, new, self.space, progress=False, id_column=self.id_column)
            for j, lf in enumerate(new):
                self._cache[lf.lf_id] = votes.values[:, j, :].copy()

    def add(self, *lfs: LabelingFunction) -> MultiLabelWorkbench:
        """Add LFs (one named like a present LF replaces it); only new versions are applied. Returns self."""
        check_lf_labels(lfs, self.space)
        self._compute(lfs)
        for lf in lfs:
            self._lfs[lf.name] = lf
        return self

    def remove(self, name: str) -> MultiLabelWorkbench:
        """Remove the LF of that name (its votes stay cached)."""
        if name not in self._lfs:
            raise ParameterError(f"no LF named {name!r} in the workbench; its LFs are {list(self._lfs)}")
        del self._lfs[name]
        return self

    @property
    def lfs(self) -> list[LabelingFunction]:
        """The current LFs, in the order added."""
        return list(self._lfs.values())

    def __len__(self) -> int:
        return len(self._lfs)

    @property
    def votes(self) -> MultiLabelVotes:
        """The current LFs' votes on every row (from the cache)."""
        lfs = self.lfs
        values = np.stack([self._cache[lf.lf_id] for lf in lfs], axis=1) if lfs else \
            np.full((len(self.row_ids), 0, self.space.k), -1, dtype=np.int8)
        return MultiLabelVotes(values, [lf.lf_id for lf in lfs], self.space, row_ids=self.row_ids)

    def _samples(self, positions: np.ndarray, n: int, votes: np.ndarray | None = None) -> pd.DataFrame:
        """At most ``n`` of the rows at ``positions``: their id, ``vote`` (yes / no by ``votes``), ``gold`` (the dev
        gold set ``;``-joined, ``"(none)"`` when empty, missing without dev gold), text."""
        at = self._rows.sample(positions, n)
        gold = [(";".join(self.space.decode(self.Y[[i]])[0]) or EMPTY_GOLD) if self.has_gold[i] else None
                for i in at]
        said = ["none"] * len(at) if votes is None else ["yes" if votes[i] == 1 else "no" for i in at]
        return self._rows.frame(at, vote=said, gold=gold)

    def preview(self, lf: LabelingFunction, *, n_samples: int = 3) -> MultiLabelPreview:
        """Per label ``lf`` votes on: yes/no counts, coverage, dev precision, new yes votes, conflicts, samples.

        The LF is compared with the *other* LFs of the workbench (an LF of the same name is left out); it is
        not added (:meth:`add`), but its votes are cached.
        """
        self.add_check(lf)
        others = [o for o in self.lfs if o.name != lf.name]
        V = np.stack([self._cache[lf.lf_id]] + [self._cache[o.lf_id] for o in others], axis=1)
        v_lf = V[:, 0]
        labels = [c for c in range(self.space.k) if (v_lf[:, c] != -1).any()
                  or self.space.labels[c] in getattr(lf, "vote_labels", ())]
        table = label_table(V, 0, labels, self.space, self.Y, self.has_gold)
        samples, wrong = {}, {}
        for c in labels:
            name = self.space.labels[c]
            v = v_lf[:, c]
            samples[name] = self._samples(np.flatnonzero(v != -1), n_samples, v)
            bad = self.has_gold & (((v == 1) & ~self.Y[:, c]) | ((v == 0) & self.Y[:, c]))
            wrong[name] = self._samples(np.flatnonzero(bad), n_samples, v)
        return MultiLabelPreview(lf, table, samples, wrong, self.text_column)

    def add_check(self, lf: LabelingFunction) -> None:
        """Check ``lf``'s labels and cache its votes (without adding it)."""
        check_lf_labels([lf], self.space)
        self._compute([lf])

    def label(self, label: str, *, n_samples: int = 5) -> LabelView:
        """One label across the current LFs: each LF's votes on it, dev recall of the yes votes, missed rows."""
        c = self.space.index(label)
        V = self.votes.values
        parts = [label_table(V, j, [c], self.space, self.Y, self.has_gold).assign(lf=lf.name)
                 for j, lf in enumerate(self.lfs) if (V[:, j, c] != -1).any()]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PREVIEW_COLUMNS + ["lf"])
        table = table[["lf"] + PREVIEW_COLUMNS[1:]]
        any_yes = (V[:, :, c] == 1).any(axis=1)
        gold = self.has_gold & self.Y[:, c]
        missed = self._samples(np.flatnonzero(gold & ~any_yes), n_samples)
        return LabelView(label, table, int(gold.sum()), _rate(gold & any_yes, gold), int(any_yes.sum()), missed)

    def export(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the current LFs into a module that ``Registry.from_modules`` loads with the same votes and
        versions (:func:`weaksup.lf.export.export_module`; a generic LF must be a decorated ``def``)."""
        from weaksup.lf.export import export_module

        return export_module(self.lfs, path, overwrite=overwrite)

    def summary(self) -> pd.DataFrame:
        """One row per (LF, label): coverage, overlaps, conflicts on every row
        (:func:`~weaksup.multilabel.summary.multilabel_lf_summary`) and precision / no-precision on the dev gold
        rows only."""
        votes = self.votes
        table = multilabel_lf_summary(votes)
        if not self.has_gold.any() or not len(table):
            return table
        dev = multilabel_lf_summary(votes.take(np.flatnonzero(self.has_gold)), Y=self.Y[self.has_gold])
        gold_cols = ["precision", "no_precision", "gold_rows"]
        return table.drop(columns=gold_cols).merge(dev[["lf", "label", *gold_cols]], on=["lf", "label"], how="left")
