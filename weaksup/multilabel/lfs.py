"""Multi-label labeling functions: per label, an LF votes **yes**, **no** or abstains.

Every kind wraps a classification LF (its ``inner``) and says how its votes become yes/no votes, so applying
them (:func:`~weaksup.multilabel.apply.apply_multilabel_lfs`) runs the classification machinery unchanged: the
keyword and regex kinds keep their vectorised RE2 / shared-literal fast paths, generic functions run row-wise
with the same fault handling, time budgets and processes.

- :func:`multilabel_keyword_lf` / :func:`multilabel_regex_lf`: a match says yes to ``label`` (one or several);
  ``no=True`` makes it say no instead, ``no=[...]`` says no to other labels as well.
- :func:`multilabel_lf`: any classification LF (lookup, threshold, model score...): where it votes, yes (or no)
  to ``label``.
- :func:`multilabel_labeling_function`: a Python function of a row returning a set/list of labels (yes to
  those, abstain on the rest), a dict ``{label: True/False}`` (yes/no), or None (abstain on every label).

A plain classification LF given to ``apply_multilabel_lfs`` says yes to the label whose index it votes.
Like today's LFs they are immutable and versioned (``name@version``: a content hash, or ``version=``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import FunctionLF, LabelingFunction
from weaksup.lf.identity import short_hash
from weaksup.lf.text import KeywordLF, RegexLF

if TYPE_CHECKING:
    import re

    from weaksup.labels import LabelSpace
    from weaksup.lf.source import LFSource

__all__ = ["MAX_FUNCTION_LABELS", "MultiLabelLF", "multilabel_keyword_lf", "multilabel_labeling_function",
           "multilabel_lf", "multilabel_regex_lf"]

#: Labels a generic multi-label LF may declare: its yes and no bits are packed into one int64 vote.
MAX_FUNCTION_LABELS = 31


def label_names(value: Any, lf_name: str, what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    """``value`` (a label name or an iterable of them) as a tuple of distinct names, in order.

    Examples
    --------
    >>> label_names(["joy", "love", "joy"], "kw", "label")
    ('joy', 'love')
    """
    given = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else [value]
    bad = [v for v in given if not isinstance(v, str) or not v.strip()]
    if bad or (not given and not allow_empty):
        raise LFDefinitionError(f"LF {lf_name!r}: {what} must be a label name or a list of label names (non-empty "
                                f"strings); got {value!r}")
    return tuple(dict.fromkeys(given))


class MultiLabelLF(LabelingFunction):
    """A multi-label LF: a classification LF (``inner``) whose votes decode into yes/no votes per label.

    Attributes
    ----------
    inner : LabelingFunction
        The classification LF that runs (vectorised or row-wise) when the LF is applied.
    vote_labels : tuple of str
        The labels the LF may vote on (yes or no); it abstains on every other label.
    yes, no : tuple of str
        For the rule kinds: the labels a vote of ``inner`` says yes and no to (empty for the generic kind).
    """

    kind = "multilabel"
    inner: LabelingFunction
    vote_labels: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]

    def _setup(self, inner: LabelingFunction, vote_labels: tuple[str, ...], version: str | None) -> None:
        self._set(inner=inner, vote_labels=vote_labels, fields=inner.fields, vectorised=inner.vectorised,
                  thread_safe=inner.thread_safe, source=inner.source)
        # The version folds in the inner LF's version, which a generic LF computes on first use.
        del self.__dict__["_computed_version"]
        if version is None:
            del self.__dict__["version"]

    def _complete_version(self) -> None:
        computed = short_hash(self.kind, self.params, self.inner.version)
        self._set(_computed_version=computed, version=self.__dict__.get("version") or computed)

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The inner LF's patterns (the matches that explain a keyword or regex vote)."""
        return self.inner.patterns

    @property
    def cacheable(self) -> bool:
        """The inner LF's :attr:`~weaksup.lf.core.LabelingFunction.cacheable`."""
        return self.inner.cacheable

    @property
    def cache_note(self) -> str:
        """The inner LF's ``cache_note``."""
        return self.inner.cache_note

    def decode(self, column: np.ndarray) -> np.ndarray:
        """The ``(n, len(vote_labels))`` int8 yes (1) / no (0) / abstain (-1) votes of inner votes ``column``."""
        raise NotImplementedError  # pragma: no cover - every kind overrides it

    def __call__(self, x: Any) -> dict[str, bool]:  # type: ignore[override]
        """The LF's votes on one row: ``{label: True (yes) / False (no)}``, empty when it abstains."""
        row = self.decode(np.asarray([self.inner(x)], dtype=np.int64))[0]
        return {label: bool(v) for label, v in zip(self.vote_labels, row) if v != ABSTAIN}

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """Python source rebuilding this LF (:func:`~weaksup.multilabel.export.multilabel_lf_source`)."""
        from weaksup.multilabel.export import multilabel_lf_source

        return multilabel_lf_source(self)

    def manifest(self) -> dict[str, Any]:
        """A JSON-safe description: the classification one, with the labels it votes on."""
        return {**super().manifest(), "labels": list(self.vote_labels), "yes": list(self.yes), "no": list(self.no),
                "inner_kind": self.inner.kind}


