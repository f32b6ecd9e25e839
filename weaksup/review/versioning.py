"""The next version of a gold set an import writes, and the error of an import that another one overtook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import GoldSetError, ReviewError, ReviewImportError
from weaksup.gold import MANIFEST, GoldSet, write_gold

__all__ = ["next_version", "write_next_version"]


def next_version(previous: GoldSet | None) -> int:
    """The version after ``previous`` (1 for a new gold set); a version that is not a whole number is refused."""
    if previous is None:
        return 1
    version = previous.version
    if isinstance(version, int) and not isinstance(version, bool):
        return version + 1
    if isinstance(version, str) and version.strip().isdigit():
        return int(version) + 1
    raise ReviewError(f"the gold set's version {version!r} is not a whole number, so it cannot be bumped; set "
                      f"\"version\" in {previous.path}/{MANIFEST} to an integer")


def write_next_version(frame: pd.DataFrame, folder: Path, previous: GoldSet | None, **options: Any) -> GoldSet:
    """:func:`~weaksup.gold.write_gold` ``frame`` as the version after ``previous`` (the one the import read).

    When another import wrote the gold set after this one read it (two imports at once), its version is not
    overwritten (:mod:`weaksup.gold.versions` refuses that) and this one is refused with a
    :class:`~weaksup.errors.ReviewImportError` saying so: re-running the import merges its answers into the new
    version.
    """
    try:
        return write_gold(frame, folder, version=next_version(previous), **options)
    except GoldSetError:
        from weaksup.pipeline.folder import read_manifest

        read = previous.version if previous is not None else None
        now = read_manifest(folder / MANIFEST).get("version")
        if now is None or str(now) == str(read):
            raise
        raise ReviewImportError(
            f"another import wrote version {now} of the gold set {folder} while this one ran (it read "
            + (f"version {read}" if read is not None else "no gold set") + "); this import wrote nothing and nothing "
            f"was lost: re-run the import (it then adds its answers to version {now}, as a new version)") from None
