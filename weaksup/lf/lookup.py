"""Distant supervision: :func:`lookup_lf` maps a field value, or the tokens of a text, to labels."""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf._re2 import Translation, word_translation
from weaksup.lf.core import LabelingFunction, field_value
from weaksup.lf.identity import FrozenDict, check_label, check_name, label_space_in_use, short_hash
from weaksup.lf.source import Code, LFSource, call_source

_TOKEN = re.compile(r"\w+")
# Characters whose lower case differs between Python's str.lower and Arrow's utf8_lower
# (dotted capital I lowers to two code points; final sigma depends on context).
_LOWER_DIFF = r"[\x{130}\x{3a3}]"


def _read_table(path: Path, lf_name: str, lines: dict[Any, str] | None = None) -> dict[Any, Any]:
    """A lookup table file's ``{key: label}``; ``lines`` gets each key's ``path:line`` (a CSV or TSV file's)."""
    if not path.is_file():
        raise LFDefinitionError(f"LF {lf_name!r}: lookup table file {str(path)!r} does not exist")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LFDefinitionError(f"{path}:{exc.lineno}: invalid JSON in lookup table of LF {lf_name!r}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise LFDefinitionError(f"{path}: a JSON lookup table must be an object {{key: label}}; got {type(data).__name__}")
        return data
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    table: dict[Any, Any] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise LFDefinitionError(f"{path}: lookup table of LF {lf_name!r} is empty; expected a header 'key,label'")
        if [h.strip().lower() for h in header[:2]] != ["key", "label"]:
            raise LFDefinitionError(
                f"{path}:1: lookup table of LF {lf_name!r} must start with the header 'key,label'; got {header!r}"
            )
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) < 2:
                raise LFDefinitionError(f"{path}:{line_no}: expected 'key,label'; got {row!r}")
            key, label = row[0], row[1].strip()
            if key in table and table[key] != label:
                raise LFDefinitionError(
                    f"{path}:{line_no}: key {key!r} maps to {label!r} here but to {table[key]!r} above"
                )
            table[key] = int(label) if label.lstrip("-").isdigit() else label
            if lines is not None:
                lines[key] = f"{path}:{line_no}"
    return table


def _resolve_labels(table: Mapping[Any, Any], label_space: LabelSpace | None, lf_name: str,
                    lines: Mapping[Any, str] | None = None) -> dict[Any, int]:
    """The table's labels as class ids; a bad label's error starts with where the key is (``lines``: a table
    file's ``path:line`` of each key)."""
    out = {}
    where = ""  # where the class names come from when no label_space was given
    key: Any = None
    try:
        for key, label in table.items():
            if isinstance(label, str) and label_space is None:
                label_space, found = label_space_in_use()  # the module's LABELS (or its Workbench's label space)
                if label_space is None:
                    raise LFDefinitionError(
                        f"LF {lf_name!r}: the lookup table gives class name {label!r} for key {key!r}; "
                        "pass label_space=LabelSpace([...]) to map names to ids"
                    )
                where = f"{found}, as no label_space= was given"
            if isinstance(label, str) and where and label_space is not None and label not in label_space:
                close = difflib.get_close_matches(label, list(label_space), n=1)
                raise LFDefinitionError(
                    f"LF {lf_name!r}: the lookup table gives unknown class {label!r} for key {key!r}"
                    f"{f' (did you mean {close[0]!r}?)' if close else ''}; the classes are {list(label_space)} "
                    f"(from {where}): fix the table's label, or pass label_space=LabelSpace([...]) with its class "
                    "names"
                )
            out[key] = check_label(label, lf_name, label_space)
    except LFDefinitionError as exc:
        at = (lines or {}).get(key)
        if at is None:
            raise
        raise LFDefinitionError(f"{at}: {exc}") from None
    return out


