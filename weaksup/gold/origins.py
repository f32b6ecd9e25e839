"""Where gold rows came from: the version (and its import's note) that first holds a row id, for messages about
rows that do not belong, such as a gold row whose id the run's input does not have.

Examples
--------
>>> from weaksup.gold import load_gold
>>> first_versions(load_gold("gold_sets/youtube_spam"), ["nope"])
{}
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from typing import Any

from weaksup.errors import GoldSetError, WeakSupError
from weaksup.gold.versions import version_entries

logger = logging.getLogger(__name__)

__all__ = ["absent_ids_error", "first_versions", "remove_command"]

#: The most row ids a printed ``weaksup gold remove --ids`` lists; more go through ``--ids-file``.
MAX_LISTED_IDS = 20


def first_versions(gold: Any, ids: Sequence[str]) -> dict[str, str]:
    """The earliest version of ``gold`` holding each of ``ids``, as ``"version N (note)"``; ids no stored version
    holds are left out (and so is everything when the versions cannot be read: this only adds to a message).

    Parameters
    ----------
    gold : GoldSet
        A gold set loaded from its folder (``gold.path``, ``gold.manifest``).
    ids : sequence of str
        Row ids to look for.
    """
    from weaksup.gold.edits import load_any_gold

    if getattr(gold, "path", None) is None:
        return {}
    notes = {str(h.get("version")): h.get("note") or h.get("source") for h in gold.manifest.get("history", [])}
    found: dict[str, str] = {}
    try:
        for entry in version_entries(gold.manifest):
            version = entry.get("version")
            if version is None:
                continue
            held = set(load_any_gold(gold.path, version=version).frame["row_id"].astype(str))
            note = notes.get(str(version))
            for row_id in ids:
                if row_id not in found and row_id in held:
                    found[row_id] = f"version {version}" + (f" ({note})" if note else "")
    except WeakSupError as exc:  # an older version unreadable: no origins
        logger.debug("gold set %s: the versions could not be read for the origins of %s: %s", gold.path, ids, exc)
        return {}
    return found


def remove_command(folder: Any, ids: Sequence[Any]) -> str:
    """The ``weaksup gold remove`` that drops ``ids`` from the gold set in ``folder``, as a message gives it (in
    backticks, shell-quoted, runnable as printed): every id with ``--ids`` up to :data:`MAX_LISTED_IDS` of them, else
    (or when an id holds a comma) the advice to write them to a file and give it to ``--ids-file``.

    Examples
    --------
    >>> remove_command("my gold/yt", ["a 1", "b2"])
    "`weaksup gold remove 'my gold/yt' --ids 'a 1,b2'`"
    >>> remove_command("gold/yt", [f"x{i}" for i in range(30)])
    'write the 30 row ids (x0, x1, x2, x3, x4, ...) to a file, one per line, and run `weaksup gold remove gold/yt \
--ids-file FILE`'
    """
    rows = list(dict.fromkeys(map(str, ids)))
    where = shlex.quote(str(folder))
    if len(rows) <= MAX_LISTED_IDS and not any("," in r for r in rows):
        return f"`weaksup gold remove {where} --ids {shlex.quote(','.join(rows))}`"
    few = ", ".join(rows[:5]) + (", ..." if len(rows) > 5 else "")
    return (f"write the {len(rows)} row ids ({few}) to a file, one per line, and run `weaksup gold remove {where} "
            "--ids-file FILE`")


def absent_ids_error(gold: Any, absent: Sequence[str], input_name: str) -> GoldSetError:
    """The error for gold row ids the input does not have: how many, a few of them, the version that brought
    them and the fixes.

    Examples
    --------
    >>> from weaksup.gold import load_gold
    >>> print(absent_ids_error(load_gold("gold_sets/youtube_spam"), ["x1"], "data.csv"))  # doctest: +ELLIPSIS
    gold set youtube_spam v1 (gold_sets/youtube_spam): 1 row id(s) are not in the input data.csv, e.g. ['x1']; ...
    """
    origins = first_versions(gold, list(absent[:5]))
    came = "; ".join(f"{row_id} came with {origin}" for row_id, origin in origins.items())
    folder = gold.path if getattr(gold, "path", None) is not None else "GOLD_DIR"
    return GoldSetError(
        f"gold set {gold.task} v{gold.version} ({folder}): {len(absent)} row id(s) are not in the input {input_name}, "
        f"e.g. {list(absent[:5])}{f' ({came})' if came else ''}; the gold set labels another dataset, input.id_column "
        f"is wrong, or an import brought rows of other data. Fix: point gold.path at this input's gold set, or "
        f"input.id_column at the ids it uses, or write the next version without them: "
        f"{remove_command(folder, absent)} (earlier versions stay on disk)")