class RuleMultiLabelLF(MultiLabelLF):
    """Where ``inner`` votes (any class), yes to :attr:`yes` and no to :attr:`no` (the keyword, regex, wrap kinds)."""

    def __init__(self, inner: LabelingFunction, kind: str, label: Any, no: bool | Iterable[str], *,
                 name: str | None = None, version: str | None = None, tags: Iterable[str] | None = None,
                 description: str | None = None) -> None:
        name = inner.name if name is None else name
        labels = label_names(label, name, "label")
        if isinstance(no, bool):
            yes, nos = ((), labels) if no else (labels, ())
        else:
            yes, nos = labels, label_names(no, name, "no", allow_empty=True)
        both = sorted(set(yes) & set(nos))
        if both:
            raise LFDefinitionError(f"LF {name!r}: labels {both} are both in label= (yes) and no=; a vote says "
                                    "yes or no to a label, not both")
        self._set(kind=kind, yes=yes, no=nos)
        super().__init__(name, params={"inner": dict(inner.params), "inner_kind": inner.kind, "yes": list(yes),
                                       "no": list(nos)},
                         tags=inner.tags if tags is None else tags,
                         description=description or self._describe(inner, yes, nos), version=version)
        self._setup(inner, yes + nos, version)

    @staticmethod
    def _describe(inner: LabelingFunction, yes: tuple[str, ...], no: tuple[str, ...]) -> str:
        says = [*(["yes to " + ", ".join(yes)] if yes else []), *(["no to " + ", ".join(no)] if no else [])]
        return f"{inner.description or inner.name}: " + "; ".join(says)

    def decode(self, column: np.ndarray) -> np.ndarray:
        """Rows where the inner LF votes: 1 for :attr:`yes`, 0 for :attr:`no`; -1 elsewhere.

        Examples
        --------
        >>> lf = multilabel_keyword_lf("kw_thanks", ["thanks"], "gratitude", no=["anger"])
        >>> lf.decode(np.array([0, -1])).tolist()
        [[1, 0], [-1, -1]]
        """
        fired = np.asarray(column) != ABSTAIN
        pattern = np.array([1] * len(self.yes) + [0] * len(self.no), dtype=np.int8)
        out: np.ndarray = np.where(fired[:, None], pattern[None, :], np.int8(ABSTAIN)).astype(np.int8)
        return out


def multilabel_keyword_lf(name: str, keywords: str | Iterable[str], label: str | Iterable[str], *,
                          no: bool | Iterable[str] = False, field: str = "text", mode: str = "any",
                          case_sensitive: bool = False, word_boundary: bool = True, tags: Iterable[str] = (),
                          description: str = "", version: str | None = None) -> MultiLabelLF:
    """A keyword LF saying yes to ``label`` on rows whose ``field`` contains the keywords (see
    :class:`~weaksup.lf.text.KeywordLF` for ``mode``, ``case_sensitive``, ``word_boundary``).

    Parameters
    ----------
    name : str
    keywords : str or iterable of str
    label : str or iterable of str
        The label(s) a match says yes to (or no to, with ``no=True``).
    no : bool or iterable of str, default False
        ``True``: a match says **no** to ``label``. A list: a match also says no to those labels.

    Examples
    --------
    >>> lf = multilabel_keyword_lf("kw_thanks", ["thanks", "thank you"], "gratitude", no=["anger"])
    >>> lf({"text": "Thanks a lot!"}), lf({"text": "meh"})
    ({'gratitude': True, 'anger': False}, {})
    >>> multilabel_keyword_lf("kw_lol", "lol", "anger", no=True)({"text": "lol"})
    {'anger': False}
    """
    inner = KeywordLF(name, keywords, 0, field=field, mode=mode, case_sensitive=case_sensitive,
                      word_boundary=word_boundary, tags=tags, description=description)
    return RuleMultiLabelLF(inner, "multilabel_keyword", label, no, version=version)