_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _number(value: Any) -> int | float | None:
    """A number cell or key as one Python number (``"42"``, ``42``, ``np.int64(42)`` and ``42.0`` all give 42)."""
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            return None
        text = value.strip()
        number: int | float = int(text) if text.lstrip("+-").isdigit() else float(text)
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    else:
        number = int(value) if isinstance(value, (int, np.integer)) else float(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _numbers(table: Mapping[Any, int], lf_name: str) -> dict[int | float, int]:
    """The table's keys that are numbers or read as numbers (a CSV's keys are text), for numeric cells."""
    out: dict[int | float, int] = {}
    seen: dict[int | float, Any] = {}
    for key, label in table.items():
        number = _number(key)
        if number is None:
            continue
        if out.get(number, label) != label:
            raise LFDefinitionError(
                f"LF {lf_name!r}: lookup keys {seen[number]!r} and {key!r} are the same number but map to different "
                "labels; a numeric column would match both: keep one of them"
            )
        out[number] = label
        seen.setdefault(number, key)
    return out


class LookupLF(LabelingFunction):
    """An LF voting the label a lookup table gives a row (distant supervision). :func:`lookup_lf` is this class.

    Parameters
    ----------
    name : str
        The LF's name.
    table : mapping or path
        ``{key: label}``, or a ``.csv``/``.tsv`` file with the header ``key,label``, or a
        ``.json`` object. Labels are class ids, or class names with ``label_space``.
    field : str, default "text"
        The column to look up.
    by : {"value", "tokens"}, default "value"
        ``"value"``: the whole field value is the key (e.g. an author or a domain).
        ``"tokens"``: the field is a text; its ``\\w+`` tokens are keys, and the LF votes
        when the tokens found all map to one label (abstains when they disagree).
    case_sensitive : bool, default False
        Otherwise keys and values are compared lower-cased.
    label_space : LabelSpace, optional
        Maps class names in the table to ids.
    tags, description, version : optional
        Metadata (see :class:`~weaksup.lf.core.LabelingFunction`).

    Examples
    --------
    >>> lf = lookup_lf("lexicon", {"subscribe": 1, "love": 0}, by="tokens")
    >>> lf({"text": "Subscribe to me"}), lf({"text": "love it, subscribe"}), lf({"text": "hi"})
    (1, -1, -1)
    >>> lookup_lf("spammers", {"Spam Bot": 1}, field="author")({"author": "spam bot"})
    1
    >>> print(lf.to_source().code, end="")
    lexicon = lookup_lf('lexicon', {'subscribe': 1, 'love': 0}, by='tokens')
    """

    kind = "lookup"
    vectorised = True
    thread_safe = True
    field: str
    by: str
    case_sensitive: bool
    table: dict[Any, int]
    table_source: str
    _token_patterns: tuple[tuple[int, Translation], ...]
    _keys: pa.Array | None
    _key_labels: np.ndarray | None
    _by_number: FrozenDict
    _fold_check: Translation | None

    def __init__(
        self,
        name: str,
        table: Mapping[Any, int | str] | str | os.PathLike[str],
        *,
        field: str = "text",
        by: str = "value",
        case_sensitive: bool = False,
        label_space: LabelSpace | None = None,
        tags: Iterable[str] = (),
        description: str = "",
        version: str | None = None,
    ) -> None:
        check_name(name)
        if by not in ("value", "tokens"):
            raise LFDefinitionError(f"LF {name!r}: by must be 'value' or 'tokens'; got {by!r}")
        source = "inline"
        lines: dict[Any, str] = {}  # a table file's line of each key, for an error about its label
        if isinstance(table, (str, os.PathLike)):
            source = Path(table).name  # the file's name, not where the project sits: versions are portable
            table = _read_table(Path(table), name, lines)
        if not isinstance(table, Mapping) or not table:
            raise LFDefinitionError(f"LF {name!r}: the lookup table must be a non-empty mapping or file; got {table!r}")
        resolved = _resolve_labels(table, label_space, name, lines)
        if not case_sensitive:
            resolved = _lowered(resolved, name)
        if by == "tokens":
            bad = [k for k in resolved if not isinstance(k, str) or not _TOKEN.fullmatch(k)]
            if bad:
                raise LFDefinitionError(
                    f"LF {name!r}: token keys must be single words (letters, digits, '_'); got {bad[:5]!r}. "
                    "Use keyword_lf for phrases."
                )
        items = sorted(resolved.items(), key=lambda kv: repr(kv[0]))
        shown = dict(items) if len(items) <= 50 else {"size": len(items), "sha1": short_hash(items)}
        numbers = _numbers(resolved, name) if by == "value" else {}
        self._set(field=field, by=by, case_sensitive=case_sensitive, table=FrozenDict(resolved), table_source=source,
                  _by_number=FrozenDict(numbers))
        # Text keys that read as numbers now also match numeric cells: such tables vote differently, so their
        # version differs from the one they had before (cached votes are not reused).
        text_numbers = any(isinstance(k, str) and _number(k) is not None for k in resolved) and by == "value"
        super().__init__(
            name, params={"field": field, "by": by, "case_sensitive": case_sensitive, "table": shown, "source": source},
            fields=(field,), labels=set(resolved.values()), tags=tags, description=description or
            self.default_description(), version=version, hash_extra=[items, "numeric cells"] if text_numbers else items,
        )
        if by == "tokens":
            patterns = [
                (label, word_translation([k for k, v in resolved.items() if v == label], case_sensitive=case_sensitive))
                for label in sorted(set(resolved.values()))
            ]
            # RE2 folds case by Unicode's orbits, Python lower-cases: a non-ASCII key (e.g. 'ſtop', whose long s
            # RE2 also matches 's') may match an ASCII text RE2-side but not Python-side. Rows such keys match in
            # RE2 are judged in Python.
            folded = sorted(k for k in resolved if not case_sensitive and not k.isascii())
            self._set(_token_patterns=tuple(patterns),
                      _fold_check=word_translation(folded, case_sensitive=False) if folded else None)
        elif all(isinstance(k, str) for k in resolved):
            self._set(_keys=pa.array(list(resolved), type=pa.large_string()),
                      _key_labels=np.array(list(resolved.values()), dtype=np.int64))
        else:  # keys that are not strings (ids, numbers): looked up in Python
            self._set(_keys=None, _key_labels=None)

    def default_description(self) -> str:
        return (f"{self.field} {'tokens' if self.by == 'tokens' else 'value'} looked up in a "
                f"{len(self.table)}-entry table")

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """A ``lookup_lf(...)`` call reading the table's file when it is at hand, else writing the table out."""
        options: dict[str, Any] = {}
        if self.table_source != "inline" and Path(self.table_source).exists():
            table = repr(self.table_source)
            if label_space is not None:
                options["label_space"] = Code("LABELS")
        else:
            table = repr(dict(self.table))
            if self.table_source != "inline":  # the file's name is part of the version: keep the version it had
                options["version"] = self.version
        options.update(field=self.field, by=self.by, case_sensitive=self.case_sensitive)
        return call_source(self, "lookup_lf", [repr(self.name), table], options)

    def _tokens_label(self, text: Any) -> int:
        if not isinstance(text, str):
            return ABSTAIN
        if not self.case_sensitive:
            text = text.lower()
        found = {self.table[t] for t in _TOKEN.findall(text) if t in self.table}
        return found.pop() if len(found) == 1 else ABSTAIN

    def _value_label(self, value: Any) -> int:
        if isinstance(value, str) and not self.case_sensitive:
            value = value.lower()
        number = None if isinstance(value, str) else _number(value)
        if number is not None:  # a numeric cell matches a numeric key, or a text key that reads as that number
            return int(self._by_number.get(number, ABSTAIN))
        try:
            return self.table.get(value, ABSTAIN)
        except TypeError:  # unhashable value
            return ABSTAIN

    def __call__(self, x: Any) -> int:
        value = field_value(x, self.field)
        return self._tokens_label(value) if self.by == "tokens" else self._value_label(value)

    def literal_needs(self) -> list[tuple[str, bool, tuple[str, ...]]]:
        """``(field, lowered, literals)`` whose occurrences the batch should find in one shared pass."""
        if self.by != "tokens":
            return []
        return [(self.field, t.prefilter_lowered, t.literals) for _, t in self._token_patterns if t.literals]

    def vote_batch(self, batch: Any) -> np.ndarray:
        if not batch.is_text(self.field) or (self.by == "value" and self._keys is None):
            return np.fromiter((self._value_label(v) if self.by == "value" else self._tokens_label(v)
                                for v in batch.values(self.field)), dtype=np.int64, count=batch.n)
        if self.by == "tokens":
            votes = np.full(batch.n, ABSTAIN, dtype=np.int64)
            n_labels = np.zeros(batch.n, dtype=np.int32)
            for label, translation in self._token_patterns:
                hit = batch.match(self.field, translation)
                votes[hit] = label
                n_labels += hit
            votes[n_labels > 1] = ABSTAIN
            unsure = np.unique(np.concatenate([batch.unsure_rows(self.field, t) for _, t in self._token_patterns]
                                              + ([np.flatnonzero(batch.match(self.field, self._fold_check))]
                                                 if self._fold_check is not None else [])))
        else:
            arr = batch.arrow(self.field) if self.case_sensitive else batch.lowered(self.field)
            idx = pc.index_in(arr, value_set=self._keys).to_numpy(zero_copy_only=False)
            found = ~np.isnan(idx.astype(float))
            votes = np.full(batch.n, ABSTAIN, dtype=np.int64)
            votes[found] = np.asarray(self._key_labels)[idx[found].astype(np.int64)]
            unsure = np.zeros(0, dtype=np.int64) if self.case_sensitive else \
                np.flatnonzero(batch.guard_mask(self.field, _LOWER_DIFF))
        if len(unsure):
            recompute = self._tokens_label if self.by == "tokens" else self._value_label
            votes[unsure] = [recompute(v) for v in batch.values_at(self.field, unsure)]
        return votes


def _lowered(resolved: dict[Any, int], name: str) -> dict[Any, int]:
    """The table with string keys lower-cased; keys that differ only in case must agree."""
    lowered: dict[Any, int] = {}
    for key, label in resolved.items():
        k = key.lower() if isinstance(key, str) else key
        if lowered.get(k, label) != label:
            raise LFDefinitionError(
                f"LF {name!r}: keys that differ only in case map to different labels ({key!r}); "
                "pass case_sensitive=True or fix the table"
            )
        lowered[k] = label
    return lowered


#: Build a :class:`LookupLF` (the factory is the class: one signature, one docstring).
lookup_lf = LookupLF
