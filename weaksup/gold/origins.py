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

__all__ = ["absent_ids_error", "first_versions", "lost_zeros", "remove_command"]

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


def lost_zeros(absent: Sequence[str], input_ids: Sequence[str]) -> str:
    """What to say when the gold ids ``absent`` from the input are its ids without their leading zeros (a gold set
    made from an id column read as numbers), judged on ``input_ids``, some of the input's ids; else ``""``.

    Examples
    --------
    >>> lost_zeros(["2623", "17"], ["0000017", "0000018"])
    "the gold ids are numbers without the leading zeros of the input's ids ('0000017'; '17' is '0000017' there)"
    >>> lost_zeros(["a1"], ["0000017"])
    ''
    """
    zeros = [i for i in input_ids if len(i) > 1 and i.isdigit() and i[0] == "0"]
    digits = [a for a in absent if a.isdigit() and a[:1] != "0"]
    if not zeros or len(digits) < 0.9 * len(absent):
        return ""
    width = max(len(i) for i in zeros)
    held = set(input_ids)
    match = next((f"; {a!r} is {a.zfill(width)!r} there" for a in digits if a.zfill(width) in held), "")
    return f"the gold ids are numbers without the leading zeros of the input's ids ({zeros[0]!r}{match})"


def absent_ids_error(gold: Any, absent: Sequence[str], input_name: str,
                     input_ids: Sequence[str] = ()) -> GoldSetError:
    """The error for gold row ids the input does not have: how many, a few of them, the version that brought
    them and the fixes; ``input_ids``, some of the input's ids, tell a gold set whose ids lost their leading zeros.

    Examples
    --------
    >>> from weaksup.gold import load_gold
    >>> print(absent_ids_error(load_gold("gold_sets/youtube_spam"), ["x1"], "data.csv"))  # doctest: +ELLIPSIS
    gold set youtube_spam v1 (gold_sets/youtube_spam): 1 row id(s) are not in the input data.csv, e.g. ['x1']; ...
    """
    origins = first_versions(gold, list(absent[:5]))
    came = "; ".join(f"{row_id} came with {origin}" for row_id, origin in origins.items())
    folder = gold.path if getattr(gold, "path", None) is not None else "GOLD_DIR"
    head = (f"gold set {gold.task} v{gold.version} ({folder}): {len(absent)} row id(s) are not in the input "
            f"{input_name}, e.g. {list(absent[:5])}{f' ({came})' if came else ''}; ")
    zeros = lost_zeros(absent, input_ids)
    if zeros:
        return GoldSetError(
            f"{head}{zeros}: the gold set was made from an id column read as numbers. Fix: create the gold set "
            "again from its labels file with the id column read as text, keeping the leading zeros (a CSV file "
            "keeps them; in pandas read it with dtype=str, or write df[column].astype(str).str.zfill(N)); "
            "`weaksup gold create` warns of an id column of numbers")
    if len(absent) >= gold.frame["row_id"].astype(str).nunique():  # removing them would leave no gold row
        return GoldSetError(
            f"{head}none of the gold set's row ids is in the input: the gold set labels another dataset, or "
            "input.id_column is wrong. Fix: check input.id_column (the ids the gold set uses) and input.path, or "
            "point gold.path at this input's gold set")
    return GoldSetError(
        f"{head}the gold set labels another dataset, input.id_column "
        f"is wrong, or an import brought rows of other data. Fix: point gold.path at this input's gold set, or "
        f"input.id_column at the ids it uses, or write the next version without them: "
        f"{remove_command(folder, absent)} (earlier versions stay on disk)")
