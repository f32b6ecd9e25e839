"""Span gold sets: hand-labelled entity spans per document, versioned like the other gold sets.

A span gold set is a folder holding a ``manifest.json`` (``"type": "spans"``) and a JSON Lines file::

    gold_sets/bc5cdr/
        manifest.json   {"task": "bc5cdr", "type": "spans", "version": 1, "label_space": ["Chemical", "Disease"],
                         "files": ["spans.jsonl"], "splits": {...}, "content_hash": "...", "versions": [...]}
        spans.jsonl     {"row_id": "d1", "split": "dev", "spans": [{"start": 0, "end": 7, "label": "Chemical"}]}

Spans are CHAR offsets into the row's text (end exclusive, whole numbers: ``15.9`` or ``"26"`` is refused, never
rounded), so a gold set does not depend on a tokenizer; a span may say the ``text`` it covers, which the gold set
keeps. A run aligns the spans to its tokens (:func:`token_spans`) and names, in one error, every span that does
not fall on token boundaries or whose ``text`` is not the row's text at its offsets
(:mod:`weaksup.spans.gold_spans`).
Versions work as in :mod:`weaksup.gold.versions`: a later version goes to ``spans-<content hash>.jsonl`` and
earlier files stay; ``load_span_gold(folder, version=N)`` reads any of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from weaksup._io import atomic_path
from weaksup.errors import GoldSetError, Problems, location
from weaksup.gold.core import MANIFEST, SPLITS
from weaksup.gold.lock import gold_lock
from weaksup.gold.versions import (VERSIONS, manifest_type, pin_text, plan_version, publish_manifest, read_manifest,
                                   select_version, warn_if_edited)
from weaksup.spans.gold_spans import GoldSpan, gold_offset, token_spans

if TYPE_CHECKING:
    from weaksup.spans.doc import Span, SpanDoc

__all__ = ["CharSpan", "GOLD_TYPE", "GoldSpan", "OVERLAP_FIX", "OVERLAP_RULE", "SPANS_FILE", "SpanGoldSet",
           "char_spans", "is_span_gold", "load_span_gold", "next_version", "overlaps", "span_hash", "token_spans",
           "write_span_gold"]

logger = logging.getLogger("weaksup.gold")

#: The manifest's ``type`` of a span gold set.
GOLD_TYPE = "spans"
#: The file of a span gold set's first version.
SPANS_FILE = "spans.jsonl"

#: A gold span in char offsets: ``(start, end, label)``.
CharSpan = tuple[int, int, str]


@dataclass(frozen=True)
class SpanGoldSet:
    """A validated span gold set: one row per labelled document in :attr:`frame`.

    Attributes
    ----------
    task : str
    version : int or str
    types : tuple of str
        The entity types (the manifest's ``label_space``).
    frame : pandas.DataFrame
        ``row_id``, ``split``, ``spans`` (a list of ``(start, end, label)`` char spans), ``annotator``.
    hash : str
    path : pathlib.Path or None
    manifest : dict

    Examples
    --------
    >>> import tempfile
    >>> rows = [{"row_id": "a", "split": "dev", "spans": [{"start": 0, "end": 7, "label": "Chemical"}]},
    ...         {"row_id": "b", "split": "test", "spans": []}]
    >>> gold = write_span_gold(rows, tempfile.mkdtemp(), task="demo", types=["Chemical"])
    >>> gold.counts(), gold.spans("dev").to_dict()
    ({'dev': 1, 'test': 1}, {'a': [(0, 7, 'Chemical')]})
    """

    task: str
    version: int | str
    types: tuple[str, ...]
    frame: pd.DataFrame = field(repr=False)
    hash: str
    path: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)
    pinned: bool = field(default=False, compare=False)  # this version was asked for (gold.version)

    def __len__(self) -> int:
        return len(self.frame)

    def counts(self) -> dict[str, int]:
        """The number of labelled documents per split."""
        return {s: int((self.frame["split"] == s).sum()) for s in SPLITS if (self.frame["split"] == s).any()}

    def spans(self, split: str | None = None) -> pd.Series:
        """Each labelled document's char spans (a list of ``(start, end, label)``), indexed by row id."""
        frame = self.frame if split is None else self.frame[self.frame["split"] == split]
        return pd.Series(list(frame["spans"]), index=pd.Index(frame["row_id"], name="row_id"), name="spans",
                         dtype=object)

    def describe(self) -> str:
        """A one-line provenance string, e.g. ``bc5cdr v1 (hash 0e5e...; 100 dev + 100 test)``."""
        counts = " + ".join(f"{n} {s}" for s, n in self.counts().items())
        pin = pin_text(self.manifest, self.version, self.pinned)
        return f"{self.task} v{self.version} ({pin}hash {self.hash}; {counts})"


def char_spans(doc: SpanDoc, spans: Iterable[Span | tuple[int, int, str]]) -> list[CharSpan]:
    """Token spans of ``doc`` as char spans ``(start, end, label)``."""
    return [(int(doc.starts[s[0]]), int(doc.ends[s[1] - 1]), str(s[2])) for s in spans]


def _check_rows(rows: Sequence[Mapping[str, Any]], types: Sequence[str], where: str, problems: Problems
                ) -> list[dict[str, Any]]:
    """The rows as ``{row_id, split, spans: [(s, e, label)], annotator}``, every problem recorded."""
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    known = set(types)
    for i, row in enumerate(rows, start=1):
        at = location(where, i)
        if not isinstance(row, Mapping):
            problems.add("bad_row", f"not a JSON object: {str(row)[:60]!r}", where=at)
            continue
        row_id = row.get("row_id")
        if row_id is None or str(row_id).strip() == "":
            problems.add("blank_id", "row_id is missing or blank", where=location(where, i, "row_id"))
            continue
        row_id = str(row_id)
        if row_id in seen:
            problems.add("duplicate_id", f"row id {row_id!r} is also on line {seen[row_id]}; one line per "
                         "document", where=location(where, i, "row_id"))
        seen[row_id] = i
        split = row.get("split")
        if split not in SPLITS:
            problems.add("bad_split", f"split is {split!r}; use one of {list(SPLITS)}", where=location(where, i, "split"))
        spans = row.get("spans")
        if not isinstance(spans, list):
            problems.add("bad_spans", f"spans must be a list of {{start, end, label}}; got {str(spans)[:60]!r}",
                         where=location(where, i, "spans"))
            continue
        parsed: list[CharSpan] = []
        for span in spans:
            try:
                start, end, label = gold_offset(span["start"]), gold_offset(span["end"]), str(span["label"])
                said = span.get("text")
            except (TypeError, KeyError, ValueError, AttributeError):
                problems.add("bad_span", f"row {row_id!r}: a span must be {{\"start\": c, \"end\": c, \"label\": "
                             f"T}} (char offsets); got {str(span)[:80]!r}", where=location(where, i, "spans"))
                continue
            if start is None or end is None:
                problems.add("bad_offsets", f"row {row_id!r}: span {span['start']!r}..{span['end']!r} ({label}): "
                             "offsets must be whole numbers of characters (not strings or fractions, which would be "
                             "read as another span); write the span's char offsets as integers",
                             where=location(where, i, "spans"))
                continue
            if said is not None and not isinstance(said, str):
                problems.add("bad_span", f"row {row_id!r}: span {start}..{end} ({label}): its text must be a string "
                             f"(the text at its offsets); got {said!r}", where=location(where, i, "spans"))
                continue
            if label not in known:
                problems.add("unknown_label", f"row {row_id!r}: unknown entity type {label!r} (the types are "
                             f"{list(types)})", where=location(where, i, "spans"))
            if not 0 <= start < end:
                problems.add("bad_offsets", f"row {row_id!r}: span {start}..{end} is empty or negative; end is "
                             "exclusive and after start", where=location(where, i, "spans"))
            parsed.append(GoldSpan(start, end, label, said))
        out.append({"row_id": row_id, "split": split, "spans": sorted(parsed),
                    "annotator": str(row.get("annotator") or ""), "_line": i})
    return out


def _span_record(span: CharSpan) -> dict[str, Any]:
    """A span as a gold file writes it (with the text it covers when it was given)."""
    text = getattr(span, "text", None)
    return {"start": span[0], "end": span[1], "label": span[2], **({"text": text} if text is not None else {})}


def overlaps(spans: Iterable[CharSpan]) -> list[tuple[CharSpan, CharSpan]]:
    """The pairs of one row's spans that share a character (a span listed twice too): the span task is flat NER
    (one entity type per token), so a gold row's spans must not overlap.

    Examples
    --------
    >>> overlaps([(0, 21, "Chemical"), (0, 21, "Disease"), (22, 30, "Disease")]), overlaps([(0, 5, "A"), (5, 9, "B")])
    ([((0, 21, 'Chemical'), (0, 21, 'Disease'))], [])
    """
    ordered = sorted(spans)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:] if b[0] < a[1]]


