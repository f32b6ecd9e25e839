"""What one LF does on the workbench's rows: :class:`LFPreview`, computed by the pure :func:`preview_lf`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction
from weaksup.render import NOTEBOOK_STYLE, clip, html_table

__all__ = ["LFPreview", "RowSample", "preview_lf"]


#: Clip a row's fields shown for data without text to this many characters.
FIELDS_WIDTH = 200


@dataclass(frozen=True)
class RowSample:
    """Sample rows as small frames: row id, extra columns, then the text (seeded, so samples repeat).

    Data without text (``text_column`` None) shows each row's other fields instead, in one ``fields`` column
    (``amount=12.5, country='DE'``, clipped): build it with :meth:`of` to keep the data.

    Examples
    --------
    >>> rows = RowSample(np.array(["a", "b", "c"]), np.array(["x", "y", "z"]), "row_id", "text", seed=0)
    >>> rows.frame(rows.sample(np.arange(3), 2), vote=["spam", "ham"]).columns.tolist()
    ['row_id', 'vote', 'text']
    >>> table = RowSample.of(pd.DataFrame({"id": [7, 8], "amount": [12.5, 3.0], "country": ["DE", None]}), "id", None)
    >>> table.frame(np.array([0, 1]))["fields"].tolist()
    ["amount=12.5, country='DE'", 'amount=3.0, country=None']
    """

    row_ids: np.ndarray
    texts: np.ndarray | None
    id_column: str | None
    text_column: str | None
    seed: int = 0
    data: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, data: pd.DataFrame, id_column: str | None, text_column: str | None, seed: int = 0) -> RowSample:
        """The rows of ``data``: ids from ``id_column`` (its index when None), texts from ``text_column``;
        without one, the data itself, whose fields the frames show."""
        ids = pd.Index(data[id_column] if id_column is not None else data.index).to_numpy()
        texts = data[text_column].to_numpy() if text_column is not None else None
        return cls(ids, texts, id_column, text_column, seed, data=None if text_column is not None else data)

    @property
    def shown_column(self) -> str | None:
        """The column of :meth:`frame` that shows what each row holds: the text, else its fields (None if neither)."""
        if self.text_column is not None:
            return self.text_column
        return None if self.data is None else ("row fields" if self.id_column == "fields" else "fields")

    def sample(self, positions: np.ndarray, n: int) -> np.ndarray:
        """At most ``n`` of ``positions``, in row order."""
        if len(positions) <= n:
            return positions
        rng = np.random.default_rng(self.seed)
        return np.sort(rng.choice(positions, size=n, replace=False))

    def frame(self, positions: np.ndarray, **extra: Any) -> pd.DataFrame:
        """The rows at ``positions``: their ids, the ``extra`` columns, and their texts (or fields)."""
        frame = pd.DataFrame({self.id_column or "row_id": self.row_ids[positions]})
        for key, values in extra.items():
            frame[key] = values
        if self.text_column is not None and self.texts is not None:
            frame[self.text_column] = self.texts[positions]
        elif self.data is not None and self.shown_column is not None:
            frame[self.shown_column] = self._fields(self.data, positions)
        return frame

    def _fields(self, data: pd.DataFrame, positions: np.ndarray) -> list[str]:
        """Each row's fields but its id, as ``name=value`` (Python values: ``12.5``, ``'DE'``, ``None``), clipped."""
        rows = data.iloc[np.asarray(positions, dtype=np.int64)]
        if self.id_column is not None:
            rows = rows.drop(columns=[self.id_column])
        return [clip(", ".join(f"{name}={_plain(value)!r}" for name, value in zip(rows.columns, values)),
                     FIELDS_WIDTH) for values in rows.itertuples(index=False, name=None)]


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, missing values (NaN, NA, NaT) as None."""
    if value is None or (not isinstance(value, (list, tuple, np.ndarray, dict)) and bool(pd.isna(value))):
        return None
    return value.item() if isinstance(value, np.generic) else value


def class_names(values: np.ndarray, names: Sequence[str]) -> list[str]:
    """The class name of each id (the id itself when outside ``names``)."""
    return [names[int(v)] if 0 <= int(v) < len(names) else str(int(v)) for v in values]


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

    def _sample_lines(self) -> list[str]:
        """Every sample row (as many as ``n_samples`` asked for), each with its class names in brackets."""
        n_conflicts = int(round(self.conflict * self.n_rows))
        sections = (("fires on", self.fires, self.n_fired, "[{vote}]"),
                    ("wrong on dev gold", self.wrong, self.incorrect, "[voted {vote}, gold {gold}]"),
                    ("conflicts on", self.conflicts, n_conflicts, "[{vote} vs {others}]"))
        lines = []
        for title, frame, total, tag in sections:
            if not len(frame):
                continue
            lines.append(f"  {title} ({len(frame)} of {total} rows):")
            for record in frame.to_dict("records"):
                text = clip(record[self.text_column], 90) if self.text_column in frame.columns else ""
                row_id = record[str(frame.columns[0])]
                lines.append(f"    {tag.format(**record)} {row_id!s}" + (f": {text}" if text else ""))
        return lines

    def __repr__(self) -> str:
        lines = [f"LFPreview {self.lf.name}@{self.lf.version} ({self.lf.kind})"]
        lines += ["  " + line for line in self._headline()]
        top = self.per_lf[self.per_lf["conflicts"] > 0].head(5)
        if len(top):
            lines.append("  conflicts with: " + ", ".join(f"{n} ({int(c)} rows)" for n, c in top["conflicts"].items()))
        return "\n".join(lines + self._sample_lines())

    def _repr_html_(self) -> str:
        patterns = self.lf.patterns
        parts = [NOTEBOOK_STYLE, "<div class='weaksup-wb'>",
                 f"<h4>{html.escape(self.lf.name)} <small>({html.escape(self.lf.kind)}, "
                 f"version {html.escape(self.lf.version)})</small></h4><ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in self._headline()]
        parts.append("</ul>")
        shown = self.per_lf[(self.per_lf["overlaps"] > 0)]
        parts.append("<details><summary>overlaps and conflicts with the other LFs</summary>"
                     + html_table(shown.reset_index().rename(columns={"index": "lf"})) + "</details>")
        for title, frame, opened in (("fires on", self.fires, True), ("wrong on dev gold", self.wrong, True),
                                     ("conflicts with other LFs on", self.conflicts, False)):
            parts.append(f"<details{' open' if opened and len(frame) else ''}><summary>{html.escape(title)} "
                         f"({len(frame)} sample rows)</summary>"
                         + html_table(frame, text_column=self.text_column, patterns=patterns) + "</details>")
        parts.append("</div>")
        return "".join(parts)


def preview_lf(
    lf: LabelingFunction,
    votes: np.ndarray,
    others: pd.DataFrame,
    y_dev: np.ndarray,
    names: Sequence[str],
    rows: RowSample,
    *,
    n_samples: int = 5,
) -> LFPreview:
    """The :class:`LFPreview` of ``lf`` from its votes, the other LFs' votes and the dev gold.

    Parameters
    ----------
    lf : LabelingFunction
    votes : int array (n,)
        Its vote on every row.
    others : DataFrame (n, m_others)
        The other LFs' votes, one column per LF name.
    y_dev : int array (n,)
        Dev gold class ids (``ABSTAIN`` where none).
    names : sequence of str
        The class names.
    rows : RowSample
        Turns row positions into sample frames.
    n_samples : int, default 5
        Sample rows kept (and printed) for each of ``fires``, ``wrong`` and ``conflicts``.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> rows = RowSample(np.arange(3), np.array(["sub", "song", "sub song"]), "row_id", "text")
    >>> p = preview_lf(keyword_lf("kw", "sub", 1), np.array([1, -1, 1]), pd.DataFrame({"song": [-1, 0, 0]}),
    ...                np.array([1, -1, 0]), ["ham", "spam"], rows)
    >>> p.coverage, p.correct, p.incorrect, p.conflict, int(p.per_lf.loc["song", "conflicts"])
    (0.6666666666666666, 1, 1, 0.3333333333333333, 1)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise ParameterError(f"preview: n_samples (sample rows per section) must be a non-negative integer; "
                             f"got {n_samples!r}. Pass e.g. n_samples=10")
    votes = votes.astype(np.int64)
    n = len(votes)
    fired = votes != ABSTAIN
    O = others.to_numpy(dtype=np.int64).reshape(n, -1)
    other_voted = O != ABSTAIN
    both = fired[:, None] & other_voted
    disagree = both & (O != votes[:, None])
    per_lf = pd.DataFrame({"overlaps": both.sum(axis=0), "conflicts": disagree.sum(axis=0)},
                          index=pd.Index([str(c) for c in others.columns], dtype=object))
    per_lf["overlap_share"] = per_lf["overlaps"] / max(n, 1)
    per_lf["conflict_share"] = per_lf["conflicts"] / max(n, 1)
    per_lf = per_lf.sort_values(["conflicts", "overlaps"], ascending=False, kind="stable")
    any_other = other_voted.any(axis=1)
    row_conflict = disagree.any(axis=1)  # this LF against another: not the row's conflict among all LFs
    on_dev = fired & (y_dev != ABSTAIN)
    right = on_dev & (votes == y_dev)
    wrong = on_dev & ~right
    correct, incorrect = int(right.sum()), int(wrong.sum())
    fires_at = rows.sample(np.flatnonzero(fired), n_samples)
    wrong_at = rows.sample(np.flatnonzero(wrong), n_samples)
    conflict_at = rows.sample(np.flatnonzero(row_conflict), n_samples)
    other_names = [str(c) for c in others.columns]
    against = [", ".join(f"{other_names[j]}={class_names(O[i, [j]], names)[0]}" for j in np.flatnonzero(disagree[i]))
               for i in conflict_at]
    return LFPreview(
        lf=lf, n_rows=n, n_fired=int(fired.sum()), coverage=float(fired.mean()) if n else 0.0,
        polarity=class_names(np.unique(votes[fired]), names),
        new_coverage=float((fired & ~any_other).mean()) if n else 0.0,
        overlap=float((fired & any_other).mean()) if n else 0.0,
        conflict=float(row_conflict.mean()) if n else 0.0,
        n_dev=int(on_dev.sum()), correct=correct, incorrect=incorrect,
        accuracy=correct / (correct + incorrect) if correct + incorrect else float("nan"),
        per_lf=per_lf,
        fires=rows.frame(fires_at, vote=class_names(votes[fires_at], names)),
        wrong=rows.frame(wrong_at, vote=class_names(votes[wrong_at], names), gold=class_names(y_dev[wrong_at], names)),
        conflicts=rows.frame(conflict_at, vote=class_names(votes[conflict_at], names), others=against),
        text_column=rows.shown_column,
    )
