"""Two runs side by side from their ``run.json`` (``weaksup compare RUN_A RUN_B``): the LFs added, removed and
changed (by ``name@version``), the gold set of each, the data hash, the label model and its params, and the headline
figures with their deltas. :func:`previous_line` is the one line a ``weaksup run`` prints against the run it replaced
(kept in its folder as ``previous_run.json``). Figures are shown for the keys both runs have: a multi-label or spans
run has other metrics than a classification run, and an older ``run.json`` lacks some.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from weaksup.errors import DataError

#: The headline figures outside the label model's task metrics: (name, ``run.json`` section, key).
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("rows", "counts", "rows"), ("coverage", "counts", "coverage_all_rows"),
    ("overlap", "vote_stats", "overlap"), ("conflict", "vote_stats", "conflict"))
#: The final labels' figures on the gold test rows (``run.json``'s ``metrics``).
FINAL = ("final/accuracy", "final/macro_f1", "final/macro_recall", "final/ece", "final/gain_over_supervised",
         "reference/supervised_on_dev/accuracy")
#: The label model's figures when the task type is unknown (the classification ones).
LABEL_MODEL = ("accuracy", "macro_f1", "ece")


@dataclass
class RunDiff:
    """What differs between run ``a`` and run ``b`` (see :func:`diff_runs`); ``lines()`` for people, ``as_dict()``
    for machines."""

    a: str
    b: str
    lfs_added: list[str] = field(default_factory=list)
    lfs_removed: list[str] = field(default_factory=list)
    #: ``[name, version in a, version in b]``
    lfs_changed: list[list[str]] = field(default_factory=list)
    gold: dict[str, Any] = field(default_factory=dict)
    data_hash: dict[str, Any] = field(default_factory=dict)
    label_model: dict[str, Any] = field(default_factory=dict)
    #: ``{"name", "a", "b", "delta"}`` per figure both runs have
    figures: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The diff as plain JSON-ready data."""
        return asdict(self)

    @property
    def gold_differs(self) -> bool:
        """Whether the figures are on different gold (another set, version or content)."""
        return bool(self.gold["a"] != self.gold["b"])

    def lines(self) -> list[str]:
        """The diff in words, one item a line."""
        out = [f"A: {self.a}", f"B: {self.b}", "LFs: " + (self.lf_words() or "the same")]
        out += [f"  added   {name}" for name in self.lfs_added] + [f"  removed {name}" for name in self.lfs_removed]
        out += [f"  changed {name} {va} -> {vb}" for name, va, vb in self.lfs_changed]
        out.append(f"gold: A {gold_text(self.gold['a'])}; B {gold_text(self.gold['b'])}")
        if self.gold_differs:
            out.append(f"  figures are on different gold: {gold_short(self.gold['a'])} vs {gold_short(self.gold['b'])}")
        same = "same" if self.data_hash["a"] == self.data_hash["b"] else "differs"
        out.append(f"data hash: A {self.data_hash['a'] or '(not recorded)'}; B {self.data_hash['b'] or '(not recorded)'}"
                   f" ({same})")
        for side in ("a", "b"):
            model = self.label_model[side]
            out.append(f"label model {side.upper()}: {model['name']} (fitted {model['fitted']}), seed {model['seed']}, "
                       f"params {json.dumps(model['params'], sort_keys=True)}")
        if self.figures:
            width = max(len(f["name"]) for f in self.figures)
            out.append(f"{'figure':{width}}  {'A':>8}  {'B':>8}  {'B - A':>8}")
            fmt = {f["name"]: ",.0f" if f["name"] == "rows" else ".3f" for f in self.figures}
            out += [f"{f['name']:{width}}  {f['a']:8{fmt[f['name']]}}  {f['b']:8{fmt[f['name']]}}  "
                    f"{f['delta']:+8{fmt[f['name']]}}" for f in self.figures]
        else:
            out.append("figures: none that both runs have")
        out += [f"verdict {side.upper()}: {self.verdict[side] or '(none recorded)'}" for side in ("a", "b")]
        return out

    def lf_words(self) -> str:
        """``"1 LF changed (short_comment)"``-like counts of the LF changes, ``""`` when there are none."""
        words = []
        for verb, names in (("added", self.lfs_added), ("removed", self.lfs_removed),
                            ("changed", [c[0] for c in self.lfs_changed])):
            if names:
                words.append(f"{len(names)} LF{'s' * (len(names) > 1)} {verb} ({', '.join(names)})")
        return ", ".join(words)

    def figure(self, name: str) -> dict[str, Any] | None:
        """The row of figure ``name``, or None when a run lacks it."""
        return next((f for f in self.figures if f["name"] == name), None)


def gold_text(gold: dict[str, Any] | None) -> str:
    """A run's gold set in words (``run.json``'s ``gold``)."""
    if not gold:
        return "none"
    return f"{gold.get('task')} v{gold.get('version')} (hash {gold.get('hash')}, split {gold.get('split')})"


def gold_short(gold: dict[str, Any] | None) -> str:
    """``v1``, or more when needed to tell the sets apart."""
    return "none" if not gold else f"{gold.get('task')} v{gold.get('version')} (hash {gold.get('hash')})"


def _gold_identity(doc: dict[str, Any]) -> dict[str, Any] | None:
    gold = doc.get("gold")
    if not isinstance(gold, dict) or not gold:
        return None
    return {k: gold.get(k) for k in ("task", "version", "hash", "split")}


def _lfs(doc: dict[str, Any]) -> dict[str, str]:
    return {str(lf.get("name")): str(lf.get("version")) for lf in doc.get("lfs") or [] if isinstance(lf, dict)}