def multilabel_regex_lf(name: str, pattern: str, label: str | Iterable[str], *, no: bool | Iterable[str] = False,
                        field: str = "text", flags: int = 0, tags: Iterable[str] = (), description: str = "",
                        version: str | None = None) -> MultiLabelLF:
    """A regex LF saying yes (or, with ``no=True``, no) to ``label`` on rows whose ``field`` matches ``pattern``
    (Python's ``re.search`` semantics, run by RE2 over whole columns; see :class:`~weaksup.lf.text.RegexLF`).

    Examples
    --------
    >>> lf = multilabel_regex_lf("rx_question", r"\\?\\s*$", ["curiosity"])
    >>> lf({"text": "why though?"}), lf({"text": "ok."})
    ({'curiosity': True}, {})
    """
    inner = RegexLF(name, pattern, 0, field=field, flags=flags, tags=tags, description=description)
    return RuleMultiLabelLF(inner, "multilabel_regex", label, no, version=version)


def multilabel_lf(lf: LabelingFunction, label: str | Iterable[str], *, no: bool | Iterable[str] = False,
                  name: str | None = None, version: str | None = None) -> MultiLabelLF:
    """Any classification LF as a multi-label one: where it votes (any class), yes (or no) to ``label``.

    Examples
    --------
    >>> from weaksup.lf import threshold_lf
    >>> short = threshold_lf("short", "n_words < 3", label=0)
    >>> multilabel_lf(short, "neutral")({"n_words": 2})
    {'neutral': True}
    """
    if not isinstance(lf, LabelingFunction):
        raise LFDefinitionError(f"multilabel_lf needs a labeling function; got {type(lf).__name__} {lf!r}")
    if isinstance(lf, MultiLabelLF):
        raise LFDefinitionError(f"LF {lf.name!r} is already a multi-label LF; use it as it is")
    return RuleMultiLabelLF(lf, "multilabel_wrap", label, no, name=name, version=version)


class _PackedFunctionLF(FunctionLF):
    """The inner LF of a generic multi-label LF: the user's function, its result packed into one int vote
    (bit ``i`` yes to label ``i``, bit ``k + i`` no to it; ABSTAIN for None)."""

    labels_declared: tuple[str, ...]

    def __call__(self, x: Any) -> int:
        result: Any = super().__call__(x)
        return pack(result, self.labels_declared, self.name)


def pack(result: Any, labels: tuple[str, ...], lf_name: str) -> int:
    """A generic multi-label LF's result as one int (see :class:`_PackedFunctionLF`); bad results raise.

    Examples
    --------
    >>> pack({"b"}, ("a", "b"), "f"), pack({"a": False}, ("a", "b"), "f"), pack(None, ("a", "b"), "f")
    (2, 4, -1)
    """
    if result is None:
        return ABSTAIN
    k = len(labels)
    if isinstance(result, str):
        result = (result,)
    if isinstance(result, Mapping):
        items = list(result.items())
    elif isinstance(result, (set, frozenset, list, tuple)):
        items = [(label, True) for label in result]
    else:
        raise LFDefinitionError(f"LF {lf_name!r} returned {result!r} ({type(result).__name__}); a multi-label LF "
                                "returns a set or list of labels (yes), a dict {label: True/False} (yes/no) or None "
                                "(abstain)")
    code = 0
    for label, value in items:
        if label not in labels:
            raise LFDefinitionError(f"LF {lf_name!r} returned label {label!r}, which is not one of its labels "
                                    f"{list(labels)}; add it to labels=[...] of @multilabel_labeling_function")
        if not isinstance(value, (bool, np.bool_)) and value not in (0, 1):
            raise LFDefinitionError(f"LF {lf_name!r} returned {{{label!r}: {value!r}}}; a dict's values must be "
                                    "True (yes) or False (no)")
        code |= 1 << (labels.index(label) + (0 if value else k))
    return code


