"""The :class:`Workbench`: write labeling functions in a notebook and see at once what each one does.

A workbench keeps the data, the **dev** gold split and the current LFs. It caches the votes of every LF by
``name@version``, so adding or editing one LF computes only that LF's column. :meth:`Workbench.preview`
shows an LF's coverage, dev accuracy, overlaps and conflicts with the others, and sample rows with the
matching keyword or regex span highlighted; :meth:`Workbench.summary` the LF summary, the label model against
majority vote on dev and uncovered rows; :meth:`Workbench.clusters` groups of similar rows with their votes;
:meth:`Workbench.export` writes the LFs into a module for ``labeling_functions/``.

The test gold split is never used here: LFs are written on dev, test is for measuring.
"""

from __future__ import annotations

import ast
import builtins
import dis
import html
import inspect
import keyword
import logging
import os
import re
import sys
import textwrap
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.analysis import lf_summary, vote_stats
from weaksup.apply import apply_lfs
from weaksup.errors import DataError, LFDefinitionError, MissingColumnError
from weaksup.evaluate import Evaluation, label_metrics, model_name
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import FunctionLF, LabelingFunction
from weaksup.registry import Registry
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

__all__ = ["CacheInfo", "LFPreview", "Workbench", "WorkbenchSummary", "highlight"]


class CacheInfo(NamedTuple):
    """Vote-column cache statistics: a hit reuses a column, a miss applies one LF to every row."""

    hits: int
    misses: int
    size: int


# ---------------------------------------------------------------------------------------------- rendering
_STYLE = ("<style>.weaksup-wb table{border-collapse:collapse;margin:4px 0}.weaksup-wb td,.weaksup-wb th"
          "{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
          ".weaksup-wb mark{background:#ffe066;padding:0 1px}.weaksup-wb .bad{color:#b00020}</style>")


def _patterns(lf: LabelingFunction | None) -> tuple[re.Pattern[str], ...]:
    """The compiled patterns of a keyword or regex LF (what preview highlights); none for other kinds."""
    return tuple(getattr(lf, "_compiled", ())) if lf is not None else ()