def _overlap_text(row_id: str, pairs: Sequence[tuple[CharSpan, CharSpan]]) -> str:
    shown = "; ".join(f"{a[0]}..{a[1]} ({a[2]}) with {b[0]}..{b[1]} ({b[2]})" for a, b in pairs[:5])
    return f"row {row_id!r} holds overlapping spans: {shown}{f' and {len(pairs) - 5} more' if len(pairs) > 5 else ''}"


#: How a run resolves overlapping gold spans (the rule of tags_from_spans, token F1 and span_metrics), and the fix.
OVERLAP_RULE = ("the span task is flat NER (one entity type per token): a run keeps one span of each overlapping "
                "group for training and every score (the longest in tokens; on a tie the first in (start, end, "
                "type) order), as tags_from_spans does")
OVERLAP_FIX = "keep one span per stretch of text (the right type), or split the text between the spans"


def span_hash(frame: pd.DataFrame, types: Sequence[str], task: str = "") -> str:
    """A 16-hex-digit sha256 of the rows (ids, splits, spans, annotators) and the types, independent of row order."""
    rows = sorted([str(r), str(s), [list(x) for x in sp], str(a)]
                  for r, s, sp, a in zip(frame["row_id"], frame["split"], frame["spans"], frame["annotator"]))
    blob = json.dumps({"task": task, "types": list(types), "rows": rows}, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def is_span_gold(path: str | os.PathLike[str]) -> bool:
    """Whether the gold set folder (or its ``manifest.json``) is a span gold set (manifest ``type``)."""
    return manifest_type(path) == GOLD_TYPE


def load_span_gold(path: str | os.PathLike[str], *, types: Sequence[str] | None = None,
                   version: int | str | None = None) -> SpanGoldSet:
    """Load and validate a span gold set folder (or its ``manifest.json``).

    Parameters
    ----------
    path : path-like
    types : sequence of str, optional
        The run's entity types: the manifest's ``label_space`` must hold the same types.
    version : int or str, optional
        An earlier version (default: the current one).

    Raises
    ------
    GoldSetError
        Every problem at once, each naming its file, line and field: a missing or malformed manifest or file,
        a blank or repeated row id, a bad split, a malformed span (offsets that are not whole numbers, a text that
        is not a string), an unknown entity type.

    Examples
    --------
    >>> load_span_gold("no/such/gold")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: span gold set folder 'no/such/gold' does not exist; ...
    """
    folder = Path(path)
    folder = folder.parent if folder.name == MANIFEST else folder
    if not folder.is_dir():
        raise GoldSetError(f"span gold set folder {str(folder)!r} does not exist; gold sets live in "
                           "gold_sets/<task>/ (set gold.path)")
    manifest = read_manifest(folder, kind="span", writer="weaksup.spans.gold.write_span_gold")
    where = str(folder / MANIFEST)
    if version is not None and str(version) != str(manifest.get("version")):
        manifest = select_version(manifest, version, folder)
    problems = Problems(f"span gold set {folder}")
    if manifest.get("type") != GOLD_TYPE:
        problems.add("not_spans", f"type is {manifest.get('type')!r}, not \"spans\": this gold set labels another "
                     "kind of task; point gold.path at a span gold set", where=location(where, column="type"))
    gold_types = [str(t) for t in manifest.get("label_space") or []]
    if not gold_types:
        problems.add("missing_key", "label_space (the entity types) is missing or empty",
                     where=location(where, column="label_space"))
    if types is not None and gold_types and sorted(gold_types) != sorted(types):
        problems.add("label_space_differs", f"the gold set's entity types {gold_types} differ from the task's "
                     f"{list(types)}; make task.labels and the gold set's label_space the same types",
                     where=location(where, column="label_space"))
    names = manifest.get("files")
    if not isinstance(names, list) or not names:
        problems.add("bad_files", f"files must be a non-empty list of .jsonl file names; got {names!r}",
                     where=location(where, column="files"))
        names = []
    problems.raise_if_any(GoldSetError)
    rows: list[Any] = []
    for name in names:
        file = folder / str(name)
        if not file.is_file():
            problems.add("missing_file", "listed in manifest.json but missing", where=location(str(file)))
            continue
        for i, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    problems.add("bad_json", f"not valid JSON ({exc})", where=location(str(file), i))
                    rows.append(None)
    checked = _check_rows(rows, list(types) if types is not None else gold_types, str(folder / str(names[0])) if
                          names else where, problems)
    problems.raise_if_any(GoldSetError, fix="each line is {\"row_id\": ..., \"split\": \"dev\"|\"test\", \"spans\": "
                          f"[{{\"start\": c, \"end\": c, \"label\": T}}]}} with T one of {gold_types}")
    frame = pd.DataFrame(checked, columns=["row_id", "split", "spans", "annotator"])
    task = str(manifest.get("task") or folder.name)
    digest = span_hash(frame, gold_types, task)
    warn_if_edited(folder, manifest, digest, logger)
    clashes = [f"{_overlap_text(r['row_id'], overlaps(r['spans']))} (line {r['_line']})" for r in checked
               if overlaps(r["spans"])]
    if clashes:
        logger.warning("span gold set %s: %d row(s) hold overlapping spans: %s%s. %s; fix the rows in a new gold "
                       "version: %s", folder / str(names[0]), len(clashes), "; ".join(clashes[:10]),
                       f"; and {len(clashes) - 10} more row(s)" if len(clashes) > 10 else "", OVERLAP_RULE, OVERLAP_FIX)
    gold = SpanGoldSet(task, manifest.get("version", 1), tuple(gold_types), frame, digest, folder, manifest,
                       pinned=version is not None)
    logger.info("loaded span gold set %s", gold.describe())
    return gold


def write_span_gold(rows: Iterable[Mapping[str, Any]] | pd.DataFrame, folder: str | os.PathLike[str], *, task: str,
                    types: Sequence[str], version: int | str = 1, description: str = "",
                    history: Sequence[dict[str, Any]] | None = None, skip_if_unchanged: bool = False) -> SpanGoldSet:
    """Validate ``rows`` (``row_id``, ``split``, ``spans``: ``{start, end, label}`` dicts or ``(start, end,
    label)`` tuples, char offsets; optional ``annotator``) and write them as ``version`` of the span gold set in
    ``folder``. Earlier versions' files are never overwritten; nothing is written when a row has a problem, nor
    (``skip_if_unchanged``, what a review import asks) when the rows are the latest version's content: that
    version is returned.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> rows = [{"row_id": "a", "split": "dev", "spans": [(0, 7, "Chemical")]}]
    >>> write_span_gold(rows, folder, task="t", types=["Chemical"]).spans().to_dict()
    {'a': [(0, 7, 'Chemical')]}
    >>> write_span_gold([{**rows[0], "spans": []}], folder, task="t", types=["Chemical"], version=2).spans().to_dict()
    {'a': []}
    >>> load_span_gold(folder, version=1).spans().to_dict()
    {'a': [(0, 7, 'Chemical')]}
    """
    folder = Path(folder)
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    normal = [{**r, "spans": [s if isinstance(s, Mapping) else {"start": s[0], "end": s[1], "label": s[2]}
                              for s in r.get("spans") or []]} if isinstance(r, Mapping) else r for r in records]
    checked = _check_rows(normal, list(types), "<rows>", problems := Problems(f"span gold rows for {folder}"))
    clashes = [r for r in checked if overlaps(r["spans"])]
    if clashes and is_span_gold(folder):  # a row carried over unchanged was warned about when it loaded
        carried = {(r, tuple(s)) for r, s in load_span_gold(folder).frame[["row_id", "spans"]].to_numpy()}
        clashes = [r for r in clashes if (r["row_id"], tuple(r["spans"])) not in carried]
    for r in clashes:
        problems.add("overlapping_spans", f"{_overlap_text(r['row_id'], overlaps(r['spans']))}; {OVERLAP_FIX} (the "
                     "span task is flat NER: one entity type per token)", where=location("<rows>", r["_line"], "spans"))
    problems.raise_if_any(GoldSetError, fix=f"the entity types are {list(types)}; spans are char offsets")
    frame = pd.DataFrame(checked, columns=["row_id", "split", "spans", "annotator"])
    digest = span_hash(frame, list(types), task)
    with gold_lock(folder, create=True):  # read the manifest, plan, write, publish: one writer at a time
        previous = (read_manifest(folder, kind="span", writer="weaksup.spans.gold.write_span_gold")
                    if (folder / MANIFEST).is_file() else None)
        if previous is not None and previous.get("type") != GOLD_TYPE:
            raise GoldSetError(f"{folder} holds a gold set of type {previous.get('type')!r}; write the span gold "
                               "set to its own folder")
        if skip_if_unchanged and previous is not None and previous.get("content_hash") == digest:
            return load_span_gold(folder, types=types)
        wanted = SPANS_FILE if previous is None else f"spans-{digest}.jsonl"
        name, write, versions = plan_version(previous, folder, version=version, digest=digest, file_name=wanted)
        fresh = write and not (folder / name).exists()  # a new file: removed if the manifest fails
        if write:
            lines = [json.dumps({"row_id": r["row_id"], "split": r["split"],
                                 "spans": [_span_record(s) for s in r["spans"]],
                                 **({"annotator": r["annotator"]} if r["annotator"] else {})}, ensure_ascii=False)
                     for r in checked]
            with atomic_path(folder / name) as tmp:
                tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        manifest: dict[str, Any] = {
            "task": task, "type": GOLD_TYPE, "version": version, "label_space": list(types), "files": [name],
            "offsets": "char", "splits": {s: int((frame["split"] == s).sum()) for s in SPLITS},
            "content_hash": digest, "description": description or (previous or {}).get("description", ""),
            VERSIONS: versions,
        }
        publish_manifest(folder, manifest, escaped=[], history=history, previous=previous,
                         written=folder / name if fresh else None)
        return load_span_gold(folder, types=types)


def next_version(folder: str | os.PathLike[str]) -> int:
    """The version number after the gold set's latest (1 for a new gold set)."""
    path = Path(folder)
    if not (path / MANIFEST).is_file():
        return 1
    version = read_manifest(path, kind="span", writer="weaksup.spans.gold.write_span_gold").get("version", 0)
    try:
        return int(version) + 1
    except (TypeError, ValueError):
        raise GoldSetError(f"{path / MANIFEST}: version {version!r} is not a number; give the new version "
                           "explicitly") from None