class FunctionMultiLabelLF(MultiLabelLF):
    """A generic multi-label LF wrapping ``f(row, **resources)`` (see :func:`multilabel_labeling_function`)."""

    kind = "multilabel_generic"
    func: Callable[..., Any]

    def __init__(self, func: Callable[..., Any], *, labels: str | Iterable[str], name: str | None = None,
                 fields: Iterable[str] = (), tags: Iterable[str] = (), description: str | None = None,
                 version: str | None = None, resources: Mapping[str, Any] | None = None,
                 pre: Any = None) -> None:
        lf_name = name if name is not None else getattr(func, "__name__", repr(func))
        declared = label_names(labels, str(lf_name), "labels")
        if len(declared) > MAX_FUNCTION_LABELS:
            raise LFDefinitionError(f"LF {lf_name!r} declares {len(declared)} labels; a generic multi-label LF "
                                    f"votes on at most {MAX_FUNCTION_LABELS}: split it into several LFs")
        inner = _PackedFunctionLF(func, name=name, fields=fields, tags=tags, description=description,
                                  resources=resources, pre=pre, extra_params={"multilabel_labels": list(declared)})
        inner._set(labels_declared=declared)
        self._set(yes=(), no=(), func=func)
        super().__init__(inner.name, params={"function": inner.params["function"], "labels": list(declared)},
                         tags=inner.tags, description=inner.description, version=version)
        self._setup(inner, declared, version)

    def decode(self, column: np.ndarray) -> np.ndarray:
        """The packed votes unpacked: 1 where a yes bit is set, 0 where a no bit is, -1 elsewhere.

        Examples
        --------
        >>> @multilabel_labeling_function(labels=["joy", "anger"])
        ... def happy(x):
        ...     return {"joy": True, "anger": False} if ":)" in x.text else None
        >>> happy.decode(np.array([happy.inner({"text": ":)"}), -1])).tolist()
        [[1, 0], [-1, -1]]
        """
        col = np.asarray(column, dtype=np.int64)
        k = len(self.vote_labels)
        shifts = np.arange(k, dtype=np.int64)
        voted = col >= 0
        code = np.where(voted, col, 0)[:, None]
        yes = ((code >> shifts) & 1).astype(bool)
        no = ((code >> (shifts + k)) & 1).astype(bool)
        out = np.full((len(col), k), ABSTAIN, dtype=np.int8)
        out[no] = 0
        out[yes] = 1
        return out


@overload
def multilabel_labeling_function(func: Callable[..., Any], /, *, labels: str | Iterable[str],
                                 **options: Any) -> FunctionMultiLabelLF: ...


@overload
def multilabel_labeling_function(func: None = None, /, *, labels: str | Iterable[str],
                                 **options: Any) -> Callable[[Callable[..., Any]], FunctionMultiLabelLF]: ...


def multilabel_labeling_function(
    func: Callable[..., Any] | None = None, /, *, labels: str | Iterable[str], **options: Any
) -> FunctionMultiLabelLF | Callable[[Callable[..., Any]], FunctionMultiLabelLF]:
    """Turn ``f(row)`` into a generic multi-label LF voting on the declared ``labels``.

    ``f`` returns a set, list or tuple of labels (yes to those, abstain on the others), a dict
    ``{label: True/False}`` (yes / no), a single label name (yes), or None (abstain on all). A label outside
    ``labels`` is an error naming the LF and the label. The version hashes the function's source and what it
    reads, as :func:`~weaksup.lf.labeling_function` does.

    Parameters
    ----------
    func : callable, optional
        Given when the decorator is called directly.
    labels : str or iterable of str
        The labels the function may vote on (at most :data:`MAX_FUNCTION_LABELS`).
    **options
        ``name``, ``fields``, ``tags``, ``description``, ``version``, ``resources``, ``pre`` as in
        :func:`~weaksup.lf.labeling_function`.

    Examples
    --------
    >>> @multilabel_labeling_function(labels=["curiosity", "confusion", "neutral"], fields=["text"])
    ... def question(x):
    ...     "A question is curious, and not neutral."
    ...     if "?" not in x.text:
    ...         return None
    ...     return {"confusion": True, "neutral": False} if "what" in x.text.lower() else {"curiosity"}
    >>> question({"text": "What?"}), question({"text": "why not?"}), question({"text": "ok"})
    ({'confusion': True, 'neutral': False}, {'curiosity': True}, {})
    >>> question.lf_id.startswith("question@"), question.kind
    (True, 'multilabel_generic')
    """
    if isinstance(func, str):
        raise LFDefinitionError(f"multilabel_labeling_function({func!r}): pass the name as a keyword, "
                                f"multilabel_labeling_function(name={func!r}, labels=[...])")
    known = {"name", "fields", "tags", "description", "version", "resources", "pre"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise LFDefinitionError(f"multilabel_labeling_function got unexpected keyword(s) {unknown}; its options are "
                                f"labels and {sorted(known)}")
    if func is None:
        return lambda f: FunctionMultiLabelLF(f, labels=labels, **options)
    return FunctionMultiLabelLF(func, labels=labels, **options)