def _label_model(doc: dict[str, Any]) -> dict[str, Any]:
    configured = ((doc.get("config") or {}).get("label_model") or {})
    return {"name": configured.get("name"), "fitted": doc.get("label_model"), "seed": configured.get("seed"),
            "params": configured.get("params") or {}}


def _number(doc: dict[str, Any], section: str, key: str) -> float | None:
    value = (doc.get(section) or {}).get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        else None


def _figure_keys(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The figures to compare for ``doc``'s task type: the counts and vote rates, the label model's summary
    metrics (:attr:`weaksup.tasks.TaskType.summary_metrics`), the final labels'."""
    from weaksup.errors import WeakSupError
    from weaksup.tasks import task_type

    try:
        shown = tuple(task_type(str(doc.get("task_type") or "classification")).summary_metrics)
    except WeakSupError:  # a task type this version does not know: the classification figures
        shown = LABEL_MODEL
    return [*FIGURES, *(("label model " + k, "metrics", k) for k in shown), *((k, "metrics", k) for k in FINAL)]


def diff_runs(a: dict[str, Any], b: dict[str, Any], *, a_name: str = "A", b_name: str = "B") -> RunDiff:
    """What changed from run ``a`` to run ``b`` (two ``run.json`` documents).

    Examples
    --------
    >>> a = {"lfs": [{"name": "kw", "version": "v1"}, {"name": "old", "version": "v1"}], "gold": {"version": 1},
    ...      "metrics": {"final/accuracy": 0.934}, "task_type": "classification"}
    >>> b = {"lfs": [{"name": "kw", "version": "v2"}, {"name": "new", "version": "v1"}], "gold": {"version": 2},
    ...      "metrics": {"final/accuracy": 0.921}, "task_type": "classification"}
    >>> d = diff_runs(a, b)
    >>> d.lfs_added, d.lfs_removed, d.lfs_changed, d.gold_differs
    (['new@v1'], ['old@v1'], [['kw', 'v1', 'v2']], True)
    >>> round(d.figure("final/accuracy")["delta"], 3)
    -0.013
    """
    la, lb = _lfs(a), _lfs(b)
    figures = []
    for name, section, key in _figure_keys(b):
        va, vb = _number(a, section, key), _number(b, section, key)
        if va is not None and vb is not None:
            figures.append({"name": name, "a": va, "b": vb, "delta": vb - va})
    return RunDiff(
        a=a_name, b=b_name,
        lfs_added=[f"{n}@{v}" for n, v in lb.items() if n not in la],
        lfs_removed=[f"{n}@{v}" for n, v in la.items() if n not in lb],
        lfs_changed=[[n, la[n], v] for n, v in lb.items() if n in la and la[n] != v],
        gold={"a": _gold_identity(a), "b": _gold_identity(b)},
        data_hash={"a": a.get("data_hash"), "b": b.get("data_hash")},
        label_model={"a": _label_model(a), "b": _label_model(b)},
        figures=figures, verdict={"a": a.get("verdict"), "b": b.get("verdict")})


def previous_line(previous: dict[str, Any], current: dict[str, Any]) -> str:
    """The summary line of a run against the run it replaced in its folder: what changed (LFs, gold, data, label
    model) and the final accuracy (else the label model's first figure) before and after.

    Examples
    --------
    >>> a = {"lfs": [{"name": "short_comment", "version": "e157fde6"}], "metrics": {"final/accuracy": 0.934}}
    >>> b = {"lfs": [{"name": "short_comment", "version": "5944c56c"}], "metrics": {"final/accuracy": 0.921}}
    >>> previous_line(a, b)
    'against the previous run in this folder: 1 LF changed (short_comment); final accuracy 0.934 -> 0.921'
    """
    d = diff_runs(previous, current)
    changes = [d.lf_words()] if d.lf_words() else []
    if d.gold_differs:
        changes.append(f"gold {gold_short(d.gold['a'])} -> {gold_short(d.gold['b'])}")
    if d.data_hash["a"] and d.data_hash["b"] and d.data_hash["a"] != d.data_hash["b"]:
        changes.append("the data changed")
    if d.label_model["a"] != d.label_model["b"]:
        changes.append("the label model or its params changed")
    said = "; ".join(changes) or "no LF, gold, data or label model change"
    lead = d.figure("final/accuracy") or next((f for f in d.figures if f["name"].startswith("label model ")), None)
    if lead is not None:
        name = "final accuracy" if lead["name"] == "final/accuracy" else lead["name"]
        said += f"; {name} {lead['a']:.3f} -> {lead['b']:.3f}"
    return f"against the previous run in this folder: {said}"


def read_run(where: str | os.PathLike[str]) -> dict[str, Any]:
    """A run's ``run.json`` document: of a run folder (:func:`weaksup.pipeline.load_run`, not checking its
    parts), or a manifest file such as a folder's ``previous_run.json``.

    Raises
    ------
    DataError
        Naming the folder (or file) and the fix, when it holds no run.
    """
    from weaksup.pipeline.folder import read_manifest
    from weaksup.pipeline.manifest import RUN_FORMAT, load_run

    path = Path(where)
    if path.is_file() and path.name != "run.json":
        doc = read_manifest(path)
        if doc.get("format") != RUN_FORMAT:
            raise DataError(f"{path}: not a weaksup run manifest; give a run folder (the folder of a run's "
                            "output.path, holding run.json) or its previous_run.json")
        return doc
    return load_run(path, verify=False).manifest
