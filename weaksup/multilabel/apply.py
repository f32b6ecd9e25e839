"""Apply multi-label LFs to a DataFrame: one :func:`~weaksup.apply.apply_lfs` pass over their inner LFs, decoded.

The inner classification LFs of every multi-label LF (:mod:`weaksup.multilabel.lfs`) are applied together, so
keyword and regex LFs share the vectorised passes (RE2, one Aho-Corasick pass for all keywords), generic ones run
row-wise with the usual fault handling; each LF's column then decodes into its yes/no votes per label.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.apply.core import DEFAULT_CHUNK_ROWS, apply_lfs, as_lf_list
from weaksup.errors import LFDefinitionError, LFApplyError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction
from weaksup.multilabel.lfs import MultiLabelLF, RuleMultiLabelLF
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.multilabel.votes import MultiLabelVotes
from weaksup.registry import Registry

logger = logging.getLogger(__name__)

__all__ = ["apply_multilabel_lfs", "as_multilabel_lf_list", "check_lf_labels", "exclusive_clashes"]

#: The LFs already warned about saying yes to labels a row cannot carry together (once per LF).
_WARNED_CLASH: weakref.WeakSet[LabelingFunction] = weakref.WeakSet()


def as_multilabel_lf_list(lfs: Any) -> list[LabelingFunction]:
    """The LFs of a registry, one LF or an iterable of LFs (multi-label ones, or classification LFs whose class
    ids index the space's labels), names distinct.

    Examples
    --------
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf
    >>> [lf.name for lf in as_multilabel_lf_list(multilabel_keyword_lf("kw", "thanks", "gratitude"))]
    ['kw']
    """
    return as_lf_list(lfs)[0]


def check_lf_labels(lfs: Sequence[LabelingFunction], space: MultiLabelSpace) -> None:
    """Every label a multi-label LF votes on is a label of ``space``; an :class:`LFDefinitionError` names the LF
    and the label otherwise.

    Examples
    --------
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf
    >>> check_lf_labels([multilabel_keyword_lf("kw", "yay", "joyy")], MultiLabelSpace(["joy", "anger"]))
    Traceback (most recent call last):
    ...
    weaksup.errors.LFDefinitionError: LF 'kw' (defined at ...) votes on label 'joyy', which is not a label of the space ['joy', 'anger'] (did you mean 'joy'?); fix the LF's label or add the label to [task] labels
    """
    import difflib

    for lf in lfs:
        for label in lf.vote_labels if isinstance(lf, MultiLabelLF) else ():
            if label not in space.labels:
                close = difflib.get_close_matches(label, list(space.labels), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise LFDefinitionError(
                    f"LF {lf.name!r} (defined at {lf.source}) votes on label {label!r}, which is not a label of the "
                    f"space {list(space.labels)}{hint}; fix the LF's label or add the label to [task] labels")
        yes = lf.yes if isinstance(lf, RuleMultiLabelLF) else ()  # (a rule LF's: the same on every row it matches)
        clashes = exclusive_clashes(yes, space)
        if clashes:
            raise LFDefinitionError(
                f"LF {lf.name!r} (defined at {lf.source}) says yes to {list(yes)} together, but a row cannot "
                f"carry {'; '.join(clashes)}: the exclusivity rule would silently drop one of them on every row the "
                "LF matches; say yes to one of them (one LF per label), or take the group out of [task] exclusive")


def exclusive_clashes(labels: Iterable[str], space: MultiLabelSpace) -> list[str]:
    """What a yes to all of ``labels`` at once breaks in ``space``: two labels of an exclusive group, or the none
    label with another label (``[]`` when nothing).

    Examples
    --------
    >>> space = MultiLabelSpace(["pos", "neg", "joy", "none"], exclusive=[["pos", "neg"]], none_label="none")
    >>> exclusive_clashes(["pos", "neg", "joy"], space), exclusive_clashes(["none", "joy"], space)
    (["pos and neg of the exclusive group ['pos', 'neg']"], ["the none label 'none' with joy"])
    >>> exclusive_clashes(["pos", "joy"], space)
    []
    """
    chosen = set(labels)
    out = []
    for group in space.exclusive:
        both = [x for x in group if x in chosen]
        if len(both) > 1:
            out.append(f"{' and '.join(both)} of the exclusive group {list(group)}")
    none = space.none_label
    others = [x for x in space.labels if x in chosen and x != none]
    if none is not None and none in chosen and others:
        out.append(f"the none label {none!r} with {', '.join(others)}")
    return out


def warn_clashing_yes(lf: LabelingFunction, votes: np.ndarray, space: MultiLabelSpace, row_ids: np.ndarray) -> None:
    """Warn (once per LF) when ``lf`` said yes to labels a row cannot carry together on some row of its ``(n, k)``
    ``votes`` (:func:`exclusive_clashes`): the exclusivity rule drops one of them, and the row goes to review."""
    if lf in _WARNED_CLASH:
        return
    yes = np.asarray(votes) == 1
    broken = list(space.broken_rules(yes).values())
    if not broken:
        return
    _WARNED_CLASH.add(lf)
    rows = np.flatnonzero(np.logical_or.reduce(broken))
    clashes = exclusive_clashes([space.labels[c] for c in np.flatnonzero(yes[rows[0]])], space)
    logger.warning("LF %r (defined at %s) said yes to labels a row cannot carry together on %d row(s) (first: row "
                   "id %r: %s); the exclusivity rule keeps one of them and sends the row to review. Make the LF say "
                   "yes to one of them", lf.name, lf.source, len(rows), str(row_ids[rows[0]]), "; ".join(clashes))


def decode_votes(lf: LabelingFunction, column: np.ndarray, space: MultiLabelSpace,
                 row_ids: np.ndarray) -> np.ndarray:
    """One LF's ``(n, k)`` int8 votes over the space's labels from its inner LF's vote ``column``.

    A multi-label LF decodes its own column; a classification LF voting class id ``c`` says yes to label ``c``.
    """
    out = np.full((len(column), space.k), ABSTAIN, dtype=np.int8)
    if isinstance(lf, MultiLabelLF):
        out[:, [space.index(label) for label in lf.vote_labels]] = lf.decode(column)
        if not isinstance(lf, RuleMultiLabelLF):  # (a rule LF's yes labels are checked when it meets the space)
            warn_clashing_yes(lf, out, space, row_ids)
        return out
    col = np.asarray(column, dtype=np.int64)
    bad = np.flatnonzero(col >= space.k)
    if len(bad):
        raise LFApplyError(
            f"classification LF {lf.name!r} (defined at {lf.source}) voted class id {int(col[bad[0]])} on row id "
            f"{row_ids[bad[0]]!r}, but the multi-label space has labels 0..{space.k - 1} {list(space.labels)}; "
            "wrap it with multilabel_lf(lf, label=...) to say which label its votes mean")
    fired = np.flatnonzero(col != ABSTAIN)
    out[fired, col[fired]] = 1
    return out


def apply_multilabel_lfs(
    data: pd.DataFrame,
    lfs: Registry | LabelingFunction | Iterable[LabelingFunction],
    space: MultiLabelSpace,
    *,
    progress: bool = True,
    id_column: str | None = None,
    fault_tolerant: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    n_threads: int | None = None,
    n_jobs: int | None = None,
    lf_timeout: float | None = None,
) -> MultiLabelVotes:
    """Apply multi-label LFs to every row of ``data``: yes / no / abstain per LF and label, rows in order.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows.
    lfs : Registry, LabelingFunction or iterable of them
        Multi-label LFs (:mod:`weaksup.multilabel.lfs`); a classification LF says yes to the label whose index it
        votes.
    space : MultiLabelSpace
        The labels; every label an LF votes on must be one of them.
    progress : bool, default True
        Show a progress bar.
    id_column, fault_tolerant, chunk_rows, n_threads, n_jobs, lf_timeout
        As in :func:`~weaksup.apply.apply_lfs` (the row ids come from ``id_column``, else the index).

    Returns
    -------
    MultiLabelVotes
        ``(n, m, k)`` int8 votes with the row ids and each LF's ``name@version``.

    Examples
    --------
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf, multilabel_labeling_function
    >>> space = MultiLabelSpace(["gratitude", "anger", "curiosity", "neutral"], none_label="neutral")
    >>> @multilabel_labeling_function(labels=["curiosity", "neutral"])
    ... def question(x):
    ...     return {"curiosity": True, "neutral": False} if x.text.endswith("?") else None
    >>> df = pd.DataFrame({"text": ["thanks!", "why?", "ok"]}, index=["a", "b", "c"])
    >>> votes = apply_multilabel_lfs(df, [multilabel_keyword_lf("kw_thanks", "thanks", "gratitude", no=["anger"]),
    ...                                   question], space, progress=False)
    >>> votes.values[:, 0].tolist(), votes.values[:, 1].tolist(), votes.row_ids.tolist()
    ([[1, 0, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1]], [[-1, -1, -1, -1], [-1, -1, 1, 0], [-1, -1, -1, -1]], ['a', 'b', 'c'])
    """
    if not isinstance(space, MultiLabelSpace):
        raise ParameterError(f"apply_multilabel_lfs: space must be a MultiLabelSpace (weaksup.multilabel); got "
                             f"{type(space).__name__} {space!r}")
    lf_list = as_multilabel_lf_list(lfs)
    check_lf_labels(lf_list, space)
    inner: list[LabelingFunction] = []
    position: dict[int, int] = {}  # id of an inner LF -> its column (an LF wrapped twice runs once)
    for lf in lf_list:
        run = lf.inner if isinstance(lf, MultiLabelLF) else lf
        if id(run) not in position:
            position[id(run)] = len(inner)
            inner.append(run)
    vm = apply_lfs(inner, data, id_column=id_column, fault_tolerant=fault_tolerant, progress=progress,
                   chunk_rows=chunk_rows, n_threads=n_threads, n_jobs=n_jobs, lf_timeout=lf_timeout)
    values = np.full((len(vm.row_ids), len(lf_list), space.k), ABSTAIN, dtype=np.int8)
    for j, lf in enumerate(lf_list):
        column = vm.values[:, position[id(lf.inner if isinstance(lf, MultiLabelLF) else lf)]]
        values[:, j, :] = decode_votes(lf, column, space, vm.row_ids)
    faults = {name: n for name, n in vm.faults.items() if n}
    if faults:
        logger.info("multi-label LFs with faults (their rows abstain on every label): %s", faults)
    return MultiLabelVotes(values, [lf.lf_id for lf in lf_list], space, row_ids=vm.row_ids)
