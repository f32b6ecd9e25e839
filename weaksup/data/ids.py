"""Row ids: stable, unique ids derived from keys that may repeat."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from weaksup.errors import DataError


def make_row_ids(keys: Iterable[Any]) -> list[str]:
    """Stable unique row ids from keys that may repeat: the n-th repeat of ``k`` gets ``k#n``.

    Examples
    --------
    >>> make_row_ids(["a", "b", "a", "a"])
    ['a', 'b', 'a#2', 'a#3']
    """
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        key = str(key)
        count = seen.get(key, 0) + 1
        seen[key] = count
        out.append(key if count == 1 else f"{key}#{count}")
    if len(set(out)) != len(out):  # a key that itself looks like "k#2"
        raise DataError("cannot derive unique row ids: some keys already end in '#<n>'; pass unique ids")
    return out
