"""The tag space of a span task: entity types and the BIO or IO token tags built from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from weaksup.errors import LabelSpaceError, ParameterError

__all__ = ["SCHEMES", "SpanSpace"]

#: The tagging schemes: "BIO" (a begin tag and an inside tag per type) and "IO" (an inside tag per type).
SCHEMES = ("BIO", "IO")

#: Token votes are int8 tag ids: at most 127 tags.
_MAX_TAGS = 127


@dataclass(frozen=True, init=False)
class SpanSpace:
    """Entity types and their token tags.

    Tag id 0 is ``"O"``; then, for each type in order, ``"B-T"`` and ``"I-T"`` (BIO) or ``"I-T"`` (IO).

    Parameters
    ----------
    types : sequence of str
        The entity types, in order (non-empty, unique, non-blank, not ``"O"``, no ``"B-"``/``"I-"`` prefix).
    scheme : {"BIO", "IO"}
        The tagging scheme.

    Examples
    --------
    >>> space = SpanSpace(["Chemical", "Disease"])
    >>> space.tags
    ('O', 'B-Chemical', 'I-Chemical', 'B-Disease', 'I-Disease')
    >>> space.tag_id("I-Disease"), space.type_of(3), space.type_of(0), space.is_begin(1)
    (4, 'Disease', None, True)
    >>> SpanSpace(["Term"], scheme="IO").tags
    ('O', 'I-Term')
    """

    types: tuple[str, ...]
    scheme: str = "BIO"
    tags: tuple[str, ...] = field(init=False, compare=False)
    _tag_ids: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _type_ids: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __init__(self, types: Sequence[str], *, scheme: str = "BIO") -> None:
        if isinstance(types, str):
            raise LabelSpaceError(f"SpanSpace types must be a list of type names, not the string {types!r}; "
                                  f"write [{types!r}]")
        names = tuple(types)
        if scheme not in SCHEMES:
            raise ParameterError(f"unknown span scheme {scheme!r}; use one of {list(SCHEMES)}")
        if not names:
            raise LabelSpaceError("a SpanSpace needs at least one entity type; got none")
        bad = [t for t in names if not isinstance(t, str) or not t.strip() or t == "O" or t[:2] in ("B-", "I-")]
        if bad:
            raise LabelSpaceError(f"entity types must be non-blank strings other than 'O' without a 'B-'/'I-' "
                                  f"prefix; got {bad!r} in {list(names)!r}")
        dupes = sorted({t for t in names if names.count(t) > 1})
        if dupes:
            raise LabelSpaceError(f"entity types must be unique; repeated: {dupes} in {list(names)!r}")
        per_type = ("B-", "I-") if scheme == "BIO" else ("I-",)
        tags = ("O",) + tuple(p + t for t in names for p in per_type)
        if len(tags) > _MAX_TAGS:
            raise LabelSpaceError(f"{len(names)} entity types make {len(tags)} {scheme} tags; at most "
                                  f"{_MAX_TAGS} fit the int8 token votes")
        object.__setattr__(self, "types", names)
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "tags", tags)
        object.__setattr__(self, "_tag_ids", {t: i for i, t in enumerate(tags)})
        object.__setattr__(self, "_type_ids", {t: i for i, t in enumerate(names)})

    @property
    def n_tags(self) -> int:
        """The number of tags, ``"O"`` included."""
        return len(self.tags)

    @property
    def n_types(self) -> int:
        """The number of entity types."""
        return len(self.types)

    def tag_id(self, tag: str) -> int:
        """The id of a tag such as ``"B-Disease"`` (LabelSpaceError for a tag outside the space).

        Examples
        --------
        >>> SpanSpace(["A", "B"]).tag_id("B-B")
        3
        """
        try:
            return self._tag_ids[tag]
        except (KeyError, TypeError):
            raise LabelSpaceError(f"unknown tag {tag!r}; the {self.scheme} tags are {list(self.tags)}") from None

    def type_id(self, label: str) -> int:
        """The index of an entity type in :attr:`types` (LabelSpaceError for an unknown type).

        Examples
        --------
        >>> SpanSpace(["A", "B"]).type_id("B")
        1
        """
        try:
            return self._type_ids[label]
        except (KeyError, TypeError):
            raise LabelSpaceError(f"unknown entity type {label!r}; the types are {list(self.types)} "
                                  f"(add it to the task's labels or fix the span's label)") from None

    def _check_tag(self, tag_id: int) -> int:
        if not 0 <= int(tag_id) < self.n_tags:
            raise LabelSpaceError(f"tag id {tag_id} is outside 0..{self.n_tags - 1} ({list(self.tags)})")
        return int(tag_id)

    def type_of(self, tag_id: int) -> str | None:
        """The entity type of a tag id; ``None`` for ``"O"``.

        Examples
        --------
        >>> SpanSpace(["A", "B"]).type_of(4), SpanSpace(["A", "B"]).type_of(0)
        ('B', None)
        """
        idx = int(self.tag_type_ids[self._check_tag(tag_id)])
        return None if idx < 0 else self.types[idx]

    def is_begin(self, tag_id: int) -> bool:
        """Whether a tag id is a ``"B-"`` tag (always False in the IO scheme).

        Examples
        --------
        >>> SpanSpace(["A"]).is_begin(1), SpanSpace(["A"], scheme="IO").is_begin(1)
        (True, False)
        """
        return self.tags[self._check_tag(tag_id)].startswith("B-")

    def begin_id(self, type_id: int) -> int:
        """The tag id that starts a span of the type with index ``type_id`` (its ``I-`` tag in IO).

        Examples
        --------
        >>> SpanSpace(["A", "B"]).begin_id(1), SpanSpace(["A", "B"], scheme="IO").begin_id(1)
        (3, 2)
        """
        return int(self.begin_ids[type_id])

    def inside_id(self, type_id: int) -> int:
        """The tag id inside a span of the type with index ``type_id``.

        Examples
        --------
        >>> SpanSpace(["A", "B"]).inside_id(1)
        4
        """
        return int(self.inside_ids[type_id])

    @property
    def begin_ids(self) -> np.ndarray:
        """``(n_types,)`` int64: the first-token tag id of each type."""
        step = 2 if self.scheme == "BIO" else 1
        return np.asarray(1 + step * np.arange(self.n_types), dtype=np.int64)

    @property
    def inside_ids(self) -> np.ndarray:
        """``(n_types,)`` int64: the inside tag id of each type."""
        step = 2 if self.scheme == "BIO" else 1
        return np.asarray(step + step * np.arange(self.n_types), dtype=np.int64)

    @property
    def tag_type_ids(self) -> np.ndarray:
        """``(n_tags,)`` int64: the type index of each tag, ``-1`` for ``"O"``.

        Examples
        --------
        >>> SpanSpace(["A", "B"]).tag_type_ids.tolist()
        [-1, 0, 0, 1, 1]
        """
        step = 2 if self.scheme == "BIO" else 1
        return np.asarray(np.r_[-1, np.repeat(np.arange(self.n_types), step)], dtype=np.int64)

    @property
    def tag_is_begin(self) -> np.ndarray:
        """``(n_tags,)`` bool: which tags are ``"B-"`` tags."""
        return np.array([t.startswith("B-") for t in self.tags], dtype=bool)

    def to_json(self) -> dict[str, Any]:
        """The space as JSON-safe data (:meth:`from_json` inverts it).

        Examples
        --------
        >>> SpanSpace.from_json(SpanSpace(["A"], scheme="IO").to_json()) == SpanSpace(["A"], scheme="IO")
        True
        """
        return {"types": list(self.types), "scheme": self.scheme}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpanSpace:
        """A space from :meth:`to_json`'s data.

        Examples
        --------
        >>> SpanSpace.from_json({"types": ["Term"]}).tags
        ('O', 'B-Term', 'I-Term')
        """
        if not isinstance(data, Mapping) or "types" not in data:
            raise LabelSpaceError(f"a saved SpanSpace is an object with 'types' (and 'scheme'); got {data!r}")
        return cls(list(data["types"]), scheme=str(data.get("scheme", "BIO")))
