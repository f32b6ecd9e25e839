"""Checking the media file a row's path names (images, recordings): one rule for every loader."""

from __future__ import annotations

import os
from pathlib import Path

from weaksup.errors import DataError
from weaksup.media.features import missing_path_hint, resolve_item

__all__ = ["check_media_file"]


def check_media_file(item: str | os.PathLike[str], root: str | os.PathLike[str] | None, kind: str,
                     one: str) -> Path:
    """The file a row's path names (joined to ``root``), or a ``DataError`` naming it when it is a folder or does not
    exist, with :func:`missing_path_hint`'s where and fix; ``kind`` names the file (``"image"``), ``one`` what the
    row should name (``"image file"``).

    Examples
    --------
    >>> check_media_file("no_such.wav", "/data", "audio", "sound file")
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: audio file 'no_such.wav' (under root= '/data', as '/data/no_such.wav') does not exist; \
fix the path in the row, or change root= if the files are in another folder
    """
    full = Path(resolve_item(item, root))
    if not full.is_file():
        where, fix = missing_path_hint(item, root)
        if full.is_dir():
            raise DataError(f"{kind} file {str(item)!r}{where} is a folder, not a file; give the path of one {one} in "
                            "the row")
        raise DataError(f"{kind} file {str(item)!r}{where} does not exist; {fix}")
    return full