def highlight(text: Any, patterns: Sequence[re.Pattern[str]] = (), *, limit: int = 300) -> str:
    """``text`` as HTML-escaped markup with every match of ``patterns`` wrapped in ``<mark>``.

    Long texts are cut at about ``limit`` characters, keeping the first match in view.

    Examples
    --------
    >>> highlight("<b>Subscribe</b> & sub!", [re.compile(r"(?<!\\w)sub(?:scribe)?(?!\\w)", re.I)])
    '&lt;b&gt;<mark>Subscribe</mark>&lt;/b&gt; &amp; <mark>sub</mark>!'
    """
    if not isinstance(text, str):
        return "<i>missing</i>"
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    lo = 0
    if len(text) > limit and merged and merged[0][1] > limit:
        lo = max(0, merged[0][0] - limit // 3)
    hi = min(len(text), lo + limit)
    out = ["…" if lo else ""]
    pos = lo
    for start, end in merged:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def _clip(text: Any, limit: int = 100) -> str:
    text = "<missing>" if not isinstance(text, str) else " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "n/a" if np.isnan(value) else f"{value:.3f}"
    return html.escape(str(value))


def _html_table(frame: pd.DataFrame, *, text_column: str | None = None,
                patterns: Sequence[re.Pattern[str]] = ()) -> str:
    if frame is None or frame.empty:
        return "<p><i>none</i></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col, value in row.items():
            if col == text_column:
                cells.append(f"<td>{highlight(value, patterns)}</td>")
            else:
                cells.append(f"<td>{_fmt(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LFPreview:
    """What one LF does on the workbench's data, and on its dev gold rows.

    Attributes
    ----------
    lf : LabelingFunction
    n_rows : int
        Rows of the data.
    coverage : float
        Share of rows where the LF votes (``n_fired / n_rows``).
    n_fired : int
    polarity : list of str
        The classes it voted.
    new_coverage : float
        Share of rows where it votes and no other LF of the workbench does.
    overlap, conflict : float
        Share of rows where it votes and another LF votes too (``overlap``), or votes another class
        (``conflict``).
    n_dev, correct, incorrect : int
        Dev gold rows it voted on, right and wrong.
    accuracy : float
        ``correct / (correct + incorrect)``; NaN when it voted on no dev gold row.
    per_lf : DataFrame
        One row per other LF: ``overlaps``, ``conflicts`` (row counts) and their shares of all rows.
    fires, wrong, conflicts : DataFrame
        Sample rows where it votes, where it is wrong on dev gold, and where it conflicts.
    """

    lf: LabelingFunction
    n_rows: int
    n_fired: int
    coverage: float
    polarity: list[str]
    new_coverage: float
    overlap: float
    conflict: float
    n_dev: int
    correct: int
    incorrect: int
    accuracy: float
    per_lf: pd.DataFrame = field(repr=False)
    fires: pd.DataFrame = field(repr=False)
    wrong: pd.DataFrame = field(repr=False)
    conflicts: pd.DataFrame = field(repr=False)
    text_column: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The scalar figures by name."""
        return {k: getattr(self, k) for k in ("n_rows", "n_fired", "coverage", "polarity", "new_coverage",
                                              "overlap", "conflict", "n_dev", "correct", "incorrect", "accuracy")}

    def _headline(self) -> list[str]:
        acc = "n/a (no vote on dev gold)" if np.isnan(self.accuracy) else \
            f"{self.accuracy:.3f} ({self.correct} correct, {self.incorrect} incorrect of {self.n_dev} dev gold rows)"
        return [
            f"coverage {self.coverage:.3f} ({self.n_fired} of {self.n_rows} rows), polarity {self.polarity}",
            f"dev accuracy {acc}",
            f"overlap {self.overlap:.3f}, conflict {self.conflict:.3f}, new coverage {self.new_coverage:.3f}",
        ]

    def __repr__(self) -> str:
        lines = [f"LFPreview {self.lf.name}@{self.lf.version} ({self.lf.kind})"]
        lines += ["  " + line for line in self._headline()]
        top = self.per_lf[self.per_lf["conflicts"] > 0].head(5)
        if len(top):
            lines.append("  conflicts with: " + ", ".join(f"{n} ({int(c)} rows)" for n, c in top["conflicts"].items()))
        for title, frame in (("fires on", self.fires), ("wrong on dev gold", self.wrong),
                             ("conflicts on", self.conflicts)):
            if len(frame):
                lines.append(f"  {title}:")
                for _, row in frame.head(3).iterrows():
                    lines.append(f"    {row.iloc[0]!s}: {_clip(row.get(self.text_column, ''), 90)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        patterns = _patterns(self.lf)
        parts = [_STYLE, "<div class='weaksup-wb'>",
                 f"<h4>{html.escape(self.lf.name)} <small>({html.escape(self.lf.kind)}, "
                 f"version {html.escape(self.lf.version)})</small></h4><ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in self._headline()]
        parts.append("</ul>")
        shown = self.per_lf[(self.per_lf["overlaps"] > 0)]
        parts.append("<details><summary>overlaps and conflicts with the other LFs</summary>"
                     + _html_table(shown.reset_index().rename(columns={"index": "lf"})) + "</details>")
        for title, frame, opened in (("fires on", self.fires, True), ("wrong on dev gold", self.wrong, True),
                                     ("conflicts with other LFs on", self.conflicts, False)):
            parts.append(f"<details{' open' if opened and len(frame) else ''}><summary>{html.escape(title)} "
                         f"({len(frame)} sample rows)</summary>"
                         + _html_table(frame, text_column=self.text_column, patterns=patterns) + "</details>")
        parts.append("</div>")
        return "".join(parts)


@dataclass(frozen=True)
class WorkbenchSummary:
    """The LF summary, the label model against majority vote on dev, and a sample of uncovered rows.

    Attributes
    ----------
    lfs : DataFrame
        :func:`weaksup.analysis.lf_summary` of the workbench's LFs, with dev gold accuracy.
    evaluation : Evaluation or None
        Label model vs majority vote on the dev gold rows (the label model's dev predictions are
        out-of-fold when it learns from dev gold); None without dev gold.
    stats : dict
        :func:`weaksup.analysis.vote_stats` of all rows.
    uncovered : DataFrame
        Sample rows on which no LF votes.
    n_uncovered : int
        All rows on which no LF votes.
    """

    lfs: pd.DataFrame
    evaluation: Evaluation | None
    stats: dict[str, float]
    uncovered: pd.DataFrame = field(repr=False)
    n_uncovered: int = 0
    text_column: str | None = field(default=None, repr=False)

    @property
    def metrics(self) -> pd.DataFrame | None:
        """Label model vs majority vote on dev, as :meth:`Evaluation.table` (None without dev gold)."""
        return None if self.evaluation is None else self.evaluation.table()

    def __repr__(self) -> str:
        shown = self.lfs.drop(columns=["j"], errors="ignore")
        lines = [f"WorkbenchSummary: {len(self.lfs)} LFs, coverage {self.stats['coverage']:.3f}, "
                 f"conflict {self.stats['conflict']:.3f}, {self.n_uncovered} rows uncovered",
                 shown.to_string(float_format=lambda v: f"{v:.3f}")]
        if self.evaluation is not None:
            lines += ["", self.evaluation.summary(), self.evaluation.formatted().to_string()]
        if len(self.uncovered):
            lines += ["", "uncovered rows (sample):"]
            lines += [f"  {row.iloc[0]!s}: {_clip(row.get(self.text_column, ''), 90)}"
                      for _, row in self.uncovered.iterrows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [_STYLE, "<div class='weaksup-wb'><h4>LF summary</h4>",
                 f"<p>coverage {self.stats['coverage']:.3f}, overlap {self.stats['overlap']:.3f}, conflict "
                 f"{self.stats['conflict']:.3f}; {self.n_uncovered} rows without a vote</p>",
                 _html_table(self.lfs.drop(columns=["j"], errors="ignore").reset_index()
                             .rename(columns={"index": "lf"}))]
        if self.evaluation is not None:
            parts += [f"<h4>Label model vs majority vote ({self.evaluation.model.n_gold} dev gold rows)</h4>",
                      f"<p>{html.escape(self.evaluation.summary())}</p>",
                      _html_table(self.evaluation.formatted().reset_index().rename(columns={"index": "metric"}))]
        parts += ["<h4>Rows no LF covers (sample)</h4>", _html_table(self.uncovered, text_column=self.text_column),
                  "</div>"]
        return "".join(parts)


# ---------------------------------------------------------------------------------------------- workbench
class Workbench:
    """A notebook session for writing LFs: data, dev gold, the current LFs and their cached votes.

    Parameters
    ----------
    data : DataFrame
        The rows LFs are written for (all of them, or a sample).
    gold : GoldSet, path, Series or array, optional
        Gold labels. Only the **dev** split is used: a :class:`~weaksup.gold.GoldSet` or a gold-set folder
        gives its ``dev`` rows; a Series maps row ids to class names or ids (taken as dev); an array gives one
        class id per row (``ABSTAIN`` for rows without gold).
    lfs : Registry, LabelingFunction, iterable of them or module name, optional
        The LFs to start from (a module name or ``.py`` path is loaded with :meth:`Registry.from_modules`).
    id_column : str or None, default "row_id"
        The column of unique row ids (``None``: the index).
    text_column : str or None, default "text"
        The text shown in samples, highlighted, and clustered.
    label_space : LabelSpace or sequence of str, optional
        The classes; defaults to the registry's, then the gold set's.
    label_model : label model or class, optional
        The model :meth:`summary` compares with majority vote; default :func:`~weaksup.default_label_model`.
    fault_tolerant : bool, default False
        Passed to :func:`~weaksup.apply_lfs`: by default an LF that raises stops with the row id.
    seed : int, default 0
        Seeds the samples, the label model and the clusters.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup import keyword_lf
    >>> df = pd.DataFrame({"row_id": ["a", "b", "c", "d"],
    ...                    "text": ["subscribe to me", "nice song", "sub 4 sub", "great song"]})
    >>> wb = Workbench(df, gold=pd.Series({"a": 1, "b": 0, "c": 1}), label_space=["ham", "spam"])
    >>> p = wb.preview(keyword_lf("kw_sub", ["subscribe", "sub"], 1))
    >>> p.coverage, p.correct, p.incorrect
    (0.5, 2, 0)
    >>> wb.add(p.lf).add(keyword_lf("kw_song", "song", 0)).votes.values.tolist()
    [[1, -1], [-1, 0], [1, -1], [-1, 0]]
    >>> wb.cache_info()
    CacheInfo(hits=1, misses=2, size=2)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        gold: Any = None,
        lfs: Any = None,
        *,
        id_column: str | None = "row_id",
        text_column: str | None = "text",
        label_space: LabelSpace | Sequence[str] | None = None,
        label_model: Any = None,
        fault_tolerant: bool = False,
        seed: int = 0,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"Workbench(data=...) needs a pandas DataFrame; got {type(data).__name__}")
        columns = [str(c) for c in data.columns]
        if id_column is not None and id_column not in columns:
            raise MissingColumnError(f"Workbench: id column {id_column!r} is not in the data; its columns are "
                                     f"{columns}. Pass id_column= naming a unique column, or id_column=None")
        if text_column is not None and text_column not in columns:
            raise MissingColumnError(f"Workbench: text column {text_column!r} is not in the data; its columns are "
                                     f"{columns}. Pass text_column= (or None for data without text)")
        ids = pd.Index(data[id_column] if id_column is not None else data.index)
        if not ids.is_unique or ids.hasnans:
            dupes = ids[ids.duplicated()].unique()[:5].tolist()
            raise DataError(f"Workbench: row ids must be unique and present; repeated: {dupes}. Use "
                            "weaksup.data.make_row_ids() to derive stable unique ids")
        self.data = data
        self.id_column = id_column
        self.text_column = text_column
        self.row_ids = ids.to_numpy()
        self.fault_tolerant = fault_tolerant
        self.seed = seed
        self._label_model = label_model
        registry = self._as_registry(lfs)
        gold_set = self._load_gold(gold, label_space if label_space is not None else registry.label_space)
        space = label_space if label_space is not None else registry.label_space
        if space is None and gold_set is not None:
            space = gold_set.label_space
        self.label_space: LabelSpace | None = (
            space if isinstance(space, LabelSpace) or space is None else LabelSpace(space))
        self.gold_hash = getattr(gold_set, "hash", "")
        self.y_dev = self._dev_labels(gold if gold_set is None else gold_set)
        self._lfs: dict[str, LabelingFunction] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._faults: dict[str, int] = {}
        self._hits = 0
        self._misses = 0
        self.add(*registry.lfs)

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _as_registry(lfs: Any) -> Registry:
        if lfs is None:
            return Registry()
        if isinstance(lfs, Registry):
            return lfs
        if isinstance(lfs, (str, os.PathLike, types.ModuleType)):
            return Registry.from_modules(lfs)
        if isinstance(lfs, LabelingFunction):
            return Registry([lfs])
        if isinstance(lfs, Iterable):
            return Registry(list(lfs))
        raise LFDefinitionError(f"Workbench(lfs=...) takes a Registry, LFs, or a module name; got {type(lfs).__name__}")

    def _load_gold(self, gold: Any, space: Any) -> Any:
        if gold is None or isinstance(gold, (pd.Series, np.ndarray, list, tuple, Mapping)):
            return None
        if isinstance(gold, (str, os.PathLike)):
            from weaksup.gold import load_gold

            gold = load_gold(gold, label_space=space)
        if not (hasattr(gold, "y") and hasattr(gold, "label_space")):
            raise DataError(f"Workbench(gold=...) takes a GoldSet, a gold-set folder, a Series (row id -> label) "
                            f"or an array of class ids; got {type(gold).__name__}")
        if "dev" not in gold.counts():
            raise DataError(f"gold set {gold.task} has no dev split (it has {gold.counts()}); the workbench shows "
                            "dev gold only, since test is for measuring. Label a dev split first")
        return gold

    def _dev_labels(self, gold: Any) -> np.ndarray:
        n = len(self.row_ids)
        if gold is None:
            return np.full(n, ABSTAIN, dtype=np.int64)
        if hasattr(gold, "y") and hasattr(gold, "label_space"):
            y = gold.y(self.row_ids, split="dev")
        elif isinstance(gold, (pd.Series, Mapping)):
            series = pd.Series(gold)
            mapped = pd.Index(self.row_ids).map(series.to_dict().get)
            y = np.array([self._class_id(v) for v in mapped], dtype=np.int64)
        else:
            y = np.asarray(gold).reshape(-1)
            if len(y) != n:
                raise DataError(f"Workbench: gold has {len(y)} labels but the data has {n} rows; pass one class id "
                                f"per row ({ABSTAIN} for rows without gold), a Series by row id, or a GoldSet")
            y = np.array([self._class_id(v) for v in y], dtype=np.int64)
        if (y != ABSTAIN).sum() == 0:
            some = list(pd.Series(gold).index[:3]) if isinstance(gold, (pd.Series, Mapping)) else []
            logger.warning("Workbench: no data row has a dev gold label (gold ids %s..., data ids %s...): check that "
                           "the gold ids are the data's %s values", some, list(self.row_ids[:3]), self.id_column)
        return y

    def _class_id(self, value: Any) -> int:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return ABSTAIN
        if isinstance(value, str):
            if self.label_space is None:
                raise DataError(f"Workbench: gold label {value!r} is a class name; pass label_space=[...] too")
            return self.label_space.id(value)
        return int(value)

    # ------------------------------------------------------------------ votes
    @property
    def cardinality(self) -> int:
        """The number of classes (from the label space, else the largest vote or gold id + 1)."""
        if self.label_space is not None:
            return self.label_space.cardinality
        top = max([int(self.y_dev.max(initial=-1))] + [max(lf.labels, default=-1) for lf in self._lfs.values()]
                  + [int(c.max(initial=-1)) for c in self._columns.values()])
        return max(top + 1, 2)

    def _names(self) -> list[str]:
        k = self.cardinality
        return list(self.label_space) if self.label_space is not None else [str(c) for c in range(k)]

    def _column(self, lf: LabelingFunction) -> np.ndarray:
        self._compute([lf])
        return self._columns[lf.lf_id]

    def _compute(self, lfs: Sequence[LabelingFunction]) -> None:
        """Make sure the columns of ``lfs`` are cached: missing ones are applied in one pass (a hit per cached one)."""
        missing: dict[str, LabelingFunction] = {}
        for lf in lfs:
            if not isinstance(lf, LabelingFunction):
                raise LFDefinitionError(
                    f"expected a LabelingFunction; got {type(lf).__name__} {lf!r}. Decorate the function with "
                    "@labeling_function or build it with keyword_lf/regex_lf/... first"
                )
            if lf.lf_id in self._columns or lf.lf_id in missing:
                self._hits += 1
                continue
            if self.label_space is not None:
                bad = [lab for lab in lf.labels if lab >= self.label_space.cardinality]
                if bad:
                    raise LFDefinitionError(
                        f"LF {lf.name!r} (defined at {lf.source}) votes {bad}, outside the label space "
                        f"{list(self.label_space)}; vote LABELS['name'] ids 0..{len(self.label_space) - 1}")
            missing[lf.lf_id] = lf
        batches: list[list[LabelingFunction]] = []
        for lf in missing.values():  # one application per batch of distinct names (spaCy docs built once)
            target = next((b for b in batches if all(o.name != lf.name for o in b)), None)
            if target is None:
                batches.append(target := [])
            target.append(lf)
        for batch in batches:
            self._misses += len(batch)
            votes = apply_lfs(batch, self.data, label_space=self.label_space, id_column=self.id_column,
                              fault_tolerant=self.fault_tolerant, progress=len(self.row_ids) * len(batch) >= 10**6)
            for j, lf in enumerate(batch):
                column = votes.values[:, j].astype(np.int16)
                column.setflags(write=False)
                self._columns[lf.lf_id] = column
                self._faults[lf.lf_id] = votes.faults.get(lf.name, 0)
            logger.debug("computed votes of %s on %d rows", [lf.lf_id for lf in batch], len(self.row_ids))

    def _stored(self, lf: LabelingFunction) -> np.ndarray:
        """The column of an LF already in the workbench (not counted as a cache hit)."""
        column = self._columns.get(lf.lf_id)
        return column if column is not None else self._column(lf)

    def cache_info(self) -> CacheInfo:
        """How often :meth:`add` or :meth:`preview` reused a cached vote column (``hits``) or applied the LF to
        every row (``misses``), and how many columns are cached."""
        return CacheInfo(self._hits, self._misses, len(self._columns))

    def refresh(self, name: str | None = None) -> Workbench:
        """Forget cached votes (of one LF, or all): for an LF whose globals changed but not its version."""
        if name is None:
            self._columns.clear()
        else:
            lf = self[name]
            self._columns.pop(lf.lf_id, None)
        self._compute([lf for lf in self._lfs.values() if lf.lf_id not in self._columns])
        return self

    # ------------------------------------------------------------------ the LF set
    def add(self, *lfs: LabelingFunction) -> Workbench:
        """Add LFs (an LF with a name already present replaces it: re-running an edited cell just works).

        Only the columns of new versions are computed. Returns the workbench, so calls chain.
        """
        self._compute(lfs)
        for lf in lfs:
            old = self._lfs.get(lf.name)
            if old is not None and old.version != lf.version:
                logger.info("replaced %s with %s", old.lf_id, lf.lf_id)
            self._lfs[lf.name] = lf
        return self

    def remove(self, name: str) -> Workbench:
        """Remove the LF of that name (its votes stay cached, so adding it back costs nothing)."""
        self[name]
        del self._lfs[name]
        return self

    def __getitem__(self, name: str) -> LabelingFunction:
        if name in self._lfs:
            return self._lfs[name]
        return Registry(self.lfs)[name]  # an UnknownLFError naming the closest LFs

    def __contains__(self, name: object) -> bool:
        return name in self._lfs

    def __len__(self) -> int:
        return len(self._lfs)

    @property
    def lfs(self) -> list[LabelingFunction]:
        """The current LFs, in the order they were added."""
        return list(self._lfs.values())

    @property
    def registry(self) -> Registry:
        """The current LFs as a :class:`Registry` with the workbench's label space."""
        return Registry(self.lfs, label_space=self.label_space)

    @property
    def votes(self) -> VoteMatrix:
        """The votes of the current LFs on every row (from the cache)."""
        lfs = self.lfs
        values = np.column_stack([self._stored(lf) for lf in lfs]) if lfs else \
            np.empty((len(self.row_ids), 0), dtype=np.int8)
        return VoteMatrix(values, row_ids=self.row_ids, lf_names=[lf.name for lf in lfs],
                          lf_versions=[lf.version for lf in lfs], label_space=self.label_space,
                          faults={lf.name: self._faults.get(lf.lf_id, 0) for lf in lfs})

    def __repr__(self) -> str:
        n_dev = int((self.y_dev != ABSTAIN).sum())
        return (f"Workbench({len(self.row_ids)} rows, {n_dev} dev gold rows, {len(self)} LFs: {list(self._lfs)[:8]}"
                f"{'...' if len(self) > 8 else ''})")

    # ------------------------------------------------------------------ looking at LFs
    def _rows_frame(self, positions: np.ndarray, **extra: Any) -> pd.DataFrame:
        frame = pd.DataFrame({self.id_column or "row_id": self.row_ids[positions]})
        for key, values in extra.items():
            frame[key] = values
        if self.text_column is not None:
            frame[self.text_column] = self.data[self.text_column].to_numpy()[positions]
        return frame

    def _sample(self, positions: np.ndarray, n: int) -> np.ndarray:
        if len(positions) <= n:
            return positions
        rng = np.random.default_rng(self.seed)
        return np.sort(rng.choice(positions, size=n, replace=False))

    def _label(self, values: np.ndarray) -> list[str]:
        names = self._names()
        return [names[int(v)] if 0 <= int(v) < len(names) else str(int(v)) for v in values]

    def preview(self, lf: LabelingFunction, *, n_samples: int = 5) -> LFPreview:
        """What ``lf`` does: coverage, dev gold accuracy, overlaps and conflicts, and sample rows.

        The LF is not added (use :meth:`add`), but its votes are cached, so adding it next costs nothing.
        An LF with the name of one in the workbench is compared with the *other* LFs (an edit preview).

        Parameters
        ----------
        lf : LabelingFunction
        n_samples : int, default 5
            Sample rows shown in each of ``fires``, ``wrong`` and ``conflicts``.
        """
        votes = self._column(lf).astype(np.int64)
        n = len(votes)
        fired = votes != ABSTAIN
        others = [o for o in self._lfs.values() if o.name != lf.name]
        if others:
            O = np.column_stack([self._stored(o) for o in others]).astype(np.int64)
        else:
            O = np.empty((n, 0), dtype=np.int64)
        other_voted = O != ABSTAIN
        both = fired[:, None] & other_voted
        disagree = both & (O != votes[:, None])
        per_lf = pd.DataFrame({"overlaps": both.sum(axis=0), "conflicts": disagree.sum(axis=0)},
                              index=pd.Index([o.name for o in others], dtype=object))
        per_lf["overlap_share"] = per_lf["overlaps"] / max(n, 1)
        per_lf["conflict_share"] = per_lf["conflicts"] / max(n, 1)
        per_lf = per_lf.sort_values(["conflicts", "overlaps"], ascending=False, kind="stable")
        any_other = other_voted.any(axis=1)
        row_conflict = disagree.any(axis=1)
        y = self.y_dev
        on_dev = fired & (y != ABSTAIN)
        right = on_dev & (votes == y)
        wrong = on_dev & ~right
        correct, incorrect = int(right.sum()), int(wrong.sum())
        fires_at = self._sample(np.flatnonzero(fired), n_samples)
        wrong_at = self._sample(np.flatnonzero(wrong), n_samples)
        conflict_at = self._sample(np.flatnonzero(row_conflict), n_samples)
        names = [o.name for o in others]
        against = [", ".join(f"{names[j]}={self._label(O[i, [j]])[0]}" for j in np.flatnonzero(disagree[i]))
                   for i in conflict_at]
        return LFPreview(
            lf=lf, n_rows=n, n_fired=int(fired.sum()), coverage=float(fired.mean()) if n else 0.0,
            polarity=self._label(np.unique(votes[fired])),
            new_coverage=float((fired & ~any_other).mean()) if n else 0.0,
            overlap=float((fired & any_other).mean()) if n else 0.0,
            conflict=float(row_conflict.mean()) if n else 0.0,
            n_dev=int(on_dev.sum()), correct=correct, incorrect=incorrect,
            accuracy=correct / (correct + incorrect) if correct + incorrect else float("nan"),
            per_lf=per_lf,
            fires=self._rows_frame(fires_at, vote=self._label(votes[fires_at])),
            wrong=self._rows_frame(wrong_at, vote=self._label(votes[wrong_at]), gold=self._label(y[wrong_at])),
            conflicts=self._rows_frame(conflict_at, vote=self._label(votes[conflict_at]), others=against),
            text_column=self.text_column,
        )

    try_lf = preview

    # ------------------------------------------------------------------ label model
    def _make_label_model(self) -> Any:
        from weaksup.models import default_label_model

        model = self._label_model
        has_dev = bool((self.y_dev != ABSTAIN).any())
        if model is None:
            return default_label_model(self.cardinality, dev_gold=has_dev, seed=self.seed)
        if isinstance(model, type):
            return model(cardinality=self.cardinality, seed=self.seed)
        from sklearn.base import clone

        return clone(model) if hasattr(model, "get_params") and not hasattr(model, "fit_") else model

    @staticmethod
    def _takes_dev(model: Any) -> bool:
        return "L_dev" in inspect.signature(model.fit).parameters

    def fit_label_model(self) -> Any:
        """The label model fitted on the votes of every row (and, if it learns from them, the dev gold rows)."""
        model = self._make_label_model()
        L = self.votes.values
        dev = self.y_dev != ABSTAIN
        if self._takes_dev(model) and dev.any():
            return model.fit(L, L_dev=L[dev], y_dev=self.y_dev[dev])
        return model.fit(L)

    def _dev_evaluation(self) -> Evaluation | None:
        from weaksup.models import MajorityVote
        from weaksup.models.dev import dev_folds

        dev = np.flatnonzero(self.y_dev != ABSTAIN)
        if len(dev) == 0 or not self._lfs:
            return None
        L = self.votes.values
        y = self.y_dev[dev]
        model = self._make_label_model()
        label = model_name(model)
        if self._takes_dev(model):
            # Out-of-fold: each dev row is predicted by a model that did not learn from it.
            n_folds = min(5, len(dev))
            folds = dev_folds(y, n_folds, self.seed)
            proba = np.zeros((len(dev), self.cardinality))
            pred = np.full(len(dev), ABSTAIN, dtype=np.int64)
            for f in range(n_folds):
                held = folds == f
                fitted = self._make_label_model().fit(L, L_dev=L[dev[~held]], y_dev=y[~held])
                proba[held] = fitted.predict_proba(L[dev[held]])
                pred[held] = fitted.predict(L[dev[held]], tie_break="abstain")
            label = f"{label} (out-of-fold)"
        else:
            fitted = model.fit(L)
            proba, pred = fitted.predict_proba(L[dev]), fitted.predict(L[dev], tie_break="abstain")
        mv = MajorityVote(cardinality=self.cardinality).fit(L)
        names = self._names()
        return Evaluation(
            label_metrics(y, proba, pred, label_space=names, name=label),
            label_metrics(y, mv.predict_proba(L[dev]), mv.predict(L[dev], tie_break="abstain"),
                          label_space=names, name="MajorityVote"),
            "dev", self.gold_hash, "abstain")

    def summary(self, *, n_uncovered: int = 10) -> WorkbenchSummary:
        """The LF summary (``lf_summary`` columns, accuracy on dev gold), label model vs majority vote on dev,
        and ``n_uncovered`` sample rows no LF covers."""
        vm = self.votes
        has_dev = bool((self.y_dev != ABSTAIN).any())
        table = lf_summary(vm, self.lfs, gold=self.y_dev if has_dev else None)
        uncovered = np.flatnonzero((vm.values == ABSTAIN).all(axis=1))
        return WorkbenchSummary(
            lfs=table, evaluation=self._dev_evaluation(), stats=vote_stats(vm),
            uncovered=self._rows_frame(self._sample(uncovered, n_uncovered)), n_uncovered=len(uncovered),
            text_column=self.text_column,
        )

    # ------------------------------------------------------------------ clusters
    def clusters(self, n: int = 10, *, rows: str | np.ndarray = "all", n_examples: int = 3,
                 embeddings: np.ndarray | None = None) -> Any:
        """Groups of similar rows with their vote profile, so one decision (one LF) can label a group.

        Parameters
        ----------
        n : int, default 10
            The number of clusters.
        rows : {"all", "uncovered"} or boolean mask
            Which rows to cluster: ``"uncovered"`` finds what the next LF could cover.
        n_examples : int, default 3
            Example texts per cluster.
        embeddings : array (n_rows, d), optional
            Vectors of every data row (e.g. sentence embeddings) to cluster instead of TF-IDF.

        Returns
        -------
        weaksup.clusters.ClusterView
            ``.table`` (size, coverage, each class's share of votes, conflict, dev gold shares, top
            terms, examples) and ``.assignments`` (cluster of each row id).
        """
        from weaksup.clusters import ClusterView, cluster_texts, vote_profile

        if self.text_column is None and embeddings is None:
            raise MissingColumnError("Workbench.clusters needs text_column= (or embeddings=) to compare rows")
        L = self.votes.values
        if isinstance(rows, str):
            if rows not in ("all", "uncovered"):
                raise ValueError(f"rows must be 'all', 'uncovered' or a boolean mask; got {rows!r}")
            mask = (L == ABSTAIN).all(axis=1) if rows == "uncovered" else np.ones(len(L), dtype=bool)
        else:
            mask = np.asarray(rows, dtype=bool)
            if mask.shape != (len(L),):
                raise ValueError(f"rows mask must have one entry per data row ({len(L)}); got shape {mask.shape}")
        at = np.flatnonzero(mask)
        texts = self.data[self.text_column].to_numpy()[at] if self.text_column else [""] * len(at)
        found = cluster_texts(texts, n, seed=self.seed,
                              embeddings=None if embeddings is None else np.asarray(embeddings)[at])
        table = vote_profile(found.labels, L[at], self._names(),
                             gold=self.y_dev[at] if (self.y_dev != ABSTAIN).any() else None)
        rng = np.random.default_rng(self.seed)
        examples = []
        for c in table.index:
            members = np.flatnonzero(found.labels == c)
            chosen = members if len(members) <= n_examples else np.sort(rng.choice(members, n_examples, replace=False))
            examples.append([texts[i] for i in chosen])
        table["terms"] = [found.terms[c] if c < len(found.terms) else [] for c in table.index]
        table["examples"] = examples
        return ClusterView(table, pd.Series(found.labels, index=pd.Index(self.row_ids[at], name="row_id"),
                                            name="cluster"))

    # ------------------------------------------------------------------ export
    def export(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the current LFs into a Python module that :meth:`Registry.from_modules` loads unchanged.

        Keyword, regex, threshold and lookup LFs are written as factory calls with their parameters (so the
        module's LFs have the same versions); decorated LFs (``@labeling_function``, ``@spacy_lf``) as their
        source code, with the imports and constants they use. An LF whose source cannot be written (a fitted
        model, a lambda, a function without source, a global that is not a constant or an import) is refused
        with its name and how to move it by hand; nothing is written then.

        Parameters
        ----------
        path : path-like
            The ``.py`` file to write, e.g. ``labeling_functions/my_task.py``.
        overwrite : bool, default False
            Replace an existing file.

        Returns
        -------
        pathlib.Path
        """
        path = Path(path)
        if path.suffix != ".py":
            raise ValueError(f"export writes a Python module: give a .py path, not {str(path)!r}")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        source = _ModuleWriter(self.label_space).module(self.lfs)
        with atomic_path(path) as tmp:
            tmp.write_text(source, encoding="utf-8")
        logger.info("wrote %d LFs to %s", len(self), path)
        return path


# ---------------------------------------------------------------------------------------------- export
_FACTORY_DEFAULTS: dict[str, dict[str, Any]] = {
    "keyword": {"field": "text", "mode": "any", "case_sensitive": False, "word_boundary": True},
    "regex": {"field": "text"},
    "lookup": {"field": "text", "by": "value", "case_sensitive": False},
}


class _ModuleWriter:
    """Builds the source of a module defining some LFs, or says which ones it cannot write."""

    def __init__(self, label_space: LabelSpace | None) -> None:
        self.label_space = label_space
        self.imports: dict[str, None] = {}
        self.definitions: dict[str, str] = {}  # global name -> its code
        self.helpers: dict[str, str] = {}  # helper function name -> source
        self.problems: list[str] = []

    def module(self, lfs: Sequence[LabelingFunction]) -> str:
        blocks = []
        names: dict[str, str] = {}
        if self.label_space is not None:
            self.imports["from weaksup import LabelSpace"] = None
            self.definitions["LABELS"] = f"LABELS = LabelSpace({list(self.label_space)!r})"
        for lf in lfs:
            try:
                var, code = self._lf(lf)
            except _Refused as exc:
                self.problems.append(str(exc))
                continue
            if var in names:
                self.problems.append(f"LFs {names[var]!r} and {lf.name!r} would both be written as {var!r}; "
                                     "rename one of them")
            names[var] = lf.name
            blocks.append(code)
        clash = sorted(set(names) & (set(self.definitions) | set(self.helpers)))
        if clash:
            self.problems.append(f"names used both for LFs and for the globals they read: {clash}; rename them")
        if self.problems:
            raise LFDefinitionError("cannot export these LFs to a module:\n  - " + "\n  - ".join(self.problems))
        doc = ('"""Labeling functions exported from a weaksup Workbench.\n\nLoad them with '
               "weaksup.Registry.from_modules(<this module>); edit them freely.\n\"\"\"\n")
        parts = [doc, _import_lines(self.imports), ""]
        parts += list(self.definitions.values())
        parts += ["\n\n" + src.rstrip() for src in self.helpers.values()]
        parts += ["\n\n" + block.rstrip() for block in blocks]
        source = "\n".join(parts).rstrip() + "\n"
        compile(source, "<exported LFs>", "exec")  # a bug here must not write a broken module
        return source

    # ---- one LF
    def _lf(self, lf: LabelingFunction) -> tuple[str, str]:
        if isinstance(lf, FunctionLF):
            return self._function_lf(lf)
        if lf.kind in ("keyword", "regex", "threshold", "lookup"):
            return self._factory_lf(lf)
        if lf.kind == "model_score":
            raise _Refused(f"LF {lf.name!r} (model_score) holds a fitted model, which cannot be written as source: "
                           "save the model (e.g. joblib/skops) and build it in the module with model_score_lf(...)")
        raise _Refused(f"LF {lf.name!r} is of kind {lf.kind!r}, which export does not know how to write; "
                       f"copy its definition (at {lf.source}) into the module by hand")

    def _label_expr(self, label: int) -> str:
        if self.label_space is not None and 0 <= label < len(self.label_space):
            return f"LABELS[{self.label_space[label]!r}]"
        return repr(int(label))

    def _factory_lf(self, lf: LabelingFunction) -> tuple[str, str]:
        from weaksup import lf as lf_module

        p = lf.params
        args: list[str] = [repr(lf.name)]
        kwargs: dict[str, Any] = {}
        if lf.kind == "keyword":
            args += [repr(list(p["keywords"])), self._label_expr(p["label"])]
            kwargs = {k: p[k] for k in ("field", "mode", "case_sensitive", "word_boundary")}
            factory = "keyword_lf"
        elif lf.kind == "regex":
            args += [repr(p["pattern"]), self._label_expr(p["label"])]
            kwargs = {"field": p["field"]}
            if p["flags"]:
                self.imports["import re"] = None
                args_flags = " | ".join(f"re.{f}" for f in p["flags"])
                kwargs["flags"] = _Code(args_flags)
            factory = "regex_lf"
        elif lf.kind == "threshold":
            args += [repr(p["rule"]), self._label_expr(p["label"])]
            factory = "threshold_lf"
        else:  # lookup
            source = p.get("source", "inline")
            if source != "inline" and Path(source).exists():
                args.append(repr(source))
                if self.label_space is not None:
                    kwargs["label_space"] = _Code("LABELS")
            else:
                args.append(repr(dict(lf.table)))
            kwargs.update({k: p[k] for k in ("field", "by", "case_sensitive")})
            factory = "lookup_lf"
        defaults = _FACTORY_DEFAULTS.get(lf.kind, {})
        kwargs = {k: v for k, v in kwargs.items() if k not in defaults or defaults[k] != v}
        if lf.tags:
            kwargs["tags"] = list(lf.tags)
        build = getattr(lf_module, factory)
        namespace = {"LABELS": self.label_space, "re": re}
        rebuilt_kwargs = {k: (eval(v.code, namespace) if isinstance(v, _Code) else v)  # noqa: S307 - our own code
                          for k, v in kwargs.items()}
        rebuilt_args = [eval(a, namespace) for a in args]  # noqa: S307 - reprs and LABELS[...] we just wrote
        default_description = build(*rebuilt_args, **rebuilt_kwargs).description
        if lf.description and lf.description != default_description:
            kwargs["description"] = lf.description
        rebuilt = build(*rebuilt_args, **rebuilt_kwargs)
        if rebuilt.version != lf.version:  # an explicit version= (or a table file that changed since)
            kwargs["version"] = lf.version
        self.imports[f"from weaksup import {factory}"] = None
        call = ", ".join(args + [f"{k}={v.code if isinstance(v, _Code) else repr(v)}" for k, v in kwargs.items()])
        var = _identifier(lf.name)
        return var, f"{var} = {factory}({call})\n"

    def _function_lf(self, lf: FunctionLF) -> tuple[str, str]:
        func = lf.func
        where = f"LF {lf.name!r} (defined at {lf.source})"
        if getattr(func, "__name__", "") == "<lambda>":
            raise _Refused(f"{where} is a lambda: write it as a def decorated with @labeling_function(...)")
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            raise _Refused(f"{where}: its source code is not available (defined with exec or in a shell?); "
                           "define it in a notebook cell or a file") from None
        try:
            tree = ast.parse(source)
        except SyntaxError:
            raise _Refused(f"{where}: its source could not be parsed; copy it into the module by hand") from None
        node = tree.body[0] if tree.body else None
        if not isinstance(node, ast.FunctionDef) or node.name != func.__name__:
            raise _Refused(f"{where}: its source is not a plain def; copy it into the module by hand")
        if getattr(func, "__closure__", None):
            raise _Refused(f"{where} is a nested function reading variables of its enclosing function "
                           f"({', '.join(func.__code__.co_freevars)}); define it at the top level of a cell")
        names = {n.id for d in node.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
        names |= _global_names(func.__code__)
        self._globals(func, names - {func.__name__}, where, seen={func.__name__})
        if node.decorator_list:
            return func.__name__, source
        if lf.resources:
            raise _Refused(f"{where} has resources=; write it with a decorator @labeling_function(resources=...)")
        options = {"name": lf.name, "fields": list(lf.fields), "labels": list(lf.labels), "tags": list(lf.tags)}
        if lf.kind == "spacy":
            raise _Refused(f"{where}: write it with the decorator @spacy_lf(pipeline=...) so it can be exported")
        self.imports["from weaksup import labeling_function"] = None
        opts = ", ".join(f"{k}={v!r}" for k, v in options.items() if v)
        var = _identifier(lf.name) if _identifier(lf.name) != func.__name__ else f"{func.__name__}_lf"
        return var, f"{source}\n\n{var} = labeling_function({opts})({func.__name__})\n"

    def _globals(self, func: Any, names: set[str], where: str, seen: set[str]) -> None:
        import weaksup
        import weaksup.lf

        scope = getattr(func, "__globals__", {})
        for name in sorted(names):
            if name not in scope:
                if not hasattr(builtins, name):
                    raise _Refused(f"{where} reads {name!r}, which is not defined; define it first")
                continue
            value = scope[name]
            code: str | None = None
            if isinstance(value, types.ModuleType):
                mod = value.__name__
                self.imports[f"import {mod}" if mod == name else
                             (f"import {mod} as {name}" if "." not in mod or mod.rsplit(".", 1)[1] != name
                              else f"from {mod.rsplit('.', 1)[0]} import {name}")] = None
                continue
            for home in (weaksup, weaksup.lf):
                if getattr(home, name, None) is value and not isinstance(value, (int, float, str)):
                    self.imports[f"from {home.__name__} import {name}"] = None
                    break
            else:
                code = self._global_code(name, value, where, seen)
            if code is None:
                continue
            if name in self.definitions and self.definitions[name] != code:
                raise _Refused(f"{where} reads {name!r}, which another LF's module defined differently; rename one")
            self.definitions.setdefault(name, code)

    def _global_code(self, name: str, value: Any, where: str, seen: set[str]) -> str | None:
        if name == "ABSTAIN" and value == ABSTAIN:
            self.imports["from weaksup import ABSTAIN"] = None
            return None
        if name == "LABELS" and value == self.label_space:
            return None
        if isinstance(value, LabelSpace):
            self.imports["from weaksup import LabelSpace"] = None
            return f"{name} = LabelSpace({list(value)!r})"
        if isinstance(value, re.Pattern):
            self.imports["import re"] = None
            return f"{name} = re.compile({value.pattern!r}, {int(value.flags)})"
        if _is_literal(value):
            return f"{name} = {value!r}"
        if type(value).__name__ == "SpacyPipeline":
            self.imports["from weaksup.lf import SpacyPipeline"] = None
            return (f"{name} = SpacyPipeline({value.name!r}, entity_patterns={value.entity_patterns!r}, "
                    f"disable={list(value.disable)!r}, batch_size={value.batch_size}, n_process={value.n_process})")
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if module and qualname and module != "__main__" and not module.startswith("weaksup_user_lfs") \
                and "<" not in qualname and getattr(sys.modules.get(module), qualname, None) is value \
                and not _is_notebook_module(module):
            self.imports[f"from {module} import {qualname}" + (f" as {name}" if qualname != name else "")] = None
            return None
        if isinstance(value, LabelingFunction):
            raise _Refused(f"{where} calls the LF {value.name!r}: call a plain helper function instead")
        if inspect.isfunction(value) and name not in seen:
            try:
                source = textwrap.dedent(inspect.getsource(value))
            except (OSError, TypeError):
                source = ""
            if source.startswith("def ") and value.__name__ == name and not value.__closure__:
                seen.add(name)
                self._globals(value, _global_names(value.__code__) - {name}, where, seen)
                self.helpers[name] = source
                return None
        raise _Refused(f"{where} reads the global {name!r} ({type(value).__name__}), which export cannot write as "
                       "source: make it a constant or an import, or move the LF into the module by hand")


class _Refused(Exception):
    """An LF the module writer cannot write (the message says which and why)."""


@dataclass(frozen=True)
class _Code:
    code: str


def _import_lines(imports: Iterable[str]) -> str:
    """``import x`` lines first, then one ``from m import a, b`` line per module."""
    plain = sorted(i for i in imports if i.startswith("import "))
    grouped: dict[str, list[str]] = {}
    for line in imports:
        if line.startswith("from "):
            module, names = line[5:].split(" import ", 1)
            grouped.setdefault(module, []).append(names)
    froms = [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in sorted(grouped.items())]
    return "\n".join(plain + froms)


def _identifier(name: str) -> str:
    var = re.sub(r"\W", "_", name)
    if not var or var[0].isdigit() or keyword.iskeyword(var):
        var = f"lf_{var}"
    return var


def _global_names(code: types.CodeType) -> set[str]:
    """Names a code object (and the code nested in it) reads as globals."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_literal(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return not isinstance(value, float) or np.isfinite(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_is_literal(v) for v in value) and (not isinstance(value, (set, frozenset)) or bool(value))
    if isinstance(value, dict):
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return False


def _is_notebook_module(module: str) -> bool:
    mod = sys.modules.get(module)
    file = getattr(mod, "__file__", None) or ""
    return mod is None or "ipykernel" in file or file.startswith("<")
